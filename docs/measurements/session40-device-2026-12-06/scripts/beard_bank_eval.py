"""Beard bank students (session 27's beard_adv.py with HEAD=smooth-flatten FULL=1, and
matte_bank_train.py's painting students on the same bank) on held-out renders that lack
a beard (seed 60000, 200 drawn): the median share of the true change (amount 1) where it
moves a pixel by more than 40 levels, and its 10th percentile; the mean change in a band
4 px wide just outside the true change (the spill past the jaw) and beyond it; a sheet of
8 lower faces, input | each student | truth, 2x. Students: NAME.pt (a smooth-flatten
student) or NAME.pt@K (a painting student hardened by K); strength 1 of 1. Run from the
repository root with this folder on PYTHONPATH and SCALE=1 in the environment (for
matte_bank_train.paint). argv: sheet.png student..."""
import sys
import numpy as np, torch
from PIL import Image
from torch.nn import functional as F
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from matte_bank_train import run_student
torch.set_num_threads(2)
params = sample_params(60000, 200)
before, after = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = np.abs(before.astype(int) - after.astype(int)).mean((1, 2, 3)) > 2
x, truth = before[lacking], after[lacking].astype(float) - before[lacking]
t2 = (truth ** 2).sum(-1)
moved = t2 > 40 ** 2
near = F.max_pool2d(torch.from_numpy(moved[:, None].astype(np.float32)), 9, 1, 4)[:, 0].numpy() > 0
band, beyond = near & (t2 < 1), ~near & (t2 < 1)
print(f"{len(x)} faces without a beard")
columns = [x[:8]]
for spec in sys.argv[2:]:
    out = run_student(spec, x, 1.0)
    alpha = ((out - x) * truth).sum(-1) / np.maximum(t2, 1)
    change = np.abs(out - x).mean(-1)
    print(f"{spec}: share of the true change median {np.median(alpha[moved]):.3f}, 10th pct {np.percentile(alpha[moved], 10):.3f}; "
          f"change in the 4-px band outside it {change[band].mean():.2f}, beyond {change[beyond].mean():.2f} levels", flush=True)
    columns.append(out[:8].astype(np.uint8))
columns.append((x + truth)[:8].clip(0, 255).astype(np.uint8))
rows = [np.concatenate([c[i][56:120] for c in columns], 1) for i in range(8)]
Image.fromarray(np.concatenate(rows, 0)).resize((128 * len(columns) * 2, 64 * 8 * 2), Image.NEAREST).save(sys.argv[1])
