"""Session 49: the judge's mean reading of an attribute's true edit on evaluation's 500
renders (seed 60,000), each face moved by the one clipped amount whose mean is each MOVE
(and the largest single face's shift that takes). argv: attribute move..."""
import sys
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit
judge = classifier.load(arch="judge")
params = sample_params(EVAL_SEED, 500)
jx = judge.predict(render(params, 128))
name = sys.argv[1]; col = ATTRIBUTE_NAMES.index(name)
for d in map(float, sys.argv[2:]):
    p = matched_truth_edit(params, name, d)
    shift = p[name] - params[name]
    r = float((judge.predict(render(p, 128))[:, col] - jx[:, col]).mean())
    print(f"{name} mean move {d:+.3f} (per-face shift {float(shift.min() if d < 0 else shift.max()):+.3f}): judge reads {r:+.4f}")
