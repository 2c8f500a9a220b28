"""Beard pairs' teacher with each face's own mouth kept: the mouth's footprint on this
face read from the generator's smile direction (pixels a +-A smile edit of G(w0)
changes by more than THRESHOLD, inside the renderer's smile region grown GROW px), so
the target keeps the input's mouth where the generator would redraw it. Session 25's
six faces lacking a beard (interp-beard.npz). Sheet: input | teacher | mouth mask |
teacher with the mouth kept | truth. argv: npz, A, THRESHOLD, GROW, sheet PNG."""
import sys
import numpy as np, torch
from PIL import Image
from latentroom.engine.direction import Direction
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.directions.edit import edit_latents
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.toyfaces.regions import attribute_region
torch.set_num_threads(2)
d = np.load(sys.argv[1])
amount, threshold, grow = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
w0, w1 = torch.from_numpy(d["w0"]), torch.from_numpy(d["w1"])
g = resolve_generator("toyfaces", torch.device("cpu"))
smile = Direction.load("/work/main/plugins/directions/shipped/smile.json")
region = torch.from_numpy(attribute_region("beard", 128, sigma=0))[None, None]
mouth_region = torch.from_numpy(attribute_region("smile", 128, grow=grow, sigma=0))[None, None]
n = len(w0)
with torch.no_grad():
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1)
    y = g.synthesis(w1, noise_mode="const").clamp(-1, 1)
    moved = [g.synthesis(edit_latents(w0, smile, torch.full((n,), a)), noise_mode="const").clamp(-1, 1)
             for a in (amount, -amount)]
    change = torch.maximum(*[(m - x).abs() for m in moved]).amax(1, keepdim=True)
    mouth = (change > threshold).float() * mouth_region
    kept = x + region * (1 - mouth) * (y - x)
cols = [x, x + region * (y - x), mouth.expand(-1, 3, -1, -1) * 2 - 1, kept, torch.from_numpy(d["truth"])]
sheet = np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)
Image.fromarray(sheet).save(sys.argv[5])
