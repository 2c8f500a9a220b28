import sys
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit
judge = classifier.load(arch="judge")
params = sample_params(EVAL_SEED, 500)
x = render(params, 128); jx = judge.predict(x)
name = sys.argv[1]; col = ATTRIBUTE_NAMES.index(name)
for d in map(float, sys.argv[2:]):
    p = matched_truth_edit(params, name, d)
    r = float((judge.predict(render(p, 128))[:, col] - jx[:, col]).mean())
    print(f"{name} mean move {d:+.3f} (per-face shift {float((p[name]-params[name]).min() if d<0 else (p[name]-params[name]).max()):+.3f}): judge reads {r:+.4f}")
