#!/usr/bin/env python3
"""Apply throughput on this machine's CPU, and the engine's overhead over bare ORT.

For a realistic student preset (~1M parameters: strided conv encoder, three residual
blocks at 1/4 resolution, transposed-conv decoder; see tests/preset_fixtures.py) at
each model resolution and batch size it measures, side by side in one process:

* ``bare``: ``InferenceSession.run`` on ready float32 NCHW input (pure model time);
* ``engine``: ``Preset.apply`` on a uint8 NHWC batch at model resolution (value
  mapping, layout conversion, strength feed, quantisation back to uint8);
* ``files`` (batch 16 only): ``latentroom.engine.apply.apply_files`` end to end on PNG files
  (decode, resize, batch, run, carry back, encode, atomic write), to show that the
  threaded pipeline keeps the model the bottleneck.

Calls are interleaved (engine, bare, engine, bare, ...) after a warm-up; throughput
is the median over repeats. Overhead is reported three ways, because a shared
machine makes single timings noisy: the median of the paired ratios
``engine_i / bare_i - 1``; best-of, ``min(engine) / min(bare) - 1``; and the engine's
own work, the time an engine call spends outside ``InferenceSession.run`` relative to
the time inside it (measured within the same call, so other load barely skews it). Building the fixture needs torch; the measured
code does not use it.

Usage::

    python benchmarks/apply.py [--sizes 128,256,512] [--batches 1,16] [--min-repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class TimedSession:
    """Wraps an ORT session to add up the time spent inside ``run``.

    Engine time minus that is exactly the engine's own work in the same call, a
    measure other processes on a shared machine can barely skew.
    """

    def __init__(self, session) -> None:
        self.session, self.inside = session, 0.0

    def run(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.session.run(*args, **kwargs)
        finally:
            self.inside += time.perf_counter() - t

    def __getattr__(self, name: str):
        return getattr(self.session, name)


def main() -> int:
    parser = argparse.ArgumentParser(description="apply throughput benchmark")
    parser.add_argument("--sizes", default="128,256,512")
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--min-repeats", type=int, default=3)
    parser.add_argument("--target-seconds", type=float, default=3.0,
                        help="repeat each measurement until about this much time per side (max 15 repeats)")
    parser.add_argument("--files", type=int, default=32, help="PNG files for the end-to-end run (0: skip)")
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")
    args = parser.parse_args()

    import onnxruntime as ort
    from PIL import Image

    from latentroom.engine.apply import apply_files
    from latentroom.engine.inputs import collect_inputs
    from latentroom.engine.presets import load_preset
    from preset_fixtures import StudentNet, build_preset, model_bytes, parameter_count

    rng = np.random.default_rng(0)
    load_start = os.getloadavg()[0]
    sizes = [int(s) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for r in sizes:
            bundle = build_preset(tmp_path / f"student{r}", name=f"student{r}", kind="student", resolution=r)
            preset = load_preset(bundle, provider="cpu")
            timed_session = preset._session = TimedSession(preset._session)
            bare = ort.InferenceSession(model_bytes("student", r), providers=["CPUExecutionProvider"])
            for b in batches:
                frames = rng.integers(0, 256, (b, r, r, 3), dtype=np.uint8)
                nchw = (frames.astype(np.float32) / 255 * 2 - 1).transpose(0, 3, 1, 2).copy()
                feed = {"image": nchw, "strength": np.ones(b, np.float32)}
                run_engine = lambda: preset.apply(frames, strength=1.0)  # noqa: E731
                run_bare = lambda: bare.run(None, feed)  # noqa: E731
                first = timed(run_engine) + timed(run_bare)  # warm-up (first runs allocate)
                repeats = max(args.min_repeats, min(15, math.ceil(args.target_seconds / (first / 2))))
                te, tb, own = [], [], []
                for _ in range(repeats):
                    timed_session.inside = 0.0
                    te.append(timed(run_engine))
                    own.append(te[-1] - timed_session.inside)
                    tb.append(timed(run_bare))
                me, mb = statistics.median(te), statistics.median(tb)
                row = {
                    "resolution": r, "batch": b, "repeats": repeats,
                    "bare_img_s": b / mb, "engine_img_s": b / me,
                    # Each engine call is paired with the bare call right after it, so the
                    # median of the pair ratios cancels slow drift in machine load.
                    "overhead_pct": (statistics.median(e / b_ for e, b_ in zip(te, tb)) - 1) * 100,
                    "overhead_best_pct": (min(te) / min(tb) - 1) * 100,
                    "engine_own_pct": statistics.median(o / (e - o) for o, e in zip(own, te)) * 100,
                }
                if b == 16 and args.files:
                    src = tmp_path / f"in{r}"
                    src.mkdir()
                    for i in range(args.files):
                        Image.fromarray(rng.integers(0, 256, (r, r, 3), dtype=np.uint8)).save(src / f"{i:03d}.png")
                    files, _ = collect_inputs([str(src)])
                    out = tmp_path / f"out{r}"
                    t = timed(lambda: apply_files(preset, files, out, strength=1.0, batch_size=b, overwrite=True))
                    row["files_img_s"] = len(files) / t
                rows.append(row)
                print(
                    f"{r:>4}² batch {b:>2}: bare {row['bare_img_s']:7.2f} img/s, engine {row['engine_img_s']:7.2f} img/s, "
                    f"overhead {row['overhead_pct']:+5.1f}% (best-of {row['overhead_best_pct']:+5.1f}%, "
                    f"engine's own work {row['engine_own_pct']:4.1f}%)"
                    + (f", files end-to-end {row['files_img_s']:.2f} img/s" if "files_img_s" in row else "")
                    + f"  ({repeats} repeats)",
                    flush=True,
                )

    machine = {
        "date": datetime.date.today().isoformat(),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu_model(),
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "parameters": parameter_count(StudentNet()),
        "provider": preset.provider,
        # Other work on the machine skews absolute numbers; the interleaved overhead
        # comparison is much less sensitive to it. Recorded so readers can judge.
        "loadavg_1m_end": round(os.getloadavg()[0], 2),
    }
    print()
    print(f"date {machine['date']}, nproc {machine['nproc']}, CPU {machine['cpu']}, onnxruntime {machine['onnxruntime']}, "
          f"numpy {machine['numpy']}, python {machine['python']}, student {machine['parameters']:,} parameters, "
          f"load average at start {load_start:.2f}, at end {machine['loadavg_1m_end']:.2f}")
    print()
    print("| resolution | batch | bare ORT (img/s) | engine `Preset.apply` (img/s) | overhead, paired median "
          "| overhead, best-of | engine's own work | files end-to-end (img/s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        files = f"{row['files_img_s']:.2f}" if "files_img_s" in row else "-"
        print(f"| {row['resolution']}² | {row['batch']} | {row['bare_img_s']:.2f} | {row['engine_img_s']:.2f} | "
              f"{row['overhead_pct']:+.1f}% | {row['overhead_best_pct']:+.1f}% | {row['engine_own_pct']:.1f}% | {files} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
