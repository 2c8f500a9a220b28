"""Scenes with toyfaces in them, and where every face's landmarks are: the data the
toyfaces aligner is trained and measured on.

A scene is a ``SCENE x SCENE`` photo-like image: a background (a random crop of one
of scikit-image's sample photographs without people, or a two-colour gradient with
soft blobs) with 0-3 toyfaces pasted in. Each face is a 128² render, cut out with a
soft ellipse round head and hair, scaled 0.5-3x, rotated up to +-30 degrees and placed
anywhere its centre fits; faces never overlap by much. One scene in seven is instead
a portrait: a single whole render filling the picture, rotated the same way. The landmarks come from the
renderer (:func:`latentroom.plugins.toyfaces.renderer.landmarks`) through the same similarity.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

from latentroom.plugins.toyfaces.renderer import DEFAULT_SIZE, landmarks, render, sample_params

SCENE = 512
SCALES = (0.5, 3.0)
PORTRAIT_SCALES = (3.0, 4.6)
"""A portrait scene is one render filling the picture (4x is the render at the scene's
size), as a toyfaces preset's own renders and examples are."""
PORTRAIT_SHARE = 0.15
MAX_ROTATION = np.deg2rad(30.0)
# Scikit-image's photographs without a face in them (the astronaut would be an
# unlabelled face, teaching the detector to ignore faces).
BACKGROUND_PHOTOS = ("coffee", "chelsea", "rocket", "hubble_deep_field", "retina", "immunohistochemistry")
_CUT_CENTER, _CUT_RADII, _CUT_FEATHER = (64.0, 70.0), (50.0, 58.0), 6.0


@dataclass
class Scene:
    image: np.ndarray
    """``uint8`` ``[SCENE, SCENE, 3]``."""
    landmarks: np.ndarray
    """``[n, 5, 2]`` float, scene pixels (origin at the top-left corner)."""


@functools.lru_cache(maxsize=1)
def _photos() -> tuple[np.ndarray, ...]:
    import skimage.data

    return tuple(getattr(skimage.data, name)() for name in BACKGROUND_PHOTOS)


@functools.lru_cache(maxsize=1)
def _cutout() -> np.ndarray:
    """Alpha ``[128, 128]`` in ``[0, 1]``: head and hair, soft edge, no frame corners."""
    g = np.arange(DEFAULT_SIZE) + 0.5
    nx = (g[None, :] - _CUT_CENTER[0]) / _CUT_RADII[0]
    ny = (g[:, None] - _CUT_CENTER[1]) / _CUT_RADII[1]
    inside = (1 - np.sqrt(nx * nx + ny * ny)) * min(_CUT_RADII) / _CUT_FEATHER
    return np.clip(inside, 0, 1).astype(np.float32)


def _background(rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.6:
        photo = _photos()[rng.integers(len(BACKGROUND_PHOTOS))]
        h, w = photo.shape[:2]
        side = int(rng.uniform(0.4, 1.0) * min(h, w))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = Image.fromarray(np.ascontiguousarray(photo[y : y + side, x : x + side, :3]))
        img = np.asarray(crop.resize((SCENE, SCENE), Image.Resampling.BILINEAR)).astype(np.float32)
        return img[:, ::-1] if rng.random() < 0.5 else img
    g = (np.arange(SCENE) + 0.5) / SCENE
    angle = rng.uniform(0, 2 * np.pi)
    t = np.clip(0.5 + (g[None, :] - 0.5) * np.cos(angle) + (g[:, None] - 0.5) * np.sin(angle), 0, 1)[..., None]
    a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    img = a * (1 - t) + b * t
    for _ in range(rng.integers(0, 6)):  # soft blobs, so not every non-face is flat
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.03, 0.25)
        blob = np.exp(-(((g[None, :] - cx) ** 2 + (g[:, None] - cy) ** 2) / (2 * r * r)))[..., None]
        img = img * (1 - blob) + rng.uniform(0, 255, 3) * blob
    return img.astype(np.float32)


def _placement(rng: np.random.Generator, placed: list[tuple[float, float, float]]) -> tuple[float, float, float] | None:
    """A scale and a centre for the next face that keeps clear of the ones placed."""
    for _ in range(20):
        scale = float(np.exp(rng.uniform(np.log(SCALES[0]), np.log(SCALES[1]))))
        half = 0.5 * DEFAULT_SIZE * scale
        margin = min(half * 0.6, SCENE / 2 - 1)
        cx, cy = rng.uniform(margin, SCENE - margin, 2)
        if all(np.hypot(cx - x, cy - y) > 0.75 * (half + 0.5 * DEFAULT_SIZE * s) for x, y, s in placed):
            return scale, float(cx), float(cy)
    return None


def _face_to_scene(scale: float, angle: float, cx: float, cy: float) -> np.ndarray:
    """2x3 similarity from the 128² render to the scene, render centre onto (cx, cy)."""
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    lin = np.array([[c, -s], [s, c]])
    centre = np.array([DEFAULT_SIZE / 2, DEFAULT_SIZE / 2])
    return np.concatenate([lin, (np.array([cx, cy]) - lin @ centre)[:, None]], axis=1)


def _paste(img: np.ndarray, face: np.ndarray, alpha: np.ndarray, to_scene: np.ndarray) -> np.ndarray:
    lin_inv = np.linalg.inv(to_scene[:, :2])
    data = tuple(np.concatenate([lin_inv, (-lin_inv @ to_scene[:, 2])[:, None]], axis=1).reshape(-1))
    rgba = np.concatenate([face, np.rint(alpha * 255).astype(np.uint8)[..., None]], axis=2)
    warped = np.asarray(
        Image.fromarray(rgba, "RGBA").transform((SCENE, SCENE), Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)
    ).astype(np.float32)
    a = warped[..., 3:] / 255.0
    return img * (1 - a) + warped[..., :3] * a


def _portrait(rng: np.random.Generator, img: np.ndarray) -> Scene:
    """One whole render, frame and all, filling the picture (rotated: the corners show
    the background)."""
    params = sample_params(rng, 1)
    scale = rng.uniform(*PORTRAIT_SCALES)
    centre = SCENE / 2 + rng.uniform(-0.08, 0.08, 2) * SCENE
    to_scene = _face_to_scene(scale, rng.uniform(-MAX_ROTATION, MAX_ROTATION), *centre)
    img = _paste(img, render(params, DEFAULT_SIZE)[0], np.ones((DEFAULT_SIZE, DEFAULT_SIZE), np.float32), to_scene)
    marks = landmarks(params, DEFAULT_SIZE)[0] @ to_scene[:, :2].T + to_scene[:, 2]
    return Scene(np.clip(np.rint(img), 0, 255).astype(np.uint8), marks[None])


def make_scene(rng: np.random.Generator, max_faces: int = 3) -> Scene:
    img = _background(rng)
    if rng.random() < PORTRAIT_SHARE:
        return _portrait(rng, img)
    weights = np.array([0.1, 0.4, 0.3, 0.2])[: max_faces + 1]
    count = int(rng.choice(len(weights), p=weights / weights.sum()))
    params = sample_params(rng, max(count, 1))
    faces = render(params, DEFAULT_SIZE)
    marks = landmarks(params, DEFAULT_SIZE)
    placed: list[tuple[float, float, float]] = []
    found = []
    alpha = _cutout()
    for i in range(count):
        where = _placement(rng, placed)
        if where is None:
            continue
        scale, cx, cy = where
        placed.append((cx, cy, scale))
        to_scene = _face_to_scene(scale, rng.uniform(-MAX_ROTATION, MAX_ROTATION), cx, cy)
        img = _paste(img, faces[i], alpha, to_scene)
        found.append(marks[i] @ to_scene[:, :2].T + to_scene[:, 2])
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return Scene(image, np.array(found).reshape(-1, 5, 2))


def scenes(seed: int, n: int) -> list[Scene]:
    rng = np.random.default_rng(np.random.SeedSequence([2, seed]))
    return [make_scene(rng) for _ in range(n)]
