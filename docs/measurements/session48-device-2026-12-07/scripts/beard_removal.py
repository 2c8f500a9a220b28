"""Share of bearded renders (seed 60123, as tests/test_bundled_presets.py; and 300 of seed
91000) on which the judge still sees a beard after each preset at -k t."""
import json, sys
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
judge = classifier.load(arch="judge"); column = ATTRIBUTE_NAMES.index("beard")
for seed, n in ((60123, 48), (91000, 300)):
    params = sample_params(seed, 8 * n)
    has = np.flatnonzero(params["beard"] > 0.5)[:n]
    faces = render({k: v[has] for k, v in params.items()}, 128)
    for folder in sys.argv[1:]:
        m = json.load(open(f"{folder}/preset.json")); t = m["x-distill"]["latent_pairs"]["truth_strength"]
        student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
        kept = [float((judge.predict(student(faces, -k * t))[:, column] > 0.5).mean()) for k in (0.5, 0.75, 1.0, 1.25)]
        print(f"seed {seed}, {len(has)} bearded faces, {folder}: kept at -0.5/-0.75/-1/-1.25 t: " + " / ".join(f"{v:.3f}" for v in kept))
