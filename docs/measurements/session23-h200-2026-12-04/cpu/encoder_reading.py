import numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params, attribute_matrix
g = resolve_generator("toyfaces", torch.device("cpu")); judge = load_network("cpu", arch="judge")
col = list(ATTRIBUTE_NAMES).index("glasses")
params = sample_params(EVAL_SEED, 100)
faces = [3, 4, 25, 51, 67, 86]
chosen = {k: v[faces] for k, v in params.items()}
print("width", attribute_matrix(chosen)[:, list(ATTRIBUTE_NAMES).index("face_width")].round(2), "tone", attribute_matrix(chosen)[:, list(ATTRIBUTE_NAMES).index("skin_tone")].round(2))
truth = render(edit(chosen, "glasses", 1.0), 128)
print("judge on truth", judge.predict(truth)[:, col].round(2))
enc = get_inverter("encoder").value(g, g.device)
with torch.no_grad():
    w = enc.invert(torch.from_numpy(to_model(truth)))
    img = g.synthesis(w, noise_mode="const").clamp(-1, 1)
px = ((img.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
print("judge on encoder redraw of truth", judge.predict(px)[:, col].round(2))
from PIL import Image; Image.fromarray(np.concatenate([np.concatenate(list(truth), 1), np.concatenate(list(px), 1)], 0)).save("encoder-reading.png")
