"""Held-out faces the teacher puts a beard on, lower half enlarged 1.4x: input | each
student's output at t (out-TAG.npy) | teacher. argv: output JPEG, tags."""
import sys
import numpy as np
from PIL import Image
x, t = np.load("input.npy"), np.load("teacher.npy")
outs = [np.load(f"out-{tag}.npy") for tag in sys.argv[2:]]
rows = [i for i in range(len(x)) if np.abs(t[i].astype(int) - x[i]).max() > 40][:6]
sheet = np.concatenate([np.concatenate([x[i]] + [o[i] for o in outs] + [t[i]], 1)[56:] for i in rows], 0)
Image.fromarray(sheet).resize((round(sheet.shape[1] * 1.4), round(sheet.shape[0] * 1.4)), Image.LANCZOS).save(
    sys.argv[1], quality=75)
