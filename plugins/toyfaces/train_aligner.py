"""Train the toyfaces aligner: a face-centre detector and a landmark refiner.

    python -m latentroom.plugins.toyfaces.train_aligner --out plugins/toyfaces/weights --seed 0

Two small CNNs, trained on the CPU with one thread in a few minutes, on scenes from
:mod:`latentroom.plugins.toyfaces.scenes` (toyfaces scaled 0.5-3x, rotated up to +-30 degrees,
on photographs and gradients), with the renderer's landmarks as truth:

* the **detector** sees the scene box-reduced to 128² and predicts, CenterNet-style on
  a 32² grid, a face-centre heatmap, the face's size and rough landmarks;
* the **refiner** sees a 64² crop aligned from the full-resolution scene on the rough
  landmarks and predicts the five landmarks in it; at run time it runs twice, the
  second time on a crop aligned with its own first answer.

Training scenes come from ``SeedSequence([2, seed])``; the held-out scenes measured at
the end from ``SeedSequence([2, seed + 1000])``, never trained on. Writes to OUT:
``aligner_detect.onnx``, ``aligner_refine.onnx``, ``aligner.json`` (command, seed,
settings, held-out metrics) and ``aligner-train.log``.

``--evaluate-only`` trains nothing: it measures the networks already in OUT, with the
aligner's current inference, on the held-out seeds ``--eval-seeds`` and writes
``aligner-eval.json``::

    python -m latentroom.plugins.toyfaces.train_aligner --out plugins/toyfaces/weights --evaluate-only \
        --eval-seeds 1000 2026 --eval-scenes 300
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from latentroom.plugins.toyfaces.aligner import (
    DETECT_INPUT,
    GRID,
    REFINE_INPUT,
    ToyfacesAligner,
    crop_transform,
    reference_points,
)
from latentroom.plugins.toyfaces.scenes import SCENE, scenes

FLIP = [1, 0, 2, 4, 3]  # a mirrored face's left eye is its right eye


def detector_net():
    import torch
    from torch import nn

    def block(cin: int, cout: int, stride: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU())

    class Detector(nn.Module):
        """128² in, 32² out: heat (1), log size (1), landmark offsets / size (10)."""

        def __init__(self) -> None:
            super().__init__()
            self.down1 = nn.Sequential(block(3, 16, 2), block(16, 24, 2))  # 32²
            self.down2 = nn.Sequential(block(24, 48, 2), block(48, 48, 1))  # 16²
            self.down3 = nn.Sequential(block(48, 64, 2), block(64, 64, 1), block(64, 64, 1))  # 8²
            self.up2 = nn.Sequential(nn.Conv2d(64 + 48, 48, 1), block(48, 48, 1))
            self.up1 = nn.Sequential(nn.Conv2d(48 + 24, 32, 1), block(32, 32, 1))
            self.head = nn.Conv2d(32, 12, 1)

        def forward(self, x: "torch.Tensor") -> "torch.Tensor":
            a = self.down1(x)
            b = self.down2(a)
            c = self.down3(b)
            b = self.up2(torch.cat([b, nn.functional.interpolate(c, scale_factor=2.0)], 1))
            a = self.up1(torch.cat([a, nn.functional.interpolate(b, scale_factor=2.0)], 1))
            return self.head(a)

    return Detector()


def refiner_net():
    from torch import nn

    def block(cin: int, cout: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1), nn.BatchNorm2d(cout), nn.ReLU())

    return nn.Sequential(
        block(3, 24), block(24, 32), block(32, 48), block(48, 64),  # 64² -> 4²
        nn.Flatten(), nn.Linear(64 * 16, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def reduce_scene(image: np.ndarray) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).reduce(SCENE // DETECT_INPUT))


def detector_targets(marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heatmap ``[GRID, GRID]`` and per-cell regression ``[11, GRID, GRID]`` (NaN where none)."""
    from latentroom.engine.alignment import face_size

    heat = np.zeros((GRID, GRID), np.float32)
    reg = np.full((11, GRID, GRID), np.nan, np.float32)
    cell = SCENE / GRID
    g = np.arange(GRID) + 0.5
    for points in marks:
        centre = points.mean(axis=0)
        size = face_size(points)
        sigma = max(0.7, size / cell / 6)
        cx, cy = centre / cell
        heat = np.maximum(heat, np.exp(-((g[None, :] - cx) ** 2 + (g[:, None] - cy) ** 2) / (2 * sigma * sigma)))
        ix, iy = min(int(cx), GRID - 1), min(int(cy), GRID - 1)
        heat[iy, ix] = 1.0
        reg[0, iy, ix] = np.log(size / SCENE)
        reg[1:, iy, ix] = ((points - (np.array([ix, iy]) + 0.5) * cell) / size).reshape(-1)
    return heat, reg


def flipped(image: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = marks.copy()
    out[..., 0] = image.shape[1] - out[..., 0]
    return image[:, ::-1], out[:, FLIP]


def jittered_crop(rng: np.random.Generator, image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A refiner example: the crop aligned on perturbed landmarks, and the true ones in it."""
    from latentroom.engine.alignment import apply_transform, face_size

    size = face_size(points)
    angle = rng.normal(0, np.deg2rad(8))
    scale = np.exp(rng.normal(0, 0.12))
    shift = rng.normal(0, 0.08 * size, 2)
    centre = points.mean(axis=0)
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    noisy = (points - centre) @ rot.T + centre + shift + rng.normal(0, 0.02 * size, points.shape)
    to_crop = crop_transform(noisy)
    crop = ToyfacesAligner.cut(image, to_crop)
    return crop, apply_transform(to_crop, points) / REFINE_INPUT


def build_data(seed: int, n_scenes: int, log) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    t = time.time()
    made = scenes(seed, n_scenes)
    images = np.stack([reduce_scene(s.image) for s in made])
    targets = [detector_targets(s.landmarks) for s in made]
    heat = np.stack([h for h, _ in targets])
    reg = np.stack([r for _, r in targets])
    log(f"{n_scenes} training scenes, {sum(len(s.landmarks) for s in made)} faces, {time.time() - t:.0f} s")
    return made, images, heat, reg


def fit(net, steps: int, lr: float, batch_loss, name: str, log):
    """Train ``net`` for ``steps`` AdamW steps on ``batch_loss(net, step) -> (loss, text)``
    with a one-cycle learning rate; returns it in eval mode."""
    import torch

    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    for step in range(steps):
        loss, text = batch_loss(net, step)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"{name} step {step}: {text}")
    return net.eval()


def train_detector(images, heat, reg, steps: int, batch: int, lr: float, rng, log):
    import torch

    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    h_all, r_all = torch.from_numpy(heat), torch.from_numpy(reg)
    weights = torch.tensor([1.0] + [4.0] * 10)  # landmark offsets are small numbers: weigh them up

    def batch_loss(net, step: int):
        idx = torch.from_numpy(rng.integers(0, len(images), batch))
        x, h, r = x_all[idx], h_all[idx], r_all[idx]
        flip = torch.from_numpy(rng.random(batch) < 0.5)
        if flip.any():  # mirror scenes: flip maps, swap left/right landmarks, negate x offsets
            x[flip] = x[flip].flip(-1)
            h[flip] = h[flip].flip(-1)
            rf = r[flip].flip(-1)
            pts = rf[:, 1:].reshape(-1, 5, 2, GRID, GRID)[:, FLIP]
            pts[:, :, 0] = -pts[:, :, 0]
            r[flip] = torch.cat([rf[:, :1], pts.reshape(-1, 10, GRID, GRID)], 1)
        out = net(x)
        p = torch.sigmoid(out[:, 0]).clamp(1e-4, 1 - 1e-4)
        pos = h.eq(1).float()
        # CenterNet's focal loss: positives at the centre cells, negatives weighted down near them.
        focal = -(pos * (1 - p) ** 2 * torch.log(p) + (1 - pos) * (1 - h) ** 4 * p**2 * torch.log(1 - p)).sum()
        focal = focal / pos.sum().clamp(min=1)
        mask = ~torch.isnan(r[:, 0])
        pred, truth = out[:, 1:].permute(0, 2, 3, 1)[mask], r.permute(0, 2, 3, 1)[mask] * weights
        regression = torch.nn.functional.smooth_l1_loss(pred, truth, beta=0.05) if mask.any() else out.sum() * 0
        return focal + regression, f"focal {focal.item():.3f} regression {regression.item():.4f}"

    return fit(detector_net(), steps, lr, batch_loss, "detector", log)


def train_refiner(made, steps: int, batch: int, lr: float, rng, log):
    import torch

    faces = [(i, k) for i, s in enumerate(made) for k in range(len(s.landmarks))]

    def batch_loss(net, step: int):
        xs, ys = [], []
        for j in rng.integers(0, len(faces), batch):
            i, k = faces[j]
            image, marks = made[i].image, made[i].landmarks
            if rng.random() < 0.5:
                image, marks = flipped(image, marks)
            crop, target = jittered_crop(rng, image, marks[k])
            xs.append(crop)
            ys.append(target.reshape(-1))
        x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 127.5 - 1
        y = torch.from_numpy(np.stack(ys)).float()
        loss = torch.nn.functional.smooth_l1_loss(net(x), y, beta=0.01)
        return loss, f"loss {loss.item():.5f}"

    return fit(refiner_net(), steps, lr, batch_loss, "refiner", log)


def export(net, size: int, path: Path) -> None:
    import torch

    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(net, dummy, str(path), input_names=["image"], output_names=["out"],
                      dynamic_axes={"image": {0: "n"}, "out": {0: "n"}}, opset_version=17, dynamo=False)


def evaluate(aligner: ToyfacesAligner, held_out: list) -> dict[str, float]:
    """Recall (a truth face matched by a detection whose eyes are within 25% of the
    face size), false positives per scene, and the matched faces' eye error over size."""
    from latentroom.engine.alignment import face_size

    found = total = false = 0
    errors = []
    for scene in held_out:
        detections = aligner.detect(scene.image)
        used = set()
        for points in scene.landmarks:
            size = face_size(points)
            best = None
            for j, face in enumerate(detections):
                err = np.linalg.norm(face.landmarks[:2] - points[:2], axis=1).mean() / size
                if j not in used and err < 0.25 and (best is None or err < best[1]):
                    best = (j, err)
            total += 1
            if best is not None:
                used.add(best[0])
                found += 1
                errors.append(best[1])
        false += len(detections) - len(used)
    e = np.array(errors) if errors else np.array([np.nan])
    return {
        "held_out_scenes": len(held_out),
        "held_out_faces": total,
        "recall": found / max(total, 1),
        "false_positives_per_scene": false / len(held_out),
        "eye_error_over_face_size_mean": float(e.mean()),
        "eye_error_over_face_size_p95": float(np.percentile(e, 95)),
    }


def evaluate_only(folder: Path, seeds: list[int], n_scenes: int, command: str) -> int:
    """Measure the aligner in ``folder`` on held-out scenes of each seed; writes
    ``aligner-eval.json`` there (with the inference settings it was measured with)."""
    import datetime

    from latentroom.plugins.toyfaces import aligner as inference

    measured = ToyfacesAligner(folder)
    results = {}
    for seed in seeds:
        results[str(seed)] = evaluate(measured, scenes(seed, n_scenes))
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.4g}" for k, v in results[str(seed)].items()), flush=True)
    settings = ("HEAT_THRESHOLD", "TILE_SHARE", "SMALL_FACE_SHARE", "REFINE_PASSES", "VERIFY_CONTEXT",
                "VERIFY_THRESHOLD", "DISTINCT")
    record = {
        "command": command,
        "date": datetime.date.today().isoformat(),
        "inference": {name.lower(): getattr(inference, name) for name in settings},
        "metrics_by_seed": results,
    }
    (folder / "aligner-eval.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m latentroom.plugins.toyfaces.train_aligner", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenes", type=int, default=1500)
    ap.add_argument("--detector-steps", type=int, default=3000)
    ap.add_argument("--refiner-steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--eval-scenes", type=int, default=300)
    ap.add_argument("--evaluate-only", action="store_true",
                    help="measure the networks in OUT on held-out scenes; train nothing")
    ap.add_argument("--eval-seeds", type=int, nargs="+", default=None,
                    help="with --evaluate-only: scene seeds to measure on (default: SEED + 1000)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = "python -m latentroom.plugins.toyfaces.train_aligner " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.evaluate_only:
        return evaluate_only(Path(args.out), args.eval_seeds or [args.seed + 1000], args.eval_scenes, command)

    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    start = time.time()

    def log(message: str) -> None:
        line = f"[{time.time() - start:7.1f}s] {message}"
        lines.append(line)
        print(line, flush=True)

    rng = np.random.default_rng(np.random.SeedSequence([3, args.seed]))
    made, images, heat, reg = build_data(args.seed, args.scenes, log)
    detector = train_detector(images, heat, reg, args.detector_steps, args.batch, args.lr, rng, log)
    refiner = train_refiner(made, args.refiner_steps, args.batch * 4, args.lr, rng, log)
    export(detector, DETECT_INPUT, out / "aligner_detect.onnx")
    export(refiner, REFINE_INPUT, out / "aligner_refine.onnx")
    train_seconds = time.time() - start
    train_cpu_seconds = time.process_time()
    metrics = evaluate(ToyfacesAligner(out), scenes(args.seed + 1000, args.eval_scenes))
    log("held out: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
    record = {
        "command": command,
        "seed": args.seed,
        "settings": vars(args),
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "torch_threads": 1,
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "metrics": metrics,
        "reference_points": reference_points().round(3).tolist(),
    }
    (out / "aligner.json").write_text(json.dumps(record, indent=2) + "\n")
    (out / "aligner-train.log").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
