"""How sure is a found direction's leakage against the shipped one's? The same faces
as scripts/measure_text_directions.py (512, seed 777), both directions at the shipped
one's W+ distance at strength 2, then 2,000 bootstrap resamples of the faces (the same
resample for both): the spread of the target ratio and of the leakage difference.

    python docs/measurements/text-directions-h200-2026-12-03-c/paired_bootstrap.py \
        ATTRIBUTE FOUND.json [--samples 512] [--out OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
from measure_text_directions import SHIPPED, Bench, offset_norm  # noqa: E402

from latentroom.engine.direction import Direction  # noqa: E402
from latentroom.plugins.toyfaces import classifier as classifiers  # noqa: E402
from latentroom.plugins.toyfaces.generator import load_toyfaces  # noqa: E402
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES  # noqa: E402


def figures(change: np.ndarray, target: int) -> tuple[float, float]:
    """Mean target change and leakage (mean over the others of |mean change|)."""
    mean = change.mean(0)
    return float(mean[target]), float(np.abs(np.delete(mean, target)).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("attribute")
    ap.add_argument("found", type=Path)
    ap.add_argument("--samples", type=int, default=512)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(2)
    generator = load_toyfaces(None, "cpu")
    bench = Bench(generator, classifiers.load("cpu", arch="judge"), classifiers.load("cpu"), args.samples, 64)
    shipped, found = Direction.load(SHIPPED / f"{args.attribute}.json"), Direction.load(args.found)
    strengths = {"shipped": 2.0, "found": offset_norm(shipped, 2.0) / offset_norm(found, 1.0)}
    changes = {name: bench.read(d, strengths[name])[0] - bench.base_judge
               for name, d in (("shipped", shipped), ("found", found))}
    target = ATTRIBUTE_NAMES.index(args.attribute)
    draw = np.random.default_rng(0)
    ratios, leak_gaps = [], []
    for _ in range(args.resamples):
        pick = draw.integers(args.samples, size=args.samples)
        (ts, ls), (tf, lf) = (figures(changes[n][pick], target) for n in ("shipped", "found"))
        ratios.append(tf / ts)
        leak_gaps.append(lf - ls)
    (ts, ls), (tf, lf) = (figures(changes[n], target) for n in ("shipped", "found"))
    report = {"attribute": args.attribute, "found": str(args.found), "samples": args.samples,
              "ratio": tf / ts, "leak_found": lf, "leak_shipped": ls,
              "ratio_p5_p95": np.percentile(ratios, [5, 95]).tolist(),
              "leak_gap_p5_p95": np.percentile(leak_gaps, [5, 95]).tolist(),
              "share_found_leaks_less": float(np.mean(np.array(leak_gaps) < 0))}
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
