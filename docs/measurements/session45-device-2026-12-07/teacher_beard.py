"""Is the bundled beard's blur its teacher's or its student's? Held-out renders lacking a
beard (renderer seed 91,000, as more_faces.py picks them), each with its true beard
(the renderer's beard put on) read through the hybrid as beard's
pairs are read (lr 0.06); the pairs' teacher at the bundled default, 1.5 t (the latent
path), drawn by the generator and blended into REGION, beside PRESET run at its default
on the render. Lower face at 2x per row: render | G(before) | teacher | preset | truth.
argv: out.png count region.png preset-dir"""
import json, sys
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

out, count, region_file, preset = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
region = load_region(region_file, int(generator.size))[0].to(torch.float32)[None, None]
params = sample_params(91000, 4 * count)
before_px, truth = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(before_px)) if np.abs(before_px[i].astype(int) - truth[i].astype(int)).mean() > 2][:count]
faces = {k: v[lacking] for k, v in params.items()}
renders = render(faces, 128)
manifest = json.loads((preset / "preset.json").read_text())
default = manifest["strength"]["default"]
times_t = default / manifest["x-distill"]["latent_pairs"]["truth_strength"]
read = lambda pixels: hybrid.invert(torch.from_numpy(to_model(pixels)))
before, up = read(renders), read(render(edit(faces, "beard", 1.0), 128))
with torch.no_grad():
    drawn = generator.synthesis(before, noise_mode="const").float().clamp(-1, 1)
    moved = generator.synthesis(before + times_t * (up - before), noise_mode="const").float().clamp(-1, 1)
teacher = drawn + region * (moved - drawn)
student = preset_edit((preset / "model.onnx").read_bytes())(renders, default)
columns = [renders, to_pixels(drawn.numpy()), to_pixels(teacher.numpy()), student, truth[lacking]]
sheet = np.concatenate([np.concatenate([c[i][56:128] for c in columns], 1) for i in range(len(lacking))], 0)
image = Image.fromarray(sheet)
image.resize((image.width * 2, image.height * 2), Image.LANCZOS).save(out)
print(f"{len(lacking)} faces {lacking}, hair {np.round(faces['hair_length'], 2).tolist()}, default {default}, {times_t:.2f} t -> {out}")
