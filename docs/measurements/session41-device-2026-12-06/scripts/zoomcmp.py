"""A preset's column of the shipped truth sheet (docs/images/truth-sheet-NAME.png) | the
same column of a new author run's sheet | the truth, magnified (2x, or SCALE).
argv: name new-sheet.png out.png [SCALE]"""
import sys
from PIL import Image
name, new, out = sys.argv[1:4]
old = Image.open(f'docs/images/truth-sheet-{name}.png').convert('RGB')
new = Image.open(new).convert('RGB')
rows = old.height // 128
c = Image.new('RGB', (3 * 128, rows * 128))
for r in range(rows):
    box = (256, r * 128, 384, r * 128 + 128)
    c.paste(old.crop(box), (0, r * 128)); c.paste(new.crop(box), (128, r * 128))
    c.paste(old.crop((384, r * 128, 512, r * 128 + 128)), (256, r * 128))
s = int(sys.argv[4]) if len(sys.argv) > 4 else 2
c.resize((c.width * s, c.height * s), Image.NEAREST).save(out)
