"""Which of beard's latent pairs teach a clean beard? Held-out renders lacking a beard
(seed 91,000, as teacher_beard.py picks them), their true beard read through the hybrid
as beard's pairs are read, and the pairs' teacher at 1 t and 1.5 t (the latent path).
Per face: the unmasked edit's mean change outside REGION (levels; a pair that moves the
face, its mouth or hair, is entangled: needs no truth, so a filter on it would work
for any generator), and the teacher's error against the truth's change inside REGION
(mean absolute difference of the two changes, levels). Prints each face and the rank
correlation. argv: count region.png out.npz"""
import sys
from pathlib import Path
import numpy as np
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

count, region_file, out = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
region = load_region(region_file, int(generator.size))[0].numpy().astype(np.float32)
params = sample_params(91000, 4 * count)
x, t = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(x)) if np.abs(x[i].astype(int) - t[i].astype(int)).mean() > 2][:count]
faces = {k: v[lacking] for k, v in params.items()}
renders, truth = x[lacking].astype(np.float32), t[lacking].astype(np.float32)
read = lambda pixels: hybrid.invert(torch.from_numpy(to_model(pixels)))
rows = []
for start in range(0, len(lacking), 8):
    part = slice(start, start + 8)
    before, up = read(renders[part].astype(np.uint8)), read(truth[part].astype(np.uint8))
    with torch.no_grad():
        drawn = to_pixels(generator.synthesis(before, noise_mode="const").float().clamp(-1, 1).numpy()).astype(np.float32)
        moved = {k: to_pixels(generator.synthesis(before + k * (up - before), noise_mode="const").float().clamp(-1, 1).numpy()).astype(np.float32)
                 for k in (1.0, 1.5)}
    true_change = truth[part] - renders[part]
    for i in range(len(drawn)):
        inside, outside = region > 0.5, region <= 0.5
        figures = [np.abs(moved[k][i] - drawn[i])[outside].mean() for k in (1.0, 1.5)]
        figures += [np.abs((moved[k][i] - drawn[i]) - true_change[i])[inside].mean() for k in (1.0, 1.5)]
        rows.append(figures)
        face = lacking[start + i]
        print(f"face {face} hair {params['hair_length'][face]:.2f}: outside change at t {figures[0]:.1f}, 1.5t {figures[1]:.1f}; "
              f"error in region at t {figures[2]:.1f}, 1.5t {figures[3]:.1f}", flush=True)
rows = np.array(rows)
rank = lambda v: np.argsort(np.argsort(v))
for k, name in ((0, "t"), (1, "1.5 t")):
    rho = np.corrcoef(rank(rows[:, k]), rank(rows[:, k + 2]))[0, 1]
    print(f"at {name}: rank correlation of outside change and error in region {rho:.2f}; "
          f"median outside {np.median(rows[:, k]):.1f}, error {np.median(rows[:, k + 2]):.1f}")
np.savez(out, faces=np.array(lacking), hair=params["hair_length"][lacking], figures=rows)
