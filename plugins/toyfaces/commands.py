"""``latentroom toyfaces``: the renderer's truth as tools for authoring and evaluation.

* ``toyfaces region ATTRIBUTE -o MASK.png``: the attribute's footprint
  (:func:`latentroom.plugins.toyfaces.regions.attribute_region`), for ``author --region``;
* ``toyfaces evaluate PRESET --direction FILE``: a preset (and the generator path)
  against the renderer's true edit, judged by the independent judge
  (:mod:`latentroom.plugins.toyfaces.evaluate_preset`);
* ``toyfaces evaluate-direction FILE --strength S``: a teacher (the direction's
  generator path, blended into ``--region`` as author's pairs are) against the same
  truth, to choose what to distill.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from latentroom.engine.cli_options import key_value_option, parse_options
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.toyfaces.regions import FEATHER_SIGMA, FOOTPRINT_SHARE, MAX_REGION_GROW

_EVALUATION_OPTIONS = [
    click.option("--strength", "strengths", type=float, multiple=True,
                 help="Strengths to evaluate (repeatable)."),
    click.option("--images", type=click.IntRange(min=1), default=500, show_default=True,
                 help="Held-out renders (renderer seed 60,000 on)."),
    click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
    click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Contact sheet PNG at the first strength."),
    click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Write every figure as JSON here."),
]


def evaluation_options(command: Any) -> Any:
    """The options every truth-based evaluation command takes."""
    for option in reversed(_EVALUATION_OPTIONS):
        command = option(command)
    return command


@click.group("toyfaces")
def toyfaces_group() -> None:
    """The toyfaces world's ground truth: attribute regions and truth-based evaluation."""


@toyfaces_group.command("region")
@click.argument("attribute")
@click.option("--size", type=click.IntRange(min=8, max=1024), default=128, show_default=True)
@click.option("--share", type=click.FloatRange(0.0, 1.0, min_open=True), default=FOOTPRINT_SHARE, show_default=True,
              help="A pixel is in the region when a true edit changes it on at least this share of faces.")
@click.option("--grow", type=click.IntRange(min=0, max=32), default=0, show_default=True,
              help="Grow the region by this many pixels before feathering.")
@click.option("--feather", "sigma", type=click.FloatRange(min=0.0, max=16.0), default=FEATHER_SIGMA, show_default=True,
              help="Gaussian feathering of the edge, in pixels (0: a hard mask).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def region_command(attribute: str, size: int, share: float, grow: int, sigma: float, output: Path) -> None:
    """Write ATTRIBUTE's region mask (white where a true edit can change pixels) as a PNG."""
    from PIL import Image

    from latentroom.engine.atomic import atomic_write
    from latentroom.plugins.toyfaces.regions import attribute_region
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

    if attribute not in ATTRIBUTE_NAMES:
        raise LatentroomError(f"unknown attribute {attribute!r}; known: {', '.join(ATTRIBUTE_NAMES)}")
    mask = (attribute_region(attribute, size, share=share, grow=grow, sigma=sigma) * 255 + 0.5).astype("uint8")
    atomic_write(output, lambda f: Image.fromarray(mask, mode="L").save(f, format="PNG"))
    click.echo(f"wrote {output} ({attribute}: {float((mask > 127).mean()):.1%} of the frame)")


@toyfaces_group.command("evaluate")
@click.argument("preset")
@click.option("--direction", "direction_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The direction the preset was distilled from (the truth's amount comes from its edit; for a "
                   "preset of latent pairs, from the amounts author measured of the pairs' teacher).")
@click.option("--region", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The region the preset was authored with (author --region), if any.")
@click.option("--inverter", default="none", show_default=True,
              help="Inverter of the generator path to evaluate beside the preset ('none' to skip).")
@evaluation_options
def evaluate_command(preset: str, direction_path: Path, region: Path | None, inverter: str,
                     strengths: tuple[float, ...], images: int, device: str, sheet: Path | None,
                     json_path: Path | None) -> None:
    """Measure PRESET against the renderer's true edit on held-out renders (default
    strengths: the preset's default, half of it, and its opposite when the range goes
    below zero), run alone and, for a preset with a face template, as `apply` runs it
    (faces found, aligned, edited, the change carried back): the label is of the latter.
    The sheet shows input | generator path | preset (as applied) | truth."""
    from latentroom.engine.plugins import get_inverter
    from latentroom.engine.presets import load_preset
    from latentroom.plugins.toyfaces.evaluate_preset import (evaluate_preset, evaluation_strengths,
                                                             recorded_pairs_amounts, truth_setup)

    generator, judge, direction, mask = truth_setup(device, direction_path, region)
    loaded = load_preset(preset)
    strength = loaded.manifest["strength"]
    chosen = list(strengths) or evaluation_strengths(strength["default"], strength["min"], strength["max"])
    inverting = None if inverter == "none" else get_inverter(inverter).value(generator, generator.device)
    applied = None if loaded.template is None else (lambda pixels, s: loaded.apply(pixels, strength=s))
    distilled = loaded.manifest.get("x-distill")
    pairs = distilled.get("latent_pairs") if isinstance(distilled, dict) else None
    amount_of = recorded_pairs_amounts(pairs, f"preset {preset}")
    evaluation = evaluate_preset(lambda pixels, s: loaded.run(pixels, s), direction, chosen, generator, judge,
                                 mask, inverting, images, echo=lambda line: click.echo(line, err=True),
                                 applied_fn=applied, amount_of=amount_of)
    _report(evaluation, None, sheet, json_path)


@toyfaces_group.command("evaluate-direction")
@click.argument("direction_path", metavar="DIRECTION", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--region", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Blend the edit into this mask, as author --region does (e.g. from `toyfaces region`).")
@click.option("--inverter", default="encoder", show_default=True,
              help="Inverter that takes the held-out renders into the generator's latent space.")
@key_value_option("-O", "--inverter-option", dest="option_pairs",
                  help="An option for the inverter, e.g. steps=96 for the hybrid (repeatable).")
@click.option("--amount-samples", type=click.IntRange(min=8), default=256, show_default=True,
              help="Generator samples behind a continuous attribute's truth amount.")
@click.option("--inverted-truth", is_flag=True,
              help="Also measure the inverted truth (the change between the reconstructions of the truth and "
                   "of the input, added to the input): the truth as the inverter sees it, a reference; for a "
                   "direction found with latent pairs, at the pairs' amount.")
@click.option("--face-regions", "face_region_grow", type=click.IntRange(0, MAX_REGION_GROW), default=None,
              metavar="GROW",
              help="Keep the inverted truth inside each face's own region too: the pixels its true edit moves, "
                   "grown by GROW px (the ceiling of latent pairs made with inverted-truth's pairs_regions).")
@evaluation_options
def evaluate_direction_command(direction_path: Path, region: Path | None, inverter: str,
                               option_pairs: tuple[str, ...], amount_samples: int, inverted_truth: bool,
                               face_region_grow: int | None, strengths: tuple[float, ...], images: int,
                               device: str, sheet: Path | None, json_path: Path | None) -> None:
    """Measure DIRECTION as a teacher against the renderer's true edit: invert held-out
    renders, edit at each --strength (required), generate, blend into --region the way
    author's pairs do. The sheet shows input | teacher | truth."""
    from latentroom.engine.plugins import get_inverter
    from latentroom.plugins.toyfaces.evaluate_preset import (GeneratorPath, direction_pairs_amounts,
                                                             evaluate_direction, truth_setup)

    if not strengths:
        raise click.UsageError("give at least one --strength")
    if face_region_grow is not None and not inverted_truth:
        raise click.UsageError("--face-regions keeps the inverted truth in each face's region: add --inverted-truth")
    generator, judge, direction, mask = truth_setup(device, direction_path, region)
    options = parse_options(option_pairs, "--inverter-option")
    path = GeneratorPath(generator, get_inverter(inverter).value(generator, generator.device, **options))
    pairs_amount = direction_pairs_amounts(direction, f"direction {direction_path}") if inverted_truth else None
    evaluation = evaluate_direction(path, direction, list(strengths), judge, mask, images, amount_samples,
                                    inverted_truth, echo=lambda line: click.echo(line, err=True),
                                    inverted_amount_of=pairs_amount, face_region_grow=face_region_grow)
    _report(evaluation, "teacher", sheet, json_path)


def _report(evaluation: Any, headline: str | None, sheet: Path | None, json_path: Path | None) -> None:
    """Print every figure and the label of the ``headline`` method (None: the preset as
    applied where measured, else alone); write sheet and JSON."""
    from PIL import Image

    from latentroom.engine.atomic import atomic_write, atomic_write_text
    from latentroom.engine.presets.manifest import quality_label

    for method, per in evaluation.figures.items():
        for strength, figures in per.items():
            text = "  ".join(f"{k} {v:g}" for k, v in figures.to_json().items())
            click.echo(f"{method} @ {strength}: {text}")
    click.echo(f"label: {quality_label(evaluation.headline(headline))}")
    if sheet is not None:
        atomic_write(sheet, lambda f: Image.fromarray(evaluation.sheet).save(f, format="PNG"))
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(evaluation.to_json(), indent=2) + "\n")
