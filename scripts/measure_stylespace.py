"""Find StyleSpace directions on the toyfaces generator and show how local they are.

For each attribute: a region mask from the renderer (the pixels that change in more
than ``--mask-share`` of ``--mask-faces`` rendered faces when the attribute is truly
edited: toggled for yes/no attributes, moved by +-``--mask-amount`` for the others),
then ``stylespace`` with the toyfaces classifier as the scorer and that mask as
``region`` (all attributes share one bank of labelled samples). Each direction is
measured on held-out samples at strengths that move its first channel by
``--channel-sd`` of that channel's standard deviations: the classifier's change of
the target and the largest change of another attribute, and the mean absolute pixel
change (0-255) inside and outside the region. A contact sheet shows, per attribute,
two faces as input | the edit at each strength.

Outputs in ``--out`` (not committed): ``masks/ATTR.png``, ``ATTR.json`` + ``ATTR.npy``
(the directions, their suggested range +-``--range-sd`` channel sds), ``summary.json``;
the contact sheet goes to ``--sheet``.

Usage (CPU, one thread, about five minutes)::

    OMP_NUM_THREADS=1 python scripts/measure_stylespace.py
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import click
import numpy as np
import torch

from latentroom.engine.atomic import atomic_write_bytes, atomic_write_text
from latentroom.engine.image_output import images_to_grid, write_image_atomic
from latentroom.engine.direction import Direction
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.plugins.directions.sampling import SampleBank, draw_bank, sample_w
from latentroom.plugins.directions.scoring import binary_attributes, build_scorer, score_images, scorer_name
from latentroom.plugins.directions.stylespace import StyleSpace
from latentroom.plugins.toyfaces.generator import load
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_SPECS, edit, render, sample_params

ATTRIBUTES = ("smile", "glasses", "beard", "age", "hair_length")
HELD_OUT_SEED = 4242
PIXEL_CHANGE = 4  # levels of 255: a renderer pixel counts as changed above this


def region_mask(attribute: str, faces: int, amount: float, share: float, seed: int) -> np.ndarray:
    """bool ``[H, W]``: pixels that change in more than ``share`` of ``faces`` renders
    when ``attribute`` is truly edited."""
    params = sample_params(seed, faces)
    before = render(params).astype(np.int16)
    if ATTRIBUTE_SPECS[attribute].kind == "binary":
        edits = [edit(params, attribute, None)]
    else:
        edits = [edit(params, attribute, amount), edit(params, attribute, -amount)]
    changed = np.zeros(before.shape[:3], dtype=bool)
    for edited in edits:
        changed |= (np.abs(render(edited).astype(np.int16) - before) > PIXEL_CHANGE).any(-1)
    return changed.mean(0) > share


@torch.no_grad()
def measure(generator: Any, scorer: Any, direction: Direction, mask: np.ndarray, strengths: Sequence[float],
            samples: int) -> tuple[list[dict[str, Any]], torch.Tensor]:
    """Per strength: target and other attributes' classifier change, pixel change
    inside and outside ``mask``; and the images ``[samples, 1 + S, 3, H, W]``."""
    ws = to_wplus(sample_w(generator, samples, HELD_OUT_SEED), generator.n_latent)
    base = generator.synthesis(ws, noise_mode="const").float()
    base_scores = score_images(scorer, base)
    rows, images = [], [base]
    inside = torch.from_numpy(mask)
    for strength in strengths:
        edited = generator.synthesis(edit_latents(ws, direction, strength), noise_mode="const").float()
        scores = score_images(scorer, edited)
        change = {a: float(np.mean(scores[a] - base_scores[a])) for a in scores}
        pixels = (edited - base).abs().mean(1) * 127.5  # [N, H, W] levels of 255
        rows.append({"strength": strength, "target": change[direction.attribute],
                     "max_other": max((abs(v), a) for a, v in change.items() if a != direction.attribute),
                     "inside": float(pixels[:, inside].mean()), "outside": float(pixels[:, ~inside].mean())})
        images.append(edited)
    return rows, torch.stack(images, dim=1)


def cached_bank(generator: Any, scorer: Any, samples: int, path: Path) -> SampleBank:
    """The labelled samples, drawn once and kept in ``path`` for later runs."""
    if path.is_file():
        with np.load(path) as saved:
            scores = {k[len("score_"):]: saved[k] for k in saved.files if k.startswith("score_")}
            return SampleBank(saved["ws"], scores, binary_attributes(scorer), 0, 1.0, scorer_name(scorer))
    bank = draw_bank(generator, scorer, samples, seed=0)
    buffer = io.BytesIO()
    np.savez(buffer, ws=bank.ws, **{f"score_{k}": v for k, v in bank.scores.items()})
    atomic_write_bytes(path, buffer.getvalue())
    return bank


def parse_attribute_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``("smile.layers=middle", ...)`` -> ``{"smile": {"layers": "middle"}}`` (JSON values)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        attribute, dot, name = key.partition(".")
        if not (eq and dot and attribute and name):
            raise click.BadParameter(f"{item!r}: expected ATTR.KEY=VALUE")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(attribute, {})[name] = value
    return out


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/stylespace"),
              show_default=True)
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("docs/images/stylespace-toyfaces.jpg"), show_default=True)
@click.option("--samples", default=300, show_default=True, help="Labelled samples (one bank for all).")
@click.option("--channels", default=1, show_default=True)
@click.option("--channel-sd", type=float, multiple=True, default=(5.0, 10.0, 20.0), show_default=True)
@click.option("--range-sd", default=10.0, show_default=True,
              help="Suggested strength range written into each file: +- this many channel sds.")
@click.option("--held-out", default=8, show_default=True)
@click.option("--mask-faces", default=1000, show_default=True)
@click.option("--mask-amount", default=0.3, show_default=True)
@click.option("--mask-share", default=0.01, show_default=True)
@click.option("--region-samples", default=2, show_default=True)
@click.option("--region-candidates", default=40, show_default=True)
@click.option("--locality", default=0.5, show_default=True)
@click.option("--attribute-param", "attribute_params", multiple=True, metavar="ATTR.KEY=VALUE",
              help="A stylespace parameter for one attribute (JSON value), e.g. smile.layers=middle.")
@click.option("--attributes", default=",".join(ATTRIBUTES), show_default=True)
def main(out: Path, sheet: Path, samples: int, channels: int, channel_sd: tuple[float, ...], range_sd: float,
         held_out: int,
         mask_faces: int, mask_amount: float, mask_share: float, region_samples: int, region_candidates: int,
         locality: float, attribute_params: tuple[str, ...], attributes: str) -> None:
    torch.set_num_threads(1)
    generator, scorer = load("cpu"), build_scorer("toyfaces-classifier", "cpu")
    (out / "masks").mkdir(parents=True, exist_ok=True)
    bank = cached_bank(generator, scorer, samples, out / f"bank-{samples}.npz")
    overrides = parse_attribute_params(attribute_params)
    summary, strips = {}, []
    for attribute in attributes.split(","):
        mask = region_mask(attribute, mask_faces, mask_amount, mask_share, seed=1)
        mask_path = out / "masks" / f"{attribute}.png"
        write_image_atomic(np.repeat((mask * 255).astype(np.uint8)[..., None], 3, -1), mask_path)
        try:
            params = {"channels": channels, "region_samples": region_samples, "locality": locality,
                      "region_candidates": region_candidates, **overrides.get(attribute, {})}
            direction = StyleSpace().find(generator, attribute, scorer=scorer, bank=bank, region=str(mask_path),
                                          generator_spec="toyfaces", **params)
        except LatentroomError as exc:  # one attribute without a local channel does not stop the others
            summary[attribute] = {"error": exc.message}
            click.echo(f"{attribute}: {exc.message}")
            continue
        per_sd = direction.provenance.details["channel_sd_per_strength"][0]
        reach = round(range_sd / per_sd, 2)
        direction = replace(direction, strength_range=(-reach, reach))
        direction.save(out / attribute)
        strengths = [round(sd / per_sd, 2) for sd in channel_sd]
        rows, images = measure(generator, scorer, direction, mask, strengths, held_out)
        details = direction.provenance.details
        summary[attribute] = {"layer": details["layer"], "channels": details["channels"],
                              "rgb_leak": details["rgb_leak"], "rgb_leak_pinv": details["rgb_leak_pinv"],
                              "scale": direction.scale, "channel_sd_per_strength": per_sd,
                              "mask_share_of_image": float(mask.mean()), "measured": rows}
        click.echo(json.dumps({attribute: summary[attribute]}, default=str))
        strips.append(images[:2])
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    if not strips:
        raise click.ClickException("no attribute got a direction")
    grid = torch.cat(strips).reshape(-1, *strips[0].shape[2:])
    write_image_atomic(images_to_grid(grid, 1 + len(channel_sd)), sheet)


if __name__ == "__main__":
    main()
