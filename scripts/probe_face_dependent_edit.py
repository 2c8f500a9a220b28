"""Would a face-dependent edit reach the truth where one direction cannot? (issue 15)

    python scripts/probe_face_dependent_edit.py glasses --layers coarse --samples 600 \
        --images 100 --strength 2 [--inverter encoder] [--region MASK] [--out DIR]

Through the hybrid inverter the renderer's true edit, read face by face, meets the
region-error bar for smile and glasses (0.46, 0.54), while every single W+ direction
read off the same truth stays far from it (docs/distillation.md, session 16): the
glasses frames must scale with each face's eyes, and one offset cannot. This probe
fits the simplest face-dependent edit to the same inverted pairs and measures it
beside the direction, on held-out renders through the inverter:

1. renders and their true edit (``inverted-truth``'s training faces), both inverted;
2. the direction: the mean offset on ``--layers`` (what ``inverted-truth`` finds);
3. the correction: a ridge regression from the input's latent (its ``--components``
   leading principal components, the layers' mean) to each face's offset minus the
   direction, the penalty chosen on a held-out fifth of the pairs;
4. both edits at each ``--strength`` (the correction scaled with the strength, so at
   the strength of the true edit the prediction is the whole per-face offset),
   blended into ``--region`` as the author's teacher is, against the truth; the
   inverted truth is the reference. Figures, a contact sheet (input | direction |
   face-dependent | truth) and the fit go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from latentroom.engine.atomic import atomic_write_text
from latentroom.engine.devices import pick_torch_device
from latentroom.engine.direction import Direction, Provenance, parse_layers
from latentroom.engine.image_output import write_image_atomic
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.directions.edit import edit_latents
from latentroom.plugins.directions.sampling import std_along
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, contact_sheet, measure_methods
from latentroom.plugins.toyfaces.truth_direction import true_edit_renders

PENALTIES = (0.1, 1.0, 10.0, 100.0, 1000.0)


def inverted_pairs(generator, inverter, attribute: str, samples: int, seed: int, amount: float,
                   batch: int) -> tuple[np.ndarray, np.ndarray]:
    """W+ of renders and of their true edits, ``[N, L, D]`` each."""
    before, after = true_edit_renders(attribute, samples, seed, amount, int(generator.size))

    def invert(pixels: np.ndarray) -> np.ndarray:
        return np.concatenate([inverter.invert(torch.from_numpy(to_model(pixels[i:i + batch])).to(generator.device))
                               .float().cpu().numpy() for i in range(0, len(pixels), batch)])

    return invert(before), invert(after)


class Correction:
    """Per-face offset minus the direction's, predicted from the input latent's leading
    principal components by ridge regression (see the module docstring)."""

    def __init__(self, inputs: np.ndarray, residuals: np.ndarray, components: int, seed: int) -> None:
        x = inputs.astype(np.float64)
        self.x_mean = x.mean(0)
        _, _, vt = np.linalg.svd(x - self.x_mean, full_matrices=False)
        self.basis = vt[:components].T  # [D, k]
        z, y = (x - self.x_mean) @ self.basis, residuals.reshape(len(x), -1).astype(np.float64)
        order = np.random.default_rng(seed).permutation(len(x))
        held, fit = order[: len(x) // 5], order[len(x) // 5:]
        self.held_out_r2 = {p: _r2(y[held], self._solve(z[fit], y[fit], p), z[held]) for p in PENALTIES}
        self.penalty = max(self.held_out_r2, key=self.held_out_r2.get)
        self.coefficients = self._solve(z, y, self.penalty)
        self.shape = residuals.shape[1:]

    @staticmethod
    def _solve(z: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
        z_mean, y_mean = z.mean(0), y.mean(0)
        zc = z - z_mean
        weights = np.linalg.solve(zc.T @ zc + penalty * np.eye(zc.shape[1]), zc.T @ (y - y_mean))
        return weights, y_mean - z_mean @ weights

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.detach().cpu().double().numpy()
        weights, intercept = self.coefficients
        y = ((x - self.x_mean) @ self.basis) @ weights + intercept
        return torch.from_numpy(y.reshape(len(x), *self.shape)).to(inputs.device, inputs.dtype)


def _r2(y: np.ndarray, coefficients: tuple[np.ndarray, np.ndarray], z: np.ndarray) -> float:
    weights, intercept = coefficients
    error = ((y - (z @ weights + intercept)) ** 2).sum()
    return float(1.0 - error / ((y - y.mean(0)) ** 2).sum())


def mean_direction(generator, offsets: np.ndarray, layers: tuple[int, ...], attribute: str) -> Direction:
    """What ``inverted-truth`` finds from these pairs: the mean offset over the faces and
    ``layers``; its ``truth_strength`` (below) moves w by exactly that mean."""
    vector = offsets[:, list(layers)].mean((0, 1))
    return Direction.from_vector(vector, generator.n_latent, Provenance("probe-mean-offset", attribute),
                                 layers, std_along(generator, vector / np.linalg.norm(vector)))


def face_dependent_move(direction: Direction, correction: Correction, truth_strength: float):
    """``move(ws, strength)``: the direction's edit plus the predicted per-face residual,
    scaled with the strength, so that ``truth_strength`` adds the whole predicted offset."""
    index = torch.tensor(direction.layers)

    def move(ws: torch.Tensor, strength: float) -> torch.Tensor:
        out = edit_latents(ws, direction, strength)
        out[:, index] = out[:, index] + (strength / truth_strength) * correction(ws[:, index].mean(1))
        return out

    return move


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("attribute")
    ap.add_argument("--layers", default="coarse")
    ap.add_argument("--samples", type=int, default=600, help="rendered faces for the fit")
    ap.add_argument("--amount", type=float, default=0.35, help="a continuous attribute's true move")
    ap.add_argument("--components", type=int, default=32)
    ap.add_argument("--inverter", default="encoder")
    ap.add_argument("--region", type=Path, default=None)
    ap.add_argument("--strength", type=float, action="append", required=True)
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--amount-samples", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("out/face-dependent"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    device = pick_torch_device(args.device)
    generator = resolve_generator("toyfaces", device)
    inverter = get_inverter(args.inverter).value(generator, device)
    layers = parse_layers(args.layers, generator.n_latent)

    before, after = inverted_pairs(generator, inverter, args.attribute, args.samples, args.seed, args.amount, args.batch)
    offsets = (after - before)[:, list(layers)]  # [N, L, D]
    direction = mean_direction(generator, after - before, layers, args.attribute)
    mean = offsets.mean((0, 1))
    truth_strength = float(np.linalg.norm(mean)) / direction.scale
    correction = Correction(before[:, list(layers)].mean(1), offsets - mean, args.components, args.seed)
    fit = {"pairs": len(offsets), "penalty": correction.penalty, "held_out_r2": correction.held_out_r2,
           "truth_strength": truth_strength, "seconds": time.time() - started}
    print(f"fit: {json.dumps(fit)}", flush=True)

    path = GeneratorPath(generator, inverter, args.batch)
    region = None if args.region is None else load_region(args.region, int(generator.size))[0]
    judge = load_network(device, arch="judge")
    methods = {"direction": path.edit(direction, region),
               "face_dependent": path.latent_edit(face_dependent_move(direction, correction, truth_strength), region)}
    figures, amounts, truth, outputs = measure_methods(methods, direction, args.strength, generator, judge, region,
                                                       args.images, args.amount_samples, lambda line: print(line, flush=True))
    figures["inverted_truth"] = {f"{args.strength[0]:g}": truth.measure(path.transfer(truth.inputs, truth.truths, region),
                                                                        judge)}
    report = {"command": "python scripts/probe_face_dependent_edit.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "fit": fit, "amounts": amounts, "seconds": time.time() - started,
              "figures": {m: {s: f.to_json() for s, f in row.items()} for m, row in figures.items()}}
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / f"{args.attribute}.json", json.dumps(report, indent=2) + "\n")
    write_image_atomic(contact_sheet([truth.inputs, outputs["direction"], outputs["face_dependent"], truth.truths]),
                       args.out / f"{args.attribute}.png")
    for method, row in figures.items():
        for strength, f in row.items():
            print(f"{method} @ {strength}: " + "  ".join(f"{k} {v:g}" for k, v in f.to_json().items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
