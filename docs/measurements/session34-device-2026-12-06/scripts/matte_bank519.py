"""Session 32's matte (author --matte as at commit 519ed7e) applied to a bank's targets, so a
bank student can be trained on them after the option was removed. matte519.py beside this
script is that commit's module: git show 519ed7e:plugins/distill/matte.py > matte519.py
argv: bank out"""
import sys, time
import torch
from matte519 import Matte
torch.set_num_threads(2)
bank = torch.load(sys.argv[1]); X, Y = bank["x"], bank["y"]
m, out, t = Matte(), [], time.time()
with torch.no_grad():
    for i in range(0, len(X), 64):
        x, y = X[i:i + 64].float(), Y[i:i + 64].float()
        out.append(m.target(x, y).half())
torch.save({"x": X, "y": torch.cat(out)}, sys.argv[2])
print(f"{len(X)} targets in {time.time() - t:.0f}s; matte {m.describe()}")
