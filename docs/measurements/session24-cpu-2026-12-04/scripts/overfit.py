"""Can the layout-2 student draw crisp thin rings at all? Memorise a few truth pairs."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params, attribute_matrix, ATTRIBUTE_NAMES
torch.set_num_threads(2); torch.manual_seed(0)
n, steps = int(sys.argv[1]), int(sys.argv[2])
widths = tuple(int(w) for w in sys.argv[3].split(","))
params = sample_params(123, 400)
lack = attribute_matrix(params)[:, list(ATTRIBUTE_NAMES).index("glasses")] < 0.5
idx = np.flatnonzero(lack)[:n]
chosen = {k: v[idx] for k, v in params.items()}
x = torch.from_numpy(to_model(render(chosen, 128))); y = torch.from_numpy(to_model(render(edit(chosen, "glasses", 1.0), 128)))
s = torch.full((n,), 3.0)
model = Student(StudentConfig(widths=widths))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
t = time.time()
for step in range(steps):
    b = torch.randint(n, (min(n, 16),))
    loss = (model(x[b], s[b]) - y[b]).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 200 == 0 or step == steps - 1:
        print(step, f"{loss.item():.6f}", f"{time.time()-t:.0f}s", flush=True)
with torch.no_grad():
    out = model(x[:6], s[:6])
mse = (out - y[:6]).pow(2).mean((1, 2, 3))
print("psnr", (10 * torch.log10(4 / mse)).numpy().round(1))
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(a.numpy())), 0) for a in (x[:6], out, y[:6])], 1)).save(f"overfit-{n}-{sys.argv[3]}.png")
