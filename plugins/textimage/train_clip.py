"""Train toyfaces-clip contrastively on renders and captions from their ground truth.

    python -m latentroom.plugins.textimage.train_clip --out DIR --seed 0 --steps N [--seconds S]
        [--device cpu|cuda|auto] [--state-dir DIR] [--workers K] [--twins SHARE]

Every batch is a pure function of ``(--seed, step)``: its faces are drawn and
captioned from ``SeedSequence([0, seed, step])`` (:func:`captions.training_caption`;
a ``--twins`` share as counterfactual twin pairs, :mod:`twins`),
so a run resumed from ``--state-dir`` (model, optimiser and step, written atomically
every ``--checkpoint-every`` steps and at the end) continues the same stream.
Held-out renders come from ``SeedSequence([1, seed])``, which training never draws.

The benchmark (:func:`retrieval_accuracy`): held-out renders in groups of 100, each
with its :func:`captions.full_caption`; a render counts when its own caption has the
highest cosine of the group's 100.
The second (:func:`twin_accuracy`): per attribute, held-out twin pairs from
``SeedSequence([2, seed])``; a render counts when its own caption beats its twin's.

Writes to ``--out``: ``toyfaces-clip.pt`` (plain tensors), ``toyfaces-clip.json``
(vocabulary, command, seed, device, settings, the benchmark) and
``toyfaces-clip-train.log`` (appended to on resume).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from latentroom.engine.atomic import atomic_write_bytes
from latentroom.engine.devices import pick_torch_device
from latentroom.plugins.textimage.captions import full_caption, training_caption, vocabulary
from latentroom.plugins.textimage.toyclip import IMAGE_SIZE, DualEncoder, Vocabulary, save
from latentroom.plugins.textimage.twins import TWIN_ATTRIBUTES, twin_pairs
from latentroom.plugins.toyfaces.renderer import concat, render, sample_params
from latentroom.plugins.toyfaces.train_classifier import computed_ahead

GROUP = 100  # captions a render is retrieved among
WARMUP = 50


def batch_for(seed: int, step: int, size: int, twins: float = 0.0) -> tuple[np.ndarray, list[str]]:
    """Renders ``[size, 64, 64, 3]`` uint8 and one training caption each; a ``twins``
    share of the batch comes as counterfactual twin pairs (:mod:`twins`)."""
    rng = np.random.default_rng(np.random.SeedSequence([0, seed, step]))
    pairs = int(size * twins) // 2
    params = sample_params(rng, size - 2 * pairs)
    texts = [training_caption(params, i, rng) for i in range(size - 2 * pairs)]
    if pairs:
        paired, paired_texts, _ = twin_pairs(rng, pairs)
        params = concat([params, paired])
        texts += paired_texts
    return render(params, IMAGE_SIZE), texts


def _batch_job(job: tuple[int, int, int, float]) -> tuple[np.ndarray, list[str]]:
    return batch_for(*job)


def heldout_twins(seed: int, per_attribute: int) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per twin attribute, ``per_attribute`` held-out twin pairs (renders and captions,
    the twins after the faces) from a stream training never draws."""
    rng = np.random.default_rng(np.random.SeedSequence([2, seed]))
    out = {}
    for attribute in TWIN_ATTRIBUTES:
        params, texts, _ = twin_pairs(rng, per_attribute, [attribute] * per_attribute)
        out[attribute] = (render(params, IMAGE_SIZE), texts)
    return out


@torch.no_grad()
def twin_accuracy(embed_images: Callable[[torch.Tensor], torch.Tensor],
                  embed_texts: Callable[[list[str]], torch.Tensor], images: torch.Tensor,
                  texts: list[str]) -> float:
    """Share of the renders of twin pairs (faces, then their twins) whose own caption
    has a higher cosine than their twin's: reading the one attribute that differs."""
    image_emb, text_emb = embed_images(images), embed_texts(texts)
    own = (image_emb * text_emb).sum(1)
    twins = (image_emb * text_emb.roll(len(texts) // 2, 0)).sum(1)
    return float((own > twins).float().mean())


def heldout(seed: int, count: int) -> tuple[np.ndarray, list[str]]:
    """Held-out renders and their full captions (the benchmark's stream)."""
    rng = np.random.default_rng(np.random.SeedSequence([1, seed]))
    params = sample_params(rng, count)
    return render(params, IMAGE_SIZE), [full_caption(params, i, rng) for i in range(count)]


def to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


@torch.no_grad()
def retrieval_accuracy(embed_images: Callable[[torch.Tensor], torch.Tensor],
                       embed_texts: Callable[[list[str]], torch.Tensor], images: torch.Tensor,
                       texts: list[str]) -> dict[str, float]:
    """Top-1 accuracy of picking each render's caption among its group of ``GROUP``
    (image to text) and each caption's render (text to image)."""
    hits_i2t = hits_t2i = total = 0
    for start in range(0, len(texts) - GROUP + 1, GROUP):
        image_emb = embed_images(images[start:start + GROUP])
        text_emb = embed_texts(texts[start:start + GROUP])
        sim = image_emb @ text_emb.T
        truth = torch.arange(GROUP, device=sim.device)
        hits_i2t += int((sim.argmax(1) == truth).sum())
        hits_t2i += int((sim.argmax(0) == truth).sum())
        total += GROUP
    return {"image_to_text_top1": hits_i2t / total, "text_to_image_top1": hits_t2i / total, "renders": total}


def contrastive_loss(model: DualEncoder, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """CLIP's symmetric cross-entropy over the batch's image-caption similarities."""
    logits = model.log_scale.exp().clamp(max=100.0) * model.embed_images(images) @ model.embed_ids(ids).T
    truth = torch.arange(len(images), device=images.device)
    return 0.5 * (F.cross_entropy(logits, truth) + F.cross_entropy(logits.T, truth))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m latentroom.plugins.textimage.train_clip", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "weights")
    ap.add_argument("--state-dir", type=Path, default=None, help="checkpoint here and resume from here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3000, help="planned steps (the learning-rate schedule's length)")
    ap.add_argument("--seconds", type=float, default=None, help="stop training after this long")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--twins", type=float, default=0.5,
                    help="share of each batch drawn as counterfactual twin pairs (hard negatives)")
    ap.add_argument("--twin-eval-n", type=int, default=200, help="held-out twin pairs per attribute")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--workers", type=int, default=0,
                    help="processes rendering and captioning batches ahead (0: in the training loop)")
    ap.add_argument("--eval-n", type=int, default=1000)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--checkpoint-every", type=int, default=200)
    return ap.parse_args(argv)


class Run:
    """Model, optimiser, step and log of one (possibly resumed) training run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.device = pick_torch_device(args.device)
        self.vocabulary = Vocabulary(vocabulary())
        torch.manual_seed(args.seed)
        self.model = DualEncoder(len(self.vocabulary)).to(self.device)
        self.optimiser = torch.optim.AdamW(self.model.parameters(), lr=args.lr, weight_decay=0.01)
        self.step = 0
        self.trained_seconds = 0.0
        args.out.mkdir(parents=True, exist_ok=True)
        self.log_file = open(args.out / "toyfaces-clip-train.log", "a")
        self.resume()

    def log(self, message: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} {message}"
        print(line, flush=True)
        self.log_file.write(line + "\n")
        self.log_file.flush()

    @property
    def checkpoint_path(self) -> Path | None:
        return None if self.args.state_dir is None else self.args.state_dir / "toyfaces-clip-state.pt"

    def resume(self) -> None:
        path = self.checkpoint_path
        if path is None or not path.exists():
            return
        state = torch.load(path, map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimiser.load_state_dict(state["optimiser"])
        self.step, self.trained_seconds = int(state["step"]), float(state["trained_seconds"])
        self.log(f"resumed from {path} at step {self.step}")

    def checkpoint(self) -> None:
        path = self.checkpoint_path
        if path is None:
            return
        buffer = io.BytesIO()
        torch.save({"model": self.model.state_dict(), "optimiser": self.optimiser.state_dict(), "step": self.step,
                    "trained_seconds": self.trained_seconds}, buffer)
        atomic_write_bytes(path, buffer.getvalue())

    def learning_rate(self) -> float:
        warm = min(1.0, (self.step + 1) / WARMUP)
        progress = min(1.0, self.step / max(1, self.args.steps))
        return self.args.lr * warm * 0.5 * (1.0 + math.cos(math.pi * progress))

    def train_step(self, images: np.ndarray, texts: list[str]) -> float:
        for group in self.optimiser.param_groups:
            group["lr"] = self.learning_rate()
        loss = contrastive_loss(self.model, to_tensor(images, self.device), self.vocabulary.encode(texts).to(self.device))
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimiser.step()
        self.step += 1
        return loss.item()

    def train(self) -> bool:
        """Train until ``--steps`` or until ``--seconds`` of training in all (resumed
        runs count their earlier time); True when stopped by the clock."""
        args, losses = self.args, []
        budget = float("inf") if args.seconds is None else args.seconds
        self.model.train()
        started = time.time()
        jobs = [(args.seed, step, args.batch, args.twins) for step in range(self.step, args.steps)]
        for images, texts in computed_ahead(_batch_job, jobs, args.workers):
            if self.trained_seconds + time.time() - started >= budget:
                self.trained_seconds += time.time() - started
                return True
            losses.append(self.train_step(images, texts))
            if self.step % args.log_every == 0:
                self.log(f"step {self.step} loss {np.mean(losses):.4f} lr {self.learning_rate():.2e} "
                         f"scale {self.model.log_scale.exp().item():.1f} "
                         f"{self.trained_seconds + time.time() - started:.0f}s")
                losses = []
            if self.step % args.checkpoint_every == 0:
                self.trained_seconds += time.time() - started
                started = time.time()
                self.checkpoint()
        self.trained_seconds += time.time() - started
        return False

    def embed_texts(self, texts: list[str]) -> torch.Tensor:
        return self.model.embed_ids(self.vocabulary.encode(texts).to(self.device))

    def evaluate(self) -> dict:
        self.model.eval()
        images, texts = heldout(self.args.seed, self.args.eval_n)
        result: dict = retrieval_accuracy(self.model.embed_images, self.embed_texts, to_tensor(images, self.device), texts)
        result["twin_accuracy"] = {
            attribute: twin_accuracy(self.model.embed_images, self.embed_texts, to_tensor(pair_images, self.device),
                                     pair_texts)
            for attribute, (pair_images, pair_texts) in heldout_twins(self.args.seed, self.args.twin_eval_n).items()}
        return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    run = Run(args)
    command = "python -m latentroom.plugins.textimage.train_clip " + " ".join(sys.argv[1:] if argv is None else argv)
    run.log(f"command: {command}")
    run.log(f"device {run.device}, torch {torch.__version__}, threads {args.threads}, {platform.processor() or platform.machine()}, "
            f"cores {os.cpu_count()}, vocabulary {len(run.vocabulary.words)} words")
    by_clock = run.train()
    run.checkpoint()
    run.log(f"trained to step {run.step} ({run.step * args.batch} captioned renders), "
            f"{run.trained_seconds:.0f}s of training in all" + (" (stopped by --seconds)" if by_clock else ""))
    started = time.time()
    benchmark = run.evaluate()
    run.log(f"held-out retrieval among {GROUP}: image->text {benchmark['image_to_text_top1']:.3f}, "
            f"text->image {benchmark['text_to_image_top1']:.3f} on {benchmark['renders']} renders "
            f"({time.time() - started:.0f}s)")
    run.log("held-out twins, own caption over the twin's: " +
            ", ".join(f"{name} {value:.3f}" for name, value in benchmark["twin_accuracy"].items()))
    save(run.model, run.vocabulary, args.out / "toyfaces-clip.pt", {
        "command": command, "seed": args.seed, "device": str(run.device), "torch": torch.__version__,
        "steps": run.step, "steps_planned": args.steps, "batch": args.batch, "lr": args.lr,
        "trained_seconds": round(run.trained_seconds, 1), "threads": args.threads,
        "twins": args.twins,
        "data": "renders at 64x64 from SeedSequence([0, seed, step]), captions.training_caption; "
                "a --twins share as twins.twin_pairs",
        "benchmark": {**benchmark, "group": GROUP, "stream": f"SeedSequence([1, {args.seed}])",
                      "captions": "captions.full_caption",
                      "twin_stream": f"SeedSequence([2, {args.seed}]), {args.twin_eval_n} pairs per attribute"},
    })
    run.log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
