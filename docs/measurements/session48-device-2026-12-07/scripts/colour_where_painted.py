"""Where a student paints (its change > 40 levels) and the truth changes too (> 40), beside
the face: the mean |output - truth| (levels), and where the student paints but the truth
changes nothing (< 8): how many pixels per face. On paint_colour_eval.py's renders and
truth. argv: student.pt..."""
import os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paint_colour_eval as ev
for path in sys.argv[1:]:
    out = ev.run(path)
    moved = np.abs(out - ev.x).max(-1) > 40
    true_moved = np.abs(ev.change).max(-1)
    both = moved & (true_moved > 40) & (np.arange(128)[None, :, None] < 110)
    stray = moved & (true_moved < 8)
    print(f"{path}: painted pixels {moved.sum() / len(out):.0f}/face, of them where the truth changes {both.sum() / len(out):.0f}: "
          f"error to truth there {np.abs(out - ev.truth)[both].mean():.1f} levels; painted where the truth changes nothing {stray.sum() / len(out):.0f}/face")
