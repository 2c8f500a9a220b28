"""hair_length as latent pairs would teach it: renders and their true edit (+/-0.35 of the
0-1 scale) read by the hybrid (lr 0.06, its default), the generator's images of both
readings, the edited side kept in the shipped preset's region, beside the truth and the
shipped preset (direction teacher) at its default strength 8."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.export import run_onnx, session
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
n, sign = int(sys.argv[1]), float(sys.argv[2])
params = sample_params(60000, 64)
p = {k: v[:n] for k, v in params.items()}
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device)
region = torch.from_numpy(np.asarray(Image.open("region-hair.png").convert("L"), np.float32) / 255)[None, None]
truth = render(edit(p, "hair_length", sign * 0.35), 128)
images = torch.from_numpy(to_model(np.concatenate([render(p, 128), truth])))
t = time.time(); w = hyb.invert(images); print("read", time.time() - t, flush=True)
w0, w1 = w[:n], w[n:]
sess = session(open("/work/main/presets/hair_length/model.onnx", "rb").read())
with torch.no_grad():
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1)
    y = g.synthesis(w1, noise_mode="const").clamp(-1, 1)
    taught = x + region * (y - x)
shipped = torch.from_numpy(run_onnx(sess, x.numpy(), np.full(n, 8.0 * sign, np.float32)))
cols = [images[:n], x, y, taught, images[n:], shipped]
sheet = np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)
Image.fromarray(sheet).save(f"hair-pairs-preview{'-down' if sign < 0 else ''}.png")
