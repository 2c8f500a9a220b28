"""The toyfaces aligner: finds toyfaces in a picture and their five landmarks.

Two small ONNX networks trained by :mod:`latentroom.plugins.toyfaces.train_aligner` (command,
seed, log and held-out metrics in ``weights/aligner.json``; the metrics of the
inference below in ``weights/aligner-eval.json``), run with ONNX Runtime:

1. **find**: the **detector** sees the picture letterboxed into 128² and marks face
   centres on a 32² grid (peaks of a heatmap), each with a size and rough landmarks.
   It sees the picture a second time zoomed, as 2 x 2 overlapping tiles, for faces
   too small to mark at 128² (about 20 px in a 512 px scene are 5 px there); from the
   tiles only small faces that the whole picture did not already give are taken;
2. **refine**: the **refiner** sees a 64² crop cut from the full-resolution picture,
   aligned on those landmarks, and places the landmarks precisely; it runs three
   times, each time on a crop aligned with its own previous answer;
3. **verify**: the detector sees each refined face once more, centred in a square
   five times its size (the scale it saw most in training); a face is kept when the
   heat at the centre reaches :data:`VERIFY_THRESHOLD`. This second look is what keeps
   the zoomed tiles from adding false faces;
4. faces that ended on the same landmarks are reported once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from latentroom.engine.aligners import Face
from latentroom.engine.alignment import apply_transform, face_size, fit_similarity, invert
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
TILE_SHARE = 0.625
"""The zoomed look: tiles of 0.625 of the picture's longer side (two per side, overlapping),
each seen at 128², so faces appear 1.6x larger than in the whole picture."""
SMALL_FACE_SHARE = 0.25
"""Tiles contribute only faces smaller than this share of the tile: larger ones are
the whole picture's to find (a tile may cut them)."""
REFINE_PASSES = 3
CROP_ZOOM = 1.5
"""The refiner's crop shows the face 1.5x larger than the preset template's frame does."""
VERIFY_CONTEXT = 5.0
"""The verification view is a square this many face sizes wide, centred on the face."""
VERIFY_THRESHOLD = 0.4
"""Chosen on the held-out scenes of the training run (seed 1000; checked on seeds the
choice never saw): true faces score 0.5-0.9 there, false ones mostly under 0.3."""
DISTINCT = 0.25
"""Two faces whose eyes are within this share of the face size apart are one face."""
_LETTERBOX_GREY = (127, 127, 127)


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


@dataclass
class _Candidate:
    points: np.ndarray
    """Rough ``[5, 2]`` landmarks, picture pixels."""
    score: float
    """The detector's heat at the face centre."""


def _views(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """``(x, y, w, h)`` boxes the detector looks at: the whole picture, then the tiles."""
    tile = max(1, round(TILE_SHARE * max(height, width)))
    xs = [0] if width <= tile else [0, width - tile]
    ys = [0] if height <= tile else [0, height - tile]
    return [(0, 0, width, height)] + [(x, y, min(tile, width), min(tile, height)) for y in ys for x in xs]


def _letterbox(img: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """The picture's ``box`` reduced into the top-left of a grey 128² canvas."""
    x, y, w, h = box
    scale = DETECT_INPUT / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    canvas = Image.new("RGB", (DETECT_INPUT, DETECT_INPUT), _LETTERBOX_GREY)
    canvas.paste(img.resize(size, Image.Resampling.BOX, box=(x, y, x + w, y + h)), (0, 0))
    return np.asarray(canvas)


def _heat(out: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-out[..., 0, :, :]))


def _peaks(out: np.ndarray, box: tuple[int, int, int, int]) -> list[_Candidate]:
    """The detector's local heat maxima over one view, as candidates in picture pixels."""
    heat = _heat(out)
    padded = np.pad(heat, 1, constant_values=0)
    neighbours = np.max([padded[dy : dy + GRID, dx : dx + GRID] for dy in range(3) for dx in range(3)], axis=0)
    ys, xs = np.nonzero((heat >= neighbours) & (heat >= HEAT_THRESHOLD))
    cell = VIRTUAL_SCENE / GRID
    to_picture = max(box[2], box[3]) / VIRTUAL_SCENE
    found = []
    for y, x in zip(ys, xs):
        size = np.exp(out[1, y, x]) * VIRTUAL_SCENE
        offsets = out[2:, y, x].reshape(5, 2) / 4.0  # trained on 4x the offsets
        points = ((np.array([x, y]) + 0.5) * cell + offsets * size) * to_picture + box[:2]
        found.append(_Candidate(points, float(heat[y, x])))
    return found


def _merge(whole: list[_Candidate], zoomed: list[_Candidate]) -> list[_Candidate]:
    """The whole picture's candidates, then each zoomed one whose centre is clear of every
    candidate kept so far by the larger face's size, best first. Toyfaces in a scene
    are never that close (their centres are more than their two sizes apart), so what
    the tiles find that close is a part of a face: an eye taken for a small face."""
    kept = sorted(whole, key=lambda c: -c.score)
    for candidate in sorted(zoomed, key=lambda c: -c.score):
        centre, size = candidate.points.mean(axis=0), face_size(candidate.points)
        if all(np.linalg.norm(k.points.mean(axis=0) - centre) > max(size, face_size(k.points)) for k in kept):
            kept.append(candidate)
    return kept


def _distinct(faces: list[Face]) -> list[Face]:
    """Best first, dropping faces whose eyes sit where a better face's eyes are."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.confidence):
        eyes = face.landmarks[:2]
        if all(np.linalg.norm(eyes - k.landmarks[:2], axis=1).mean() > DISTINCT * face_size(k.landmarks) for k in kept):
            kept.append(face)
    return kept


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
            # One thread: small networks, called from several decoder threads at once.
            session, _ = create_session(model, "cpu", where=str(path), threads=1)
            self._sessions.append(session)

    @staticmethod
    def cut(rgb: np.ndarray, to_crop: np.ndarray, size: int = REFINE_INPUT) -> np.ndarray:
        """A ``uint8`` ``[size, size, 3]`` crop (the refiner's by default)."""
        return np.rint(cut_frame(rgb, to_crop, size) * 255).astype(np.uint8)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        candidates = self._candidates(rgb)
        if not candidates:
            return []
        points = np.stack([c.points for c in candidates])
        for _ in range(REFINE_PASSES):
            points = self._refine(rgb, points)
        checks = self._verify(rgb, points)
        faces = [
            Face(p, float(np.sqrt(c.score * check)))
            for p, c, check in zip(points, candidates, checks)
            if check >= VERIFY_THRESHOLD
        ]
        return _distinct(faces)

    def _detector(self, views: np.ndarray) -> np.ndarray:
        """``[n, 128, 128, 3]`` ``uint8`` views -> the detector's ``[n, 12, 32, 32]`` maps."""
        return self._sessions[0].run(None, {"image": _normalise(views)})[0]

    def _candidates(self, rgb: np.ndarray) -> list[_Candidate]:
        """Rough faces from the whole picture and its zoomed tiles, best first."""
        views = _views(*rgb.shape[:2])
        img = Image.fromarray(rgb)
        maps = self._detector(np.stack([_letterbox(img, box) for box in views]))
        whole = _peaks(maps[0], views[0])
        zoomed = [
            c for out, box in zip(maps[1:], views[1:]) for c in _peaks(out, box)
            if face_size(c.points) <= SMALL_FACE_SHARE * max(box[2:])
        ]
        return _merge(whole, zoomed)

    def _refine(self, rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        transforms = [crop_transform(p) for p in points]
        crops = np.stack([self.cut(rgb, t) for t in transforms])
        pred = self._sessions[1].run(None, {"image": _normalise(crops)})[0].reshape(-1, 5, 2) * REFINE_INPUT
        return np.stack([apply_transform(invert(t), q) for t, q in zip(transforms, pred)])

    def _verify(self, rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        """The detector's heat at the centre of a view of each face at its usual scale."""
        views = []
        for p in points:
            scale = DETECT_INPUT / (VERIFY_CONTEXT * face_size(p))
            centre = p.mean(axis=0)
            to_view = np.array([[scale, 0, DETECT_INPUT / 2 - scale * centre[0]],
                                [0, scale, DETECT_INPUT / 2 - scale * centre[1]]])
            views.append(self.cut(rgb, to_view, DETECT_INPUT))
        middle = slice(GRID // 2 - 2, GRID // 2 + 2)
        return _heat(self._detector(np.stack(views)))[:, middle, middle].reshape(len(views), -1).max(axis=1)
