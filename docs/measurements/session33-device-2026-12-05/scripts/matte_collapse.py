"""A matte head on the pasted-truth bank (session 32's bank_truth_pasted.py output,
bank-beard-enc.pt in the working folder, as for session 27's beard_adv.py), at full
strength: out = x + |s| sigmoid(a) (c - x), a and c the 4-channel transposed head's output
(the flattening head's layout, its combine replaced here), optionally c = tanh(c) and/or
c plus a SMOOTH-box blur of the input. Prints the loss, the identity's loss and the mean
coverage inside and outside the pixels the target changes, every 100 steps.
argv: coverage start logit, SMOOTH (0: none), TANH (0/1), steps. Run in session 33 with
0 0 0, -4 8 0, 0 8 0 and 0 0 1 (400 steps each): the coverage fell to 0.000 (or stayed
at its start, 0.018) inside and outside alike."""
import sys, time, torch
from torch.nn import functional as F
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(2); torch.manual_seed(0)
bank = torch.load("bank-beard-enc.pt"); X, Y = bank["x"][:1400], bank["y"][:1400]
start, smooth, tanh, steps = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
model = Student(StudentConfig(strength_scale=1.0, head="flatten"))
with torch.no_grad():
    model.head.bias[0] = start


def matte(image, s_n, h):
    m = s_n[:, None, None, None].abs() * torch.sigmoid(h[:, :1])
    c = torch.tanh(h[:, 1:]) if tanh else h[:, 1:]
    if smooth:
        c = c + F.interpolate(F.avg_pool2d(image, smooth), scale_factor=smooth, mode="nearest")
    return torch.clamp(image + m * (c - image), -1, 1), m


opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
gen = torch.Generator().manual_seed(5); t0 = time.time()
for step in range(1, steps + 1):
    b = torch.randint(len(X), (32,), generator=gen)
    x = X[b].float(); y = Y[b].float(); s = torch.ones(32)
    out, m = matte(x, s, model.residual(x, s)); loss = ((out - y) ** 2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 100 == 0:
        edited = ((y - x).abs().amax(1, keepdim=True) > 0.05).float()
        print(step, f"{loss.item():.5f}", f"identity {((x - y) ** 2).mean():.5f}",
              f"coverage in {(m * edited).sum() / edited.sum():.3f} out {(m * (1 - edited)).sum() / (1 - edited).sum():.3f}",
              f"{time.time() - t0:.0f}s", flush=True)
