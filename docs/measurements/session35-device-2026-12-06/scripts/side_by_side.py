"""Whole faces of `toyfaces evaluate` sheets of the same renders side by side: input |
each sheet's student | truth (input and truth from the first sheet). The sheet's
columns are input | preset | truth, one 128-pixel row per render.
argv: out.png rows (comma-separated) sheet.png..."""
import sys
from PIL import Image
out, rows, sheets = sys.argv[1], [int(r) for r in sys.argv[2].split(",")], [Image.open(p) for p in sys.argv[3:]]
columns = len(sheets) + 2
grid = Image.new("RGB", (columns * 128, len(rows) * 128))
for i, row in enumerate(rows):
    cells = [(sheets[0], 0)] + [(s, 1) for s in sheets] + [(sheets[0], 2)]
    for j, (sheet, column) in enumerate(cells):
        grid.paste(sheet.crop((column * 128, row * 128, column * 128 + 128, row * 128 + 128)), (j * 128, i * 128))
grid.save(out)
