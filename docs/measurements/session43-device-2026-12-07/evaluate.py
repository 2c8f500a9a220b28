"""The jitter students on 200 held-out renders lacking glasses, against the truth:
as rendered, and through an apply-like crop (both images moved by one held-out similarity
transform of the author jitter's size, bicubic, as apply's crop resamples). Per student:
PSNR over the pixels the truth changes by > 8 levels; the share of the truth's change the
output makes there (per pixel, projected, median); the pixels it changes by > 24 levels
against the truth's count (a thicker ring changes more). argv: sheet.png student.pt...;
from the environment HELD (held.pt) and ROWS, "top,height" of the sheet's crop ("40,40":
the eyes)."""
import os, sys
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(2)
held = torch.load(os.environ.get("HELD", "held.pt")); X, Y = held["x"].float(), held["y"].float()
jitter = Jitter(13, 0.12, 3)  # its warp is bicubic and clamped, as apply's crop resamples
sets = {"rendered": (X, Y), "cropped": jitter.warp(jitter.draw(len(X), torch.Generator().manual_seed(99), 128), X, Y)}


def run(path, x):
    model = Student(StudentConfig(strength_scale=1.0)); model.load_state_dict(torch.load(path)); model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + 50], torch.ones(len(x[i:i + 50]))) for i in range(0, len(x), 50)]).clamp(-1, 1)


def figures(x, y, out):
    lv = lambda t: (t + 1) * 127.5
    x, y, out = lv(x), lv(y), lv(out)
    change = y - x
    size2 = (change ** 2).sum(1)
    edited = size2.sqrt() > 8
    mse = ((out - y) ** 2).mean(1)[edited].mean()
    alpha = ((out - x) * change).sum(1) / size2.clamp(min=1)
    moved = ((out - x) ** 2).sum(1).sqrt() > 24
    return (f"{10 * np.log10(255 ** 2 / mse.item()):.2f} dB, share {alpha[edited].median():.3f}, "
            f"moved>24 {moved.sum().item() / (size2.sqrt() > 24).sum().item():.2f}x the truth's")


sheet_rows = []
for path in sys.argv[2:]:
    for name, (x, y) in sets.items():
        out = run(path, x)
        print(f"{path:12s} {name:9s} {figures(x, y, out)}", flush=True)
        if name == "rendered":
            sheet_rows.append(out)
print(f"{'identity':12s}", figures(*sets["rendered"], sets["rendered"][0]))
pick = range(8)
to8 = lambda t: ((t + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
cols = [X] + sheet_rows + [Y]
top, height = (int(v) for v in os.environ.get("ROWS", "40,40").split(","))
rows = [np.concatenate([to8(c[i:i + 1])[0][top:top + height, 24:104] for c in cols], 1) for i in pick]
Image.fromarray(np.concatenate(rows, 0)).resize((80 * len(cols) * 4, height * len(pick) * 4), Image.NEAREST).save(sys.argv[1])
