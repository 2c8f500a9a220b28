"""Lower faces of `toyfaces evaluate` sheets of the same renders, side by side at 2x:
input | each sheet's student | truth (input and truth from the first sheet). The sheet's
columns are input | preset | truth, one 128-pixel row per render.
argv: out.jpg rows (comma-separated, e.g. 0,2,4,5) sheet.png...; TOP and HEIGHT (added in
session 35; TOP=0 HEIGHT=128 for whole faces) from the environment, the crop as it ran
by default."""
import os, sys
from PIL import Image
out, rows, sheets = sys.argv[1], [int(r) for r in sys.argv[2].split(",")], [Image.open(p) for p in sys.argv[3:]]
# By default from just under the eyes to the shoulders.
TOP, HEIGHT = int(os.environ.get("TOP", "60")), int(os.environ.get("HEIGHT", "68"))


def tile(sheet: Image.Image, row: int, column: int) -> Image.Image:
    y = row * 128 + TOP
    return sheet.crop((column * 128, y, column * 128 + 128, y + HEIGHT))


columns = len(sheets) + 2
grid = Image.new("RGB", (columns * 128, len(rows) * HEIGHT))
for i, row in enumerate(rows):
    tiles = [tile(sheets[0], row, 0)] + [tile(s, row, 1) for s in sheets] + [tile(sheets[0], row, 2)]
    for j, t in enumerate(tiles):
        grid.paste(t, (j * 128, i * HEIGHT))
grid.resize((grid.width * 2, grid.height * 2), Image.LANCZOS).save(out, quality=80)
