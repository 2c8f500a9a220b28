"""Session 17: does a glasses edit put glasses on faces without them and take them off faces that wear
them, without touching the others? The judge's mean glasses reading before and after, on 96 renders
each way (renderer seed 60123, apart from every fit and evaluation seed), at strength +2 and -2, through
the generator path (encoder inversion, edit, synthesis) for direction files and through ONNX Runtime for
preset models.

    python docs/measurements/session17-h200-2026-12-04/sides_probe.py [DIRECTION.json | MODEL.onnx] ...
"""
import sys

import numpy as np
import torch

from latentroom.engine.direction import Direction
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.toyfaces import classifier as classifiers
from latentroom.plugins.toyfaces.evaluate_preset import generator_path_edit, preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params

torch.set_num_threads(2)
generator = resolve_generator("toyfaces", "cpu")
judge = classifiers.load("cpu", arch="judge")
params = sample_params(60123, 400)
column = ATTRIBUTE_NAMES.index("glasses")


def edit_for(path):
    if path.endswith(".onnx"):
        return preset_edit(open(path, "rb").read())
    return generator_path_edit(generator, get_inverter("encoder").value(generator, "cpu"), Direction.load(path), 32)


for path in sys.argv[1:]:
    edit = edit_for(path)
    for wearing in (True, False):
        chosen = (params["glasses"] > 0.5) == wearing
        pixels = render({k: v[chosen][:96] for k, v in params.items()}, 128)
        before = judge.predict(pixels)
        for strength in (2.0, -2.0):
            after = judge.predict(edit(pixels, strength))
            others = np.abs(np.delete(after - before, column, axis=1)).mean()
            print(f"{path}  {'wearing' if wearing else 'lacking'}  {strength:+g}  glasses "
                  f"{before[:, column].mean():.2f} -> {after[:, column].mean():.2f}  others {others:.3f}", flush=True)
