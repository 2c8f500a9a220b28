"""hair_length preset at a given strength, by starting length, against a truth moving every
face by the amount whose judge mean equals the preset's. argv: count preset-dir strength"""
import os, sys
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params
count, folder, strength = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
params = sample_params(int(os.environ.get("SEED", "91000")), count)
x = render(params, 128)
judge = classifier.load(arch="judge")
column = ATTRIBUTE_NAMES.index("hair_length")
before = judge.predict(x)[:, column]
read = lambda images: judge.predict(images)[:, column] - before
student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
taught = read(np.concatenate([student(x[i:i + 50], strength) for i in range(0, count, 50)]))
for amount in np.arange(0.05, 0.6, 0.01):
    truth = read(render(edit(params, "hair_length", amount), 128))
    if truth.mean() >= taught.mean():
        break
print(f"{folder} at {strength}: preset {taught.mean():.3f}; judge-matched truth moves every face by {amount:.2f}: {truth.mean():.3f}")
start = params["hair_length"]
for lo in np.arange(0, 1, 0.2):
    s = (start >= lo) & ((start < lo + 0.2) | (lo >= 0.8))
    print(f"  {lo:.1f}-{lo + 0.2:.1f} ({s.sum()}): preset {taught[s].mean():.3f} truth {truth[s].mean():.3f}")
