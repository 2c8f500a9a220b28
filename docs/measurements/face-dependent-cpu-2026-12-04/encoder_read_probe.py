"""Session 16 scratch probe (kept as run): teacher_pair_leakage.py on a corrected direction whose correction
reads each generator sample through the encoder it was fitted with (the encoder's latents of G(w), not w).
python docs/measurements/face-dependent-cpu-2026-12-04/encoder_read_probe.py DIRECTION.json STRENGTH REGION"""
import dataclasses
import runpy
import sys

import torch

import latentroom.plugins.distill.pairs as pairs
from latentroom.engine.direction import Direction
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.directions.edit import correction_residual, edit_latents

torch.set_num_threads(2)
path, strength, region = sys.argv[1:4]
generator = resolve_generator("toyfaces", torch.device("cpu"))
encoder = get_inverter("encoder").value(generator, torch.device("cpu"))


def encoder_read_edit(ws, direction, s):
    plain = dataclasses.replace(direction, correction=None)
    out = edit_latents(ws, plain, s)
    with torch.no_grad():
        read = encoder.invert(generator.synthesis(ws, noise_mode="const").clamp(-1, 1)).float()
    layers = list(direction.layers)
    amount = (s if isinstance(s, torch.Tensor) else torch.tensor(float(s))).reshape(-1, 1, 1)
    out[:, layers] += amount / direction.correction.truth_strength * correction_residual(
        direction.correction, read[:, layers].mean(1))
    return out


pairs.edit_latents = encoder_read_edit
sys.argv = ["teacher_pair_leakage.py", path, "--strength", strength, "--region", region]
runpy.run_path("scripts/teacher_pair_leakage.py", run_name="__main__")
