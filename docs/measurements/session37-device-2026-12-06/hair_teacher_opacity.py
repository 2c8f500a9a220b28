"""How opaque hair_length's teacher draws the new hair on renders, against the preset:
session 36's hair_opacity.py measure (the share of the true change each pixel makes,
where the true edit moves a pixel by more than 40 levels, beside the face: rows above
110) on the same 400 renders (seed 60000, truth amount 0.2305), for the generator path
through an inverter (the shipped direction at the default 8, its change blended into
the bundled row's region, as `toyfaces evaluate` measures it) and for the preset.
Needs the region: `latentroom toyfaces region hair_length --share=0.2 --feather=0 -o
/tmp/hair-region.png`. argv: preset-dir region.png inverter (encoder). DEVICE (added in
session 38 to run the hybrid on the device; cpu as it ran here) is where the generator
and the inverter run; RENDERS (also session 38's) how many of the 400 renders to take."""
import os
import sys
from pathlib import Path
import numpy as np
from latentroom.engine.plugins import get_inverter
from latentroom.plugins.toyfaces.evaluate_preset import generator_path_edit, preset_edit, truth_setup
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

preset, region_path, inverter = sys.argv[1], Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "encoder"
generator, _, direction, region = truth_setup(os.environ.get("DEVICE", "cpu"), Path("plugins/directions/shipped/hair_length.json"), region_path)
params = sample_params(60000, int(os.environ.get("RENDERS", "400")))
x = render(params, 128)
truth = render(edit(params, "hair_length", 0.2305), 128).astype(float)
edits = {"generator path (" + inverter + ")": generator_path_edit(generator, get_inverter(inverter).value(generator, generator.device),
                                                                 direction, region=region),
         "preset": preset_edit(Path(preset, "model.onnx").read_bytes())}
change = truth - x
size2 = (change ** 2).sum(-1)
beside = (size2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
colour = np.broadcast_to(params["hair_color"][:, None, None], size2.shape)
for name, run in edits.items():
    out = run(x, 8.0).astype(float)
    alpha = ((out - x) * change).sum(-1) / np.maximum(size2, 1)
    by_colour = ", ".join(f"{low}-{high}: {np.median(alpha[beside & (colour >= low) & (colour < high)]):.2f}"
                          for low, high in ((0, 0.3), (0.3, 0.6), (0.6, 0.85), (0.85, 1.01)))
    print(f"{name}: beside the face ({beside.sum()} px) median alpha {np.median(alpha[beside]):.2f}; by hair colour {by_colour}")
