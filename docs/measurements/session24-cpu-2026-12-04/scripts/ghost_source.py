"""Where do the glasses preset's grainy doubled rings come from: the teacher's targets,
or the student meeting renders where it trained on the generator's own images?"""
import json, sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
attr = sys.argv[1] if len(sys.argv) > 1 else "glasses"
n = 6
g = resolve_generator("toyfaces", torch.device("cpu"))
manifest = json.load(open(f"/work/main/presets/{attr}/preset.json"))
strength = manifest["strength"]["default"]
params = sample_params(EVAL_SEED, n)
inputs = render(params, 128)
truth = render(edit(params, attr, 1.0), 128)
t = time.time()
inv = get_inverter("hybrid").value(g, g.device, lr=float(sys.argv[2]) if len(sys.argv) > 2 else 0.02)
w = inv.invert(torch.from_numpy(to_model(np.concatenate([inputs, truth]))))
with torch.no_grad():
    img = to_pixels(g.synthesis(w, noise_mode="const").clamp(-1, 1).numpy())
print(f"inverted in {time.time()-t:.0f}s", flush=True)
g0, g1 = img[:n], img[n:]
student = preset_edit(open(f"/work/main/presets/{attr}/model.onnx", "rb").read())
s_in = student(inputs, strength)
s_g0 = student(g0, strength)
rows = [inputs, s_in, g0, s_g0, g1, truth]
np.savez(f"ghost-{attr}.npz", inputs=inputs, s_in=s_in, g0=g0, s_g0=s_g0, g1=g1, truth=truth, w=w.numpy())
sheet = np.concatenate([np.concatenate(list(r), 0) for r in rows], 1)
Image.fromarray(sheet).save(f"ghost-{attr}.png")
print("strength", strength)
