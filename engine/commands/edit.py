"""``latentroom edit``: invert images, move them along a direction, render them.

The full generator path (the slow, exact reference for what a distilled preset
approximates): each image is inverted, its W+ code moved by
``Direction.offset(strength)`` (only the direction's layers change), and the
generator renders the result at its own resolution. Noise maps fitted by the
inverter (projector, hybrid) are reused, so an edit of strength 0 reproduces the
reconstruction. Inputs follow the rule of every image command (:mod:`latentroom.engine.inputs`):
outputs are PNGs at OUTDIR/NAME (or the path inside a folder argument), like
``apply``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from latentroom.engine.commands.invert import Failures, common_options, gather_inputs, invert_files, open_session
from latentroom.engine.errors import LatentroomError


@click.command("edit")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--direction", "direction_path", type=click.Path(path_type=Path), required=True,
              help="Direction file (NAME.json with its NAME.npy).")
@click.option("--strength", type=float, required=True,
              help="Edit strength in data standard deviations (see the direction's suggested range).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the edited images.")
@common_options
def edit_command(images: tuple[Path, ...], direction_path: Path, strength: float, output: Path,
                 inverter_name: str, spec: str | None, batch_size: int, steps: int | None,
                 option_pairs: tuple[str, ...], device: str) -> None:
    """Edit IMAGES (files, folders or glob patterns) along a latent direction, through the generator.

    Each image is written as OUTDIR/NAME.png (or its path inside a folder argument), like apply.
    """
    from latentroom.engine.direction import Direction

    direction = Direction.load(direction_path)
    failures = Failures()
    inputs = gather_inputs(images, failures, exclude=output)
    session = open_session(spec, inverter_name, device, steps, option_pairs)
    g = session.generator
    if direction.n_latent != g.n_latent or direction.style_dim != g.style_dim:
        raise LatentroomError(f"{direction_path}: direction is for [{direction.n_latent}, {direction.style_dim}] "
                              f"latents, the generator takes [{g.n_latent}, {g.style_dim}]")
    found_on = direction.provenance.weights_sha256
    if found_on and g.weights_sha256 and found_on != g.weights_sha256:
        click.echo(f"warning: {direction_path} was found on generator weights {found_on[:12]}..., "
                   f"this one is {g.weights_sha256[:12]}...", err=True)
    import torch

    from latentroom.engine.commands.generate import write_image_atomic
    from latentroom.plugins.inverters.common import synthesize, supports_noise

    offset = torch.from_numpy(direction.offset(strength)).to(g.device)
    written = 0
    claimed: dict[Path, Path] = {}  # face.jpg and face.png would both become face.png
    for files, ws, noise in invert_files(session, inputs, batch_size, failures, "editing"):
        with torch.no_grad():
            edited = synthesize(g, ws.to(g.device) + offset, noise if supports_noise(g) else None)
        pixels = ((edited.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        for item, image in zip(files, pixels.permute(0, 2, 3, 1).cpu().numpy()):
            target = output / item.relative.with_suffix(".png")
            if target in claimed:
                failures.add(item.path, f"output {target} is also the output of {claimed[target]}")
                continue
            claimed[target] = item.path
            try:
                write_image_atomic(image, target)
                written += 1
            except LatentroomError as exc:
                failures.add(item.path, exc.message)
    click.echo(f"wrote {written} image(s) to {output} ({direction.attribute} x {strength:g}, "
               f"{session.inverter_name}, {session.device})")
    if failures.items:
        click.echo(f"{len(failures.items)} file(s) failed", err=True)
        sys.exit(1)
