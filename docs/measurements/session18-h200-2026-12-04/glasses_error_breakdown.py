"""Where a glasses preset's region error comes from, on the evaluation's 500 held-out renders at 2.

The true edit's changed pixels split into the frames (changed by more than 60 levels: the rings and
the bridge) and the rest (the faint lens tint over the eyes and skin); each part's error to the truth
as a share of the input's. Then the judge's eye-size reading on the faces that lacked glasses, by
quartile of their true eye size (the truth leaves it alone).

    python docs/measurements/session18-h200-2026-12-04/glasses_error_breakdown.py MODEL.onnx [...]
"""

from __future__ import annotations

import sys

import numpy as np

from latentroom.plugins.toyfaces.classifier import load
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, preset_edit, region_figures, truth_params
from latentroom.plugins.toyfaces.regions import changed_region
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params

FRAME_LEVELS = 60


def share(inputs: np.ndarray, outputs: np.ndarray, truths: np.ndarray, mask: np.ndarray) -> float:
    inside = np.broadcast_to(mask[..., None], inputs.shape)
    x, out, truth = (a.astype(np.float64) for a in (inputs, outputs, truths))
    return float(np.abs(out - truth)[inside].sum() / np.abs(x - truth)[inside].sum())


def main(models: list[str]) -> None:
    judge = load("cpu", arch="judge")
    params = sample_params(EVAL_SEED, 500)
    inputs = render(params, 128)
    edited, lacked = truth_params(params, "glasses", 2.0, 0.0)
    truths = render(edited, 128)
    region = changed_region(inputs, truths)
    frames = region & (np.abs(inputs.astype(int) - truths).max(-1) > FRAME_LEVELS)
    eye = ATTRIBUTE_NAMES.index("eye_size")
    sizes = params["eye_size"][lacked]
    edges = np.quantile(sizes, [0, 0.25, 0.5, 0.75, 1])
    quartile = np.clip(np.searchsorted(edges, sizes, side="right") - 1, 0, 3)
    print(f"frame pixels {frames.sum() / len(inputs):.1f} per face, the rest {(region & ~frames).sum() / len(inputs):.1f}")
    for model in models:
        outputs = preset_edit(open(model, "rb").read())(inputs, 2.0)
        moved = judge.predict(outputs)[lacked, eye] - judge.predict(inputs)[lacked, eye]
        print(f"{model}: region error {region_figures(inputs, outputs, truths)[0]:.3f}; "
              f"frames {share(inputs, outputs, truths, frames):.3f}, the rest {share(inputs, outputs, truths, region & ~frames):.3f}; "
              f"judge eye size by quartile of the true size {[round(float(moved[quartile == q].mean()), 3) for q in range(4)]}, "
              f"correlation {np.corrcoef(sizes, moved)[0, 1]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
