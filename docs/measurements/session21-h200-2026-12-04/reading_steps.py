"""Does a longer hybrid reading give glasses where the pairs' teacher draws none?

The glasses pairs' teacher is each face's true edit read through the `hybrid` inverter
(encoder + 32 projector steps). On held-out renders (renderer seed 60,000 on, as
`toyfaces evaluate`), the faces without glasses get their true edit, which is read
through the hybrid and regenerated; the judge says whether the reconstruction wears
glasses (p > 0.5). The faces it misses at 32 steps, and as many it does not miss, are
read again with more steps.

    python reading_steps.py [FACES] [STEPS...]      # defaults: 100 renders, 96 and 200 steps
"""

from __future__ import annotations

import sys

import numpy as np
import torch


def rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in values]


def main(faces: int = 100, longer: tuple[int, ...] = (96, 200)) -> None:
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.distill.quality import to_model
    from latentroom.plugins.toyfaces.classifier import load as load_network
    from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params

    generator = resolve_generator("toyfaces", torch.device("cpu"))
    judge = load_network("cpu", arch="judge")
    column = ATTRIBUTE_NAMES.index("glasses")
    params = sample_params(EVAL_SEED, faces)
    lacking = np.flatnonzero(params["glasses"] <= 0.5)
    chosen = {k: v[lacking] for k, v in params.items()}
    truth = render(edit(chosen, "glasses", 1.0), int(generator.size))

    def worn(indices: np.ndarray, steps: int) -> np.ndarray:
        inverter = get_inverter("hybrid").value(generator, generator.device, steps=steps)
        ws = inverter.invert(torch.from_numpy(to_model(truth[indices])))
        with torch.no_grad():
            recon = generator.synthesis(ws, noise_mode="const").clamp(-1, 1)
        pixels = ((recon.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
        return judge.predict(pixels)[:, column]

    truth_p = judge.predict(truth)[:, column]
    print(f"{len(lacking)} of {faces} renders lack glasses; the judge sees them on {np.mean(truth_p > 0.5):.3f} "
          "of their true edits", flush=True)
    everyone = np.arange(len(lacking))
    base = worn(everyone, 32)
    missed = everyone[base <= 0.5]
    print(f"32 steps: glasses on {np.mean(base > 0.5):.3f} of the reconstructions; missed faces {lacking[missed].tolist()} "
          f"(p {rounded(base[missed])})", flush=True)
    control = everyone[base > 0.5][:len(missed)]
    for steps in longer:
        again = worn(np.concatenate([missed, control]), steps)
        print(f"{steps} steps: the missed faces p {rounded(again[:len(missed)])}; "
              f"as many caught at 32 steps: p {rounded(again[len(missed):])} "
              f"(at 32: {rounded(base[control])})", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, tuple(int(v) for v in sys.argv[2:]) or (96, 200))
