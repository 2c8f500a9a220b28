"""Keep the bank's training faces whose teacher target reads as bearded (the toyfaces
classifier, the training scorer, not the judge): p(beard | y) >= THRESHOLD. Held-out
faces are kept as they are. argv: bank threshold out"""
import sys
import torch
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.directions.scoring import resolve_scorer, score_images
torch.set_num_threads(2)
bank = torch.load(sys.argv[1]); X, Y = bank["x"], bank["y"]
g = resolve_generator("toyfaces", torch.device("cpu"))
scorer = resolve_scorer(None, "cpu", g, "toyfaces", ["beard"])
def beard(images):
    return torch.cat([torch.as_tensor(score_images(scorer, images[i:i + 128].float())["beard"])
                      for i in range(0, len(images), 128)])
p, px = beard(Y), beard(X)
held = 64
train = torch.arange(len(X) - held)
keep = train[p[train] >= float(sys.argv[2])]
print(f"training faces {len(train)}: bearded inputs {int((px[train] >= 0.5).sum())}, teacher targets read as "
      f"bearded (p >= {sys.argv[2]}) {len(keep)}; p quantiles {p[train].float().quantile(torch.tensor([0.1, 0.25, 0.5])).tolist()}")
idx = torch.cat([keep, torch.arange(len(X) - held, len(X))])
torch.save({"x": X[idx], "y": Y[idx]}, sys.argv[3])
