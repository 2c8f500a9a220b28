"""Student vs teacher on the pixels the teacher edits, for a preset authored before
``author`` recorded it (``psnr_edited_pixels``, docs/distillation.md).

    python scripts/edited_fidelity.py presets/beard --direction plugins/directions/shipped/beard-from-truth.json \\
        --region MASK.png [--pairs 256] [--strength S] [--no-gate]

Held-out teacher pairs are drawn the way ``author`` draws its own (seed 0, held-out
stream, truncation 0.9, the region blend and the presence gate), all at the preset's
default strength, on the CPU; the preset runs through ONNX Runtime.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    from latentroom.engine import load_preset
    from latentroom.plugins.distill.export import psnr_where_edited, run_onnx, session
    from latentroom.plugins.distill.gate import resolve_gate
    from latentroom.plugins.distill.pairs import HELD_OUT, PairSampler
    from latentroom.plugins.toyfaces.evaluate_preset import truth_setup

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset", type=Path)
    parser.add_argument("--direction", type=Path, required=True)
    parser.add_argument("--region", type=Path, default=None)
    parser.add_argument("--pairs", type=int, default=256)
    parser.add_argument("--strength", type=float, default=None, help="default: the preset's default strength")
    parser.add_argument("--no-gate", action="store_true", help="draw the teacher's pairs without the presence gate")
    args = parser.parse_args()

    preset = load_preset(args.preset)
    strength = preset.resolve_strength(args.strength)
    generator, _, direction, region = truth_setup("cpu", args.direction, args.region)
    gate, note = resolve_gate("off" if args.no_gate else "auto", None, generator, "toyfaces", direction.attribute, "cpu")
    sampler = PairSampler(generator, direction, (strength, strength), region=region, gate=gate)
    x, y, s = (t.numpy() for t in sampler.held_out(args.pairs, 32, HELD_OUT, strength=strength))
    out = run_onnx(session(preset.bundle.model_bytes), x, s)
    print(f"{args.preset} at strength {strength:g}, {args.pairs} held-out pairs, presence gate {note}: "
          f"{psnr_where_edited(x, y, out):.2f} dB on the edited pixels (identity {psnr_where_edited(x, y, x):.2f})")


if __name__ == "__main__":
    main()
