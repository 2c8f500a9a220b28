"""A control for bank_misread.py: the same number of edited faces drawn at random (seed 0)
instead of the closest ones; unedited faces and the last 64 kept as there.
argv: bank.pt figures.npz levels out.pt"""
import sys
import numpy as np
import torch
bank_file, figures, levels, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
errors = np.load(figures)["errors"]
edited = errors >= 0
edited[-64:] = False
count = int((edited & (errors <= levels)).sum())
keep = ~edited
keep[np.random.default_rng(0).choice(np.flatnonzero(edited), count, replace=False)] = True
bank = torch.load(bank_file)
print(f"{count} edited faces drawn at random; bank {keep.sum()} of {len(keep)}")
torch.save({"x": bank["x"][torch.from_numpy(keep)], "y": bank["y"][torch.from_numpy(keep)]}, out)
