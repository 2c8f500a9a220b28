"""A hair_length bank for grain_bank_train.py: N generator samples and the bundled row's
teacher at strength 8 in its region (PairSampler, as author draws them, stream 11),
uint8; 1,024 took 365 s on this CPU. From the repository root, with the region at
/tmp/hair-region.png (`latentroom toyfaces region hair_length --share=0.2 --feather=0
-o /tmp/hair-region.png`). argv: N out.pt"""
import sys, time
from pathlib import Path
import torch
from latentroom.engine.direction import Direction
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.pairs import PairSampler, to_bytes
torch.set_num_threads(2)
n, out = int(sys.argv[1]), sys.argv[2]
region, _ = load_region(Path("/tmp/hair-region.png"), 128)
sampler = PairSampler(resolve_generator("toyfaces", "cpu"), Direction.load("plugins/directions/shipped/hair_length.json"), (8, 8), region=region)
xs, ys = [], []
start = time.time()
with torch.no_grad():
    for i in range(0, n, 64):
        x, y, _ = sampler.batch(64, i // 64, stream=11)
        xs.append(to_bytes(x)); ys.append(to_bytes(y))
        print(i + 64, f"{time.time() - start:.0f}s", flush=True)
torch.save({"x": torch.cat(xs)[:n], "y": torch.cat(ys)[:n]}, out)
