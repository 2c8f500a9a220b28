"""A CPU bank of a latent-pairs teacher: N pairs drawn as `author` draws them from a pairs
file (PairSampler, the training stream, the latent path below the truth), every pair at
one strength, in a region, no jitter; uint8 [N, 3, R, R] x and y, as session 39's
bank-hair.pt. argv: direction.json pairs.npz region.png times-truth N out.pt
(strength = times-truth x the direction's truth strength)."""
import json, sys
from pathlib import Path
import torch
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.author import _load_pairs, load_direction, load_region
from latentroom.plugins.distill.pairs import PairSampler, to_bytes

direction_path, pairs_path, region_path, times, n, out = sys.argv[1:7]
device = "cuda" if torch.cuda.is_available() else "cpu"
generator = resolve_generator("toyfaces", device)
direction = load_direction(Path(direction_path), generator)
strength = float(times) * json.loads(Path(direction_path).read_text())["provenance"]["details"]["truth_strength"]
region, _ = load_region(Path(region_path), 128)
sampler = PairSampler(generator, direction, (strength, strength), region=region,
                      pairs=_load_pairs(Path(pairs_path), generator, direction), partial_edit="latent")
xs, ys = [], []
with torch.no_grad():
    for i in range(0, int(n), 64):
        x, y, _ = sampler.batch(64, i // 64)
        xs.append(to_bytes(x).cpu()); ys.append(to_bytes(y).cpu())
torch.save({"x": torch.cat(xs)[:int(n)], "y": torch.cat(ys)[:int(n)], "strength": strength}, out)
print(f"wrote {out}: {n} pairs at strength {strength:.4f} ({times} x the truth strength)")
