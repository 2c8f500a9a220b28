"""Measure every direction source on a generator and write docs/directions.md's table.

For each source x attribute: find a direction (all sources share one set of labelled
samples), then measure on held-out samples the change per unit strength of the target
attribute and of every other attribute. Per attribute, the best source is checked
against the acceptance criterion (a strength inside the suggested range moves the
attribute from its data 10th to 90th percentile while every other attribute moves
less than 25 % as much). With ``--layer-search`` every source also finds its direction
on each of ``--layer-groups`` (coarse, middle, fine): found there, not masked
afterwards, since SeFa factorises only the group's weights and ``optimized`` trains
under the group's mask. ``--source-param optimized.step=6`` passes a source a
parameter. The conditional-manipulation experiment finds the linear boundary of one
attribute of a correlated pair with and without conditioning on the other, and
compares how much the other one leaks at equal target change.

On toyfaces with its classifier, every candidate that moves its attribute is also
measured against the renderer's true edit (``latentroom.plugins.toyfaces.truth``): at plus and
minus half the strength that spans the attribute's 10th-90th percentiles (at most
``TRUTH_MAX_STRENGTH``), the Fréchet distance between the edited generated faces and
renders edited by the same mean amount as the classifier reads it, relative to the
generator's own distance from the renders. Scores alone miss what the classifier does
not score and what breaks; this distance does not, so it ranks the candidates: the best
direction per attribute is the one meeting the criterion, else the one landing closest
to the true edit.

The suggested range is then measured, not assumed, for the ``REALISM_CANDIDATES``
best-ranked directions (the rank compares distances at half the needed strength, not
whether a range covers it), and the first of them meeting the criterion at its range
is the best. The *realistic range* reaches, on each side, the largest strength of
``REALISM_GRID`` up to which every step stays within ``REALISM_LIMIT`` times the
generator's own distance from the renders. The rule does not look at the strength the attribute needs; the
criterion is checked both at the finders' default range (+-3 standard deviations)
and at this range. Without the renderer's truth the default range ships.

The conditional experiment compares the linear boundary with and without
conditioning, both ways: projecting out the other attribute's boundary
(InterFaceGAN) and its response normal (the direction in which the generator's
images change it fastest).

A full run trains ``optimized`` four times per attribute, longer than one 10-minute
device call; run it in parts (``--attributes`` and ``--pair`` split between
processes, each with its own ``--out-dir``, the same settings otherwise), then
``--merge OUT1/directions.json --merge OUT2/directions.json`` joins their records
into one and writes the table from it without measuring anything. Parts side by side
on one machine need their own share of its cores (``OMP_NUM_THREADS``): BLAS threads
of two processes on every core stall the linear boundary's cross-validation.

Outputs: ``OUT/directions.json`` (every report), ``OUT/directions_table.md``, the best
and the conditioned directions in ``OUT/files`` (NAME.json + NAME.npy), with ``--ship``
also in ``--shipped`` (replacing the files the bundled presets were authored from:
re-author them after), and with ``--update-docs`` the Measurements section of
docs/directions.md (between its marker comments).

Usage (trained toyfaces generator, CUDA)::

    python scripts/measure_directions.py --update-docs

Dry run on a random StyleGAN2 with a pixel-statistics scorer (CPU, about a minute)::

    python scripts/measure_directions.py --generator stylegan2:tiny.pt \\
        --scorer latentroom.plugins.directions.testing:image_stats_scorer \\
        --attributes brightness,redness,left_right --pair redness,greenness \\
        --quick --out-dir /tmp/measure
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import click
import numpy as np

from latentroom.engine.cli_options import device_option

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file from anywhere
    sys.path.insert(0, str(ROOT))

from latentroom.engine.atomic import atomic_write_text  # noqa: E402 (needs ROOT on sys.path)

DEFAULT_ATTRIBUTES = "smile,age,hair_length,glasses,beard"
DEFAULT_SOURCES = "mean-difference,linear-boundary,ganspace,sefa,optimized"
DOC_START = "<!-- measurements:start -->"
DOC_END = "<!-- measurements:end -->"
LEAK_REDUCTION_TARGET = 0.5
TRUTH_MAX_STRENGTH = 12.0  # ranking strength cap: beyond it even clean directions leave the data
# A realistic edit lands at most this many times the generator's own distance from
# the renders away from the true edit (1 = as close as unedited generated faces are).
REALISM_LIMIT = 2.0
REALISM_GRID = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0)
CONDITION_MODES = ("boundary", "response")
# How many of the best-ranked directions get their realistic range measured: the rank
# compares distances at half the needed strength, not whether the range covers it.
REALISM_CANDIDATES = 3


def rank_key(report: dict[str, Any]) -> tuple[bool, int, float]:
    """Best first: meets the criterion; then, where measured, closest to the renderer's
    true edit at the strength the attribute needs; then within range, least entangled
    first; then out of range, least strength needed first (an edit that needs 100
    standard deviations is useless however clean it is)."""
    target = report["target_change"]
    truth = report.get("truth")
    if truth is not None:
        return (not report["meets_criterion"], 0, truth["ratio"])
    if report["within_range"]:
        return (not report["meets_criterion"], 1, report["others_max_abs"] / target)
    needed = report["strength_p10_to_p90"]
    return (True, 2, needed if target > 0 and math.isfinite(needed) else math.inf)


def truth_strength(report: dict[str, Any]) -> float | None:
    """Half the strength spanning the 10th-90th percentiles (capped), or None when the
    direction does not move its attribute up."""
    needed = report["strength_p10_to_p90"]
    if not (report["target_change"] > 0 and math.isfinite(needed)) or needed > 4 * TRUTH_MAX_STRENGTH:
        return None
    return min(needed / 2, TRUTH_MAX_STRENGTH)


def realistic_reach(ratio_at: Callable[[float], float], grid: Sequence[float] = REALISM_GRID,
                    limit: float = REALISM_LIMIT) -> tuple[float, list[dict[str, float]]]:
    """The largest strength of ``grid`` (ascending, positive) up to which every
    ``ratio_at(strength)`` is at most ``limit`` (at least ``grid[0]``, the floor of a
    suggested range), and the points measured; measuring stops at the first failure."""
    reach, points = grid[0], []
    for strength in grid:
        ratio = ratio_at(strength)
        points.append({"strength": strength, "ratio": ratio})
        if ratio > limit:
            break
        reach = strength
    return reach, points


def criterion_at(report: dict[str, Any], strength_range: Sequence[float]) -> bool:
    """The acceptance check against ``strength_range``: isolated, and a strength inside
    it on either side moves a face from the 10th to the 90th percentile (or back)."""
    from latentroom.plugins.directions.evaluate import spans_percentiles

    return bool(report["isolated"] and spans_percentiles(report["strength_p10_to_p90"], strength_range))


def parse_source_params(items: Sequence[str], sources: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``SOURCE.KEY=VALUE`` items as ``{source: {key: value}}``; values are parsed as
    JSON where they can be (numbers, booleans), else kept as text."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, dot, rest = item.partition(".")
        key, eq, value = rest.partition("=")
        if not (dot and eq and key):
            raise click.BadParameter(f"{item!r}: expected SOURCE.KEY=VALUE", param_hint="--source-param")
        if name not in sources:
            raise click.BadParameter(f"{item!r}: '{name}' is not among the measured sources ({', '.join(sources)})",
                                     param_hint="--source-param")
        try:
            parsed: Any = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(name, {})[key] = parsed
    return out


def choose_best(ranked: Sequence[tuple[dict[str, Any], Any]],
                meets_at_realistic_range: Callable[[dict[str, Any], Any], tuple[bool, Any]],
                candidates: int = REALISM_CANDIDATES) -> tuple[dict[str, Any], Any]:
    """The first of the ``candidates`` best-ranked (report, direction) pairs that meets
    the criterion at its realistic range, else the best-ranked; ``meets_at_realistic_range``
    returns the verdict and the direction carrying its measured range."""
    judged = [(report, *meets_at_realistic_range(report, direction)) for report, direction in ranked[:candidates]]
    report, _, direction = next((j for j in judged if j[1]), judged[0])
    return report, direction


# Settings a part's record may hold on its own: which attributes it measured, and the
# generator's distance from the renders, recomputed by each part (GPU arithmetic can
# differ in the last digits).
PART_KEYS = ("attributes", "truth_generator_distance")


def merge_results(records: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One record from ``(name, record)`` pairs of runs that measured disjoint
    attributes (at most one of them the conditional pair) with the same settings."""
    first_name, first = records[0]
    settings = {k: v for k, v in first["config"].items() if k not in PART_KEYS}
    by_attribute: dict[str, Any] = {}
    best: dict[str, Any] = {}
    conditional, conditional_from = None, None
    parts = []
    for name, record in records:
        for key in sorted((set(settings) | set(record["config"])) - set(PART_KEYS)):
            if record["config"].get(key) != settings.get(key):
                raise click.UsageError(f"{name}: measured with {key} = {record['config'].get(key)!r}, "
                                       f"{first_name} with {settings.get(key)!r}; parts must share their settings")
        for attribute in record["by_attribute"]:
            if attribute in by_attribute:
                raise click.UsageError(f"{name}: '{attribute}' was measured by an earlier part too")
        if record.get("conditional"):
            if conditional is not None:
                raise click.UsageError(f"{name}: the conditional pair was measured by {conditional_from} too")
            conditional, conditional_from = record["conditional"], name
        by_attribute.update(record["by_attribute"])
        best.update(record["best"])
        parts.append({"record": name, "attributes": list(record["by_attribute"]),
                      "conditional": bool(record.get("conditional")), "seconds": record["seconds"],
                      "truth_generator_distance": record["config"].get("truth_generator_distance")})
    config = {**first["config"], "attributes": list(by_attribute)}
    return {"config": config, "by_attribute": by_attribute, "best": best, "conditional": conditional,
            "seconds": sum(part["seconds"] for part in parts), "parts": parts}


def leak(report: dict[str, Any], other: str) -> float:
    """Change of ``other`` per unit change of the target: comparable at equal target change."""
    target = report["target_change"]
    return abs(report["change"][other]) / target if target > 0 else math.inf


def fmt(value: float, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if math.isfinite(value) else "n/a"


def table_markdown(results: dict[str, Any]) -> str:
    cfg = results["config"]
    lines = [
        f"Generator `{cfg['generator']}` (weights sha256 `{cfg['weights_sha256'] or 'none'}`), scorer "
        f"`{cfg['scorer']}`, {cfg['find_samples']} labelled samples per find, {cfg['eval_samples']} held-out "
        f"samples per evaluation, strengths {cfg['strengths']}, device {cfg['device']}, "
        f"{results['seconds']:.0f} s" + (f" in {len(results['parts'])} parts" if results.get("parts") else "")
        + ". Changes are per unit of strength (one data standard deviation along the "
        "direction) on the scorer's 0-1 scale; \"others\" is over every other attribute the scorer reports. "
        + (f"Distance to true edit: at +- half the strength p10->p90 (at most {TRUTH_MAX_STRENGTH:g}), the Fréchet "
           "distance (classifier features) between edited generated faces and renders edited by the renderer by "
           f"the same mean amount as the classifier reads it, {cfg['truth_samples']} of each, as a multiple of the "
           "generator's own distance "
           f"from the renders ({cfg['truth_generator_distance']:.2f}); mean of the two signs."
           if cfg.get("truth_samples") else ""),
        "",
        "| attribute | source | layers | target change | mean abs. others | max abs. other | strength p10->p90 "
        "| distance to true edit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for attribute, rows in results["by_attribute"].items():
        for r in rows:
            worst = f"{r['others_max_abs']:.3f} ({r['others_max_attribute']})"
            lines.append(f"| {attribute} | {r['source']} | {r['layers']} | {fmt(r['target_change'])} | "
                         f"{r['others_mean_abs']:.3f} | {worst} | {fmt(r['strength_p10_to_p90'], 2)} | "
                         f"{truth_cell(r)} |")
    lines += ["", "Best direction per attribute, against the acceptance criterion: a strength inside the "
              "suggested range moves the attribute from its 10th to its 90th percentile, and every other "
              "attribute moves less than 25 % as much. Checked at the finders' default range and at the range "
              "written into the direction file" + (
                  f", its realistic range (every step within {REALISM_LIMIT:g}x the generator's own distance from "
                  "the true edit; the distances at its ends in brackets)" if cfg.get("truth_samples") else "") + ".",
              "",
              "| attribute | best | layers | p10 -> p90 | needs strength | worst other / target "
              "| distance to true edit | criterion at default range | suggested range | criterion at suggested range |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for attribute, r in results["best"].items():
        ratio = r["others_max_abs"] / r["target_change"] if r["target_change"] > 0 else math.inf
        low, high = r["suggested_range"]
        lines.append(f"| {attribute} | {r['source']} | {r['layers']} | {r['p10']:.2f} -> {r['p90']:.2f} | "
                     f"{fmt(r['strength_p10_to_p90'], 2)} | {ratio:.2f} ({r['others_max_attribute']}) | "
                     f"{truth_cell(r)} | {met(r['meets_criterion'])} at {r['strength_range'][0]:g}..."
                     f"{r['strength_range'][1]:g} | {low:g}..{high:g}{realism_ends(r)} | "
                     f"{met(r['meets_criterion_suggested'])} |")
    cond = results.get("conditional")
    if cond:
        lines += ["", f"Conditional manipulation (linear-boundary; pair {cond['pair'][0]} / {cond['pair'][1]}): "
                  "leak = change of the other attribute per unit change of the target, so directions are compared "
                  "at equal target change. Conditioning by `boundary` projects out the other attribute's boundary "
                  "normal (InterFaceGAN), by `response` the direction in which the generator's images change it "
                  f"fastest. Target: conditioning cuts the leak by at least {LEAK_REDUCTION_TARGET:.0%}.", "",
                  "| target | conditioned on | by | leak unconditional | leak conditional | target change per unit "
                  "(uncond. -> cond.) | reduction | target met |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in cond["rows"]:
            lines.append(f"| {row['target']} | {row['other']} | {row['condition_by']} | "
                         f"{row['leak_unconditional']:.3f} | {row['leak_conditional']:.3f} | "
                         f"{fmt(row['unconditional']['target_change'])} -> {fmt(row['conditional']['target_change'])} "
                         f"| {row['reduction']:.0%} | {'yes' if row['met'] else 'no'} |")
    return "\n".join(lines) + "\n"


def met(value: bool) -> str:
    return "met" if value else "not met"


def realism_ends(report: dict[str, Any]) -> str:
    """`` (1.4x / 1.9x)``: the distance to the true edit at the low and high end."""
    if "realism_high" not in report:
        return ""
    ends = []
    for side in ("low", "high"):
        reach = abs(report["suggested_range"][0 if side == "low" else 1])
        ends += [p["ratio"] for p in report[f"realism_{side}"] if p["strength"] == reach]
    return " (" + " / ".join(f"{r:.1f}x" for r in ends) + ")"


def truth_cell(report: dict[str, Any]) -> str:
    truth = report.get("truth")
    return f"{truth['ratio']:.1f}x (at +-{truth['strength']:.1f})" if truth else "n/a"


def write_docs_section(doc: Path, table: str) -> None:
    text = doc.read_text()
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        raise click.ClickException(f"{doc}: no {DOC_START} ... {DOC_END} markers to write between")
    atomic_write_text(doc, text[: start + len(DOC_START)] + "\n\n" + table + "\n" + text[end:])


@click.command()
@click.option("--generator", "spec", default="toyfaces", show_default=True, help="Generator spec.")
@click.option("--scorer", "scorer_spec", default=None, help="Registered scorer NAME[:ARGUMENT] or module:factory (default: the generator's own).")
@click.option("--attributes", default=DEFAULT_ATTRIBUTES, show_default=True)
@click.option("--sources", default=DEFAULT_SOURCES, show_default=True)
@click.option("--pair", default="beard,hair_length", show_default=True,
              help="Correlated pair for the conditional experiment ('' to skip).")
@click.option("--find-samples", type=int, default=4000, show_default=True)
@click.option("--eval-samples", type=int, default=1000, show_default=True)
@click.option("--pca-samples", type=int, default=20000, show_default=True)
@click.option("--strengths", default="-1,0,1", show_default=True, help="Evaluation strengths (slope fit).")
@click.option("--layer-search/--no-layer-search", default=True, show_default=True,
              help="Also find every source's direction on each of --layer-groups.")
@click.option("--layer-groups", default="coarse,middle,fine", show_default=True,
              help="Named layer groups the layer search finds directions on.")
@click.option("--source-param", "source_params", multiple=True, metavar="SOURCE.KEY=VALUE",
              help="An extra find parameter for one source, e.g. optimized.step=6 (repeatable).")
@click.option("--quick", is_flag=True,
              help="CPU budget: 400 find / 200 eval samples, 5000 PCA samples, no layer search.")
@click.option("--truth-samples", type=int, default=500, show_default=True,
              help="Samples per distance to the renderer's true edit (toyfaces classifier only; 0: off).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--batch-size", type=int, default=None, help="Default: 256 on CUDA, 16 on CPU.")
@device_option
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "out" / "directions",
              show_default=True)
@click.option("--shipped", type=click.Path(file_okay=False, path_type=Path),
              default=ROOT / "plugins" / "directions" / "shipped", show_default=True)
@click.option("--ship", is_flag=True, help="Also write the directions into --shipped (then re-author the presets).")
@click.option("--update-docs", is_flag=True, help="Write the tables into docs/directions.md.")
@click.option("--merge", "merge_paths", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Measure nothing: join these parts' directions.json records (repeatable) and write the table.")
def main(spec: str, scorer_spec: str | None, attributes: str, sources: str, pair: str, find_samples: int,
         eval_samples: int, pca_samples: int, strengths: str, layer_search: bool, layer_groups: str,
         source_params: tuple[str, ...], quick: bool, truth_samples: int,
         seed: int,
         batch_size: int | None, device: str, out_dir: Path, shipped: Path, ship: bool,
         update_docs: bool, merge_paths: tuple[Path, ...]) -> None:
    """Measure direction sources and write the results, the table and the best directions."""
    if merge_paths:
        if ship:
            raise click.UsageError("--ship writes the directions a run found; ship from each part's OUT/files")
        records = []
        for path in merge_paths:
            try:
                records.append((str(path), json.loads(path.read_text())))
            except (OSError, ValueError) as exc:
                raise click.UsageError(f"{path}: not a readable directions.json record ({exc})") from exc
        write_outputs(merge_results(records), out_dir, update_docs)
        return

    import torch

    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import get_direction_source, resolve_generator
    from latentroom.plugins.directions.evaluate import baseline_scores, evaluate_directions
    from latentroom.plugins.directions.sampling import draw_bank
    from latentroom.plugins.directions.scoring import resolve_scorer, scorer_name

    started = time.perf_counter()
    if quick:
        find_samples, eval_samples, pca_samples, layer_search = min(find_samples, 400), min(eval_samples, 200), \
            min(pca_samples, 5000), False
    dev = pick_torch_device(device)
    batch = batch_size or (256 if dev.startswith("cuda") else 16)
    attrs = [a.strip() for a in attributes.split(",") if a.strip()]
    names = [s.strip() for s in sources.split(",") if s.strip()]
    pair_attrs = [a.strip() for a in pair.split(",") if a.strip()]
    eval_strengths = [float(s) for s in strengths.split(",")]
    groups = [g.strip() for g in layer_groups.split(",") if g.strip()] if layer_search else []
    per_source = parse_source_params(source_params, names)
    generator = resolve_generator(spec, dev)
    scorer = resolve_scorer(scorer_spec, dev, generator, spec, attrs)

    def log(message: str) -> None:
        click.echo(f"[{time.perf_counter() - started:7.1f}s] {message}", err=True)

    per_eval = eval_samples * sum(1 for s in eval_strengths if s != 0)
    planned = find_samples + eval_samples + per_eval * (len(attrs) * len(names) * (1 + len(groups))
                                                        + 2 * len(pair_attrs))
    log(f"{spec} on {dev}: about {planned} images to render and score")

    baseline = baseline_scores(generator, scorer, eval_samples, batch_size=batch)  # shared by every evaluation

    def evaluate(directions: list) -> list[dict[str, Any]]:
        return evaluate_directions(generator, directions, scorer, samples=eval_samples, strengths=eval_strengths,
                                   batch_size=batch, baseline=baseline)

    truth_ref = None
    if truth_samples > 0 and scorer_spec is None:
        from latentroom.plugins.toyfaces import load_classifier
        from latentroom.plugins.toyfaces.truth import TruthReference

        truth_ref = TruthReference(generator, load_classifier(dev), truth_samples, batch_size=batch)
        log(f"truth reference: {truth_samples} samples, generator's own distance {truth_ref.fd_generator:.2f}")

    def measure_truth(report: dict[str, Any], direction: Any) -> None:
        half = truth_strength(report) if truth_ref is not None else None
        if half is None:
            return
        points = [truth_ref.measure(direction, sign * half) for sign in (1.0, -1.0)]
        report["truth"] = {"strength": half, "ratio": float(np.mean([p.ratio for p in points])),
                           "points": [p.to_json() for p in points]}

    def judge(report: dict[str, Any], direction: Any) -> bool:
        report["suggested_range"] = list(direction.strength_range)
        report["meets_criterion_suggested"] = criterion_at(report, direction.strength_range)
        return report["meets_criterion_suggested"]

    def with_realistic_range(report: dict[str, Any], direction: Any) -> tuple[bool, Any]:
        reach = {}
        for side, sign in (("high", 1.0), ("low", -1.0)):
            reach[side], report[f"realism_{side}"] = realistic_reach(
                lambda strength: truth_ref.measure(direction, sign * strength).ratio)
        rule = (f"each side: the largest strength of {list(REALISM_GRID)} up to which the edit stays within "
                f"{REALISM_LIMIT:g}x the generator's own distance from the renders of the renderer's true edit")
        details = {**direction.provenance.details,
                   "strength_range": {"rule": rule, "realism_high": report["realism_high"],
                                      "realism_low": report["realism_low"],
                                      "strength_p10_to_p90": report["strength_p10_to_p90"]}}
        direction = replace(direction, strength_range=(-reach["low"], reach["high"]),
                            provenance=replace(direction.provenance, details=details))
        return judge(report, direction), direction

    bank = draw_bank(generator, scorer, find_samples, seed, batch_size=batch)
    log(f"labelled bank: {len(bank)} samples")
    common = {"scorer": scorer, "bank": bank, "generator_spec": spec, "batch_size": batch}
    # Layer search finds each direction on each group rather than masking the all-layer
    # one: SeFa factorises only the group's weights and `optimized` trains under the mask.
    found: dict[str, list[Any]] = {a: [] for a in attrs}
    for name in names:
        source = get_direction_source(name).value()
        extra = {**({"pca_samples": pca_samples} if name == "ganspace" else {}), **per_source.get(name, {})}
        for layers in ["all", *groups]:
            for attribute in attrs:
                found[attribute].append(source.find(generator, attribute, **common, **{**extra, "layers": layers}))
        log(f"found {name} directions")

    by_attribute: dict[str, list[dict[str, Any]]] = {}
    best: dict[str, dict[str, Any]] = {}
    best_direction: dict[str, Any] = {}
    for attribute in attrs:
        directions = found[attribute]
        reports = evaluate(directions)
        for report, direction in zip(reports, directions):
            measure_truth(report, direction)
        ranked = sorted(zip(reports, directions), key=lambda rd: rank_key(rd[0]))
        if truth_ref is not None:
            top_report, top_direction = choose_best([rd for rd in ranked if "truth" in rd[0]] or ranked[:1],
                                                    with_realistic_range)
        else:
            top_report, top_direction = ranked[0]
            judge(top_report, top_direction)
        by_attribute[attribute] = reports
        best[attribute], best_direction[attribute] = top_report, top_direction
        log(f"evaluated {attribute}: best {top_report['source']} ({top_report['layers']}), "
            f"criterion {'met' if top_report['meets_criterion'] else 'not met'}")

    conditional, cond_directions = None, {}
    if len(pair_attrs) == 2:
        lb = get_direction_source("linear-boundary").value()
        rows = []
        for target, other in (pair_attrs, pair_attrs[::-1]):
            plain = lb.find(generator, target, **common)
            conditioned = [lb.find(generator, target, condition_on=[other], condition_by=mode, **common)
                           for mode in CONDITION_MODES]
            r_plain, *r_conds = evaluate([plain, *conditioned])
            before = leak(r_plain, other)
            for mode, cond, r_cond in zip(CONDITION_MODES, conditioned, r_conds):
                after = leak(r_cond, other)
                reduction = 1 - after / before if before > 0 else 0.0
                rows.append({"target": target, "other": other, "condition_by": mode, "leak_unconditional": before,
                             "leak_conditional": after, "reduction": reduction,
                             "met": reduction >= LEAK_REDUCTION_TARGET, "unconditional": r_plain,
                             "conditional": r_cond})
                suffix = "" if mode == "boundary" else f"-by-{mode}"
                cond_directions[f"{target}-keep-{other}{suffix}"] = cond
        conditional = {"pair": pair_attrs, "rows": rows}
        log("conditional experiment done")

    results = {
        "config": {"generator": spec, "weights_sha256": generator.weights_sha256, "scorer": scorer_name(scorer),
                   "device": dev, "find_samples": find_samples, "eval_samples": eval_samples,
                   "pca_samples": pca_samples, "strengths": eval_strengths, "seed": seed, "sources": names,
                   "source_params": per_source, "attributes": attrs, "layer_groups": groups,
                   "torch": torch.__version__,
                   "truth_samples": truth_samples if truth_ref is not None else 0,
                   "truth_generator_distance": truth_ref.fd_generator if truth_ref is not None else None},
        "by_attribute": by_attribute,
        "best": best,
        "conditional": conditional,
        "seconds": time.perf_counter() - started,
    }
    files = {**best_direction, **cond_directions}
    for target in [out_dir / "files"] + ([shipped] if ship else []):
        for name, direction in files.items():
            direction.save(target / name)
    write_outputs(results, out_dir, update_docs)
    log(f"wrote {out_dir}" + (f" and {shipped}" if ship else ""))


def write_outputs(results: dict[str, Any], out_dir: Path, update_docs: bool) -> None:
    """The record and its table into ``out_dir`` and, with ``update_docs``, the table
    into docs/directions.md."""
    table = table_markdown(results)
    atomic_write_text(out_dir / "directions.json", json.dumps(results, indent=2, default=float) + "\n")
    atomic_write_text(out_dir / "directions_table.md", table)
    if update_docs:
        write_docs_section(ROOT / "docs" / "directions.md", table)
    click.echo(table)


if __name__ == "__main__":
    main()
