"""Train the toyfaces attribute classifier on renders made on the fly.

    python -m latentroom.plugins.toyfaces.train_classifier --out DIR --seed 0 --steps N --device auto

Every training batch is rendered from its own seed, ``SeedSequence([0, seed, step])``,
by a pool of worker processes (rendering, not the tiny CNN, is the bottleneck), so
the data stream is a pure function of ``--seed``. Held-out evaluation renders come
from ``SeedSequence([1, seed])``, a stream training never draws from.

Writes to DIR: ``ARCH.pt`` (float16 state dict, loads with weights_only=True),
``ARCH.onnx``, ``ARCH.json`` (command, seed, device, settings, metrics) and
``ARCH-train.log``, where ARCH is ``--arch``: ``classifier`` or ``judge`` (the
independent evaluation network, trained with ``--seed 1``).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import multiprocessing as mp
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

import numpy as np

from latentroom.engine.devices import pick_torch_device
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, render, sample_params

if TYPE_CHECKING:
    import torch

T = TypeVar("T")


def _train_rng(seed: int, step: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([0, seed, step]))


def _eval_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([1, seed]))


def _render_batch(job: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    seed, step, batch, size = job
    p = sample_params(_train_rng(seed, step), batch)
    return render(p, size), attribute_matrix(p)


def _batches(seed: int, steps: int, batch: int, size: int, workers: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield training batches in step order, rendered ahead by ``workers`` processes."""
    return computed_ahead(_render_batch, [(seed, step, batch, size) for step in range(steps)], workers)


def computed_ahead(function: Callable[[Any], T], jobs: Sequence[Any], workers: int) -> Iterator[T]:
    """``function(job)`` for each job, in order, computed ahead by ``workers`` processes
    (none: here, when asked). ``function`` must be a module-level function.

    A bounded window of outstanding jobs (not Pool.imap, which queues results without
    limit) keeps memory flat when rendering outpaces training.
    """
    if workers <= 0:
        for job in jobs:
            yield function(job)
        return
    # spawn, not fork: the parent may already hold a CUDA context.
    with mp.get_context("spawn").Pool(workers) as pool:
        pending: collections.deque = collections.deque()
        nxt = 0
        for _ in range(len(jobs)):
            while nxt < len(jobs) and len(pending) < 3 * workers:
                pending.append(pool.apply_async(function, (jobs[nxt],)))
                nxt += 1
            yield pending.popleft().get()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m latentroom.plugins.toyfaces.train_classifier", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--workers", type=int, default=-1, help="render processes; -1: one per core but one, 0: in-process")
    ap.add_argument("--eval-n", type=int, default=2048, help="held-out renders for the final metrics")
    ap.add_argument("--time-budget", type=float, default=0.0, help="seconds; stop training early and anneal the learning rate against it (0: none)")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--no-onnx", action="store_true", help="skip the ONNX export")
    ap.add_argument("--arch", default="classifier", choices=("classifier", "judge"),
                    help="network: the classifier, or the independent evaluation judge (files named after it)")
    return ap.parse_args(argv)


class TrainLog:
    """Timestamped lines to stdout and ``ARCH-train.log``."""

    def __init__(self, path: Path) -> None:
        self.file = open(path, "w")

    def __call__(self, msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def lr_at(base: float, warmup: int, progress: float, step: int) -> float:
    """Linear warm-up, then cosine to 2% of the peak. Progress is the larger of the step
    fraction and the time-budget fraction, so a budget-capped run still anneals (at
    the cost of bit-reproducibility across machines)."""
    if step < warmup:
        return base * (step + 1) / warmup
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def corrupt(x: "torch.Tensor", gen: "torch.Generator") -> "torch.Tensor":
    """Mild corruption so the classifier also reads GAN samples, which are softer and
    noisier than the renders: per-image Gaussian noise and, for a third of the batch,
    a 3x3 blur. Neither changes any attribute."""
    import torch
    import torch.nn.functional as F

    b, dev = x.shape[0], x.device
    sigma = torch.rand(b, 1, 1, 1, device=dev, generator=gen) * 0.06
    blur = (torch.rand(b, 1, 1, 1, device=dev, generator=gen) < 0.33).float()
    k = torch.tensor([1.0, 2.0, 1.0], device=dev)
    k2 = (k[:, None] * k[None, :] / 16.0).expand(3, 1, 3, 3)
    xb = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2, groups=3)
    x = x + blur * (xb - x)
    x = x + sigma * torch.randn(x.shape, device=dev, generator=gen)
    return x.contiguous(memory_format=torch.channels_last)


def attribute_losses(pred: "torch.Tensor", y: "torch.Tensor", cont: "torch.Tensor",
                     binr: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
    """``(continuous, binary)``: smooth L1 on the continuous attributes (scaled to sit
    near the binary term), BCE on logits for the binary ones."""
    import torch.nn.functional as F

    loss_c = F.smooth_l1_loss(pred[:, cont], y[:, cont], beta=0.02) / 0.02 * 0.1
    loss_b = F.binary_cross_entropy_with_logits(pred[:, binr], y[:, binr])
    return loss_c, loss_b


@dataclass
class Trained:
    model: Any
    steps: int
    seen: int
    seconds: float
    stopped_early: bool


def train(args: argparse.Namespace, dev: "torch.device", workers: int, log: TrainLog) -> Trained:
    """The training loop over the seeded batch stream."""
    import torch

    from latentroom.plugins.toyfaces.classifier import BINARY_IDX, CONTINUOUS_IDX, INPUT_SIZE, AttributeClassifier

    model = AttributeClassifier(args.arch).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    cont = torch.tensor(CONTINUOUS_IDX, device=dev)
    binr = torch.tensor(BINARY_IDX, device=dev)
    gen = torch.Generator(device=dev).manual_seed(args.seed)
    warmup = max(1, args.steps // 20)
    t0 = t_log = time.time()
    step = seen = 0
    stopped_early = False
    for imgs, target in _batches(args.seed, args.steps, args.batch, INPUT_SIZE, workers):
        elapsed = time.time() - t0
        progress = step / args.steps
        if args.time_budget > 0:
            progress = max(progress, elapsed / args.time_budget)
            if elapsed > args.time_budget:
                stopped_early = True
                break
        for g in opt.param_groups:
            g["lr"] = lr_at(args.lr, warmup, progress, step)
        x = torch.from_numpy(imgs).to(dev, non_blocking=True).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        y = torch.from_numpy(target).to(dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            pred = model(corrupt(x, gen))
        pred = pred.float()
        loss_c, loss_b = attribute_losses(pred, y, cont, binr)
        loss = loss_c + loss_b
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        seen += x.shape[0]
        if step % args.log_every == 0 or step == 1:
            with torch.no_grad():
                mae = (pred[:, cont] - y[:, cont]).abs().mean().item()
                acc = ((pred[:, binr] > 0) == (y[:, binr] > 0.5)).float().mean().item()
            dt, t_log = time.time() - t_log, time.time()
            ips = (args.log_every * x.shape[0] / dt) if step > 1 else float("nan")
            log(
                f"step {step}/{args.steps} loss {loss.item():.4f} (cont {loss_c.item():.4f} bin {loss_b.item():.4f}) "
                f"batch-mae {mae:.4f} batch-acc {acc:.3f} lr {opt.param_groups[0]['lr']:.2e} {ips:.0f} img/s "
                f"elapsed {time.time() - t0:.0f}s"
            )
    return Trained(model, step, seen, time.time() - t0, stopped_early)


def evaluate_shipped(out: Path, args: argparse.Namespace, dev: "torch.device", log: TrainLog) -> dict[str, float]:
    """Metrics of what ships: the float16-rounded weights, reloaded as a user would,
    on the held-out render stream."""
    from latentroom.plugins.toyfaces.classifier import load
    from latentroom.plugins.toyfaces.classifier import metrics as attribute_metrics

    shipped = load(dev, out / f"{args.arch}.pt", args.arch)
    t1 = time.time()
    metrics: dict[str, float] = {}
    if args.eval_n > 0:
        p = sample_params(_eval_rng(args.seed), args.eval_n)
        metrics = attribute_metrics(shipped.predict(render(p)), attribute_matrix(p))
    for k, v in metrics.items():
        log(f"eval {k} {v:.4f}")
    log(f"eval on {args.eval_n} held-out renders took {time.time() - t1:.0f}s")
    return metrics


def export(out: Path, arch: str, log: TrainLog) -> bool:
    """``ARCH.onnx`` from the shipped weights; a failure is logged, not fatal (the
    weights are still useful without it)."""
    from latentroom.plugins.toyfaces.classifier import export_onnx, load

    try:
        export_onnx(load("cpu", out / f"{arch}.pt", arch), out / f"{arch}.onnx")
        return True
    except Exception as e:
        log(f"ONNX export failed: {e!r}")
        return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    import torch

    from latentroom.plugins.toyfaces.classifier import INPUT_SIZE, save_weights

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = TrainLog(out / f"{args.arch}-train.log")
    dev = torch.device(pick_torch_device(args.device))
    workers = args.workers if args.workers >= 0 else max(0, (os.cpu_count() or 1) - 1)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = False
    command = "python -m latentroom.plugins.toyfaces.train_classifier " + " ".join(sys.argv[1:] if argv is None else argv)
    log(f"command: {command}")
    dev_name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"
    log(f"device {dev} ({dev_name}), torch {torch.__version__}, workers {workers}, cores {os.cpu_count()}")

    trained = train(args, dev, workers, log)
    log(f"trained {trained.steps} steps, {trained.seen} images in {trained.seconds:.0f}s"
        + (" (stopped by --time-budget)" if trained.stopped_early else ""))
    save_weights(trained.model, out / f"{args.arch}.pt")
    metrics = evaluate_shipped(out, args, dev, log)
    onnx_ok = False if args.no_onnx else export(out, args.arch, log)

    info = {
        "command": command,
        "seed": args.seed,
        "device": f"{dev} ({dev_name})",
        "torch": torch.__version__,
        "steps": trained.steps,
        "steps_planned": args.steps,
        "batch": args.batch,
        "lr": args.lr,
        "images_seen": trained.seen,
        "train_seconds": round(trained.seconds, 1),
        "render_workers": workers,
        "stopped_by_time_budget": trained.stopped_early,
        "input_size": INPUT_SIZE,
        "arch": args.arch,
        "feature_dim": trained.model.feature_dim,
        "attributes": list(ATTRIBUTE_NAMES),
        "eval": {"n": args.eval_n, "stream": f"SeedSequence([1, {args.seed}])", "metrics": metrics},
        "onnx": onnx_ok,
    }
    (out / f"{args.arch}.json").write_text(json.dumps(info, indent=2) + "\n")
    log("done")
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
