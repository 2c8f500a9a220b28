"""``latentroom direction``: list direction sources, find, show and evaluate directions.

Registered by the directions plugin (``register_commands``). Torch and the sources are
imported inside the command bodies, so importing this module (``latentroom --help``)
stays torch-free. The scorer is resolved, and checked against the generator and the
attributes asked for, before any sampling.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import click

from latentroom.engine.cli_options import (FROM_DIRECTION, GENERATOR_DEFAULT, device_option, generator_option,
                                           key_value_option, parse_options, scorer_option)
from latentroom.engine.direction import Direction, direction_paths
from latentroom.engine.errors import LatentroomError

def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _setup(spec: str, scorer_specs: str | Sequence[str] | None, device: str, attributes: Sequence[str] = (),
           need_scorer: bool = True) -> tuple[Any, Any]:
    """(generator, scorer or None) on the chosen device; torch is imported here."""
    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.directions.scoring import resolve_scorer

    dev = pick_torch_device(device)
    generator = resolve_generator(spec, dev)
    if not scorer_specs and not need_scorer:
        return generator, None
    return generator, resolve_scorer(scorer_specs, dev, generator, spec, attributes)


@click.group("direction")
def direction_group() -> None:
    """Find, inspect and measure latent edit directions."""


@direction_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(as_json: bool) -> None:
    """List the registered direction sources."""
    from latentroom.engine.plugins import registry

    sources = registry().direction_sources
    rows = [{"name": c.name, "plugin": c.plugin, "description": c.description}
            for c in sorted(sources.values(), key=lambda c: c.name)]
    if as_json:
        _echo_json(rows)
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['description']}  [{r['plugin']}]")


@direction_group.command("find")
@click.argument("source")
@click.option("--attribute", "-a", required=True, help="Attribute to find a direction for (e.g. smile).")
@generator_option(GENERATOR_DEFAULT)
@scorer_option()
@click.option("--component", type=click.IntRange(min=0), default=None, metavar="K",
              help="ganspace, sefa: take component K as the direction (no scorer needed; "
                   "`latentroom direction components` lists them).")
@click.option("--layers", default="all", show_default=True,
              help="W+ layers to edit: coarse, middle, fine, all, auto, or indices such as 0-3,5.")
@click.option("--samples", type=click.IntRange(min=4), default=2000, show_default=True,
              help="Labelled samples to draw.")
@click.option("--condition-on", default="", metavar="A,B",
              help="Attributes to keep unchanged (their normals are projected out).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--truncation", type=float, default=1.0, show_default=True)
@click.option("--strength-range", nargs=2, type=float, default=(-3.0, 3.0), show_default=True,
              metavar="LOW HIGH", help="Suggested strength range written into the file.")
@key_value_option("--param", dest="extra", help="Source-specific parameter, e.g. components=30. Repeatable.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@device_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Direction file to write (NAME.json; NAME.npy is written beside it).")
@click.option("--json", "as_json", is_flag=True, help="Print the direction's metadata as JSON.")
def find_command(source: str, attribute: str, spec: str | None, scorer_specs: tuple[str, ...], component: int | None,
                 layers: str, samples: int, condition_on: str, seed: int, truncation: float,
                 strength_range: tuple[float, float], extra: tuple[str, ...], batch_size: int, device: str,
                 output: Path, as_json: bool) -> None:
    """Find a direction for ATTRIBUTE with direction source SOURCE and save it.

    With --component K (ganspace, sefa) ATTRIBUTE is the name you give component K.
    """
    from latentroom.engine.plugins import DEFAULT_GENERATOR, get_direction_source

    spec = spec or DEFAULT_GENERATOR
    source_object = get_direction_source(source).value()
    params: dict[str, Any] = parse_options(extra, "--param")
    kept = [a.strip() for a in condition_on.split(",") if a.strip()]
    if component is not None:
        params["component"] = component  # a source without components refuses it by name
    params.update(samples=samples, seed=seed, truncation=truncation, layers=layers,
                  strength_range=tuple(strength_range), batch_size=batch_size, condition_on=kept)
    # A plugin's source without needs_scorer is taken to label samples, as most do.
    needs_scorer = getattr(source_object, "needs_scorer", lambda _params: True)(params)
    named = ([attribute] if component is None else []) + kept  # a chosen component's name is the user's
    generator, scorer = _setup(spec, scorer_specs, device, named, need_scorer=needs_scorer)
    direction: Direction = source_object.find(generator, attribute, scorer=scorer, generator_spec=spec, **params)
    path = direction.save(output)
    if as_json:
        _echo_json(direction.to_json(direction_paths(path)[1].name))
    else:
        click.echo(f"wrote {path} ({source}, {attribute}, layers {direction.layer_spec}, "
                   f"scale {direction.scale:.4g})")


def _correction_line(correction: Any, file: str) -> str:
    sides = "a side per sign of the strength" if correction.two_sided else "one side"
    reads = f", reads faces through {correction.reads}" if correction.reads else ""
    return (f"per face, {correction.components} components, {sides}, whole at strength "
            f"{correction.truth_strength:.3g}{reads} ({file})")


@direction_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
def show_command(file: Path, as_json: bool) -> None:
    """Show a direction file's layers, strength range and provenance."""
    direction = Direction.load(file)
    meta = direction.to_json(direction_paths(file)[1].name)
    if as_json:
        _echo_json(meta)
        return
    prov = direction.provenance
    lines = [
        f"{direction_paths(file)[0]}",
        f"  attribute       {direction.attribute}",
        f"  source          {prov.source}",
        f"  generator       {prov.generator or '-'}  (weights sha256 {prov.weights_sha256 or 'none'})",
        f"  style_dim       {direction.style_dim}",
        f"  layers          {direction.layer_spec} ({len(direction.layers)} of {direction.n_latent})",
        f"  scale           {direction.scale:.6g} (W distance per unit strength)",
        f"  strength range  {direction.strength_range[0]:g} .. {direction.strength_range[1]:g}",
        "  correction      " + ("none" if direction.correction is None
                                 else _correction_line(direction.correction, meta["correction"]["file"])),
        f"  created         {prov.created}",
        f"  parameters      {json.dumps(dict(prov.parameters), sort_keys=True)}",
    ]
    if prov.details:
        lines.append(f"  details         {json.dumps(dict(prov.details), sort_keys=True)}")
    click.echo("\n".join(lines))


@direction_group.command("evaluate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@generator_option(FROM_DIRECTION)
@scorer_option(without="Default: the one recorded in the file, else the generator's own.")
@click.option("--samples", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Held-out samples to measure on.")
@click.option("--seed", type=int, default=None, help="Seed for the held-out samples.")
@click.option("--strengths", default="-1,0,1", show_default=True,
              help="Strengths to regress over, e.g. -2,-1,0,1,2.")
@click.option("--strip", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write an image strip at strengths -2,-1,0,1,2 (rows: samples).")
@click.option("--strip-rows", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@device_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def evaluate_command(file: Path, spec: str | None, scorer_specs: tuple[str, ...], samples: int, seed: int | None,
                     strengths: str, strip: Path | None, strip_rows: int, batch_size: int, device: str,
                     as_json: bool) -> None:
    """Measure how much FILE's direction moves its attribute and every other one."""
    from latentroom.plugins.directions.evaluate import EVAL_SEED, STRIP_STRENGTHS, evaluate_directions, render_strip

    direction = Direction.load(file)
    spec = direction.generator_spec(spec, file)
    try:
        values = [float(s) for s in strengths.split(",") if s.strip()]
    except ValueError:
        raise LatentroomError(f"--strengths {strengths!r}: expected numbers such as -1,0,1") from None
    if len(set(values)) < 2:
        raise LatentroomError("--strengths needs at least two different values")
    generator, scorer = _setup(spec, scorer_specs or direction.provenance.parameters.get("scorer"), device,
                               [direction.attribute])
    direction.check_generator(generator, file, warn=lambda line: click.echo(f"latentroom: {line}", err=True))
    [result] = evaluate_directions(generator, [direction], scorer, samples=samples,
                                   seed=EVAL_SEED if seed is None else seed, strengths=values,
                                   batch_size=batch_size)
    if strip is not None:
        from latentroom.engine.image_output import images_to_grid, write_image_atomic

        images = render_strip(generator, direction, rows=strip_rows, seed=EVAL_SEED if seed is None else seed)
        write_image_atomic(images_to_grid(images, len(STRIP_STRENGTHS)), strip)
        result["strip"] = str(strip)
    if as_json:
        _echo_json(result)
        return
    _print_report(result)


def _print_report(r: dict[str, Any]) -> None:
    click.echo(f"{r['attribute']} ({r['source']}, layers {r['layers']}): change per unit strength, "
               f"{r['samples']} samples")
    width = max(len(name) for name in r["change"])
    for name, value in sorted(r["change"].items(), key=lambda kv: (kv[0] != r["attribute"], -abs(kv[1]))):
        mark = "  <- target" if name == r["attribute"] else ""
        click.echo(f"  {name:<{width}}  {value:+.4f}{mark}")
    needed = r["strength_p10_to_p90"]
    needed_text = f"{needed:.2f}" if math.isfinite(needed) else "never (moves the wrong way or not at all)"
    click.echo(f"  others: mean |change| {r['others_mean_abs']:.4f}, max {r['others_max_abs']:.4f} "
               f"({r['others_max_attribute']})")
    click.echo(f"  p10 -> p90 ({r['p10']:.3f} -> {r['p90']:.3f}) needs strength {needed_text}; "
               f"range {r['strength_range'][0]:g}..{r['strength_range'][1]:g}; "
               f"criterion {'met' if r['meets_criterion'] else 'not met'}")
    if "strip" in r:
        click.echo(f"  wrote {r['strip']}")


@direction_group.command("components")
@click.argument("source", type=click.Choice(["ganspace", "sefa"]))
@generator_option(GENERATOR_DEFAULT)
@scorer_option()
@click.option("--count", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--samples", type=click.IntRange(min=4), default=2000, show_default=True,
              help="Labelled samples for the attribute correlations.")
@click.option("--layers", default="all", show_default=True, help="sefa: layers whose weights are factorised.")
@click.option("--suggest-layers", is_flag=True, help="Also try each component per layer group (renders).")
@click.option("--seed", type=int, default=0, show_default=True)
@device_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def components_command(source: str, spec: str | None, scorer_specs: tuple[str, ...], count: int, samples: int,
                       layers: str, suggest_layers: bool, seed: int, device: str, as_json: bool) -> None:
    """List a component source's leading components, labelled by attribute correlation."""
    from latentroom.engine.plugins import DEFAULT_GENERATOR, get_direction_source

    generator, scorer = _setup(spec or DEFAULT_GENERATOR, scorer_specs, device)
    rows = get_direction_source(source).value().components(
        generator, count, suggest=suggest_layers, scorer=scorer, samples=samples, seed=seed, layers=layers)
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        where = f"  layers {row['suggested_layers']}" if "suggested_layers" in row else ""
        click.echo(f"{row['index']:>3}  {row['label']:<12} r={row['correlation']:+.3f}  "
                   f"strength {row['strength']:.4g}{where}")
