"""Beard presets against the truth on held-out renders lacking a beard (seed 91,000, as
more_faces.py picks them): per face, the mean absolute difference between the preset's
change and the truth's over the pixels the truth changes (> 8 levels), and the mean change
where the truth changes nothing. Medians over all faces and over long-haired ones
(hair_length > 0.7). argv: count name=dir[@strength]..."""
import json, sys
import numpy as np
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
count, specs = int(sys.argv[1]), sys.argv[2:]
params = sample_params(91000, 4 * count)
x, truth = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(x)) if np.abs(x[i].astype(int) - truth[i].astype(int)).mean() > 2][:count]
xs, ts = x[lacking].astype(np.float32), truth[lacking].astype(np.float32)
long_hair = params["hair_length"][lacking] > 0.7
true_change = ts - xs
changes = np.abs(true_change).max(-1) > 8
for spec in specs:
    name, rest = spec.split("=")
    folder, _, strength = rest.partition("@")
    manifest = json.load(open(f"{folder}/preset.json"))
    k = float(strength) if strength else manifest["strength"]["default"]
    student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
    out = np.concatenate([student(x[lacking][i:i + 50], k) for i in range(0, len(lacking), 50)]).astype(np.float32)
    diff = np.abs((out - xs) - true_change).mean(-1)
    moved = np.abs(out - xs).mean(-1)
    err = np.array([diff[i][changes[i]].mean() for i in range(len(xs))])
    spill = np.array([moved[i][~changes[i]].mean() for i in range(len(xs))])
    print(f"{name} at {k:.3f}: error where the truth changes median {np.median(err):.1f} (long hair {np.median(err[long_hair]):.1f}, "
          f"short {np.median(err[~long_hair]):.1f}); change where it does not {np.median(spill):.2f} "
          f"(long {np.median(spill[long_hair]):.2f}); faces {len(xs)}, long {long_hair.sum()}", flush=True)
