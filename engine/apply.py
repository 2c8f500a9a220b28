"""The batched apply pipeline: image files in, edited image files out.

Decoding (plus the resize to model resolution) and encoding (residual carry-back,
conversion, metadata, compressed write) run on thread pools while the main thread
feeds ONNX Runtime in batches. Pillow and ORT both release the GIL for their heavy
work, so with enough prefetch the model, not the file handling, bounds throughput.
Memory stays bounded: at most about ``batch_size + workers`` images wait on each side.

Every file gets an :class:`ApplyResult`; one bad file never stops the batch. Ctrl-C
does: queued work is cancelled, the writes already running finish (so no temporary
file is left), and :class:`BatchInterrupted` carries the report of what was done.

The per-image steps (:func:`decode_input`, :func:`run_model`, :func:`render_outputs`)
and the run set-up (:func:`start_run`) are public: :mod:`latentroom.engine.ray_apply` runs the
same ones on Ray actors, so both engines write the same bytes, face by face for
presets with a face template.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
from PIL import Image

from latentroom.engine import limits
from latentroom.engine.atomic import atomic_write, remove_stale_temporaries
from latentroom.engine.errors import ImageError, LatentroomError
from latentroom.engine.faces import Plan, Planner, run_plans
from latentroom.engine.imaging import (
    open_image,
    peek_decoded_bytes,
    save_image,
    save_params,
    side_by_side,
    to_pil,
)
from latentroom.engine.inputs import InputFile, image_format
from latentroom.engine.regular_files import open_regular
from latentroom.engine.presets.preset import Preset

COMPARE_SUFFIX = "_compare"

WRITTEN, SKIPPED, FAILED, NO_FACE = "written", "skipped", "failed", "no face"
"""``NO_FACE``: an aligned preset found no face to edit; the output is the input,
byte for byte (re-encoded unchanged only when its format cannot be written)."""


@dataclass
class ApplyResult:
    input: Path
    status: str
    """``written``, ``skipped``, ``failed`` or ``no face``."""
    output: Path | None = None
    compare: Path | None = None
    error: str | None = None
    """For failures: a message naming the file and the reason."""
    faces: int | None = None
    """Faces edited, for an aligned preset; ``None`` for whole-frame edits."""


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


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped :func:`apply_files`; ``report`` holds the files finished before."""

    def __init__(self, report: ApplyReport, not_started: int) -> None:
        super().__init__()
        self.report = report
        self.not_started = not_started


def output_name(relative: Path) -> tuple[Path, str]:
    """The output's relative path and Pillow format, from the input's extension.

    The input's name and format are kept; a format Pillow can read but not write
    (or an unknown extension) becomes PNG, with ``.png`` appended.
    """
    fmt = image_format(relative)
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
    cost: int = 0
    """Decoded bytes, from the file's header (0 if unreadable: decoding reports why)."""


@dataclass
class Rendered:
    """One input's finished output images, ready to encode."""

    after: Image.Image
    compare: Image.Image | None
    params: dict[str, Any]
    """Encoder arguments (quality, metadata) for both."""


def decode_input(path: Path, planner: Planner, data: bytes | None = None) -> Plan:
    """Open an input (``data``: its bytes, when already read) and plan its model inputs."""
    return planner.plan(open_image(path, data))


def run_model(preset: Preset, plans: Sequence[Plan], strength: float | None, batch_size: int) -> list[np.ndarray]:
    """One batch of inputs through the model; returns each plan's outputs (one per face).

    A photo brings one model input per face (none without a face). A failure is
    reported against every file in the batch.
    """
    try:
        return run_plans(plans, lambda inputs: preset.run(inputs, strength, batch_size))
    except Exception as e:
        raise LatentroomError(f"model failed on this batch: {e}") from None


def render_outputs(plan: Plan, edited: np.ndarray, fmt: str, compare: bool) -> Rendered:
    """Carry the edit back to full resolution and build the output (and comparison) image."""
    picture = plan.picture
    after = to_pil(picture, plan.rows(edited))
    side = side_by_side(plan.annotate(to_pil(picture, picture.rgb)), after) if compare else None
    return Rendered(after, side, save_params(picture, fmt))


def unchanged_output(plan: Plan, fmt: str) -> Rendered:
    """A photo without a face, as an image in the output's format (when the input's own
    format cannot be written, so its bytes cannot simply be copied)."""
    return Rendered(to_pil(plan.picture, plan.picture.rgb), None, save_params(plan.picture, fmt))


def _copy_unchanged(job: Job, plan: Plan, overwrite: bool) -> ApplyResult:
    """A photo without a face: its output is the input file itself."""
    if job.output.suffix == job.item.path.suffix:
        def copy(f: object) -> None:
            with open_regular(job.item.path) as src:
                shutil.copyfileobj(src, f)

        try:
            atomic_write(job.output, copy, overwrite=overwrite)
        except FileExistsError:
            raise ImageError(f"{job.output}: output exists (use --overwrite or --skip-existing)") from None
    else:  # a format Pillow cannot write: the same pixels in the output's format
        rendered = unchanged_output(plan, job.fmt)
        save_image(rendered.after, job.output, job.fmt, rendered.params, overwrite=overwrite)
    return ApplyResult(job.item.path, NO_FACE, output=job.output, faces=0)


def _encode(job: Job, plan: Plan, edited: np.ndarray, overwrite: bool) -> ApplyResult:
    if plan.faces == 0:
        return _copy_unchanged(job, plan, overwrite)
    rendered = render_outputs(plan, edited, job.fmt, job.compare is not None)
    save_image(rendered.after, job.output, job.fmt, rendered.params, overwrite=overwrite)
    if rendered.compare is not None and job.compare is not None:
        save_image(rendered.compare, job.compare, job.fmt, rendered.params, overwrite=overwrite)
    return ApplyResult(job.item.path, WRITTEN, output=job.output, compare=job.compare, faces=plan.faces)


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
    decided cheaply, and what a killed earlier run left half-written for them is
    removed. Returns the resolved strength, the report (holding the inputs settled
    by planning) and the jobs left to run.
    """
    s = check_options(preset, strength, batch_size, overwrite, skip_existing)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ImageError(f"{outdir}: cannot create the output folder: {e.strerror or e}") from None
    report = ApplyReport(provider=preset.provider, on_result=on_result)
    jobs = plan_outputs(
        inputs, outdir, compare=compare, overwrite=overwrite, skip_existing=skip_existing, settled=report.add
    )
    _remove_stale_temporaries(jobs)
    return s, report, jobs


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
    planner: Planner | None = None,
) -> ApplyReport:
    """Apply ``preset`` to image files, writing results under ``outdir``.

    Outputs keep the input's name (and sub-folder, for folder inputs), size, mode
    and format. Existing outputs fail unless ``overwrite`` (replace) or
    ``skip_existing`` (leave, count as skipped). ``on_result`` is called on the
    calling thread once per input as it finishes, in completion order.
    ``planner`` (:meth:`Preset.planner`) says whether faces are aligned; by default
    as the preset's template and the default aligner say.
    """
    check_options(preset, strength, batch_size, overwrite, skip_existing)
    planner = planner or preset.planner()  # a missing aligner fails before any file is touched
    s, report, jobs = start_run(preset, inputs, Path(outdir), strength=strength, batch_size=batch_size,
                                compare=compare, overwrite=overwrite, skip_existing=skip_existing, on_result=on_result)
    if not jobs:
        return report
    pipeline = _Pipeline(preset, planner, s, batch_size, workers or max(2, min(4, os.cpu_count() or 2)),
                         overwrite or skip_existing, report.add)
    planned = len(report.results)
    try:
        pipeline.run(jobs)
    except KeyboardInterrupt:
        raise BatchInterrupted(report, len(jobs) - (len(report.results) - planned)) from None
    return report


def plan_outputs(
    inputs: Iterable[InputFile],
    outdir: Path,
    *,
    compare: bool,
    overwrite: bool,
    skip_existing: bool,
    settled: Callable[[ApplyResult], None],
) -> list[Job]:
    """Decide each input's outputs before decoding: clashes, the input itself, existing files.

    Inputs settled here (failed, or skipped as already done) go to ``settled``; the
    rest come back as jobs to run.
    """
    jobs: list[Job] = []
    claimed: dict[Path, Path] = {}
    for item in inputs:
        relative, fmt = output_name(item.relative)
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


def _remove_stale_temporaries(jobs: list[Job]) -> None:
    """Remove what a killed earlier run left half-written for this run's outputs."""
    by_folder: dict[Path, set[str]] = {}
    for job in jobs:
        for target in (job.output, job.compare):
            if target is not None:
                by_folder.setdefault(target.parent, set()).add(target.name)
    for folder, names in by_folder.items():
        remove_stale_temporaries(folder, names)


class _Pipeline:
    """Decode on a pool, run the model in batches here, encode on a pool.

    Two bounds keep memory in check: at most ``window`` images are in flight on each
    side of the model, and the decoded images held at once (read from each file's
    header before it is decoded) stay within
    :data:`latentroom.engine.limits.MAX_INFLIGHT_IMAGE_BYTES`, except that one image is always
    let through alone. Large photos are therefore processed a few at a time, small
    ones a full window at a time.
    """

    def __init__(
        self, preset: Preset, planner: Planner, strength: float | None, batch_size: int, workers: int,
        replace: bool, finish: Callable[[ApplyResult], None],
    ) -> None:
        self.preset, self.planner, self.strength = preset, planner, strength
        self.batch_size, self.workers = batch_size, workers
        self.replace, self.finish = replace, finish
        # Enough decoded images to fill the next batch while the model runs this one, and
        # enough queued writes to keep the encoders busy; more would only hold full-size
        # images in memory (about 3 batches' worth in flight at most).
        self.window = batch_size + workers
        self.decoding: deque[tuple[Job, Future]] = deque()
        self.encoding: deque[tuple[Job, Future]] = deque()
        self.held = 0
        """Decoded bytes of the images between submission and their result."""
        self.waiting: Job | None = None
        """The next job, when the memory budget held it back."""

    def run(self, jobs: list[Job]) -> None:
        with ThreadPoolExecutor(self.workers, thread_name_prefix="lr-decode") as decoders, ThreadPoolExecutor(
            self.workers, thread_name_prefix="lr-encode"
        ) as encoders:
            try:
                self._loop(iter(jobs), decoders, encoders)
            except KeyboardInterrupt:
                self._stop(decoders, encoders)
                raise

    def _stop(self, decoders: ThreadPoolExecutor, encoders: ThreadPoolExecutor) -> None:
        """Ctrl-C: drop queued work, let running writes finish so no temp file is left."""
        decoders.shutdown(wait=False, cancel_futures=True)
        encoders.shutdown(wait=False, cancel_futures=True)
        while self.encoding:
            job, fut = self.encoding.popleft()
            if not fut.cancelled():
                self._report(job, fut)

    def _done(self, job: Job, result: ApplyResult) -> None:
        self.held -= job.cost
        self.finish(result)

    def _report(self, job: Job, fut: Future) -> None:
        try:
            self._done(job, fut.result())
        except Exception as e:
            self._done(job, failure_result(job.item.path, e))

    def _top_up(self, pending: Iterator[Job], decoders: ThreadPoolExecutor) -> None:
        while len(self.decoding) < self.window:
            job = self.waiting or next(pending, None)
            if job is None:
                return
            job.cost = peek_decoded_bytes(job.item.path)
            if self.held and self.held + job.cost > limits.MAX_INFLIGHT_IMAGE_BYTES:
                self.waiting = job  # until earlier images are written
                return
            self.waiting = None
            self.held += job.cost
            self.decoding.append((job, decoders.submit(decode_input, job.item.path, self.planner)))

    def _loop(self, pending: Iterator[Job], decoders: ThreadPoolExecutor, encoders: ThreadPoolExecutor) -> None:
        self._top_up(pending, decoders)
        batch: list[tuple[Job, Plan]] = []
        while self.decoding or batch or self.waiting:
            if self.decoding:
                job, fut = self.decoding.popleft()
                self._top_up(pending, decoders)
                try:
                    batch.append((job, fut.result()))
                except Exception as e:
                    self._done(job, failure_result(job.item.path, e))
            if batch and (len(batch) >= self.batch_size or not self.decoding):
                self._run_batch(batch, encoders)
                batch = []
            if not self.decoding and not batch and self.waiting:
                self._drain(0)  # the budget is full: free it by finishing the writes
                self._top_up(pending, decoders)
            self._drain(self.window)
        self._drain(0)

    def _run_batch(self, batch: list[tuple[Job, Plan]], encoders: ThreadPoolExecutor) -> None:
        try:
            edited = run_model(self.preset, [plan for _, plan in batch], self.strength, self.batch_size)
        except LatentroomError as e:
            for job, _ in batch:
                self._done(job, failure_result(job.item.path, e))
            return
        for (job, plan), outputs in zip(batch, edited):
            self.encoding.append((job, encoders.submit(_encode, job, plan, outputs, self.replace)))

    def _drain(self, limit: int) -> None:
        # Report finished writes; block only while more than ``limit`` are queued.
        while self.encoding and (len(self.encoding) > limit or self.encoding[0][1].done()):
            job, fut = self.encoding.popleft()
            self._report(job, fut)
