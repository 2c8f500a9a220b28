"""What a correction fitted through an inverter does on the pairs `author` learns from,
read three ways: through the inverter it was fitted through (`reads`, as the pair
sampler reads each sample today), through the encoder, and as the sample's own latent
(no inversion: what a pair sampler could afford on every step). For generator samples
drawn as `author` draws them (truncation 0.9, the region blend), at each strength:
how far each reading's edited latents lie from the fitted reading's (relative to that
edit's own size), and the independent judge's change of the target and of every other
attribute, split by whether the input shows the attribute (binary attributes).

    python correction_reads.py DIRECTION.json --region MASK.png --strength 2 [--strength -2]
        [--samples 256] [--device cuda]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    from latentroom.engine.plugins import get_inverter
    from latentroom.plugins.directions.edit import edit_latents, to_wplus
    from latentroom.plugins.directions.sampling import sample_w
    from latentroom.plugins.distill.pairs import DEFAULT_TRUNCATION
    from latentroom.plugins.toyfaces.evaluate_preset import truth_setup
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTE_SPECS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("direction", type=Path)
    parser.add_argument("--region", type=Path, default=None)
    parser.add_argument("--strength", type=float, action="append", required=True)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    generator, judge, direction, region = truth_setup(args.device, args.direction, args.region)
    fitted = direction.correction.reads
    device = generator.device
    ws = to_wplus(sample_w(generator, args.samples, 4321, DEFAULT_TRUNCATION), direction.n_latent)
    inverters = {name: get_inverter(name).value(generator, device) for name in dict.fromkeys([fitted, "encoder"])}

    def synth(latents: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return generator.synthesis(latents.to(device), noise_mode="const").float().clamp(-1, 1)

    xs = torch.cat([synth(ws[i:i + args.batch]) for i in range(0, len(ws), args.batch)])
    reads = {"own latent": ws.to(device)}
    for name, inverter in inverters.items():
        with torch.enable_grad():
            reads[name] = torch.cat([inverter.invert(xs[i:i + args.batch]).detach().float()
                                          for i in range(0, len(xs), args.batch)])
    judged_x = judge.predict(xs)
    column = ATTRIBUTE_NAMES.index(direction.attribute)
    others = [n for n in ATTRIBUTE_NAMES if n != direction.attribute]
    groups = {"all": np.ones(len(xs), bool)}
    if ATTRIBUTE_SPECS[direction.attribute].kind == "binary":
        groups = {"lacking": judged_x[:, column] < 0.5, "with": judged_x[:, column] >= 0.5}
    print(f"{args.direction} (fitted through {fitted}), {args.samples} generator samples, truncation "
          f"{DEFAULT_TRUNCATION}; judge changes x -> region-blended y")
    for strength in args.strength:
        edited = {name: edit_latents(ws.to(device), direction, strength, read) for name, read in reads.items()}
        own_move = (edited[fitted] - ws.to(device)).flatten(1).norm(dim=1)
        print(f"\nstrength {strength:g}: edit size (W+ norm) through {fitted} {own_move.mean():.3f}")
        print(f"{'read as':22}{'off ' + fitted:>10}{'group':>12}{'target':>8}{'others':>8} "
              + " ".join(f"{n[:9]:>9}" for n in others))
        for name, latents in edited.items():
            off = float(((latents - edited[fitted]).flatten(1).norm(dim=1) / own_move.clamp_min(1e-8)).mean())
            ys = torch.cat([synth(latents[i:i + args.batch]) for i in range(0, len(latents), args.batch)])
            if region is not None:
                ys = xs + region.to(device)[None, None] * (ys - xs)
            change = judge.predict(ys) - judged_x
            for group, mask in groups.items():
                leak = np.abs(np.delete(change[mask], column, axis=1))
                print(f"{name:22}{off:10.3f}{group + f' {int(mask.sum())}':>12}{change[mask, column].mean():+8.3f}"
                      f"{leak.mean():8.3f} " + " ".join(f"{v:9.3f}" for v in leak.mean(0)))


if __name__ == "__main__":
    main()
