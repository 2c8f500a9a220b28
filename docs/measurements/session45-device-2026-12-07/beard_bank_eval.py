"""Beard bank students taught by the encoder-read teacher at t against 1.5 t (session 24's
bank.py with K=1, its own bank, and K=1.5; session 40's matte_bank_train.py LOSS=flat,
2,000 steps at 1 thread each): on 200 held-out renders lacking a beard (seed 91,000), each run at its
one strength. Per student: median over faces of the mean absolute error to the truth
over the pixels the truth changes (levels), and the mean change where the truth changes
nothing; a sheet of eight lower faces: render | each student | truth.
argv: sheet.png student.pt..."""
import sys
import numpy as np
import torch
from PIL import Image
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
params = sample_params(91000, 800)
x, truth = render(params, 128), render(edit(params, "beard", 1.0), 128)
lacking = [i for i in range(len(x)) if np.abs(x[i].astype(int) - truth[i].astype(int)).mean() > 2][:200]
x, truth = x[lacking], truth[lacking].astype(float)
changed = np.abs(truth - x).max(-1) > 8
columns = [x[:8]]
for path in sys.argv[2:]:
    model = Student(StudentConfig(strength_scale=1.0, head="smooth-flatten")); model.load_state_dict(torch.load(path)); model.eval()
    with torch.no_grad():
        t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 127.5 - 1
        out = torch.cat([model(t[i:i + 50], torch.ones(len(t[i:i + 50]))) for i in range(0, len(t), 50)])
    out = ((out.clamp(-1, 1) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()
    error = [np.abs(out[i] - truth[i])[changed[i]].mean() for i in range(len(x))]
    print(f"{path}: error to the truth where it changes, median {np.median(error):.1f} levels; "
          f"change where it does not {np.abs(out - x)[~changed].mean():.2f}", flush=True)
    columns.append(out[:8].astype(np.uint8))
columns.append(truth[:8].astype(np.uint8))
sheet = Image.fromarray(np.concatenate([np.concatenate([c[i][56:128] for c in columns], 1) for i in range(8)], 0))
sheet.resize((sheet.width * 2, sheet.height * 2), Image.LANCZOS).save(sys.argv[1])
