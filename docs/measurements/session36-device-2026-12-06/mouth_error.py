"""The mouth under a beard preset against the renderer's truth: on held-out renders that
lack a beard, each preset at its default strength; the mean absolute error (levels of
255) inside the mouth's box (keep-mouth's box round the renderer's own mouth corners)
and in the rest of the beard region, for each preset. argv: region.png count preset-dir..."""
import json, sys
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.mouth import mouth_boxes
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, landmarks, render, sample_params

region_path, count, presets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
params = sample_params(2026, 3 * count)
lacking = np.flatnonzero(params["beard"] == 0)[:count]
params = {k: v[lacking] for k, v in params.items()}
before, truth = render(params, 128), render(edit(params, "beard", 1.0), 128).astype(float)
boxes = mouth_boxes(torch.from_numpy(landmarks(params, 128)[:, 3:5]).float(), 128).numpy()[..., None]
region = (np.asarray(Image.open(region_path).convert("L"), float) / 255 > 0.5)[None, ..., None]
rest = region & ~boxes
print(f"{len(lacking)} renders without a beard; levels of 255, mean absolute error to the truth")
for preset in presets:
    default = json.load(open(f"{preset}/preset.json"))["strength"]["default"]
    out = preset_edit(open(f"{preset}/model.onnx", "rb").read())(before, default).astype(float)
    error = np.abs(out - truth)
    in_box = (error * boxes).sum((1, 2, 3)) / (boxes.sum((1, 2, 3)) * 3)
    in_rest = (error * rest).sum((1, 2, 3)) / (rest.sum((1, 2, 3)) * 3)
    print(f"{preset}: mouth box {in_box.mean():.2f} (median {np.median(in_box):.2f}), rest of the region "
          f"{in_rest.mean():.2f}")
