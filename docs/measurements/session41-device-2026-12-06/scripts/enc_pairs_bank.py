"""A CPU bank of hair_length pairs from each render's own true edit read by the encoder
(session 24's bank.py for hair_length, at one truth amount and in a region file):
x = G(enc(render)), y = x + region (G(enc(truth)) - x), float16, the shape of session
40's beard bank (matte_bank_train.py's BANK with HELD, STRENGTH and SCALE).
argv: region.png amount count seed out.pt"""
import sys, time
from pathlib import Path
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.stylegan2.fast import FastConfig, FastSynthesis
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
region_path, amount, n, seed, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
fast = FastSynthesis(g, FastConfig(dtype=None, channels_last=True, modconv="input"))
region = load_region(Path(region_path), 128)[0][None, None]
xs, ys, start_time = [], [], time.time()
for start in range(0, n, 64):
    p = sample_params(seed + start, min(64, n - start))
    before = torch.from_numpy(to_model(render(p, 128)))
    truth = torch.from_numpy(to_model(render(edit(p, "hair_length", amount), 128)))
    with torch.no_grad():
        x = fast._eager(enc.invert(before)).clamp(-1, 1)
        y = fast._eager(enc.invert(truth)).clamp(-1, 1)
    xs.append(x.half()); ys.append((x + region * (y - x)).half())
    print(start + len(x), f"{time.time() - start_time:.0f}s", flush=True)
torch.save({"x": torch.cat(xs), "y": torch.cat(ys)}, out)
