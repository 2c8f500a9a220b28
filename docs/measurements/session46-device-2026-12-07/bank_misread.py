"""How far each face's teacher in session 24's encoder-read beard bank (bank.py beard 1536
7000, K=1) is from the face's own true edit: the mean absolute difference, in levels,
between the teacher's change (y - x) and the truth's (truth render - render) over the
pixels the truth changes by more than 8 levels. Faces the truth leaves alone (they have a
beard) get -1. Writes a filtered bank keeping those and the faces within LEVELS (and the
last 64, which matte_bank_train.py HELD=64 leaves out of training).
From the environment: ATTRIBUTE (beard) and AMOUNT (1.0), the bank's true edit (session
41's hair bank at 0.35: ATTRIBUTE=hair_length AMOUNT=0.35).
argv: bank.pt levels out.pt figures.npz"""
import os, sys
import numpy as np
import torch
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
bank_file, levels, out, figures = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
attribute, amount = os.environ.get("ATTRIBUTE", "beard"), float(os.environ.get("AMOUNT", "1.0"))
bank = torch.load(bank_file)
n, seed = len(bank["x"]), 7000
errors, hair = [], []
for start in range(0, n, 64):
    p = sample_params(seed + start, min(64, n - start))
    before, truth = render(p, 128).astype(np.float32), render(edit(p, attribute, amount), 128).astype(np.float32)
    true_change = truth - before
    x, y = bank["x"][start:start + len(before)].float(), bank["y"][start:start + len(before)].float()
    taught = ((y - x) * 127.5).permute(0, 2, 3, 1).numpy()
    for i in range(len(before)):
        moved = np.abs(true_change[i]).max(-1) > 8
        errors.append(np.abs(taught[i] - true_change[i])[moved].mean() if moved.sum() >= 20 else -1.0)
    hair.extend(p["hair_length"].tolist())
errors, hair = np.array(errors), np.array(hair)
edited = errors >= 0
keep = ~edited | (errors <= levels)
keep[-64:] = True  # the last 64 stay: matte_bank_train.py HELD=64 leaves them out of training
print(f"{edited.sum()} faces edited: median error {np.median(errors[edited]):.1f} levels "
      f"(quartiles {np.percentile(errors[edited], 25):.1f} / {np.percentile(errors[edited], 75):.1f}); "
      f"hair > 0.7: {np.median(errors[edited & (hair > 0.7)]):.1f}, <= 0.7: {np.median(errors[edited & (hair <= 0.7)]):.1f}")
train = edited & (np.arange(n) < n - 64)
print(f"within {levels:g} levels: {(keep & train).sum()} of the {train.sum()} edited faces it trains on kept "
      f"({(keep & train & (hair > 0.7)).sum()} of {(train & (hair > 0.7)).sum()} long-haired); bank {keep.sum()} of {n}")
np.savez(figures, errors=errors, hair=hair)
torch.save({"x": bank["x"][torch.from_numpy(keep)], "y": bank["y"][torch.from_numpy(keep)]}, out)
