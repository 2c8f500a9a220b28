"""The shipped toyfaces generator, its registration, and the quality script's maths.

A retrained generator replaces the weights the same way, so nothing here pins a
kimg count or pixel values: every expectation comes from generator.json or the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from latentroom.engine import plugins
from latentroom.engine.cli import cli
from latentroom.plugins.stylegan2.checkpoint import read_checkpoint
from latentroom.plugins.toyfaces import load_generator
from latentroom.plugins.toyfaces.generator import INFO_PATH, WEIGHTS_PATH, weights_info
from script_loader import load_script


@pytest.fixture(scope="module")
def generator():
    return load_generator("cpu")


@pytest.fixture
def builtins(monkeypatch: pytest.MonkeyPatch):
    """The real registry, built-in plugins included, whatever the environment says;
    plugin commands are reloaded from it (the root group keeps them across tests)."""
    monkeypatch.delenv("LATENTROOM_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("LATENTROOM_LOAD_PLUGINS", raising=False)
    saved = dict(cli.commands)
    cli.commands.pop("train-gan", None)
    plugins.reset()
    yield plugins.registry()
    plugins.reset()
    cli.commands.clear()
    cli.commands.update(saved)


# --- the shipped weights ------------------------------------------------------------


def test_shipped_generator_matches_its_provenance(generator) -> None:
    info = weights_info()
    assert {"command", "seed", "config", "images_seen", "device", "date", "status", "sha256"} <= set(info)
    digest = hashlib.sha256(WEIGHTS_PATH.read_bytes()).hexdigest()
    # generator.json must describe the generator.pt beside it (they are replaced together).
    assert generator.weights_sha256 == digest == info["sha256"]
    assert generator.config == info["config"] == read_checkpoint(WEIGHTS_PATH)["config"]
    assert (WEIGHTS_PATH.parent / info["log"]).is_file() and INFO_PATH.is_file()


def test_shipped_generator_loads_as_float32_with_latent_avg(generator) -> None:
    stored = read_checkpoint(WEIGHTS_PATH)
    state = generator.state_dict()
    assert {t.dtype for t in state.values()} == {torch.float32}
    # The file may store float16: loading must cast, not round again or drop anything.
    for key, tensor in stored["g_ema"].items():
        assert torch.equal(state[key], tensor.float()), key
    assert generator.latent_avg is not None and generator.latent_avg.dtype == torch.float32
    assert torch.equal(generator.latent_avg, stored["latent_avg"].float().reshape(-1))
    assert torch.equal(generator.mean_latent(), generator.latent_avg)
    assert not generator.training


def test_samples_have_the_right_shape_and_are_deterministic(generator) -> None:
    z = torch.randn(3, generator.style_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        a = generator.synthesis(generator.mapping(z), noise_mode="const")
        b = generator.synthesis(generator.mapping(z), noise_mode="const")
        torch.manual_seed(1)
        c = generator(z, noise_mode="random")
        torch.manual_seed(1)
        d = generator(z, noise_mode="random")
    assert a.shape == (3, 3, generator.size, generator.size) == (3, 3, 128, 128)
    assert torch.equal(a, b) and torch.equal(c, d)
    assert torch.isfinite(a).all()
    # Outputs are on the [-1, 1] scale (unclamped, so a few pixels overshoot) and not flat.
    assert (a.abs() > 1.0).float().mean() < 0.2 and a.std() > 0.2
    assert not torch.equal(a[0], a[1])


# --- registration -------------------------------------------------------------------


def test_default_generator_is_the_shipped_toyfaces(builtins) -> None:
    assert plugins.DEFAULT_GENERATOR == "toyfaces"
    assert builtins.generators["toyfaces"].plugin == "toyfaces"
    g = plugins.resolve_generator(None, "cpu")
    assert g.weights_sha256 == weights_info()["sha256"]
    assert plugins.resolve_generator(f"toyfaces:{WEIGHTS_PATH}").weights_sha256 == g.weights_sha256


def test_generate_cli_writes_a_grid_with_the_default_generator(builtins, tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    result = CliRunner().invoke(cli, ["generate", "-n", "4", "--seed", "0", "--device", "cpu", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (256, 256) and image.mode == "RGB"
        assert np.asarray(image).std() > 10


def test_train_gan_is_a_plugin_command(builtins) -> None:
    result = CliRunner().invoke(cli, ["train-gan", "--help"])
    assert result.exit_code == 0, result.output
    assert "Train the toyfaces StyleGAN2" in result.output and "--resume" in result.output
    assert builtins.plugin("toyfaces").contributions["commands"] == ["train-gan"]


# --- the quality script -------------------------------------------------------------


def _exact_gaussian_sample(rng: np.random.Generator, n: int, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Samples whose sample mean and (n-1)-normalised covariance are exactly
    ``mean`` and ``diag(var)``: whiten a random draw, then scale and shift."""
    x = rng.standard_normal((n, mean.size))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T
    return x * np.sqrt(var) + mean


def test_frechet_distance_matches_the_closed_form_for_diagonal_covariances() -> None:
    from latentroom.plugins.toyfaces.truth import frechet_distance as frechet
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    v1, v2 = rng.uniform(0.2, 3, size=6), rng.uniform(0.2, 3, size=6)
    a = _exact_gaussian_sample(rng, 400, mu1, v1)
    b = _exact_gaussian_sample(rng, 300, mu2, v2)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum()
    assert frechet(a, b) == pytest.approx(expected, rel=1e-9)
    assert frechet(a, a) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_matches_the_symmetric_sqrtm_form() -> None:
    # General covariances: tr(sqrtm(C1 C2)) = tr(sqrtm(S C2 S)) with S = sqrtm(C1),
    # both square roots of symmetric PSD matrices, computed here by eigh.
    from latentroom.plugins.toyfaces.truth import frechet_distance as frechet
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8))
    b = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8)) + 0.5

    def sqrtm_psd(c: np.ndarray) -> np.ndarray:
        w, v = np.linalg.eigh(c)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    s = sqrtm_psd(c1)
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(c1 + c2) - 2 * np.trace(sqrtm_psd(s @ c2 @ s))
    assert frechet(a, b) == pytest.approx(expected, rel=1e-8)
    assert frechet(b, a) == pytest.approx(expected, rel=1e-8)


def test_attribute_report_applies_the_targets() -> None:
    script = load_script("measure_toyfaces_quality")
    rng = np.random.default_rng(2)
    ref = rng.uniform(0, 1, size=(2000, 10))
    gen = ref.copy()
    gen[:, 0] += 0.06  # smile mean off by more than 0.05
    gen[:, 1] = 0.5 + (gen[:, 1] - 0.5) * 0.7  # hair_length sd 30 % low
    gen[:, 8] = np.where(np.arange(2000) < 200, 0.9, gen[:, 8])  # beard rate moved by > 5 points
    rows = {row["attribute"]: row for row in script.attribute_report(gen, ref)}
    assert [name for name, row in rows.items() if not row["passed"]] == ["smile", "hair_length", "beard"]
    assert rows["glasses"]["kind"] == "binary" and rows["glasses"]["rate_diff"] == 0


def test_quality_script_runs_end_to_end_on_a_tiny_n(builtins, tmp_path: Path) -> None:
    script = load_script("measure_toyfaces_quality")
    doc = tmp_path / "doc.md"
    doc.write_text(f"# x\n\n## Generator quality\n\n{script.DOC_START}\nold\n{script.DOC_END}\n\n## after\n")
    args = ["--n", "8", "--device", "cpu", "--workers", "1", "--batch-size", "8", "--grid-px", "8",
            "--out-dir", str(tmp_path / "out"), "--update-docs", "--doc", str(doc),
            "--doc-image", str(tmp_path / "images" / "samples.png")]
    result = CliRunner().invoke(script.main, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "quality.json").read_text())
    assert report["n"] == 8 and len(report["attributes"]) == 10
    assert report["weights_sha256"] == weights_info()["sha256"] and report["provenance"]["sha256"]
    assert report["frechet"]["generated"] > 0 and report["frechet"]["floor"] > 0
    with Image.open(tmp_path / "images" / "samples.png") as grid:
        assert grid.size == (8 * 8, 4 * 8)
    text = doc.read_text()
    assert "old" not in text and text.endswith("\n\n## after\n")
    assert "N=8, CPU: indicative only" in text and "](images/samples.png)" in text
