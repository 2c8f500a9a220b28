"""A layout-2 student trained on the renderer's own pairs (consistent targets): does it
learn crisp rings on held-out faces within a CPU budget?"""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
torch.set_num_threads(2); torch.manual_seed(0)
attr, seconds, tag = sys.argv[1], float(sys.argv[2]), sys.argv[3]
faces = int(sys.argv[4]); jitter = len(sys.argv) > 5
widths = (16, 32, 64, 128, 160)
from latentroom.plugins.distill.jitter import Jitter
J = Jitter(13, 0.12, 3)
gen = torch.Generator().manual_seed(1)
model = Student(StudentConfig(widths=widths))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
def pairs(seed, n):
    p = sample_params(seed, n)
    return torch.from_numpy(to_model(render(p, 128))), torch.from_numpy(to_model(render(edit(p, attr, 1.0), 128)))
t = time.time(); step = 0
X, Y = pairs(777, faces) if faces else (None, None)
while time.time() - t < seconds:
    if faces:
        b = torch.randint(faces, (32,), generator=gen); x, y = X[b], Y[b]
    else:
        x, y = pairs(1000 + step, 32)
    if jitter:
        x, y = J.warp(J.draw(32, gen, 128), x, y)
    s = torch.full((32,), 3.0)
    loss = (model(x, s) - y).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step(); step += 1
    if step % 200 == 0:
        print(step, f"{loss.item():.6f}", f"{time.time()-t:.0f}s", flush=True)
p = sample_params(EVAL_SEED, 6)
x = torch.from_numpy(to_model(render(p, 128))); y = render(edit(p, attr, 1.0), 128)
with torch.no_grad():
    out = to_pixels(model(x, torch.full((6,), 3.0)).numpy())
print("steps", step, "psnr", (10 * np.log10(255**2 / ((out.astype(float) - y) ** 2).mean((1, 2, 3)))).round(1))
Image.fromarray(np.concatenate([np.concatenate(list(a), 0) for a in (to_pixels(x.numpy()), out, y)], 1)).save(f"truthtrain-{tag}.png")
torch.save(model.state_dict(), f"truthtrain-{tag}.pt")
