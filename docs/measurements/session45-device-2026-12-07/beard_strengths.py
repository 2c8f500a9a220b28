"""The shipped beard at less than its default: does its student draw a cleaner beard
where its teacher, nearer the truth's strength t, draws one? Renders lacking a beard
(seed 91,000, as more_faces.py picks them), lower face at 2x per row:
render | preset at 0.75 t, 1 t, 1.25 t, 1.5 t (the default) | truth. argv: out.png count"""
import json, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
out, count = sys.argv[1], int(sys.argv[2])
params = sample_params(91000, 4 * count)
x, truth = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(x)) if np.abs(x[i].astype(int) - truth[i].astype(int)).mean() > 2][:count]
manifest = json.load(open("presets/beard/preset.json"))
t = manifest["x-distill"]["latent_pairs"]["truth_strength"]
student = preset_edit(open("presets/beard/model.onnx", "rb").read())
cols = [x[lacking]] + [student(x[lacking], k * t) for k in (0.75, 1.0, 1.25, 1.5)] + [truth[lacking]]
sheet = Image.fromarray(np.concatenate([np.concatenate([c[i][56:128] for c in cols], 1) for i in range(len(lacking))], 0))
sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(out)
print(f"t = {t:.3f}; faces {lacking}")
