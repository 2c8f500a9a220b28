"""The toyfaces aligner: finds toyfaces in a picture and their five landmarks.

Two small ONNX networks trained by :mod:`latentroom.plugins.toyfaces.train_aligner` (command,
seed, log and held-out metrics in ``weights/aligner.json``), run with ONNX Runtime:

1. the **detector** sees the picture letterboxed into 128² and marks face centres on a
   32² grid (peaks of a heatmap), each with a size and rough landmarks;
2. the **refiner** sees a 64² crop cut from the full-resolution picture, aligned on
   those landmarks, and places the landmarks precisely; it runs twice, the second
   time on a crop aligned with its own first answer.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from latentroom.engine.aligners import Face
from latentroom.engine.alignment import apply_transform, fit_similarity, invert
from latentroom.engine.errors import LatentroomError
from latentroom.engine.faces import cut_frame
from latentroom.engine.runtime import create_session

WEIGHTS = Path(__file__).parent / "weights"
DETECT_INPUT = 128
GRID = 32
REFINE_INPUT = 64
VIRTUAL_SCENE = 512
"""The detector was trained on 512² scenes reduced to 128²; its sizes are in those units."""
HEAT_THRESHOLD = 0.3
REFINE_PASSES = 2
CROP_ZOOM = 1.5
"""The refiner's crop shows the face 1.5x larger than the preset template's frame does."""


@functools.lru_cache(maxsize=1)
def reference_points() -> np.ndarray:
    """Where the refiner's crop puts the five landmarks: the toyfaces template, zoomed."""
    from latentroom.plugins.toyfaces.alignment import alignment_section
    from latentroom.engine.alignment import LANDMARK_NAMES

    marks = alignment_section(128)["landmarks"]
    template = np.array([marks[n] for n in LANDMARK_NAMES], float)
    centre = template.mean(axis=0)
    return (template - centre) * (REFINE_INPUT / 128 * CROP_ZOOM) + REFINE_INPUT / 2


def crop_transform(points: np.ndarray) -> np.ndarray:
    """The picture-to-crop similarity for a face with landmarks ``points``."""
    return fit_similarity(points, reference_points())


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) * np.float32(1 / 127.5) - 1).transpose(0, 3, 1, 2)


class ToyfacesAligner:
    """An :class:`latentroom.engine.aligners.Aligner` for pictures of toyfaces."""

    def __init__(self, folder: Path = WEIGHTS) -> None:
        self._sessions = []
        for name in ("aligner_detect.onnx", "aligner_refine.onnx"):
            path = folder / name
            try:
                model = path.read_bytes()
            except OSError as e:
                raise LatentroomError(f"aligner 'toyfaces': cannot read {path}: {e}") from None
            session, _ = create_session(model, "cpu", where=str(path))
            self._sessions.append(session)

    @staticmethod
    def cut(rgb: np.ndarray, to_crop: np.ndarray) -> np.ndarray:
        """The refiner's ``uint8`` ``[64, 64, 3]`` crop."""
        return np.rint(cut_frame(rgb, to_crop, REFINE_INPUT) * 255).astype(np.uint8)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        candidates = self._candidates(rgb)
        if not candidates:
            return []
        points = np.stack([p for p, _ in candidates])
        for _ in range(REFINE_PASSES):
            points = self._refine(rgb, points)
        return [Face(p, score) for p, (_, score) in zip(points, candidates)]

    def _candidates(self, rgb: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Heatmap peaks with their rough landmarks, in picture pixels, best first."""
        h, w = rgb.shape[:2]
        side = max(h, w)
        scale = DETECT_INPUT / side
        small = Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
        canvas = Image.new("RGB", (DETECT_INPUT, DETECT_INPUT), (127, 127, 127))
        canvas.paste(small, (0, 0))
        out = self._sessions[0].run(None, {"image": _normalise(np.asarray(canvas)[None])})[0][0]
        heat = 1 / (1 + np.exp(-out[0]))
        padded = np.pad(heat, 1, constant_values=0)
        neighbours = np.max([padded[dy : dy + GRID, dx : dx + GRID] for dy in range(3) for dx in range(3)], axis=0)
        ys, xs = np.nonzero((heat >= neighbours) & (heat >= HEAT_THRESHOLD))
        cell = VIRTUAL_SCENE / GRID
        to_picture = side / VIRTUAL_SCENE
        found = []
        for y, x in zip(ys, xs):
            size = np.exp(out[1, y, x]) * VIRTUAL_SCENE
            offsets = out[2:, y, x].reshape(5, 2) / 4.0  # trained on 4x the offsets
            points = ((np.array([x, y]) + 0.5) * cell + offsets * size) * to_picture
            found.append((points, float(heat[y, x])))
        return sorted(found, key=lambda item: -item[1])

    def _refine(self, rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        transforms = [crop_transform(p) for p in points]
        crops = np.stack([self.cut(rgb, t) for t in transforms])
        pred = self._sessions[1].run(None, {"image": _normalise(crops)})[0].reshape(-1, 5, 2) * REFINE_INPUT
        return np.stack([apply_transform(invert(t), q) for t, q in zip(transforms, pred)])
