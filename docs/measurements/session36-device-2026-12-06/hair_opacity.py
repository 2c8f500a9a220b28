"""How much of the true edit's change the shipped hair_length delivers where the truth's
new hair lies (pixels the true edit moves by more than 40 levels), on 400 held-out
renders at the default strength (truth amount 0.2305, the manifest's): per pixel,
alpha = <out - x, truth - x> / |truth - x|^2, and what is off that direction; split at
row 110 (the shirt) and by hair colour. argv: [preset-dir] (presets/hair_length)."""
import sys
import numpy as np
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

params = sample_params(60000, 400)
x = render(params, 128).astype(float)
truth = render(edit(params, "hair_length", 0.2305), 128).astype(float)
preset = sys.argv[1] if len(sys.argv) > 1 else "presets/hair_length"
out = preset_edit(open(f"{preset}/model.onnx", "rb").read())(x.astype(np.uint8), 8).astype(float)
change = truth - x
size2 = (change ** 2).sum(-1)
alpha = ((out - x) * change).sum(-1) / np.maximum(size2, 1)
off = np.sqrt(((out - (x + alpha[..., None] * change)) ** 2).sum(-1))
rows = np.arange(128)[None, :, None]
colour = np.broadcast_to(params["hair_color"][:, None, None], alpha.shape)
for name, band in (("shirt (row >= 110)", rows >= 110), ("above it", rows < 110)):
    where = (size2 > 40 ** 2) & band
    print(f"{name}: {where.sum()} px, median alpha {np.median(alpha[where]):.2f}, median off the change "
          f"{np.median(off[where]):.1f} of a median change {np.median(np.sqrt(size2[where])):.1f} levels")
    for low, high in ((0, 0.3), (0.3, 0.6), (0.6, 0.85), (0.85, 1.01)):
        picked = where & (colour >= low) & (colour < high)
        print(f"  hair colour {low}-{high}: median alpha {np.median(alpha[picked]):.2f} ({picked.sum()} px)")
ginger = (size2 > 40 ** 2) & (rows >= 110) & (colour >= 0.85)
print("hair colour 0.85-1 over the shirt, mean RGB: truth", truth[ginger].mean(0).round(), "preset",
      out[ginger].mean(0).round(), "input", x[ginger].mean(0).round())
