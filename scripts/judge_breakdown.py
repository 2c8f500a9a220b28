"""What a toyfaces preset's "judge others" figure is made of, attribute by attribute.

    python scripts/judge_breakdown.py presets/glasses [--strength 2] [--images 500]

The preset runs (ONNX Runtime, CPU) on the held-out renders the truth-based
evaluation uses (renderer seed 60,000 on), and so does the renderer's true edit of
the same faces (binary attributes switched on every face lacking them; a continuous
one moved by ``--amount`` on its 0-1 scale). The independent judge scores inputs,
outputs and truths; printed per attribute is the mean |change| of the judge's score,
for the preset and for the truth, split by whether a binary target was lacking or
already there. A perfect edit scores the truth's row: what a preset adds on top of
it is its own leakage.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    from latentroom.engine import load_preset
    from latentroom.plugins.toyfaces import classifier, renderer
    from latentroom.plugins.toyfaces.evaluate_preset import TruthSet

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset", type=Path)
    parser.add_argument("--strength", type=float, default=None, help="default: the preset's default strength")
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--amount", type=float, default=0.3, help="a continuous target's true move (0-1 scale)")
    args = parser.parse_args()

    preset = load_preset(args.preset)
    attribute = preset.manifest["provenance"]["attribute"]
    strength = preset.resolve_strength(args.strength)
    judge = classifier.load("cpu", arch="judge")
    truth = TruthSet.draw(attribute, strength, args.amount, judge, args.images, preset.resolution,
                          scale="renderer")
    # The model on the whole render, as `latentroom toyfaces evaluate` runs it.
    judge_outputs = judge.predict(preset.run(truth.inputs, strength))
    rows = {"preset": np.abs(judge_outputs - truth.judge_inputs),
            "truth": np.abs(truth.judge_truths - truth.judge_inputs)}
    groups = {"all faces": np.ones(args.images, bool)}
    if truth.lacked is not None:
        groups = {f"lacking {attribute}": truth.lacked, f"with {attribute}": ~truth.lacked}
    names = renderer.ATTRIBUTE_NAMES
    print(f"{args.preset} ({attribute}) at strength {strength:g}, {args.images} held-out renders")
    print(f"{'':32}" + " ".join(f"{n[:10]:>10}" for n in names))
    for group, mask in groups.items():
        for kind, changes in rows.items():
            print(f"{kind + ', ' + group + f' ({int(mask.sum())})':32}"
                  + " ".join(f"{v:10.3f}" for v in changes[mask].mean(0)))


if __name__ == "__main__":
    main()
