"""Encoder readings of session 27's beard bank faces (session 24's bank.py beard 1536
7000): the W+ of each render and of its true beard edit, saved as W.pt (w0, w1)."""
import time
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
n, seed = 1536, 7000
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
w0s, w1s = [], []
t = time.time()
for start in range(0, n, 64):
    p = sample_params(seed + start, min(64, n - start))
    before = torch.from_numpy(to_model(render(p, 128)))
    truth = torch.from_numpy(to_model(render(edit(p, "beard", 1.0), 128)))
    with torch.no_grad():
        w0s.append(enc.invert(before)); w1s.append(enc.invert(truth))
    print(start, f"{time.time()-t:.0f}s", flush=True)
torch.save({"w0": torch.cat(w0s), "w1": torch.cat(w1s)}, "W.pt")
