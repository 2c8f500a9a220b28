"""Can the toyfaces-clip image tower read smiles? A supervised probe (2026-12-03, shared
2-core CPU, one thread): the tower's stages and a linear head regress the renderer's
smile on fresh 64-image batches; correlation on 256 held-out renders every 100 steps.

    python smile_probe.py 64     # the tower as it was: four stride-2 blocks on 64x64
    python smile_probe.py 128    # the same blocks on 128x128 renders
    python smile_probe.py stem   # a stride-1 stem at 64x64 first (the shipped tower)
"""
import sys, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, time
from latentroom.plugins.textimage.toyclip import _block
from latentroom.plugins.toyfaces.renderer import render, sample_params
variant = sys.argv[1]
torch.manual_seed(0); torch.set_num_threads(1)
size = 128 if variant == "128" else 64  # variant "64": the old tower
if variant == "stem":
    body = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.SiLU(), _block(16, 24), _block(24, 48), _block(48, 96), _block(96, 160))
else:
    body = nn.Sequential(_block(3, 24), _block(24, 48), _block(48, 96), _block(96, 160))
head = nn.Linear(320, 1)
def fwd(x):
    h = body(x); return head(torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1)).squeeze(1)
opt = torch.optim.AdamW(list(body.parameters()) + list(head.parameters()), lr=2e-3)
def batch(seed, n):
    p = sample_params(seed, n)
    x = torch.from_numpy(render(p, size)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return x, torch.from_numpy(p["smile"]).float()
xt, yt = batch(999, 256)
t0 = time.time()
for step in range(401):
    x, y = batch(step, 64)
    loss = F.mse_loss(fwd(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 100 == 0:
        body.eval()
        with torch.no_grad(): pred = fwd(xt)
        body.train()
        print(variant, step, round(loss.item(), 4), 'corr', round(float(np.corrcoef(pred, yt)[0, 1]), 3), f'{time.time()-t0:.0f}s', flush=True)
