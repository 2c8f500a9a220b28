"""How often a beard preset leaves a beard on at -3: every bearded face among 1,500 renders of each
of three renderer seeds, read by the judge (probability > 0.5 = still bearded).

    python docs/measurements/session18-h200-2026-12-04/removal_rates.py MODEL.onnx [...]
"""

from __future__ import annotations

import sys

from latentroom.plugins.toyfaces.classifier import load
from latentroom.plugins.toyfaces.evaluate_preset import APPEAR_PROBABILITY, preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params

SEEDS = (60123, 60000, 777)


def main(models: list[str]) -> None:
    judge = load("cpu", arch="judge")
    column = ATTRIBUTE_NAMES.index("beard")
    for seed in SEEDS:
        params = sample_params(seed, 1500)
        bearded = params["beard"] > 0.5
        faces = render({k: v[bearded] for k, v in params.items()}, 128)
        for model in models:
            edited = preset_edit(open(model, "rb").read())(faces, -3.0)
            left = judge.predict(edited)[:, column] > APPEAR_PROBABILITY
            print(f"seed {seed}, {bearded.sum()} bearded faces, {model}: a beard left on {left.mean():.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
