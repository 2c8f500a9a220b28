"""How solid is a hair_length preset's new hair? Held-out renders (seed 91,000), the truth at
the first preset's recorded teacher amount for its default. Per face, over the pixels the
truth changes by more than 24 levels (the new hair beside the face): the share of the
truth's change the preset makes (its change projected on the truth's, over the truth's
squared), and the mean absolute difference of the two changes. Medians over all faces and
over old ones (age > 0.6: grey and white hair). argv: count preset-dir..."""
import json, sys
import numpy as np
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
count, presets = int(sys.argv[1]), sys.argv[2:]
params = sample_params(91000, count)
before = render(params, 128).astype(np.float32)
first = json.load(open(f"{presets[0]}/preset.json"))
amount = first["x-distill"]["latent_pairs"]["teacher_amounts"][str(first["strength"]["default"])]
true_change = render(edit(params, "hair_length", amount), 128).astype(np.float32) - before
new_hair = np.abs(true_change).max(-1) > 24
faces = np.flatnonzero(new_hair.reshape(count, -1).sum(1) >= 20)
old = params["age"][faces] > 0.6
for preset in presets:
    manifest = json.load(open(f"{preset}/preset.json"))
    student = preset_edit(open(f"{preset}/model.onnx", "rb").read())
    x = before.astype(np.uint8)
    out = np.concatenate([student(x[i:i + 50], manifest["strength"]["default"]) for i in range(0, count, 50)])
    change = out.astype(np.float32) - before
    share, error = [], []
    for i in faces:
        m = new_hair[i]
        t, c = true_change[i][m], change[i][m]
        share.append((c * t).sum() / (t * t).sum())
        error.append(np.abs(c - t).mean())
    share, error = np.array(share), np.array(error)
    print(f"{preset}: share of the truth's change over the new hair median {np.median(share):.3f} (old faces {np.median(share[old]):.3f}); "
          f"error {np.median(error):.1f} levels (old {np.median(error[old]):.1f}); faces {len(faces)}, old {old.sum()}", flush=True)
