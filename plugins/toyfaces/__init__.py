"""toyfaces: a procedural face world with ground-truth attributes.

* :mod:`latentroom.plugins.toyfaces.renderer` draws faces from attribute parameters (NumPy).
* :func:`load_classifier` returns the trained attribute classifier (torch);
  :func:`load_classifier_onnx` the same network on ONNX Runtime (no torch).
* :func:`load_generator` returns our StyleGAN2 trained on renders (torch); it is the
  ``toyfaces`` generator of the plugin registry.

Nothing heavy is imported here: the engine imports ``latentroom.plugins.toyfaces.plugin``
(and so this package) on the torch-free apply path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from latentroom.plugins.stylegan2.model import Generator
    from latentroom.plugins.toyfaces.classifier import AttributeClassifier
    from latentroom.plugins.toyfaces.classifier_onnx import OnnxClassifier

__all__ = ["load_classifier", "load_classifier_onnx", "load_generator", "WEIGHTS_DIR"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def load_classifier(device: "str | torch.device" = "cpu", path: str | Path | None = None) -> "AttributeClassifier":
    """The attribute classifier in eval mode on ``device`` (shipped weights unless
    ``path`` is given; loaded with ``weights_only=True``).

    ``model(x)`` takes ``[B, 3, 128, 128]`` in ``[-1, 1]`` and returns ``[B, 10]`` in
    ``renderer.ATTRIBUTE_NAMES`` order (continuous: 0-1, binary: logits);
    ``model.features(x)`` returns ``[B, 192]``; ``model.predict(uint8_images)``
    returns 0-1 estimates with binary ones as probabilities.
    """
    from latentroom.plugins.toyfaces.classifier import load

    return load(device, path)


def load_classifier_onnx(path: str | Path | None = None) -> "OnnxClassifier":
    """The classifier on ONNX Runtime (CPU), torch-free: ``.predict(uint8_images)``,
    ``.predict_features(uint8_images)``, ``.run(...) -> (preds, features)``."""
    from latentroom.plugins.toyfaces.classifier_onnx import OnnxClassifier

    return OnnxClassifier(path)


def load_generator(device: "str | torch.device" = "cpu", path: str | Path | None = None) -> "Generator":
    """The toyfaces StyleGAN2 (128x128, ``style_dim`` 256) in eval mode on ``device``:
    the shipped weights (``weights/generator.pt``) unless ``path`` is given.

    Parameters are float32 (the file stores float16), ``latent_avg`` is the file's
    average ``w`` and ``weights_sha256`` its hash. Provenance of the shipped weights:
    ``latentroom.plugins.toyfaces.generator.weights_info()``.
    """
    from latentroom.plugins.toyfaces.generator import load

    return load(device, path)
