"""Train a layout-2 student on a teacher bank for a fixed time; show held-out faces
(the render itself, and the generator's encoder reading of it) beside the truth."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
torch.set_num_threads(2); torch.manual_seed(0)
bank_path, seconds, tag = sys.argv[1], float(sys.argv[2]), sys.argv[3]
attr = bank_path.split("-")[1]
bank = torch.load(bank_path)
x_all, y_all = bank["x"].float(), bank["y"].float()
model = Student(StudentConfig())
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
t = time.time(); step = 0
while time.time() - t < seconds:
    b = torch.randint(len(x_all), (32,))
    loss = (model(x_all[b], torch.full((32,), 3.0)) - y_all[b]).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step(); step += 1
    if step % 500 == 0:
        print(step, f"{loss.item():.6f}", f"{time.time()-t:.0f}s", flush=True)
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
p = sample_params(EVAL_SEED, 6)
x = torch.from_numpy(to_model(render(p, 128))); truth = render(edit(p, attr, 1.0), 128)
with torch.no_grad():
    gx = g.synthesis(enc.invert(x), noise_mode="const").clamp(-1, 1)
    s = torch.full((6,), 3.0)
    out, gout = to_pixels(model(x, s).numpy()), to_pixels(model(gx, s).numpy())
print("steps", step, "psnr render->truth", (10 * np.log10(255**2 / ((out.astype(float) - truth) ** 2).mean((1, 2, 3)))).round(1))
cols = (to_pixels(x.numpy()), out, to_pixels(gx.numpy()), gout, truth)
Image.fromarray(np.concatenate([np.concatenate(list(a), 0) for a in cols], 1)).save(f"banktrain-{tag}.png")
torch.save(model.state_dict(), f"banktrain-{tag}.pt")
