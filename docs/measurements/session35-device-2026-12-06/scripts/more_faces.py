"""More held-out renders than a sheet's six, through preset models side by side:
input | each preset at its default strength | the renderer's true edit (amount 1),
lower faces at 2x, for faces whose params lack the attribute (for positive strengths).
argv: out.png attribute seed count preset-dir... From the environment (added in session
37; the defaults as it ran): MIN_CHANGE, the mean change in levels that makes a face
one that lacks the attribute (2; glasses' thin rings need 0.3), and ROWS, "top,height"
of the crop (the lower face for beard, the whole face otherwise)."""
import json, os, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
out, attr, seed, count, presets = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
params = sample_params(seed, 4 * count)
before = render(params, 128)
truth = render(edit(params, attr, 1.0), 128)
lacking = [i for i in range(len(before)) if np.abs(before[i].astype(int) - truth[i].astype(int)).mean() > float(os.environ.get("MIN_CHANGE", "2"))][:count]
columns = [before[lacking]]
for preset in presets:
    default = json.load(open(f"{preset}/preset.json"))["strength"]["default"]
    columns.append(preset_edit(open(f"{preset}/model.onnx", "rb").read())(before[lacking], default))
columns.append(truth[lacking])
top, height = (int(v) for v in os.environ.get("ROWS", "60,68" if attr == "beard" else "0,128").split(","))
rows = [np.concatenate([c[i][top:top + height] for c in columns], 1) for i in range(len(lacking))]
grid = Image.fromarray(np.concatenate(rows, 0))
grid.resize((grid.width * 2, grid.height * 2), Image.LANCZOS).save(out)
