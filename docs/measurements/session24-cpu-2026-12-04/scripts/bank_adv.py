"""The conditional patch discriminator against squared error alone, on real
generator-made pairs (the encoder bank), both continuing the bank student for the
same number of steps: does the adversarial term draw crisper frames?"""
import copy, sys, time
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.discriminator import PatchDiscriminator, adversarial_loss, discriminator_loss
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2); torch.manual_seed(0)
steps, weight = int(sys.argv[1]), float(sys.argv[2])
bank = torch.load("bank-glasses-enc.pt"); X, Y = bank["x"], bank["y"]
base = Student(StudentConfig()); base.load_state_dict(torch.load("banktrain-glasses-enc.pt"))
S = torch.full((32,), 3.0)

def run(model, disc):
    opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
    dopt = torch.optim.Adam(disc.parameters(), 2e-4, betas=(0.5, 0.99)) if disc else None
    gen = torch.Generator().manual_seed(5); t = time.time()
    for step in range(1, steps + 1):
        b = torch.randint(len(X), (32,), generator=gen); x, y = X[b].float(), Y[b].float()
        out = model(x, S); pixel = (out - y).pow(2).mean(); loss = pixel
        if disc:
            adv = adversarial_loss(disc(x, out)); loss = loss + weight * adv
        opt.zero_grad(); loss.backward(); opt.step()
        if disc:
            d = discriminator_loss(disc(x, y), disc(x, out.detach())); dopt.zero_grad(); d.backward(); dopt.step()
        if step % 100 == 0:
            print(step, f"pixel {pixel.item():.5f}" + (f" adv {adv.item():.3f} d {d.item():.3f}" if disc else ""), f"{time.time()-t:.0f}s", flush=True)
    return model

l2 = run(copy.deepcopy(base), None)
adv = run(copy.deepcopy(base), PatchDiscriminator())
g = resolve_generator("toyfaces", torch.device("cpu")); enc = get_inverter("encoder").value(g, g.device)
p = sample_params(55_555, 200); lack = np.flatnonzero(p["glasses"] < 0.5)[:48]; p = {k: v[lack] for k, v in p.items()}
region = torch.from_numpy(attribute_region("glasses", 128))[None, None]
with torch.no_grad():
    w0 = enc.invert(torch.from_numpy(to_model(render(p, 128)))); w1 = enc.invert(torch.from_numpy(to_model(render(edit(p, "glasses", 1.0), 128))))
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1); y = x + region * (g.synthesis(w1, noise_mode="const").clamp(-1, 1) - x)
    outs = {name: m(x, torch.full((len(x),), 3.0)) for name, m in (("before", base), ("l2", l2), ("adv", adv))}
for name, out in outs.items():
    print(f"{name}: vs its teacher, held-out edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out.numpy()):.2f} dB")
cols = [x[:6]] + [o[:6] for o in outs.values()] + [y[:6]]
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(c.numpy())), 0) for c in cols], 1)).save(f"bank-adv-w{weight:g}.png")
