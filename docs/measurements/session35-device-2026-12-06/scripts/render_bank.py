"""Session 27's encoder-read beard bank with the renders as the student's inputs: for
each face, x = the render itself (session 24's bank.py draws the same faces: seed
7000 + start, 64 at a time), y = the render with the teacher's drawing pasted where the
teacher changed its own image, y = render + m (G(enc(truth)) - render), m the teacher's
change |Y - X| (matte_sup.py's coverage) ramped from LOW to HIGH.
argv: bank out [LOW HIGH] (defaults 0.06 0.2, in [-1, 1] units)."""
import sys
import torch
from matte_sup import coverage
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.renderer import render, sample_params
bank = torch.load(sys.argv[1]); X, Y = bank["x"].float(), bank["y"].float()
low, high = (float(v) for v in sys.argv[3:5]) if len(sys.argv) > 4 else (0.06, 0.2)
renders = torch.cat([torch.from_numpy(to_model(render(sample_params(7000 + s, min(64, len(X) - s)), 128)))
                     for s in range(0, len(X), 64)])
m = coverage(X, Y, low, high)
y = renders + m * (Y - renders)
print(f"faces {len(X)}; mean coverage {m.mean():.4f}; render vs encoder reading: mean |diff| "
      f"{(renders - X).abs().mean() * 127.5:.2f} levels")
torch.save({"x": renders.half(), "y": y.half(), "m": m.half()}, sys.argv[2])
