"""Session 49: are hair_length's stray locks and ragged ends over the shirt its teacher's
or its student's? hair_sheet.py's faces (seed 91,000: COUNT old short-haired, then COUNT
at random), each read through the hybrid with its true edit at the find's amount (0.35),
as call B's pairs were (inverter options none). Per row, 2x: render | the generator's
drawing x = G(w) | the pair's target at t, x + region * (G(w_up) - x), as author trains
on it | the student on x | the student on the render | the truth at 0.35. The student
runs at its default (call B's: t). argv: out.png count preset-dir region.png"""
import json, sys
import numpy as np
import torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
out, count, folder, region_png = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
region = np.asarray(Image.open(region_png), np.float32)[..., None] / 255
default = json.load(open(f"{folder}/preset.json"))["strength"]["default"]
student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
params = sample_params(91000, 40 * count)
old = np.flatnonzero((params["age"] > 0.6) & (params["hair_length"] < 0.4))[:count]
rest = np.setdiff1d(np.arange(len(params["age"])), old)[:count]
faces = {k: v[np.concatenate([old, rest])] for k, v in params.items()}
x_render, truth = render(faces, 128), render(edit(faces, "hair_length", 0.35), 128)


def drawn(w: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return to_pixels(generator.synthesis(w, noise_mode="const").float().clamp(-1, 1).numpy())


w0 = hybrid.invert(torch.from_numpy(to_model(x_render)))
w1 = hybrid.invert(torch.from_numpy(to_model(truth)))
x = drawn(w0)
target = np.clip(x + region * (drawn(w1).astype(np.float32) - x), 0, 255).round().astype(np.uint8)
columns = [x_render, x, target, student(x, default), student(x_render, default), truth]
tiles = np.stack(columns, 1)
n, k, h, w, _ = tiles.shape
sheet = tiles.transpose(0, 2, 1, 3, 4).reshape(n * h, k * w, 3)
Image.fromarray(sheet).resize((k * w * 2, n * h * 2), Image.NEAREST).save(out, quality=92)
print(f"{folder} at {default:g}: {n} faces, sheet {out}")
