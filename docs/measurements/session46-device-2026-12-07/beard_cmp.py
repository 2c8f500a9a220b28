"""Held-out renders lacking a beard (HAIR: only those with hair_length above it), lower
face at 2x per row: render | old preset at its default | old at the truth's strength t |
new preset at its default | truth. argv: old_dir new_dir out.png count seed"""
import json, os, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
old_dir, new_dir, out, count, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
params = sample_params(seed, 12 * count)
x, truth = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(x)) if np.abs(x[i].astype(int) - truth[i].astype(int)).mean() > 2 and params["hair_length"][i] > float(os.environ.get("HAIR", "-1"))][:count]
old_m = json.load(open(f"{old_dir}/preset.json")); new_m = json.load(open(f"{new_dir}/preset.json"))
t = old_m["x-distill"]["latent_pairs"]["truth_strength"]
old = preset_edit(open(f"{old_dir}/model.onnx", "rb").read())
new = preset_edit(open(f"{new_dir}/model.onnx", "rb").read())
xs = x[lacking]
cols = [xs, old(xs, old_m["strength"]["default"]), old(xs, t), new(xs, new_m["strength"]["default"]), truth[lacking]]
sheet = Image.fromarray(np.concatenate([np.concatenate([c[i][56:128] for c in cols], 1) for i in range(len(lacking))], 0))
sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(out)
print(f"t={t:.3f} new default {new_m['strength']['default']} faces {lacking}", [params['hair_length'][i].round(2) for i in lacking])
