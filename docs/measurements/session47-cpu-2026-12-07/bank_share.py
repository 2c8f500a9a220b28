"""A hair_length preset on matte_bank_eval.py's measure (session 40): 200
held-out renders (seed 60000), the truth at 0.2305, the median share of the true change
beside the face (and its 10th percentile), and the mean change outside; the preset at the
strength whose recorded teacher amount is 0.2305 (the teacher amounts scale with the
strength), the truth drawn as that script draws it. argv: preset-dir"""
import json, sys
import numpy as np
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
folder = sys.argv[1]
manifest = json.load(open(f"{folder}/preset.json"))
default = manifest["strength"]["default"]
strength = default * 0.2305 / manifest["x-distill"]["latent_pairs"]["teacher_amounts"][str(default)]
params = sample_params(60000, 200)
x = render(params, 128)
truth = render(edit(params, "hair_length", 0.2305), 128).astype(float) - x
t2 = (truth ** 2).sum(-1)
beside = (t2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
outside = t2 < 1
student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
out = np.concatenate([student(x[i:i + 50], strength) for i in range(0, 200, 50)]).astype(float)
alpha = ((out - x) * truth).sum(-1) / np.maximum(t2, 1)
print(f"{folder} at {strength:.3f}: of the true change beside the face median {np.median(alpha[beside]):.3f}, "
      f"10th pct {np.percentile(alpha[beside], 10):.3f}; outside mean change {np.abs(out - x)[outside].mean():.2f}")
