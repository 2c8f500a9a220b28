"""A smooth-flatten student on the hair_length bank at strength 8, with or without an
input-texture augmentation: AUG=binomial takes a random share (0-1, per face) of the
input's finest texture (x less its 3x3 binomial blur: the generator's 2-pixel grid,
which renders lack) off both input and target, so the student also sees inputs clean
like a render's with the same change to make.
Constant lr 2e-3, batch 32, the squared error; run in the folder of hair_bank.py's
bank-hair.pt, writes TAG.pt. argv: tag steps; AUG (none), THREADS (1), SEED (0: the
init and the draws) from the environment."""
import os, sys, time
import torch
from latentroom.plugins.distill.pairs import from_bytes
from latentroom.plugins.distill.student import BinomialBlur, Student, StudentConfig
from latentroom.plugins.distill.train import pixel_distance
torch.set_num_threads(int(os.environ.get("THREADS", "1"))); seed = int(os.environ.get("SEED", "0")); torch.manual_seed(seed)
tag, steps = sys.argv[1], int(sys.argv[2])
aug = os.environ.get("AUG", "none")
bank = torch.load("bank-hair.pt"); X, Y = bank["x"], bank["y"]
model = Student(StudentConfig(strength_scale=12.0, head="smooth-flatten"))
opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
gen = torch.Generator().manual_seed(5 + seed); start = time.time()
s = torch.full((32,), 8.0)
blur = BinomialBlur()
for step in range(1, steps + 1):
    b = torch.randint(len(X), (32,), generator=gen)
    share = torch.rand(32, 1, 1, 1, generator=gen)
    x, y = from_bytes(X[b]), from_bytes(Y[b])
    if aug == "binomial":
        texture = share * (x - blur(x))
        x, y = x - texture, y - texture
    loss = pixel_distance(model(x, s), y, "mse", x)
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 200 == 0:
        print(step, f"mse {loss.item():.5f} {time.time() - start:.0f}s", flush=True)
torch.save(model.state_dict(), f"{tag}.pt")
