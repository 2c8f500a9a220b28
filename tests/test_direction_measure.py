"""scripts/measure_directions.py end to end on a tiny random StyleGAN2 (small numbers)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from latentroom.engine.direction import Direction
from script_loader import load_script


def test_measure_directions_dry_run(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    measure = load_script("measure_directions")
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_stylegan2())
    doc = tmp_path / "doc.md"
    doc.write_text(f"# x\n\n## Measurements\n\n{measure.DOC_START}\npending\n{measure.DOC_END}\n\ntail\n")
    measure.ROOT = tmp_path  # --update-docs writes tmp_path/docs/directions.md
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "directions.md").write_text(doc.read_text())
    out, shipped = tmp_path / "out", tmp_path / "shipped"
    result = CliRunner().invoke(measure.main, [
        "--generator", f"stylegan2:{checkpoint}", "--scorer", "latentroom.plugins.directions.testing:image_stats_scorer",
        "--attributes", "brightness,redness", "--pair", "redness,greenness", "--find-samples", "80",
        "--eval-samples", "24", "--pca-samples", "500", "--device", "cpu", "--out-dir", str(out),
        "--shipped", str(shipped), "--ship", "--update-docs",
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
    assert [(row["target"], row["condition_by"]) for row in results["conditional"]["rows"]] == [
        ("redness", "boundary"), ("redness", "response"), ("greenness", "boundary"), ("greenness", "response")]
    # no renderer truth for this scorer: the finders' default range ships, checked as it is
    assert results["best"]["brightness"]["suggested_range"] == [-3.0, 3.0]
    assert "realism_high" not in results["best"]["brightness"]
    table = (out / "directions_table.md").read_text()
    assert "| brightness | sefa |" in table and "Conditional manipulation" in table
    updated = (tmp_path / "docs" / "directions.md").read_text()
    assert "pending" not in updated and table.strip() in updated and updated.endswith("tail\n")
    shipped_names = sorted(p.name for p in shipped.glob("*.json"))
    assert shipped_names == sorted(p.name for p in (out / "files").glob("*.json")) == ["brightness.json", "greenness-keep-redness-by-response.json",
                             "greenness-keep-redness.json", "redness-keep-greenness-by-response.json",
                             "redness-keep-greenness.json", "redness.json"]
    by_response = Direction.load(shipped / "redness-keep-greenness-by-response.json")
    assert by_response.provenance.parameters["condition_by"] == "response"
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


def test_rank_puts_the_edit_closest_to_the_true_one_first() -> None:
    measure = load_script("measure_directions")
    base = {"meets_criterion": False, "within_range": False, "others_max_abs": 0.1}
    broken = {**base, "target_change": 0.1, "strength_p10_to_p90": 7.0, "truth": {"ratio": 14.0, "strength": 3.5}}
    clean = {**base, "target_change": 0.05, "strength_p10_to_p90": 13.0, "truth": {"ratio": 2.5, "strength": 6.5}}
    unmeasured = {**base, "within_range": True, "target_change": 0.3, "strength_p10_to_p90": 2.5}
    meets = {**base, "meets_criterion": True, "within_range": True, "target_change": 0.3,
             "strength_p10_to_p90": 2.5, "truth": {"ratio": 30.0, "strength": 1.25}}
    assert sorted([unmeasured, broken, clean, meets], key=measure.rank_key) == [meets, clean, broken, unmeasured]
    assert measure.truth_strength(clean) == 6.5
    assert measure.truth_strength({**clean, "strength_p10_to_p90": 40.0}) == measure.TRUTH_MAX_STRENGTH
    assert measure.truth_strength({**clean, "target_change": -0.1}) is None


def test_realistic_reach_stops_at_the_first_strength_past_the_limit() -> None:
    measure = load_script("measure_directions")
    asked: list[float] = []

    def ratio_at(strength: float) -> float:
        asked.append(strength)
        return {1.0: 1.1, 2.0: 1.4, 3.0: 1.9, 4.0: 2.6, 6.0: 1.5}.get(strength, 9.0)

    reach, points = measure.realistic_reach(ratio_at, grid=(1.0, 2.0, 3.0, 4.0, 6.0), limit=2.0)
    # 6 would pass again, but the range must be realistic at every strength inside it
    assert reach == 3.0 and asked == [1.0, 2.0, 3.0, 4.0]
    assert points[-1] == {"strength": 4.0, "ratio": 2.6}
    # even the first step too far: the floor of the grid, with the failure on record
    reach, points = measure.realistic_reach(lambda s: 5.0, grid=(1.0, 2.0), limit=2.0)
    assert reach == 1.0 and points == [{"strength": 1.0, "ratio": 5.0}]


def test_criterion_is_checked_against_the_given_range_on_both_sides() -> None:
    measure = load_script("measure_directions")
    report = {"isolated": True, "strength_p10_to_p90": 7.5}
    assert not measure.criterion_at(report, (-3.0, 3.0))
    assert measure.criterion_at(report, (-8.0, 8.0))
    assert not measure.criterion_at(report, (-6.0, 12.0))  # the way down must reach too
    assert not measure.criterion_at({**report, "isolated": False}, (-8.0, 8.0))


def test_measuring_leaves_the_shipped_directions_alone_without_ship(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    measure = load_script("measure_directions")
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_stylegan2())
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "brightness.json").write_text("the file the presets were authored from")
    result = CliRunner().invoke(measure.main, [
        "--generator", f"stylegan2:{checkpoint}", "--scorer", "latentroom.plugins.directions.testing:image_stats_scorer",
        "--attributes", "brightness", "--sources", "mean-difference", "--pair", "", "--find-samples", "40",
        "--eval-samples", "8", "--no-layer-search", "--device", "cpu", "--out-dir", str(tmp_path / "out"),
        "--shipped", str(shipped),
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (shipped / "brightness.json").read_text() == "the file the presets were authored from"
    assert sorted(p.name for p in shipped.iterdir()) == ["brightness.json"]
    assert Direction.load(tmp_path / "out" / "files" / "brightness.json").attribute == "brightness"


def test_layer_search_finds_on_each_group_with_source_parameters(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    measure = load_script("measure_directions")
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_stylegan2())
    args = ["--generator", f"stylegan2:{checkpoint}", "--scorer", "latentroom.plugins.directions.testing:image_stats_scorer",
            "--attributes", "brightness", "--sources", "sefa,optimized", "--pair", "", "--find-samples", "40",
            "--eval-samples", "8", "--layer-groups", "coarse", "--device", "cpu", "--out-dir", str(tmp_path / "out")]
    result = CliRunner().invoke(measure.main, [*args, "--source-param", "optimized.steps=3",
                                               "--source-param", "optimized.lr=0.05"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "out" / "directions.json").read_text())
    assert results["config"]["source_params"] == {"optimized": {"steps": 3, "lr": 0.05}}
    assert sorted((r["source"], r["layers"]) for r in results["by_attribute"]["brightness"]) == [
        ("optimized", "all"), ("optimized", "coarse"), ("sefa", "all"), ("sefa", "coarse")]
    best = Direction.load(tmp_path / "out" / "files" / "brightness.json")
    # found on its layers (SeFa factorises only them, optimized trains under them), not masked afterwards
    assert best.provenance.parameters["layers"] == best.layer_spec
    if best.provenance.source == "optimized":
        assert best.provenance.parameters["steps"] == 3

    for bad, message in (("optimized.steps", "SOURCE.KEY=VALUE"), ("ganspace.k=2", "not among the measured")):
        result = CliRunner().invoke(measure.main, [*args, "--source-param", bad])
        assert result.exit_code == 2 and message in result.output, result.output


def test_the_best_is_the_first_shortlisted_direction_that_meets_the_criterion_at_its_realistic_range() -> None:
    measure = load_script("measure_directions")
    ranked = [({"name": name}, name) for name in ("closest", "second", "third", "fourth")]
    judged = []

    def meets(verdicts):
        def judge(report, direction):
            judged.append(direction)
            return verdicts[direction], f"{direction} with its range"
        return judge

    best = measure.choose_best(ranked, meets({"closest": False, "second": True, "third": True}), candidates=3)
    assert best == ({"name": "second"}, "second with its range") and judged == ["closest", "second", "third"]
    judged.clear()
    # none meets it: the best-ranked, carrying its own measured range; no more than `candidates` measured
    best = measure.choose_best(ranked, meets(dict.fromkeys(["closest", "second", "third", "fourth"], False)),
                               candidates=3)
    assert best == ({"name": "closest"}, "closest with its range") and judged == ["closest", "second", "third"]


def test_parts_measured_apart_merge_into_one_table(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    measure = load_script("measure_directions")
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_stylegan2())
    measure.ROOT = tmp_path  # --update-docs writes tmp_path/docs/directions.md
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "directions.md"
    doc.write_text(f"# x\n\n{measure.DOC_START}\npending\n{measure.DOC_END}\n")
    common = ["--generator", f"stylegan2:{checkpoint}", "--scorer", "latentroom.plugins.directions.testing:image_stats_scorer",
              "--sources", "mean-difference,linear-boundary", "--find-samples", "40", "--eval-samples", "8",
              "--no-layer-search", "--device", "cpu"]
    parts = {"a": ["--attributes", "brightness", "--pair", ""],
             "b": ["--attributes", "redness", "--pair", "redness,greenness"]}
    for name, args in parts.items():
        result = CliRunner().invoke(measure.main, [*common, *args, "--out-dir", str(tmp_path / name)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
    records = {name: json.loads((tmp_path / name / "directions.json").read_text()) for name in parts}

    merged_dir = tmp_path / "merged"
    result = CliRunner().invoke(measure.main, ["--merge", str(tmp_path / "a" / "directions.json"), "--merge",
                                               str(tmp_path / "b" / "directions.json"), "--out-dir", str(merged_dir),
                                               "--update-docs"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    merged = json.loads((merged_dir / "directions.json").read_text())
    assert merged["by_attribute"] == {**records["a"]["by_attribute"], **records["b"]["by_attribute"]}
    assert list(merged["best"]) == ["brightness", "redness"]
    assert merged["conditional"] == records["b"]["conditional"]
    assert merged["seconds"] == records["a"]["seconds"] + records["b"]["seconds"]
    assert [p["attributes"] for p in merged["parts"]] == [["brightness"], ["redness"]]
    table = (merged_dir / "directions_table.md").read_text()
    assert "| brightness | mean-difference |" in table and "| redness | linear-boundary |" in table
    assert "in 2 parts" in table and "Conditional manipulation" in table
    assert table.strip() in doc.read_text()

    def refused(*paths: Path) -> str:
        result = CliRunner().invoke(measure.main, [arg for p in paths for arg in ("--merge", str(p))]
                                    + ["--out-dir", str(tmp_path / "refused")])
        assert result.exit_code == 2 and not (tmp_path / "refused").exists()
        return result.output

    other = tmp_path / "other.json"
    other.write_text(json.dumps({**records["a"], "config": {**records["a"]["config"], "find_samples": 80}}))
    message = refused(tmp_path / "b" / "directions.json", other)
    assert f"{other}: measured with find_samples = 80" in message and "40" in message
    assert "measured by an earlier part too" in refused(tmp_path / "a" / "directions.json",
                                                        tmp_path / "a" / "directions.json")
    with_pair = tmp_path / "with_pair.json"
    with_pair.write_text(json.dumps({**records["a"], "conditional": records["b"]["conditional"]}))
    assert "conditional pair was measured by" in refused(tmp_path / "b" / "directions.json", with_pair)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert f"{broken}: not a readable directions.json record" in refused(broken)
