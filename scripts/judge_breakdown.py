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


def judge_changes(judge, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Per face and attribute, the judge's |score change| between two uint8 image sets."""
    import torch

    from latentroom.plugins.distill.quality import to_model

    scores = [judge.predict(torch.from_numpy(to_model(images).astype(np.float32))) for images in (before, after)]
    return np.abs(scores[1] - scores[0])


def main() -> None:
    from latentroom.engine import load_preset
    from latentroom.plugins.toyfaces import classifier, renderer
    from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, truth_params

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset", type=Path)
    parser.add_argument("--strength", type=float, default=None, help="default: the preset's default strength")
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--amount", type=float, default=0.3, help="a continuous target's true move (0-1 scale)")
    args = parser.parse_args()

    preset = load_preset(args.preset)
    attribute = preset.manifest["provenance"]["attribute"]
    strength = preset.resolve_strength(args.strength)
    params = renderer.sample_params(EVAL_SEED, args.images)
    inputs = renderer.render(params, preset.resolution)
    # The model itself on the whole render, as the truth-based evaluation runs it.
    outputs = np.round(preset.run(inputs.astype(np.float32) / 255, strength) * 255).clip(0, 255).astype(np.uint8)
    truths = renderer.render(truth_params(params, attribute, strength, args.amount)[0], preset.resolution)
    judge = classifier.load("cpu", arch="judge")
    rows = {"preset": judge_changes(judge, inputs, outputs), "truth": judge_changes(judge, inputs, truths)}
    groups = {"all faces": np.ones(args.images, bool)}
    if renderer.ATTRIBUTE_SPECS[attribute].kind == "binary":
        lacked = params[attribute] < 0.5
        groups = {f"lacking {attribute}": lacked, f"with {attribute}": ~lacked}
    names = renderer.ATTRIBUTE_NAMES
    print(f"{args.preset} ({attribute}) at strength {strength:g}, {args.images} held-out renders")
    print(f"{'':32}" + " ".join(f"{n[:10]:>10}" for n in names))
    for group, mask in groups.items():
        for kind, changes in rows.items():
            print(f"{kind + ', ' + group + f' ({int(mask.sum())})':32}"
                  + " ".join(f"{v:10.3f}" for v in changes[mask].mean(0)))


if __name__ == "__main__":
    main()
