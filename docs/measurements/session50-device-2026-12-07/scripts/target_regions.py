"""Session 50: a pairs preset's targets at t under other regions. Faces of seed 91,000:
for hair_length (hair_sheet.py's, session 49) COUNT old short-haired, then COUNT at random,
with their true edits at the find's amount (0.35); for a binary attribute COUNT lacking it
with long hair (hair_length > 0.6), then COUNT lacking it at random, with it put on. Both
read through the hybrid as the pairs are (cached in LATENTS.npz). For each region PNG,
the target x + region (G(w_up) - x) with x = G(w), as author trains on it, against the
true change (truth - render): the mean |difference| where the truth moves a pixel by more
than 8 levels, the mean |target change| where it moves none (drawn past the truth), and
the pixels there moved by more than 24. Sheet, 2x: render | truth | each region's target
| the target inside the truth's own change grown by 2 px.
argv: attribute count latents.npz out.png region.png..."""
import sys
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.regions import moved_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
attribute, count, cache, out, regions = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5:]
generator = resolve_generator("toyfaces", "cpu")
if not cache.exists():
    params = sample_params(91000, 40 * count)
    if attribute == "hair_length":
        first, allowed, step = (params["age"] > 0.6) & (params["hair_length"] < 0.4), True, 0.35
    else:
        first, allowed, step = params["hair_length"] > 0.6, params[attribute] < 0.5, 1.0
    chosen = np.flatnonzero(first & allowed)[:count]
    rest = np.setdiff1d(np.flatnonzero(np.ones(len(first), bool) & allowed), chosen)[:count]
    faces = {k: v[np.concatenate([chosen, rest])] for k, v in params.items()}
    renders, truths = render(faces, 128), render(edit(faces, attribute, step), 128)
    hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
    np.savez(cache, w0=hybrid.invert(torch.from_numpy(to_model(renders))).numpy(),
             w1=hybrid.invert(torch.from_numpy(to_model(truths))).numpy(), render=renders, truth=truths)
data = np.load(cache)


def drawn(w: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        images = generator.synthesis(torch.from_numpy(w), noise_mode="const").float().clamp(-1, 1)
    return to_pixels(images.numpy()).astype(np.float32)


x, y, renders, truths = drawn(data["w0"]), drawn(data["w1"]), data["render"], data["truth"]
true_change = truths.astype(np.float32) - renders
moves = moved_region(renders, truths)
still = ~moves
grown = moved_region(renders, truths, 2)[..., None].astype(np.float32)
columns = [renders, truths]
for name, region in [(png, np.asarray(Image.open(png), np.float32)[..., None] / 255) for png in regions] + \
        [("the truth's change grown 2 px", grown)]:
    change = region * (y - x)
    error = (np.abs(change - true_change).mean(-1) * moves).sum((1, 2)) / moves.sum((1, 2))
    past = (np.abs(change).mean(-1) * still).sum((1, 2)) / still.sum((1, 2))
    past_px = ((np.abs(change).max(-1) > 24) & still).sum((1, 2))
    print(f"{name}: error where the truth moves {error.mean():.1f}, drawn past it {past.mean():.2f} levels, "
          f"{np.median(past_px):.0f} px (median; per face {past_px.tolist()})")
    columns.append(np.clip(x + change, 0, 255).round().astype(np.uint8))
tiles = np.stack(columns, 1)
n, k, h, w, _ = tiles.shape
sheet = tiles.transpose(0, 2, 1, 3, 4).reshape(n * h, k * w, 3)
Image.fromarray(sheet).resize((k * w * 2, n * h * 2), Image.NEAREST).save(out, quality=92)
