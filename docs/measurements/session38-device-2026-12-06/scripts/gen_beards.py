"""Lower faces of the toyfaces generator's own samples, 3x nearest: does the generator
draw its beards with a dot texture? argv: out.png"""
import sys
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import resolve_generator
from latentroom.engine.image_output import to_pixels
generator = resolve_generator("toyfaces", torch.device("cpu"))
with torch.no_grad():
    z = torch.randn(48, generator.style_dim, generator=torch.Generator().manual_seed(11))
    w = generator.mapping(z, truncation=0.9)
    x = to_pixels(generator.synthesis(w[:, None].repeat(1, generator.n_latent, 1), noise_mode="const").clamp(-1, 1))
crops = [np.asarray(Image.fromarray(a[60:108, 32:96]).resize((192, 144), Image.NEAREST)) for a in x]
rows = [np.concatenate(crops[i:i + 6], 1) for i in range(0, 48, 6)]
Image.fromarray(np.concatenate(rows, 0)).save(sys.argv[1])
