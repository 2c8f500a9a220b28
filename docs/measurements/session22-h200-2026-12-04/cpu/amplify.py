"""Amplified own offsets on the faces the glasses teacher misses: does G(before + a*(after-before)) wear glasses?"""
import sys
import numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params

attr = sys.argv[1]; faces = [int(v) for v in sys.argv[2].split(",")]
g = resolve_generator("toyfaces", torch.device("cpu"))
judge = load_network("cpu", arch="judge")
scorer = load_network("cpu")
col = ATTRIBUTE_NAMES.index(attr)
params = sample_params(EVAL_SEED, 100)
chosen = {k: v[faces] for k, v in params.items()}
before = render(chosen, 128); truth = render(edit(chosen, attr, 1.0), 128)
inv = get_inverter("hybrid").value(g, g.device)
wb = inv.invert(torch.from_numpy(to_model(before))); wa = inv.invert(torch.from_numpy(to_model(truth)))
others = [i for i in range(len(ATTRIBUTE_NAMES)) if i != col]
for a in (1.0, 1.5, 2.0, 3.0):
    with torch.no_grad():
        img = g.synthesis(wb + a * (wa - wb), noise_mode="const").clamp(-1, 1)
    px = ((img.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
    p = judge.predict(px); q = scorer.predict(px)
    print(f"a={a}: judge p {np.round(p[:, col], 2).tolist()} scorer p {np.round(q[:, col], 2).tolist()} others {np.abs(p[:, others]-judge.predict(before)[:, others]).mean():.3f}", flush=True)
    from PIL import Image; Image.fromarray(np.concatenate(list(px), 1)).save(f"/work/s22/amp-{attr}-{a}.png")
Image.fromarray(np.concatenate([np.concatenate(list(before), 1), np.concatenate(list(truth), 1)], 0)).save(f"/work/s22/amp-{attr}-truth.png")
