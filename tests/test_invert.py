"""Inverters: projector recovery, encoder/hybrid shapes, encoder training and resume,
and the invert/edit commands end to end on a tiny StyleGAN2 checkpoint.

Everything runs on the CPU with a 32x32 generator (style_dim 32, 8 W+ layers), so the
suite is fast; numbers stated here are floors measured on that generator, far below
what a trained one reaches, but high enough that a broken projector misses them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from latentroom.engine.cli import cli
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.inverters.common import differentiable_synthesis_generator, modulated_convs, psnr
from latentroom.plugins.inverters.encoder import Encoder, EncoderInverter, load_encoder, read_encoder_file
from latentroom.plugins.inverters.hybrid import HybridInverter
from latentroom.plugins.inverters.projector import Projector, noise_regularization
from latentroom.plugins.inverters.train_encoder import load_sharded, save_sharded, train
from latentroom.plugins.stylegan2.checkpoint import load_generator, save_checkpoint
from latentroom.plugins.stylegan2.model import Generator

TINY_WIDTHS = (8, 8, 16, 16, 16)
# Measured on this generator (seed 1 latents, 200 steps): W 33.7-40.2 dB, W+ 33.3-41.7 dB.
PSNR_FLOOR_DB = 30.0


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny convolutions: thread start-up costs more than it saves, and the machine is shared.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny checkpoint on disk, its generator, and an encoder trained a few steps on it."""
    root = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    g = Generator(32, style_dim=32, n_mlp=2, channel_cap=32)
    with torch.no_grad():  # visible noise, so that noise fitting is exercised
        for name, p in g.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.05)
    ckpt = save_checkpoint(root / "g.pt", g)
    torch.set_num_threads(1)
    train(f"stylegan2:{ckpt}", root / "enc", seconds=120, max_steps=4, batch_size=4, widths=TINY_WIDTHS,
          features="none", log_every=2, echo=lambda *_: None)
    return {"root": root, "ckpt": ckpt, "g": load_generator(ckpt), "encoder": root / "enc" / "encoder.pt"}


def known_images(g: Generator, n: int = 4, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    z = torch.randn(n, g.style_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        w = g.mapping(z)
        return w, g.synthesis(w, noise_mode="const")


# ----------------------------------------------------------------------- projector


@pytest.mark.parametrize("space", ["w", "w+"])
def test_projector_recovers_a_known_latent(tiny: dict, space: str) -> None:
    g = tiny["g"]
    _, x = known_images(g)
    projector = Projector(g, "cpu", space=space, steps=200, features="none")
    ws = projector.invert(x)
    assert ws.shape == (4, g.n_latent, g.style_dim)
    with torch.no_grad():
        y = g.synthesis(ws, noise=projector.last_noise)
    value = psnr(x, y)
    assert value.min() > PSNR_FLOOR_DB, value
    if space == "w":  # one w shared by every layer
        assert torch.allclose(ws, ws[:, :1].expand_as(ws))
    assert len(projector.last_noise) == g.num_layers
    for noise in projector.last_noise:  # renormalised every step
        assert abs(float(noise.mean())) < 1e-3 and abs(float(noise.std()) - 1) < 0.05


def test_projector_images_are_independent(tiny: dict) -> None:
    g = tiny["g"]
    _, x = known_images(g, n=3)
    opts = dict(space="w+", steps=20, features="none", initial_noise_factor=0.0)
    together = Projector(g, "cpu", **opts).invert(x)
    alone = Projector(g, "cpu", **opts).invert(x[1:2])
    assert torch.allclose(together[1:2], alone, atol=1e-3)


def test_projector_leaves_the_generator_alone(tiny: dict) -> None:
    g = tiny["g"]
    before = {k: v.clone() for k, v in g.state_dict().items()}
    Projector(g, "cpu", steps=3, features="none").invert(known_images(g, 2)[1])
    assert all(torch.equal(before[k], v) for k, v in g.state_dict().items())
    assert all(p.grad is None for p in g.parameters())


def test_the_projector_differentiates_through_an_input_modulated_copy_on_cuda(tiny: dict) -> None:
    # CUDA picks the copy (the device type alone decides, so the CPU can check it): it
    # renders and passes gradients like the generator, which stays as it was.
    g = tiny["g"]
    assert differentiable_synthesis_generator(g, torch.device("cpu")) is g
    fast = differentiable_synthesis_generator(g, torch.device("cuda"))
    assert fast is not g and modulated_convs(fast)
    assert not any(m.fused for m in modulated_convs(fast)) and all(m.fused for m in modulated_convs(g))
    assert not any(p.requires_grad for p in fast.parameters())
    w, _ = known_images(g, 2)
    ws = w[:, None].expand(-1, g.n_latent, -1).clone().requires_grad_(True)
    images, grads = [], []
    for net in (g, fast):
        out = net.synthesis(ws, noise_mode="const")
        images.append(out.detach())
        grads.append(torch.autograd.grad(out.square().sum(), ws)[0])
    assert torch.allclose(images[0], images[1], atol=1e-5)
    assert torch.allclose(grads[0], grads[1], rtol=1e-3, atol=1e-5)
    plain = torch.nn.Linear(2, 2)  # a generator without modulated convolutions is used as it is
    assert differentiable_synthesis_generator(plain, torch.device("cuda")) is plain
    assert Projector(g, "cpu", features="none").synthesis_generator is g
    on_cuda = Projector(g, "cuda", features="none").synthesis_generator  # built without touching CUDA
    assert on_cuda is not g and not any(m.fused for m in modulated_convs(on_cuda))


def test_projector_with_a_user_feature_net(tiny: dict) -> None:
    g = tiny["g"]
    # Named as pytest imports this file (tests/ is on sys.path, the repo root need not be).
    spec = f"{__name__}:small_feature_net"
    proj = Projector(g, "cpu", steps=3, features=spec)
    assert proj.features_used == spec
    assert proj.invert(known_images(g, 2)[1]).shape == (2, g.n_latent, g.style_dim)


def small_feature_net(device: str) -> torch.nn.Module:
    """A ``module:callable`` feature factory as a user would write one."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.ReLU()).to(device)


def test_projector_rejects_bad_options(tiny: dict) -> None:
    with pytest.raises(LatentroomError, match="space"):
        Projector(tiny["g"], "cpu", space="z")
    with pytest.raises(LatentroomError, match="does not take option"):
        Projector(tiny["g"], "cpu", stepz=3)


def test_noise_regularization_penalises_structure() -> None:
    gen = torch.Generator().manual_seed(0)
    white = [torch.randn(1, 1, 32, 32, generator=gen)]
    smooth = [torch.nn.functional.interpolate(torch.randn(1, 1, 8, 8, generator=gen), size=32, mode="bilinear")]
    smooth = [(s - s.mean()) / s.std() for s in smooth]
    assert float(noise_regularization(smooth)) > 50 * float(noise_regularization(white))


# ------------------------------------------------------------------ encoder, hybrid


def test_encoder_and_hybrid_shapes_and_devices(tiny: dict) -> None:
    g = tiny["g"]
    _, x = known_images(g, 3)
    enc = EncoderInverter(g, "cpu", weights=str(tiny["encoder"]))
    ws = enc.invert(x)
    assert ws.shape == (3, g.n_latent, g.style_dim) and ws.dtype == torch.float32
    assert ws.device.type == "cpu" and enc.last_noise is None
    # Any input size: resized to the encoder's 128x128.
    assert enc.invert(torch.zeros(2, 3, 50, 70)).shape == (2, g.n_latent, g.style_dim)
    hybrid = HybridInverter(g, "cpu", weights=str(tiny["encoder"]), steps=5, features="none")
    wh = hybrid.invert(x)
    assert wh.shape == ws.shape and wh.device.type == "cpu"
    assert hybrid.last_noise is None  # by default the stored noise maps stay
    with torch.no_grad():  # refinement improves on the encoder's start
        before = psnr(x, g.synthesis(ws, noise_mode="const")).mean()
        after = psnr(x, g.synthesis(wh, noise_mode="const")).mean()
    assert after > before
    with_noise = HybridInverter(g, "cpu", weights=str(tiny["encoder"]), steps=5, features="none",
                                optimize_noise=True)
    with_noise.invert(x)
    assert len(with_noise.last_noise) == g.num_layers


def test_encoder_output_is_base_plus_deltas() -> None:
    enc = Encoder(n_latent=8, style_dim=32, widths=TINY_WIDTHS).eval()
    with torch.no_grad():
        ws, deltas = enc(torch.zeros(2, 3, 128, 128))
    assert deltas.shape == (2, 7, 32)
    # Untrained heads are zero: every row is the stored mean latent.
    assert torch.allclose(ws, enc.w_mean.expand_as(ws))


def test_encoder_weights_are_checked(tiny: dict, tmp_path: Path) -> None:
    g = tiny["g"]
    other = Generator(32, style_dim=32, n_mlp=2, channel_cap=32)
    other.weights_sha256 = "f" * 64
    with pytest.raises(LatentroomError, match="trained for generator"):
        EncoderInverter(other, "cpu", weights=str(tiny["encoder"]))
    EncoderInverter(other, "cpu", weights=str(tiny["encoder"]), allow_mismatch=True)
    bad = tmp_path / "bad.pt"
    torch.save({"format": "something else"}, bad)
    with pytest.raises(LatentroomError, match="not a latentroom encoder"):
        EncoderInverter(g, "cpu", weights=str(bad))
    with pytest.raises(LatentroomError, match="no such encoder"):
        EncoderInverter(g, "cpu", weights=str(tmp_path / "missing.pt"))


def test_encoder_training_runs_and_resumes(tiny: dict, tmp_path: Path) -> None:
    out = tmp_path / "run"
    spec = f"stylegan2:{tiny['ckpt']}"
    kw = dict(batch_size=4, widths=TINY_WIDTHS, features="none", log_every=1, echo=lambda *_: None)
    train(spec, out, seconds=120, max_steps=3, **kw)
    log = [json.loads(line) for line in (out / "train.log").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    assert {"latent", "delta", "pixel", "loss", "images_per_s"} <= set(log[0])
    meta = json.loads((out / "state" / "meta.json").read_text())
    assert meta["step"] == 3
    train(spec, out, seconds=120, max_steps=5, resume=out, **kw)
    log = [json.loads(line) for line in (out / "train.log").read_text().splitlines()]
    assert [r["step"] for r in log][-2:] == [4, 5]
    data = read_encoder_file(out / "encoder.pt")  # weights_only load
    assert data["train"]["steps"] == 5 and data["generator_sha256"] == tiny["g"].weights_sha256
    assert data["state_dict"]["stem.0.weight"].dtype == torch.float16
    assert len(list((out / "state").glob("shard-*.pt"))) == 1  # old shards removed
    model, _ = load_encoder(out / "encoder.pt")
    assert isinstance(model, Encoder)


def test_sharded_state_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import latentroom.plugins.inverters.train_encoder as te

    monkeypatch.setattr(te, "SHARD_BYTES", 1000)  # force splitting a tensor over shards
    tensors = {"a": torch.arange(600, dtype=torch.float32).reshape(20, 30), "b": torch.tensor(3)}
    save_sharded(tensors, tmp_path, {"step": 1}, tag="x")
    shards = list(tmp_path.glob("shard-*.pt"))
    assert len(shards) == 3  # 2400 bytes of "a" in 1000-byte pieces; "b" shares the last
    # Each holds at most SHARD_BYTES of tensor data plus torch.save's fixed overhead.
    assert all(p.stat().st_size < 1000 + 4096 for p in shards)
    loaded, meta = load_sharded(tmp_path)
    assert meta["step"] == 1 and torch.equal(loaded["a"], tensors["a"]) and int(loaded["b"]) == 3


# ----------------------------------------------------------------------------- CLI


def write_inputs(tiny: dict, root: Path) -> list[Path]:
    g = tiny["g"]
    _, x = known_images(g, 3, seed=5)
    pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(pixels):
        path = root / f"face{i}.png"
        Image.fromarray(image).resize((48, 40)).save(path)  # other size, not square
        paths.append(path)
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (root / "notes.txt").write_text("not an image")
    return paths


def run(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_invert_cli_end_to_end(tiny: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    good = write_inputs(tiny, tmp_path / "in")
    out = tmp_path / "latents.npz"
    result = run("invert", "in/face0.png", "in/corrupt.png", "in/notes.txt", "in/face1.png", "in/face2.png",
                 "-o", out, "--inverter", "encoder", "--generator", f"stylegan2:{tiny['ckpt']}",
                 "--batch-size", 2, "-O", f"weights={tiny['encoder']}", "--device", "cpu")
    assert result.exit_code == 1, result.output
    assert "in/corrupt.png: cannot read image" in result.stderr
    assert "in/notes.txt: cannot read image" in result.stderr
    assert "2 file(s) failed" in result.stderr
    with np.load(out) as data:
        keys = set(data.files)
        # Keyed by name, as apply and edit name their outputs.
        assert keys == {"face0.png", "face1.png", "face2.png", "__metadata__"}
        assert data["face1.png"].shape == (tiny["g"].n_latent, tiny["g"].style_dim)
        assert data["face1.png"].dtype == np.float32
        meta = json.loads(str(data["__metadata__"]))
    assert meta["generator"] == f"stylegan2:{tiny['ckpt']}"
    assert meta["weights_sha256"] == tiny["g"].weights_sha256 and meta["inverter"] == "encoder"
    assert {f["file"] for f in meta["failed"]} == {"in/corrupt.png", "in/notes.txt"}
    assert not list(tmp_path.glob(".latents.npz*"))  # no temporary left behind
    # The encoder's latents match inverting the same images in code.
    enc = EncoderInverter(tiny["g"], "cpu", weights=str(tiny["encoder"]))
    from latentroom.engine.imaging import load_square_image

    direct = enc.invert(torch.from_numpy(load_square_image(good[1], 32))[None])[0].numpy()
    with np.load(out) as data:
        np.testing.assert_allclose(data["face1.png"], direct, atol=1e-5)


def test_invert_cli_directory_and_projector(tiny: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_inputs(tiny, tmp_path / "in")
    result = run("invert", "in", "-o", "l.npz", "--inverter", "projector", "--steps", 3,
                 "--generator", f"stylegan2:{tiny['ckpt']}", "-O", "space=w", "-O", "features=none")
    # A directory contributes image suffixes only: the corrupt .png fails, .txt is skipped.
    assert result.exit_code == 1 and "corrupt.png" in result.stderr and "notes.txt" not in result.stderr
    with np.load(tmp_path / "l.npz") as data:
        meta = json.loads(str(data["__metadata__"]))
        assert len(data.files) == 4
    assert meta["inverter_options"] == {"space": "w", "features": "none", "steps": 3}


def test_invert_cli_all_good_exits_zero_and_unknown_inverter_fails(tiny: dict, tmp_path: Path) -> None:
    paths = write_inputs(tiny, tmp_path / "in")
    out = tmp_path / "ok.npz"
    result = run("invert", *paths, "-o", out, "--inverter", "encoder", "--generator", f"stylegan2:{tiny['ckpt']}",
                 "-O", f"weights={tiny['encoder']}")
    assert result.exit_code == 0, result.output
    with np.load(out) as data:  # absolute paths outside the working directory: keyed by name
        assert set(data.files) == {"face0.png", "face1.png", "face2.png", "__metadata__"}
    result = run("invert", *paths, "-o", out, "--inverter", "nope", "--generator", f"stylegan2:{tiny['ckpt']}")
    assert result.exit_code != 0 and "unknown inverter 'nope'" in result.output


def test_edit_cli_end_to_end(tiny: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from latentroom.engine.direction import Direction, Provenance

    monkeypatch.chdir(tmp_path)
    write_inputs(tiny, tmp_path / "in")
    g = tiny["g"]
    vector = np.random.default_rng(0).standard_normal(g.style_dim)
    direction = Direction.from_vector(vector, g.n_latent, Provenance(source="test", attribute="smile"),
                                      layers="coarse", scale=1.0)
    direction.save(tmp_path / "smile")
    common = ["--generator", f"stylegan2:{tiny['ckpt']}", "--direction", "smile.json"]
    result = run("edit", "in", "-o", "out", "--strength", 2.0, "--inverter", "hybrid", "--steps", 2,
                 "-O", f"weights={tiny['encoder']}", "-O", "features=none", *common)
    assert result.exit_code == 1 and "in/corrupt.png" in result.stderr
    outputs = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png"))
    assert outputs == ["face0.png", "face1.png", "face2.png"]  # the path inside the folder, like apply
    assert Image.open(tmp_path / "out" / "face0.png").size == (g.size, g.size)
    # Strength 0 reproduces the reconstruction; a non-zero strength changes it.
    result = run("edit", "in/face0.png", "-o", "zero", "--strength", 0.0, "--inverter", "encoder",
                 "-O", f"weights={tiny['encoder']}", *common)
    assert result.exit_code == 0, result.output
    # `edit /some/dir/*.png -o three` from elsewhere: the shell hands over absolute
    # paths outside the working directory, and each is written as three/NAME.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    expanded = sorted(str(p) for p in (tmp_path / "in").glob("face*.png"))
    result = run("edit", *expanded, "-o", tmp_path / "three", "--strength", 3.0, "--inverter", "encoder",
                 "-O", f"weights={tiny['encoder']}", "--generator", f"stylegan2:{tiny['ckpt']}",
                 "--direction", tmp_path / "smile.json")
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(tmp_path / "three").as_posix() for p in (tmp_path / "three").rglob("*")
                  if p.is_file()) == outputs
    zero = np.asarray(Image.open(tmp_path / "zero" / "face0.png"), dtype=np.float32)
    three = np.asarray(Image.open(tmp_path / "three" / "face0.png"), dtype=np.float32)
    enc = EncoderInverter(g, "cpu", weights=str(tiny["encoder"]))
    from latentroom.engine.imaging import load_square_image

    with torch.no_grad():
        ws = enc.invert(torch.from_numpy(load_square_image(tmp_path / "in" / "face0.png", g.size))[None])
        recon = ((g.synthesis(ws, noise_mode="const").clamp(-1, 1) + 1) * 127.5).round()[0].permute(1, 2, 0).numpy()
    assert np.abs(zero - recon).max() <= 1
    assert np.abs(three - zero).mean() > 1


def test_edit_cli_applies_a_directions_per_face_correction(tiny: dict, tmp_path: Path) -> None:
    # `edit` moves each face by the direction plus the part its correction predicts for
    # that face (direction file version 2), exactly as edit_latents does.
    from latentroom.engine.direction import Direction, Provenance
    from latentroom.engine.direction_correction import Correction
    from latentroom.engine.imaging import load_square_image
    from latentroom.plugins.directions.edit import edit_latents

    g = tiny["g"]
    paths = write_inputs(tiny, tmp_path / "in")
    rng = np.random.default_rng(1)
    layers = (0, 1)
    correction = Correction(np.zeros(g.style_dim), np.linalg.qr(rng.standard_normal((g.style_dim, 4)))[0],
                            0.5 * rng.standard_normal((4, len(layers) * g.style_dim)),
                            np.zeros(len(layers) * g.style_dim), truth_strength=2.0)
    vector = rng.standard_normal(g.style_dim)
    for name, extra in (("plain", None), ("corrected", correction)):
        Direction.from_vector(vector, g.n_latent, Provenance("test", "smile"), layers, 1.0,
                              correction=extra).save(tmp_path / name)
        result = run("edit", paths[0], "-o", tmp_path / name, "--strength", 2.0, "--inverter", "encoder",
                     "-O", f"weights={tiny['encoder']}", "--generator", f"stylegan2:{tiny['ckpt']}",
                     "--direction", tmp_path / f"{name}.json")
        assert result.exit_code == 0, result.output
    plain, corrected = (np.asarray(Image.open(tmp_path / name / "face0.png"), dtype=np.float32)
                        for name in ("plain", "corrected"))
    assert np.abs(corrected - plain).mean() > 1
    enc = EncoderInverter(g, "cpu", weights=str(tiny["encoder"]))
    with torch.no_grad():
        ws = enc.invert(torch.from_numpy(load_square_image(paths[0], g.size))[None])
        moved = edit_latents(ws, Direction.load(tmp_path / "corrected.json"), 2.0)
        expected = ((g.synthesis(moved, noise_mode="const").clamp(-1, 1) + 1) * 127.5).round()[0].permute(1, 2, 0)
    assert np.abs(corrected - expected.numpy()).max() <= 1


def test_edit_cli_rejects_a_direction_for_another_generator(tiny: dict, tmp_path: Path) -> None:
    from latentroom.engine.direction import Direction, Provenance

    paths = write_inputs(tiny, tmp_path / "in")
    Direction.from_vector(np.ones(16), 4, Provenance(source="t", attribute="x")).save(tmp_path / "d")
    result = run("edit", paths[0], "-o", tmp_path / "o", "--strength", 1, "--direction", tmp_path / "d.json",
                 "--generator", f"stylegan2:{tiny['ckpt']}", "--inverter", "encoder", "-O", f"weights={tiny['encoder']}")
    assert result.exit_code != 0 and "direction is for [4, 16]" in result.output


def test_plugin_registers_its_inverters_without_torch_at_import() -> None:
    import subprocess
    import sys

    code = ("import sys, plugins.inverters.plugin as p; "
            "assert 'torch' not in sys.modules; "
            "import latentroom.engine.plugins as e; print(sorted(e.registry().inverters))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "['e4e', 'encoder', 'hybrid', 'projector']" in out


def test_steps_and_options_reach_a_plugin_inverter(tiny: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import latentroom.engine.plugins as plugins
    from latentroom.engine import hookimpl
    from test_plugins import BUILTINS

    received: dict = {}

    def counted(generator, device, steps=10, rate=0.1):
        received.update(steps=steps, rate=rate, generator=generator.size)
        raise LatentroomError("stop after the options arrived")

    class Parts:
        @hookimpl
        def register_generators(self, register):
            register("toy", lambda argument, device: tiny["g"])

        @hookimpl
        def register_inverters(self, register):
            register("counted", counted)
            register("fixed", lambda generator, device, rate=0.1: None)

    monkeypatch.setenv("LATENTROOM_LOAD_PLUGINS", "")
    monkeypatch.setenv("LATENTROOM_DISABLE_PLUGINS", BUILTINS)
    plugins.reset()
    try:
        plugins.register_plugin(Parts(), name="parts")
        common = ["--generator", "toy", "--device", "cpu", "-o", tmp_path / "l.npz", tmp_path / "none.png"]
        result = run("invert", "--inverter", "counted", "--steps", 7, "-O", "rate=[1, 2]", *common)
        assert "stop after the options arrived" in result.output
        assert received == {"steps": 7, "rate": [1, 2], "generator": 32}  # -O values are JSON
        result = run("invert", "--inverter", "fixed", "--steps", 7, *common)
        assert result.exit_code == 1
        assert "inverter 'fixed' (plugin 'parts'): got an unexpected keyword argument 'steps'" in result.output
    finally:
        plugins.reset()


@pytest.mark.parametrize("command", [["invert"], ["edit"], ["author"], ["direction", "find"]])
def test_help_says_key_value_options_are_json(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0 and "parsed as JSON when it" in " ".join(result.output.split())
