"""scripts/measure_directions.py end to end on a tiny random StyleGAN2 (small numbers)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.direction import Direction
from script_loader import load_script


def test_measure_directions_dry_run(tmp_path: Path) -> None:
    from plugins.directions.testing import tiny_stylegan2
    from plugins.stylegan2.checkpoint import save_checkpoint

    measure = load_script("measure_directions")
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_stylegan2())
    doc = tmp_path / "doc.md"
    doc.write_text(f"# x\n\n## Measurements\n\n{measure.DOC_START}\npending\n{measure.DOC_END}\n\ntail\n")
    measure.ROOT = tmp_path  # --update-docs writes tmp_path/docs/directions.md
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "directions.md").write_text(doc.read_text())
    out, shipped = tmp_path / "out", tmp_path / "shipped"
    result = CliRunner().invoke(measure.main, [
        "--generator", f"stylegan2:{checkpoint}", "--scorer", "plugins.directions.testing:image_stats_scorer",
        "--attributes", "brightness,redness", "--pair", "redness,greenness", "--find-samples", "80",
        "--eval-samples", "24", "--pca-samples", "500", "--device", "cpu", "--out-dir", str(out),
        "--shipped", str(shipped), "--update-docs",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    results = json.loads((out / "directions.json").read_text())
    assert set(results["by_attribute"]) == {"brightness", "redness"}
    # five sources, each on all, coarse, middle and fine layers
    rows = results["by_attribute"]["brightness"]
    assert len(rows) == 5 * 4
    assert {(r["source"], r["layers"]) for r in rows} >= {("sefa", "fine"), ("ganspace", "coarse")}
    assert {r["source"] for r in results["by_attribute"]["redness"]} == {
        "mean-difference", "linear-boundary", "ganspace", "sefa", "optimized"}
    assert [row["target"] for row in results["conditional"]["rows"]] == ["redness", "greenness"]
    table = (out / "directions_table.md").read_text()
    assert "| brightness | sefa |" in table and "Conditional manipulation" in table
    updated = (tmp_path / "docs" / "directions.md").read_text()
    assert "pending" not in updated and table.strip() in updated and updated.endswith("tail\n")
    shipped_names = sorted(p.name for p in shipped.glob("*.json"))
    assert shipped_names == ["brightness.json", "greenness-keep-redness.json", "redness-keep-greenness.json",
                             "redness.json"]
    best = Direction.load(shipped / "brightness.json")
    assert best.provenance.generator == f"stylegan2:{checkpoint}"
    assert best.layer_spec == results["best"]["brightness"]["layers"]


def test_rank_prefers_reachable_edits_over_clean_but_useless_ones() -> None:
    rank_key = load_script("measure_directions").rank_key
    base = {"meets_criterion": False, "within_range": False}
    clean_but_tiny = {**base, "target_change": 0.005, "others_max_abs": 0.001, "strength_p10_to_p90": 134.0}
    usable = {**base, "target_change": 0.1, "others_max_abs": 0.2, "strength_p10_to_p90": 7.0}
    in_range = {**base, "within_range": True, "target_change": 0.3, "others_max_abs": 0.2,
                "strength_p10_to_p90": 2.5}
    meets = {"meets_criterion": True, "within_range": True, "target_change": 0.3, "others_max_abs": 0.05,
             "strength_p10_to_p90": 2.5}
    wrong_way = {**base, "target_change": -0.1, "others_max_abs": 0.0, "strength_p10_to_p90": float("nan")}
    ranked = sorted([wrong_way, clean_but_tiny, usable, in_range, meets], key=rank_key)
    assert ranked == [meets, in_range, usable, clean_but_tiny, wrong_way]


def test_rank_puts_the_edit_closest_to_the_true_one_first_and_ships_a_reachable_range() -> None:
    measure = load_script("measure_directions")
    base = {"meets_criterion": False, "within_range": False, "others_max_abs": 0.1}
    broken = {**base, "target_change": 0.1, "strength_p10_to_p90": 7.0, "truth": {"ratio": 14.0, "strength": 3.5}}
    clean = {**base, "target_change": 0.05, "strength_p10_to_p90": 13.0, "truth": {"ratio": 2.5, "strength": 6.5}}
    unmeasured = {**base, "within_range": True, "target_change": 0.3, "strength_p10_to_p90": 2.5}
    meets = {**base, "meets_criterion": True, "within_range": True, "target_change": 0.3,
             "strength_p10_to_p90": 2.5, "truth": {"ratio": 30.0, "strength": 1.25}}
    assert sorted([unmeasured, broken, clean, meets], key=measure.rank_key) == [meets, clean, broken, unmeasured]
    # half of 13 standard deviations, rounded up; never below the default 3; capped where truth is measured
    assert measure.shipped_range(clean) == (-7.0, 7.0)
    assert measure.shipped_range(meets) == (-3.0, 3.0)
    assert measure.shipped_range({**clean, "strength_p10_to_p90": 40.0}) == (-12.0, 12.0)
    assert measure.truth_strength({**clean, "target_change": -0.1}) is None
