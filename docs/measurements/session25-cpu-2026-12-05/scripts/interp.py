"""The latent pairs' teacher at strengths below the truth's: G(before + a (side - before)),
kept in the glasses region, for faces lacking glasses read by the hybrid at lr 0.02,
beside the shipped preset at the same strengths on G(before)."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.export import run_onnx, session
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
attr, n, lr, t_truth = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
params = sample_params(60000, 64)
idx = np.flatnonzero(params[attr] < 0.5)[:n]
p = {k: v[idx] for k, v in params.items()}
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device, lr=lr)
region = torch.from_numpy(attribute_region(attr, 128))[None, None]
images = torch.from_numpy(to_model(np.concatenate([render(p, 128), render(edit(p, attr, 1.0), 128)])))
t = time.time(); w = hyb.invert(images); print("read", time.time() - t, flush=True)
w0, w1 = w[:n], w[n:]
amounts = [0.25, 0.5, 0.75, 0.9, 1.0]
sess = session(open(f"/work/main/presets/{attr}/model.onnx", "rb").read())
rows = []
with torch.no_grad():
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1)
    teach = [x + region * (g.synthesis(w0 + a * (w1 - w0), noise_mode="const").clamp(-1, 1) - x) for a in amounts]
stud = [torch.from_numpy(run_onnx(sess, x.numpy(), np.full(n, a * t_truth, np.float32))) for a in amounts]
np.savez(f"interp-{attr}.npz", x=x.numpy(), w0=w0.numpy(), w1=w1.numpy(), truth=images[n:].numpy())
cols = [x] + teach + stud + [images[n:]]
sheet = np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)
Image.fromarray(sheet).save(f"interp-{attr}.png")
