"""The mouth and beard of three held-out faces (the first, fifth and sixth the teacher
puts a beard on), enlarged 2x: each student's output at t (out-TAG.npy), then the
teacher. argv: output JPEG, tags."""
import sys
import numpy as np
from PIL import Image
x, t = np.load("input.npy"), np.load("teacher.npy")
outs = [np.load(f"out-{tag}.npy") for tag in sys.argv[2:]]
rows = [i for i in range(len(x)) if np.abs(t[i].astype(int) - x[i]).max() > 40]
chosen = [rows[0], rows[4], rows[5]]
sheet = np.concatenate([np.concatenate([o[i] for o in outs] + [t[i]], 1)[60:] for i in chosen], 0)
Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.LANCZOS).save(sys.argv[1], quality=75)
