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
  decode (``open_image``), detect (box-reduce to at most 640 px + MTCNN), align (cut and warp
  the face's region to R x R), model (ORT), blend (warp the masked change back, add),
  encode (JPEG quality 95 + atomic write).

``--before REF`` also times the end-to-end command of another commit (extracted with
``git archive`` into a temporary folder and put first on ``PYTHONPATH``), interleaved
run by run with this checkout's, so both see the same machine load.

Python's bytecode cache is on for every measured process (``PYTHONDONTWRITEBYTECODE``
is dropped, the cache goes to a temporary ``PYTHONPYCACHEPREFIX`` and the first,
uncounted run fills it), as after ``pip install``, which compiles the package; a
development shell with the variable set would instead compile latentroom's sources on
every start (``--no-pycache`` measures that way).

Usage::

    python benchmarks/faces.py [--repeats 7] [--threads 1] [--before REF] [--json out.json]
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


def old_checkout(ref: str, folder: Path) -> Path:
    """``ref``'s engine, plugins and presets as an importable ``latentroom`` package under
    ``folder``; returns the folder to put first on ``PYTHONPATH``."""
    tree = folder / "tree"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref, "engine", "plugins", "presets"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    package = folder / "path" / "latentroom"
    package.mkdir(parents=True)
    for part in ("engine", "plugins", "presets"):
        (package / part).symlink_to(tree / part)
    return folder / "path"


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from the child's rusage) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def end_to_end(
    preset: Path, photo: Path, out: Path, repeats: int, envs: dict[str, dict[str, str]], extra: tuple[str, ...] = ()
) -> dict[str, tuple[list[float], list[float]]]:
    """Per environment (a checkout), wall and CPU seconds per run; the environments take
    turns run by run, the first round (file and bytecode caches) not counted."""
    # The installed console script, as a user runs it.
    script = shutil.which("latentroom", path=str(Path(sys.executable).parent)) or "latentroom"
    command = [script, "apply", str(preset), str(photo), "-o", str(out), "--overwrite", "-q", *extra]
    runs: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in envs}
    for round_ in range(repeats + 1):
        names = list(envs) if round_ % 2 else list(envs)[::-1]
        for name in names:
            wall, cpu = run_once(command, envs[name])
            if round_:
                runs[name][0].append(wall)
                runs[name][1].append(cpu)
    return runs


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


def measured_env(root_on_path: Path, threads: int | None, pycache: Path | None) -> dict[str, str]:
    """The measured processes' environment; ``pycache`` ``None``: no bytecode cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPATH"] = str(root_on_path)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def summary(runs: tuple[list[float], list[float]]) -> dict[str, object]:
    wall, cpu = runs
    return {
        "wall_s": {"median": statistics.median(wall), "min": min(wall), "runs": wall},
        "cpu_s": {"median": statistics.median(cpu), "min": min(cpu), "runs": cpu},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="OMP_NUM_THREADS for the measured runs (default: leave as is)")
    parser.add_argument("--before", default=None, metavar="REF",
                        help="also time this git commit's end-to-end run, interleaved with this checkout's")
    parser.add_argument("--no-pycache", action="store_true",
                        help="measured processes write no bytecode cache (PYTHONDONTWRITEBYTECODE=1)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        caches = (None, None) if args.no_pycache else (folder / "pycache-now", folder / "pycache-before")
        envs = {"this checkout": measured_env(ROOT, args.threads, caches[0])}
        if args.before:
            envs[f"before ({args.before})"] = measured_env(
                old_checkout(args.before, folder / "before"), args.threads, caches[1])
        photo = folder / "portrait-12mp.jpg"
        make_photo(photo)
        preset = make_preset(folder)
        faces = end_to_end(preset, photo, folder / "out", args.repeats, envs)
        whole = end_to_end(preset, photo, folder / "out", args.repeats, {"this checkout": envs["this checkout"]},
                           ("--no-align",))["this checkout"]
        split = stages(preset, photo, folder / "out-stages", args.repeats)
        size = photo.stat().st_size
    now = faces["this checkout"]
    med = {k: statistics.median(v) for k, v in split.items()}
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
        "photo": f"4000x3000 JPEG q92, {size / 1e6:.1f} MB, one face about 500 px wide",
        "load_average_1min_before": load,
        "bytecode_cache": not args.no_pycache,
        "end_to_end": {name: summary(runs) for name, runs in faces.items()},
        "whole_frame": summary(whole),
        "cpu_ratio_faces_over_whole_frame": statistics.median(now[1]) / statistics.median(whole[1]),
        "stages_cpu_median_s": med,
        "stages_cpu_sum_s": sum(med.values()),
    }
    if args.before:
        before = faces[f"before ({args.before})"]
        record["wall_ratio_now_over_before"] = statistics.median(now[0]) / statistics.median(before[0])
        record["cpu_ratio_now_over_before"] = statistics.median(now[1]) / statistics.median(before[1])
    print(json.dumps(record, indent=2))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
