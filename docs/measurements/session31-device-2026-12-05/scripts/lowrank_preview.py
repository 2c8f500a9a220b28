"""The beard teacher of session 27's CPU bank with each face's offset (the encoder's reading
of its true edit minus that of the render) projected on the mean offset plus its top k
principal components (fitted on the training faces): is the redrawn mouth reading noise
that a low-rank offset leaves out? Run in the bank's folder (bank-beard-enc.pt) after
lowrank_read.py. Writes lowrank-preview.png: for six held-out faces the teacher changes,
input | full offset | k = 32 | 8 | 0 (the mean) teacher, lower face enlarged 2x."""
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.stylegan2.fast import FastSynthesis, FastConfig
from latentroom.plugins.toyfaces.regions import attribute_region
torch.set_num_threads(2)
W = torch.load("W.pt"); w0, w1 = W["w0"].float(), W["w1"].float()
bank = torch.load("bank-beard-enc.pt"); X, Y = bank["x"].float(), bank["y"].float()
held = 64; n = len(w0) - held
g = resolve_generator("toyfaces", torch.device("cpu"))
fast = FastSynthesis(g, FastConfig(dtype=None, channels_last=True, modconv="input"))
region = torch.from_numpy(attribute_region("beard", 128))[None, None]
d = (w1 - w0).reshape(len(w0), -1)
mean = d[:n].mean(0)
u, s, vt = torch.linalg.svd(d[:n] - mean, full_matrices=False)
var = s ** 2 / (s ** 2).sum()
print("offset variance in top 1/4/8/32/128 components:", [round(float(var[:k].sum()), 3) for k in (1, 4, 8, 32, 128)])
def project(k):
    c = d - mean
    return (mean + (c @ vt[:k].T) @ vt[:k]).reshape(w0.shape) if k else mean.reshape(1, *w0.shape[1:]).expand_as(w0)
faces = [i for i in range(n, len(w0)) if (Y[i] - X[i]).abs().max() > 0.3][:6]
with torch.no_grad():
    x = fast._eager(w0[faces]).clamp(-1, 1)
    print("G(w0) vs bank x, max diff:", float((x - X[faces]).abs().max()))
    cols = [X[faces], Y[faces]]
    for k in (32, 8, 0):
        yk = fast._eager(w0[faces] + project(k)[faces]).clamp(-1, 1)
        cols.append(X[faces] + region * (yk - X[faces]))
rows = [np.concatenate([to_pixels(c[j:j + 1].numpy())[0][56:124, 16:112] for c in cols], 1) for j in range(len(faces))]
sheet = np.concatenate(rows, 0)
Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.NEAREST).save("lowrank-preview.png")
