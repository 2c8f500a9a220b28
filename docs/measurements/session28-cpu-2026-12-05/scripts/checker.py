"""The 2-pixel checker in two students' residuals at t (out-TAG.npy beside beard_adv.py's
input.npy): mean |a - b - c + d| / 4 over each 2x2 block of the lower face, in levels;
and the fifth face the teacher bearded, lower face, 6x. argv: tag_a tag_b out.jpg"""
import sys
import numpy as np
from PIL import Image
x, t = np.load("input.npy"), np.load("teacher.npy")
outs = [np.load(f"out-{tag}.npy") for tag in sys.argv[1:3]]
for tag, o in zip(sys.argv[1:3], outs):
    r = (o.astype(float) - x)[:, 60:124, 16:112].mean(-1)
    print(tag, "checker amplitude", round(float(np.abs(r[:, ::2, ::2] + r[:, 1::2, 1::2] - r[:, 1::2, ::2]
                                                      - r[:, ::2, 1::2]).mean() / 4), 3), "levels")
i = [k for k in range(len(x)) if np.abs(t[k].astype(int) - x[k]).max() > 40][4]
crop = np.concatenate([o[i][70:110, 30:98] for o in outs], 1)
Image.fromarray(crop).resize((crop.shape[1] * 6, crop.shape[0] * 6), Image.NEAREST).save(sys.argv[3], quality=75)
