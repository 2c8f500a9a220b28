"""Torch-free toyfaces attribute predictor on ONNX Runtime.

Evaluation (attribute accuracy of edited images, Fréchet distances) runs on the
apply side of the project, where torch is never imported; this module needs only
NumPy and onnxruntime. Outputs match :class:`latentroom.plugins.toyfaces.classifier.AttributeClassifier`
(a test checks it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentroom.plugins.toyfaces import WEIGHTS_DIR
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTES

__all__ = ["OnnxClassifier", "ONNX_PATH", "INPUT_SIZE", "check_uint8_images"]

ONNX_PATH = WEIGHTS_DIR / "classifier.onnx"
INPUT_SIZE = 128
_IS_BINARY = np.array([a.kind == "binary" for a in ATTRIBUTES])


def check_uint8_images(images: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``images`` is uint8 ``[N, H, W, 3]`` (both classifiers' input)."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 [N, H, W, 3] images, got {images.dtype} {images.shape}")


class OnnxClassifier:
    """Predicts toyfaces attributes from uint8 ``[N, H, W, 3]`` RGB images.

    Images that are not 128x128 are resized with Pillow (bilinear, which
    anti-aliases when shrinking); the torch path uses antialiased bilinear too, so
    the two agree closely but not bit-exactly on resized inputs.
    """

    attribute_names: tuple[str, ...] = ATTRIBUTE_NAMES

    def __init__(self, path: str | Path | None = None, providers: list[str] | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path) if path is not None else ONNX_PATH
        if not self.path.is_file():
            from latentroom.engine.errors import CheckpointError

            raise CheckpointError(f"{self.path}: classifier ONNX model not found")
        self.session = ort.InferenceSession(str(self.path), providers=providers or ["CPUExecutionProvider"])

    @staticmethod
    def preprocess(images: np.ndarray) -> np.ndarray:
        """uint8 ``[N, H, W, 3]`` -> float32 ``[N, 3, 128, 128]`` in [-1, 1]."""
        check_uint8_images(images)
        if images.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
            from PIL import Image

            images = np.stack(
                [np.asarray(Image.fromarray(im).resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR)) for im in images]
            )
        return (images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0).copy()

    def run(self, images: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(preds, features)``: preds ``[N, n_attributes]`` on the 0-1 scale
        (binary attributes as probabilities), features ``[N, FEATURE_DIM]``."""
        preds, feats = [], []
        for i in range(0, len(images), batch_size):
            x = self.preprocess(images[i : i + batch_size])
            p, f = self.session.run(["preds", "features"], {"images": x})
            p = np.where(_IS_BINARY, 1.0 / (1.0 + np.exp(-p)), p).astype(np.float32)
            preds.append(p)
            feats.append(f)
        return np.concatenate(preds), np.concatenate(feats)

    def predict(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Attribute estimates ``[N, n_attributes]`` in ATTRIBUTES order."""
        return self.run(images, batch_size)[0]

    def predict_features(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Penultimate features ``[N, FEATURE_DIM]``."""
        return self.run(images, batch_size)[1]
