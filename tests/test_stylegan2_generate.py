"""`latentroom generate` with a StyleGAN2 checkpoint, and the fast path on CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from click.testing import CliRunner
from PIL import Image

from latentroom.engine.cli import cli
from latentroom.plugins.stylegan2.checkpoint import save_checkpoint
from latentroom.plugins.stylegan2.fast import FastConfig, FastSynthesis, synthesis_macs
from latentroom.plugins.stylegan2.model import Generator


def _checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(tmp_path / "small.pt", Generator(16, 32, 2, channel_cap=16))


def test_generate_writes_grid(tmp_path: Path) -> None:
    ckpt = _checkpoint(tmp_path)
    out = tmp_path / "out" / "grid.png"
    args = ["generate", "--generator", f"stylegan2:{ckpt}", "-n", "5", "--seed", "3",
            "--truncation", "0.7", "--device", "cpu"]
    result = CliRunner().invoke(cli, args + ["--batch-size", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    img = Image.open(out)
    assert img.size == (3 * 16, 2 * 16) and img.mode == "RGB"  # ceil(sqrt(5)) = 3 columns
    assert [p.name for p in out.parent.iterdir()] == ["grid.png"]
    # Same seed, other batch size: same pixels.
    again = tmp_path / "again.png"
    result = CliRunner().invoke(cli, args + ["--batch-size", "5", "-o", str(again)])
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.asarray(Image.open(again)), np.asarray(img))


def test_generate_reports_bad_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    torch.save(torch.zeros(3), bad)
    result = CliRunner().invoke(cli, ["generate", "--generator", f"stylegan2:{bad}", "-o", str(tmp_path / "g.png")])
    assert result.exit_code != 0 and "bad.pt" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "g.png").exists()


def test_fast_path_cpu_matches_plain() -> None:
    torch.manual_seed(0)
    g = Generator(32, 32, 2, channel_cap=16).eval()
    ws = torch.randn(3, g.n_latent, 32)
    with torch.no_grad():
        ref = g.synthesis(ws)
    plain = FastSynthesis(g, FastConfig.plain())
    assert torch.equal(plain(ws), ref)
    fp32_input = FastSynthesis(g, FastConfig(dtype=None, modconv="input"))
    assert torch.allclose(fp32_input(ws), ref, atol=1e-4)
    tuned = FastSynthesis(g, FastConfig(dtype=torch.bfloat16, modconv="auto"))
    out = tuned(ws)
    assert len(tuned.layer_choice) == 6 + 2 + 3 and set(tuned.layer_choice.values()) <= {"grouped", "input"}
    mse = (out.clamp(-1, 1) - ref.clamp(-1, 1)).pow(2).mean().item()
    assert 10 * np.log10(4 / max(mse, 1e-12)) > 30
    assert all(m.fused for m in g.modules() if hasattr(m, "fused"))  # original untouched


def test_synthesis_macs_config_f() -> None:
    # Useful MACs; counting up-sampling convs at output resolution gives the often
    # quoted ~142 GMAC.
    assert round(synthesis_macs(Generator(1024, 512, 8, 2)) / 1e9, 1) == 74.3
