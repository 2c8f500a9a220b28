"""How much of its own teacher's change a hair_length preset makes, on the generator's
own samples (the pairs it was trained on come from the same stream of latents, not
these): 64 samples at the default strength 8 in the bundled row's region, the share of
the teacher's change each pixel makes along its direction where the teacher moves it by
more than 40 levels, and a sheet of input | preset | teacher. Needs the region:
`latentroom toyfaces region hair_length --share=0.2 --feather=0 -o /tmp/hair-region.png`.
argv: preset-dir region.png sheet.png"""
import sys
from pathlib import Path
import numpy as np, torch
from PIL import Image
from latentroom.engine.direction import Direction
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.pairs import PairSampler
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit

preset, region_path, sheet = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
torch.set_num_threads(2)
region, _ = load_region(region_path, 128)
sampler = PairSampler(resolve_generator("toyfaces", "cpu"), Direction.load("plugins/directions/shipped/hair_length.json"),
                      (8, 8), region=region)
with torch.no_grad():
    x, y, _ = sampler.batch(64, 0, stream=7)
to_bytes = lambda t: ((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
before, teacher = to_bytes(x), to_bytes(y)
student = preset_edit(Path(preset, "model.onnx").read_bytes())(before, 8.0)
change = teacher.astype(float) - before
moved = np.linalg.norm(change, axis=-1) > 40
share = ((student.astype(float) - before) * change).sum(-1) / np.maximum((change ** 2).sum(-1), 1)
error = np.abs(student.astype(float) - teacher).mean(-1)
print(f"{preset}: share of the teacher's change where it moves a pixel > 40 levels: median {np.median(share[moved]):.3f}, "
      f"mean {share[moved].mean():.3f}; absolute error to the teacher there {error[moved].mean():.2f} levels, "
      f"elsewhere {error[~moved].mean():.2f}")
rows = [np.concatenate([before[i], student[i], teacher[i]], 1) for i in range(12)]
Image.fromarray(np.concatenate([np.concatenate(rows[:6], 0), np.concatenate(rows[6:], 0)], 1)).resize((1536, 1536)).save(sheet)
