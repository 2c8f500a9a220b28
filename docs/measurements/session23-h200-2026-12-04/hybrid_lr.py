"""The hybrid inverter's learning rate: reconstruction and what the judge still sees.

N renders (renderer seed 777: no training, direction or evaluation set uses it) read
through the encoder alone and through the hybrid at each learning rate (32 steps, its
other defaults); for each reading: mean PSNR of the reconstruction, and, per binary
attribute, the share of the renders wearing it whose reconstruction the judge reads
as wearing it (kept) and of the bare ones read as bare; per continuous attribute the
judge's mean absolute difference between render and reconstruction.

    python hybrid_lr.py --n 1000 --device cuda 0.06 0.04 0.03 0.02 0.01
"""

from __future__ import annotations

import json
import time

import click
import numpy as np
import torch

from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, BINARY, attribute_matrix, render, sample_params


def reading_figures(renders: np.ndarray, redrawn: np.ndarray, truth: np.ndarray, judge) -> dict[str, float]:
    mse = ((redrawn.astype(np.float64) - renders) ** 2).mean((1, 2, 3))
    seen, before = judge.predict(redrawn), judge.predict(renders)
    figures = {"psnr": float(np.mean(10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-6))))}
    for j, name in enumerate(ATTRIBUTE_NAMES):
        if name in BINARY:
            wears = truth[:, j] > 0.5
            figures[f"{name}_kept"] = float(np.mean(seen[wears, j] > 0.5))
            figures[f"{name}_bare_kept"] = float(np.mean(seen[~wears, j] <= 0.5))
        else:
            figures[f"{name}_abs_diff"] = float(np.mean(np.abs(seen[:, j] - before[:, j])))
    return figures


@click.command()
@click.argument("rates", nargs=-1, type=float, required=True)
@click.option("--n", default=1000, show_default=True)
@click.option("--batch", default=250, show_default=True)
@click.option("--device", default="cuda", show_default=True)
def main(rates: tuple[float, ...], n: int, batch: int, device: str) -> None:
    generator = resolve_generator("toyfaces", torch.device(device))
    judge = load_network(device, arch="judge")
    params = sample_params(777, n)
    renders, truth = render(params, 128), attribute_matrix(params)
    x = torch.from_numpy(to_model(renders))
    readers = [("encoder", get_inverter("encoder").value(generator, generator.device))]
    readers += [(f"hybrid lr {lr:g}", get_inverter("hybrid").value(generator, generator.device, lr=lr)) for lr in rates]
    report = {"n": n, "renderer_seed": 777, "device": device, "readings": {}}
    for name, inverter in readers:
        started = time.perf_counter()
        parts = []
        for i in range(0, n, batch):
            ws = inverter.invert(x[i:i + batch].to(generator.device))
            with torch.no_grad():
                images = generator.synthesis(ws, noise_mode="const").clamp(-1, 1)
            parts.append(((images.permute(0, 2, 3, 1).float().cpu().numpy() + 1) * 127.5).round().astype(np.uint8))
        seconds = time.perf_counter() - started
        figures = {**reading_figures(renders, np.concatenate(parts), truth, judge), "seconds": round(seconds, 1)}
        report["readings"][name] = figures
        print(name, json.dumps({k: round(v, 4) for k, v in figures.items()}), flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
