"""The shipped hair_length on the domain check's beardless old faces at more than its
default: is the see-through new hair a coverage that has not reached one? Row per face:
render | at 0.5, 0.755 (default), 1.0, 1.3 times the range's end. argv: out.png"""
import sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import render, sample_params
params = {k: v[:2250] for k, v in sample_params(70000, 2500).items()}
chosen = [8, 100, 128, 139, 141, 142]
faces = {k: v[chosen] for k, v in params.items()}
x = render(faces, 128)
student = preset_edit(open("presets/hair_length/model.onnx", "rb").read())
cols = [x] + [student(x, s) for s in (0.3775, 0.755, 1.0, 1.3)]
sheet = Image.fromarray(np.concatenate([np.concatenate([c[i] for c in cols], 1) for i in range(len(chosen))], 0))
sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(sys.argv[1])
