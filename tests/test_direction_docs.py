"""docs/plugins.md's third-party direction source example really works, and
docs/directions.md keeps the Measurements section the measurement script fills."""

from __future__ import annotations

import importlib
import json
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import latentroom.engine.plugins as plugins
from latentroom.engine.direction import Direction
from script_loader import load_script
from test_plugins import run_cli, write_dist

ROOT = Path(__file__).resolve().parents[1]
PLUGINS_DOC = (ROOT / "docs" / "plugins.md").read_text()
DIRECTIONS_DOC = (ROOT / "docs" / "directions.md").read_text()
SCORER = "latentroom.plugins.directions.testing:image_stats_scorer"


def example_files() -> dict[str, str]:
    blocks = re.findall(r"^```\w*\n# (latentroom-fisher/\S+)\n(.*?)^```$", PLUGINS_DOC, re.MULTILINE | re.DOTALL)
    return dict(blocks)


@pytest.fixture(scope="module")
def fisher_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = example_files()
    project = tomllib.loads(files.pop("latentroom-fisher/pyproject.toml"))["project"]
    [(path, code)] = files.items()
    root = tmp_path_factory.mktemp("fisher")
    write_dist(root, project["name"], {Path(path).stem: code}, project["entry-points"]["latentroom"],
               version=project["version"])
    return root


def test_example_source_is_listed_and_finds_from_the_cli(fisher_dist: Path, tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_stylegan2())
    # The built-ins (stylegan2 for the generator, directions) load too.
    env = {"LATENTROOM_DISABLE_PLUGINS": "toyfaces", "PYTHONPATH": f"{fisher_dist}:{ROOT}"}
    listing = run_cli(fisher_dist, "direction", "list", "--json", **env)
    assert listing.returncode == 0, listing.stderr
    rows = {r["name"]: r for r in json.loads(listing.stdout)}
    assert rows["fisher"]["plugin"] == "fisher" and "sefa" in rows
    out = tmp_path / "red.json"
    found = run_cli(fisher_dist, "direction", "find", "fisher", "--attribute", "redness", "--generator",
                    f"stylegan2:{checkpoint}", "--scorer", SCORER, "--samples", "80", "--layers", "middle",
                    "--param", "shrinkage=0.3", "--device", "cpu", "-o", str(out), **env)
    assert found.returncode == 0, found.stderr
    direction = Direction.load(out)
    assert direction.provenance.source == "fisher" and direction.layer_spec == "middle"
    assert direction.provenance.parameters["shrinkage"] == 0.3
    refused = run_cli(fisher_dist, "direction", "find", "fisher", "--attribute", "redness", "--generator",
                      f"stylegan2:{checkpoint}", "--scorer", SCORER, "--condition-on", "brightness",
                      "--device", "cpu", "-o", str(out), **env)
    assert refused.returncode != 0 and "does not support --condition-on" in refused.stderr


def test_example_source_recovers_a_planted_direction(fisher_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from latentroom.plugins.directions.testing import planted_world

    monkeypatch.syspath_prepend(str(fisher_dist))
    module = importlib.import_module("latentroom_fisher")
    monkeypatch.setenv("LATENTROOM_LOAD_PLUGINS", "")
    plugins.reset()
    try:
        plugins.register_plugin(module, name="fisher")
        generator, scorer = planted_world()
        source = plugins.get_direction_source("fisher").value()
        direction = source.find(generator, "beard", scorer=scorer, samples=2000)
        truth = scorer.vectors["beard"]
        assert float(direction.vector @ truth) / np.linalg.norm(truth) >= 0.99
    finally:
        plugins.reset()
        sys.modules.pop("latentroom_fisher", None)


def test_directions_doc_has_a_measurements_section_for_the_script() -> None:
    measure = load_script("measure_directions")
    assert re.search(r"^## Measurements$", DIRECTIONS_DOC, re.MULTILINE)
    start, end = DIRECTIONS_DOC.index(measure.DOC_START), DIRECTIONS_DOC.index(measure.DOC_END)
    assert start < end
    for heading in ("`mean-difference`", "`linear-boundary` (InterFaceGAN)", "`ganspace`", "`sefa`", "`optimized`"):
        assert f"### {heading}" in DIRECTIONS_DOC
