"""The presets the project ships in presets/: real bundles, real ONNX Runtime sessions,
real example images, measured with the independent judge (the network no training
loss saw)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction
from latentroom.engine.presets import load_preset, read_bundle
from latentroom.engine.presets.library import list_presets
from latentroom.plugins.toyfaces.classifier import AttributeClassifier
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTE_SPECS, render, sample_params

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ("smile", "age", "hair_length", "glasses", "beard")
MAX_MODEL_BYTES = 10_000_000
# Metrics the issue asks every preset to carry, shown by `preset show`.
QUALITY_METRICS = ("truth_region_error", "truth_outside_change", "truth_outside_psnr", "judge_target_change",
                   "judge_truth_target_change", "judge_target_ratio", "judge_other_change", "psnr",
                   "onnx_max_abs_diff", "strength0_max_abs_diff")


@pytest.fixture(scope="module")
def examples() -> np.ndarray:
    files = sorted((ROOT / "examples").glob("face-*.png"))
    assert len(files) == 8
    return np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])


@pytest.fixture(scope="module")
def judge() -> AttributeClassifier:
    return load_network("cpu", arch="judge")


def test_every_bundled_preset_is_listed_from_the_package() -> None:
    # The installed package's copy (site-packages in CI, the checkout when editable).
    entries = {e.name: e for e in list_presets().entries if e.source == "bundled"}
    for name in BUNDLED:
        installed = entries[name].path
        assert (installed / "model.onnx").read_bytes() == (ROOT / "presets" / name / "model.onnx").read_bytes()


@pytest.mark.parametrize("name", BUNDLED)
def test_bundle_carries_the_toyfaces_face_template(name: str) -> None:
    # What `latentroom author` writes from the toyfaces generator (its face_template), so
    # `apply` finds, aligns and blends each face (docs/faces.md).
    from latentroom.plugins.toyfaces.alignment import face_template

    manifest = read_bundle(ROOT / "presets" / name).manifest
    assert manifest.get("alignment") == face_template(manifest["provenance"]["attribute"],
                                                      manifest["io"]["resolution"])


@pytest.mark.parametrize("name", BUNDLED)
def test_bundle_is_valid_small_measured_and_traceable(name: str) -> None:
    bundle = read_bundle(ROOT / "presets" / name)  # verifies the model's sha256
    manifest = bundle.manifest
    assert (ROOT / "presets" / name / "model.onnx").stat().st_size <= MAX_MODEL_BYTES
    metrics = manifest["metrics"]
    assert all(key in metrics for key in QUALITY_METRICS), sorted(set(QUALITY_METRICS) - set(metrics))
    assert metrics["onnx_max_abs_diff"] <= 1e-3 and metrics["strength0_max_abs_diff"] <= 1e-3
    assert metrics["n_images"] >= 500
    # Authored from a direction the repo ships, on the generator it ships, from a local
    # teacher (the attribute's region), and labelled from the truth-based figures.
    distill = manifest["x-distill"]
    direction = Direction.load(ROOT / "plugins" / "directions" / "shipped" / distill["direction_file"])
    assert direction.attribute == name and distill["region"]["sha256"]
    assert distill["direction_vector_sha256"] == direction.to_json("v")["vector_sha256"]
    generator_info = json.loads((ROOT / "plugins" / "toyfaces" / "weights" / "generator.json").read_text())
    assert manifest["provenance"]["generator_weights_sha256"] == generator_info["sha256"]
    log = (ROOT / "presets" / "_authoring" / f"{name}.log").read_text()
    assert f"latentroom author {name} " in log and "--region" in log and f"wrote preset {name}" in log
    assert manifest["name"] == name


@pytest.mark.parametrize("name", BUNDLED)
def test_preset_moves_its_attribute_on_the_examples(name: str, examples: np.ndarray,
                                                     judge: AttributeClassifier) -> None:
    preset = load_preset(name, provider="cpu")
    column = ATTRIBUTE_NAMES.index(name)
    unchanged = preset.apply(examples, strength=0.0)
    assert np.abs(unchanged.astype(int) - examples.astype(int)).max() <= 1
    top = preset.manifest["strength"]["max"]
    up = preset.apply(examples, strength=top)
    down = preset.apply(examples, strength=-top)
    assert up.shape == examples.shape and up.dtype == np.uint8
    before = judge.predict(examples)[:, column].mean()
    assert judge.predict(up)[:, column].mean() > before + 0.05
    assert judge.predict(down)[:, column].mean() < judge.predict(up)[:, column].mean() - 0.1


@pytest.mark.parametrize("name", [n for n in BUNDLED if ATTRIBUTE_SPECS[n].kind == "binary"])
def test_a_binary_preset_puts_its_attribute_on_and_takes_it_off(name: str, judge: AttributeClassifier) -> None:
    # The quality figures are taken at positive strengths; a preset whose range goes
    # negative must also take the attribute off a face that has it (session 17's
    # corrected glasses student did not: the judge 1.00 -> 0.94 at -2). Renders of
    # faces with and without it, renderer seed 60123 (no fit or evaluation uses it).
    preset = load_preset(name, provider="cpu")
    column = ATTRIBUTE_NAMES.index(name)
    params = sample_params(60123, 300)
    top = preset.manifest["strength"]["max"]
    for has, strength in ((True, -top), (False, top)):
        chosen = (params[name] > 0.5) == has
        faces = render({k: v[chosen][:48] for k, v in params.items()}, preset.manifest["io"]["resolution"])
        assert (judge.predict(faces)[:, column] > 0.5).mean() == float(has)
        edited = judge.predict(preset.apply(faces, strength=strength))[:, column] > 0.5
        assert edited.mean() == pytest.approx(float(not has), abs=0.2), (name, strength, edited.mean())


def test_preset_show_prints_the_quality_label() -> None:
    result = CliRunner().invoke(cli, ["preset", "show", "smile"])
    assert result.exit_code == 0, result.output
    assert "quality:" in result.output and "target_change=" in result.output
