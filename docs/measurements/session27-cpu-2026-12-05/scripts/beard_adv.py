"""The default student on an encoder-read beard bank (bank.py beard): fade shares k/8
of t, a pixel loss; from scratch (init '-') or continuing a saved state, with the
amplified adversarial term at `weight` (0: the pixel loss alone). Then at t on the 64
held-out faces: edited-pixel PSNR to the teacher; saves the state and outputs.
argv: init, steps, weight, lr, tag; THREADS (1), WIDTHS (the default student's) and
LOSS (author's --pixel-loss: mse, the default here, or relative) from the environment;
FULL=1 (added in session 32) trains at t only instead of the fade shares; HEAD (added in
session 33) picks the student's head, transposed by default as it ran."""
import os, sys, time
import numpy as np, torch
from latentroom.plugins.distill.discriminator import PatchDiscriminator, adversarial_loss, discriminator_loss
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.distill.train import pixel_distance
torch.set_num_threads(int(os.environ.get("THREADS", "1"))); torch.manual_seed(0)
init, steps, weight, lr, tag = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
bank = torch.load("bank-beard-enc.pt"); X, Y = bank["x"], bank["y"]
held, t_truth = 64, 1.0
n = len(X) - held
widths = tuple(int(v) for v in os.environ.get("WIDTHS", "16,32,64,128,160").split(","))
model = Student(StudentConfig(widths=widths, strength_scale=t_truth, head=os.environ.get("HEAD", "transposed")))
if init != "-":
    model.load_state_dict(torch.load(init))
opt = torch.optim.Adam(model.parameters(), lr, betas=(0.9, 0.99))
disc = PatchDiscriminator() if weight else None
dopt = torch.optim.Adam(disc.parameters(), 5e-4, betas=(0.5, 0.99)) if disc else None
gen = torch.Generator().manual_seed(5); start = time.time()
for step in range(1, steps + 1):
    b = torch.randint(n, (32,), generator=gen); k = torch.randint(9, (32,), generator=gen)
    if os.environ.get("FULL"):  # k is still drawn above, so the faces match the fade run's
        k = torch.full((32,), 8)
    x = X[b].float(); y = x + (k / 8).reshape(-1, 1, 1, 1) * (Y[b].float() - x)
    out = model(x, k / 8 * t_truth); pixel = pixel_distance(out, y, os.environ.get("LOSS", "mse"), x); loss = pixel
    if disc:
        adv = adversarial_loss(disc(x, out)); loss = loss + weight * adv
    opt.zero_grad(); loss.backward(); opt.step()
    if disc:
        d = discriminator_loss(disc(x, y), disc(x, out.detach())); dopt.zero_grad(); d.backward(); dopt.step()
    if step % 100 == 0:
        print(step, f"pixel {pixel.item():.5f}" + (f" adv {adv.item():.3f} d {d.item():.3f}" if disc else ""),
              f"{time.time() - start:.0f}s", flush=True)
x, y = X[n:].float(), Y[n:].float()
with torch.no_grad():
    out = model(x, torch.full((held,), t_truth))
print(f"{tag}: {steps} steps; at t, held-out edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out.numpy()):.2f} dB "
      f"(identity {psnr_where_edited(x.numpy(), y.numpy(), x.numpy()):.2f})", flush=True)
torch.save(model.state_dict(), f"{tag}.pt")
np.save(f"out-{tag}.npy", to_pixels(out.numpy()))
np.save("teacher.npy", to_pixels(y.numpy())); np.save("input.npy", to_pixels(x.numpy()))
