"""The beard presets' fine detail, magnified: each output less its 5x5 box mean, x10 about
mid-grey, lower face at 8x nearest, for three renders without a beard (seed 77), one
preset per column. The plain flattening head's 2-pixel dot grid shows as a checkerboard.
argv: out.png preset-dir... From the environment (added in session 39; the defaults as
it ran): CROP, "top,left" of the 48x64 crop (the lower face; "24,32" takes the side of
the head for hair_length)."""
import json, os, sys
import numpy as np
from PIL import Image
from scipy.ndimage import uniform_filter
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import render, sample_params
params = sample_params(77, 400)
x = render(params, 128)[params["beard"] == 0][:8]
top, left = (int(v) for v in os.environ.get("CROP", "72,32").split(","))
columns = []
for preset in sys.argv[2:]:
    default = json.load(open(f"{preset}/preset.json"))["strength"]["default"]
    y = preset_edit(open(f"{preset}/model.onnx", "rb").read())(x, default)
    tiles = []
    for i in (0, 1, 5):
        f = y[i].astype(float).mean(-1)
        detail = np.clip((f - uniform_filter(f, 5))[top:top + 48, left:left + 64] * 10 + 128, 0, 255).astype(np.uint8)
        tiles.append(np.asarray(Image.fromarray(detail).resize((64 * 5, 48 * 5), Image.NEAREST)))
    columns.append(np.concatenate(tiles, 0))
Image.fromarray(np.concatenate(columns, 1)).save(sys.argv[1])
