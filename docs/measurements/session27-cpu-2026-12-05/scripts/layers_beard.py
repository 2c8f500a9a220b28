"""Beard pairs' teacher with each face's offset kept on some W+ layers only: does a
beard drawn without some layers keep the input's jaw and mouth? Session 25's six
held-out faces lacking a beard, read by the hybrid at lr 0.06 (interp-beard.npz from
its interp.py). argv: layer sets ("2:" from layer 2 on, ":4" layers 0-3), sheet."""
import sys
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.toyfaces.regions import attribute_region
torch.set_num_threads(2)
d = np.load(sys.argv[1])
w0, w1 = torch.from_numpy(d["w0"]), torch.from_numpy(d["w1"])
g = resolve_generator("toyfaces", torch.device("cpu"))
region = torch.from_numpy(attribute_region("beard", 128))[None, None]
x = torch.from_numpy(d["x"])
cols = [x]
with torch.no_grad():
    for spec in sys.argv[2].split(","):
        start, _, stop = spec.partition(":")
        layers = slice(int(start or 0), int(stop) if stop else None)
        w = w0.clone()
        w[:, layers] = w1[:, layers]
        cols.append(x + region * (g.synthesis(w, noise_mode="const").clamp(-1, 1) - x))
cols.append(torch.from_numpy(d["truth"]))
sheet = np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)
Image.fromarray(sheet).save(sys.argv[3], quality=88)
