"""hair_length presets on held-out renders of old faces (age above AGE, 0.6) with short hair
(hair_length below 0.4), seed 91,000, whole face at 2x per row: render | each preset at its
default | the truth at the recorded teacher amount of the first preset's default.
argv: out.png count preset-dir..."""
import json, os, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
out, count, presets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
params = sample_params(91000, 40 * count)
chosen = np.flatnonzero((params["age"] > float(os.environ.get("AGE", "0.6"))) & (params["hair_length"] < 0.4))[:count]
faces = {k: v[chosen] for k, v in params.items()}
before = render(faces, 128)
manifests = [json.load(open(f"{p}/preset.json")) for p in presets]
default = manifests[0]["strength"]["default"]
amount = manifests[0]["x-distill"]["latent_pairs"]["teacher_amounts"][str(default)]
columns = [before] + [preset_edit(open(f"{p}/model.onnx", "rb").read())(before, m["strength"]["default"])
                      for p, m in zip(presets, manifests)] + [render(edit(faces, "hair_length", amount), 128)]
grid = Image.fromarray(np.concatenate([np.concatenate([c[i] for c in columns], 1) for i in range(len(chosen))], 0))
grid.resize((grid.width * 2, grid.height * 2), Image.LANCZOS).save(out)
print(f"faces {chosen.tolist()}, truth amount {amount:.3f}")
