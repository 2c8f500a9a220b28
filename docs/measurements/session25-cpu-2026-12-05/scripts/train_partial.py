"""A layout-2 student on the encoder-read glasses bank, trained for a fixed time with
partial strengths drawn either as the generator's share of each face's offset
(latent) or as its whole edit faded in (fade); then measured at the truth strength
against the teacher's whole edit on held-out faces."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.distill.train import lr_at, pixel_distance
torch.set_num_threads(int(sys.argv[4])); torch.manual_seed(0)
bank_path, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
recipe = len(sys.argv) > 5 and sys.argv[5] == "recipe"
tag = mode + ("-recipe" if recipe else "")
jitter, gen = Jitter(13.0, 0.12, 3.0), torch.Generator().manual_seed(1)
bank = torch.load(bank_path)
x_all, y_all = bank["x"], bank["y"]
held = 64
n = len(x_all) - held
t_truth = 0.83
model = Student(StudentConfig(strength_scale=t_truth))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
start = time.time(); step = 0
while time.time() - start < seconds:
    b = torch.randint(n, (32,)); k = torch.randint(9, (32,))
    x = x_all[b].float()
    whole = y_all[b, 7].float()
    if mode == "latent":
        part = y_all[b, (k - 1).clamp(min=0)].float()
        y = torch.where((k > 0).reshape(-1, 1, 1, 1), part, x)
    else:
        y = x + (k / 8).reshape(-1, 1, 1, 1) * (whole - x)
    if recipe:
        x, y = jitter.warp(jitter.draw(32, gen, 128), x, y)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, 10**9, 2e-3, (time.time() - start) / seconds)
        loss = pixel_distance(model(x, k / 8 * t_truth), y, "relative", x)
    else:
        loss = (model(x, k / 8 * t_truth) - y).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step(); step += 1
    if step % 500 == 0:
        print(step, f"{loss.item():.6f}", f"{time.time()-start:.0f}s", flush=True)
x, y = x_all[n:].float(), y_all[n:, 7].float()
with torch.no_grad():
    out = model(x, torch.full((held,), t_truth))
    half = model(x, torch.full((held,), t_truth / 2))
psnr = psnr_where_edited(x.numpy(), y.numpy(), out.numpy())
ident = psnr_where_edited(x.numpy(), y.numpy(), x.numpy())
print(f"{tag}: steps {step}; student vs teacher at the truth strength, edited pixels {psnr:.2f} dB (identity {ident:.2f})", flush=True)
cols = (x[:8], out[:8], y[:8], half[:8])
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)).save(f"partial-{tag}.png")
torch.save(model.state_dict(), f"partial-{tag}.pt")
