"""Does hair_length's pairs' teacher draw grey and white hair streaked, or only its
student? Held-out renders of old faces with short hair (renderer seed 60,000, age > 0.7,
hair_length < 0.5), their true edit (+0.35) read through the hybrid as the find reads it,
and the pairs' teacher at the bundled default, 1.5 t (the latent path: before + 1.5 (up -
before)), drawn by the generator and blended into REGION as author's pairs are, beside
PRESET (the student) run alone at its default on the render. Sheet, one face per row at
2x: render | G(before) | teacher at 1.5 t | preset | the truth at +0.525.
argv: out.png count region.png preset-dir. Written in session 44 for the device; it runs
on this CPU in about a minute a face."""
import json
import sys
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
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
generator = resolve_generator("toyfaces", device)
hybrid = get_inverter("hybrid").value(generator, device)
region = load_region(region_file, int(generator.size))[0].to(device, torch.float32)[None, None]
params = sample_params(60000, 4000)
chosen = np.flatnonzero((params["age"] > 0.7) & (params["hair_length"] < 0.5))[:count]
faces = {k: v[chosen] for k, v in params.items()}
renders = render(faces, 128)
truth_t, truth_15 = render(edit(faces, "hair_length", 0.35), 128), render(edit(faces, "hair_length", 0.525), 128)


def read(pixels: np.ndarray) -> torch.Tensor:
    return hybrid.invert(torch.from_numpy(to_model(pixels)).to(device))


before, up = read(renders), read(truth_t)
with torch.no_grad():
    drawn = generator.synthesis(before, noise_mode="const").float().clamp(-1, 1)
    moved = generator.synthesis(before + 1.5 * (up - before), noise_mode="const").float().clamp(-1, 1)
teacher = drawn + region * (moved - drawn)
default = json.loads((preset / "preset.json").read_text())["strength"]["default"]
student = preset_edit((preset / "model.onnx").read_bytes())(renders, default)
columns = [renders, to_pixels(drawn.cpu().numpy()), to_pixels(teacher.cpu().numpy()), student, truth_15]
sheet = np.concatenate([np.concatenate([c[i] for c in columns], 1) for i in range(len(chosen))], 0)
image = Image.fromarray(sheet)
image.resize((image.width * 2, image.height * 2), Image.LANCZOS).save(out)
print(f"{len(chosen)} faces (ages {np.round(faces['age'], 2).tolist()}) -> {out}")
