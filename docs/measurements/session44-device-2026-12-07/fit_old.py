"""Does the shipped hair_length fit its teacher worse on old faces? Faces the student
trained on (the find's renders, renderer seed 70,000, among the first 2,250 of 2,500):
COUNT old ones (age > 0.7) and COUNT young ones (age < 0.4), all with short hair (< 0.5).
Each face's true edit (+0.35) is read through the hybrid as the find reads it, and the
teacher is drawn as author draws a pair at the default 0.755 = 1.5 t (the latent path,
blended into REGION, unjittered). The student runs on the generator's image of the face,
as it trained. Prints the PSNR (dB) of student to teacher over the pixels the teacher
edits, per face and pooled per group, beside the identity's; saves old faces' rows:
G(before) | teacher | student. argv: count region.png preset-dir out.png. Written in
session 44; about a minute a face on this CPU."""
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
short = params["hair_length"] < 0.5
groups = {"old": np.flatnonzero(short & (params["age"] > 0.7))[:count],
          "young": np.flatnonzero(short & (params["age"] < 0.4))[:count]}


def read(pixels: np.ndarray) -> torch.Tensor:
    return hybrid.invert(torch.from_numpy(to_model(pixels)))


for name, chosen in groups.items():
    faces = {k: v[chosen] for k, v in params.items()}
    before, up = read(render(faces, 128)), read(render(edit(faces, "hair_length", 0.35), 128))
    with torch.no_grad():
        drawn = generator.synthesis(before, noise_mode="const").float().clamp(-1, 1)
        moved = generator.synthesis(before + times_t * (up - before), noise_mode="const").float().clamp(-1, 1)
    x = to_model(to_pixels(drawn.numpy()))
    y = to_model(to_pixels((drawn + region * (moved - drawn)).numpy()))
    y_hat = to_model(student(to_pixels(x), strength))
    each = [psnr_where_edited(x[i:i + 1], y[i:i + 1], y_hat[i:i + 1]) for i in range(len(chosen))]
    print(f"{name} faces {chosen.tolist()}: student {psnr_where_edited(x, y, y_hat):.2f} dB pooled "
          f"(per face {', '.join(f'{v:.1f}' for v in each)}), identity {psnr_where_edited(x, y, x):.2f} dB", flush=True)
    if name == "old":
        rows = [np.concatenate([to_pixels(a[i:i + 1])[0] for a in (x, y, y_hat)], 1) for i in range(len(chosen))]
        sheet = Image.fromarray(np.concatenate(rows, 0))
        sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(out)
