"""``latentroom generate``: sample a generator and write an image grid.

Authoring command: torch is imported inside the command only, so importing this
module (``latentroom --help``) stays torch-free.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click

from latentroom.engine.atomic import atomic_write
from latentroom.engine.devices import pick_torch_device
from latentroom.engine.errors import ImageError

if TYPE_CHECKING:
    import numpy as np
    import torch


def images_to_grid(images: "torch.Tensor", nrow: int) -> "np.ndarray":
    """``[N, 3, H, W]`` in ``[-1, 1]`` -> uint8 ``[rows*H, nrow*W, 3]`` (black padding)."""
    import numpy as np
    import torch

    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    n, _, h, w = x.shape
    rows = math.ceil(n / nrow)
    grid = np.zeros((rows * h, nrow * w, 3), dtype=np.uint8)
    arr = x.permute(0, 2, 3, 1).numpy()
    for i in range(n):
        r, c = divmod(i, nrow)
        grid[r * h : (r + 1) * h, c * w : (c + 1) * w] = arr[i]
    return grid


def write_image_atomic(array: "np.ndarray", output: Path) -> None:
    """Save with Pillow to a temporary file beside ``output``, then rename into place."""
    from PIL import Image

    fmt = Image.registered_extensions().get(output.suffix.lower())
    if fmt is None:
        raise ImageError(f"{output}: unknown image extension {output.suffix!r} (use .png or .jpg)")
    try:
        atomic_write(output, lambda f: Image.fromarray(array, "RGB").save(f, format=fmt))
    except OSError as exc:
        raise ImageError(f"{output}: cannot write image ({exc})") from None


@click.command("generate")
@click.option("--generator", "spec", default=None, metavar="SPEC",
              help="NAME[:ARGUMENT], e.g. stylegan2:ffhq.pt (default: toyfaces).")
@click.option("-n", "--num", "num", type=click.IntRange(min=1), default=16, show_default=True,
              help="Number of images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the latents.")
@click.option("--truncation", type=float, default=1.0, show_default=True,
              help="Truncation psi; < 1 trades variety for typicality.")
@click.option("--noise-mode", type=click.Choice(["const", "random", "zero"]), default="const",
              show_default=True, help="Per-pixel noise: stored maps, fresh draws, or none.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
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
