"""Measure every direction source on a generator and write docs/directions.md's table.

For each source x attribute: find a direction (all sources share one set of labelled
samples), then measure on held-out samples the change per unit strength of the target
attribute and of every other attribute. Per attribute, the best source is checked
against the acceptance criterion (a strength inside the suggested range moves the
attribute from its data 10th to 90th percentile while every other attribute moves
less than 25 % as much) and, with ``--layer-search``, also tried on coarse / middle /
fine layers. The conditional-manipulation experiment finds the linear boundary of one
attribute of a correlated pair with and without conditioning on the other, and
compares how much the other one leaks at equal target change.

Outputs: ``OUT/directions.json`` (every report), ``OUT/directions_table.md``, the best
directions in ``--shipped`` (NAME.json + NAME.npy), and with ``--update-docs`` the
Measurements section of docs/directions.md (between its marker comments).

Usage (trained toyfaces generator, CUDA)::

    python scripts/measure_directions.py --update-docs

Dry run on a random StyleGAN2 with a pixel-statistics scorer (CPU, about a minute)::

    python scripts/measure_directions.py --generator stylegan2:tiny.pt \\
        --scorer plugins.directions.testing:image_stats_scorer \\
        --attributes brightness,redness,left_right --pair redness,greenness \\
        --quick --out-dir /tmp/measure --shipped /tmp/measure/shipped
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file from anywhere
    sys.path.insert(0, str(ROOT))

from engine.atomic import atomic_write_text  # noqa: E402 (needs ROOT on sys.path)

DEFAULT_ATTRIBUTES = "smile,age,hair_length,glasses,beard"
DEFAULT_SOURCES = "mean-difference,linear-boundary,ganspace,sefa,optimized"
DOC_START = "<!-- measurements:start -->"
DOC_END = "<!-- measurements:end -->"
LEAK_REDUCTION_TARGET = 0.5


def rank_key(report: dict[str, Any]) -> tuple[bool, bool, float]:
    """Best first: meets the criterion; then within range, least entangled first; then
    out of range, least strength needed first (an edit that needs 100 standard
    deviations is useless however clean it is)."""
    target = report["target_change"]
    if report["within_range"]:
        return (not report["meets_criterion"], False, report["others_max_abs"] / target)
    needed = report["strength_p10_to_p90"]
    return (True, True, needed if target > 0 and math.isfinite(needed) else math.inf)


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
        f"{results['seconds']:.0f} s. Changes are per unit of strength (one data standard deviation along the "
        "direction) on the scorer's 0-1 scale; \"others\" is over every other attribute the scorer reports.",
        "",
        "| attribute | source | layers | target change | mean abs. others | max abs. other | strength p10->p90 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for attribute, rows in results["by_attribute"].items():
        for r in rows:
            worst = f"{r['others_max_abs']:.3f} ({r['others_max_attribute']})"
            lines.append(f"| {attribute} | {r['source']} | {r['layers']} | {fmt(r['target_change'])} | "
                         f"{r['others_mean_abs']:.3f} | {worst} | {fmt(r['strength_p10_to_p90'], 2)} |")
    lines += ["", "Best direction per attribute (shipped), against the acceptance criterion: a strength inside "
              "the suggested range moves the attribute from its 10th to its 90th percentile, and every other "
              "attribute moves less than 25 % as much.", "",
              "| attribute | best | layers | p10 -> p90 | needs strength | range | worst other / target | criterion |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for attribute, r in results["best"].items():
        ratio = r["others_max_abs"] / r["target_change"] if r["target_change"] > 0 else math.inf
        lines.append(f"| {attribute} | {r['source']} | {r['layers']} | {r['p10']:.2f} -> {r['p90']:.2f} | "
                     f"{fmt(r['strength_p10_to_p90'], 2)} | {r['strength_range'][0]:g}..{r['strength_range'][1]:g} | "
                     f"{ratio:.2f} ({r['others_max_attribute']}) | {'met' if r['meets_criterion'] else 'not met'} |")
    cond = results.get("conditional")
    if cond:
        lines += ["", f"Conditional manipulation (linear-boundary; pair {cond['pair'][0]} / {cond['pair'][1]}): "
                  "leak = change of the other attribute per unit change of the target. Target: conditioning "
                  f"cuts the leak by at least {LEAK_REDUCTION_TARGET:.0%}.", "",
                  "| target | conditioned on | leak unconditional | leak conditional | reduction | target met |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for row in cond["rows"]:
            lines.append(f"| {row['target']} | {row['other']} | {row['leak_unconditional']:.3f} | "
                         f"{row['leak_conditional']:.3f} | {row['reduction']:.0%} | {'yes' if row['met'] else 'no'} |")
    return "\n".join(lines) + "\n"


def write_docs_section(doc: Path, table: str) -> None:
    text = doc.read_text()
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        raise click.ClickException(f"{doc}: no {DOC_START} ... {DOC_END} markers to write between")
    atomic_write_text(doc, text[: start + len(DOC_START)] + "\n\n" + table + "\n" + text[end:])


@click.command()
@click.option("--generator", "spec", default="toyfaces", show_default=True, help="Generator spec.")
@click.option("--scorer", "scorer_spec", default=None, help="module:factory (default: toyfaces classifier).")
@click.option("--attributes", default=DEFAULT_ATTRIBUTES, show_default=True)
@click.option("--sources", default=DEFAULT_SOURCES, show_default=True)
@click.option("--pair", default="beard,hair_length", show_default=True,
              help="Correlated pair for the conditional experiment ('' to skip).")
@click.option("--find-samples", type=int, default=4000, show_default=True)
@click.option("--eval-samples", type=int, default=1000, show_default=True)
@click.option("--pca-samples", type=int, default=20000, show_default=True)
@click.option("--strengths", default="-1,0,1", show_default=True, help="Evaluation strengths (slope fit).")
@click.option("--layer-search/--no-layer-search", default=True, show_default=True,
              help="Also evaluate every source's direction on coarse/middle/fine layers.")
@click.option("--quick", is_flag=True,
              help="CPU budget: 400 find / 200 eval samples, 5000 PCA samples, no layer search.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--batch-size", type=int, default=None, help="Default: 256 on CUDA, 16 on CPU.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "out" / "directions",
              show_default=True)
@click.option("--shipped", type=click.Path(file_okay=False, path_type=Path),
              default=ROOT / "plugins" / "directions" / "shipped", show_default=True)
@click.option("--update-docs", is_flag=True, help="Write the tables into docs/directions.md.")
def main(spec: str, scorer_spec: str | None, attributes: str, sources: str, pair: str, find_samples: int,
         eval_samples: int, pca_samples: int, strengths: str, layer_search: bool, quick: bool, seed: int,
         batch_size: int | None, device: str, out_dir: Path, shipped: Path, update_docs: bool) -> None:
    """Measure direction sources and write the results, the table and the best directions."""
    import torch

    from engine.devices import pick_torch_device
    from engine.plugins import get_direction_source, resolve_generator
    from plugins.directions.evaluate import baseline_scores, evaluate_directions
    from plugins.directions.sampling import draw_bank
    from plugins.directions.scoring import resolve_scorer, scorer_name

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
    generator = resolve_generator(spec, dev)
    scorer = resolve_scorer(scorer_spec, dev)

    def log(message: str) -> None:
        click.echo(f"[{time.perf_counter() - started:7.1f}s] {message}", err=True)

    per_eval = eval_samples * sum(1 for s in eval_strengths if s != 0)
    planned = find_samples + eval_samples + per_eval * (len(attrs) * len(names) * (1 + 3 * layer_search)
                                                        + 2 * len(pair_attrs))
    log(f"{spec} on {dev}: about {planned} images to render and score")

    baseline = baseline_scores(generator, scorer, eval_samples, batch_size=batch)  # shared by every evaluation

    def evaluate(directions: list) -> list[dict[str, Any]]:
        return evaluate_directions(generator, directions, scorer, samples=eval_samples, strengths=eval_strengths,
                                   batch_size=batch, baseline=baseline)

    bank = draw_bank(generator, scorer, find_samples, seed, batch_size=batch)
    log(f"labelled bank: {len(bank)} samples")
    common = {"scorer": scorer, "bank": bank, "generator_spec": spec, "batch_size": batch}
    found: dict[str, dict[str, Any]] = {a: {} for a in attrs}
    for name in names:
        source = get_direction_source(name).value()
        extra = {"pca_samples": pca_samples} if name == "ganspace" else {}
        for attribute in attrs:
            found[attribute][name] = source.find(generator, attribute, **common, **extra)
        log(f"found {name} directions")

    by_attribute: dict[str, list[dict[str, Any]]] = {}
    best: dict[str, dict[str, Any]] = {}
    best_direction: dict[str, Any] = {}
    for attribute in attrs:
        directions = list(found[attribute].values())
        if layer_search:
            directions += [d.with_layers(group) for group in ("coarse", "middle", "fine") for d in directions]
        reports = evaluate(directions)
        top_report, top_direction = min(zip(reports, directions), key=lambda rd: rank_key(rd[0]))
        by_attribute[attribute] = reports
        best[attribute], best_direction[attribute] = top_report, top_direction
        log(f"evaluated {attribute}: best {top_report['source']} ({top_report['layers']}), "
            f"criterion {'met' if top_report['meets_criterion'] else 'not met'}")

    conditional = None
    if len(pair_attrs) == 2:
        lb = get_direction_source("linear-boundary").value()
        rows, cond_directions = [], {}
        for target, other in (pair_attrs, pair_attrs[::-1]):
            plain = lb.find(generator, target, **common)
            cond = lb.find(generator, target, condition_on=[other], **common)
            r_plain, r_cond = evaluate([plain, cond])
            before, after = leak(r_plain, other), leak(r_cond, other)
            reduction = 1 - after / before if before > 0 else 0.0
            rows.append({"target": target, "other": other, "leak_unconditional": before, "leak_conditional": after,
                         "reduction": reduction, "met": reduction >= LEAK_REDUCTION_TARGET,
                         "unconditional": r_plain, "conditional": r_cond})
            cond_directions[f"{target}-keep-{other}"] = cond
        conditional = {"pair": pair_attrs, "rows": rows}
        log("conditional experiment done")

    results = {
        "config": {"generator": spec, "weights_sha256": generator.weights_sha256, "scorer": scorer_name(scorer),
                   "device": dev, "find_samples": find_samples, "eval_samples": eval_samples,
                   "pca_samples": pca_samples, "strengths": eval_strengths, "seed": seed, "sources": names,
                   "attributes": attrs, "layer_search": layer_search, "torch": torch.__version__},
        "by_attribute": by_attribute,
        "best": best,
        "conditional": conditional,
        "seconds": time.perf_counter() - started,
    }
    table = table_markdown(results)
    atomic_write_text(out_dir / "directions.json", json.dumps(results, indent=2, default=float) + "\n")
    atomic_write_text(out_dir / "directions_table.md", table)
    for attribute, direction in best_direction.items():
        direction.save(shipped / attribute)
    if conditional:
        for name, direction in cond_directions.items():
            direction.save(shipped / name)
    if update_docs:
        doc = ROOT / "docs" / "directions.md"
        write_docs_section(doc, table)
        log(f"updated {doc}")
    click.echo(table)
    log(f"wrote {out_dir} and {shipped}")


if __name__ == "__main__":
    main()
