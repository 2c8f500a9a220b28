"""input | shipped (applied) | new (applied) | shipped's truth | new's truth: cells of two
truth sheets of the same renders (author --sheet: input | generator path | preset as
applied | truth). argv: old.png new.png out.png [scale] [rows a,b]"""
import sys
from PIL import Image
old, new = (Image.open(p).convert('RGB') for p in sys.argv[1:3])
scale = int(sys.argv[4]) if len(sys.argv) > 4 else 2
a, b = (int(v) for v in (sys.argv[5] if len(sys.argv) > 5 else "0,6").split(","))
cells = [(old, 0), (old, 2), (new, 2), (old, 3), (new, 3)]
c = Image.new('RGB', (len(cells) * 128, (b - a) * 128))
for r in range(a, b):
    for k, (sheet, col) in enumerate(cells):
        c.paste(sheet.crop((col * 128, r * 128, col * 128 + 128, r * 128 + 128)), (k * 128, (r - a) * 128))
c.resize((c.width * scale, c.height * scale), Image.LANCZOS).save(sys.argv[3])
