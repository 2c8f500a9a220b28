"""What the judge reads of each continuous preset's matched truth on evaluation's renders."""
import json, time
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, truth_params
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
judge = classifier.load(arch="judge")
params = sample_params(EVAL_SEED, 500)
t0 = time.time(); x = render(params, 128); print("render 500", time.time() - t0)
jx = judge.predict(x)
for name in ["age", "smile", "hair_length"]:
    m = json.load(open(f"/work/s49/wt/presets/{name}/preset.json"))
    col = ATTRIBUTE_NAMES.index(name)
    for s, amount in m["x-distill"]["quality"]["truth"]["truth_amounts"].items():
        edited, _ = truth_params(params, name, float(s), amount)
        read = float((judge.predict(render(edited, 128))[:, col] - jx[:, col]).mean())
        moved = float((edited[name] - params[name]).mean())
        print(f"{name} s={s}: amount {amount:.4f}, renderer mean change {moved:.4f}, judge reads {read:.4f}, ratio {read/amount:.3f}")
