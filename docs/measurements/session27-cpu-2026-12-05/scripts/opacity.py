"""How much of the teacher's beard each bank student draws at t, on the held-out faces
the teacher changes strongly (pixels moved by more than 40 levels in a channel, faces
with over 200 of them): the student's change projected on the teacher's there
(1: all of it, 0: none), and the mean absolute error left. argv: tags (out-TAG.npy).
SHEET=TAG:FILE also writes input | TAG | teacher for its five least and three most
drawn faces."""
import os, sys
import numpy as np
from PIL import Image
x, t = np.load("input.npy").astype(float), np.load("teacher.npy").astype(float)
change = t - x
strong = np.abs(change).max(-1) > 40
faces = [i for i in range(len(x)) if strong[i].sum() > 200]
identity = np.mean([np.abs(change[i][strong[i]]).mean() for i in faces])
print(f"{len(faces)} faces; identity's error there {identity:.1f} levels")
for tag in sys.argv[1:]:
    out = np.load(f"out-{tag}.npy").astype(float)
    drawn = [float(((out[i] - x[i])[strong[i]] * change[i][strong[i]]).sum() / (change[i][strong[i]] ** 2).sum())
             for i in faces]
    error = np.mean([np.abs(out[i][strong[i]] - t[i][strong[i]]).mean() for i in faces])
    low = sorted(faces, key=lambda i: drawn[faces.index(i)])[:5]
    print(f"{tag}: drawn median {np.median(drawn):.2f} (10th-90th percentile {np.percentile(drawn, 10):.2f}-"
          f"{np.percentile(drawn, 90):.2f}), error {error:.1f} levels; least drawn on faces {low}")
    if os.environ.get("SHEET", "").partition(":")[0] == tag:
        order = sorted(faces, key=lambda i: drawn[faces.index(i)])
        rows = [np.concatenate([x[i], out[i], t[i]], 1) for i in order[:5] + order[-3:]]
        Image.fromarray(np.concatenate(rows, 0).astype(np.uint8)).save(os.environ["SHEET"].partition(":")[2],
                                                                        quality=75)
