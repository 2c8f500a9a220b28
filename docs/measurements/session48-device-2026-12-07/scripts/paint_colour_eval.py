"""Session 48: paint_colour_bank.py's students on 200 held-out renders (seed 91,000)
against the renderer's true edit at the bank's amount (0.35, every face moved by it):
where the truth changes a pixel by more than 40 levels and above row 110 (beside the face,
as session 40's matte_bank_eval.py): the median share of the true change made and its
10th percentile, the median error to the truth (levels), and the mottling (the mean
|output - its 5x5 box blur| there, the truth's beside it: those pixels hold the hair's
edges, so the truth scores high too); the mean change where the truth changes nothing.
Sheet: input | each student | truth, on the first six renders and four old short-haired
ones (as session 46's hair_cmp.py picks them).
argv: sheet.png student.pt..."""
import os, sys
import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paint_colour_bank import use_colour
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
import latentroom.plugins.distill.student as student_module

params = sample_params(91000, 200)
x = render(params, 128)
truth = render(edit(params, "hair_length", 0.35), 128).astype(float)
change = truth - x
t2 = (change ** 2).sum(-1)
beside = (t2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
outside = t2 < 1
original = student_module.paint_colour

def run(path):
    saved = torch.load(path)
    student_module.paint_colour = original
    use_colour(saved["kind"])
    model = Student(StudentConfig(strength_scale=1.0, head="paint")); model.load_state_dict(saved["state"]); model.eval()
    with torch.no_grad():
        t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 127.5 - 1
        out = torch.cat([model(t[i:i + 50], torch.ones(len(t[i:i + 50]))) for i in range(0, len(t), 50)])
    return ((out.clamp(-1, 1) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()

def mottling(images):
    t = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    blur = F.avg_pool2d(t, 5, 1, 2, count_include_pad=False)
    return (t - blur).abs().mean(1).numpy()

if __name__ == "__main__":
    columns = [x]
    for path in sys.argv[2:]:
        out = run(path)
        alpha = ((out - x) * change).sum(-1) / np.maximum(t2, 1)
        error = np.abs(out - truth).mean(-1)
        print(f"{path}: beside the face share median {np.median(alpha[beside]):.3f}, 10th pct {np.percentile(alpha[beside], 10):.3f}; "
              f"error to truth median {np.median(error[beside]):.1f}; mottling {mottling(out)[beside].mean():.2f} "
              f"(truth {mottling(truth)[beside].mean():.2f}); outside change {np.abs(out - x)[outside].mean():.2f}", flush=True)
        columns.append(out.astype(np.uint8))
    columns.append(truth.astype(np.uint8))
    old = np.flatnonzero((params["age"] > 0.6) & (params["hair_length"] < 0.4))[:4]
    chosen = list(range(6)) + old.tolist()
    rows = [np.concatenate([c[i] for c in columns], 1) for i in chosen]
    grid = Image.fromarray(np.concatenate(rows, 0))
    grid.resize((grid.width * 2, grid.height * 2), Image.LANCZOS).save(sys.argv[1])
    print("faces", chosen)
