"""The shipped recipe's knobs on the renderer's own pairs (consistent targets):
relative loss, strengths drawn over the whole range (+-1 here, the scale's unit),
a binary edit faded in with the strength, jitter. Crisp rings or not?"""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.distill.train import pixel_distance
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, edit, render, sample_params
torch.set_num_threads(2); torch.manual_seed(0)
attr, seconds, tag, loss_kind = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 32
J = Jitter(13, 0.12, 3); gen = torch.Generator().manual_seed(1)
model = Student(StudentConfig(strength_scale=1.0))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
t = time.time(); step = 0
while time.time() - t < seconds:
    p = sample_params(1000 + step, batch)
    x = torch.from_numpy(to_model(render(p, 128))); y = torch.from_numpy(to_model(render(edit(p, attr, 1.0), 128)))
    off = torch.from_numpy(to_model(render(edit(p, attr, -1.0), 128)))
    s = torch.rand(batch, generator=gen) * 2 - 1
    y = torch.where((s >= 0)[:, None, None, None], x + s.abs()[:, None, None, None] * (y - x), x + s.abs()[:, None, None, None] * (off - x))
    x, y = J.warp(J.draw(batch, gen, 128), x, y)
    loss = pixel_distance(model(x, s), y, loss_kind, x)
    opt.zero_grad(); loss.backward(); opt.step(); step += 1
    if step % 500 == 0:
        print(step, f"{loss.item():.6f}", f"{time.time()-t:.0f}s", flush=True)
p = sample_params(EVAL_SEED, 200)
lack = np.flatnonzero(attribute_matrix(p)[:, list(ATTRIBUTE_NAMES).index(attr)] < 0.5)[:64]
p = {k: v[lack] for k, v in p.items()}
x, y = to_model(render(p, 128)), to_model(render(edit(p, attr, 1.0), 128))
with torch.no_grad():
    out = model(torch.from_numpy(x), torch.ones(len(x))).numpy()
print("steps", step, "edited-pixel psnr to truth", round(psnr_where_edited(x, y, out), 2), "identity", round(psnr_where_edited(x, y, x), 2))
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(a[:6])), 0) for a in (x, out, y)], 1)).save(f"recipe-{tag}.png")
