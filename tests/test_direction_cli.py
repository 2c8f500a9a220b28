"""``latentroom direction list|find|show|evaluate|components`` end to end on a small
random StyleGAN2 checkpoint (``--generator stylegan2:PATH``), scored by pixel
statistics through ``--scorer module:factory``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import latentroom.engine.plugins as plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction

SCORER = "latentroom.plugins.directions.testing:image_stats_scorer"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, tiny_stylegan2())
    return path


@pytest.fixture(autouse=True)
def fresh_registry():
    plugins.reset()
    yield
    plugins.reset()


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def fail(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code != 0 and not isinstance(result.exception, (AssertionError, TypeError, KeyError)), \
        result.output
    return result.output


def test_list() -> None:
    rows = json.loads(invoke("direction", "list", "--json"))
    assert {r["name"] for r in rows} >= {"mean-difference", "linear-boundary", "ganspace", "sefa"}
    assert all(r["plugin"] == "directions" for r in rows if r["name"] == "sefa")
    text = invoke("direction", "list")
    assert "linear-boundary" in text and "InterFaceGAN" in text


def test_find_show_evaluate(checkpoint: Path, tmp_path: Path) -> None:
    spec = f"stylegan2:{checkpoint}"
    out = tmp_path / "bright.json"
    text = invoke("direction", "find", "linear-boundary", "--attribute", "brightness", "--generator", spec,
                  "--scorer", SCORER, "--samples", "120", "--layers", "0-3", "--condition-on", "redness",
                  "--seed", "3", "-o", str(out), "--device", "cpu")
    assert f"wrote {out}" in text
    direction = Direction.load(out)
    assert direction.layers == (0, 1, 2, 3) and direction.provenance.generator == spec
    params = direction.provenance.parameters
    assert (params["samples"], params["seed"], params["condition_on"], params["scorer"]) == (120, 3, ["redness"], SCORER)
    assert direction.provenance.weights_sha256  # the checkpoint's hash

    meta = json.loads(invoke("direction", "show", str(out), "--json"))
    assert meta["layer_spec"] == "0-3" and meta["provenance"]["source"] == "linear-boundary"
    shown = invoke("direction", "show", str(out))
    assert "brightness" in shown and "0-3 (4 of 6)" in shown

    strip = tmp_path / "strip.png"
    report = json.loads(invoke("direction", "evaluate", str(out), "--scorer", SCORER, "--samples", "40",
                               "--strip", str(strip), "--strip-rows", "2", "--json", "--device", "cpu"))
    assert report["attribute"] == "brightness" and report["samples"] == 40
    assert set(report["change"]) == {"brightness", "redness", "greenness", "left_right", "top_bottom", "contrast"}
    assert report["target_change"] > 0  # positive strength brightens
    with Image.open(strip) as image:
        assert image.size == (5 * 16, 2 * 16)  # strengths -2..2 across, samples down
    human = invoke("direction", "evaluate", str(out), "--scorer", SCORER, "--samples", "20",
                   "--strengths", "-2,-1,0,1,2", "--device", "cpu")
    assert "<- target" in human and "p10 -> p90" in human


@pytest.mark.parametrize("source, extra", [
    ("mean-difference", []),
    ("ganspace", ["--param", "pca_samples=500"]),
    ("sefa", ["--param", "components=8", "--layers", "coarse"]),
    ("linear-boundary", ["--condition-on", "greenness", "--param", "condition_by=response"]),
    ("stylespace", ["--param", "channels=2", "--layers", "middle"]),
])
def test_find_with_each_source(checkpoint: Path, tmp_path: Path, source: str, extra: list[str]) -> None:
    out = tmp_path / f"{source}.json"
    meta = json.loads(invoke("direction", "find", source, "-a", "redness", "--generator", f"stylegan2:{checkpoint}",
                             "--scorer", SCORER, "--samples", "60", "-o", str(out), "--json", "--device", "cpu",
                             *extra))
    assert meta["provenance"]["source"] == source and meta["attribute"] == "redness"
    assert Direction.load(out).provenance.source == source
    if source == "stylespace":
        assert len(meta["provenance"]["details"]["channels"]) == 2
        assert meta["layers"] == [meta["provenance"]["details"]["layer"]] and meta["layers"][0] in (2, 3)
    if "--condition-on" in extra:
        assert meta["provenance"]["parameters"]["condition_by"] == "response"
        assert abs(meta["provenance"]["details"]["conditioned_on"]["greenness"]["cosine_after"]) < 1e-9


def test_find_with_joined_scorers_and_evaluate_from_the_record(checkpoint: Path, tmp_path: Path) -> None:
    # Two --scorer: the first reads brightness, the second adds saturation, which
    # optimized then holds still; the file records both, so evaluate finds them again.
    spread = "latentroom.plugins.directions.testing:channel_spread_scorer"
    out = tmp_path / "joined.json"
    meta = json.loads(invoke("direction", "find", "optimized", "-a", "brightness", "--generator",
                             f"stylegan2:{checkpoint}", "--scorer", SCORER, "--scorer", spread, "--samples", "40",
                             "--param", "steps=3", "--param", "batch_size=4", "--layers", "coarse", "-o", str(out),
                             "--json", "--device", "cpu"))
    assert meta["provenance"]["parameters"]["scorer"] == [SCORER, spread]
    report = json.loads(invoke("direction", "evaluate", str(out), "--samples", "8", "--json", "--device", "cpu"))
    assert set(report["change"]) == {"brightness", "redness", "greenness", "left_right", "top_bottom", "contrast",
                                     "saturation"}
    assert "Repeat to join scorers" in invoke("direction", "find", "--help")


def test_components(checkpoint: Path) -> None:
    rows = json.loads(invoke("direction", "components", "sefa", "--generator", f"stylegan2:{checkpoint}",
                             "--scorer", SCORER, "--samples", "40", "--count", "3", "--json", "--device", "cpu"))
    assert [r["index"] for r in rows] == [0, 1, 2]
    assert all(r["label"] in r["correlations"] for r in rows)
    assert rows[0]["strength"] >= rows[1]["strength"] >= rows[2]["strength"]


def test_user_errors_are_clean(checkpoint: Path, tmp_path: Path) -> None:
    spec = f"stylegan2:{checkpoint}"
    assert "unknown direction source 'nope'" in fail(
        "direction", "find", "nope", "-a", "x", "--generator", spec, "-o", str(tmp_path / "x.json"))
    assert "--scorer 'nocolon': unknown scorer (registered: onnx, text, toyfaces-classifier" in fail(
        "direction", "find", "sefa", "-a", "x", "--generator", spec, "--scorer", "nocolon", "-o", str(tmp_path / "x"))
    assert "unknown attribute 'wings'" in fail(
        "direction", "find", "mean-difference", "-a", "wings", "--generator", spec, "--scorer", SCORER,
        "--samples", "8", "-o", str(tmp_path / "x"), "--device", "cpu")
    assert "out of range" in fail(
        "direction", "find", "mean-difference", "-a", "redness", "--generator", spec, "--scorer", SCORER,
        "--layers", "0-40", "-o", str(tmp_path / "x"), "--device", "cpu")
    assert "no such direction file" in fail("direction", "show", str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert "bad.json: not valid JSON" in fail("direction", "evaluate", str(bad))


def test_evaluate_refuses_a_direction_for_another_generator(checkpoint: Path, tmp_path: Path) -> None:
    from latentroom.engine.direction import Provenance

    other = Direction.from_vector(np.ones(7), 4, Provenance("t", "brightness", generator=f"stylegan2:{checkpoint}"))
    other.save(tmp_path / "other.json")
    assert "other.json: direction is for [4, 7] latents, the generator takes [6, 32]" in fail(
        "direction", "evaluate", str(tmp_path / "other.json"), "--scorer", SCORER, "--device", "cpu")


def test_evaluate_needs_a_scorer_reporting_the_attribute(checkpoint: Path, tmp_path: Path) -> None:
    from latentroom.engine.direction import Provenance
    from latentroom.plugins.directions.testing import tiny_stylegan2

    g = tiny_stylegan2()
    smile = Direction.from_vector(np.ones(g.style_dim), g.n_latent,
                                  Provenance("t", "smile", generator=f"stylegan2:{checkpoint}"))
    smile.save(tmp_path / "smile.json")
    assert "unknown attribute 'smile' for scorer latentroom.plugins.directions.testing:image_stats_scorer" in fail(
        "direction", "evaluate", str(tmp_path / "smile.json"), "--scorer", SCORER, "--samples", "4", "--device", "cpu")
