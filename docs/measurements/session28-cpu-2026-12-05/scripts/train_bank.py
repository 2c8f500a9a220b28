"""The default student on a bank (bank.py), squared error, fade shares k/8 of t, batch 32,
2e-3 for STEPS steps; variants from the environment: MASK=1 replaces the fixed region by
each face's own truth mask (pixels the true edit moves, grown GROW px, edge softened),
KEEP=q trains only on faces whose teacher's unfaithful change (faithful.py) is below its
q-quantile (and on the faces the truth leaves alone), TOL=k replaces the squared error by a
shift-tolerant one (each pixel against the closest pixel of the other image within k px,
both ways). Saves outputs at t on the held-out 64. argv: bank attr seed faith.npz tag"""
import os, sys, time
import numpy as np, torch
import torch.nn.functional as F
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(int(os.environ.get("THREADS", "1"))); torch.manual_seed(0)
bank, attr, seed, faith, tag = sys.argv[1:6]
steps, grow = int(os.environ.get("STEPS", "3000")), int(os.environ.get("GROW", "2"))
b = torch.load(bank); X, Y = b["x"], b["y"]
N, held = len(X), 64
n = N - held
if os.environ.get("MASK"):
    ms = []
    for start in range(0, N, 64):
        p = sample_params(int(seed) + start, min(64, N - start))
        a, t = render(p, 128).astype(np.int16), render(edit(p, attr, 1.0), 128).astype(np.int16)
        ms.append(torch.from_numpy(np.abs(a - t).max(-1) > 2).float())
    m = torch.cat(ms)[:, None]
    m = F.max_pool2d(m, 2 * grow + 1, 1, grow)
    m = F.avg_pool2d(m, 3, 1, 1)
    Y = (X.float() + m * (Y.float() - X.float())).half()
train = np.arange(n)
if os.environ.get("KEEP"):
    f = np.load(faith); q = float(os.environ["KEEP"])
    u, moves = f["unfaithful"][:n], f["truth_moves"][:n]
    limit = np.quantile(u[moves], q)
    train = train[~moves | (u <= limit)]
    print(f"training on {len(train)} of {n} faces (unfaithful <= {limit:.1f})", flush=True)
train = torch.from_numpy(train)
TOL = int(os.environ.get("TOL", "0"))


def nearest(a, b, k):
    """For each pixel of a, the pixel of b within k px closest to it (b's gradient kept)."""
    h, w = a.shape[-2:]
    bp = F.pad(b, (k, k, k, k), mode="replicate")
    with torch.no_grad():
        errs = torch.stack([((a - bp[..., dy:dy + h, dx:dx + w]) ** 2).sum(1)
                            for dy in range(2 * k + 1) for dx in range(2 * k + 1)])
        pick = errs.argmin(0)  # [B, H, W]
        dy, dx = pick // (2 * k + 1), pick % (2 * k + 1)
        rows = torch.arange(h).reshape(1, h, 1) + dy
        cols = torch.arange(w).reshape(1, 1, w) + dx
        index = (rows * (w + 2 * k) + cols).reshape(len(a), 1, h * w).expand(-1, a.shape[1], -1)
    return bp.flatten(2).gather(2, index).reshape(a.shape)


def loss_of(out, y):
    if not TOL:
        return F.mse_loss(out, y)
    return (F.mse_loss(out, nearest(out, y, TOL)) + F.mse_loss(y, nearest(y, out, TOL))) / 2
model = Student(StudentConfig(strength_scale=1.0))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
gen = torch.Generator().manual_seed(5); start = time.time()
for step in range(1, steps + 1):
    bi = train[torch.randint(len(train), (32,), generator=gen)]; k = torch.randint(9, (32,), generator=gen)
    x = X[bi].float(); y = x + (k / 8).reshape(-1, 1, 1, 1) * (Y[bi].float() - x)
    loss = loss_of(model(x, k / 8), y)
    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    if step % 500 == 0:
        print(step, f"{loss.item():.5f} {time.time() - start:.0f}s", flush=True)
x = X[n:].float()
with torch.no_grad():
    out = model(x, torch.ones(held))
np.save(f"out-{tag}.npy", to_pixels(out.numpy()))
np.save(f"teacher-{tag}.npy", to_pixels(Y[n:].float().numpy()))
torch.save(model.state_dict(), f"{tag}.pt")
print(tag, "done", f"{time.time() - start:.0f}s")
