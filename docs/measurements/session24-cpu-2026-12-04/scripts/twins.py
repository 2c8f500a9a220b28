"""Reading stability: the same face and its true edit, read twice with 2 levels of
pixel noise (invisible): how much does the teacher's change in the region differ
between the twins? Unstable readings are targets no student can predict."""
import sys, time
import numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, edit, render, sample_params
torch.set_num_threads(2)
attr, n, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device, lr=lr)
p = sample_params(EVAL_SEED + 1, 300)
lack = np.flatnonzero(attribute_matrix(p)[:, list(ATTRIBUTE_NAMES).index(attr)] < 0.5)[:n]
p = {k: v[lack] for k, v in p.items()}
r0, r1 = render(p, 128), render(edit(p, attr, 1.0), 128)
rng = np.random.default_rng(0)
noise = [rng.normal(0, 2, r0.shape) for _ in range(2)]
twin = lambda img, k: np.clip(img + noise[k], 0, 255).astype(np.uint8)
images = torch.from_numpy(to_model(np.concatenate([twin(r0, 0), twin(r1, 0), twin(r0, 1), twin(r1, 1)])))
region = torch.from_numpy(attribute_region(attr, 128))[None, None] > 0.5
syn = lambda w: g.synthesis(w, noise_mode="const").clamp(-1, 1).detach()
for name, read in (("encoder", hyb.encoder.invert), ("hybrid", hyb.invert)):
    t = time.time()
    w = read(images)
    with torch.no_grad():
        G = syn(w)
    a0, a1, b0, b1 = G.split(n)
    ca, cb = region * (a1 - a0), region * (b1 - b0)  # each twin's teacher change
    diff = ((ca - cb) ** 2).sum((1, 2, 3)) / (region.sum() * 3)
    size = ((ca ** 2).sum((1, 2, 3)) / (region.sum() * 3))
    print(f"{name} ({time.time()-t:.0f}s): twin-to-twin change psnr in region {(10 * torch.log10(4 / diff)).numpy().round(1)}; "
          f"change size psnr {(10 * torch.log10(4 / size)).numpy().round(1)}; input twins' reading psnr "
          f"{(10 * torch.log10(4 / ((a0 - b0) ** 2).mean((1, 2, 3)))).numpy().round(1)}", flush=True)
