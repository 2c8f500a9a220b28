"""Per-attribute judge change: teacher pairs (generator samples, region-blended) vs the bundled student on the same x."""
import sys, subprocess
import numpy as np, torch
from latentroom.engine.plugins import resolve_generator
from latentroom.engine.presets import load_preset
from latentroom.plugins.distill.author import load_direction, load_region
from latentroom.plugins.distill.pairs import PairSampler, to_bytes
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

name, dfile, strength, region_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
g = resolve_generator("toyfaces", torch.device("cpu"))
judge = load_network("cpu", arch="judge")
d = load_direction(__import__("pathlib").Path(dfile), g)
mask = load_region(__import__("pathlib").Path(region_path), int(g.size))[0]
sampler = PairSampler(g, d, (strength, strength), region=mask, seed=5)
x, y, _ = sampler.held_out(300, 50, strength=strength)
xb = to_bytes(x).permute(0, 2, 3, 1).numpy(); yb = to_bytes(y).permute(0, 2, 3, 1).numpy()
preset = load_preset(f"presets/{name}")
ob = np.concatenate([preset.run(xb[i:i+50], strength) for i in range(0, 300, 50)])
jx, jy, jo = (judge.predict(a) for a in (xb, yb, ob))
print("attr    ", " ".join(f"{a[:8]:>8}" for a in ATTRIBUTE_NAMES))
print("teacher ", " ".join(f"{v:8.3f}" for v in np.abs(jy - jx).mean(0)))
print("student ", " ".join(f"{v:8.3f}" for v in np.abs(jo - jx).mean(0)))
print("st-vs-te", " ".join(f"{v:8.3f}" for v in np.abs(jo - jy).mean(0)))
from PIL import Image
Image.fromarray(np.concatenate([np.concatenate(list(a[:8]), 1) for a in (xb, yb, ob)], 0)).save(f"/work/s22/{name}-teacher-student.png")
