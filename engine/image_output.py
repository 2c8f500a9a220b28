"""Images that authoring commands write: a batch as one grid, a file written atomically.

Torch and Pillow are imported inside the functions, so importing this module (from a
command module that ``latentroom --help`` loads) stays cheap and torch-free.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from latentroom.engine.atomic import atomic_write
from latentroom.engine.errors import ImageError

if TYPE_CHECKING:
    import numpy as np
    import torch


def to_pixels(images: "torch.Tensor") -> "np.ndarray":
    """Generator output ``[N, 3, H, W]`` in ``[-1, 1]`` -> uint8 ``[N, H, W, 3]`` on the CPU."""
    import torch

    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def images_to_grid(images: "torch.Tensor", nrow: int) -> "np.ndarray":
    """``[N, 3, H, W]`` in ``[-1, 1]`` -> uint8 ``[rows*H, nrow*W, 3]`` (black padding)."""
    import numpy as np

    arr = to_pixels(images)
    n, h, w, _ = arr.shape
    rows = math.ceil(n / nrow)
    grid = np.zeros((rows * h, nrow * w, 3), dtype=np.uint8)
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
