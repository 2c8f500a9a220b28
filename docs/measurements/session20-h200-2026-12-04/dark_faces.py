"""Six glasses faces (four dark, two light) from the latent pairs' renders (renderer seed
70,000, faces 3, 6, 11, 19, 1, 2), read through the hybrid on this CPU (~75 s): render |
reconstruction | the pair's edit at t and 1.2 t blended into the glasses region | truth |
each given student on the render.

    python dark_faces.py OUT.png [STUDENT_DIR STRENGTH ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.truth_direction import true_edit_sides

FACES = [3, 6, 11, 19, 1, 2]


def main(out: str, students: list[str]) -> None:
    torch.set_num_threads(8)
    generator = resolve_generator("toyfaces", "cpu")
    before, up, _, _ = true_edit_sides("glasses", 200, 0, 0.35, 128)
    before, up = before[FACES], up[FACES]
    ws = get_inverter("hybrid").value(generator, "cpu").invert(torch.from_numpy(to_model(np.concatenate([before, up]))))
    region = torch.from_numpy(attribute_region("glasses"))
    n = len(FACES)
    with torch.no_grad():
        x = generator.synthesis(ws[:n].float(), noise_mode="const").clamp(-1, 1)
        columns = [before, to_pixels(x.numpy())]
        for k in (1.0, 1.2):
            y = generator.synthesis((ws[:n] + k * (ws[n:] - ws[:n])).float(), noise_mode="const").clamp(-1, 1)
            columns.append(to_pixels((x + region * (y - x)).numpy()))
    columns.append(up)
    for path, strength in zip(students[::2], students[1::2]):
        columns.append(preset_edit((Path(path) / "model.onnx").read_bytes())(before, float(strength)))
    sheet = np.concatenate([np.concatenate([c[i] for c in columns], 1) for i in range(n)], 0)
    Image.fromarray(sheet).save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
