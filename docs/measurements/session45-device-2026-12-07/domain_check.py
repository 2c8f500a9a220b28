"""Are hair_length's grey streaks a matter of the input's domain? Beardless old faces
with short hair that the student trained on (renderer seed 70,000, first 2,250), each
read through the hybrid as the find reads it. Sheet per face at 2x:
render | student(render) | G(before) | student(G(before)) | teacher at 1.5 t.
Prints PSNR over the teacher's edited pixels of student(G(before)) to the teacher, and of
student(render) to render + the teacher's change (a rough target for the render).
argv: count region.png preset-dir out.png"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

count, region_file, preset, out = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
region = load_region(region_file, int(generator.size))[0].to(torch.float32)[None, None]
manifest = json.loads((preset / "preset.json").read_text())
strength = manifest["strength"]["default"]
times_t = strength / manifest["x-distill"]["latent_pairs"]["truth_strength"]
student = preset_edit((preset / "model.onnx").read_bytes())
params = {k: v[:2250] for k, v in sample_params(70000, 2500).items()}
chosen = np.flatnonzero((params["hair_length"] < 0.5) & (params["age"] > 0.7) & (params["beard"] == 0))[:count]
faces = {k: v[chosen] for k, v in params.items()}
renders = render(faces, 128)
read = lambda pixels: hybrid.invert(torch.from_numpy(to_model(pixels)))
before, up = read(renders), read(render(edit(faces, "hair_length", 0.35), 128))
with torch.no_grad():
    drawn = generator.synthesis(before, noise_mode="const").float().clamp(-1, 1)
    moved = generator.synthesis(before + times_t * (up - before), noise_mode="const").float().clamp(-1, 1)
change = region * (moved - drawn)
g = to_model(to_pixels(drawn.numpy()))
teacher = to_model(to_pixels((drawn + change).numpy()))
r = to_model(renders)
r_target = np.clip(r + change.numpy(), -1, 1)
on_g, on_r = to_model(student(to_pixels(g), strength)), to_model(student(renders, strength))
print(f"faces {chosen.tolist()} ages {np.round(faces['age'], 2).tolist()} colours {np.round(faces['hair_color'], 2).tolist()}")
for i in range(len(chosen)):
    s = slice(i, i + 1)
    print(f"face {chosen[i]}: on G {psnr_where_edited(g[s], teacher[s], on_g[s]):.1f} dB, "
          f"on render {psnr_where_edited(r[s], r_target[s], on_r[s]):.1f} dB", flush=True)
columns = [renders, to_pixels(on_r), to_pixels(g), to_pixels(on_g), to_pixels(teacher)]
sheet = Image.fromarray(np.concatenate([np.concatenate([c[i] for c in columns], 1) for i in range(len(chosen))], 0))
sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(out)
