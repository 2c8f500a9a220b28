"""How far from perfect an edit can be and still meet the issue's region-error bar (<= 0.75).

The renderer's true edit of 500 held-out renders (the evaluation's seed), then the truth's own
change (truth - input) made a little imperfect: moved by a fraction of a pixel (bilinear), blurred
(Gaussian), or scaled. Each is scored by the evaluation's `region_figures`, as a preset's output is.
A figure above 0.75 means that even the true edit, so perturbed, fails the bar.

    python docs/measurements/session18-h200-2026-12-04/region_error_tolerance.py > OUT.txt
"""

from __future__ import annotations

import numpy as np

from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, region_figures, truth_params
from latentroom.plugins.toyfaces.renderer import render, sample_params

# The bundled presets' default strengths and, for continuous attributes, the true amount
# their manifests record (presets/NAME/preset.json, x-distill.quality.truth.truth_amounts).
CASES = (("glasses", 2.0, 0.0), ("beard", 3.0, 0.0), ("smile", 6.0, 0.24457), ("age", 3.0, 0.37230),
         ("hair_length", 8.0, 0.23049))


def shifted(change: np.ndarray, pixels: float) -> np.ndarray:
    """``change`` [N, H, W, 3] moved right by a fraction of a pixel (linear interpolation)."""
    whole = int(np.floor(pixels))
    part = pixels - whole
    moved = np.roll(change, whole, axis=2)
    return (1 - part) * moved + part * np.roll(moved, 1, axis=2)


def blurred(change: np.ndarray, sigma: float) -> np.ndarray:
    """``change`` blurred by a separable Gaussian (edges repeated)."""
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (1, 2):
        padded = np.pad(change, [(radius, radius) if a == axis else (0, 0) for a in range(4)], mode="edge")
        size = change.shape[axis]
        change = sum(t * np.take(padded, np.arange(k, k + size), axis=axis) for k, t in enumerate(taps))
    return change


def main() -> None:
    params = sample_params(EVAL_SEED, 500)
    inputs = render(params, 128)
    for attribute, strength, amount in CASES:
        edited, _ = truth_params(params, attribute, strength, amount)
        truths = render(edited, 128)
        change = truths.astype(np.float32) - inputs
        variants = {"truth": change, "identity": 0 * change}
        variants.update({f"moved {p:g} px": shifted(change, p) for p in (0.25, 0.5, 1.0)})
        variants.update({f"blurred sigma {s:g} px": blurred(change, s) for s in (0.5, 0.75, 1.0)})
        variants.update({f"scaled {k:g}": k * change for k in (0.5, 0.75)})
        for name, delta in variants.items():
            out = np.clip(np.rint(inputs + delta), 0, 255).astype(np.uint8)
            error, outside, _ = region_figures(inputs, out, truths)
            print(f"{attribute:12s} {name:22s} region error {error:.3f}  outside change {outside:.2f}")


if __name__ == "__main__":
    main()
