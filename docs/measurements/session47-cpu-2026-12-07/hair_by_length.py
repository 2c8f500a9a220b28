"""How much does a hair_length preset lengthen hair, by the face's starting length? On
held-out renders (seed 91,000; SEED: another), the judge's mean change of hair_length
for the preset at its default and for three truths: at the recorded teacher amount moved
on every face (as session 46's hair_share.py and hair_cmp.py drew it), matched as
evaluation draws it (truth_params: every face moved by the one amount whose change,
clipped to the 0-1 scale, has the recorded mean), and at the amount the judge reads, in
the mean, as the recorded one (a grid of 0.01). Then by fifths of the starting length.
argv: count preset-dir"""
import json, os, sys
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit
count, folder = int(sys.argv[1]), sys.argv[2]
manifest = json.load(open(f"{folder}/preset.json"))
default = manifest["strength"]["default"]
recorded = manifest["x-distill"]["latent_pairs"]["teacher_amounts"][str(default)]
params = sample_params(int(os.environ.get("SEED", "91000")), count)
x = render(params, 128)
judge = classifier.load(arch="judge")
column = ATTRIBUTE_NAMES.index("hair_length")
before = judge.predict(x)[:, column]
read = lambda images: judge.predict(images)[:, column] - before
student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
taught = read(np.concatenate([student(x[i:i + 50], default) for i in range(0, count, 50)]))
matched_params = matched_truth_edit(params, "hair_length", recorded)
matched_amount = float((matched_params["hair_length"] - params["hair_length"]).max())
grid = np.round(recorded + np.arange(0, 0.4, 0.01), 3)
for judged_amount in grid:
    if read(render(edit(params, "hair_length", judged_amount), 128)).mean() >= recorded:
        break
truths = {f"unmatched {recorded:.3f}": read(render(edit(params, "hair_length", recorded), 128)),
          f"matched {matched_amount:.3f}": read(render(matched_params, 128)),
          f"judge-matched {judged_amount:.2f}": read(render(edit(params, "hair_length", judged_amount), 128))}
print(f"{folder} at {default}: recorded amount {recorded:.3f}; faces {count}; the judge's mean change: preset {taught.mean():.3f}, "
      + ", ".join(f"truth {name} {v.mean():.3f}" for name, v in truths.items()))
start = params["hair_length"]
for lo in np.arange(0, 1, 0.2):
    s = (start >= lo) & ((start < lo + 0.2) | (lo >= 0.8))
    print(f"  starting length {lo:.1f}-{lo + 0.2:.1f} ({s.sum()} faces): preset {taught[s].mean():.3f}; "
          + ", ".join(f"{name} {v[s].mean():.3f}" for name, v in truths.items()))
