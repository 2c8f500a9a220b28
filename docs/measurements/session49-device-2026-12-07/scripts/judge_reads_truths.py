"""Session 49: the judge's mean reading of each continuous bundled preset's recorded truth
amounts, drawn as evaluation drew them before 8b97cdf (every face moved by the one clipped
amount with that mean on the renderer's scale), on evaluation's 500 renders (seed 60,000).
Run from the repository root at 5949301 (later, truth_params is unchanged)."""
import json
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, truth_params
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
judge = classifier.load(arch="judge")
params = sample_params(EVAL_SEED, 500)
jx = judge.predict(render(params, 128))
for name in ["age", "smile", "hair_length"]:
    m = json.load(open(f"presets/{name}/preset.json"))
    col = ATTRIBUTE_NAMES.index(name)
    for s, amount in m["x-distill"]["quality"]["truth"]["truth_amounts"].items():
        edited, _ = truth_params(params, name, float(s), amount)
        read = float((judge.predict(render(edited, 128))[:, col] - jx[:, col]).mean())
        moved = float((edited[name] - params[name]).mean())
        print(f"{name} s={s}: amount {amount:.4f}, renderer mean change {moved:.4f}, judge reads {read:.4f}, ratio {read/amount:.3f}")
