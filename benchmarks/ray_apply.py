#!/usr/bin/env python3
"""Local apply against the Ray engine at equal cores, side by side in one process.

For the realistic student preset (~1M parameters, tests/preset_fixtures.py) at model
resolution 128² (by default), both engines apply the preset to the same PNG files,
written fresh each time:

* ``local``: ``latentroom.engine.apply.apply_files`` (one process; decode and encode thread
  pools, ONNX Runtime with its default threads);
* ``ray``: ``latentroom.engine.ray_apply.apply_files_on_ray`` on a local Ray instance started
  with ``num_cpus`` equal to this machine's cores: one actor per CPU, one ORT
  thread each, outputs written by the driver.

Each engine runs over N and 2N files, interleaved (local N, ray N, local 2N, ray 2N,
repeated). The Ray instance is started once, outside the timings, as a cluster
would be; each Ray *job* still pays its own start-up (worker processes, imports,
actors, sessions). So two throughputs are reported, medians over the repeats:

* **steady state**: N / (t(2N) - t(N)), the marginal rate once a job runs, which
  is what a million-photo job sees (the start-up cancels out); the job's fixed cost
  is t(N) - N / rate. Ray hands results to the driver a block at a time, so timing
  the results as they arrive would overstate its rate; the difference of whole
  runs does not;
* **whole run**: N / t(N) and 2N / t(2N), start-up included.

Wall times on a shared machine move with other people's load, so each run is also
charged in **CPU seconds per image**: the CPU time of this process and of every
process descended from it (Ray's GCS, raylet, workers and actors are all started by
``ray.init`` here), read from ``/proc`` every 0.1 s, so that processes which exit
(actors at the end of a job) are counted up to their last sample. That ratio does
not depend on how busy the machine is, and the breakdown by process shows where
Ray's extra time goes.

The **driver's share**: the time the driver needs per image to write the returned
bytes (``write_encoded``), measured on its own; with many nodes it caps the rate at
one over that time, since outputs are written on the driver.

Usage::

    python benchmarks/ray_apply.py [--files 64] [--repeats 3] [--resolution 128] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from apply import cpu_model, timed  # noqa: E402  (benchmarks/apply.py)


class TreeCpu:
    """CPU seconds of this process and its descendants, by process name, sampled from /proc."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self) -> None:
        self.first: dict[tuple[int, int], int] = {}
        """Ticks at the start for processes alive then; processes started later begin at 0."""
        self.last: dict[tuple[int, int], tuple[str, int]] = {}
        self.stop = threading.Event()

    def _snapshot(self) -> dict[tuple[int, int], tuple[str, int]]:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    raw = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
                # Fields after the name: ppid is 2nd, utime/stime 12th/13th, starttime 20th.
                stats[int(entry)] = (name, int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[19]))
        tree, grew = {os.getpid()}, True
        while grew:
            grew = False
            for pid, (_, ppid, _, _) in stats.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        return {(pid, stats[pid][3]): (stats[pid][0], stats[pid][2]) for pid in tree if pid in stats}

    def _sample(self) -> None:
        self.last.update(self._snapshot())

    def __enter__(self) -> TreeCpu:
        # Processes alive now start from their current count; later ones from zero.
        self.first = {key: ticks for key, (_, ticks) in self._snapshot().items()}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            self._sample()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()

    def seconds(self) -> dict[str, float]:
        by_name: dict[str, float] = {}
        for key, (name, ticks) in self.last.items():
            label = "driver" if key[0] == os.getpid() else name
            by_name[label] = by_name.get(label, 0.0) + (ticks - self.first.get(key, 0)) / self.TICK
        return by_name


def make_photos(folder: Path, count: int, size: int, rng: np.random.Generator) -> Path:
    from PIL import Image

    folder.mkdir()
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{i:04d}.png")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description="local apply vs Ray at equal cores")
    parser.add_argument("--files", type=int, default=64, help="N: runs use N and 2N files")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--resolution", type=int, default=128, help="model resolution (and input size)")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    import onnxruntime as ort
    import ray

    from latentroom.engine.apply import apply_files, collect_inputs
    from latentroom.engine.imaging import write_encoded
    from latentroom.engine.presets import load_preset
    from latentroom.engine.ray_apply import apply_files_on_ray
    from preset_fixtures import build_preset

    cores = len(os.sched_getaffinity(0))
    rng = np.random.default_rng(0)
    load_start = os.getloadavg()[0]
    r, b = args.resolution, args.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        preset = load_preset(build_preset(tmp_path / "student", name="student", kind="student", resolution=r), "cpu")
        inputs = {
            n: collect_inputs([str(make_photos(tmp_path / f"in{n}", n, r, rng))])[0]
            for n in (args.files, 2 * args.files)
        }
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        engines = {"local": apply_files, "ray": apply_files_on_ray}
        times: dict[tuple[str, int], list[float]] = {}
        cpu: dict[tuple[str, int], list[dict[str, float]]] = {}
        counter = 0
        for repeat in range(args.repeats + 1):  # the first round warms up and is not counted
            for n, files in inputs.items():
                for name, engine in engines.items():
                    counter += 1
                    with TreeCpu() as meter:
                        t = timed(lambda: engine(preset, files, tmp_path / f"out{counter}", strength=1.0, batch_size=b))
                    used = meter.seconds()
                    if repeat:
                        times.setdefault((name, n), []).append(t)
                        cpu.setdefault((name, n), []).append(used)
                    print(f"round {repeat} {name:5s} {n:4d} files: {t:6.2f} s, {sum(used.values()):6.2f} CPU s "
                          f"(load {os.getloadavg()[0]:.1f})", flush=True)
        ray.shutdown()

        outputs = sorted((tmp_path / f"out{counter}").iterdir())
        data = [p.read_bytes() for p in outputs]
        write_s = timed(lambda: [write_encoded(d, tmp_path / "driver" / p.name) for p, d in zip(outputs, data)])

    n1, n2 = args.files, 2 * args.files
    result = {}
    for name in engines:
        t1, t2 = statistics.median(times[(name, n1)]), statistics.median(times[(name, n2)])
        rate = (n2 - n1) / (t2 - t1)
        c1, c2 = (statistics.median(sum(u.values()) for u in cpu[(name, n)]) for n in (n1, n2))
        result[name] = {"steady": rate, "fixed": t1 - n1 / rate, "whole": n2 / t2, "whole_n": n1 / t1,
                        "cpu_ms": (c2 - c1) / (n2 - n1) * 1000, "cpu_fixed": c1 - n1 * (c2 - c1) / (n2 - n1)}
    driver_ms = write_s / len(outputs) * 1000
    per_actor = result["ray"]["steady"] / cores
    print()
    print(f"date {datetime.date.today().isoformat()}, nproc {cores}, CPU {cpu_model()}, ray {ray.__version__}, "
          f"onnxruntime {ort.__version__}, python {platform.python_version()}, model {r}², batch {b}, "
          f"N={n1}, {args.repeats} repeats, load average at start {load_start:.2f}, at end {os.getloadavg()[0]:.2f}")
    print()
    print("| engine | steady state (img/s) | whole run, N files (img/s) | whole run, 2N files (img/s) "
          "| fixed cost per job (s) | CPU per image, steady (ms) | CPU fixed per job (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, row in result.items():
        print(f"| {name} | {row['steady']:.2f} | {row['whole_n']:.2f} | {row['whole']:.2f} | {row['fixed']:.2f} "
              f"| {row['cpu_ms']:.1f} | {row['cpu_fixed']:.2f} |")
    print()
    local, remote = result["local"], result["ray"]
    print(f"Ray overhead at equal cores, steady state: {local['steady'] / remote['steady'] - 1:+.1%} wall, "
          f"{remote['cpu_ms'] / local['cpu_ms'] - 1:+.1%} CPU per image; "
          f"whole run of 2N files: {local['whole'] / remote['whole'] - 1:+.1%} wall")
    # The same figures round by round (each round's four runs are back to back), to show the spread.
    for i in range(args.repeats):
        marginal = {name: (n2 - n1) / (times[(name, n2)][i] - times[(name, n1)][i]) for name in engines}
        print(f"  round {i + 1}: steady local {marginal['local']:.1f}, ray {marginal['ray']:.1f} img/s "
              f"(overhead {marginal['local'] / marginal['ray'] - 1:+.0%}); whole run of 2N files "
              f"{times[('ray', n2)][i] / times[('local', n2)][i] - 1:+.0%}")
    print("CPU per image by process, steady state (ms; medians of N and 2N runs, differenced):")
    for name in engines:
        per_image = {}
        for label in {label for n in (n1, n2) for u in cpu[(name, n)] for label in u}:
            c1, c2 = (statistics.median(u.get(label, 0.0) for u in cpu[(name, n)]) for n in (n1, n2))
            per_image[label] = (c2 - c1) / (n2 - n1) * 1000
        shown = sorted(per_image.items(), key=lambda kv: -abs(kv[1]))[:6]
        print(f"  {name}: " + ", ".join(f"{label} {ms:.1f}" for label, ms in shown))
    print(f"per actor (1 CPU): {per_actor:.2f} img/s; driver writes {driver_ms:.2f} ms/image "
          f"(ceiling {1000 / driver_ms:.0f} img/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
