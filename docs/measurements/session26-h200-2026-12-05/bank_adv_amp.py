"""The adversarial term with the residual-amplified discriminator (db626d4) against
squared error alone, on session 25's encoder-read glasses bank: both continue session
25's fade student (partial-fade.pt, 3,870 steps) for the same steps on the same batches
(fade targets at shares k/8 of t), then at t on the 64 held-out faces: edited-pixel
PSNR to the teacher and the eye band. argv: steps, weight (0: squared error alone)."""
import sys, time
import numpy as np, torch
from PIL import Image
from latentroom.plugins.distill.discriminator import PatchDiscriminator, adversarial_loss, discriminator_loss
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(1); torch.manual_seed(0)
steps, weight = int(sys.argv[1]), float(sys.argv[2])
bank = torch.load("/work/scratch25/bank-glasses-interp.pt"); X, Y = bank["x"], bank["y"]
held, t_truth = 64, 0.83
n = len(X) - held
model = Student(StudentConfig(strength_scale=t_truth)); model.load_state_dict(torch.load("/work/scratch25/partial-fade.pt"))
opt = torch.optim.Adam(model.parameters(), 2e-4, betas=(0.9, 0.99))
disc = PatchDiscriminator() if weight else None
dopt = torch.optim.Adam(disc.parameters(), 5e-4, betas=(0.5, 0.99)) if disc else None
gen = torch.Generator().manual_seed(5); start = time.time()
for step in range(1, steps + 1):
    b = torch.randint(n, (32,), generator=gen); k = torch.randint(9, (32,), generator=gen)
    x = X[b].float(); y = x + (k / 8).reshape(-1, 1, 1, 1) * (Y[b, 7].float() - x)
    out = model(x, k / 8 * t_truth); pixel = (out - y).pow(2).mean(); loss = pixel
    if disc:
        adv = adversarial_loss(disc(x, out)); loss = loss + weight * adv
    opt.zero_grad(); loss.backward(); opt.step()
    if disc:
        d = discriminator_loss(disc(x, y), disc(x, out.detach())); dopt.zero_grad(); d.backward(); dopt.step()
    if step % 50 == 0:
        print(step, f"pixel {pixel.item():.5f}" + (f" adv {adv.item():.3f} d {d.item():.3f}" if disc else ""),
              f"{time.time() - start:.0f}s", flush=True)
x, y = X[n:].float(), Y[n:, 7].float()
with torch.no_grad():
    out = model(x, torch.full((held,), t_truth))
print(f"weight {weight:g}: {steps} steps; at t, held-out edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out.numpy()):.2f} dB "
      f"(identity {psnr_where_edited(x.numpy(), y.numpy(), x.numpy()):.2f})", flush=True)
np.save(f"out-w{weight:g}.npy", to_pixels(out[:8].numpy()))
np.save("teacher.npy", to_pixels(y[:8].numpy())); np.save("input.npy", to_pixels(x[:8].numpy()))
