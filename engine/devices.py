"""Choosing the torch device for authoring commands (``--device auto|cpu|cuda``).

torch is imported inside the function: the engine stays importable without it.
"""

from __future__ import annotations

from latentroom.engine.errors import LatentroomError


def pick_torch_device(device: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; an explicit ``cuda``
    without one is an error rather than a silent fall back to the CPU. Every authoring
    command picks its device first, so this is also where a missing torch is reported."""
    try:
        import torch
    except ImportError:
        raise LatentroomError("this command needs torch: install latentroom[author]") from None

    cuda_ok = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if cuda_ok else "cpu"
    if device == "cuda" and not cuda_ok:
        raise LatentroomError("--device cuda: no CUDA device is available (use --device cpu or auto)")
    return device
