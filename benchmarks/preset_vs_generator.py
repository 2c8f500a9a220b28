#!/usr/bin/env python3
"""A distilled preset against the full generator path it replaces, side by side.

On the same held-out 128² toyfaces renders, at batch 1 and 16, in one process with
the two interleaved in turns (preset, generator, preset, ...; each turn a 0.2 s block
of calls after a 50 ms idle gap, so one runtime's spin-waiting threads do not slow
the other) after a warm-up, medians over all calls:

* **preset**: ``Preset.run`` (the engine's model-resolution path: value mapping,
  layout, strength feed, uint8 back) on ONNX Runtime's CPU provider; with
  ``--device cuda`` also on its CUDA provider when the installed onnxruntime has it;
* **generator path**: ``encoder`` inversion + the direction's offset + synthesis, in
  torch on ``--device`` (the path ``latentroom edit --inverter encoder`` takes; the
  hybrid inverter adds its projector steps on top).

It also reports the student's FLOPs per image (2 x the conv/Gemm MACs, counted from
the ONNX graph after shape inference), the generator path's (encoder MACs by module
hooks + ``synthesis_macs``), and the fraction of the CPU's measured peak the preset
reaches (peak: a 4096² float32 numpy matmul, median of repeats; numpy uses all cores
as ORT does).

Usage::

    # a real preset on the real generator (after authoring; the lead's run):
    python benchmarks/preset_vs_generator.py --preset presets/smile --generator toyfaces \\
        [--encoder-weights PATH] [--device cpu|cuda] [--json out.json]
    # runnable now: a random-weight student preset, a random generator of the toyfaces
    # shape (128², style_dim 256) and an untrained encoder (timings only):
    python benchmarks/preset_vs_generator.py --demo [--device cpu|cuda]

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
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
IDLE_GAP_S = 0.05  # between switching paths: the last one's thread pool goes idle
BLOCK_S = 0.2  # calls of one path per turn: at least one, then until this long
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


def build_demo(root: Path) -> tuple[Path, str, Path, Path]:
    """A random-weight default student exported as a preset, a random StyleGAN2 of the
    toyfaces shape, an untrained encoder for it and a direction: timings only."""
    import torch

    sys.path.insert(0, str(ROOT / "tests"))
    from preset_fixtures import make_manifest

    from latentroom.engine.direction import Direction, Provenance
    from latentroom.engine.presets import write_bundle
    from latentroom.plugins.distill.export import export_onnx
    from latentroom.plugins.distill.student import Student
    from latentroom.plugins.inverters.encoder import Encoder, save_encoder
    from latentroom.plugins.stylegan2.checkpoint import load_generator, save_checkpoint
    from latentroom.plugins.stylegan2.model import Generator

    torch.manual_seed(0)
    student = Student()
    with torch.no_grad():
        student.head.weight.normal_(0, 0.01)  # a real residual, not the zero-init identity
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", help="Preset bundle (directory, .lrpreset or name).")
    ap.add_argument("--generator", default=None, help="Generator spec (default: toyfaces).")
    ap.add_argument("--direction", default=None,
                    help="Direction file for the generator path (default: a random unit vector on the "
                         "preset's layers; the offset's cost does not depend on it).")
    ap.add_argument("--encoder-weights", default=None, help="Encoder weights (default: the generator's).")
    ap.add_argument("--demo", action="store_true", help="Random-weight preset, generator and encoder.")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="Device of the generator path.")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--min-repeats", type=int, default=5)
    ap.add_argument("--min-seconds", type=float, default=3.0, help="per batch size, both paths together")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import torch

    from latentroom.engine.presets import load_preset, read_bundle
    from latentroom.engine.runtime import available_providers
    from latentroom.plugins.distill.quality import held_out_renders, to_pixels
    from latentroom.plugins.distill.student import conv_macs
    from latentroom.plugins.inverters.encoder import EncoderInverter
    from latentroom.plugins.inverters.common import synthesize
    from latentroom.plugins.stylegan2.fast import synthesis_macs

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device")
    tmp = tempfile.TemporaryDirectory(prefix="latentroom-bench-")
    if args.demo:
        preset_path, spec, encoder_weights, direction_path = build_demo(Path(tmp.name))
    elif args.preset:
        preset_path, spec, encoder_weights, direction_path = args.preset, args.generator, args.encoder_weights, \
            args.direction
    else:
        sys.exit("give --preset PATH (with --generator) or --demo")

    from latentroom.engine.direction import Direction, Provenance
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.directions.edit import edit_latents

    presets = {"ort-cpu": load_preset(str(preset_path), provider="cpu")}
    if device.type == "cuda" and "CUDAExecutionProvider" in available_providers():
        presets["ort-cuda"] = load_preset(str(preset_path), provider="cuda")
    preset = presets["ort-cpu"]
    r = preset.resolution
    strength = float(preset.manifest["strength"]["default"]) if preset.has_strength else None
    g = resolve_generator(spec, args.device).eval()
    g.requires_grad_(False)
    if direction_path:
        direction = Direction.load(direction_path)
    else:
        layers = preset.manifest["provenance"]["layers"]
        direction = Direction.from_vector(np.random.default_rng(0).standard_normal(g.style_dim), g.n_latent,
                                          Provenance("benchmark", "any"), layers=layers)
    inverter = EncoderInverter(g, args.device, weights=encoder_weights, allow_mismatch=args.demo)
    batches = [int(b) for b in args.batches.split(",")]
    images, _ = held_out_renders(max(batches), r)
    pixels = to_pixels(images)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def generator_path(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            ws = inverter.invert(x)
            return synthesize(g, edit_latents(ws, direction, strength or 1.0))

    results: list[dict[str, Any]] = []
    for batch in batches:
        xb = pixels[:batch]
        xt = torch.from_numpy(images[:batch]).to(device)
        calls: dict[str, Callable[[], Any]] = {name: (lambda p=p: p.run(xb, strength)) for name, p in presets.items()}
        calls[f"generator-{device.type}"] = lambda: generator_path(xt)
        for fn in calls.values():  # warm-up (cuDNN autotune, ORT arenas)
            timed(fn, sync)
            timed(fn, sync)
        times: dict[str, list[float]] = {name: [] for name in calls}
        start = time.perf_counter()
        while min(map(len, times.values())) < args.min_repeats or time.perf_counter() - start < args.min_seconds:
            for name, fn in calls.items():
                # Each path in a short block after an idle gap: ORT's and torch's (OpenMP)
                # thread pools spin-wait after a call, and back to back they took each
                # other's cores (at batch 1 the preset then measured ~2x and the generator
                # ~1.5x slower than either alone, which is not how a process runs them).
                time.sleep(IDLE_GAP_S)
                block = time.perf_counter()
                while True:
                    times[name].append(timed(fn, sync))
                    if time.perf_counter() - block >= BLOCK_S:
                        break
        row = {"batch": batch, "resolution": r}
        for name, t in times.items():
            row[f"{name}_img_s"] = batch / statistics.median(t)
            row[f"{name}_repeats"] = len(t)
        row["speedup_cpu_preset_vs_generator"] = row["ort-cpu_img_s"] / row[f"generator-{device.type}_img_s"]
        results.append(row)
        print(f"batch {batch}: " + ", ".join(f"{k} {v:.1f}" for k, v in row.items() if k.endswith("img_s")), flush=True)

    student_macs = onnx_macs(read_bundle(preset.path).model_bytes)
    encoder_macs = conv_macs(inverter.model.float(), r, (torch.zeros(1, 3, r, r, device=device),))
    peak = cpu_peak_flops()
    for row in results:
        row["preset_cpu_fraction_of_peak"] = 2 * student_macs * row["ort-cpu_img_s"] / peak
    report = {
        "date": datetime.date.today().isoformat(),
        "machine": {"cpu": cpu_model(), "nproc": os.cpu_count(), "python": platform.python_version(),
                    "torch": torch.__version__, "onnxruntime": __import__("onnxruntime").__version__,
                    "numpy": np.__version__, "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None},
        "preset": str(preset_path), "demo": args.demo, "generator": spec or "toyfaces", "strength": strength,
        "student_gflops_per_image": 2 * student_macs / 1e9,
        "generator_path_gflops_per_image": 2 * (encoder_macs + synthesis_macs(g)) / 1e9,
        "cpu_peak_gflops_fp32_matmul": peak / 1e9,
        "results": results,
    }
    print(f"\nstudent {report['student_gflops_per_image']:.2f} GFLOP/image, generator path (encoder + synthesis) "
          f"{report['generator_path_gflops_per_image']:.2f} GFLOP/image; CPU peak {peak / 1e9:.1f} GFLOP/s "
          f"({cpu_model()}, {os.cpu_count()} cores)")
    header = ["batch", *[k for k in results[0] if k.endswith("img_s")], "speedup (cpu preset / generator)",
              "preset % of CPU peak"]
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    for row in results:
        cells = [str(row["batch"]), *[f"{row[k]:.1f}" for k in row if k.endswith("img_s")],
                 f"{row['speedup_cpu_preset_vs_generator']:.1f}x", f"{100 * row['preset_cpu_fraction_of_peak']:.0f}%"]
        print("| " + " | ".join(cells) + " |")
    out = args.json or (str(Path(os.environ["OUT"]) / "preset_vs_generator.json") if os.environ.get("OUT") else None)
    if out:
        Path(out).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {out}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
