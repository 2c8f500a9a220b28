"""The GAN trainer: resumable training, crash-safe sharded checkpoints, the exported g_ema.

A tiny config (32², style_dim 32) keeps each run to a few seconds on the CPU; runs stop
by step count, so they cannot flake on a slow machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from click.testing import CliRunner

from latentroom.engine.cli import cli
from latentroom.plugins.stylegan2.checkpoint import load_generator
from latentroom.plugins.toyfaces.train_gan import load_state, path_length_penalty, save_state, train

TINY = {"size": 32, "style_dim": 32, "n_mlp": 2, "channel_multiplier": 1, "channel_cap": 16}
FAST = dict(batch=4, dataset_size=16, workers=1, config=TINY, device="cpu", seconds=600, log=lambda _: None)


def test_training_resumes_from_the_furthest_checkpoint(tmp_path: Path) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    assert train(out, state, [], max_steps=3, **FAST)["step"] == 3
    # --state-dir and out/ckpt hold the same checkpoint; resuming continues the count.
    assert load_state(state)[1]["step"] == load_state(out / "ckpt")[1]["step"] == 3
    assert train(out, state, [out / "ckpt", state], max_steps=5, **FAST)["step"] == 5

    older = tmp_path / "older"
    save_state(load_state(out / "ckpt")[0], {**load_state(out / "ckpt")[1], "step": 1}, older)
    assert train(out, None, [older, state], max_steps=6, **FAST)["step"] == 6  # the furthest wins

    log = (out / "train.log").read_text()
    assert "resumed at step 3" in log and "resumed at step 5" in log


def test_checkpoint_round_trips_and_survives_a_crash_before_meta(tmp_path: Path) -> None:
    state = {"g": {"w": torch.arange(6.0)}, "d": {"b": torch.ones(2, 2)}}
    save_state(state, {"step": 10}, tmp_path)
    loaded, meta = load_state(tmp_path)
    assert meta["step"] == 10 and torch.equal(loaded["g"]["w"], state["g"]["w"])

    # A later save that dies after writing its shards but before meta.json must leave
    # the step-10 checkpoint whole: new shards may not overwrite the listed ones.
    (tmp_path / f"shard-{11:07d}-00.pt").write_bytes(b"half-written")
    loaded, meta = load_state(tmp_path)
    assert meta["step"] == 10 and torch.equal(loaded["d"]["b"], state["d"]["b"])

    save_state({"g": {"w": torch.zeros(6)}}, {"step": 12}, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("shard-*.pt")) == [f"shard-{12:07d}-00.pt"]
    assert json.loads((tmp_path / "meta.json").read_text())["step"] == 12


def test_exported_g_ema_loads_as_a_generator(tmp_path: Path) -> None:
    train(tmp_path, None, [], max_steps=2, **FAST)
    from PIL import Image

    assert Image.open(tmp_path / "samples.png").size == (8 * 32, 4 * 32)  # 32 fixed latents, 8 a row
    g = load_generator(tmp_path / "toyfaces_g_ema.pt")
    assert g.size == 32 and g.style_dim == 32 and g.latent_avg is not None
    assert all(p.dtype == torch.float32 for p in g.parameters())
    assert g.synthesis(g.mapping(torch.randn(2, 32))).shape == (2, 3, 32, 32)


def test_train_gan_is_a_plugin_command() -> None:
    result = CliRunner().invoke(cli, ["train-gan", "--help"])
    assert result.exit_code == 0 and "--max-steps" in result.output and "--resume" in result.output


def test_path_length_of_a_linear_synthesis_is_its_scaled_frobenius_norm() -> None:
    # images = A w: J^T y = A^T y, whose expected squared norm is |A|_F^2 / (H W) for
    # y ~ N(0, 1 / (H W)); the layer-averaged length squared is that over n_latent.
    torch.manual_seed(0)
    batch, n_latent, dim, size = 512, 3, 8, 16
    a = torch.randn(n_latent * dim, 3 * size * size, dtype=torch.float64, requires_grad=True)

    def synthesis(ws: torch.Tensor) -> torch.Tensor:
        return (ws.flatten(1) @ a).reshape(-1, 3, size, size)

    ws = torch.randn(batch, n_latent, dim, dtype=torch.float64, requires_grad=True)
    penalty, pl_mean = path_length_penalty(synthesis, ws, torch.zeros((), dtype=torch.float64), decay=1.0)
    expected = (a.detach().pow(2).sum() / (n_latent * size * size)).sqrt()
    assert abs(float(pl_mean) / float(expected) - 1) < 0.02  # decay 1: the mean is this batch's
    # decay 1 makes the penalty the lengths' variance: |A^T y| over 24 dimensions
    # scatters by ~15 %, so about 0.02 of the squared mean
    assert 0.005 * float(expected) ** 2 < float(penalty) < 0.05 * float(expected) ** 2
    # the penalty reaches the generator's weights (through the double backward)
    (grad_a,) = torch.autograd.grad(penalty, [a])
    assert float(grad_a.abs().max()) > 0
    # the running mean moves by `decay` of the way
    _, half = path_length_penalty(synthesis, ws, torch.zeros((), dtype=torch.float64), decay=0.5)
    assert abs(float(half) / float(expected) - 0.5) < 0.02


def test_path_length_regularised_training_keeps_its_running_mean_across_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = train(out, None, [], max_steps=3, pl_weight=2.0, pl_every=1, **FAST)
    assert first["pl_mean"] > 0 and load_state(out / "ckpt")[1]["pl_mean"] == first["pl_mean"]
    assert load_state(out / "ckpt")[1]["pl_weight"] == 2.0
    # nothing left to train: the resumed run reports the restored mean unchanged
    assert train(out, None, [out / "ckpt"], max_steps=3, pl_weight=2.0, pl_every=1, **FAST)["pl_mean"] == \
        first["pl_mean"]
    assert train(tmp_path / "plain", None, [], max_steps=2, **FAST)["pl_mean"] == 0.0


def test_a_compact_checkpoint_is_small_and_resumes_with_g_from_g_ema(tmp_path: Path) -> None:
    out, compact = tmp_path / "out", tmp_path / "compact"
    train(out, None, [], max_steps=3, compact_dir=compact, **FAST)
    full, full_meta = load_state(out / "ckpt")
    small, small_meta = load_state(compact)
    assert sorted(small) == ["d", "g_ema"] and small_meta["compact"] and small_meta["step"] == 3
    assert all(t.dtype == torch.float16 for sd in small.values() for t in sd.values() if t.is_floating_point())
    size = lambda d: sum(p.stat().st_size for p in d.glob("shard-*.pt"))  # noqa: E731
    assert size(compact) < 0.4 * size(out / "ckpt")

    # at the same step the full checkpoint wins
    train(tmp_path / "again", None, [compact, out / "ckpt"], max_steps=3, **FAST)
    assert "compact" not in (tmp_path / "again" / "train.log").read_text()

    resumed = tmp_path / "resumed"
    train(resumed, None, [compact], max_steps=3, **FAST)  # nothing left to train: the state as loaded
    assert "from a compact checkpoint: G starts as g_ema" in (resumed / "train.log").read_text()
    state, _ = load_state(resumed / "ckpt")
    assert any(not torch.equal(full["g"][k], full["g_ema"][k]) for k in full["g"])  # G and g_ema had parted
    for key, tensor in state["g"].items():
        assert torch.equal(tensor, small["g_ema"][key].to(tensor.dtype)), key
        assert torch.equal(state["g_ema"][key], tensor), key
