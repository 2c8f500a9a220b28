"""Session 46's hair_share.py against the truth as evaluation draws it. That script drew
every face's truth at the recorded teacher amount (0.268 for the shipped default), but
the amount is the judge's mean change over faces some of which the renderer clips at
the long end, so evaluation (truth_params: matched_truth_edit) moves every face by the
one amount whose clipped mean change is the recorded one (0.35 on these faces). Here
the truth is matched the same way over the held-out renders (seed 91,000). Per face,
over the pixels the truth changes by more than 24 levels (the new hair beside the face):
the share of the truth's change the preset makes and the mean absolute difference of
the two changes; medians over all faces and old ones (age > 0.6). Writes SHEET (when
set): eight old faces with short hair, as hair_cmp.py picks them, render | each preset
| the matched truth, 2x. argv: count preset-dir..."""
import json, os, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit
count, presets = int(sys.argv[1]), sys.argv[2:]
params = sample_params(91000, count)
before = render(params, 128).astype(np.float32)
first = json.load(open(f"{presets[0]}/preset.json"))
recorded = first["x-distill"]["latent_pairs"]["teacher_amounts"][str(first["strength"]["default"])]
edited = matched_truth_edit(params, "hair_length", recorded)
amount = float((edited["hair_length"] - params["hair_length"]).max())
print(f"recorded teacher amount {recorded:.3f}; every face moved by {amount:.3f} (its clipped mean {recorded:.3f})")
truth = render(edited, 128).astype(np.float32)
true_change = truth - before
new_hair = np.abs(true_change).max(-1) > 24
faces = np.flatnonzero(new_hair.reshape(count, -1).sum(1) >= 20)
old = params["age"][faces] > 0.6
outputs = []
for preset in presets:
    manifest = json.load(open(f"{preset}/preset.json"))
    student = preset_edit(open(f"{preset}/model.onnx", "rb").read())
    x = before.astype(np.uint8)
    outputs.append(np.concatenate([student(x[i:i + 50], manifest["strength"]["default"]) for i in range(0, count, 50)]))
    change = outputs[-1].astype(np.float32) - before
    share = np.array([(change[i][new_hair[i]] * true_change[i][new_hair[i]]).sum() / (true_change[i][new_hair[i]] ** 2).sum()
                      for i in faces])
    error = np.array([np.abs(change[i][new_hair[i]] - true_change[i][new_hair[i]]).mean() for i in faces])
    print(f"{preset}: share of the truth's change over the new hair median {np.median(share):.3f} (old faces {np.median(share[old]):.3f}); "
          f"error {np.median(error):.1f} levels (old {np.median(error[old]):.1f}); faces {len(faces)}, old {old.sum()}", flush=True)
if os.environ.get("SHEET"):
    chosen = np.flatnonzero((params["age"] > 0.6) & (params["hair_length"] < 0.4))[:8]
    columns = [before.astype(np.uint8)] + outputs + [truth.astype(np.uint8)]
    sheet = Image.fromarray(np.concatenate([np.concatenate([c[i] for c in columns], 1) for i in chosen], 0))
    sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(os.environ["SHEET"])
    print("sheet faces", chosen.tolist())
