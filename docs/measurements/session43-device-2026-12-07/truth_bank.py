"""A bank of the renderer's own glasses pairs (render -> true edit, amount 1) for faces
that lack glasses: the sharpest teacher there is, so that what a student's rings lose
is the training's doing. argv: count seed out.pt; ATTRIBUTE (glasses) from the
environment (a binary one: beard)."""
import os, sys
import numpy as np, torch
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
xs, ys = [], []
got, start = 0, 0
while got < n:
    p = sample_params(seed + start, 256); start += 256
    x, y = render(p, 128), render(edit(p, os.environ.get("ATTRIBUTE", "glasses"), 1.0), 128)
    keep = np.abs(x.astype(int) - y).mean((1, 2, 3)) > 0.3
    xs.append(x[keep]); ys.append(y[keep]); got += int(keep.sum())
x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
torch.save({"x": torch.from_numpy(to_model(x)).half(), "y": torch.from_numpy(to_model(y)).half()}, out)
print(out, x.shape)
