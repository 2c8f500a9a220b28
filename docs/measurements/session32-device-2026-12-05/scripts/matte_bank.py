"""A bank's targets recast by the matte (plugins/distill/matte.py) at full strength.
argv: bank out. Run in session 32 with a draft of the module that no commit holds; it
printed "1536 targets in 18s; matte {'floor': 0.03, 'full': 0.12, 'radius': 3.0,
'outlier': 0.15, 'line_low': 0.04, 'line_high': 0.12}". The draft differed from
519ed7e's module in three ways: the coverage came from the change blurred by a 1-pixel
Gaussian; the lines were the larger of the dark and light top-hats, averaged over the
channels; and target() took the strengths (all +1 here). At 519ed7e this script makes
that commit's matte instead."""
import sys, time
import torch
from latentroom.plugins.distill.matte import Matte
torch.set_num_threads(2)
bank = torch.load(sys.argv[1]); X, Y = bank["x"], bank["y"]
m, out, t = Matte(), [], time.time()
with torch.no_grad():
    for i in range(0, len(X), 64):
        x, y = X[i:i + 64].float(), Y[i:i + 64].float()
        out.append(m.target(x, y).half())
torch.save({"x": X, "y": torch.cat(out)}, sys.argv[2])
print(f"{len(X)} targets in {time.time() - t:.0f}s; matte {m.describe()}")
