"""Applying presets on Ray Data, for more photos than one machine gets through.

A dataset of image files (``ray.data.read_binary_files(..., include_paths=True)``:
columns ``path`` and ``bytes``; or a ``path`` column alone, for local files the actors
read themselves) goes through ``map_batches`` with a stateful callable
class: each Ray actor builds its own ONNX Runtime session once, in ``__init__``,
because sessions cannot be pickled. The preset travels to the actors as the bytes of
its packed ``.lrpreset`` file plus their sha256; every actor checks both that hash and
the bundle's own model checksum before building its session.

Each image goes through the same per-image steps as the local path
(:mod:`latentroom.engine.apply`: decode and plan, face by face for presets with a face
template, model run, carry-back or blend, encoding), so the encoded outputs are byte
for byte what ``latentroom apply`` writes; a photo without a face comes back as its
own bytes (``faces`` 0). Each actor builds its own face aligner, like its session. A file that fails
becomes a row with an ``error`` and no image; the job never fails because of one file.

Only this module imports ray, and only when a function here runs; install it with
``pip install 'latentroom[ray]'``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from latentroom.engine.apply import (
    FAILED,
    NO_FACE,
    WRITTEN,
    ApplyReport,
    ApplyResult,
    BatchInterrupted,
    Job,
    Plan,
    decode_input,
    failure_result,
    output_name,
    render_outputs,
    run_model,
    start_run,
    unchanged_output,
)
from latentroom.engine.errors import ImageError, LatentroomError, PresetError
from latentroom.engine.imaging import encode_image, read_image_file, write_encoded
from latentroom.engine.inputs import BadInput, InputFile, image_extensions
from latentroom.engine.presets.bundle import Bundle, packed_bytes, read_bundle, read_packed_bytes, sha256_bytes
from latentroom.engine.presets.library import resolve
from latentroom.engine.presets.preset import Preset

if TYPE_CHECKING:
    import ray.data

Decoded = tuple[int, Plan]
"""A decoded input: its row in the batch and its plan (picture and model inputs)."""

RESULT_COLUMNS = ("path", "format", "image", "compare", "error", "faces")
"""Columns of :func:`apply_dataset`'s result: the input's path, the output's Pillow
format, the encoded output and before|after comparison (``None`` when failed or not
asked for), the error naming the file (``None`` when it worked), and the faces edited
(``None`` for whole-frame edits; 0: no face, ``image`` is the input unchanged)."""


def _require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401  (ray without the data extra has no ray.data)
    except ImportError:
        raise LatentroomError("the ray engine needs Ray Data: pip install 'latentroom[ray]'") from None
    return ray


@dataclass(frozen=True)
class ShippedPreset:
    """A preset as it travels to Ray actors: its ``.lrpreset`` bytes and their sha256."""

    path: str
    """Where the bundle was read from, to name it in errors on the workers."""
    packed: bytes
    sha256: str

    @classmethod
    def of(cls, bundle: Bundle) -> ShippedPreset:
        packed = packed_bytes(bundle)
        return cls(str(bundle.path), packed, sha256_bytes(packed))

    def load(self, provider: str = "cpu", threads: int | None = None) -> Preset:
        """Verify the bytes (transport hash, then the bundle's checks) and build a session."""
        actual = sha256_bytes(self.packed)
        if actual != self.sha256:
            raise PresetError(f"{self.path}: packed preset arrived damaged: sha256 {actual}, sent as {self.sha256}")
        return Preset(read_packed_bytes(self.packed, self.path), provider=provider, threads=threads)


def ship_preset(preset: str | os.PathLike[str] | Preset) -> ShippedPreset:
    """Read and verify a preset (library name, bundle folder, ``.lrpreset`` file or loaded) for shipping."""
    if isinstance(preset, Preset):
        return ShippedPreset.of(preset.bundle)
    path, _ = resolve(preset)
    return ShippedPreset.of(read_bundle(path))


class PresetActor:
    """The ``map_batches`` callable: one verified preset and ORT session per Ray actor."""

    def __init__(
        self,
        shipped: ShippedPreset,
        strength: float | None,
        batch_size: int,
        compare: bool,
        provider: str = "cpu",
        threads: int | None = 1,
        planner_options: dict[str, Any] | None = None,
    ) -> None:
        self.preset = shipped.load(provider, threads)
        self.planner = self.preset.planner(**(planner_options or {}))
        self.strength = self.preset.resolve_strength(strength)
        self.batch_size = batch_size
        self.compare = compare

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        paths = [Path(str(p)) for p in batch["path"]]
        rows: dict[str, list[Any]] = {name: [None] * len(paths) for name in RESULT_COLUMNS}
        rows["path"] = [str(p) for p in paths]
        rows["format"] = [output_name(p)[1] for p in paths]
        contents = batch["bytes"] if "bytes" in batch else self._read(paths, rows)
        decoded = self._decode(paths, contents, rows)
        if decoded:
            self._edit(decoded, contents, rows)
        return rows

    @staticmethod
    def _read(paths: list[Path], rows: dict[str, list[Any]]) -> list[bytes | None]:
        """Rows that carry only a local path: read here, as the local engine reads."""
        contents: list[bytes | None] = []
        for i, path in enumerate(paths):
            try:
                contents.append(read_image_file(path))
            except ImageError as e:
                rows["error"][i] = e.message
                contents.append(None)
        return contents

    def _decode(self, paths: list[Path], contents: Sequence[Any], rows: dict[str, list[Any]]) -> list[Decoded]:
        decoded = []
        for i, (path, data) in enumerate(zip(paths, contents)):
            if data is None:  # not read: the row already says why
                continue
            try:
                plan = decode_input(path, self.planner, bytes(data))
            except Exception as e:
                rows["error"][i] = failure_result(path, e).error
            else:
                decoded.append((i, plan))
        return decoded

    def _edit(self, decoded: list[Decoded], contents: Sequence[Any], rows: dict[str, list[Any]]) -> None:
        try:
            edited = run_model(self.preset, [plan for _, plan in decoded], self.strength, self.batch_size)
        except LatentroomError as e:
            for i, _ in decoded:
                rows["error"][i] = failure_result(Path(rows["path"][i]), e).error
            return
        for (i, plan), outputs in zip(decoded, edited):
            try:
                self._encode_row(i, plan, outputs, bytes(contents[i]), rows)
            except Exception as e:
                rows["error"][i] = failure_result(Path(rows["path"][i]), e).error
                rows["image"][i] = rows["compare"][i] = None

    def _encode_row(self, i: int, plan: Plan, outputs: np.ndarray, data: bytes, rows: dict[str, list[Any]]) -> None:
        path, fmt = Path(rows["path"][i]), rows["format"][i]
        rows["faces"][i] = plan.faces
        if plan.faces == 0:  # as the local path: the input's own bytes when its format is kept
            if output_name(path)[0].suffix == path.suffix:
                rows["image"][i] = data
            else:
                rendered = unchanged_output(plan, fmt)
                rows["image"][i] = encode_image(rendered.after, fmt, rendered.params)
            return
        rendered = render_outputs(plan, outputs, fmt, self.compare)
        rows["image"][i] = encode_image(rendered.after, fmt, rendered.params)
        if rendered.compare is not None:
            rows["compare"][i] = encode_image(rendered.compare, fmt, rendered.params)


def apply_dataset(
    ds: ray.data.Dataset,
    preset: str | os.PathLike[str] | Preset | ShippedPreset,
    *,
    strength: float | None = None,
    batch_size: int = 8,
    concurrency: int | tuple[int, int] = 1,
    threads_per_actor: int = 1,
    compare: bool = False,
    provider: str = "cpu",
    planner_options: dict[str, Any] | None = None,
) -> ray.data.Dataset:
    """Apply ``preset`` to a dataset of image files; returns a dataset of results.

    ``ds`` needs columns ``path`` and ``bytes``, as
    ``ray.data.read_binary_files(paths, include_paths=True)`` makes, or only ``path``
    (local files, then read on the actors as the local engine reads them: regular
    files only, at most :data:`latentroom.engine.limits.MAX_IMAGE_BYTES`). The result has
    :data:`RESULT_COLUMNS`, one row per input (write it with ``write_parquet``, or
    iterate it). ``concurrency`` is the number of actors (or a ``(min, max)`` range
    for autoscaling), each with ``threads_per_actor`` CPUs and ORT threads. Actors
    hold their CPUs for the whole job, so when they take every CPU, read with
    ``num_cpus=0`` (reading files is I/O), or the read tasks never get scheduled,
    and a small read ``concurrency`` (each concurrent read task costs a worker
    process; see :func:`apply_files_on_ray`). ``planner_options`` are
    :meth:`Preset.planner`'s arguments (face alignment), applied on every actor.
    """
    ray = _require_ray()
    shipped = preset if isinstance(preset, ShippedPreset) else ship_preset(preset)
    if batch_size < 1:
        raise LatentroomError(f"batch size must be at least 1, got {batch_size}")
    # Checked here, once, so that a bad strength is a clear error now rather than
    # every actor failing to start.
    loaded = shipped.load(provider)
    strength = loaded.resolve_strength(strength)
    loaded.planner(**(planner_options or {}))  # and so is a missing face aligner
    if isinstance(concurrency, tuple):
        pool = ray.data.ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    else:
        pool = ray.data.ActorPoolStrategy(size=concurrency)
    return ds.map_batches(
        PresetActor,
        fn_constructor_args=(shipped, strength, batch_size, compare, provider, threads_per_actor, planner_options),
        batch_size=batch_size,
        batch_format="numpy",
        compute=pool,
        num_cpus=threads_per_actor,
    )


@contextlib.contextmanager
def ray_instance(address: str | None) -> Iterator[Any]:
    """Connect to the Ray cluster at ``address`` (or ``RAY_ADDRESS``), else start a local one.

    An instance this process is already connected to is used as it is and left running.
    """
    ray = _require_ray()
    if ray.is_initialized():
        yield ray
        return
    ray.init(address=address, log_to_driver=False, include_dashboard=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def collect_uri_inputs(uris: Sequence[str]) -> tuple[Any, list[InputFile], list[BadInput]]:
    """Image files at or under URIs Ray can read (``s3://``, ``gs://``, ``file://``, ...).

    Like :func:`latentroom.engine.inputs.collect_inputs` for folders: recursive, image extensions
    only, hidden names skipped, relative paths kept for the outputs. Returns the
    (pyarrow) filesystem they are on, which every URI of a run must share, the
    inputs, named as that filesystem names them (``bucket/photos/a.jpg``), and a
    failure for each URI that matched nothing.
    """
    _require_ray()
    import pyarrow.fs as pafs

    formats = image_extensions()
    filesystem: Any = None
    found: list[InputFile] = []
    errors: list[BadInput] = []
    for uri in uris:
        try:
            fs, root = pafs.FileSystem.from_uri(uri)
            info = fs.get_file_info(root)
        except Exception as e:  # an unknown scheme, an unreachable or refused store
            errors.append(BadInput(uri, f"cannot open: {e}"))
            continue
        if filesystem is None:
            filesystem = fs
        elif not fs.equals(filesystem):
            raise LatentroomError(f"{uri}: every URI of one run must be on the same filesystem as {uris[0]}")
        if info.type == pafs.FileType.File:
            found.append(InputFile(Path(root), Path(info.base_name)))
        elif info.type == pafs.FileType.Directory:
            for entry in sorted(fs.get_file_info(pafs.FileSelector(root, recursive=True)), key=lambda i: i.path):
                relative = PurePosixPath(entry.path).relative_to(root)
                hidden = any(part.startswith(".") for part in relative.parts)
                if entry.type == pafs.FileType.File and not hidden and relative.suffix.lower() in formats:
                    found.append(InputFile(Path(entry.path), Path(relative)))
        else:
            errors.append(BadInput(uri, "no such file or directory"))
    return filesystem, found, errors


def apply_files_on_ray(
    preset: Preset,
    inputs: Iterable[InputFile],
    outdir: str | os.PathLike[str],
    *,
    filesystem: Any = None,
    strength: float | None = None,
    batch_size: int = 8,
    compare: bool = False,
    overwrite: bool = False,
    skip_existing: bool = False,
    concurrency: int | None = None,
    threads_per_actor: int = 1,
    on_result: Callable[[ApplyResult], None] | None = None,
    planner_options: dict[str, Any] | None = None,
) -> ApplyReport:
    """:func:`latentroom.engine.apply.apply_files` with the images edited on Ray actors.

    Outputs are planned here with the same rules (clashes, existing files) and
    written here, atomically, from the encoded bytes the actors return. Needs a
    connected Ray instance (:func:`ray_instance`). Inputs are local paths, which on a
    cluster must be readable from every node (a shared filesystem), or paths on
    ``filesystem`` (from :func:`collect_uri_inputs`); ``outdir`` is on this machine.
    ``concurrency`` defaults to the cluster's CPUs divided by ``threads_per_actor``.
    ``planner_options``: :meth:`Preset.planner`'s arguments (face alignment).
    Ctrl-C stops the job as in :func:`latentroom.engine.apply.apply_files`:
    :class:`latentroom.engine.apply.BatchInterrupted` with the report so far; files
    already written are complete and the one being written is removed (atomic writes).
    Local inputs are read by the actors through :func:`latentroom.engine.imaging.read_image_file`.
    """
    ray = _require_ray()
    s, report, jobs = start_run(preset, inputs, Path(outdir), strength=strength, batch_size=batch_size,
                                compare=compare, overwrite=overwrite, skip_existing=skip_existing, on_result=on_result)
    if not jobs:
        return report
    # Rows come back named as the filesystem names them: absolute local paths, or as given.
    name = (lambda path: str(Path(path).resolve())) if filesystem is None else str
    waiting = {name(job.item.path): job for job in jobs}
    if concurrency is None:
        concurrency = max(1, int(ray.cluster_resources().get("CPU", 1)) // threads_per_actor)
    actors = min(concurrency, len(jobs))
    try:
        files = _input_dataset(ray, list(waiting), filesystem, actors)
        results = apply_dataset(files, preset, strength=s, batch_size=batch_size, concurrency=actors,
                                threads_per_actor=threads_per_actor, compare=compare, planner_options=planner_options)
        replace = overwrite or skip_existing
        with _rows_of(results) as rows:
            for row in rows:
                key = name(row["path"])
                result = _write_row(waiting[key], row, replace)
                del waiting[key]  # only once written: an interrupted write counts as not done
                report.add(result)
    except KeyboardInterrupt:
        # As the local engine: what was written is complete (atomic writes), the rest is counted.
        raise BatchInterrupted(report, len(waiting)) from None
    for job in waiting.values():  # vanished between planning and reading
        report.add(failure_result(job.item.path, ImageError(f"{job.item.path}: no such file")))
    return report


ITERATION_THREADS = ("iter_threaded", "map_tp_")
"""Name prefixes of the threads Ray Data iterates a dataset on, in this process."""
ITERATION_GRACE_S = 10.0
"""How long :func:`_rows_of` waits, at most, for them to end."""


@contextlib.contextmanager
def _rows_of(results: ray.data.Dataset) -> Iterator[Iterator[dict[str, Any]]]:
    """``results.iter_rows()``, over and done with on the way out, however the loop ends.

    Ray Data iterates on helper threads of this process that use its Ray core worker.
    A loop left early (Ctrl-C) leaves them winding down on their own (they look for
    the stop every 0.1 s, then drop their object refs), and a ``ray.shutdown()`` in
    the meantime (:func:`ray_instance` shuts a local instance down straight away)
    lets one reach the destroyed core worker: Ray then ends the whole process at once
    with status 1, flushing nothing (no summary, no 130). So the iterator is closed
    here, which is Ray Data's own early-exit path (executor shut down, threads told
    to stop), and its iteration threads are waited for. (Its block prefetcher thread
    stays parked for ever after an early exit, idle: nothing to wait for.)
    """
    before = set(threading.enumerate())
    rows = iter(results.iter_rows())
    try:
        yield rows
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
        deadline = time.monotonic() + ITERATION_GRACE_S
        for thread in set(threading.enumerate()) - before:
            if thread.name.startswith(ITERATION_THREADS):
                thread.join(max(0.0, deadline - time.monotonic()))


def _input_dataset(ray: Any, paths: list[str], filesystem: Any, actors: int) -> ray.data.Dataset:
    """The inputs as a dataset: local paths only (the actors read them as the local engine
    does: regular files, bounded), or paths and bytes read through ``filesystem``."""
    if filesystem is None:
        return ray.data.from_items([{"path": path} for path in paths])
    # Reading is file I/O, not computation: it gets no CPU of its own, so actors
    # holding every CPU cannot starve it. Unbounded, though, CPU-free read tasks would
    # each get a fresh worker process, and starting one (importing ray.data) costs
    # more CPU than reading hundreds of files, so few run at once.
    return ray.data.read_binary_files(paths, filesystem=filesystem, include_paths=True,
                                      ignore_missing_paths=True, num_cpus=0, concurrency=max(1, actors // 4))


def _write_row(job: Job, row: dict[str, Any], replace: bool) -> ApplyResult:
    if row["error"] is not None:
        return ApplyResult(job.item.path, FAILED, error=row["error"])
    try:
        write_encoded(row["image"], job.output, overwrite=replace)
        if job.compare is not None and row["compare"] is not None:
            write_encoded(row["compare"], job.compare, overwrite=replace)
    except Exception as e:
        return failure_result(job.item.path, e)
    if row["faces"] == 0:
        return ApplyResult(job.item.path, NO_FACE, output=job.output, faces=0)
    return ApplyResult(job.item.path, WRITTEN, output=job.output, compare=job.compare, faces=row["faces"])
