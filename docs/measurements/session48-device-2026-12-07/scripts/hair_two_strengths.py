"""Sheet: render | preset at S1 | truth at A1 | preset at S2 | truth at A2 (every face moved
by A). Faces: count old short-haired (as session 46's hair_cmp.py) then count at random.
argv: out.png count preset-dir S1 A1 S2 A2"""
import sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
out, count, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s1, a1, s2, a2 = map(float, sys.argv[4:8])
params = sample_params(91000, 40 * count)
old = np.flatnonzero((params["age"] > 0.6) & (params["hair_length"] < 0.4))[:count]
rest = np.setdiff1d(np.arange(40 * count), old)[:count]
chosen = np.concatenate([old, rest])
faces = {k: v[chosen] for k, v in params.items()}
before = render(faces, 128)
student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
columns = [before, student(before, s1), render(edit(faces, "hair_length", a1), 128),
           student(before, s2), render(edit(faces, "hair_length", a2), 128)]
rows = [np.concatenate([c[i] for c in columns], 1) for i in range(len(chosen))]
half = len(rows) // 2
for k, part in enumerate((rows[:half], rows[half:])):
    grid = Image.fromarray(np.concatenate(part, 0))
    grid.resize((grid.width * 2, grid.height * 2), Image.LANCZOS).save(out.replace(".png", f"-{k}.png"))
print(f"faces {chosen.tolist()}")
