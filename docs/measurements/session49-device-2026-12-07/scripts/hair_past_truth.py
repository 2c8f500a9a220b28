"""Session 49: does inverted-truth's misread filter see hair_length's stray locks? On
hair_teacher_sheet.py's faces (same reading through the hybrid), per face: the misreading
as pairs_misread measures it (the mean |read change - true change| where the true change
moves a pixel by more than 8 levels), and the area the pair's target at t draws past the
truth (pixels inside the region where the target moves more than 24 levels and the truth
at most 8) with its mean change there, and the same over the whole frame (the read change,
as a find sees it without the preset's region); and the misreading over the pixels either change
moves by more than 8 levels (drawing past the truth counts), as a mean over those pixels
and as their sum over the pixels the truth moves. argv: count region.png"""
import sys
import numpy as np
import torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
count, region_png = int(sys.argv[1]), sys.argv[2]
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
region = np.asarray(Image.open(region_png), np.float32)[..., None] / 255
params = sample_params(91000, 40 * count)
old = np.flatnonzero((params["age"] > 0.6) & (params["hair_length"] < 0.4))[:count]
rest = np.setdiff1d(np.arange(len(params["age"])), old)[:count]
faces = {k: v[np.concatenate([old, rest])] for k, v in params.items()}
before, after = render(faces, 128).astype(np.float32), render(edit(faces, "hair_length", 0.35), 128).astype(np.float32)


def drawn(images: np.ndarray) -> np.ndarray:
    w = hybrid.invert(torch.from_numpy(to_model(images.astype(np.uint8))))
    with torch.no_grad():
        return to_pixels(generator.synthesis(w, noise_mode="const").float().clamp(-1, 1).numpy()).astype(np.float32)


x, up = drawn(before), drawn(after)
read_change, true_change = up - x, after - before
moved = np.abs(true_change).max(-1, keepdims=True) > 8
misread = (np.abs(read_change - true_change) * moved).sum((1, 2, 3)) / np.maximum(3 * moved.sum((1, 2, 3)), 1)
either = moved | (np.abs(read_change).max(-1, keepdims=True) > 8)
either_sum = (np.abs(read_change - true_change) * either).sum((1, 2, 3))
misread_either = either_sum / np.maximum(3 * either.sum((1, 2, 3)), 1)
misread_per_truth = either_sum / np.maximum(3 * moved.sum((1, 2, 3)), 1)
target_change = np.abs(region * read_change).max(-1)
past = (target_change > 24) & ~moved[..., 0]
past_frame = (np.abs(read_change).max(-1) > 24) & ~moved[..., 0]
for i in range(len(x)):
    group = "old" if i < count else "random"
    mean_past = target_change[i][past[i]].mean() if past[i].any() else 0.0
    print(f"{group} row {i % count + 1}: misread {misread[i]:.1f} levels (over either change {misread_either[i]:.1f}, "
          f"per truth pixel {misread_per_truth[i]:.1f}); "
          f"drawn past the truth {int(past[i].sum())} px (mean change there {mean_past:.0f}; "
          f"over the whole frame {int(past_frame[i].sum())} px)")
