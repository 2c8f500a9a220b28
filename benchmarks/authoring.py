"""Where authoring time goes: teacher pairs, the student's step, the perceptual term, the whole step.

    PYTHONPATH=. python3 benchmarks/authoring.py --out $OUT           # CUDA (an H200)
    PYTHONPATH=. python3 benchmarks/authoring.py --quick --out /tmp/a # CPU smoke test

Each stage runs ``--steps`` times after ``--warmup`` untimed steps, with one device sync
at the end of the timed loop (as in training, where loss values are read only every
``log_every`` steps), and reports pairs/s. Stages, on the toyfaces generator and the
shipped smile direction with a region mask:

* ``teacher``: :meth:`PairSampler.batch` (mapping, edit, two syntheses, region blend),
  with the fast teacher (compiled, CUDA graphs) and the plain one;
* ``student``: one optimiser step of the student on a fixed batch (L1 only), then with
  the perceptual term, then with the student compiled;
* ``step``: teacher + student + perceptual, i.e. what ``author`` does per step;
* ``pool``: the same step drawing its batch from a pool of pairs made once on the
  device (:class:`latentroom.plugins.distill.pairs.PairPool`), each pair reused.

A torch profiler table of one full step is printed last (top CUDA kernels).
Writes ``authoring_bench.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latentroom.engine.direction import Direction  # noqa: E402
from latentroom.engine.plugins import resolve_generator  # noqa: E402
from latentroom.plugins.distill.pairs import PairPool, PairSampler  # noqa: E402
from latentroom.plugins.distill.student import StudentConfig, build_student  # noqa: E402
from latentroom.plugins.distill.train import Trainee, TrainSettings, _train_step  # noqa: E402
from latentroom.plugins.inverters.features import load_feature_net  # noqa: E402
from latentroom.plugins.toyfaces.regions import attribute_region  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DIRECTION = ROOT / "plugins" / "directions" / "shipped" / "smile.json"


def timed(fn: Callable[[int], Any], steps: int, warmup: int, device: torch.device) -> float:
    """Seconds per call of ``fn(k)``, after ``warmup`` calls."""
    for k in range(warmup):
        fn(k)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for k in range(warmup, warmup + steps):
        fn(k)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def build_samplers(device: torch.device) -> tuple[PairSampler, PairSampler]:
    """The plain and the fast teacher over one generator, direction and region (the
    region renders faces to find where smiles change: made once, not per sampler)."""
    generator = resolve_generator("toyfaces", str(device))
    generator.requires_grad_(False).eval()
    direction = Direction.load(DIRECTION)
    region = torch.from_numpy(attribute_region("smile", int(generator.size)))
    plain, fast = (PairSampler(generator, direction, (-8.0, 8.0), seed=0, amp=True, region=region,
                               fast=fast and device.type == "cuda") for fast in (False, True))
    return plain, fast


def trainee_for(device: torch.device, settings: TrainSettings, compiled: bool) -> Trainee:
    student = build_student(StudentConfig(strength_scale=8.0), 128)
    trainee = Trainee.build(student, settings, device)
    if compiled:
        trainee.student = torch.compile(trainee.student)  # type: ignore[assignment]
    return trainee


def measure(batch: int, args: argparse.Namespace, device: torch.device, plain: PairSampler,
            fast: PairSampler) -> dict[str, float]:
    rates: dict[str, float] = {}

    def record(name: str, seconds: float) -> None:
        rates[name] = batch / seconds
        print(f"batch {batch:5d}  {name:28s} {rates[name]:10,.0f} pairs/s  ({seconds * 1e3:7.1f} ms/step)", flush=True)

    record("teacher plain", timed(lambda k: plain.batch(batch, k), args.steps, args.warmup, device))
    record("teacher fast", timed(lambda k: fast.batch(batch, k), args.steps, args.warmup, device))
    features = load_feature_net("toyfaces-classifier", str(device))
    fixed = fast.batch(batch, 0)
    amp = device.type == "cuda"
    for name, weight, compiled in (("student l1", 0.0, False), ("student l1+perceptual", 0.5, False),
                                   ("student compiled l1+perc.", 0.5, True)):
        settings = TrainSettings(steps=10**6, batch_size=batch, feature_weight=weight)
        trainee = trainee_for(device, settings, compiled)
        net = features if weight > 0 else None
        record(name, timed(lambda k: _train_step(trainee, fixed, settings, net, amp), args.steps, args.warmup, device))
    settings = TrainSettings(steps=10**6, batch_size=batch, feature_weight=0.5)
    trainee = trainee_for(device, settings, compiled=False)
    record("step (teacher+student)", timed(lambda k: _train_step(trainee, fast.batch(batch, k), settings, features, amp),
                                           args.steps, args.warmup, device))
    pool = PairPool(fast, size=batch * args.pool_batches, chunk=max(1, batch // args.reuse))
    started = time.perf_counter()
    pool.fill(0)
    if device.type == "cuda":
        torch.cuda.synchronize()
    rates["pool fill pairs/s"] = pool.size / (time.perf_counter() - started)
    print(f"batch {batch:5d}  pool fill {rates['pool fill pairs/s']:,.0f} pairs/s", flush=True)
    record("step (pool)", timed(lambda k: _train_step(trainee, pool.batch(batch, k), settings, features, amp),
                                args.steps, args.warmup, device))
    if args.profile:
        profile_step(lambda: _train_step(trainee, fast.batch(batch, 99), settings, features, amp), device)
    return rates


def profile_step(step: Callable[[], Any], device: torch.device) -> None:
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        for _ in range(3):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
    key = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=25), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batches", default="1024,2048")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pool-batches", type=int, default=16)
    parser.add_argument("--reuse", type=int, default=4, help="pool: draws per teacher pair, as author --reuse")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--quick", action="store_true", help="CPU, batch 8, 2 steps: a smoke test")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() and not args.quick else "cpu")
    if args.quick:
        args.batches, args.steps, args.warmup, args.pool_batches = "8", 2, 1, 2
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    samplers = build_samplers(device)
    results = {"date": datetime.date.today().isoformat(), "device": torch.cuda.get_device_name() if device.type == "cuda"
               else platform.processor() or "cpu", "torch": torch.__version__, "steps": args.steps,
               "rates": {b: measure(int(b), args, device, *samplers) for b in args.batches.split(",")}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "authoring_bench.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
