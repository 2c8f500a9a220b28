"""Five held-out faces the truth puts a beard on, lower face, 1.25x: input | each run's
output at t (out-TAG.npy) | the bank's teacher | the truth render. argv: out.jpg tags"""
import sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
p = sample_params(7000 + 1472, 64)  # the bank's last 64 faces (bank.py beard 1536 7000)
R, T = render(p, 128), render(edit(p, "beard", 1.0), 128)
x, teacher = np.load("/work/s27/adv/input.npy"), np.load("/work/s27/adv/teacher.npy")
outs = [np.load(f"out-{tag}.npy") for tag in sys.argv[2:]]
rows = [i for i in range(64) if np.abs(T[i].astype(int) - R[i]).max() > 40]
rows = [rows[k] for k in (0, 2, 4, 5, 6)]
sheet = np.concatenate([np.concatenate([x[i]] + [o[i] for o in outs] + [teacher[i], T[i]], 1)[56:] for i in rows], 0)
Image.fromarray(sheet).resize((sheet.shape[1] * 5 // 4, sheet.shape[0] * 5 // 4), Image.LANCZOS).save(
    sys.argv[1], quality=75)
