"""Read the true beard through the hybrid (lr 0.06, as the bundled pairs) with the pixel
loss weighted 1 + W on the beard region's pixels the true edit keeps (the lips, the neck):
does the generator then keep the input's mouth? argv: weight steps out.png"""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.inverters.projector import Projector
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
weight, steps, out = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
params = sample_params(60000, 64)
idx = np.flatnonzero(params["beard"] < 0.5)[:6]
p = {k: v[idx] for k, v in params.items()}
R, T = render(p, 128), render(edit(p, "beard", 1.0), 128)
region = attribute_region("beard", 128) > 0.5
kept = torch.from_numpy(((np.abs(T.astype(int) - R).max(-1) <= 2) & region).astype(np.float32))[:, None]
W = 1 + weight * kept
base_loss = Projector._loss
current = {}
def weighted(self, synth, target, feats):
    w = current.get("w")
    if w is None:
        return base_loss(self, synth, target, feats)
    pix = ((synth - target) ** 2 * w).flatten(1).mean(1) / w.flatten(1).mean(1)
    return self.config.pixel_weight * pix + base_loss(self, synth, target, feats) - self.config.pixel_weight * (synth - target).pow(2).flatten(1).mean(1)
Projector._loss = weighted
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device, lr=0.06, steps=steps)
t = time.time()
w0 = hyb.invert(torch.from_numpy(to_model(R)))
current["w"] = W
w1 = hyb.invert(torch.from_numpy(to_model(T)))
print("read", f"{time.time() - t:.0f}s", flush=True)
region_t = torch.from_numpy(attribute_region("beard", 128))[None, None]
with torch.no_grad():
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1)
    y = x + region_t * (g.synthesis(w1, noise_mode="const").clamp(-1, 1) - x)
X, Y = to_pixels(x.numpy()), to_pixels(y.numpy())
lips = kept.numpy()[:, 0] > 0
print("teacher vs truth on the kept region pixels (levels):", [round(float(np.abs(Y[i].astype(int) - T[i])[lips[i]].mean()), 1) for i in range(6)])
sheet = np.concatenate([np.concatenate([R[i], X[i], Y[i], T[i]], 1)[50:] for i in range(6)], 0)
Image.fromarray(sheet).resize((sheet.shape[1] * 3 // 2, sheet.shape[0] * 3 // 2), Image.LANCZOS).save(out)
