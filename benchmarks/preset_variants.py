"""Re-judge a bundled preset's ONNX variants on this machine's CPU.

``latentroom author`` picks fp32/fp16/int8 by CPU speed on the machine it runs on; the
bundled presets were authored on a GPU machine with ``--variants none``, so the
choice is made here, on the CPU presets are meant for, by the same rule
(:func:`latentroom.plugins.distill.export.choose_variant`: a variant ships only if it is at
least 1.10x fp32's img/s at batch 16 and at most 0.3 dB below fp32's
student-vs-teacher PSNR). Teacher pairs and calibration inputs come from the preset's
own generator and direction (held-out streams of seed 0, as ``author`` draws them).

Only int8 is judged from a bundle: fp16 is exported from the torch student, which a
bundle does not carry.

Usage::

    python benchmarks/preset_variants.py presets/smile [--pairs 64] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", type=Path, help="Preset bundle directory.")
    parser.add_argument("--pairs", type=int, default=64, help="Held-out teacher pairs (and calibration inputs).")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from latentroom.engine.plugins import resolve_generator
    from latentroom.engine.presets import read_bundle
    from latentroom.plugins.distill.author import load_direction
    from latentroom.plugins.distill.export import choose_variant
    from latentroom.plugins.distill.pairs import CALIBRATION, HELD_OUT, PairSampler

    bundle = read_bundle(args.preset)
    manifest = bundle.manifest
    distill = manifest["x-distill"]
    generator = resolve_generator(manifest["provenance"]["generator"], "cpu")
    direction = load_direction(ROOT / "plugins" / "directions" / "shipped" / distill["direction_file"], generator)
    strength = manifest["strength"]
    sampler = PairSampler(generator, direction, (strength["min"], strength["max"]),
                          distill["training"]["truncation"], distill["training"]["seed"])
    hx, hy, hs = sampler.held_out(args.pairs, 16, HELD_OUT)
    cx, _, cs = sampler.held_out(args.pairs, 16, CALIBRATION)
    report = choose_variant(None, bundle.model_bytes, int(generator.size), cx.numpy(), cs.numpy(),
                            hx.numpy(), hs.numpy(), hy.numpy(), variants=("int8",), repeats=args.repeats,
                            echo=print)
    result = {"preset": str(args.preset), "pairs": args.pairs, **report.summary()}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
