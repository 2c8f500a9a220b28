#!/usr/bin/env python3
"""Distilled presets against the full generator path they replace, side by side.

On the same held-out 128² toyfaces renders, at batch 16 (``--batches``), in one process,
interleaved in rounds (each preset, then each generator path; each turn a 0.2 s block
of calls, at least one, after a 50 ms idle gap, so one runtime's spin-waiting threads
do not slow the other) after a warm-up, medians over all calls:

* **preset**: every bundled preset (or ``--preset``), through ``Preset.run`` on ONNX
  Runtime's CPU provider: the session and model-resolution path ``latentroom apply``
  uses (value mapping, layout, strength feed, uint8 back), at its default strength;
* **generator path**: ``latentroom edit``'s session (``open_session``: the generator the
  presets record, the inverter by name, default ``hybrid``, the edit command's default)
  inverting the batch, then :func:`render_edit` (the W+ offset of the preset's direction
  at its default strength, synthesis with the fitted noise, uint8), in torch on
  ``--device``. ``encoder`` is the fastest inverter (``hybrid`` is it plus projector
  steps), so its ratio is the lower bound over the shipped inverters. Each round edits
  with the next preset's direction (the file the manifest records, from
  plugins/directions/shipped when its hash matches; else a random direction on the
  preset's layers: the offset costs the same for any direction).

Each preset's speedup is its img/s over each generator path's. It also reports the
students' FLOPs per image (2 x the conv/Gemm MACs, counted from the ONNX graph after
shape inference), the generator path's one-pass FLOPs (encoder by module hooks +
``synthesis_macs``; ``hybrid`` adds its projector steps) and the share of the CPU's
measured peak each preset reaches (peak: a 4096² float32 numpy matmul, median of
repeats; numpy uses all cores as ORT does), and the load average before and after
(the development machine is shared).

Usage::

    # the bundled presets against edit's default inverter and the encoder alone:
    python benchmarks/preset_vs_generator.py [--preset PATH ...] [--inverters hybrid,encoder]
        [-O INVERTER:KEY=VALUE ...] [--device cpu|cuda] [--json out.json]
    # runnable without trained weights: a random-weight student preset, a random
    # generator of the toyfaces shape (128², style_dim 256) and an untrained encoder:
    python benchmarks/preset_vs_generator.py --demo [--device cpu|cuda]
    # seconds, to check the script still runs (the test does): batch 2, one round:
    python benchmarks/preset_vs_generator.py --quick

Prints a table and writes JSON (``--json``, default ``$OUT/preset_vs_generator.json``
when ``$OUT`` is set).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from latentroom.engine.cli_options import parse_widths

ROOT = Path(__file__).resolve().parents[1]
IDLE_GAP_S = 0.05  # between switching paths: the last one's thread pool goes idle
BLOCK_S = 0.2  # calls of one path per turn: at least one, then until this long
SHIPPED_DIRECTIONS = ROOT / "plugins" / "directions" / "shipped"
sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    """The CPU's name, as the apply benchmark reports it (one definition for both)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_apply_benchmark", Path(__file__).with_name("apply.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cpu_model()


def cpu_peak_flops(n: int = 4096, repeats: int = 5) -> float:
    """Measured float32 matmul FLOP/s of this CPU (numpy's BLAS, all cores)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up: thread pool start, page faults
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times)


def onnx_macs(model_bytes: bytes) -> int:
    """Conv/ConvTranspose/Gemm/MatMul multiply-accumulates for one image, from the
    graph's shapes (batch fixed to 1, then ONNX shape inference). Weights may sit
    behind a DequantizeLinear (int8 QDQ models)."""
    import onnx
    from onnx import shape_inference

    model = onnx.load_from_string(model_bytes)
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].dim_value:
            dims[0].dim_value = 1
    model = shape_inference.infer_shapes(model)
    shapes: dict[str, list[int]] = {}
    for value in list(model.graph.value_info) + list(model.graph.output) + list(model.graph.input):
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = [d.dim_value for d in dims]
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}

    def weight_shape(name: str) -> list[int] | None:
        while name not in inits and name in producers and producers[name].op_type in ("DequantizeLinear", "Cast",
                                                                                      "Identity"):
            name = producers[name].input[0]
        return inits.get(name) or shapes.get(name)

    total = 0
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            w, out = weight_shape(node.input[1]), shapes.get(node.output[0])
            if not w or not out or 0 in out:
                raise RuntimeError(f"no shape for {node.name or node.op_type}; cannot count MACs")
            per_out = int(np.prod(w[1:]))  # Cin/groups * kh * kw
            if node.op_type == "Conv":
                total += int(np.prod(out[1:])) * per_out
            else:  # transposed: every input pixel meets the whole kernel
                inp = shapes.get(node.input[0])
                total += int(np.prod(inp[1:])) * int(np.prod(w[1:])) if inp else 0
        elif node.op_type in ("Gemm", "MatMul"):
            w = weight_shape(node.input[1])
            if w and len(w) == 2:
                total += w[0] * w[1]
    return total


def timed(fn: Callable[[], Any], sync: Callable[[], None]) -> float:
    sync()
    t = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - t


def build_demo(root: Path, widths: Sequence[int] | None = None,
               head: str = "transposed") -> tuple[Path, str, Path, Path]:
    """A random-weight student (the bundled widths and head unless given) exported as a
    preset, a random StyleGAN2 of the toyfaces shape, an untrained encoder for it and
    a direction: timings only."""
    import torch

    sys.path.insert(0, str(ROOT / "tests"))
    from preset_fixtures import make_manifest

    from latentroom.engine.direction import Direction, Provenance
    from latentroom.engine.presets import write_bundle
    from latentroom.plugins.distill.export import export_onnx
    from latentroom.plugins.distill.student import DEFAULT_WIDTHS, Student, StudentConfig
    from latentroom.plugins.inverters.encoder import Encoder, save_encoder
    from latentroom.plugins.stylegan2.checkpoint import load_generator, save_checkpoint
    from latentroom.plugins.stylegan2.model import Generator

    torch.manual_seed(0)
    student = Student(StudentConfig(widths=tuple(widths or DEFAULT_WIDTHS), head=head))
    with torch.no_grad():
        for weight in student.head.parameters():
            weight.normal_(0, 0.01)  # a real residual, not the zero-init identity
    preset = write_bundle(root / "demo-preset", make_manifest(
        "demo", 128, model={"file": "model.onnx", "inputs": ["image", "strength"], "outputs": ["edited"],
                            "opset": 18}, strength={"input": "strength", "min": -3.0, "max": 3.0, "default": 1.0}),
        export_onnx(student, 128))
    ckpt = save_checkpoint(root / "g.pt", Generator(128, 256, 8, 1, 160))
    g = load_generator(ckpt)
    encoder = root / "encoder.pt"
    save_encoder(Encoder(g.n_latent, g.style_dim), encoder, generator_sha256=g.weights_sha256)
    direction = Direction.from_vector(np.random.default_rng(0).standard_normal(g.style_dim), g.n_latent,
                                      Provenance("demo", "smile"), layers="coarse")
    return preset, f"stylegan2:{ckpt}", encoder, direction.save(root / "demo-direction")




@dataclass
class Candidate:
    """One bundled (or given) preset: its loaded session and the edit it distils."""

    name: str
    preset: Any  # latentroom.engine.presets.Preset on the CPU provider
    strength: float | None
    direction: Any  # latentroom.engine.direction.Direction
    direction_origin: str


def bundled_presets() -> list[Path]:
    """Every preset the installed package ships (``latentroom.presets``)."""
    from latentroom.engine.presets.library import SOURCE_BUNDLED, list_presets

    return [entry.path for entry in list_presets(read_manifests=False).entries if entry.source == SOURCE_BUNDLED]


def recorded_direction(manifest: dict[str, Any], generator: Any) -> tuple[Any, str]:
    """The direction the preset was distilled from when plugins/directions/shipped has
    that very file (same vector hash); else a random one on the preset's layers (the
    generator path's cost does not depend on which direction it adds)."""
    from latentroom.engine.direction import Direction, Provenance

    distill = manifest.get("x-distill", {})
    shipped = SHIPPED_DIRECTIONS / str(distill.get("direction_file", ""))
    if shipped.is_file():
        direction = Direction.load(shipped)
        if direction.to_json("v")["vector_sha256"] == distill.get("direction_vector_sha256"):
            return direction, f"shipped/{shipped.name}"
    layers = manifest["provenance"]["layers"]
    rng = np.random.default_rng(0)
    return (Direction.from_vector(rng.standard_normal(generator.style_dim), generator.n_latent,
                                  Provenance("benchmark", manifest["provenance"]["attribute"]), layers=layers),
            f"random on layers {layers}")


def load_candidates(paths: Sequence[Path | str], generator: Any, direction_file: str | None) -> list[Candidate]:
    from latentroom.engine.direction import Direction
    from latentroom.engine.presets import load_preset

    candidates = []
    for path in paths:
        preset = load_preset(str(path), provider="cpu")
        strength = float(preset.manifest["strength"]["default"]) if preset.has_strength else None
        if direction_file:
            direction, origin = Direction.load(direction_file), str(direction_file)
        else:
            direction, origin = recorded_direction(preset.manifest, generator)
        candidates.append(Candidate(preset.name, preset, strength, direction, origin))
    return candidates


def presets_generator(paths: Sequence[Path | str], override: str | None) -> str:
    """``--generator``, else the one generator every preset's provenance names."""
    from latentroom.engine.presets import read_bundle

    if override:
        return override
    recorded = {read_bundle(Path(p)).manifest["provenance"]["generator"] for p in paths}
    if len(recorded) != 1:
        sys.exit(f"the presets come from different generators ({', '.join(sorted(recorded))}): "
                 "benchmark them one generator at a time, or pass --generator")
    return recorded.pop()


def inverter_options(pairs: Sequence[str], inverters: Sequence[str]) -> dict[str, list[str]]:
    """``-O INVERTER:KEY=VALUE`` pairs, grouped by inverter (``*``: every inverter)."""
    grouped: dict[str, list[str]] = {name: [] for name in inverters}
    for pair in pairs:
        name, colon, option = pair.partition(":")
        if not colon or (name != "*" and name not in grouped):
            sys.exit(f"-O {pair!r}: expected INVERTER:KEY=VALUE with INVERTER one of {', '.join(inverters)} or *")
        for target in (grouped if name == "*" else [name]):
            grouped[target].append(option)
    return grouped


class EditPath:
    """``latentroom edit``'s batch step on one session: invert, move along the direction, render
    (:func:`render_edit`). Each call edits with the next preset's direction at its
    default strength, so every preset's edit is timed in turn."""

    def __init__(self, session: Any, candidates: list[Candidate]) -> None:
        self.session = session
        self.edits = [(c.direction, c.strength or 1.0) for c in candidates]
        self.calls = 0

    def __call__(self, images: Any) -> np.ndarray:
        from latentroom.engine.image_output import to_pixels
        from latentroom.plugins.inverters.commands import render_edit

        direction, strength = self.edits[self.calls % len(self.edits)]
        self.calls += 1
        ws = self.session.inverter.invert(images)
        edited = render_edit(self.session.generator, ws, getattr(self.session.inverter, "last_noise", None),
                             direction, strength)
        return to_pixels(edited)


def generator_paths(spec: str, inverters: Sequence[str], device: str, options: dict[str, list[str]],
                    candidates: list[Candidate]) -> dict[str, EditPath]:
    """Per inverter, ``latentroom edit``'s session (:func:`open_session`) and its batch step."""
    from latentroom.plugins.inverters.session import open_session

    paths = {}
    for name in inverters:
        session = open_session(spec, name, device, None, options[name])
        paths[f"generator-{name}"] = EditPath(session, candidates)
    return paths


def interleaved_medians(calls: dict[str, Callable[[], Any]], sync: Callable[[], None], min_repeats: int,
                        min_seconds: float, block_s: float) -> tuple[dict[str, float], dict[str, int]]:
    """Median seconds per call of each entry, timed in interleaved rounds, and the
    number of calls timed."""
    for fn in calls.values():  # warm-up (cuDNN autotune, ORT arenas, first-call allocations)
        timed(fn, sync)
    times: dict[str, list[float]] = {name: [] for name in calls}
    start = time.perf_counter()
    while min(map(len, times.values())) < min_repeats or time.perf_counter() - start < min_seconds:
        for name, fn in calls.items():
            # Each path in a short block after an idle gap: ORT's and torch's (OpenMP)
            # thread pools spin-wait after a call, and back to back they took each
            # other's cores (at batch 1 the preset then measured ~2x and the generator
            # ~1.5x slower than either alone, which is not how a process runs them).
            time.sleep(IDLE_GAP_S)
            block = time.perf_counter()
            while True:
                times[name].append(timed(fn, sync))
                if time.perf_counter() - block >= block_s:
                    break
    return {n: statistics.median(t) for n, t in times.items()}, {n: len(t) for n, t in times.items()}


def measure_batch(batch: int, images: np.ndarray, candidates: list[Candidate],
                  paths: dict[str, EditPath], device: Any, args: argparse.Namespace) -> dict[str, Any]:
    """img/s of every preset and generator path at ``batch``, and each preset's speedup."""
    import torch

    from latentroom.plugins.distill.quality import to_pixels

    pixels = to_pixels(images[:batch])
    xt = torch.from_numpy(images[:batch]).to(device)
    calls: dict[str, Callable[[], Any]] = {c.name: (lambda c=c: c.preset.run(pixels, c.strength)) for c in candidates}
    calls.update({name: (lambda fn=fn: fn(xt)) for name, fn in paths.items()})

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    medians, repeats = interleaved_medians(calls, sync, args.min_repeats, args.min_seconds, args.block)
    img_s = {name: batch / t for name, t in medians.items()}
    speedups = {c.name: {path: img_s[c.name] / img_s[path] for path in paths} for c in candidates}
    return {"batch": batch, "img_s": img_s, "repeats": repeats, "speedup": speedups}


def print_table(report: dict[str, Any]) -> None:
    paths = report["generator_paths"]
    header = ["batch", "preset", "preset img/s", *[f"{p} img/s" for p in paths], *[f"speedup vs {p}" for p in paths]]
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    for row in report["results"]:
        for name in row["speedup"]:
            cells = [str(row["batch"]), name, f"{row['img_s'][name]:.1f}",
                     *[f"{row['img_s'][p]:.2f}" for p in paths], *[f"{row['speedup'][name][p]:.0f}x" for p in paths]]
            print("| " + " | ".join(cells) + " |")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from latentroom.plugins.distill.student import HEADS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", action="append", default=[],
                    help="Preset bundle (directory or .lrpreset), repeatable (default: every bundled preset).")
    ap.add_argument("--generator", default=None, help="Generator spec (default: the one the presets record).")
    ap.add_argument("--direction", default=None,
                    help="Direction file for the generator path (default: each preset's own, see above).")
    ap.add_argument("--inverters", default="hybrid,encoder",
                    help="Generator paths, by inverter name (hybrid: latentroom edit's default).")
    ap.add_argument("-O", dest="inverter_options", action="append", default=[], metavar="INVERTER:KEY=VALUE",
                    help="Inverter option as `latentroom edit -O` takes it, for one inverter (or * for all).")
    ap.add_argument("--demo", action="store_true", help="Random-weight preset, generator and encoder.")
    ap.add_argument("--widths", type=parse_widths, default=None, metavar="W0,W1,...",
                    help="With --demo: the student's widths (default: the bundled student's).")
    ap.add_argument("--head", choices=HEADS, default="transposed",
                    help="With --demo: the student's output head (author --head).")
    ap.add_argument("--quick", action="store_true",
                    help="Batch 2, one round, no CPU peak: seconds, to check the script runs.")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="Device of the generator path.")
    ap.add_argument("--batches", default="16")
    ap.add_argument("--min-repeats", type=int, default=5, help="timed calls of each path at least")
    ap.add_argument("--min-seconds", type=float, default=3.0, help="per batch size, all paths together")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    args.block = BLOCK_S
    if args.quick:
        args.batches, args.min_repeats, args.min_seconds, args.block = "2", 1, 0.0, 0.0
    return args


def prepare(args: argparse.Namespace, options: dict[str, list[str]],
            root: Path) -> tuple[str, Any, list[Candidate], dict[str, Any]]:
    """The generator spec and generator, the presets to time and the encoder's options
    (``--demo``: random weights built under ``root``)."""
    from latentroom.engine.plugins import resolve_generator

    encoder_options: dict[str, Any] = {}
    if args.demo:
        demo_preset, spec, encoder_weights, direction_file = build_demo(root, args.widths, args.head)
        preset_paths: list[Any] = [demo_preset]
        encoder_options = {"weights": str(encoder_weights), "allow_mismatch": True}
        for name in options:  # the untrained encoder belongs to the random generator
            options[name] += [f"weights={encoder_weights}", "allow_mismatch=true"]
    else:
        preset_paths = args.preset or bundled_presets()
        if not preset_paths:
            sys.exit("no bundled presets found: give --preset PATH or --demo")
        spec, direction_file = presets_generator(preset_paths, args.generator), args.direction
    g = resolve_generator(spec, args.device).eval()
    return spec, g, load_candidates(preset_paths, g, direction_file), encoder_options


def gflops(g: Any, candidates: list[Candidate], encoder_options: dict[str, Any],
           device: Any) -> tuple[dict[str, float], float]:
    """FLOPs per image (2 x MACs, in G): each student's, from its ONNX graph, and the
    generator path's one pass (encoder + synthesis)."""
    import torch

    from latentroom.engine.presets import read_bundle
    from latentroom.plugins.distill.student import conv_macs
    from latentroom.plugins.inverters.encoder import EncoderInverter
    from latentroom.plugins.stylegan2.fast import synthesis_macs

    r = int(g.size)
    encoder = EncoderInverter(g, device, **encoder_options).model.float()
    encoder_macs = conv_macs(encoder, r, (torch.zeros(1, 3, r, r, device=device),))
    students = {c.name: 2 * onnx_macs(read_bundle(c.preset.path).model_bytes) / 1e9 for c in candidates}
    return students, 2 * (encoder_macs + synthesis_macs(g)) / 1e9


def machine(device: Any) -> dict[str, Any]:
    import onnxruntime
    import torch

    return {"cpu": cpu_model(), "nproc": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "onnxruntime": onnxruntime.__version__, "numpy": np.__version__,
            "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    load_start = os.getloadavg()[0]

    import torch

    from latentroom.plugins.distill.quality import held_out_renders

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device")
    inverters = [name.strip() for name in args.inverters.split(",") if name.strip()]
    options = inverter_options(args.inverter_options, inverters)
    tmp = tempfile.TemporaryDirectory(prefix="latentroom-bench-")
    spec, g, candidates, encoder_options = prepare(args, options, Path(tmp.name))
    paths = generator_paths(spec, inverters, args.device, options, candidates)
    batches = [int(b) for b in args.batches.split(",")]
    images, _ = held_out_renders(max(batches), candidates[0].preset.resolution)

    results = []
    for batch in batches:
        results.append(measure_batch(batch, images, candidates, paths, device, args))
        print(f"batch {batch}: " + ", ".join(f"{k} {v:.2f} img/s" for k, v in results[-1]["img_s"].items()),
              flush=True)
    load_end = os.getloadavg()[0]
    students, generator_gflops = gflops(g, candidates, encoder_options, device)
    peak = None if args.quick else cpu_peak_flops()
    report = {
        "date": datetime.date.today().isoformat(),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(device), "load_average_1min": {"start": load_start, "end": load_end},
        "demo": args.demo, "generator": spec, "generator_paths": list(paths), "inverter_options": options,
        "presets": [{"name": c.name, "path": str(c.preset.path), "strength": c.strength,
                     "direction": c.direction_origin, "student_gflops_per_image": students[c.name],
                     **({"cpu_fraction_of_peak": {str(row["batch"]): students[c.name] * 1e9 * row["img_s"][c.name]
                                                  / peak for row in results}} if peak else {})}
                    for c in candidates],
        "generator_path_one_pass_gflops_per_image": generator_gflops,
        "cpu_peak_gflops_fp32_matmul": peak / 1e9 if peak else None,
        "results": results,
    }
    print(f"\ngenerator path (encoder + synthesis, one pass) {generator_gflops:.2f} GFLOP/image; students "
          + ", ".join(f"{k} {v:.3f}" for k, v in students.items())
          + f" GFLOP/image; {cpu_model()}, {os.cpu_count()} cores; load average {load_start:.1f} -> {load_end:.1f}")
    print_table(report)
    out = args.json or (str(Path(os.environ["OUT"]) / "preset_vs_generator.json") if os.environ.get("OUT") else None)
    if out:
        Path(out).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {out}")
    tmp.cleanup()
    return report


if __name__ == "__main__":
    main()
