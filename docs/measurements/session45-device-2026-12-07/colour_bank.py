"""Does the painting head's colour, the input's low-pass plus an offset, show what lies
under new hair? On session 41's encoder-read hair bank at 0.35 (bank-hair-enc35.pt),
session 40's painting student (matte_bank_train.py, LOSS=split, 3,000 steps, seed 0),
with its colour read one of two ways (COLOUR): `offset`, c = low(x) + o, as the head
is built; `absolute`, c = o, the head's own colour wherever it paints.
The bank is session 41's (session 24's bank.py with AMOUNT=0.35 and the bundled region:
session 42's README gives the command); BANK names it. train: argv train TAG STEPS; eval: argv eval SHEET.png TAG@COLOUR... (hardened by 8),
200 held-out renders as matte_bank_eval.py measures them (median share of the true change
beside the face, its 10th percentile, mean change outside), the sheet on the grey- and
white-haired faces among them."""
import os, sys, time
import numpy as np
import torch
from torch.nn import functional as F
from latentroom.plugins.distill.pairs import from_bytes
from latentroom.plugins.distill.student import Student, StudentConfig, low_pass
torch.set_num_threads(2)
LOW, HIGH, SCALE, STRENGTH = 0.06, 0.2, 12.0, 8.0


def paint(model, x, s, colour_mode, hardness=1.0):
    out = model.residual(x, s / SCALE)
    m = torch.sigmoid(hardness * out[:, :1])
    c = torch.clamp((low_pass(x) if colour_mode == "offset" else 0) + out[:, 1:], -1, 1)
    return x + m * (c - x), out[:, :1], c


def train(tag, steps, colour_mode):
    torch.manual_seed(0)
    bank = torch.load(os.environ.get("BANK", "bank-hair-enc35.pt")); X, Y = bank["x"], bank["y"]
    model = Student(StudentConfig(strength_scale=SCALE, head="smooth-flatten"))
    opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(5); start = time.time()
    s = torch.full((32,), STRENGTH)
    for step in range(1, steps + 1):
        b = torch.randint(len(X), (32,), generator=gen)
        x, y = (X[b].float(), Y[b].float()) if X.dtype == torch.float16 else (from_bytes(X[b]), from_bytes(Y[b]))
        target = ((((y - x) / 2).norm(dim=1, keepdim=True) - LOW) / (HIGH - LOW)).clamp(0, 1)
        out, logit, c = paint(model, x, s, colour_mode)
        cover = F.binary_cross_entropy_with_logits(logit, target)
        colour = (target * (c - y) ** 2).sum() / (3 * target.sum()).clamp(min=1)
        loss = cover + colour
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 200 == 0:
            print(step, f"image {F.mse_loss(out, y).item():.5f} cover {cover.item():.4f} colour {colour.item():.5f} {time.time() - start:.0f}s", flush=True)
    torch.save(model.state_dict(), f"{tag}.pt")


def run(spec, images):
    name, _, colour_mode = spec.partition("@")
    model = Student(StudentConfig(strength_scale=SCALE, head="smooth-flatten")); model.load_state_dict(torch.load(name)); model.eval()
    with torch.no_grad():
        t = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
        outs = [paint(model, t[i:i + 50], torch.full((len(t[i:i + 50]),), STRENGTH), colour_mode, 8.0)[0] for i in range(0, len(t), 50)]
    return ((torch.cat(outs).clamp(-1, 1) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()


def evaluate(sheet, specs):
    from PIL import Image
    from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
    params = sample_params(60000, 200)
    x = render(params, 128)
    truth = render(edit(params, "hair_length", 0.2305), 128).astype(float) - x
    t2 = (truth ** 2).sum(-1)
    beside = (t2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
    outside = t2 < 1
    grey = np.flatnonzero((params["age"] > 0.7) & (params["hair_length"] < 0.5))[:8]
    columns = [x[grey]]
    for spec in specs:
        out = run(spec, x)
        alpha = ((out - x) * truth).sum(-1) / np.maximum(t2, 1)
        print(f"{spec}: of the true change beside the face median {np.median(alpha[beside]):.3f}, "
              f"10th pct {np.percentile(alpha[beside], 10):.3f}; outside mean change {np.abs(out - x)[outside].mean():.2f}; "
              f"old faces {np.median(alpha[grey][beside[grey]]):.3f}", flush=True)
        columns.append(out[grey].astype(np.uint8))
    columns.append((x + truth)[grey].clip(0, 255).astype(np.uint8))
    rows = [np.concatenate([c[i] for c in columns], 1) for i in range(len(grey))]
    Image.fromarray(np.concatenate(rows, 0)).resize((128 * len(columns) * 2, 128 * len(grey) * 2), Image.LANCZOS).save(sheet)


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]), os.environ.get("COLOUR", "offset"))
    else:
        evaluate(sys.argv[2], sys.argv[3:])
