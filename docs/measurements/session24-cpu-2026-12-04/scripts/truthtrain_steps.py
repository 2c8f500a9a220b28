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
attr, steps_total, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bf16 = tag.endswith('bf16')
widths = tuple(int(w) for w in sys.argv[4].split(",")) if len(sys.argv) > 4 else (16, 32, 64, 128, 160)
model = Student(StudentConfig(widths=widths))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
def pairs(seed, n):
    p = sample_params(seed, n)
    return torch.from_numpy(to_model(render(p, 128))), torch.from_numpy(to_model(render(edit(p, attr, 1.0), 128)))
t = time.time(); step = 0
while step < steps_total:
    x, y = pairs(1000 + step, 32)
    s = torch.full((32,), 3.0)
    with torch.autocast('cpu', torch.bfloat16, enabled=bf16):
        out = model(x, s).float()
    loss = (out - y).pow(2).mean()
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
