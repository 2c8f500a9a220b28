"""How much hair the hair_length pairs' teacher makes: the judge's mean change of the
attribute between each held-out pair's two images (the training faces too), as author
draws them at the preset's strengths (the bundled region, latent partial edits, no
jitter). teacher_amount measures a direction's teacher the same way, and the shipped
direction preset is graded against the truth at that amount; a preset of latent pairs
is graded against the pairs' own amount (pairs_amounts). argv: direction.json pairs.npz
region.png strength...; BATCHES of 64 pairs per set (8). Written in session 43 for the
device (the pairs are made there)."""
import os, sys
from pathlib import Path
import numpy as np, torch
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.author import load_direction, load_region
from latentroom.plugins.distill.latent_pairs import load_latent_pairs
from latentroom.plugins.distill.pairs import FIT, HELD_OUT, PairSampler
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
generator = resolve_generator("toyfaces", device)
direction = load_direction(Path(sys.argv[1]), generator)
pairs = load_latent_pairs(Path(sys.argv[2]))
region = load_region(Path(sys.argv[3]), int(generator.size))[0]
strengths = [float(s) for s in sys.argv[4:]]
judge = load_network(device, arch="judge")
column = ATTRIBUTE_NAMES.index(direction.attribute)
sampler = PairSampler(generator, direction, (min(strengths), max(strengths)), region=region, pairs=pairs,
                      partial_edit="latent")
print("pairs", pairs.describe())
for strength in strengths:
    for name, stream in (("held-out", HELD_OUT), ("training", FIT)):
        changes = []
        for index in range(int(os.environ.get("BATCHES", "8"))):
            x, y, _ = sampler.batch(64, index, stream, strength=strength)
            changes.append(judge.predict(y.clamp(-1, 1))[:, column] - judge.predict(x.clamp(-1, 1))[:, column])
        change = np.concatenate(changes)
        print(f"strength {strength}: {name} faces, judge change {change.mean():.4f} (sd {change.std():.4f}, n {len(change)})",
              flush=True)
