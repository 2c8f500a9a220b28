"""``latentroom apply``: run a preset over image files.

Imports only click at module level; the preset and image machinery (numpy, Pillow,
onnxruntime) load when the command runs, and torch/onnx never do.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from latentroom.engine.apply import ApplyReport


@click.command("apply")
@click.argument("preset")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the edited images (created if missing).")
@click.option("--strength", type=float, default=None, help="Edit strength; default: the preset's default.")
@click.option("--provider", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="ONNX Runtime execution provider; auto prefers CUDA when onnxruntime-gpu offers it.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Images per model run.")
@click.option("--compare", is_flag=True, help="Also write NAME_compare.EXT, before and after side by side.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@click.option("--skip-existing", is_flag=True, help="Leave existing outputs alone (resume an interrupted run).")
@click.option("--faces", "faces", type=click.Choice(["all", "largest", "center"]), default="all", show_default=True,
              help="Aligned presets: edit every face, the largest, or the one nearest the centre.")
@click.option("--min-face", type=click.FloatRange(min=0), default=24.0, show_default=True,
              help="Aligned presets: ignore faces smaller than this many pixels (about the face's width).")
@click.option("--aligner", default=None, metavar="NAME",
              help="Aligned presets: the face aligner to use (see `latentroom plugins --all`); default: the "
                   "preset's own, else the photo aligner 'mtcnn'.")
@click.option("--no-align", is_flag=True, help="Edit the whole frame even when the preset has a face template.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this process; ray: Ray Data actors (needs the ray extra).")
@click.option("--address", default=None, metavar="ADDRESS",
              help="With --engine ray: the cluster to join (default: RAY_ADDRESS, else a local Ray instance).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary; errors are still printed.")
def apply_command(
    preset: str,
    inputs: tuple[str, ...],
    outdir: Path,
    strength: float | None,
    provider: str,
    batch_size: int,
    compare: bool,
    overwrite: bool,
    skip_existing: bool,
    faces: str,
    min_face: float,
    aligner: str | None,
    no_align: bool,
    engine: str,
    address: str | None,
    quiet: bool,
) -> None:
    """Apply PRESET (a name, bundle directory or .lrpreset file) to images.

    INPUT may be files, folders (searched recursively; sub-folders are kept in the
    output) or glob patterns; with --engine ray, also URIs Ray can read
    (s3://bucket/photos/, gs://..., file://...). A file is written as OUTDIR/NAME
    wherever it is. Each image keeps its size, mode and format: the edit is
    computed at the model's resolution and its residual is added to the
    full-resolution original.

    A preset with a face template (see `latentroom preset show`) edits each face:
    found by an aligner, aligned to the preset's frame, edited, and blended back
    inside a feathered mask; nothing else in the photo changes. A photo without a
    face is reported ("no face found") and copied to the output unchanged, byte for
    byte. Failed files are reported and the rest carry on; the exit status is 1 if
    any file failed (photos without a face are not failures).
    """
    if overwrite and skip_existing:
        raise click.UsageError("--overwrite and --skip-existing cannot be used together")
    if engine == "ray" and provider == "cuda":
        raise click.UsageError("--engine ray runs on CPU actors; --provider cuda is for --engine local")
    if address is not None and engine != "ray":
        raise click.UsageError("--address needs --engine ray")
    uris = [i for i in inputs if "://" in i]
    if uris and engine != "ray":
        raise click.UsageError("URIs (scheme://...) need --engine ray")
    if uris and len(uris) != len(inputs):
        raise click.UsageError("give URIs or local paths, not both in one run")

    from latentroom.engine.apply import FAILED, NO_FACE, ApplyResult, BatchInterrupted, apply_files
    from latentroom.engine.inputs import collect_inputs
    from latentroom.engine.presets import load_preset

    loaded = load_preset(preset, provider="cpu" if engine == "ray" else provider)
    loaded.resolve_strength(strength)  # reject a bad --strength before scanning inputs
    planner_options = dict(align=False if no_align else None, aligner=aligner, faces=faces, min_face=min_face)
    planner = loaded.planner(**planner_options)  # and a missing aligner
    if not quiet:
        where = "Ray actors" if engine == "ray" else loaded.provider
        click.echo(f"latentroom: preset {loaded.name} on {where}; {planner.describe()}", err=True)

    filesystem = None
    if uris:
        from latentroom.engine.ray_apply import collect_uri_inputs

        filesystem, files, bad_args = collect_uri_inputs(uris)
    else:
        files, bad_args = collect_inputs(inputs, exclude=outdir)
    for bad in bad_args:
        click.echo(f"error: {bad}", err=True)
    if not files:
        raise click.ClickException("no input images found")

    show_bar = not quiet and sys.stderr.isatty()
    bar = click.progressbar(length=len(files), label="applying", file=sys.stderr) if show_bar else None

    def on_result(result: ApplyResult) -> None:
        if result.status == FAILED:
            # Start on a fresh line so the message does not run into the progress bar.
            click.echo(("\n" if bar else "") + f"error: {result.error}", err=True)
        elif result.status == NO_FACE and not quiet:
            click.echo(("\n" if bar else "") + f"{result.input}: {planner.no_face_note()}", err=True)
        if bar is not None:
            bar.update(1)

    options = dict(strength=strength, batch_size=batch_size, compare=compare, overwrite=overwrite,
                   skip_existing=skip_existing, on_result=on_result)
    try:
        if engine == "ray":
            from latentroom.engine.ray_apply import apply_files_on_ray, ray_instance

            with ray_instance(address), bar if bar is not None else contextlib.nullcontext():
                report = apply_files_on_ray(loaded, files, outdir, filesystem=filesystem,
                                            planner_options=planner_options, **options)
        else:
            with bar if bar is not None else contextlib.nullcontext():
                report = apply_files(loaded, files, outdir, planner=planner, **options)
    except BatchInterrupted as stop:
        # Printed even with --quiet: the user needs to know the batch is incomplete.
        summary = _summary(stop.report, len(bad_args), outdir, planner.aligned)
        click.echo(f"\nlatentroom: interrupted; {summary}, {stop.not_started} not started", err=True)
        click.get_current_context().exit(130)

    failed = report.count(FAILED) + len(bad_args)
    if not quiet:
        click.echo(f"latentroom: {_summary(report, len(bad_args), outdir, planner.aligned)}", err=True)
    if failed:
        click.get_current_context().exit(1)


def _summary(report: "ApplyReport", bad_args: int, outdir: Path, aligned: bool) -> str:
    from latentroom.engine.apply import FAILED, NO_FACE, SKIPPED, WRITTEN

    failed = report.count(FAILED) + bad_args
    no_face = f", {report.count(NO_FACE)} without a face (unchanged)" if aligned else ""
    return f"{report.count(WRITTEN)} written, {report.count(SKIPPED)} skipped, {failed} failed{no_face} -> {outdir}"
