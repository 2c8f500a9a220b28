"""Does hair_length's pairs' teacher lengthen short hair past the truth, or only its
student? Held-out renders (seed 91,000), COUNT with short hair (hair_length < 0.4) and
COUNT with hair 0.6-0.8 long, each read through the hybrid with its true edit at the
find's amount (0.35), as the shipped pairs were (inverter options none). The pairs'
teacher at the preset's default (0.755, 1.5 times the truth strength on the latent path):
G(w + 1.5 (w_up - w)) against G(w). Per group, the judge's mean change of hair_length
for the pair at the truth strength, for the teacher at the default, for the shipped
preset on the render, and for the truth as evaluation draws it (every face moved by
MATCHED, 0.319 on session 47's 500 faces). argv: count"""
import os, sys
import numpy as np
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params

count = int(sys.argv[1])
matched = float(os.environ.get("MATCHED", "0.319"))
generator = resolve_generator("toyfaces", "cpu")
hybrid = get_inverter("hybrid").value(generator, torch.device("cpu"))
judge = classifier.load(arch="judge")
column = ATTRIBUTE_NAMES.index("hair_length")
read = lambda images: judge.predict(images)[:, column]
student = preset_edit(open("presets/hair_length/model.onnx", "rb").read())
params = sample_params(91000, 20 * count)
groups = {"short (< 0.4)": np.flatnonzero(params["hair_length"] < 0.4)[:count],
          "0.6-0.8": np.flatnonzero((params["hair_length"] >= 0.6) & (params["hair_length"] < 0.8))[:count]}


def drawn(w: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return to_pixels(generator.synthesis(w, noise_mode="const").float().clamp(-1, 1).numpy())


for name, chosen in groups.items():
    faces = {k: v[chosen] for k, v in params.items()}
    renders = render(faces, 128)
    w0 = hybrid.invert(torch.from_numpy(to_model(renders)))
    w1 = hybrid.invert(torch.from_numpy(to_model(render(edit(faces, "hair_length", 0.35), 128))))
    base = read(drawn(w0))
    pair = read(drawn(w1)) - base
    teacher = read(drawn(w0 + 1.5 * (w1 - w0))) - base
    preset = read(student(renders, 0.755)) - read(renders)
    truth = read(render(edit(faces, "hair_length", matched), 128)) - read(renders)
    print(f"{name}, {len(chosen)} faces: the pair at the truth strength {pair.mean():.3f}, the teacher at the default "
          f"{teacher.mean():.3f}, the preset {preset.mean():.3f}, the truth moved by {matched} {truth.mean():.3f}", flush=True)
