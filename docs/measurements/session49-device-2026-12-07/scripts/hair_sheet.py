"""hair_length presets side by side, each at its default, each beside the truth matched
to its recorded teacher amount (every face moved by the one clipped amount with that
mean, as evaluation drew it before session 49). Rows: COUNT old faces with short hair
(age > 0.6, hair_length < 0.4) then COUNT at random, held-out renders of seed 91,000,
2x. argv: out.png count preset-dir..."""
import json, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit
out, count, folders = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
params = sample_params(91000, 40 * count)
old = np.flatnonzero((params["age"] > 0.6) & (params["hair_length"] < 0.4))[:count]
rest = np.setdiff1d(np.arange(len(params["age"])), old)[:count]
faces = {k: v[np.concatenate([old, rest])] for k, v in params.items()}
x = render(faces, 128)
columns = [x]
for folder in folders:
    manifest = json.load(open(f"{folder}/preset.json"))
    default = manifest["strength"]["default"]
    amount = manifest["x-distill"]["latent_pairs"]["teacher_amounts"][f"{default:g}"]
    columns.append(preset_edit(open(f"{folder}/model.onnx", "rb").read())(x, default))
    columns.append(render(matched_truth_edit(faces, "hair_length", amount), 128))
    print(f"{folder}: default {default:g}, truth amount {amount:.3f}")
tiles = np.stack(columns, 1)
n, k, h, w, _ = tiles.shape
sheet = tiles.transpose(0, 2, 1, 3, 4).reshape(n * h, k * w, 3)
Image.fromarray(sheet).resize((k * w * 2, n * h * 2), Image.NEAREST).save(out, quality=92)
