"""Session 52: does the hybrid read a beard on long hair better with more refinement steps?
beard's pairs are read at lr 0.06 and 32 steps; their teacher draws long-haired faces'
beards faint (session 46: misread 14.5 levels on hair > 0.7 against 8.8). Held-out renders
lacking a beard with hair_length > HAIR (seed 91,000), each read with and without its true
beard. Per setting: the mean |G(w_up) - G(w) - (truth - render)| where the truth moves a
pixel by more than 8 levels (the misreading pairs_misread thresholds), and the share of
the truth's beard change the generator draws there (the mean of the drawn change projected
on the true one), with the seconds it took. DEVICE: cpu (default) or cuda.
argv: count hair setting... (lr:steps)"""
import os, sys, time
import numpy as np
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
count, hair, settings = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
device = os.environ.get("DEVICE", "cpu")
generator = resolve_generator("toyfaces", device)
params = sample_params(91000, 30 * count)
x, t = render(params, 128), render(edit(params, "beard", 1.0), 128)
chosen = [i for i in range(len(x)) if params["hair_length"][i] > hair
          and np.abs(x[i].astype(int) - t[i].astype(int)).mean() > 2][:count]
renders, truths = x[chosen], t[chosen]
true_change = truths.astype(np.float32) - renders.astype(np.float32)
moved = np.abs(true_change).max(-1) > 8


def drawn(hybrid, images: np.ndarray) -> np.ndarray:
    parts = []
    for start in range(0, len(images), 64):
        w = hybrid.invert(torch.from_numpy(to_model(images[start:start + 64])).to(device))
        with torch.no_grad():
            parts.append(to_pixels(generator.synthesis(w, noise_mode="const").float().clamp(-1, 1).cpu().numpy()))
    return np.concatenate(parts).astype(np.float32)


torch.manual_seed(0)
for setting in settings:
    lr, steps = setting.split(":")
    hybrid = get_inverter("hybrid").value(generator, torch.device(device), lr=float(lr), steps=int(steps))
    start = time.time()
    change = drawn(hybrid, truths) - drawn(hybrid, renders)
    seconds = time.time() - start
    errors = [np.abs(change[i] - true_change[i])[moved[i]].mean() for i in range(len(chosen))]
    shares = [(change[i] * true_change[i])[moved[i]].sum() / (true_change[i] ** 2)[moved[i]].sum() for i in range(len(chosen))]
    print(f"lr {lr} steps {steps}: misread median {np.median(errors):.1f} mean {np.mean(errors):.1f} levels; "
          f"share of the true change drawn median {np.median(shares):.2f}; {len(chosen)} faces, {seconds:.0f} s", flush=True)
