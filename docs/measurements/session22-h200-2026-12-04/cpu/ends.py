"""Removal and appear rates of two beard students across their strengths (alone, 500 held-out renders)."""
import numpy as np
from latentroom.engine.presets import load_preset
from latentroom.plugins.toyfaces.classifier import load
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params

judge = load("cpu", arch="judge"); c = ATTRIBUTE_NAMES.index("beard")
params = sample_params(EVAL_SEED, 500)
has = params["beard"] >= 0.5
x = render(params, 128)
t = 1.046
for name in ("b", "c"):
    p = load_preset(f"/work/s22/{name}/presets/beard", provider="cpu")
    lo, hi = p.manifest["strength"]["min"], p.manifest["strength"]["max"]
    row = []
    for k in (-2, -1.75, -1.5, -1.25, -1, 1, 1.25, 1.5, 1.75, 2):
        s = k * t
        if s < lo - 1e-3 or s > hi + 1e-3:
            row.append(f"{k:+.2f}t: -"); continue
        out = np.concatenate([p.run(x[i:i + 100], s) for i in range(0, 500, 100)])
        pr = judge.predict(out)[:, c] > 0.5
        rate = (~pr[has]).mean() if k < 0 else pr[~has].mean()
        row.append(f"{k:+.2f}t: {rate:.3f}")
    print({"b": "G", "c": "H"}[name], f"range [{lo}, {hi}]", " ".join(row), flush=True)
