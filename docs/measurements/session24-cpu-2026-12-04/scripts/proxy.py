"""Proxy for a teacher whose frames vary in a way the input does not show: the truth's
change warped per face by a random scale and shift. L2 alone against L2 + the
conditional patch discriminator, from one L2-trained start."""
import sys, time, copy
import numpy as np, torch
from torch.nn import functional as F
from PIL import Image
from latentroom.plugins.distill.discriminator import PatchDiscriminator, adversarial_loss, discriminator_loss
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, edit, render, sample_params
torch.set_num_threads(2); torch.manual_seed(0)
attr = "glasses"; S = torch.full((32,), 3.0)

def noisy_pairs(seed, n, gen):
    p = sample_params(seed, n)
    x = torch.from_numpy(to_model(render(p, 128))); y = torch.from_numpy(to_model(render(edit(p, attr, 1.0), 128)))
    scale = 1 + 0.12 * (2 * torch.rand(n, generator=gen) - 1)
    shift = (2 * torch.rand(n, 2, generator=gen) - 1) * 2.0 / 64  # +-2 px in [-1, 1] units
    centre = torch.tensor([0.0, -0.08])  # about the eyes
    theta = torch.zeros(n, 2, 3); theta[:, 0, 0] = theta[:, 1, 1] = 1 / scale
    theta[:, :, 2] = centre - centre / scale[:, None] + shift
    grid = F.affine_grid(theta, (n, 3, 128, 128), align_corners=False)
    return x, x + F.grid_sample(y - x, grid, align_corners=False)

def train(model, seconds, seed0, disc=None, weight=0.0):
    opt = torch.optim.Adam(model.parameters(), 1e-3, betas=(0.9, 0.99))
    dopt = torch.optim.Adam(disc.parameters(), 2e-4, betas=(0.5, 0.99)) if disc else None
    gen = torch.Generator().manual_seed(seed0); t = time.time(); step = 0
    while time.time() - t < seconds:
        x, y = noisy_pairs(seed0 + step * 32, 32, gen)
        out = model(x, S); pixel = (out - y).pow(2).mean(); loss = pixel
        if disc:
            adv = adversarial_loss(disc(x, out)); loss = loss + weight * adv
        opt.zero_grad(); loss.backward(); opt.step()
        if disc:
            d = discriminator_loss(disc(x, y), disc(x, out.detach()))
            dopt.zero_grad(); d.backward(); dopt.step()
        step += 1
        if step % 200 == 0:
            print(step, f"pixel {pixel.item():.5f}" + (f" adv {adv.item():.3f} d {d.item():.3f}" if disc else ""), f"{time.time()-t:.0f}s", flush=True)
    return step

def show(models, tag):
    p = sample_params(EVAL_SEED, 200)
    lack = np.flatnonzero(attribute_matrix(p)[:, list(ATTRIBUTE_NAMES).index(attr)] < 0.5)[:64]
    p = {k: v[lack] for k, v in p.items()}
    x, y = to_model(render(p, 128)), to_model(render(edit(p, attr, 1.0), 128))
    cols = [x[:6]]
    for name, m in models.items():
        with torch.no_grad():
            out = m(torch.from_numpy(x), torch.full((len(x),), 3.0)).numpy()
        print(name, "edited-pixel psnr to truth", round(psnr_where_edited(x, y, out), 2))
        cols.append(out[:6])
    cols.append(y[:6])
    Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(c)), 0) for c in cols], 1)).save(f"proxy-{tag}.png")

phase1, phase2, weight = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
base = Student(StudentConfig()); print("L2 start", train(base, phase1, 10_000))
l2 = copy.deepcopy(base); print("L2 more", train(l2, phase2, 500_000))
adv = copy.deepcopy(base); print("L2+adv", train(adv, phase2, 500_000, PatchDiscriminator(), weight))
show({"l2": l2, "adv": adv}, f"w{weight:g}")
