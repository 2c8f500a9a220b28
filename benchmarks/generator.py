"""StyleGAN2 synthesis throughput: plain fp32 vs the fast path, with PSNR checks.

    PYTHONPATH=. python3 benchmarks/generator.py                 # CUDA, 256^2 and 1024^2
    PYTHONPATH=. python3 benchmarks/generator.py --quick         # CPU smoke test, tiny model

Random weights (style_dim 512, n_mlp 8, channel_multiplier 2; noise strengths set to
0.1 so the noise path counts), W+ input, const noise. Modes:

* ``fp32``: the reference computation (grouped modulated convs, NCHW, eager) with
  torch's defaults (cuDNN may use TF32), i.e. what the community code runs;
* ``fp32-strict``: the same with TF32 off; also the PSNR reference;
* ``fp16-eager`` / ``bf16-eager``: autocast, channels_last, per-layer grouped/input
  modulation chosen by timing, cuDNN autotuning;
* ``<dt>-compile`` / ``<dt>-compile-graph``: input modulation, torch.compile (blur fused
  with noise/bias/activation), then replayed as one CUDA graph per batch size.

Writes the full results as JSON to $OUT (or --out) and prints a compact table last.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latentroom.engine.atomic import atomic_write_text  # noqa: E402
from latentroom.plugins.stylegan2.fast import FastConfig, FastSynthesis, synthesis_macs  # noqa: E402
from latentroom.plugins.stylegan2.model import Generator  # noqa: E402

PSNR_FLOOR = 40.0


def log(msg: str) -> None:
    print(msg, flush=True)


def psnr(a: torch.Tensor, ref: torch.Tensor) -> float:
    """PSNR of images clamped to [-1, 1] (peak-to-peak 2)."""
    a, ref = a.float().clamp(-1, 1), ref.float().clamp(-1, 1)
    if not torch.isfinite(a).all():
        return float("nan")
    mse = (a - ref).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * math.log10(4.0 / mse)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def throughput(fn: Callable[[torch.Tensor], Any], ws: torch.Tensor, device: torch.device,
               target_s: float, repeats: int = 5) -> dict[str, float]:
    """Images/s: median over ``repeats`` timed runs of ``iters`` back-to-back calls."""
    for _ in range(3):
        fn(ws)
    sync(device)
    t = time.perf_counter()
    fn(ws)
    sync(device)
    one = max(time.perf_counter() - t, 1e-5)
    iters = max(1, min(200, int(target_s / one)))
    rates = []
    for _ in range(repeats):
        sync(device)
        t = time.perf_counter()
        for _ in range(iters):
            fn(ws)
        sync(device)
        rates.append(ws.shape[0] * iters / (time.perf_counter() - t))
    rates.sort()
    return {"img_s": rates[len(rates) // 2], "img_s_min": rates[0], "img_s_max": rates[-1], "iters": iters}


def matmul_peak(device: torch.device) -> float | None:
    """Measured dense bf16 matmul TFLOP/s (8192^3, random data): the ceiling we compare to."""
    if device.type != "cuda":
        return None
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    sync(device)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        a @ b
    end.record()
    end.synchronize()
    return 2 * 8192**3 * 20 / (start.elapsed_time(end) / 1e3) / 1e12


def make_generator(size: int, style_dim: int, n_mlp: int, device: torch.device, cap: int | None = None,
                   seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    g = Generator(size, style_dim, n_mlp, channel_multiplier=2, channel_cap=cap).eval().requires_grad_(False)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.1)
    return g.to(device)


def set_tf32(on: bool) -> None:
    torch.backends.cudnn.allow_tf32 = on
    torch.backends.cuda.matmul.allow_tf32 = False  # torch default


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--style-dim", type=int, default=512)
    ap.add_argument("--n-mlp", type=int, default=8)
    ap.add_argument("--channel-cap", type=int, default=None)
    ap.add_argument("--deadline", type=float, default=500.0, help="seconds; later compile runs are skipped")
    ap.add_argument("--target-s", type=float, default=0.4, help="seconds per timed repeat")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--quick", action="store_true", help="CPU smoke test: tiny sizes and batches")
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    t0 = time.perf_counter()
    # Inference only; one grad mode everywhere also keeps dynamo from recompiling.
    torch.set_grad_enabled(False)

    device = torch.device("cuda" if torch.cuda.is_available() and not args.quick else "cpu")
    if args.quick:
        args.sizes, args.batches, args.style_dim, args.n_mlp, args.target_s = [32], [1, 4, 8], 64, 2, 0.05
        args.channel_cap = 32
    out_path = Path(args.out) / "generator_bench.json"
    info: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch.__version__, "python": platform.python_version(), "device": str(device),
        "gpu": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor(),
        "config": {"style_dim": args.style_dim, "n_mlp": args.n_mlp, "channel_multiplier": 2,
                   "channel_cap": args.channel_cap,
                   "noise_mode": "const", "input": "W+"},
    }
    if device.type == "cuda":
        info["bf16_matmul_tflops"] = matmul_peak(device)
        log(f"device {info['gpu']}, torch {torch.__version__}, bf16 matmul {info['bf16_matmul_tflops']:.0f} TFLOP/s")
    results: list[dict[str, Any]] = []
    notes: list[str] = []

    def save() -> None:
        atomic_write_text(out_path, json.dumps({"info": info, "results": results, "notes": notes}, indent=1))

    def record(size: int, batch: int, mode: str, rate: dict[str, float] | None, p: float | None,
               extra: dict[str, Any] | None = None) -> None:
        row = {"size": size, "batch": batch, "mode": mode, "psnr_db": p, **(rate or {}), **(extra or {})}
        results.append(row)
        log(f"  {size:>5} b{batch:<3} {mode:<20} {row.get('img_s', float('nan')):9.1f} img/s  "
            f"psnr {p if p is not None else float('nan'):6.1f}")
        save()

    refs: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
    gens: dict[int, Generator] = {}
    half_dtype: dict[int, torch.dtype] = {}
    for size in args.sizes:
        g = make_generator(size, args.style_dim, args.n_mlp, device, args.channel_cap)
        gens[size] = g
        info.setdefault("macs_per_image", {})[size] = synthesis_macs(g)
        gen = torch.Generator(device="cpu").manual_seed(1)
        ws_check = torch.randn(8, g.n_latent, args.style_dim, generator=gen).to(device)
        set_tf32(False)
        with torch.no_grad():
            refs[size] = (ws_check, g.synthesis(ws_check, noise_mode="const").float())
        # ---- eager modes
        for mode in ("fp32", "fp32-strict", "fp16-eager", "bf16-eager"):
            set_tf32(mode != "fp32-strict")
            torch.backends.cudnn.benchmark = mode.endswith("eager")
            cfg = FastConfig.plain() if mode.startswith("fp32") else FastConfig(
                dtype=torch.float16 if mode.startswith("fp16") else torch.bfloat16)
            fast = FastSynthesis(g, cfg)
            with torch.no_grad():
                p = psnr(fast(ws_check), refs[size][1])
            choices: dict[str, Any] = {}
            for batch in args.batches:
                ws = torch.randn(batch, g.n_latent, args.style_dim, device=device)
                try:
                    rate = throughput(fast, ws, device, args.target_s)
                except torch.cuda.OutOfMemoryError:
                    rate = None
                    notes.append(f"{size} b{batch} {mode}: out of memory")
                if cfg.modconv == "auto":
                    vals = list(fast.layer_choice.values())
                    choices = {"input_mod_layers": vals.count("input"), "grouped_layers": vals.count("grouped")}
                record(size, batch, mode, rate, p, choices)
            del fast
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
        fp16_p = next(r["psnr_db"] for r in results if r["size"] == size and r["mode"] == "fp16-eager")
        half_dtype[size] = torch.float16 if fp16_p >= PSNR_FLOOR else torch.bfloat16
    # ---- compiled modes (slow to build: most important configurations first)
    set_tf32(True)
    torch.backends.cudnn.benchmark = True
    if not args.no_compile:
        for size in sorted(args.sizes, reverse=True):
            g = gens[size]
            dt = half_dtype[size]
            name = "fp16" if dt == torch.float16 else "bf16"
            # Batch 8 first (compiled with a dynamic batch, reused for 32); batch 1
            # last, since dynamo always specialises it (one more compile).
            order = ([8] if 8 in args.batches else []) + sorted((b for b in args.batches if b != 8), reverse=True)
            fast = FastSynthesis(g, FastConfig(dtype=dt, modconv="input", compile=True,
                                               cuda_graphs=device.type == "cuda"))
            p: float | None = None
            for batch in order:
                if time.perf_counter() - t0 > args.deadline:
                    notes.append(f"{size} b{batch} compile skipped: past the {args.deadline:.0f}s deadline")
                    log(notes[-1])
                    continue
                tc = time.perf_counter()
                try:
                    ws = torch.randn(batch, g.n_latent, args.style_dim, device=device)
                    with torch.no_grad():
                        fast._fn(ws)  # compile (or reuse) outside the timing
                        if p is None:
                            p = psnr(fast._fn(refs[size][0]), refs[size][1])
                    build_s = time.perf_counter() - tc
                    rate = throughput(fast._fn, ws, device, args.target_s)
                    record(size, batch, f"{name}-compile", rate, p, {"build_s": round(build_s, 1)})
                    if fast.config.cuda_graphs:
                        pg = psnr(fast(refs[size][0]).clone(), refs[size][1]) if batch == 8 else p
                        rate = throughput(fast, ws, device, args.target_s)
                        record(size, batch, f"{name}-compile-graph", rate, pg)
                except Exception as exc:  # keep the rest of the run
                    notes.append(f"{size} b{batch} compile failed: {type(exc).__name__}: {str(exc)[:300]}")
                    log(notes[-1])
            del fast
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()

    # ---- summary
    peak = info.get("bf16_matmul_tflops")
    summary = []
    for size in args.sizes:
        for batch in args.batches:
            rows = [r for r in results if r["size"] == size and r["batch"] == batch and "img_s" in r]
            base = next((r for r in rows if r["mode"] == "fp32"), None)
            ok = [r for r in rows if not r["mode"].startswith("fp32") and (r["psnr_db"] or 0) >= PSNR_FLOOR]
            if base is None or not ok:
                continue
            best = max(ok, key=lambda r: r["img_s"])
            macs = info["macs_per_image"][size]
            tflops = best["img_s"] * macs * 2 / 1e12
            summary.append({"size": size, "batch": batch, "fp32_img_s": base["img_s"], "best_mode": best["mode"],
                            "best_img_s": best["img_s"], "speedup": best["img_s"] / base["img_s"],
                            "psnr_db": best["psnr_db"], "tflops_useful": tflops,
                            "pct_peak_useful": 100 * tflops / peak if peak else None,
                            "pct_peak_nominal142": 100 * best["img_s"] * 141.67e9 * 2 / 1e12 / peak
                            if peak and size == 1024 else None})
    info["summary"] = summary
    info["elapsed_s"] = round(time.perf_counter() - t0, 1)
    save()
    log(f"\n{info['gpu']} | torch {torch.__version__} | bf16 matmul peak "
        f"{peak if peak is None else round(peak)} TFLOP/s | {info['elapsed_s']} s | json {out_path}")
    log("| size | batch | fp32 img/s | fastest mode | img/s | speedup | PSNR dB | TFLOP/s (useful MACs) | % bf16 peak |")
    log("|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        pct = "" if s["pct_peak_useful"] is None else f"{s['pct_peak_useful']:.1f}"
        if s["pct_peak_nominal142"] is not None:
            pct += f" ({s['pct_peak_nominal142']:.1f} nominal)"
        log(f"| {s['size']} | {s['batch']} | {s['fp32_img_s']:.1f} | {s['best_mode']} | {s['best_img_s']:.1f} | "
            f"{s['speedup']:.2f}x | {s['psnr_db']:.1f} | {s['tflops_useful']:.1f} | {pct} |")
    for n in notes:
        log(f"note: {n}")


if __name__ == "__main__":
    main()
