"""Teacher pairs from the encoder's reading of each render and of its true edit:
x = G(enc(render)), y = x + region * (G(enc(truth)) - x), for a CPU training bank.
argv: attribute count seed. From the environment (added in session 41 for hair_length's
bank; the defaults as it ran): AMOUNT, the true edit's amount (1.0); REGION, a region
mask file as `author --region` reads it (the attribute's own region); OUT, the bank's
file (bank-ATTRIBUTE-enc.pt); K (added in session 45; 1 as it ran before), the teacher's
latent along the read offset, y from G(w0 + K (w1 - w0)): `K=1.5 OUT=bank-beard-enc-k15.pt
python bank.py beard 1536 7000` made session 45's 1.5 t bank beside this one (K=1), 10 min."""
import os, sys, time
from pathlib import Path
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.stylegan2.fast import FastSynthesis, FastConfig
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
attr, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
fast = FastSynthesis(g, FastConfig(dtype=None, channels_last=True, modconv="input"))
amount = float(os.environ.get("AMOUNT", "1.0"))
K = float(os.environ.get("K", "1.0"))  # the teacher along the read offset: w0 + K (w1 - w0)
if "REGION" in os.environ:
    from latentroom.plugins.distill.author import load_region
    region = load_region(Path(os.environ["REGION"]), 128)[0][None, None]
else:
    region = torch.from_numpy(attribute_region(attr, 128))[None, None]
xs, ys = [], []
t = time.time()
for start in range(0, n, 64):
    p = sample_params(seed + start, min(64, n - start))
    before = torch.from_numpy(to_model(render(p, 128)))
    truth = torch.from_numpy(to_model(render(edit(p, attr, amount), 128)))
    with torch.no_grad():
        w0, w1 = enc.invert(before), enc.invert(truth)
        x = fast._eager(w0).clamp(-1, 1); y = fast._eager(w0 + K * (w1 - w0)).clamp(-1, 1)
    xs.append(x.half()); ys.append((x + region * (y - x)).half())
    print(start, f"{time.time()-t:.0f}s", flush=True)
torch.save({"x": torch.cat(xs), "y": torch.cat(ys)}, os.environ.get("OUT", f"bank-{attr}-enc.pt"))
