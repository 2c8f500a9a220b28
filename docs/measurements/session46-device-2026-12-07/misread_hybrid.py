"""How far the hybrid's reading of each face's true beard, drawn by the generator, is from
the true edit: held-out renders lacking a beard (seed 91,000, as beard_consistency.py picks
them), read through the hybrid as beard's pairs are (lr 0.06). Per face, the mean absolute
difference between G(up) - G(before) and truth - render over the pixels the truth changes
by more than 8 levels (the figure inverted-truth's pairs_misread thresholds), and whether
the find's scorer reads a beard on G(up) (pairs_unread). argv: count out.npz"""
import sys
import numpy as np
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params

count, out = int(sys.argv[1]), sys.argv[2]
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"), lr=0.06)
scorer = load_network("cpu")  # the find's scorer, as pairs_unread reads faces
params = sample_params(91000, 4 * count)
x, t = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(x)) if np.abs(x[i].astype(int) - t[i].astype(int)).mean() > 2][:count]
renders, truth = x[lacking], t[lacking]
errors, read = [], []
for start in range(0, len(lacking), 8):
    part = slice(start, start + 8)
    w0 = hybrid.invert(torch.from_numpy(to_model(renders[part])))
    w1 = hybrid.invert(torch.from_numpy(to_model(truth[part])))
    with torch.no_grad():
        drawn0 = to_pixels(generator.synthesis(w0, noise_mode="const").float().clamp(-1, 1).numpy()).astype(np.float32)
        drawn1 = to_pixels(generator.synthesis(w1, noise_mode="const").float().clamp(-1, 1).numpy()).astype(np.float32)
    true_change = truth[part].astype(np.float32) - renders[part].astype(np.float32)
    p = scorer.predict(drawn1.astype(np.uint8))[:, ATTRIBUTE_NAMES.index("beard")]
    for i in range(len(drawn0)):
        moved = np.abs(true_change[i]).max(-1) > 8
        errors.append(np.abs((drawn1[i] - drawn0[i]) - true_change[i])[moved].mean())
        read.append(p[i] >= 0.5)
        face = lacking[start + i]
        print(f"face {face} hair {params['hair_length'][face]:.2f}: misread {errors[-1]:.1f} levels, scorer reads a beard {read[-1]}", flush=True)
errors, read = np.array(errors), np.array(read)
hair = params["hair_length"][lacking]
print(f"median {np.median(errors):.1f} (read faces {np.median(errors[read]):.1f}); quartiles {np.percentile(errors, 25):.1f} / "
      f"{np.percentile(errors, 75):.1f}; hair > 0.7 {np.median(errors[hair > 0.7]):.1f}, <= 0.7 {np.median(errors[hair <= 0.7]):.1f}")
for levels in (10, 12, 14, 16, 18, 20):
    keep = read & (errors <= levels)
    print(f"within {levels}: {keep.sum()} of {read.sum()} read faces kept ({(keep & (hair > 0.7)).sum()} of {(read & (hair > 0.7)).sum()} long-haired)")
np.savez(out, errors=errors, read=read, hair=hair)
