"""Per-attribute judge change of a bundled preset (alone) and of the truth, held-out renders."""
import sys
import numpy as np, torch
from latentroom.engine.presets import load_preset
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params

name, strength, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
judge = load_network("cpu", arch="judge")
preset = load_preset(f"presets/{name}") if "/" not in name else load_preset(name)
attr = preset.manifest.get("attribute", name.split("/")[-1])
params = sample_params(EVAL_SEED, n)
x = render(params, 128)
truth = render(edit(params, attr, 1.0 if strength > 0 else -1.0), 128)
out = np.concatenate([preset.run(x[i:i+50], strength) for i in range(0, n, 50)])
jx, jo, jt = (judge.predict(a) for a in (x, out, truth))
print("attr   ", " ".join(f"{a[:8]:>8}" for a in ATTRIBUTE_NAMES))
print("preset ", " ".join(f"{v:8.3f}" for v in np.abs(jo - jx).mean(0)))
print("truth  ", " ".join(f"{v:8.3f}" for v in np.abs(jt - jx).mean(0)))
print("signed ", " ".join(f"{v:8.3f}" for v in (jo - jx).mean(0)))
