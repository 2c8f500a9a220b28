#!/usr/bin/env python3
"""Peak memory of applying a preset to one large photo, as a multiple of the photo.

One 12 MP photo (4000 x 3000, 8-bit RGB; the portrait of benchmarks/faces.py: the
astronaut scaled to 3000 px high on the scaled coffee photo, one face) goes through
``latentroom.engine.apply.apply_files`` with the bundled ``age`` model carrying the
toyfaces face template, three ways:

* ``aligned``: face by face (detect, align, model, blend the masked change back);
* ``whole frame``: ``align=False`` (the whole photo resized to R x R, the change
  upsampled to 12 MP and added);
* ``aligned, compare`` and ``whole, compare``: the same with ``compare=True`` (a
  before | after image too, itself twice the photo's size).

Each run is a fresh process: it loads the preset, applies it once to a copy of the
photo reduced to the size face detection works at (``DETECT_MAX_SIDE``), so ORT's
arenas for the model and the detector, and the thread pools, exist and are as large
as they will be (they are bounded by that size, not by the photo's), then resets the kernel's
peak-RSS mark (``/proc/self/clear_refs``, Linux) and applies it to the photo. The
figure is the growth of the peak resident set over the resident set before, divided
by the photo's decoded size (width x height x 3 bytes): everything the apply held
at once, Pillow's and ORT's buffers included, which ``tracemalloc`` would not see.
Each case runs with glibc's default allocator settings and with a fixed mmap
threshold (:data:`FIXED_MMAP_THRESHOLD`), which measures what the engine holds
rather than what the allocator keeps of freed buffers.

Usage::

    python benchmarks/memory.py [--repeats 3] [--format jpg|png] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {"aligned": {}, "whole frame": {"align": False}, "aligned, compare": {"compare": True},
         "whole, compare": {"align": False, "compare": True}}


def _status_kib(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))


def peak_growth(preset_path: Path, photo: Path, out: Path, align: bool | None = None, compare: bool = False) -> int:
    """Bytes the peak RSS of this process grew by while applying the preset to ``photo``
    (after a warm-up on a small copy of it). Linux only."""
    from PIL import Image

    from latentroom.engine.apply import WRITTEN, apply_files
    from latentroom.engine.faces import DETECT_MAX_SIDE
    from latentroom.engine.inputs import InputFile
    from latentroom.engine.presets import load_preset

    preset = load_preset(preset_path, provider="cpu")
    planner = preset.planner(align=align)
    small = out / "warm-up" / photo.name
    small.parent.mkdir(parents=True)
    with Image.open(photo) as img:
        img.reduce(math.ceil(max(img.size) / DETECT_MAX_SIDE)).save(small)

    def run(path: Path, folder: str) -> list[str]:
        report = apply_files(preset, [InputFile(path, Path(path.name))], out / folder, compare=compare,
                             planner=planner, workers=2)
        return [r.error or r.status for r in report.results]

    run(small, "small")
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak mark starts again from now
    statuses = run(photo, "large")
    assert statuses == [WRITTEN], statuses
    return (_status_kib("VmHWM") - before) * 1024


FIXED_MMAP_THRESHOLD = {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
"""glibc's default threshold, fixed: every block of 128 kB or more is its own mapping,
returned to the system when freed. By default glibc raises the threshold to the size
of the last such block freed (up to 32 MB), after which freed image buffers stay in
per-thread heaps, so the peak also measures how the allocator happened to reuse them."""


def measure(preset_path: Path, photo: Path, case: str, fixed_threshold: bool = False) -> int:
    """:func:`peak_growth` in a fresh process (so nothing earlier is cached or freed);
    ``fixed_threshold``: with :data:`FIXED_MMAP_THRESHOLD`."""
    options = CASES[case]
    env = dict(os.environ, OMP_NUM_THREADS="1", **(FIXED_MMAP_THRESHOLD if fixed_threshold else {}))
    code = (
        "import sys, json; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from memory import peak_growth;"
        "print(peak_growth(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), **json.loads(sys.argv[5])))"
    )
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", code, str(Path(__file__).parent), str(preset_path), str(photo), out,
             json.dumps(options)],
            capture_output=True, text=True, env=env,
        )
    if done.returncode:
        raise RuntimeError(f"measuring {case!r} failed:\n{done.stderr}")
    return int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--format", choices=("jpg", "png"), default="jpg")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from faces import cpu_model, make_photo, make_preset

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photo = folder / f"portrait-12mp.{args.format}"
        make_photo(photo)
        preset = make_preset(folder)
        decoded = 4000 * 3000 * 3
        for case in CASES:
            row: dict[str, object] = {"case": case}
            for fixed in (False, True):
                growth = [measure(preset, photo, case, fixed) for _ in range(args.repeats)]
                median = statistics.median(growth)
                row["fixed_threshold" if fixed else "default"] = {"growth_bytes": growth, "multiple": median / decoded}
                print(f"{case:16s} {'fixed' if fixed else 'default'} malloc: peak RSS growth median {median / 1e6:6.1f} MB"
                      f" = {median / decoded:5.2f} x the {decoded / 1e6:.0f} MB decoded photo"
                      f" (runs: {', '.join(f'{g / 1e6:.0f}' for g in growth)} MB)")
            rows.append(row)
    info = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(), "cores": os.cpu_count(),
            "python": platform.python_version(), "format": args.format, "repeats": args.repeats, "rows": rows}
    print(json.dumps(info, indent=1) if args.json is None else f"written {args.json}")
    if args.json is not None:
        args.json.write_text(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
