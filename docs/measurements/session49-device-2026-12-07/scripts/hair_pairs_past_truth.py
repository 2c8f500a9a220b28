"""Session 49 (device): how much of hair_length's pairs draws past the truth? For every face
of a latent-pairs file made as call B's (2,500 faces, seed 0, amount 0.35), the target at
the truth's strength as author trains on it, x + region (G(up) - x) with x = G(before),
against the face's true edit up: the pixels the target moves by more than 24 levels where
the truth moves at most 8 ("past", inside the region), and the misreading as pairs_misread
measures it (the mean |read change - true change| where the truth moves more than 8).
Writes OUT/past.npz (per face: past, misread, hair_length, age) and three sheets of
eight faces each, render | target | truth, 2x: the most past, around the median, the
least. argv: pairs.npz region.png out-dir"""
import sys
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.latent_pairs import load_latent_pairs
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.toyfaces.renderer import sample_params
from latentroom.plugins.toyfaces.truth_direction import TRUTH_DIRECTION_SEED, true_edit_sides
pairs_path, region_png, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
pairs = load_latent_pairs(pairs_path)
count = pairs.faces
generator = resolve_generator("toyfaces", "cuda" if torch.cuda.is_available() else "cpu")
region = np.asarray(Image.open(region_png), np.float32)[..., None] / 255
before, up, _, _ = true_edit_sides("hair_length", count, 0, 0.35, 128)
params = sample_params(TRUTH_DIRECTION_SEED, count)


def drawn(latents: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        images = generator.synthesis(torch.from_numpy(latents).to(generator.device), noise_mode="const")
    return to_pixels(images.float().clamp(-1, 1).cpu().numpy()).astype(np.float32)


past, misread, targets = np.zeros(count, int), np.zeros(count), np.zeros((count, 128, 128, 3), np.uint8)
for start in range(0, count, 128):
    faces = slice(start, start + 128)
    x, y = drawn(pairs.before[faces]), drawn(pairs.up[faces])
    read_change, true_change = y - x, up[faces].astype(np.float32) - before[faces]
    truth_moves = np.abs(true_change).max(-1, keepdims=True) > 8
    misread[faces] = (np.abs(read_change - true_change) * truth_moves).sum((1, 2, 3)) / np.maximum(
        3 * truth_moves.sum((1, 2, 3)), 1)
    past[faces] = ((np.abs(region * read_change).max(-1) > 24) & ~truth_moves[..., 0]).sum((1, 2))
    targets[faces] = np.clip(x + region * read_change, 0, 255).round()
np.savez(out / "past.npz", past=past, misread=misread, hair_length=params["hair_length"], age=params["age"])
order = np.argsort(past)
middle = count // 2
for name, chosen in (("most", order[-8:][::-1]), ("median", order[middle - 4:middle + 4]), ("least", order[:8])):
    tiles = np.stack([before[chosen], targets[chosen], up[chosen]], 1)
    n, k, h, w, _ = tiles.shape
    sheet = tiles.transpose(0, 2, 1, 3, 4).reshape(n * h, k * w, 3)
    Image.fromarray(sheet).resize((k * w * 2, n * h * 2), Image.NEAREST).save(out / f"past-{name}.png")
    print(f"{name}: faces {chosen.tolist()}, past {past[chosen].tolist()}")
print(f"past quartiles {np.percentile(past, [25, 50, 75, 90]).tolist()}; misread quartiles "
      f"{np.round(np.percentile(misread, [25, 50, 75, 90]), 2).tolist()}; "
      f"correlation {np.corrcoef(past, misread)[0, 1]:.2f}")
