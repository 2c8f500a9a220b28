"""The `hybrid` inverter's rate with the generator's modulated convolutions evaluated two
ways (``ModulatedConv2d.fused``): the reference grouped convolution (``groups=batch``,
what the inverter runs today) and input modulation (one ordinary convolution, the same
maths). Each is timed on its second call (compilation and autotuning left out) on the
same renders; the reconstructions' PSNR and the latents' largest difference say whether
the two agree.

    python hybrid_modconv.py [BATCH] [DEVICE]
"""

from __future__ import annotations

import sys
import time

import torch


def timed_inversion(inverter, images: torch.Tensor) -> tuple[torch.Tensor, float]:
    for _ in range(2):
        if images.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        ws = inverter.invert(images)
        if images.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return ws, seconds


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = ((a - b) / 2).pow(2).mean().item()
    return 10 * torch.log10(torch.tensor(1 / mse)).item()


def main(batch: int = 256, device: str = "cuda") -> None:
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.distill.quality import to_model
    from latentroom.plugins.stylegan2.model import ModulatedConv2d
    from latentroom.plugins.toyfaces.renderer import render, sample_params

    generator = resolve_generator("toyfaces", torch.device(device))
    inverter = get_inverter("hybrid").value(generator, generator.device)
    images = torch.from_numpy(to_model(render(sample_params(5, batch), int(generator.size)))).to(generator.device)
    results = {}
    for fused in (True, False):
        for module in generator.modules():
            if isinstance(module, ModulatedConv2d):
                module.fused = fused
        ws, seconds = timed_inversion(inverter, images)
        with torch.no_grad():
            recon = generator.synthesis(ws, noise_mode="const").float().clamp(-1, 1)
        results[fused] = ws
        name = "grouped" if fused else "input"
        print(f"{name}: {batch} images in {seconds:.2f} s = {batch / seconds:.1f} img/s, "
              f"reconstruction PSNR {psnr(recon, images):.2f} dB", flush=True)
    print(f"largest latent difference {(results[True] - results[False]).abs().max().item():.4f}, "
          f"mean {(results[True] - results[False]).abs().mean().item():.5f}")


if __name__ == "__main__":
    main(*[int(sys.argv[1])] if len(sys.argv) > 1 else [], *sys.argv[2:3])
