"""Edited-pixel PSNR to the teacher at t of saved bank students, on 64 faces they
trained on and the 64 held out: a student no closer on the first underfits its
teacher rather than overfits. argv: state files (WIDTHS=... for wider ones)."""
import os, sys
import torch
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(1)
bank = torch.load("bank-beard-enc.pt"); X, Y = bank["x"], bank["y"]
widths = tuple(int(v) for v in os.environ.get("WIDTHS", "16,32,64,128,160").split(","))
for state in sys.argv[1:]:
    model = Student(StudentConfig(widths=widths, strength_scale=1.0)); model.load_state_dict(torch.load(state))
    figures = []
    for part in (slice(0, 64), slice(len(X) - 64, None)):
        x, y = X[part].float(), Y[part].float()
        with torch.no_grad():
            out = model(x, torch.ones(64))
        figures.append(psnr_where_edited(x.numpy(), y.numpy(), out.numpy()))
    print(f"{state}: trained-on faces {figures[0]:.2f} dB, held out {figures[1]:.2f} dB", flush=True)
