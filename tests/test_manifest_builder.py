"""The one manifest builder (``engine/presets/manifest_builder.py``): what it builds is
what the validator accepts and a bundle carries, and the manifests of the fixtures
and the demo script are its output (author's: tests/test_distill.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from latentroom.engine.presets import (
    EditProvenance,
    StrengthRange,
    build_manifest,
    load_preset,
    read_bundle,
    sha256_bytes,
    validate_manifest,
    write_bundle,
)
from latentroom.plugins.toyfaces.alignment import alignment_section
from preset_fixtures import OPSET, build_preset, model_bytes, rebuilt_manifest
from script_loader import load_script

PROVENANCE = EditProvenance(generator="stylegan2:g.pt", direction_source="sefa", attribute="brightness",
                            generator_weights_sha256="a" * 64, layers=(0, 1, 2))


def manifest_for(model: bytes, **changes: object) -> dict:
    fields = {"name": "built", "title": "Built", "description": "made by the builder", "version": "2.0.0",
              "author": "tests", "license": "MIT", "model_sha256": sha256_bytes(model), "opset": OPSET,
              "resolution": 32, "strength": StrengthRange(min=-1.0, max=2.0, default=0.5),
              "provenance": PROVENANCE, "metrics": {"psnr": 31.0}, **changes}
    return build_manifest(**fields)


def test_built_manifest_round_trips_through_a_bundle(tmp_path: Path) -> None:
    model = model_bytes("additive", 32)
    manifest = manifest_for(model, extensions={"x-tool": {"steps": 3}},
                            requires_plugins=[{"name": "stylegan2", "version": "1"}])
    assert validate_manifest(manifest) == []
    bundle = write_bundle(tmp_path / "built", manifest, model)
    assert read_bundle(bundle).manifest == json.loads(json.dumps(manifest))
    preset = load_preset(bundle)
    assert preset.manifest["strength"] == {"input": "strength", "min": -1.0, "max": 2.0, "default": 0.5}
    assert preset.manifest["provenance"]["layers"] == [0, 1, 2] and preset.manifest["x-tool"] == {"steps": 3}
    image = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    np.testing.assert_array_equal(preset.apply(image, strength=0), image)


def test_without_strength_the_model_takes_the_image_only(tmp_path: Path) -> None:
    model = model_bytes("plain", 32)
    manifest = manifest_for(model, strength=None)
    assert manifest["model"]["inputs"] == ["image"] and manifest["strength"] is None
    assert validate_manifest(manifest) == []
    image = np.full((32, 32, 3), 100, np.uint8)
    assert load_preset(write_bundle(tmp_path / "plain", manifest, model)).apply(image).shape == image.shape


def test_alignment_and_preview_sections_validate() -> None:
    alignment = alignment_section(32, aligner="toyfaces")
    manifest = manifest_for(model_bytes("additive", 32), alignment=alignment, preview="preview.png")
    assert validate_manifest(manifest) == []
    manifest["alignment"]["landmarks"]["left_eye"][0] = -5.0  # the caller's section is copied, not shared
    assert alignment["landmarks"]["left_eye"][0] != -5.0


def test_an_extension_without_the_x_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must start with 'x-', got \['distill'\]"):
        manifest_for(model_bytes("additive", 32), extensions={"distill": {}})


def test_invalid_fields_are_left_to_the_validator_to_name() -> None:
    manifest = manifest_for(model_bytes("additive", 32), name="Bad Name",
                            strength=StrengthRange(min=0.0, max=1.0, default=3.0))
    problems = validate_manifest(manifest)
    assert any(p.startswith("name: expected a name") for p in problems)
    assert any(p.startswith("strength: expected min <= default <= max") for p in problems)


def test_fixture_bundles_come_from_the_builder(tmp_path: Path) -> None:
    for kind in ("additive", "plain"):
        manifest = read_bundle(build_preset(tmp_path / kind, name=kind, kind=kind)).manifest
        assert manifest == rebuilt_manifest(manifest)


def test_demo_script_bundle_comes_from_the_builder(tmp_path: Path) -> None:
    assert load_script("build_demo_preset").main([str(tmp_path / "demo"), "--resolution", "32"]) == 0
    manifest = read_bundle(tmp_path / "demo").manifest
    assert manifest == rebuilt_manifest(manifest)
    assert manifest["provenance"]["direction_source"] == "hand-built"


def test_a_manifest_with_a_key_the_builder_does_not_write_is_told_apart() -> None:
    manifest = manifest_for(model_bytes("additive", 32))
    manifest["io"]["gamma"] = 2.2
    assert manifest != rebuilt_manifest(manifest)
