"""Per-face faithfulness of a bank's teacher: its mean change (levels) over the region's
pixels the true edit leaves as they were (|truth - render| <= 2 in every channel), beside
the share of the truth's change it draws. argv: bank attr n seed out.npz"""
import sys
import numpy as np, torch
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
bank, attr, n, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
b = torch.load(bank); X, Y = b["x"].float().numpy(), b["y"].float().numpy()
to8 = lambda a: ((a + 1) * 127.5).clip(0, 255).transpose(0, 2, 3, 1)
region = attribute_region(attr, 128) > 0.5
rs, ts = [], []
for start in range(0, n, 64):
    p = sample_params(seed + start, min(64, n - start))
    rs.append(render(p, 128)); ts.append(render(edit(p, attr, 1.0), 128))
R, T = np.concatenate(rs).astype(np.float32), np.concatenate(ts).astype(np.float32)
change = np.abs(to8(Y) - to8(X)).max(-1)
kept = (np.abs(T - R).max(-1) <= 2) & region
moved = np.abs(T - R).max(-1) > 2
unfaithful = (change * kept).sum((1, 2)) / np.maximum(kept.sum((1, 2)), 1)
drawn = (change * moved).sum((1, 2)) / np.maximum(moved.sum((1, 2)), 1)
np.savez(out, unfaithful=unfaithful, drawn=drawn, truth_moves=moved.any((1, 2)))
m = moved.any((1, 2))
print("faces the truth moves", m.sum(), "unfaithful pct 10/25/50/75/90", np.percentile(unfaithful[m], [10, 25, 50, 75, 90]).round(1))
print("drawn pct", np.percentile(drawn[m], [10, 25, 50, 75, 90]).round(1))
print("corr", np.corrcoef(unfaithful[m], drawn[m])[0, 1])
