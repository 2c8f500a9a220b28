"""hair_length's latent path between a face's hybrid reading and its true edit's
(+0.35), kept in the share-0.2 region: 0.25, 0.5, 0.75, 1 of the offset, and the truth."""
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
n = 4
params = sample_params(60000, 64)
p = {k: v[6:6 + n] for k, v in params.items()}
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device)
region = torch.from_numpy(np.asarray(Image.open("region-hair.png").convert("L"), np.float32) / 255)[None, None]
images = torch.from_numpy(to_model(np.concatenate([render(p, 128), render(edit(p, "hair_length", 0.35), 128)])))
w = hyb.invert(images)
w0, w1 = w[:n], w[n:]
with torch.no_grad():
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1)
    path = [x + region * (g.synthesis(w0 + a * (w1 - w0), noise_mode="const").clamp(-1, 1) - x) for a in (0.25, 0.5, 0.75, 1.0)]
cols = [x] + path + [images[n:]]
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)).save("hair-path.png")
