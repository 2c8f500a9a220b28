"""Does a preset draw less of its teacher's change on a render than on the generator's
own drawing of the same face? On held-out renders (seed 60000, RENDERS of them, 200 by
default; for beard and glasses only those that lack the attribute) read by the encoder
(w), the teacher's change on the generator's drawing, G(w + s d) - G(w) in the preset's
region at its default strength s (what a student of generator samples trains on); the
preset's share of that change, along it, where it moves a pixel by more than 40 levels
(all such pixels, and those above row 110), when it is given the render and when it is
given G(w). Needs the region as `scripts/author_presets.sh` makes it. argv: preset-dir
direction.json region.png"""
import json, os, sys
from pathlib import Path
import numpy as np, torch
from latentroom.engine.plugins import get_inverter
from latentroom.plugins.directions.edit import edit_latents
from latentroom.plugins.inverters.common import synthesize
from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, preset_edit, to_pixels, truth_setup
from latentroom.plugins.toyfaces.renderer import render, sample_params

torch.set_num_threads(2)
preset, direction_path, region_path = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
manifest = json.loads((preset / "preset.json").read_text())
attribute, strength = manifest["provenance"]["attribute"], float(manifest["strength"]["default"])
generator, _, direction, region = truth_setup("cpu", direction_path, region_path)
params = sample_params(60000, 4 * int(os.environ.get("RENDERS", "200")))
keep = np.arange(len(params["beard"])) if attribute not in ("beard", "glasses") else np.flatnonzero(params[attribute] == 0)
x = render({k: v[keep] for k, v in params.items()}, 128)[:int(os.environ.get("RENDERS", "200"))]
path = GeneratorPath(generator, get_inverter("encoder").value(generator, generator.device))
drawn, change = [], []
with torch.no_grad():
    for ws, noise, recon in path._inverted(x):
        edited = synthesize(generator, edit_latents(ws, direction, torch.full((len(ws),), strength)), noise)
        drawn.append(to_pixels(recon.numpy()))
        change.append(((edited.float().clamp(-1, 1) - recon) * region[None, None]).permute(0, 2, 3, 1).numpy() * 127.5)
drawn, change = np.concatenate(drawn), np.concatenate(change)
run = preset_edit((preset / "model.onnx").read_bytes())
size2 = (change ** 2).sum(-1)
moved = size2 > 40 ** 2
upper = moved & (np.arange(128)[None, :, None] < 110)
print(f"{preset} ({attribute} at {strength}, {len(x)} renders): the preset's share of its teacher's change")
for name, image in (("render", x), ("generator's drawing", drawn)):
    share = ((run(image, strength).astype(float) - image) * change).sum(-1) / np.maximum(size2, 1)
    print(f"  given the {name}: median {np.median(share[moved]):.2f} ({moved.sum()} px), above row 110 {np.median(share[upper]):.2f}")
