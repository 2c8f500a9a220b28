#!/usr/bin/env python3
"""A 12 MP JPEG with one face through a face-aligned preset: end to end and by stage.

The photo is built from scikit-image's astronaut portrait (shipped in its wheel): the
portrait scaled to 3000 px high (her face about 500 px wide) on a 4000 x 3000 canvas
of the scaled coffee photo, saved as a quality-92 JPEG (4:2:0). The preset is the
bundled ``age`` model with the toyfaces face template (written into a copy of its
manifest by the project's writer); the aligner is ``mtcnn`` (the ``photo`` extra).

Two measurements, each the median of ``--repeats`` runs:

* ``end to end``: wall time, and CPU time (user + system), of ``latentroom apply PRESET photo.jpg -o OUT --overwrite -q``
  as a fresh process (Python start, imports, preset verification, ORT sessions, the
  aligner's networks, decode, detect, align, model, blend, encode, atomic write);
* ``whole frame``: the same command with ``--no-align`` (the path presets without a
  template take: the whole photo resized to R x R, the change upsampled to 12 MP);
* ``stages``: the same work in one warm process, each stage's CPU time on its own:
  decode (``open_image``), detect (box-reduce to 1024 px + MTCNN), align (cut and warp
  the face's region to R x R), model (ORT), blend (warp the masked change back, add),
  encode (JPEG quality 95 + atomic write).

Usage::

    python benchmarks/faces.py [--repeats 7] [--threads 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def make_photo(path: Path) -> None:
    import skimage.data
    from PIL import Image

    canvas = Image.fromarray(skimage.data.coffee()).resize((4000, 3000), Image.Resampling.BICUBIC)
    portrait = Image.fromarray(skimage.data.astronaut()).resize((3000, 3000), Image.Resampling.LANCZOS)
    canvas.paste(portrait, (500, 0))
    canvas.save(path, quality=92)


def make_preset(folder: Path) -> Path:
    from latentroom.engine.presets import read_bundle, write_bundle
    from latentroom.plugins.toyfaces.alignment import alignment_section

    bundle = read_bundle(ROOT / "presets" / "age")
    manifest = dict(bundle.manifest, alignment=alignment_section(bundle.manifest["io"]["resolution"]))
    return write_bundle(folder / "age-aligned", manifest, bundle.model_bytes, overwrite=True)


def end_to_end(
    preset: Path, photo: Path, out: Path, repeats: int, env: dict[str, str], extra: tuple[str, ...] = ()
) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system, from the child's rusage) per run."""
    # The installed console script, as a user runs it.
    script = shutil.which("latentroom", path=str(Path(sys.executable).parent)) or "latentroom"
    command = [script, "apply", str(preset), str(photo), "-o", str(out), "--overwrite", "-q", *extra]
    wall, cpu = [], []
    for _ in range(repeats + 1):  # the first run warms the file cache
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(command, check=True, env=env, cwd=ROOT)
        wall.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall[1:], cpu[1:]


def stages(preset_path: Path, photo: Path, out: Path, repeats: int) -> dict[str, list[float]]:
    from latentroom.engine.imaging import open_image, save_image, save_params, to_pil
    from latentroom.engine.presets import load_preset

    preset = load_preset(preset_path, provider="cpu")
    planner = preset.planner()
    strength = preset.resolve_strength(None)
    found: dict[str, list[float]] = {k: [] for k in ("decode", "detect", "align", "model", "blend", "encode")}
    # CPU time of this process (all threads): on a shared machine it is what the work
    # costs, while wall time also counts waiting for a core.
    clock = time.process_time
    for _ in range(repeats + 1):  # the first round warms up
        t = [clock()]
        picture = open_image(photo)
        t.append(clock())
        faces = planner.detect(picture)
        t.append(clock())
        plan = planner.align(picture, faces)
        t.append(clock())
        edited = preset.run(plan.inputs, strength)
        t.append(clock())
        result = plan.finish(edited)
        t.append(clock())
        save_image(to_pil(picture, result), out / photo.name, "JPEG", save_params(picture, "JPEG"), overwrite=True)
        t.append(clock())
        assert len(faces) == 1, f"expected one face, found {len(faces)}"
        for key, a, b in zip(found, t[:-1], t[1:]):
            found[key].append(b - a)
    return {k: v[1:] for k, v in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="OMP_NUM_THREADS for the measured runs (default: leave as is)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photo = folder / "portrait-12mp.jpg"
        make_photo(photo)
        preset = make_preset(folder)
        wall, cpu = end_to_end(preset, photo, folder / "out", args.repeats, env)
        whole_wall, whole_cpu = end_to_end(preset, photo, folder / "out", args.repeats, env, ("--no-align",))
        split = stages(preset, photo, folder / "out-stages", args.repeats)
        size = photo.stat().st_size
    med = {k: statistics.median(v) for k, v in split.items()}
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, OMP_NUM_THREADS={env.get('OMP_NUM_THREADS', 'unset')}",
        "photo": f"4000x3000 JPEG q92, {size / 1e6:.1f} MB, one face about 500 px wide",
        "load_average_1min_before": load,
        "end_to_end_wall_s": {"median": statistics.median(wall), "min": min(wall), "runs": wall},
        "end_to_end_cpu_s": {"median": statistics.median(cpu), "min": min(cpu), "runs": cpu},
        "whole_frame_wall_s": {"median": statistics.median(whole_wall), "runs": whole_wall},
        "whole_frame_cpu_s": {"median": statistics.median(whole_cpu), "runs": whole_cpu},
        "cpu_ratio_faces_over_whole_frame": statistics.median(cpu) / statistics.median(whole_cpu),
        "stages_cpu_median_s": med,
        "stages_cpu_sum_s": sum(med.values()),
    }
    print(json.dumps(record, indent=2))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
