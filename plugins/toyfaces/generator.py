"""The ``toyfaces`` generator: our StyleGAN2 trained on toyfaces renders.

The weights ship in ``weights/generator.pt`` (community layout ``{g_ema, latent_avg,
config}``, tensors stored as float16) with their provenance in ``generator.json``
and the training log in ``generator-train.log``. They are replaced by later
snapshots as training goes on, so nothing here assumes a particular one: read the
provenance with :func:`weights_info`.

Torch-free at import: ``latentroom.plugins.toyfaces.plugin`` imports this module on the apply
path; torch (via ``latentroom.plugins.stylegan2.checkpoint``) loads inside :func:`load`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from latentroom.plugins.toyfaces import WEIGHTS_DIR

if TYPE_CHECKING:
    import torch

    from latentroom.plugins.stylegan2.model import Generator

__all__ = ["WEIGHTS_PATH", "INFO_PATH", "load", "load_toyfaces", "weights_info"]

DOMAIN = "toyfaces"
WEIGHTS_PATH = WEIGHTS_DIR / "generator.pt"
INFO_PATH = WEIGHTS_DIR / "generator.json"


def load(device: "str | torch.device" = "cpu", path: str | Path | None = None) -> "Generator":
    """The toyfaces generator on ``device`` in eval mode (shipped weights unless ``path``).

    Loaded through :func:`latentroom.plugins.stylegan2.checkpoint.load_generator`: float32
    parameters, ``latent_avg`` from the file, ``weights_sha256`` the file's hash.
    """
    path = Path(path) if path is not None else WEIGHTS_PATH
    if not path.is_file():
        from latentroom.engine.errors import CheckpointError

        # The shipped file can only be missing from a broken install or checkout.
        where = "shipped generator weights" if path == WEIGHTS_PATH else "generator weights"
        raise CheckpointError(f"{path}: {where} not found (use --generator toyfaces:PATH.pt for another file)")
    from latentroom.plugins.stylegan2.checkpoint import load_generator

    return load_generator(path, device=device)


def load_toyfaces(argument: str | None, device: str = "cpu") -> "Generator":
    """Factory for the generator spec ``toyfaces[:PATH]`` (``register_generators``):
    no argument gives the shipped weights, a path a checkpoint of the same kind
    (e.g. a later snapshot from ``latentroom train-gan``). The generator says it makes
    toyfaces images, names the toyfaces classifier as its default scorer and feature
    network and toyfaces-clip as its text-image model, and offers the toyfaces face
    template for presets made from it (:class:`latentroom.engine.protocols.Generator`)."""
    from functools import partial

    from latentroom.plugins.toyfaces.alignment import face_template

    generator = load(device, argument or None)
    generator.domain = DOMAIN
    generator.default_scorer = generator.default_features = "toyfaces-classifier"
    generator.default_text_image_model = "toyfaces-clip"
    generator.face_template = partial(face_template, resolution=int(generator.size))
    return generator


def weights_info(path: str | Path = INFO_PATH) -> dict[str, Any]:
    """Provenance of the shipped weights (``generator.json``): command, seed, config,
    images seen, device, date, status, sha256."""
    return json.loads(Path(path).read_text())
