"""Do the faces the hybrid misses get glasses when the reading weights the truth's changed pixels?"""
import sys, time
import numpy as np, torch

from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params

generator = resolve_generator("toyfaces", torch.device("cpu"))
judge = load_network("cpu", arch="judge")
ATTR = __import__("os").environ.get("ATTR", "glasses")
col = ATTRIBUTE_NAMES.index(ATTR)
faces = [int(v) for v in __import__("os").environ["FACES"].split(",")]
params = sample_params(EVAL_SEED, 100)
chosen = {k: v[faces] for k, v in params.items()}
size = int(generator.size)
before = render(chosen, size)
truth = render(edit(chosen, ATTR, 1.0), size)
mask = (np.abs(truth.astype(int) - before.astype(int)).max(-1) > 8)
print("mask px per face", mask.reshape(len(faces), -1).sum(1))
mt = torch.from_numpy(mask.astype(np.float32))[:, None]

for k in [float(a) for a in sys.argv[1:]] or [0.0, 20.0]:
    inv = get_inverter("hybrid").value(generator, generator.device)
    proj = inv.projector
    orig = proj._loss
    def loss(synth, target, feats, orig=orig, k=k):
        base = orig(synth, target, feats)
        extra = ((synth - target).pow(2) * mt).flatten(1).sum(1) / mt.flatten(1).sum(1).clamp_min(1)
        return base + k * extra * mt.flatten(1).mean(1)
    proj._loss = loss
    t0 = time.time()
    ws = inv.invert(torch.from_numpy(to_model(truth)))
    with torch.no_grad():
        rec = generator.synthesis(ws, noise_mode="const").clamp(-1, 1)
    px = ((rec.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
    p = judge.predict(px)[:, col]
    diff = np.abs(px.astype(int) - truth.astype(int)).mean(-1)
    inside = [(d[m].mean()) for d, m in zip(diff, mask)]
    outside = [(d[~m].mean()) for d, m in zip(diff, mask)]
    print(f"k={k:g} {time.time()-t0:.0f}s p={np.round(p,3).tolist()} in={np.round(inside,1).tolist()} out={np.round(outside,1).tolist()}", flush=True)
