"""The inverters plugin's commands: ``invert``, ``edit`` and ``train-encoder``.

* ``latentroom invert``: images -> W+ latents (``.npz``) with any registered inverter.
  One float32 ``[n_latent, style_dim]`` array per input, keyed by its relative name
  (``/``-separated: the file's name, or its path inside a folder given as an argument;
  where ``apply`` and ``edit`` would write it), plus ``__metadata__``: a JSON string
  with the generator spec, its weights sha256, the inverter and its options, the
  feature network used and the files that failed.
* ``latentroom edit``: the full generator path (the slow, exact reference for what a
  distilled preset approximates): each image is inverted, its W+ code moved by
  ``edit_latents`` (only the direction's layers change), and the
  generator renders the result at its own resolution. Noise maps fitted by the
  inverter (projector, hybrid) are reused, so an edit of strength 0 reproduces the
  reconstruction. Outputs are PNGs at OUTDIR/NAME (or the path inside a folder
  argument), like ``apply``'s. The generator defaults to the direction file's.
* ``latentroom train-encoder``: trains the ``encoder`` inverter (and the first stage
  of ``hybrid``) for a generator (:mod:`latentroom.plugins.inverters.train_encoder`).

Torch is imported inside the command bodies, so importing this module (``latentroom
--help``) stays torch-free.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from latentroom.engine.cli_options import FROM_DIRECTION, GENERATOR_DEFAULT, device_option, generator_option
from latentroom.plugins.inverters.session import (EditedImageWriter, Failures, exit_on_failures, gather_inputs,
                                                  invert_files, inversion_options, open_session,
                                                  write_npz_atomic)

if TYPE_CHECKING:
    import torch

METADATA_KEY = "__metadata__"


@click.command("invert")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .npz file to write.")
@inversion_options(GENERATOR_DEFAULT)
def invert_command(images: tuple[Path, ...], output: Path, inverter_name: str, spec: str | None,
                   batch_size: int, steps: int | None, option_pairs: tuple[str, ...], device: str) -> None:
    """Invert IMAGES (files, folders or glob patterns) into W+ latents saved in one .npz file."""
    from latentroom.engine.plugins import DEFAULT_GENERATOR

    failures = Failures()
    inputs = gather_inputs(images, failures)
    session = open_session(spec or DEFAULT_GENERATOR, inverter_name, device, steps, option_pairs)
    arrays: dict[str, Any] = {}
    for files, ws, _noise in invert_files(session, inputs, batch_size, failures, "inverting"):
        for item, w in zip(files, ws.float().cpu().numpy()):
            arrays[item.relative.as_posix()] = w
    if arrays:
        meta = {**session.metadata(), "failed": [{"file": f, "reason": r} for f, r in failures.items]}
        import numpy as np

        write_npz_atomic({**arrays, METADATA_KEY: np.array(json.dumps(meta))}, output)
        click.echo(f"wrote {output} ({len(arrays)} latents, {session.inverter_name}, {session.device})")
    exit_on_failures(failures)


@click.command("edit")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--direction", "direction_path", type=click.Path(path_type=Path), required=True,
              help="Direction file (NAME.json with its NAME.npy).")
@click.option("--strength", type=float, required=True,
              help="Edit strength in data standard deviations (see the direction's suggested range).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the edited images.")
@inversion_options(FROM_DIRECTION)
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
    session = open_session(direction.generator_spec(spec, direction_path), inverter_name, device, steps,
                           option_pairs)
    direction.check_generator(session.generator, direction_path, warn=lambda line: click.echo(line, err=True))
    written = _render_edits(session, direction, strength, inputs, batch_size, output, failures)
    click.echo(f"wrote {written} image(s) to {output} ({direction.attribute} x {strength:g}, "
               f"{session.inverter_name}, {session.device})")
    exit_on_failures(failures)


def _render_edits(session: Any, direction: Any, strength: float, inputs: list[Any], batch_size: int,
                  output: Path, failures: Failures) -> int:
    """Invert, move along the direction, render and write each image; returns how many
    were written."""
    from latentroom.plugins.directions.edit import CorrectionReader

    writer = EditedImageWriter(output, failures)
    read = CorrectionReader(session.generator, direction)
    for files, ws, noise in invert_files(session, inputs, batch_size, failures, "editing"):
        writer.write(files, render_edit(session.generator, ws, noise, direction, strength, read))
    return writer.written


def render_edit(generator: Any, ws: "torch.Tensor", noise: "list[torch.Tensor] | None", direction: Any,
                strength: float, read: Any = None) -> "torch.Tensor":
    """W+ codes ``ws`` moved along ``direction`` (``edit_latents``: its layers, and its
    per-face correction if it has one, read from the reconstruction ``G(ws)`` through
    the correction's inverter when it names one) and rendered with the inverter's
    fitted noise maps where the generator takes them: what ``edit`` writes,
    ``[B, 3, size, size]`` in ``[-1, 1]``. ``read``: a ``CorrectionReader`` for
    ``direction`` kept across calls (one is built when not given). The
    generator-path benchmark times this same call."""
    import torch

    from latentroom.plugins.directions.edit import CorrectionReader, edit_latents
    from latentroom.plugins.inverters.common import supports_noise, synthesize

    noise = noise if supports_noise(generator) else None
    ws = ws.to(generator.device)
    read = CorrectionReader(generator, direction) if read is None else read
    with torch.no_grad():
        moved = edit_latents(ws, direction, strength, read.of_rendering(lambda v: synthesize(generator, v, noise), ws))
        return synthesize(generator, moved, noise)


@click.command("train-encoder")
@generator_option(GENERATOR_DEFAULT)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for encoder.pt, state/ and train.log.")
@click.option("--seconds", type=float, required=True, help="Stop (and save) after this many seconds.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Continue from this directory's state/ (or its encoder.pt).")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--delta-weight", type=float, default=0.1, show_default=True,
              help="Editability regulariser on the W+ deltas (0: free W+, large: W).")
@click.option("--latent-weight", type=float, default=1.0, show_default=True)
@click.option("--pixel-weight", type=float, default=1.0, show_default=True)
@click.option("--feature-weight", type=float, default=1.0, show_default=True)
@click.option("--mix-prob", type=float, default=0.5, show_default=True, help="Style-mixing probability.")
@click.option("--widths", default=None, metavar="W0,W1,...",
              help="Encoder channel widths per level  [default: 32,64,128,192,256].")
@click.option("--features", default="auto", show_default=True,
              help="Feature network of the perceptual term: a registered name (see `latentroom plugins "
                   "--all`), none, or auto (the generator's own choice, else none).")
@device_option
@click.option("--log-every", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--save-every", type=float, default=120.0, show_default=True, help="Seconds between saves.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Stop after this many steps in total.")
@click.option("--total-seconds", type=float, default=None,
              help="Length of the learning-rate schedule over all runs (default: ends with this run).")
@click.option("--install", is_flag=True, help="Also copy encoder.pt to the generator's default weights path.")
def train_encoder_command(spec: str | None, widths: str | None, **options: Any) -> None:
    """Train the encoder inverter (and hybrid's first stage) on samples of a generator.

    Writes OUT/encoder.pt (use it with -O weights=OUT/encoder.pt, or --install it as the
    generator's default), OUT/state/ for --resume and OUT/train.log.
    """
    from latentroom.engine.devices import pick_torch_device

    pick_torch_device(options["device"])  # reports a missing torch before anything else
    from latentroom.engine.cli_options import parse_widths
    from latentroom.engine.plugins import DEFAULT_GENERATOR
    from latentroom.plugins.inverters.train_encoder import train

    train(spec or DEFAULT_GENERATOR, **options, widths=parse_widths(widths) if widths else None, echo=click.echo)
