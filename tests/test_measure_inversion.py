"""scripts/measure_inversion.py on a few renders, CPU (small numbers; timing aside)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from script_loader import load_script


def test_hybrid_options_reach_the_inverter_and_are_recorded(tmp_path: Path) -> None:
    measure = load_script("measure_inversion")
    out = tmp_path / "inv.json"
    result = CliRunner().invoke(measure.main, [
        "--methods", "hybrid", "--n", "2", "--batch-size", "2", "--device", "cpu", "--hybrid-steps", "1",
        "--hybrid-option", "lr=0.05", "--hybrid-option", "features=none", "--out-json", str(out),
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())["results"]["hybrid"]
    assert record["options"]["lr"] == 0.05 and record["options"]["steps"] == 1
    assert record["features"] == "none" and record["psnr_db"] > 10


def test_a_hybrid_option_without_a_value_is_refused(tmp_path: Path) -> None:
    measure = load_script("measure_inversion")
    result = CliRunner().invoke(measure.main, ["--methods", "hybrid", "--hybrid-option", "lr",
                                               "--out-json", str(tmp_path / "x.json")])
    assert result.exit_code != 0 and "--hybrid-option 'lr': expected KEY=VALUE" in result.output
