"""The batched apply pipeline: image files in, edited image files out.

Decoding (plus the resize to model resolution) and encoding (residual carry-back,
conversion, metadata, compressed write) run on thread pools while the main thread
feeds ONNX Runtime in batches. Pillow and ORT both release the GIL for their heavy
work, so with enough prefetch the model, not the file handling, bounds throughput.
Memory stays bounded: at most about ``batch_size + workers`` images wait on each side.

Every file gets an :class:`ApplyResult`; one bad file never stops the batch.
"""

from __future__ import annotations

import glob
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from PIL import Image

from engine.errors import LatentroomError
from engine.imaging import Picture, carry_back, open_image, save_image, save_params, side_by_side, to_pil, to_unit_float
from engine.presets.preset import Preset

COMPARE_SUFFIX = "_compare"

WRITTEN, SKIPPED, FAILED = "written", "skipped", "failed"


@dataclass
class InputFile:
    path: Path
    relative: Path
    """Where the output goes, relative to the output directory."""


@dataclass
class ApplyResult:
    input: Path
    status: str
    """``written``, ``skipped`` or ``failed``."""
    output: Path | None = None
    compare: Path | None = None
    error: str | None = None
    """For failures: a message naming the file and the reason."""


@dataclass
class ApplyReport:
    provider: str
    results: list[ApplyResult] = field(default_factory=list)
    on_result: Callable[[ApplyResult], None] | None = field(default=None, repr=False)
    """Called with each result as it is added."""

    def add(self, result: ApplyResult) -> None:
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return self.count(FAILED) == 0


def _extension_formats() -> dict[str, str]:
    Image.init()
    return {ext.lower(): fmt for ext, fmt in Image.registered_extensions().items()}


def image_extensions() -> set[str]:
    """File extensions (``.png``, lower case) that folder scans take as images."""
    return set(_extension_formats())


def collect_inputs(args: Sequence[str], exclude: Path | None = None) -> tuple[list[InputFile], list[ApplyResult]]:
    """Expand files, folders (recursively, image extensions only) and glob patterns.

    Returns the inputs and a failure for each argument that matched nothing. Files
    under ``exclude`` (the output directory) are left out of folder scans, so
    re-running with the output inside the input folder does not feed outputs back.
    """
    formats = _extension_formats()
    found: list[InputFile] = []
    errors: list[ApplyResult] = []
    seen: set[Path] = set()
    excluded = exclude.resolve() if exclude is not None else None

    def add(path: Path, relative: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(InputFile(path, relative))

    def scan(folder: Path) -> None:
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            # Hidden folders and the output folder are never inputs.
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and (excluded is None or (here / d).resolve() != excluded)
            )
            for name in sorted(filenames):
                if not name.startswith(".") and Path(name).suffix.lower() in formats:
                    add(here / name, (here / name).relative_to(folder))

    def take(path: Path) -> bool:
        if path.is_dir():
            scan(path)
        elif path.is_file():
            add(path, Path(path.name))
        else:
            return False
        return True

    for arg in args:
        p = Path(arg)
        if take(p):
            continue
        if glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                errors.append(ApplyResult(p, FAILED, error=f"{arg}: no files match this pattern"))
            for m in matches:
                take(Path(m))
        else:
            errors.append(ApplyResult(p, FAILED, error=f"{arg}: no such file or directory"))
    return found, errors


def output_name(relative: Path, formats: dict[str, str] | None = None) -> tuple[Path, str]:
    """The output's relative path and Pillow format, from the input's extension.

    The input's name and format are kept; a format Pillow can read but not write
    (or an unknown extension) becomes PNG, with ``.png`` appended.
    """
    formats = formats or _extension_formats()
    fmt = formats.get(relative.suffix.lower())
    if fmt == "MPO":
        fmt = "JPEG"
    if fmt is None or fmt not in Image.SAVE:
        return relative.with_name(relative.name + ".png"), "PNG"
    return relative, fmt


def compare_name(output: Path) -> Path:
    return output.with_name(output.stem + COMPARE_SUFFIX + output.suffix)


@dataclass
class Job:
    item: InputFile
    output: Path
    fmt: str
    compare: Path | None


@dataclass
class Rendered:
    """One input's finished output images, ready to encode."""

    after: Image.Image
    compare: Image.Image | None
    params: dict[str, Any]
    """Encoder arguments (quality, metadata) for both."""


def decode_input(path: Path, preset: Preset, data: bytes | None = None) -> tuple[Picture, np.ndarray]:
    """Open an input (``data``: its bytes, when already read) and shrink it for the model."""
    picture = open_image(path, data)
    return picture, preset.prepare(picture.rgb)


def run_model(preset: Preset, smalls: Sequence[np.ndarray], strength: float | None, batch_size: int) -> np.ndarray:
    """One batch through the model; a failure is reported against every file in it."""
    try:
        return preset.run(np.stack(smalls), strength, batch_size)
    except Exception as e:
        raise LatentroomError(f"model failed on this batch: {e}") from None


def render_outputs(picture: Picture, small: np.ndarray, edited: np.ndarray, fmt: str, compare: bool) -> Rendered:
    """Carry the edit back to full resolution and build the output (and comparison) image."""
    result01 = carry_back(picture.rgb, small, edited)
    after = to_pil(picture, result01)
    side = side_by_side(to_pil(picture, to_unit_float(picture.rgb)), after) if compare else None
    return Rendered(after, side, save_params(picture, fmt))


def _encode(
    job: Job, picture: Picture, small: np.ndarray, edited: np.ndarray, overwrite: bool
) -> ApplyResult:
    rendered = render_outputs(picture, small, edited, job.fmt, job.compare is not None)
    save_image(rendered.after, job.output, job.fmt, rendered.params, overwrite=overwrite)
    if job.compare is not None:
        save_image(rendered.compare, job.compare, job.fmt, rendered.params, overwrite=overwrite)
    return ApplyResult(job.item.path, WRITTEN, output=job.output, compare=job.compare)


def failure_result(path: Path, error: BaseException) -> ApplyResult:
    """A failed result whose message names the file first."""
    if isinstance(error, LatentroomError):
        message = error.message
    else:
        message = f"{path}: {type(error).__name__}: {error}"
    if not message.startswith(str(path)):
        message = f"{path}: {message}"
    return ApplyResult(path, FAILED, error=message)


def check_options(
    preset: Preset, strength: float | None, batch_size: int, overwrite: bool, skip_existing: bool
) -> float | None:
    """Reject bad options before any file is touched; returns the resolved strength."""
    if overwrite and skip_existing:
        raise LatentroomError("--overwrite and --skip-existing cannot be used together")
    if batch_size < 1:
        raise LatentroomError(f"batch size must be at least 1, got {batch_size}")
    return preset.resolve_strength(strength)


def start_run(
    preset: Preset,
    inputs: Iterable[InputFile],
    outdir: Path,
    *,
    strength: float | None,
    batch_size: int,
    compare: bool,
    overwrite: bool,
    skip_existing: bool,
    on_result: Callable[[ApplyResult], None] | None,
) -> tuple[float | None, ApplyReport, list[Job]]:
    """What every engine does first: check options, make ``outdir``, plan outputs.

    Outputs are planned before any decoding, so clashes and existing files are
    decided cheaply. Returns the resolved strength, the report (holding the inputs
    settled by planning) and the jobs left to run.
    """
    s = check_options(preset, strength, batch_size, overwrite, skip_existing)
    outdir.mkdir(parents=True, exist_ok=True)
    report = ApplyReport(provider=preset.provider, on_result=on_result)
    jobs = plan_outputs(
        inputs, outdir, compare=compare, overwrite=overwrite, skip_existing=skip_existing, settled=report.add
    )
    return s, report, jobs


def plan_outputs(
    inputs: Iterable[InputFile],
    outdir: Path,
    *,
    compare: bool,
    overwrite: bool,
    skip_existing: bool,
    settled: Callable[[ApplyResult], None],
) -> list[Job]:
    """Decide each input's outputs: clashes, the input itself, existing files.

    Inputs settled here (failed, or skipped as already done) go to ``settled``; the
    rest come back as jobs to run.
    """
    formats = _extension_formats()
    jobs: list[Job] = []
    claimed: dict[Path, Path] = {}
    for item in inputs:
        relative, fmt = output_name(item.relative, formats)
        output = outdir / relative
        comp = compare_name(output) if compare else None
        targets = [output] + ([comp] if comp is not None else [])
        clash = next((claimed[t] for t in targets if t in claimed), None)
        if clash is not None:
            settled(ApplyResult(item.path, FAILED, error=f"{item.path}: output {output} is also the output of {clash}"))
            continue
        for t in targets:
            claimed[t] = item.path
        if item.path.resolve() == output.resolve():
            settled(ApplyResult(item.path, FAILED, error=f"{item.path}: output would replace the input itself"))
            continue
        existing = [t for t in targets if t.exists()]
        if existing and skip_existing and len(existing) == len(targets):
            settled(ApplyResult(item.path, SKIPPED, output=output, compare=comp))
            continue
        if existing and not overwrite and not skip_existing:
            settled(
                ApplyResult(
                    item.path, FAILED,
                    error=f"{item.path}: output {existing[0]} exists (use --overwrite or --skip-existing)",
                )
            )
            continue
        # With --skip-existing and only some targets present (e.g. --compare added on a
        # re-run), the missing ones are written and the present ones replaced.
        jobs.append(Job(item, output, fmt, comp))
    return jobs


def apply_files(
    preset: Preset,
    inputs: Iterable[InputFile],
    outdir: str | os.PathLike[str],
    *,
    strength: float | None = None,
    batch_size: int = 8,
    compare: bool = False,
    overwrite: bool = False,
    skip_existing: bool = False,
    workers: int | None = None,
    on_result: Callable[[ApplyResult], None] | None = None,
) -> ApplyReport:
    """Apply ``preset`` to image files, writing results under ``outdir``.

    Outputs keep the input's name (and sub-folder, for folder inputs), size, mode
    and format. Existing outputs fail unless ``overwrite`` (replace) or
    ``skip_existing`` (leave, count as skipped). ``on_result`` is called on the
    calling thread once per input as it finishes, in completion order.
    """
    s, report, jobs = start_run(preset, inputs, Path(outdir), strength=strength, batch_size=batch_size,
                                compare=compare, overwrite=overwrite, skip_existing=skip_existing, on_result=on_result)
    if not jobs:
        return report
    finish = report.add
    workers = workers or max(2, min(4, os.cpu_count() or 2))
    # Enough decoded images to fill the next batch while the model runs this one, and
    # enough queued writes to keep the encoders busy; more would only hold full-size
    # images in memory (about 3 batches' worth in flight at most).
    window = batch_size + workers
    replace = overwrite or skip_existing
    with ThreadPoolExecutor(workers, thread_name_prefix="lr-decode") as decoders, ThreadPoolExecutor(
        workers, thread_name_prefix="lr-encode"
    ) as encoders:
        pending = iter(jobs)
        decoding: deque[tuple[Job, Future]] = deque()
        encoding: deque[tuple[Job, Future]] = deque()

        def top_up() -> None:
            while len(decoding) < window:
                job = next(pending, None)
                if job is None:
                    return
                decoding.append((job, decoders.submit(decode_input, job.item.path, preset)))

        def drain(limit: int) -> None:
            # Report finished writes; block only while more than ``limit`` are queued.
            while encoding and (len(encoding) > limit or encoding[0][1].done()):
                job, fut = encoding.popleft()
                try:
                    finish(fut.result())
                except BaseException as e:
                    finish(failure_result(job.item.path, e))

        top_up()
        batch: list[tuple[Job, Picture, np.ndarray]] = []
        while decoding or batch:
            if decoding:
                job, fut = decoding.popleft()
                top_up()
                try:
                    picture, small = fut.result()
                    batch.append((job, picture, small))
                except BaseException as e:
                    finish(failure_result(job.item.path, e))
            if batch and (len(batch) >= batch_size or not decoding):
                try:
                    edited = run_model(preset, [b[2] for b in batch], s, batch_size)
                except LatentroomError as e:
                    for job, _, _ in batch:
                        finish(failure_result(job.item.path, e))
                else:
                    for i, (job, picture, small) in enumerate(batch):
                        encoding.append((job, encoders.submit(_encode, job, picture, small, edited[i], replace)))
                batch = []
                drain(window)
            else:
                drain(window)
        drain(0)
    return report
