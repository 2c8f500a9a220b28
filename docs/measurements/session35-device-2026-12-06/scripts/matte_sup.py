"""A matte head whose coverage is taught directly: the default student's backbone with a
2x2 transposed head writing a coverage logit, a colour and a residual,
    out = x + |s| sigmoid(a) (c - x) + s r,   c = low(x) + an offset,
trained on session 27's encoder-read beard bank (bank-beard-enc.pt in the working
folder; fade shares k/8 of t, as beard_adv.py) with the squared pixel error plus
MATTE_W * BCE(sigmoid(a), m*) and COLOUR_W * mean(m* |c - Y|), m* the teacher's change
|Y - X| (channel max, 5x5 box) ramped from 0.06 to 0.2. A student averaging faces whose
teacher draws the beard with faces whose teacher does not then averages coverage and
colour separately: a fill of the mean colour, not a mixture of beard and skin.
argv: steps lr tag; THREADS, MATTE_W (0.01), COLOUR_W (0.01) from the environment."""
import os, sys, time
import numpy as np, torch
from torch import nn
from torch.nn import functional as F
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig, low_pass

COVER_LOGIT = -4.0


class MatteStudent(Student):
    def __init__(self) -> None:
        super().__init__(StudentConfig(strength_scale=1.0))
        self.head = nn.ConvTranspose2d(self.config.widths[0], 7, 2, 2)
        nn.init.zeros_(self.head.weight); nn.init.zeros_(self.head.bias)
        with torch.no_grad():
            self.head.bias[0] = COVER_LOGIT

    def parts(self, image, strength):
        s_n = strength.reshape(-1).to(image.dtype)
        h = self.residual(image, s_n)
        return s_n[:, None, None, None], h[:, :1], low_pass(image) + h[:, 1:4], h[:, 4:]

    def forward(self, image, strength):
        return combine(image, *self.parts(image, strength))


def combine(image, s, a, c, r):
    return torch.clamp(image + s.abs() * torch.sigmoid(a) * (c - image) + s * r, -1.0, 1.0)


def coverage(X, Y, low=0.06, high=0.2):
    """The teacher's change |Y - X| (channel max, 5x5 box-blurred) ramped from low to high."""
    change = F.avg_pool2d((Y - X).abs().amax(1, keepdim=True), 5, 1, 2, count_include_pad=False)
    return ((change - low) / (high - low)).clamp(0, 1)


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("THREADS", "1"))); torch.manual_seed(0)
    steps, lr, tag = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    matte_w, colour_w = float(os.environ.get("MATTE_W", "0.01")), float(os.environ.get("COLOUR_W", "0.01"))
    bank = torch.load("bank-beard-enc.pt"); X, Y = bank["x"], bank["y"]
    held = 64; n = len(X) - held
    M = torch.cat([coverage(X[i:i + 256].float(), Y[i:i + 256].float()) for i in range(0, len(X), 256)]).half()
    train = torch.arange(n)
    model = MatteStudent()
    opt = torch.optim.Adam(model.parameters(), lr, betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(5); start = time.time()
    for step in range(1, steps + 1):
        b = train[torch.randint(len(train), (32,), generator=gen)]; k = torch.randint(9, (32,), generator=gen)
        x, yt, m = X[b].float(), Y[b].float(), M[b].float()
        s = k / 8; y = x + s.reshape(-1, 1, 1, 1) * (yt - x)
        sv, a, c, r = model.parts(x, s)
        out = combine(x, sv, a, c, r)
        pixel = (out - y).pow(2).mean()
        on = (k > 0).float().reshape(-1, 1, 1, 1)
        matte = (on * F.binary_cross_entropy_with_logits(a, m, reduction="none")).mean()
        colour = (m * (c - yt).abs()).mean()
        loss = pixel + matte_w * matte + colour_w * colour
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 100 == 0:
            print(step, f"pixel {pixel.item():.5f} matte {matte.item():.4f} colour {colour.item():.4f} "
                  f"cover {torch.sigmoid(a).mean().item():.3f} (target {m.mean().item():.3f})",
                  f"{time.time() - start:.0f}s", flush=True)
    x, y = X[n:].float(), Y[n:].float()
    with torch.no_grad():
        out = model(x, torch.ones(held))
    print(f"{tag}: {steps} steps; at t, held-out edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out.numpy()):.2f} dB "
          f"(identity {psnr_where_edited(x.numpy(), y.numpy(), x.numpy()):.2f})", flush=True)
    torch.save(model.state_dict(), f"{tag}.pt")
    np.save(f"out-{tag}.npy", to_pixels(out.numpy()))
