"""Write the example photos the README applies presets to: held-out toyfaces renders.

The seed is far from every training seed (the GAN trains on seeds derived from 0,
the classifier and measurements use their own ranges), so these faces were never
seen by any shipped model. Usage: python scripts/make_examples.py [OUTDIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from latentroom.engine.atomic import atomic_write, atomic_write_text
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params

EXAMPLES_SEED = 424242
COUNT = 8


def main(outdir: Path) -> None:
    params = sample_params(EXAMPLES_SEED, COUNT)
    for i, pixels in enumerate(render(params)):
        atomic_write(outdir / f"face-{i:02d}.png", lambda f, p=pixels: Image.fromarray(p).save(f, format="PNG", optimize=True))
    lines = ["file," + ",".join(ATTRIBUTE_NAMES)]
    lines += [f"face-{i:02d}.png," + ",".join(f"{params[a][i]:.3f}" for a in ATTRIBUTE_NAMES) for i in range(COUNT)]
    atomic_write_text(outdir / "attributes.csv", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("examples"))
