"""``latentroom toyfaces``: the renderer's truth as tools for authoring and evaluation.

* ``toyfaces region ATTRIBUTE -o MASK.png``: the attribute's footprint
  (:func:`latentroom.plugins.toyfaces.regions.attribute_region`), for ``author --region``;
* ``toyfaces evaluate PRESET --direction FILE``: a preset (and the generator path)
  against the renderer's true edit, judged by the independent judge
  (:mod:`latentroom.plugins.toyfaces.evaluate_preset`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from latentroom.engine.cli_options import device_option
from latentroom.engine.errors import LatentroomError


@click.group("toyfaces")
def toyfaces_group() -> None:
    """The toyfaces world's ground truth: attribute regions and truth-based evaluation."""


@toyfaces_group.command("region")
@click.argument("attribute")
@click.option("--size", type=click.IntRange(min=8, max=1024), default=128, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def region_command(attribute: str, size: int, output: Path) -> None:
    """Write ATTRIBUTE's region mask (white where a true edit can change pixels) as a PNG."""
    from PIL import Image

    from latentroom.engine.atomic import atomic_write
    from latentroom.plugins.toyfaces.regions import attribute_region
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

    if attribute not in ATTRIBUTE_NAMES:
        raise LatentroomError(f"unknown attribute {attribute!r}; known: {', '.join(ATTRIBUTE_NAMES)}")
    mask = (attribute_region(attribute, size) * 255 + 0.5).astype("uint8")
    atomic_write(output, lambda f: Image.fromarray(mask, mode="L").save(f, format="PNG"))
    click.echo(f"wrote {output} ({attribute}: {float((mask > 127).mean()):.1%} of the frame)")


@toyfaces_group.command("evaluate")
@click.argument("preset")
@click.option("--direction", "direction_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The direction the preset was distilled from (the truth's amount comes from its edit).")
@click.option("--region", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The region the preset was authored with (author --region), if any.")
@click.option("--strength", "strengths", type=float, multiple=True,
              help="Strengths to evaluate (repeatable)  [default: the preset's default and half of it].")
@click.option("--images", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--inverter", default="none", show_default=True,
              help="Inverter of the generator path to evaluate beside the preset ('none' to skip).")
@device_option
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Contact sheet PNG: input | generator path | preset | truth.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every figure as JSON here.")
def evaluate_command(preset: str, direction_path: Path, region: Path | None, strengths: tuple[float, ...],
                     images: int, inverter: str, device: str, sheet: Path | None, json_path: Path | None) -> None:
    """Measure PRESET against the renderer's true edit on held-out renders."""
    from PIL import Image

    from latentroom.engine.atomic import atomic_write, atomic_write_text
    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.engine.presets import load_preset
    from latentroom.engine.presets.manifest import quality_label
    from latentroom.plugins.distill.author import load_direction, load_region
    from latentroom.plugins.toyfaces.classifier import load as load_network
    from latentroom.plugins.toyfaces.evaluate_preset import evaluate_preset

    torch_device = pick_torch_device(device)
    loaded = load_preset(preset)
    generator = resolve_generator("toyfaces", torch_device)
    direction = load_direction(direction_path, generator)
    mask = None if region is None else load_region(region, int(generator.size))[0]
    default = loaded.manifest["strength"]["default"]
    chosen = list(strengths) or [default, default / 2]
    inverting = None if inverter == "none" else get_inverter(inverter).value(generator, torch_device)
    evaluation = evaluate_preset(lambda pixels, s: loaded.run(pixels, s), direction, chosen, generator,
                                 load_network(torch_device, arch="judge"), mask, inverting, images,
                                 echo=lambda line: click.echo(line, err=True))
    for method, per in evaluation.figures.items():
        for strength, figures in per.items():
            text = "  ".join(f"{k} {v:g}" for k, v in figures.to_json().items())
            click.echo(f"{method} @ {strength}: {text}")
    click.echo(f"label: {quality_label(evaluation.headline())}")
    if sheet is not None:
        atomic_write(sheet, lambda f: Image.fromarray(evaluation.sheet).save(f, format="PNG"))
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(evaluation.to_json(), indent=2) + "\n")
