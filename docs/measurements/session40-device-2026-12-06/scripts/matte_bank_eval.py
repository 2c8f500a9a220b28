"""Bank students on 200 held-out renders (seed 60000): how much of the true change they
make beside the face (hair_opacity.py's alpha, truth amount 0.2305, rows above 110; and
its 10th percentile), the mean change outside the truth's changed pixels, and a sheet
input | each student | truth. Students: NAME.pt for smooth-flatten ones, NAME.pt@K for
matte_bank_train.py's painting student with its coverage hardened by K.
Run from the repository root with this folder on PYTHONPATH (for matte_bank_train.paint):
  PYTHONPATH=docs/measurements/session40-device-2026-12-06/scripts python .../matte_bank_eval.py \
      sheet.png none.pt matte.pt@8 split.pt@1 split.pt@8 split-high.pt@8
(none.pt: session 39's grain_bank_train.py student without the grain, seed 0).
argv: sheet.png student..."""
import sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from matte_bank_train import run_student
params = sample_params(60000, 200)
x = render(params, 128)
truth = render(edit(params, "hair_length", 0.2305), 128).astype(float) - x
t2 = (truth ** 2).sum(-1)
beside = (t2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
outside = t2 < 1
columns = [x[:8]]
for spec in sys.argv[2:]:
    out = run_student(spec, x, 8.0)
    alpha = ((out - x) * truth).sum(-1) / np.maximum(t2, 1)
    print(f"{spec}: of the true change beside the face median {np.median(alpha[beside]):.3f}, "
          f"10th pct {np.percentile(alpha[beside], 10):.3f}; outside mean change {np.abs(out - x)[outside].mean():.2f}", flush=True)
    columns.append(out[:8].astype(np.uint8))
columns.append((x + truth)[:8].clip(0, 255).astype(np.uint8))
rows = [np.concatenate([c[i] for c in columns], 1) for i in range(8)]
Image.fromarray(np.concatenate(rows, 0)).resize((128 * len(columns) * 2, 128 * 8 * 2), Image.NEAREST).save(sys.argv[1])
