"""The batched apply pipeline: image files in, edited image files out.

Decoding (plus the resize to model resolution) and encoding (residual carry-back,
conversion, metadata, compressed write) run on thread pools while the main thread
feeds ONNX Runtime in batches. Pillow and ORT both release the GIL for their heavy
work, so with enough prefetch the model, not the file handling, bounds throughput.
Memory stays bounded: at most about ``batch_size + workers`` images wait on each side.

Every file gets an :class:`ApplyResult`; one bad file never stops the batch.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from PIL import Image

from engine.errors import LatentroomError
from engine.imaging import Picture, carry_back, open_image, save_image, save_params, side_by_side, to_pil, to_unit_float
from engine.inputs import InputFile, image_extensions
from engine.presets.preset import Preset

COMPARE_SUFFIX = "_compare"

WRITTEN, SKIPPED, FAILED = "written", "skipped", "failed"


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

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return self.count(FAILED) == 0


def output_name(relative: Path, formats: dict[str, str] | None = None) -> tuple[Path, str]:
    """The output's relative path and Pillow format, from the input's extension.

    The input's name and format are kept; a format Pillow can read but not write
    (or an unknown extension) becomes PNG, with ``.png`` appended.
    """
    formats = formats or image_extensions()
    fmt = formats.get(relative.suffix.lower())
    if fmt == "MPO":
        fmt = "JPEG"
    if fmt is None or fmt not in Image.SAVE:
        return relative.with_name(relative.name + ".png"), "PNG"
    return relative, fmt


def compare_name(output: Path) -> Path:
    return output.with_name(output.stem + COMPARE_SUFFIX + output.suffix)


@dataclass
class _Job:
    item: InputFile
    output: Path
    fmt: str
    compare: Path | None


def _decode(job: _Job, preset: Preset) -> tuple[Picture, np.ndarray]:
    picture = open_image(job.item.path)
    return picture, preset.prepare(picture.rgb)


def _encode(
    job: _Job, picture: Picture, small: np.ndarray, edited: np.ndarray, overwrite: bool
) -> ApplyResult:
    result01 = carry_back(picture.rgb, small, edited)
    params = save_params(picture, job.fmt)
    after = to_pil(picture, result01)
    save_image(after, job.output, job.fmt, params, overwrite=overwrite)
    if job.compare is not None:
        before = to_pil(picture, to_unit_float(picture.rgb))
        save_image(side_by_side(before, after), job.compare, job.fmt, params, overwrite=overwrite)
    return ApplyResult(job.item.path, WRITTEN, output=job.output, compare=job.compare)


def _failure(path: Path, error: BaseException) -> ApplyResult:
    if isinstance(error, LatentroomError):
        message = error.message
    else:
        message = f"{path}: {type(error).__name__}: {error}"
    if not message.startswith(str(path)):
        message = f"{path}: {message}"
    return ApplyResult(path, FAILED, error=message)


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
    if overwrite and skip_existing:
        raise LatentroomError("--overwrite and --skip-existing cannot be used together")
    if batch_size < 1:
        raise LatentroomError(f"batch size must be at least 1, got {batch_size}")
    s = preset.resolve_strength(strength)  # a bad strength fails before any file is touched
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    report = ApplyReport(provider=preset.provider)
    formats = image_extensions()

    def finish(result: ApplyResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    # Plan outputs first, so clashes and existing files are decided without decoding.
    jobs: list[_Job] = []
    claimed: dict[Path, Path] = {}
    for item in inputs:
        relative, fmt = output_name(item.relative, formats)
        output = outdir / relative
        comp = compare_name(output) if compare else None
        targets = [output] + ([comp] if comp is not None else [])
        clash = next((claimed[t] for t in targets if t in claimed), None)
        if clash is not None:
            finish(ApplyResult(item.path, FAILED, error=f"{item.path}: output {output} is also the output of {clash}"))
            continue
        for t in targets:
            claimed[t] = item.path
        if item.path.resolve() == output.resolve():
            finish(ApplyResult(item.path, FAILED, error=f"{item.path}: output would replace the input itself"))
            continue
        existing = [t for t in targets if t.exists()]
        if existing and skip_existing and len(existing) == len(targets):
            finish(ApplyResult(item.path, SKIPPED, output=output, compare=comp))
            continue
        if existing and not overwrite and not skip_existing:
            finish(
                ApplyResult(
                    item.path, FAILED,
                    error=f"{item.path}: output {existing[0]} exists (use --overwrite or --skip-existing)",
                )
            )
            continue
        # With --skip-existing and only some targets present (e.g. --compare added on a
        # re-run), the missing ones are written and the present ones replaced.
        jobs.append(_Job(item, output, fmt, comp))

    if not jobs:
        return report
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
        decoding: deque[tuple[_Job, Future]] = deque()
        encoding: deque[tuple[_Job, Future]] = deque()

        def top_up() -> None:
            while len(decoding) < window:
                job = next(pending, None)
                if job is None:
                    return
                decoding.append((job, decoders.submit(_decode, job, preset)))

        def drain(limit: int) -> None:
            # Report finished writes; block only while more than ``limit`` are queued.
            while encoding and (len(encoding) > limit or encoding[0][1].done()):
                job, fut = encoding.popleft()
                try:
                    finish(fut.result())
                except BaseException as e:
                    finish(_failure(job.item.path, e))

        top_up()
        batch: list[tuple[_Job, Picture, np.ndarray]] = []
        while decoding or batch:
            if decoding:
                job, fut = decoding.popleft()
                top_up()
                try:
                    picture, small = fut.result()
                    batch.append((job, picture, small))
                except BaseException as e:
                    finish(_failure(job.item.path, e))
            if batch and (len(batch) >= batch_size or not decoding):
                try:
                    edited = preset.run(np.stack([b[2] for b in batch]), s, batch_size)
                except Exception as e:
                    for job, _, _ in batch:
                        finish(_failure(job.item.path, LatentroomError(f"model failed on this batch: {e}")))
                else:
                    for i, (job, picture, small) in enumerate(batch):
                        encoding.append((job, encoders.submit(_encode, job, picture, small, edited[i], replace)))
                batch = []
                drain(window)
            else:
                drain(window)
        drain(0)
    return report
