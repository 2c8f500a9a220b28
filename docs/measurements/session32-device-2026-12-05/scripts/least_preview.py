"""Matte targets (plugins/distill/matte.py at 519ed7e) of chosen held-out bank faces:
input | the bank's target | its matte. argv: bank out floor full radius line_low
line_high index...; OUTLIER from the environment (0.15)."""
import os, sys
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.matte import Matte
from latentroom.plugins.distill.quality import to_pixels
bank, out = sys.argv[1], sys.argv[2]
floor, full, radius, low, high = map(float, sys.argv[3:8])
picks = [int(v) for v in sys.argv[8:]]
data = torch.load(bank)
x, y = data["x"][-64:].float()[picks], data["y"][-64:].float()[picks]
matte = Matte(floor=floor, full=full, radius=radius, line_low=low, line_high=high,
              outlier=float(os.environ.get("OUTLIER", "0.15")))
t = matte.target(x, y)
img = np.concatenate([np.concatenate([to_pixels(a.numpy())[i] for a in (x, y, t)], 1) for i in range(len(picks))], 0)
Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(out)
