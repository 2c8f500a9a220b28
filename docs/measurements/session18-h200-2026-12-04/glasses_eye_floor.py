"""The judge's change of every other attribute on held-out renders that gain glasses at 2, for the
true edit, for the true edit as the encoder reads it (the reconstructions' change blended into the
glasses region: `GeneratorPath.transfer`, what any edit through this generator and encoder can at
best reach) and for a direction's teacher on the generator path, with each one's region error.
CPU; the inverter (default: the encoder) and the number of renders are arguments.

    python docs/measurements/session18-h200-2026-12-04/glasses_eye_floor.py DIRECTION.json REGION.png [INVERTER [IMAGES]]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from latentroom.engine.plugins import get_inverter
from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, TruthSet, truth_setup
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

def main(direction_path: Path, region_path: Path, inverter: str = "encoder", images: int = 120) -> None:
    generator, judge, direction, region = truth_setup("cpu", direction_path, region_path)
    path = GeneratorPath(generator, get_inverter(inverter).value(generator, generator.device))
    truth = TruthSet.draw("glasses", 2.0, 0.0, judge, images=images)
    outputs = {"truth": truth.truths,
               f"truth as the {inverter} reads it": path.transfer(truth.inputs, truth.truths, region),
               f"teacher ({direction_path.stem})": path.edit(direction, region)(truth.inputs, 2.0)}
    column = ATTRIBUTE_NAMES.index("glasses")
    others = [n for n in ATTRIBUTE_NAMES if n != "glasses"]
    print(f"{int(truth.lacked.sum())} of {images} renders gain glasses; the judge's change on them; region error on all")
    print(f"{'':34}{'region':>8}{'glasses':>8}{'others':>8} " + " ".join(f"{n[:9]:>9}" for n in others))
    for name, edited in outputs.items():
        change = judge.predict(edited)[truth.lacked] - truth.judge_inputs[truth.lacked]
        leak = np.abs(np.delete(change, column, axis=1)).mean(0)
        region_error = truth.measure(edited, judge).region_error
        print(f"{name:34}{region_error:8.3f}{change[:, column].mean():+8.3f}{leak.mean():8.3f} " + " ".join(f"{v:9.3f}" for v in leak))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4], *map(int, sys.argv[4:5]))
