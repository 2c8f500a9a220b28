"""Encoder-read glasses pairs for faces lacking glasses, the edit drawn at eight amounts
a = k/8 of each face's own offset: y_a = x + region * (G(w0 + a (w1 - w0)) - x)."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
attr, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
region = torch.from_numpy(attribute_region(attr, 128))[None, None]
params = sample_params(seed, 3 * n)
idx = np.flatnonzero(params[attr] < 0.5)[:n]
xs, ys = [], []
t = time.time()
for start in range(0, n, 64):
    p = {k: v[idx[start:start + 64]] for k, v in params.items()}
    before = torch.from_numpy(to_model(render(p, 128)))
    truth = torch.from_numpy(to_model(render(edit(p, attr, 1.0), 128)))
    with torch.no_grad():
        w0, w1 = enc.invert(before), enc.invert(truth)
        x = g.synthesis(w0, noise_mode="const").clamp(-1, 1)
        ya = [x + region * (g.synthesis(w0 + k / 8 * (w1 - w0), noise_mode="const").clamp(-1, 1) - x)
              for k in range(1, 9)]
    xs.append(x.half()); ys.append(torch.stack(ya, 1).half())
    print(start, f"{time.time()-t:.0f}s", flush=True)
x, y = torch.cat(xs), torch.cat(ys)
torch.save({"x": x, "y": y}, f"bank-{attr}-interp.pt")
cols = [x[:6]] + [y[:6, k] for k in range(8)]
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(c.float().numpy())), 0) for c in cols], 1)).save(f"bank-{attr}-interp.png")
