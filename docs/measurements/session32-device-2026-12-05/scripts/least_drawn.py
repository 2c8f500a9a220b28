"""The held-out bank faces whose student draws the least of its teacher's change:
input | the bank's own target | the target it trained on | student. Run in the folder
of a beard_adv.py run (its input.npy, teacher.npy, out-TAG.npy). argv: bank tag out"""
import sys
import numpy as np, torch
from PIL import Image
bank, tag, out = sys.argv[1:4]
x, t, o = np.load("input.npy"), np.load("teacher.npy"), np.load(f"out-{tag}.npy")
raw = torch.load(bank)["y"][-64:].float().numpy()
raw = ((raw + 1) * 127.5).round().clip(0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
change = np.abs(t.astype(float) - x).mean((1, 2, 3))
drawn = np.abs(o.astype(float) - x).mean((1, 2, 3)) / np.maximum(change, 1e-3)
picks = [i for i in np.argsort(drawn) if change[i] > 3][:8]
print([(int(i), round(float(change[i]), 1), round(float(drawn[i]), 2)) for i in picks])
img = np.concatenate([np.concatenate([x[i], raw[i], t[i], o[i]], 1) for i in picks], 0)
Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(out)
