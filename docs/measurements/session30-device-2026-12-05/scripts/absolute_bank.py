"""Session 27's beard_adv.py with its pixel term taken as author --l1-start takes it once
switched: absolute errors, weighed as LOSS weighs pairs (relative: divided by the edit's
root mean square). argv and environment as beard_adv.py's; with weight 0 and a saved
base, the steps after an --l1-start switch."""
import functools
import runpy
from pathlib import Path

from latentroom.plugins.distill import train

train.pixel_distance = functools.partial(train.pixel_distance, absolute=True)
runpy.run_path(str(Path(__file__).resolve().parents[2] / "session27-cpu-2026-12-05/scripts/beard_adv.py"),
               run_name="__main__")
