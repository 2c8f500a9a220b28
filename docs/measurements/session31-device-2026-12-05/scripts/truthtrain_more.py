"""Session 24's truthtrain.py student continued: load STATE, train SECONDS more on the
renderer's own pairs (fresh faces each step, seeds after the first run's), then the same
six held-out renders. argv: attribute, state, seconds, tag."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
torch.set_num_threads(2); torch.manual_seed(1)
attr, state, seconds, tag = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
model = Student(StudentConfig())
model.load_state_dict(torch.load(state))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
def pairs(seed, n):
    p = sample_params(seed, n)
    return torch.from_numpy(to_model(render(p, 128))), torch.from_numpy(to_model(render(edit(p, attr, 1.0), 128)))
t = time.time(); step = 0
while time.time() - t < seconds:
    x, y = pairs(500_000 + step, 32)
    loss = (model(x, torch.full((32,), 3.0)) - y).pow(2).mean()
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
