"""The judge's mean |change| of each attribute for beard presets at t = 1.046, run alone on
evaluation's 500 held-out renders (seed 60,000): what the judge's "others" is made of.
argv: preset-dir..."""
import sys
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
judge = classifier.load(arch="judge")
x = render(sample_params(60000, 500), 128)
j0 = judge.predict(x)
for folder in sys.argv[1:]:
    out = preset_edit(open(f"{folder}/model.onnx", "rb").read())(x, 1.046)
    d = np.abs(judge.predict(out) - j0).mean(0)
    print(folder, {a: round(float(v), 4) for a, v in zip(ATTRIBUTE_NAMES, d)})
