"""The shipped painted hair_length on its own teacher's pairs (session 39's CPU bank:
generator samples and the bundled row's teacher at strength 8, no jitter; made by
session 39's scripts/hair_bank.py) against on renders and their true edit: the median
and mean share of the change it makes where the target moves a pixel by more than 40
levels, and a sheet x | target | output of the first 8 bank faces.
argv: preset-dir out.png; BANK (bank-hair.pt) from the environment."""
import os, sys
import numpy as np
import torch
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

run = preset_edit(open(f"{sys.argv[1]}/model.onnx", "rb").read())
bank = torch.load(os.environ.get("BANK", "bank-hair.pt"))
bx = bank["x"][:400].permute(0, 2, 3, 1).numpy()
by = bank["y"][:400].permute(0, 2, 3, 1).numpy()
params = sample_params(60000, 400)
rx = render(params, 128)
ry = render(edit(params, "hair_length", 0.2305), 128)

def share(x, y, out):
    x, y, out = (a.astype(float) for a in (x, y, out))
    change = y - x
    size2 = (change ** 2).sum(-1)
    alpha = ((out - x) * change).sum(-1) / np.maximum(size2, 1)
    where = size2 > 40 ** 2
    return np.median(alpha[where]), np.mean(alpha[where]), where.sum()

bo = run(bx, 8.0)
ro = run(rx, 8.0)
print("bank (teacher's own pairs): median/mean share %.2f / %.2f over %d px" % share(bx, by, bo))
print("renders (true edit):        median/mean share %.2f / %.2f over %d px" % share(rx, ry, ro))
rows = [np.concatenate([bx[i], by[i], bo[i]], 1) for i in range(8)]
grid = np.concatenate(rows, 0).astype(np.uint8)
Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(sys.argv[2])
