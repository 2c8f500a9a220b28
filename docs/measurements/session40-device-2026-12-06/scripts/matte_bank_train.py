"""Session 40's CPU bank for the painting head (author --head paint) on session 39's
hair_length bank (scripts/hair_bank.py there, bank-hair.pt): a painting student at strength 8: the smooth-flatten backbone's
four outputs read as a coverage logit a and a colour offset o; out = x + m (c - x), with
m = sigmoid(a) and c = low(x) + o. The coverage is taught directly (binary cross-entropy
against the teacher's change ramped from LOW to HIGH of its RGB norm, in 0-1 units), the
colour where the teacher changes the image, and the whole output by the squared error.
At inference the coverage can be hardened (sigmoid(K a)), so that where the teacher's
drawings differ the student paints all or nothing instead of their average.
Unlike the head as built afterwards, the colour here is clamped to [-1, 1] (harmless at
this learning rate; the head leaves it unclamped so its gradient never stops).
Run in the folder of bank-hair.pt, writes TAG.pt.
argv: tag steps; THREADS (2), SEED (0), LOSS (image), LOW (0.06), HIGH (0.2) from the environment.
BANK (bank-hair.pt), HELD (0: its last faces left out), STRENGTH (8) and SCALE (12), added
for session 24's encoder-read beard bank (bank.py beard 1536 7000: float16, the last 64
held out, strength 1 of 1): `BANK=bank-beard-enc.pt HELD=64 STRENGTH=1 SCALE=1`.
LOSS=flat (added in session 41) trains the plain smooth-flatten student on the squared
error instead, as session 39's grain_bank_train.py does, for a bank of any dtype.
Ran: `matte 3000` (THREADS 2); `LOSS=split THREADS=1 ... split 3000` beside
`LOSS=split LOW=0.1 HIGH=0.3 THREADS=1 ... split-high 3000` (about 25 min)."""
import os, sys, time
import numpy as np
import torch
from torch.nn import functional as F
from latentroom.plugins.distill.pairs import from_bytes
from latentroom.plugins.distill.student import Student, StudentConfig, low_pass
torch.set_num_threads(int(os.environ.get("THREADS", "2"))); seed = int(os.environ.get("SEED", "0")); torch.manual_seed(seed)
LOSS = os.environ.get("LOSS", "image")
BANK, HELD = os.environ.get("BANK", "bank-hair.pt"), int(os.environ.get("HELD", "0"))
STRENGTH, SCALE = float(os.environ.get("STRENGTH", "8")), float(os.environ.get("SCALE", "12"))
LOW, HIGH = float(os.environ.get("LOW", "0.06")), float(os.environ.get("HIGH", "0.2"))


def paint(model, x, s, hardness=1.0):
    out = model.residual(x, s / SCALE)
    m = torch.sigmoid(hardness * out[:, :1])
    c = torch.clamp(low_pass(x) + out[:, 1:], -1, 1)
    return x + m * (c - x), out[:, :1], c


def run_student(spec, images, strength):
    """uint8 renders [N, H, W, 3] through NAME.pt (a smooth-flatten student) or NAME.pt@K (a
    painting student hardened by K) at one strength of SCALE; the outputs in 0-255."""
    name, _, hard = spec.partition("@")
    model = Student(StudentConfig(strength_scale=SCALE, head="smooth-flatten")); model.load_state_dict(torch.load(name)); model.eval()
    outs = []
    with torch.no_grad():
        t = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
        for i in range(0, len(t), 50):
            s = torch.full((len(t[i:i + 50]),), float(strength))
            o = paint(model, t[i:i + 50], s, float(hard))[0] if hard else model(t[i:i + 50], s)
            outs.append(((o.clamp(-1, 1) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy())
    return np.concatenate(outs)


def coverage_target(x, y):
    change = ((y - x) / 2).norm(dim=1, keepdim=True)
    return ((change - LOW) / (HIGH - LOW)).clamp(0, 1)


if __name__ == "__main__":
    tag, steps = sys.argv[1], int(sys.argv[2])
    bank = torch.load(BANK); X, Y = bank["x"][:len(bank["x"]) - HELD], bank["y"][:len(bank["y"]) - HELD]
    model = Student(StudentConfig(strength_scale=SCALE, head="smooth-flatten"))
    opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(5 + seed); start = time.time()
    s = torch.full((32,), STRENGTH)
    for step in range(1, steps + 1):
        b = torch.randint(len(X), (32,), generator=gen)
        x, y = (X[b].float(), Y[b].float()) if X.dtype == torch.float16 else (from_bytes(X[b]), from_bytes(Y[b]))
        if LOSS == "flat":
            loss = F.mse_loss(model(x, s), y)
            shown = f"mse {loss.item():.5f}"
        else:
            target = coverage_target(x, y)
            out, logit, c = paint(model, x, s)
            image = F.mse_loss(out, y)
            cover = F.binary_cross_entropy_with_logits(logit, target)
            colour = (target * (c - y) ** 2).sum() / (3 * target.sum()).clamp(min=1)
            loss = image + 0.01 * cover + colour if LOSS == "image" else cover + colour
            shown = f"image {image.item():.5f} cover {cover.item():.4f} colour {colour.item():.5f}"
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 200 == 0:
            print(step, f"{shown} {time.time() - start:.0f}s", flush=True)
    torch.save(model.state_dict(), f"{tag}.pt")
