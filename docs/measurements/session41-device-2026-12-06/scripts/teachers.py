"""The two hair_length teachers side by side, 8 pairs each: the bundled direction's
(session 39's bank, strength 8) and the latent pairs' (hair-pairs-bank-call.sh's bank,
here a 16-face CPU find, 1.5 t): x | y | x | y per row, 2x.
argv: direction-bank.pt pairs-bank.pt out.png"""
import sys
import numpy as np, torch
from PIL import Image
a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2])
pick = lambda bank, k: bank[k][:8].permute(0, 2, 3, 1).numpy()
cols = [pick(a, "x"), pick(a, "y"), pick(b, "x"), pick(b, "y")]
grid = np.concatenate([np.concatenate([c[i] for c in cols], 1) for i in range(8)], 0)
Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(sys.argv[3])
