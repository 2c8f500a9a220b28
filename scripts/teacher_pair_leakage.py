"""What a teacher's own pairs teach, read by the independent judge: the change of the
target attribute and of every other one from ``x`` to the target ``y``, with and
without the presence gate (``author --presence-gate``).

    python scripts/teacher_pair_leakage.py plugins/directions/shipped/glasses-from-truth.json \\
        --strength 2 --region MASK.png [--samples 192] [--sheet PNG]

The pairs are drawn as ``author`` draws them on the toyfaces generator (truncation
0.9, the region blend), on the CPU, all at ``--strength``; they are split by whether
the judge sees the attribute on the input (binary attributes). No student is
involved: a preset cannot leak less than the pairs it learns from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    import torch

    from latentroom.plugins.distill.gate import resolve_gate
    from latentroom.plugins.distill.pairs import HELD_OUT, PairSampler, to_bytes
    from latentroom.plugins.toyfaces.evaluate_preset import truth_setup
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("direction", type=Path)
    parser.add_argument("--strength", type=float, required=True)
    parser.add_argument("--region", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=192)
    parser.add_argument("--sheet", type=Path, default=None, help="input | ungated target | gated target, 12 rows")
    args = parser.parse_args()

    generator, judge, direction, region = truth_setup("cpu", args.direction, args.region)
    attribute = direction.attribute
    gate, note = resolve_gate("auto", None, generator, "toyfaces", attribute, "cpu")
    strengths = (args.strength, args.strength)
    x, plain = PairSampler(generator, direction, strengths, region=region).held_out(args.samples, 32, HELD_OUT)[:2]
    targets = {"ungated": plain}
    if gate is not None:
        targets["gated"] = gate.target(x, plain, torch.full((len(x),), args.strength))

    def judged(images: torch.Tensor) -> np.ndarray:
        return judge.predict(to_bytes(images).permute(0, 2, 3, 1).numpy())

    column = ATTRIBUTE_NAMES.index(attribute)
    before = judged(x)
    groups = {"all": np.ones(len(x), bool)}
    if gate is not None:
        groups = {f"lacking {attribute}": before[:, column] < 0.5, f"with {attribute}": before[:, column] >= 0.5}
    others = [n for n in ATTRIBUTE_NAMES if n != attribute]
    print(f"{args.direction} at {args.strength:g}, {args.samples} generator samples, presence gate {note}")
    print(f"{'':34}{'target':>8}{'others':>8} " + " ".join(f"{n[:9]:>9}" for n in others))
    for kind, y in targets.items():
        change = judged(y) - before
        for group, mask in groups.items():
            leak = np.abs(np.delete(change[mask], column, axis=1))
            print(f"{kind + ', ' + group + f' ({int(mask.sum())})':34}{change[mask, column].mean():+8.3f}"
                  f"{leak.mean():8.3f} " + " ".join(f"{v:9.3f}" for v in leak.mean(0)))
        print(f"{kind + ', all others':34}{'':8}{np.abs(np.delete(change, column, axis=1)).mean():8.3f}")
    if args.sheet is not None:
        from PIL import Image

        columns = [to_bytes(t[:12]).permute(0, 2, 3, 1).numpy() for t in (x, *targets.values())]
        Image.fromarray(np.concatenate([np.concatenate(row, axis=1) for row in zip(*columns)])).save(args.sheet)


if __name__ == "__main__":
    main()
