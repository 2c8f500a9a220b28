"""Text to preset end to end at tiny size: ``latentroom direction find text`` with the
shipped toyfaces-clip on a small random StyleGAN2 checkpoint, then ``latentroom author``
with the direction file it wrote, like any other direction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import latentroom.engine.plugins as plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction

SCORER = "latentroom.plugins.directions.testing:image_stats_scorer"


@pytest.fixture(autouse=True)
def fresh_registry():
    plugins.reset()
    torch.set_num_threads(1)
    yield
    plugins.reset()


def invoke(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_text_direction_becomes_a_preset(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    ckpt = save_checkpoint(tmp_path / "g.pt", tiny_stylegan2(size=32))
    listed = invoke("direction", "list")
    assert "text " in listed and "[textimage]" in listed
    spec = f"stylegan2:{ckpt}"
    meta = json.loads(invoke("direction", "find", "text", "-a", "brightness", "--generator", spec, "--scorer", SCORER,
                             "--param", "text=a face with white hair", "--param", "model=toyfaces-clip",
                             "--param", "relevance_samples=1",
                             "--param", f"relevance_cache={tmp_path / 'relevance.npz'}",
                             "--param", "beta=0.05", "--layers", "0-3",
                             "-o", tmp_path / "white.json", "--json"))
    assert meta["provenance"]["source"] == "text"
    assert meta["provenance"]["parameters"]["text"] == "a face with white hair"
    assert meta["provenance"]["details"]["model"] == "toyfaces-clip"
    assert (tmp_path / "relevance.npz").is_file()
    direction = Direction.load(tmp_path / "white.json")
    assert direction.layers == (0, 1, 2, 3)

    # The author scores its quality with the direction's attribute, so the random
    # generator's direction is labelled with a pixel statistic the test scorer reports.
    out = tmp_path / "white-preset"
    invoke("author", "white-hair", "--direction", tmp_path / "white.json", "--generator", spec,
           "--strength-range", "-2,2", "--steps", "4", "--batch-size", "2", "--seed", "1",
           "--widths", "8,16,16", "--eval-images", "4", "--held-out-pairs", "4", "--scorer", SCORER,
           "--inverter", "projector", "-O", "steps=2", "-O", "features=none", "--log-every", "2",
           "--author", "A. Tester", "--license", "CC-BY-4.0", "--title", "White hair (text)", "-o", out)
    manifest = json.loads((out / "preset.json").read_text())
    invoke("preset", "validate", out)
    assert manifest["provenance"]["direction_source"] == "text"
    assert manifest["provenance"]["layers"] == [0, 1, 2, 3]
    # The source's plugin is recorded as a requirement, as any source's is.
    assert {"textimage", "stylegan2", "inverters"} <= {p["name"] for p in manifest["requires_plugins"]}


def test_an_unknown_word_is_a_clean_error(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    ckpt = save_checkpoint(tmp_path / "g.pt", tiny_stylegan2(size=16))
    result = CliRunner().invoke(cli, ["direction", "find", "text", "-a", "brightness", "--generator", f"stylegan2:{ckpt}",
                                      "--scorer", SCORER, "--param", "text=a face with a moustache",
                                      "--param", "model=toyfaces-clip",
                                      "--param", "relevance_samples=1",
                                      "--param", f"relevance_cache={tmp_path / 'r.npz'}", "-o", tmp_path / "x.json"])
    assert result.exit_code != 0 and result.exception is not None
    assert "does not know the word(s) 'moustache'" in result.output
