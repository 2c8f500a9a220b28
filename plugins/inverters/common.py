"""Helpers shared by the inverters: latent statistics, noise handling, PSNR."""

from __future__ import annotations

import copy
from typing import Any, Sequence

import torch

from latentroom.engine.errors import LatentroomError


@torch.no_grad()
def w_statistics(generator: Any, samples: int = 10_000, seed: int = 0,
                 chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """``(w_mean [style_dim], w_std [style_dim])`` of the generator's W, on its device.

    The mean is the generator's own ``mean_latent()`` (what truncation uses); the
    spread is estimated from ``samples`` seeded draws so runs are reproducible, and
    floored, because a dimension W never moves along would give a zero scale.
    """
    device = torch.device(generator.device)
    mean = generator.mean_latent().reshape(-1).float().to(device)
    gen = torch.Generator().manual_seed(seed)
    acc = torch.zeros(generator.style_dim, device=device)
    done = 0
    while done < samples:
        n = min(chunk, samples - done)
        z = torch.randn(n, generator.style_dim, generator=gen).to(device)
        w = generator.mapping(z).float()
        acc += (w - mean).pow(2).sum(0)
        done += n
    std = (acc / samples).sqrt()
    return mean, std.clamp_min(1e-3 * float(std.mean()) + 1e-8)


def modulated_convs(generator: Any) -> list[Any]:
    """``generator``'s StyleGAN2 modulated convolutions, found by name, not type: the
    inverters do not import a generator plugin."""
    return [m for m in getattr(generator, "modules", lambda: [])()
            if type(m).__name__ == "ModulatedConv2d" and hasattr(m, "fused")]


def use_input_modulation(generator: Any) -> None:
    """Switch ``generator``'s modulated convolutions to input modulation, in place
    (``ModulatedConv2d.fused = False``: the style scales the input of one ordinary
    convolution instead of the weights of a grouped one per sample; the same maths)."""
    for module in modulated_convs(generator):
        module.fused = False


def differentiable_synthesis_generator(generator: Any, device: torch.device) -> Any:
    """The generator an optimiser differentiates through: on CUDA, a frozen copy run by
    input modulation, which took the hybrid inverter from 29.6 to 79 images/s on an
    H200 at batch 256 with the same reconstruction PSNR (cuDNN's grouped convolutions
    at ``groups=batch`` are slow there; docs/measurements/session21-h200-2026-12-04).
    A copy, so the caller's generator is left as it was; elsewhere, the generator."""
    if device.type != "cuda" or not modulated_convs(generator):
        return generator
    fast = copy.deepcopy(generator).requires_grad_(False)
    use_input_modulation(fast)
    return fast


def supports_noise(generator: Any) -> bool:
    """Whether ``synthesis`` takes explicit noise maps (our StyleGAN2 does; the
    Generator protocol does not require it)."""
    return hasattr(generator, "make_noise") and hasattr(generator, "num_layers")


def initial_noise(generator: Any, batch: int) -> list[torch.Tensor]:
    """Starting noise maps ``[batch, 1, r, r]``: the generator's stored (``const``)
    buffers when it has them, so an encoder's estimate (trained with ``const``)
    renders the same at step 0 of a refinement; fresh draws otherwise."""
    noises = getattr(generator, "noises", None)
    if noises is not None:
        maps = [getattr(noises, f"noise_{i}", None) for i in range(generator.num_layers)]
        if all(isinstance(m, torch.Tensor) for m in maps):
            return [m.detach().float().expand(batch, -1, -1, -1).clone() for m in maps]
    return [n.float() for n in generator.make_noise(batch)]


def synthesize(generator: Any, ws: torch.Tensor, noise: Sequence[torch.Tensor] | None = None,
               noise_mode: str = "const") -> torch.Tensor:
    """``generator.synthesis`` with explicit noise when given (and supported)."""
    if noise is not None:
        return generator.synthesis(ws, noise_mode=noise_mode, noise=list(noise))
    return generator.synthesis(ws, noise_mode=noise_mode)


def to_generator_input(images: torch.Tensor, generator: Any, device: torch.device | str) -> torch.Tensor:
    """Validate ``[B, 3, H, W]`` float images and resize them to the generator's size."""
    from latentroom.plugins.inverters.features import resize

    if images.ndim != 4 or images.shape[1] != 3:
        raise LatentroomError(f"images must be [B, 3, H, W], got {list(images.shape)}")
    return resize(images.to(device=device, dtype=torch.float32), int(generator.size))


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB for images in ``[-1, 1]`` (peak-to-peak 2)."""
    mse = (a.float().clamp(-1, 1) - b.float().clamp(-1, 1)).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(4.0 / mse.clamp_min(1e-10))


def invert_in_chunks(images: torch.Tensor, batch_size: int, device: torch.device,
                     encode: Any) -> torch.Tensor:
    """For one-pass encoders: check ``images`` is ``[B, 3, H, W]``, run ``encode`` on
    fp32 chunks of ``batch_size`` moved to ``device``, and concatenate the W+ codes."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise LatentroomError(f"images must be [B, 3, H, W], got {list(images.shape)}")
    with torch.no_grad():
        return torch.cat([encode(chunk.to(device, torch.float32)) for chunk in images.split(batch_size)])


def check_options(name: str, options: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise LatentroomError(f"inverter '{name}' does not take option(s) {', '.join(unknown)} "
                              f"(it takes: {', '.join(sorted(allowed))})")


