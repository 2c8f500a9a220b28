"""The independent judge's change of every attribute on held-out renders, on the
generator path through an inverter (blended into the region as `author`'s teacher is):
for the true edit, the true edit as the inverter reads it (`GeneratorPath.transfer`),
and a direction with a per-face correction read two ways: through the inverter it was
fitted through (its `reads`) and as the latents being edited (the inversion of the
render itself), with each one's region error. Binary attributes; session 18's
`glasses_eye_floor.py` with a device and both readings.

    python path_leak.py DIRECTION.json REGION.png --strength 2 [--inverter hybrid] [--images 200] [--device cuda]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np


def main() -> None:
    from latentroom.engine.plugins import get_inverter
    from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, TruthSet, truth_setup
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("direction", type=Path)
    parser.add_argument("region", type=Path)
    parser.add_argument("--strength", type=float, action="append", required=True)
    parser.add_argument("--inverter", default="hybrid")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    generator, judge, direction, region = truth_setup(args.device, args.direction, args.region)
    attribute, fitted = direction.attribute, direction.correction.reads
    own = dataclasses.replace(direction, correction=dataclasses.replace(direction.correction, reads=None))
    path = GeneratorPath(generator, get_inverter(args.inverter).value(generator, generator.device), batch_size=100)
    column = ATTRIBUTE_NAMES.index(attribute)
    others = [n for n in ATTRIBUTE_NAMES if n != attribute]
    for strength in args.strength:
        truth = TruthSet.draw(attribute, strength, 0.0, judge, images=args.images)
        outputs = {"truth": truth.truths,
                   f"truth as {args.inverter} reads it": path.transfer(truth.inputs, truth.truths, region),
                   f"teacher, read by {fitted}": path.edit(direction, region)(truth.inputs, strength),
                   "teacher, own latents": path.edit(own, region)(truth.inputs, strength)}
        print(f"\n{args.direction.name} at {strength:g} through {args.inverter}: {int(truth.lacked.sum())} of "
              f"{args.images} renders change; the judge's change on them; region error on all")
        print(f"{'':32}{'region':>8}{attribute[:8]:>8}{'others':>8} " + " ".join(f"{n[:9]:>9}" for n in others))
        for name, edited in outputs.items():
            change = judge.predict(edited)[truth.lacked] - truth.judge_inputs[truth.lacked]
            leak = np.abs(np.delete(change, column, axis=1)).mean(0)
            region_error = truth.measure(edited, judge).region_error
            print(f"{name:32}{region_error:8.3f}{change[:, column].mean():+8.3f}{leak.mean():8.3f} "
                  + " ".join(f"{v:9.3f}" for v in leak))


if __name__ == "__main__":
    main()
