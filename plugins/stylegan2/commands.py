"""``latentroom generate``: sample a generator and write an image grid.

Registered by the stylegan2 plugin (``register_commands``): it drives any registered
generator through the :class:`latentroom.engine.protocols.Generator` protocol that
the StyleGAN2 model defines. Torch is imported inside the command only, so importing
this module (``latentroom --help``) stays torch-free.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from latentroom.engine.cli_options import device_option, generator_option
from latentroom.engine.devices import pick_torch_device
from latentroom.engine.image_output import images_to_grid, write_image_atomic


@click.command("generate")
@generator_option()
@click.option("-n", "--num", "num", type=click.IntRange(min=1), default=16, show_default=True,
              help="Number of images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the latents.")
@click.option("--truncation", type=float, default=1.0, show_default=True,
              help="Truncation psi; < 1 trades variety for typicality.")
@click.option("--noise-mode", type=click.Choice(["const", "random", "zero"]), default="const",
              show_default=True, help="Per-pixel noise: stored maps, fresh draws, or none.")
@device_option
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--nrow", type=click.IntRange(min=1), default=None,
              help="Images per grid row (default: ceil(sqrt(n))).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Grid image to write (.png, .jpg, ...).")
def generate_command(spec: str | None, num: int, seed: int, truncation: float, noise_mode: str,
                     device: str, batch_size: int, nrow: int | None, output: Path) -> None:
    """Sample N images from a generator and write them as one grid image."""
    dev = pick_torch_device(device)  # reports a missing torch
    import torch

    from latentroom.engine.plugins import resolve_generator

    generator = resolve_generator(spec, dev)
    # Latents are drawn on the CPU from one seeded stream, so a seed gives the same
    # images on any device and for any batch size.
    z_all = torch.randn(num, generator.style_dim, generator=torch.Generator().manual_seed(seed))
    if noise_mode == "random":
        torch.manual_seed(seed)
    chunks = []
    with torch.no_grad():
        for start in range(0, num, batch_size):
            z = z_all[start : start + batch_size].to(generator.device)
            ws = generator.mapping(z, truncation=truncation)
            chunks.append(generator.synthesis(ws, noise_mode=noise_mode).float().cpu())  # type: ignore[arg-type]
    images = torch.cat(chunks)
    grid = images_to_grid(images, nrow or math.ceil(math.sqrt(num)))
    write_image_atomic(grid, output)
    click.echo(f"wrote {output} ({num} images, {generator.size}x{generator.size}, {spec or 'default generator'}, {dev})")
