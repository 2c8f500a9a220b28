"""How the beard-without-mouth masks of beard-regions.sh were made (one-off, 2026-12-03)."""
import numpy as np
from PIL import Image

from latentroom.plugins.toyfaces.regions import dilate, footprint

beard = footprint("beard", 128) >= 0.01
smile = footprint("smile", 128)
Image.fromarray((beard * 255).astype("uint8"), "L").save("out/s13/beard-hard.png")
for share, grow in ((0.1, 0), (0.05, 1)):
    mouth = smile >= share
    mask = beard & ~(dilate(mouth, grow) if grow else mouth)
    Image.fromarray((mask * 255).astype("uint8"), "L").save(f"out/s13/beard-minus-smile-{share}-{grow}.png")
