"""The judge's change of every other attribute on held-out renders that gain glasses at 2, for the
true edit, for the true edit as the encoder reads it (the reconstructions' change blended into the
glasses region: `GeneratorPath.transfer`, what any edit through this generator and encoder can at
best reach) and for a direction's teacher on the generator path. 120 renders, CPU.

    python docs/measurements/session18-h200-2026-12-04/glasses_eye_floor.py DIRECTION.json REGION.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from latentroom.engine.plugins import get_inverter
from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, TruthSet, truth_setup
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

IMAGES = 120


def main(direction_path: Path, region_path: Path) -> None:
    generator, judge, direction, region = truth_setup("cpu", direction_path, region_path)
    path = GeneratorPath(generator, get_inverter("encoder").value(generator, generator.device))
    truth = TruthSet.draw("glasses", 2.0, 0.0, judge, images=IMAGES)
    outputs = {"truth": truth.truths,
               "truth as the encoder reads it": path.transfer(truth.inputs, truth.truths, region),
               f"teacher ({direction_path.stem})": path.edit(direction, region)(truth.inputs, 2.0)}
    column = ATTRIBUTE_NAMES.index("glasses")
    others = [n for n in ATTRIBUTE_NAMES if n != "glasses"]
    print(f"{int(truth.lacked.sum())} of {IMAGES} renders gain glasses; the judge's change on them")
    print(f"{'':34}{'glasses':>8}{'others':>8} " + " ".join(f"{n[:9]:>9}" for n in others))
    for name, images in outputs.items():
        change = judge.predict(images)[truth.lacked] - truth.judge_inputs[truth.lacked]
        leak = np.abs(np.delete(change, column, axis=1)).mean(0)
        print(f"{name:34}{change[:, column].mean():+8.3f}{leak.mean():8.3f} " + " ".join(f"{v:9.3f}" for v in leak))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
