"""Images per second the `hybrid` inverter takes at one batch size (the second of two
timed calls, so compilation and autotuning are left out): sizes a device call's finds.

    python hybrid_rate.py [BATCH] [DEVICE]      # prints the rate on its last line
"""

from __future__ import annotations

import sys
import time

import torch


def main(batch: int = 576, device: str = "cuda") -> None:
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.distill.quality import to_model
    from latentroom.plugins.toyfaces.renderer import render, sample_params

    generator = resolve_generator("toyfaces", torch.device(device))
    inverter = get_inverter("hybrid").value(generator, generator.device)
    images = torch.from_numpy(to_model(render(sample_params(5, batch), int(generator.size)))).to(generator.device)
    for _ in range(2):
        if generator.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        inverter.invert(images)
        if generator.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    print(f"{batch} images in {seconds:.2f} s")
    print(f"{batch / seconds:.1f}")


if __name__ == "__main__":
    main(*[int(sys.argv[1])] if len(sys.argv) > 1 else [], *sys.argv[2:3])
