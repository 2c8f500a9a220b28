"""The bundled beard preset's see-through output, read back through an inverter and
redrawn by the generator: does the generator's prior turn the averaged edit into one
solid drawing? For the first six held-out renders the beard adds to: input | preset |
G(read(preset)) blended into the beard region, read by the encoder | the same read by
the hybrid (lr 0.06, 32 steps) | G(read(input)) blended the same way (the reading's
own change) | truth. argv: preset folder, region PNG, output PNG."""
import sys
import numpy as np, onnxruntime as ort, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.stylegan2.fast import FastSynthesis, FastConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
torch.set_num_threads(2)
preset, region_png, out_png = sys.argv[1:4]
p = sample_params(EVAL_SEED, 40)
bare = np.flatnonzero(p["beard"] < 0.5)[:6]
p = {k: v[bare] for k, v in p.items()}
x = to_model(render(p, 128)); truth = to_model(render(edit(p, "beard", 1.0), 128))
session = ort.InferenceSession(f"{preset}/model.onnx", providers=["CPUExecutionProvider"])
names = [i.name for i in session.get_inputs()]
edited = session.run(None, {names[0]: x, names[1]: np.full((len(x),), 1.569, np.float32)})[0]
g = resolve_generator("toyfaces", torch.device("cpu"))
fast = FastSynthesis(g, FastConfig(dtype=None, channels_last=True, modconv="input"))
region = np.asarray(Image.open(region_png).convert("L"), np.float32)[None, None] / 255.0
def redrawn(inverter, images):
    w = inverter.invert(torch.from_numpy(images)).detach()
    with torch.no_grad():
        y = fast._eager(w).clamp(-1, 1).numpy()
    return x + region * (y - x)
enc = get_inverter("encoder").value(g, g.device)
hyb = get_inverter("hybrid").value(g, g.device, lr=0.06)
cols = [x, edited, redrawn(enc, edited), redrawn(hyb, edited), redrawn(hyb, x), truth]
rows = [np.concatenate([to_pixels(c[j:j + 1])[0][52:124, 16:112] for c in cols], 1) for j in range(len(x))]
sheet = np.concatenate(rows, 0)
Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.NEAREST).save(out_png)
print("faces", bare.tolist())
