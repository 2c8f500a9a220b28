"""Session 27's encoder-read bank with the renderer's true beard pasted in: each input
is the bank's (the generator's reading of the render), its target that image with the
pixels the true edit changes taken from the true edit: x = X, y = X + m * (truth - X),
m = [truth != render]. The target is the truth's solid beard, mouth drawn over it, on
the generator's image: is the see-through fill the generator's inputs or its drawing?
argv: bank seed out (seed: the one bank.py was given)"""
import sys
import torch
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
bank, seed, out = torch.load(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
X = bank["x"].float()
renders, truths = [], []
for start in range(0, len(X), 64):
    params = sample_params(seed + start, min(64, len(X) - start))
    renders.append(torch.from_numpy(to_model(render(params, 128))))
    truths.append(torch.from_numpy(to_model(render(edit(params, "beard", 1.0), 128))))
render_, truth = torch.cat(renders), torch.cat(truths)
changed = (truth != render_).any(1, keepdim=True).float()
torch.save({"x": bank["x"], "y": (X + changed * (truth - X)).half()}, out)
print(f"{len(X)} faces; {float(changed.mean()):.3f} of the pixels pasted")
