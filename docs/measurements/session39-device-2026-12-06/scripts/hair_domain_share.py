"""Is hair_length's see-through new hair the input's domain? On held-out renders (seed
60000, RENDERS of them, 200 by default) read by the encoder, the teacher's change on
the generator's drawing of each face, G(w + 8 d) - G(w) in the bundled row's region
(what the student trains on); the preset's share of that change, along it, where it
moves a pixel by more than 40 levels (all, and beside the face: rows above 110), when
the preset is given the render and when it is given the generator's drawing G(w) of
the same face; and the teacher's change as a share of the truth's (amount 0.2305)
beside the face. Needs the region: `latentroom toyfaces region hair_length --share=0.2
--feather=0 -o /tmp/hair-region.png`. argv: preset-dir region.png"""
import os, sys
from pathlib import Path
import numpy as np, torch
from latentroom.engine.plugins import get_inverter
from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, preset_edit, truth_setup, to_pixels
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from latentroom.plugins.directions.edit import edit_latents
from latentroom.plugins.inverters.common import synthesize
torch.set_num_threads(2)
preset, region_path = sys.argv[1], Path(sys.argv[2])
generator, _, direction, region = truth_setup("cpu", Path("plugins/directions/shipped/hair_length.json"), region_path)
params = sample_params(60000, int(os.environ.get("RENDERS", "200")))
x = render(params, 128)
path = GeneratorPath(generator, get_inverter("encoder").value(generator, generator.device))
xg, tc = [], []
with torch.no_grad():
    for ws, noise, recon in path._inverted(x):
        edited = synthesize(generator, edit_latents(ws, direction, torch.full((len(ws),), 8.0)), noise).float().clamp(-1, 1)
        xg.append(to_pixels(recon.numpy()))
        tc.append(((edited - recon) * region[None, None]).permute(0, 2, 3, 1).numpy() * 127.5)
xg, tc = np.concatenate(xg), np.concatenate(tc)
run = preset_edit(Path(preset, "model.onnx").read_bytes())
size2 = (tc ** 2).sum(-1)
moved = size2 > 40 ** 2
beside = moved & (np.arange(128)[None, :, None] < 110)
for name, inp in (("render", x), ("generator's drawing", xg)):
    out = run(inp, 8.0).astype(float)
    share = ((out - inp) * tc).sum(-1) / np.maximum(size2, 1)
    print(f"{name}: student's share of the teacher's change where it moves > 40 levels: median {np.median(share[moved]):.2f}, beside the face {np.median(share[beside]):.2f}")
truth = render(edit(params, "hair_length", 0.2305), 128).astype(float) - x
t2 = (truth ** 2).sum(-1); tb = (t2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
print(f"teacher change vs truth change beside the face: median {np.median(((tc * truth).sum(-1) / np.maximum(t2, 1))[tb]):.2f}")
