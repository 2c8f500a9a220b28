"""A preset's face template and the geometry that maps a detected face onto it.

Coordinates are pixels with the origin at the image's top-left corner, so pixel
``(i, j)`` covers ``[j, j + 1] x [i, i + 1]`` and its centre is ``(j + 0.5, i + 0.5)``;
points are ``(x, y)``. Landmarks come in the order of
:data:`LANDMARK_NAMES` (eyes, nose tip, mouth corners; ``left``
is the image's left).

A transform is a 2x3 matrix ``A`` taking an image point ``p`` to ``A @ [x, y, 1]`` in
the preset's R x R frame; it is always a similarity (rotation, uniform scale,
translation), so faces are never sheared or squashed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

LANDMARK_NAMES: tuple[str, ...] = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
"""The five canonical landmarks, in this order everywhere; ``left`` is the image's left."""
ALIGNMENT_RULES: tuple[str, ...] = ("similarity", "ffhq")
EYES, NOSE, MOUTH = slice(0, 2), 2, slice(3, 5)


@dataclass(frozen=True)
class Template:
    """The ``alignment`` section of a manifest, parsed (see docs/preset-format.md)."""

    resolution: int
    landmarks: np.ndarray
    """``[5, 2]`` canonical positions in the R x R frame."""
    rule: str
    """``similarity`` (least squares over the five points) or ``ffhq``."""
    mask_center: tuple[float, float]
    mask_radii: tuple[float, float]
    feather: float
    aligner: str | None
    """The aligner the preset was made for, when its author named one."""

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> "Template | None":
        """The template of a validated manifest; ``None`` when it has no ``alignment``."""
        section = manifest.get("alignment")
        if section is None:
            return None
        mask = section["mask"]
        return cls(
            resolution=int(manifest["io"]["resolution"]),
            landmarks=np.array([section["landmarks"][n] for n in LANDMARK_NAMES], np.float64),
            rule=section["rule"],
            mask_center=(float(mask["center"][0]), float(mask["center"][1])),
            mask_radii=(float(mask["radii"][0]), float(mask["radii"][1])),
            feather=float(mask["feather"]),
            aligner=section.get("aligner"),
        )

    def transform(self, points: np.ndarray) -> np.ndarray:
        """The image-to-frame similarity for a face with landmarks ``points`` ``[5, 2]``."""
        if self.rule == "ffhq":
            return _match_frames(ffhq_frame(points), ffhq_frame(self.landmarks))
        return fit_similarity(points, self.landmarks)

    def mask(self) -> np.ndarray:
        """``[R, R]`` float32 weights in ``[0, 1]`` over the frame's pixels (:meth:`mask_at`)."""
        grid = np.arange(self.resolution, dtype=np.float32) + np.float32(0.5)
        return self.mask_at(grid[None, :], grid[:, None])

    def mask_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The mask's weight at frame positions ``(x, y)`` (broadcast): 1 inside, fading
        to 0 at the ellipse over ``feather`` pixels, and 0 outside it, so nothing
        outside the ellipse is ever changed."""
        (cx, cy), (rx, ry) = self.mask_center, self.mask_radii
        nx = (x - np.float32(cx)) * np.float32(1 / rx)
        ny = (y - np.float32(cy)) * np.float32(1 / ry)
        radius = np.sqrt(nx * nx + ny * ny)
        if self.feather <= 0:
            return (radius < 1).astype(np.float32)
        # Distance inside the ellipse in pixels, approximated by scaling the normalised
        # radius with the smaller radius: exact for circles, close enough for a soft edge.
        t = np.clip((1 - radius) * np.float32(min(rx, ry) / self.feather), 0, 1)
        return (t * t * (3 - 2 * t)).astype(np.float32)  # smoothstep: no visible rim

    def mask_extent(self, to_frame: np.ndarray) -> tuple[int, int, int, int]:
        """The photo pixel box ``(x0, y0, x1, y1)`` (unclipped) that holds the mask's
        ellipse for a face with this photo-to-frame transform."""
        lin = invert(to_frame)
        centre = apply_transform(lin, np.array([self.mask_center]))[0]
        rx, ry = self.mask_radii
        half = np.hypot(lin[:, 0] * rx, lin[:, 1] * ry)  # the ellipse's half-widths along x and y
        x0, y0 = np.floor(centre - half).astype(int) - 1
        x1, y1 = np.ceil(centre + half).astype(int) + 1
        return int(x0), int(y0), int(x1), int(y1)


def describe(manifest: dict[str, Any]) -> str:
    """How a preset edits photos, in one line (``preset show``)."""
    template = Template.from_manifest(manifest)
    if template is None:
        r = manifest["io"]["resolution"]
        return f"whole frame: no alignment template, every photo is resized to {r}x{r} as a whole"
    eyes = template.landmarks[EYES]
    hint = f", made for aligner '{template.aligner}'" if template.aligner else ""
    return (
        f"each face aligned ({template.rule} rule, eyes at {eyes[0].round(1).tolist()} and "
        f"{eyes[1].round(1).tolist()}, mask radii {template.mask_radii[0]:g}x{template.mask_radii[1]:g} "
        f"feather {template.feather:g}{hint}); photos without a face are left unchanged"
    )


def face_size(points: np.ndarray) -> float:
    """About the width of the face in pixels: FFHQ's scale, the larger of twice the eye
    distance and 1.8 times the eye-to-mouth distance."""
    eyes = points[EYES]
    eye_to_eye = eyes[1] - eyes[0]
    eye_to_mouth = points[MOUTH].mean(axis=0) - eyes.mean(axis=0)
    return float(max(2.0 * np.hypot(*eye_to_eye), 1.8 * np.hypot(*eye_to_mouth)))


def ffhq_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FFHQ's oriented crop for a face: its centre and half-side vector ``x``.

    As in the FFHQ dataset's alignment script: the orientation blends the eye line with
    the perpendicular of the eye-to-mouth line, the size is :func:`face_size`, and the
    centre sits a tenth of the eye-to-mouth distance below the eyes.
    """
    eyes = points[EYES]
    eye_avg = eyes.mean(axis=0)
    eye_to_eye = eyes[1] - eyes[0]
    eye_to_mouth = points[MOUTH].mean(axis=0) - eye_avg
    x = eye_to_eye - np.array([-eye_to_mouth[1], eye_to_mouth[0]])
    x = x / np.hypot(*x) * face_size(points)
    return eye_avg + eye_to_mouth * 0.1, x


def _similarity(scale_rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    return np.concatenate([scale_rotation, translation[:, None]], axis=1)


def _match_frames(source: tuple[np.ndarray, np.ndarray], target: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The similarity taking one (centre, half-side vector) frame onto another."""
    (c0, x0), (c1, x1) = source, target
    scale = np.hypot(*x1) / np.hypot(*x0)
    angle = np.arctan2(x1[1], x1[0]) - np.arctan2(x0[1], x0[0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return _similarity(rot, c1 - rot @ c0)


def fit_similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity taking ``source`` points onto ``target`` (Umeyama 1991),
    reflections excluded."""
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mu_s, target - mu_t
    cov = t.T @ s / len(source)
    u, d, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ sign @ vt
    variance = (s * s).sum() / len(source)
    scale = float(np.trace(np.diag(d) @ sign) / variance) if variance > 0 else 1.0
    return _similarity(scale * rot, mu_t - scale * rot @ mu_s)


def invert(transform: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 similarity."""
    lin = np.linalg.inv(transform[:, :2])
    return _similarity(lin, -lin @ transform[:, 2])


def apply_transform(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ transform[:, :2].T + transform[:, 2]
