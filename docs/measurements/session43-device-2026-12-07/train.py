"""A student (the bundled glasses head, strength 1 of 1) on a truth bank, its pairs
jittered as `author --jitter-shift 13 --jitter-scale 0.12 --jitter-rotate 3` does, with
the warp's interpolation MODE (none: no jitter; bilinear: as author did before session 43; bicubic: as
apply's face crop resamples). argv: mode steps out.pt; THREADS (1), SEED (0), BANK (bank.pt)."""
import os, sys, time
import torch
from torch.nn import functional as F
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.student import Student, StudentConfig
mode, steps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SEED = int(os.environ.get("SEED", "0"))
torch.set_num_threads(int(os.environ.get("THREADS", "1"))); torch.manual_seed(SEED)
bank = torch.load(os.environ.get("BANK", "bank.pt")); X, Y = bank["x"], bank["y"]
jitter = Jitter(13, 0.12, 3)
model = Student(StudentConfig(strength_scale=1.0))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
gen = torch.Generator().manual_seed(5 + SEED); s = torch.ones(32); t0 = time.time()


def warp(theta, *images):
    grid = F.affine_grid(theta, list(images[0].shape), align_corners=False)
    return tuple(F.grid_sample(i, grid, mode=mode, padding_mode="border", align_corners=False).clamp(-1, 1)
                 for i in images)


for step in range(1, steps + 1):
    b = torch.randint(len(X), (32,), generator=gen)
    x, y = X[b].float(), Y[b].float()
    if mode != "none":
        x, y = warp(jitter.draw(32, gen, 128), x, y)
    loss = F.mse_loss(model(x, s), y)
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 250 == 0:
        print(step, f"{loss.item():.5f} {time.time() - t0:.0f}s", flush=True)
torch.save(model.state_dict(), out)
