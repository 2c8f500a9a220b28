"""Loading community-layout checkpoints, refusing everything else, saving ours."""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
from pathlib import Path

import pytest
import torch

from latentroom.engine.errors import CheckpointError
from latentroom.plugins.stylegan2.checkpoint import (infer_generator_config, load_discriminator, load_generator,
                                          read_checkpoint, save_checkpoint)
from latentroom.plugins.stylegan2.model import Discriminator, Generator
from latentroom.plugins.stylegan2.plugin import load_stylegan2


def _gen(size: int = 16, style_dim: int = 32, n_mlp: int = 2, cm: int = 2, cap: int | None = 16) -> Generator:
    torch.manual_seed(size + style_dim)
    return Generator(size, style_dim, n_mlp, channel_multiplier=cm, channel_cap=cap).eval()


def _same_output(a: Generator, b: Generator) -> bool:
    ws = torch.randn(2, a.n_latent, a.style_dim)
    with torch.no_grad():
        return torch.equal(a.synthesis(ws), b.synthesis(ws))


def test_training_file_with_args_namespace(tmp_path: Path) -> None:
    """rosinality train.py layout: g, d, g_ema, optimizer states, args, ada_aug_p."""
    g, g_ema, d = _gen(), _gen(), Discriminator(16, channel_cap=16)
    opt = torch.optim.Adam(g.parameters(), lr=1e-3)
    g(torch.randn(2, 32)).sum().backward()
    opt.step()
    args = argparse.Namespace(size=16, latent=32, n_mlp=2, channel_multiplier=2, path="lmdb", r1=10.0, augment=False)
    path = tmp_path / "000100.pt"
    torch.save({"g": g.state_dict(), "d": d.state_dict(), "g_ema": g_ema.state_dict(),
                "g_optim": opt.state_dict(), "d_optim": opt.state_dict(), "args": args, "ada_aug_p": 0.0}, path)
    loaded = load_generator(path)
    assert loaded.config == {"size": 16, "style_dim": 32, "n_mlp": 2, "channel_multiplier": 2, "channel_cap": 16}
    assert loaded.weights_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.latent_avg is None and not loaded.training
    assert _same_output(loaded, g_ema)
    assert _same_output(load_generator(path, key="g"), g)
    d2 = load_discriminator(path)
    x = torch.randn(4, 3, 16, 16)
    assert torch.equal(d2(x), d(x))
    assert isinstance(read_checkpoint(path)["args"], argparse.Namespace)


def test_converted_file_with_latent_avg(tmp_path: Path) -> None:
    """NVIDIA conversions: {g_ema, latent_avg}, community channel table (no cap)."""
    g = Generator(64, 16, 1, channel_multiplier=1).eval()
    avg = torch.randn(16)
    path = tmp_path / "ffhq.pt"
    torch.save({"g_ema": g.state_dict(), "latent_avg": avg}, path)
    loaded = load_generator(path)
    assert loaded.config == {"size": 64, "style_dim": 16, "n_mlp": 1, "channel_multiplier": 1, "channel_cap": None}
    assert torch.equal(loaded.mean_latent(), avg)
    assert _same_output(loaded, g)
    with pytest.raises(CheckpointError, match="discriminator"):
        load_discriminator(path)


def test_infer_channel_multiplier_and_cap() -> None:
    for size, cm, cap in [(128, 1, None), (128, 2, None), (64, 2, 64), (32, 2, 8)]:
        sd = Generator(size, 16, 1, channel_multiplier=cm, channel_cap=cap).state_dict()
        cfg = infer_generator_config(sd)
        assert (cfg["size"], cfg["channel_cap"]) == (size, cap)
        if size >= 128 and cap is None:
            assert cfg["channel_multiplier"] == cm


def test_save_checkpoint_roundtrip_is_atomic_and_community_shaped(tmp_path: Path) -> None:
    g, d = _gen(32, cap=8), Discriminator(32, channel_cap=8)
    path = save_checkpoint(tmp_path / "sub" / "ours.pt", g, g=g, d=d, latent_avg=torch.zeros(32),
                           extra={"step": 7, "g_optim": torch.optim.Adam(g.parameters()).state_dict()})
    assert sorted(os.listdir(path.parent)) == ["ours.pt"]  # no temporary left behind
    data = torch.load(path, weights_only=True)
    assert {"g_ema", "g", "d", "latent_avg", "config", "step", "g_optim"} <= set(data)
    assert list(data["g_ema"]) == list(g.state_dict())
    assert data["config"]["channel_cap"] == 8
    loaded = load_generator(path)
    assert _same_output(loaded, g) and loaded.config == g.config
    assert load_discriminator(path).config == d.config


def test_bare_state_dict_and_missing_buffers_load(tmp_path: Path) -> None:
    g = _gen()
    sd = {k: v for k, v in g.state_dict().items() if not k.endswith("kernel")}
    torch.save(sd, tmp_path / "bare.pt")
    assert _same_output(load_generator(tmp_path / "bare.pt"), g)


def test_refuses_random_tensor_file(tmp_path: Path) -> None:
    torch.save(torch.randn(10), tmp_path / "t.pt")
    with pytest.raises(CheckpointError, match=r"t\.pt.*Tensor.*g_ema"):
        load_generator(tmp_path / "t.pt")


def test_refuses_dict_without_g_ema(tmp_path: Path) -> None:
    torch.save({"model": {"w": torch.zeros(1)}, "epoch": 3}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match=r"other\.pt.*no 'g_ema'"):
        load_generator(tmp_path / "other.pt")


def test_refuses_wrong_layout(tmp_path: Path) -> None:
    sd = _gen().state_dict()
    sd["convs.0.conv.weight"] = torch.zeros(1, 16, 16, 2, 2)
    torch.save({"g_ema": sd}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"bad\.pt"):
        load_generator(tmp_path / "bad.pt")
    sd = _gen().state_dict()
    del sd["conv1.conv.weight"]
    torch.save({"g_ema": sd}, tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match=r"missing\.pt.*conv1\.conv\.weight"):
        load_generator(tmp_path / "missing.pt")


def test_refuses_non_torch_file(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"definitely not a checkpoint")
    with pytest.raises(CheckpointError, match=r"junk\.pt"):
        load_generator(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="no such"):
        load_generator(tmp_path / "absent.pt")


def test_a_checkpoint_past_the_size_bound_is_refused_before_loading(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import latentroom.plugins.stylegan2.checkpoint as checkpoint

    path = tmp_path / "g.pt"
    torch.save({"g_ema": _gen().state_dict()}, path)
    assert load_generator(path).weights_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(checkpoint, "MAX_CHECKPOINT_BYTES", path.stat().st_size - 1)
    with pytest.raises(CheckpointError, match=r"g\.pt: \d+ bytes, more than any checkpoint this loader reads"):
        load_generator(path)


class _Exploit:
    marker = ""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_refuses_malicious_pickle(tmp_path: Path, writer: str) -> None:
    marker = tmp_path / "pwned"
    _Exploit.marker = str(marker)
    path = tmp_path / "evil.pt"
    payload = {"g_ema": _gen().state_dict(), "latent_avg": _Exploit()}
    if writer == "torch":
        torch.save(payload, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(payload, f)
    with pytest.raises(CheckpointError, match=r"evil\.pt: refused"):
        load_generator(path)
    assert not marker.exists()  # the object's code never ran


def test_plugin_factory(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "g.pt", _gen())
    g = load_stylegan2(str(path), "cpu")
    assert g.size == 16 and g.weights_sha256 is not None
    with pytest.raises(CheckpointError, match="stylegan2:PATH"):
        load_stylegan2(None, "cpu")


def test_resolve_generator_through_registry(tmp_path: Path) -> None:
    from latentroom.engine.plugins import resolve_generator

    path = save_checkpoint(tmp_path / "g.pt", _gen())
    g = resolve_generator(f"stylegan2:{path}", "cpu")
    assert isinstance(g, Generator) and g.n_latent == 6
