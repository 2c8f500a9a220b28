"""Read each true edit starting from the unedited face's reading (plus the encoder's
offset) instead of from scratch: does the pair's change inside the region carry less
that is not the edit?"""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, edit, render, sample_params
torch.set_num_threads(2)
attr, n, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device, lr=lr)
p = sample_params(EVAL_SEED + 1, 300)
lack = np.flatnonzero(attribute_matrix(p)[:, list(ATTRIBUTE_NAMES).index(attr)] < 0.5)[:n]
p = {k: v[lack] for k, v in p.items()}
render0, truth = render(p, 128), render(edit(p, attr, 1.0), 128)
x0, x1 = torch.from_numpy(to_model(render0)), torch.from_numpy(to_model(truth))
t = time.time()
w0 = hyb.invert(x0); w1 = hyb.invert(x1)
with torch.no_grad():
    e0, e1 = hyb.encoder.invert(x0), hyb.encoder.invert(x1)
w1j = hyb.projector.invert(x1, init=w0 + (e1 - e0))
print(f"read in {time.time()-t:.0f}s")
syn = lambda w: to_pixels(g.synthesis(w, noise_mode="const").clamp(-1, 1).detach().numpy()).astype(float)
G0, G1, G1j = syn(w0), syn(w1), syn(w1j)
region = attribute_region(attr, 128)[None, :, :, None] > 0.5
edited = np.abs(truth.astype(int) - render0).max(-1, keepdims=True) > 4
still = region & ~edited
for name, G in (("independent", G1), ("joint", G1j)):
    stray = (np.abs(G - G0) * still).sum() / (still.sum() * 3)
    err = (((G - truth) ** 2) * (region & edited)).sum() / ((region & edited).sum() * 3)
    print(f"{name}: change where the truth changes nothing (region) {stray:.2f} levels; "
          f"frames' psnr to truth {10 * np.log10(255**2 / err):.2f} dB; latent offset norm {((w1 if name == 'independent' else w1j) - w0).norm(dim=(1, 2)).mean():.2f}")
cols = (render0, G0, G1, G1j, truth)
Image.fromarray(np.concatenate([np.concatenate(list(c[:6].astype(np.uint8)), 0) for c in cols], 1)).save(f"joint-read-{attr}.png")
