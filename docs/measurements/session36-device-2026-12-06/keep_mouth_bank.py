"""Session 27's encoder-read beard bank with author --keep-mouth's targets: the mouth
corners found on each reading by the toyfaces aligner, then
latentroom.plugins.distill.mouth.keep_mouth (session 35's lips_bank.py laid the
reading's pixels over, grown by a pixel, round the render's own corners).
argv: bank out"""
import sys
import torch
from latentroom.engine.aligners import build_aligner
from latentroom.plugins.distill.mouth import MouthFinder, keep_mouth

bank = torch.load(sys.argv[1])
X, Y = bank["x"].float(), bank["y"].float()
finder = MouthFinder(build_aligner("toyfaces"), "toyfaces")
y = torch.cat([keep_mouth(X[i:i + 256], Y[i:i + 256], finder.corners(X[i:i + 256])) for i in range(0, len(X), 256)])
print(f"faces {len(X)}; {finder.report()}; targets changed on "
      f"{((y - Y).abs().amax(1) > 0.02).float().mean() * 100:.2f}% of the frame")
torch.save({"x": bank["x"], "y": y.half()}, sys.argv[2])
