"""Crops of contact sheets side by side, enlarged: argv output PNG, box x0,y0,x1,y1 within a
128-px cell, scale, then SHEET:COLUMN for each column (six rows of 128-px faces)."""
import sys
from PIL import Image
out, box, scale = sys.argv[1], tuple(int(v) for v in sys.argv[2].split(',')), int(sys.argv[3])
cols = [a.split(':') for a in sys.argv[4:]]
w, h = box[2]-box[0], box[3]-box[1]
canvas = Image.new('RGB', (w*scale*len(cols), h*scale*6), 'white')
for c, (path, col) in enumerate(cols):
    im = Image.open(path).convert('RGB')
    for r in range(6):
        x0, y0 = int(col)*128 + box[0], r*128 + box[1]
        tile = im.crop((x0, y0, x0+w, y0+h)).resize((w*scale, h*scale), Image.NEAREST)
        canvas.paste(tile, (c*w*scale, r*h*scale))
canvas.save(out)
