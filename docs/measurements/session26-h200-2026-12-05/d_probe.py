"""Can the distillation's patch discriminator tell a teacher's glasses pair from a
student's? Fixed fakes: the session-25 latent student's outputs at t on the
encoder-read bank; reals: the teacher's whole edit. The repository's discriminator
(spectral norm on every conv) against the same with the edit's residual scaled by 10,
and without spectral norm; Adam at the author's D rate (2e-3 / 4), betas (0.5, 0.99)."""
import sys, time
import torch
from torch import nn
from latentroom.plugins.distill.discriminator import PatchDiscriminator, discriminator_loss
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(1); torch.manual_seed(0)
steps = int(sys.argv[1])
bank = torch.load("/work/scratch25/bank-glasses-interp.pt")
n = 512
x = bank["x"][:n].float(); y = bank["y"][:n, 7].float()
student = Student(StudentConfig(strength_scale=0.83)); student.load_state_dict(torch.load("/work/scratch25/partial-latent.pt"))
with torch.no_grad():
    fake = torch.cat([student(x[i:i + 64], torch.full((len(x[i:i + 64]),), 0.83)) for i in range(0, n, 64)])
print("mean |teacher - student| per pixel", (y - fake).abs().mean().item(), flush=True)

class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(6, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(128, 256, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(256, 1, 3, 1, 1))
    def forward(self, a, b):
        return self.net(torch.cat([a, b], 1))

# residual_gain=1.0: the discriminator as it was when this ran (it takes the residual
# times 10 itself since db626d4); the scaling is done here.
variants = {"repo (spectral norm)": (PatchDiscriminator(residual_gain=1.0), 1.0),
            "spectral norm, residual x10": (PatchDiscriminator(residual_gain=1.0), 10.0),
            "no spectral norm": (Plain(), 1.0)}
for name, (d, k) in variants.items():
    opt = torch.optim.Adam(d.parameters(), 2e-3 / 4, betas=(0.5, 0.99))
    t0 = time.time(); losses = []
    for step in range(steps):
        b = torch.randint(n, (16,))
        xb = x[b]
        real, fk = xb + k * (y[b] - xb), xb + k * (fake[b] - xb)
        loss = discriminator_loss(d(xb, real), d(xb, fk))
        opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
    print(f"{name}: D loss first 20 steps {sum(losses[:20]) / 20:.4f}, last 20 {sum(losses[-20:]) / 20:.4f} "
          f"(chance 1.3863) in {time.time() - t0:.0f}s", flush=True)
