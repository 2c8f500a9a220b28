"""Some rows of a contact sheet of 128-px tiles enlarged, as a JPEG.
argv: sheet PNG, rows ("0,2,4"), first pixel row of each tile kept, scale, output."""
import sys
import numpy as np
from PIL import Image
sheet = np.asarray(Image.open(sys.argv[1]).convert("RGB"))
rows, top, scale = [int(r) for r in sys.argv[2].split(",")], int(sys.argv[3]), float(sys.argv[4])
part = np.concatenate([sheet[128 * r + top:128 * (r + 1)] for r in rows], 0)
image = Image.fromarray(part)
image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS).save(sys.argv[5], quality=75)
