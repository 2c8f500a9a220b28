"""Editing photos face by face: detect, align to the preset's frame, run, paste back.

For a preset with an alignment template (:class:`latentroom.engine.alignment.Template`) each
photo goes through these stages:

1. **detect** on a reduced copy (longer side at most :data:`DETECT_MAX_SIDE`; Pillow's
   box ``reduce``), landmarks scaled back to full resolution;
2. **select** faces: ``--min-face`` drops small ones, ``--faces`` keeps all, the
   largest, or the one nearest the centre;
3. **align**: a similarity maps each face onto the template; only the full-resolution
   pixels under the preset's frame are cut out (box-reduced first when the face is
   much larger than the frame) and warped to R x R. Parts of the frame outside the
   photo are filled by mirroring it, as FFHQ's alignment does;
4. the preset's model runs on all faces of a batch at once;
5. **paste back**: the change ``output - input`` times the template's feathered mask
   is warped back onto the face's region and added. Pixels outside every face's mask
   are never touched, and a zero change leaves the photo exactly as it was.

The 12 MP frame itself is never resized: its cost is a decode and an encode.
A preset without a template keeps the whole-frame path (:class:`WholeFrame`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from latentroom.engine.aligners import Aligner, Face, build_aligner, choose_aligner, photo_hint
from latentroom.engine.alignment import Template, apply_transform, face_size, invert
from latentroom.engine.errors import LatentroomError
from latentroom.engine.imaging import (
    BicubicUpsampler,
    Picture,
    Rows,
    carry_back,
    gather,
    resize_rgb,
    strip_height,
    to_unit_float,
)

DETECT_MAX_SIDE = 640
"""Detection runs on a box-reduced copy whose longer side is at most this (640 px, the
input size of common face detectors): faces smaller than the aligner's own minimum at
that scale (20 px for MTCNN, so 1/32 of the photo's longer side) are not found. It keeps
detection on a 12 MP photo to about a tenth of a second of CPU."""
DEFAULT_MIN_FACE = 24.0
MAX_FACES = 32
"""At most this many faces of a photo are edited (the largest), bounding memory and time."""
FACE_CHOICES = ("all", "largest", "center")
_BOX_COLOUR = (255, 64, 32)


class WholeFrame:
    """The pre-alignment path: the whole photo resized to R x R, the change carried back."""

    faces: int | None = None

    def __init__(self, picture: Picture, resolution: int) -> None:
        self.picture = picture
        self.inputs = resize_rgb(picture.rgb, resolution)[None]

    def rows(self, outputs: np.ndarray) -> Rows:
        """The edited photo, ``[0, 1]`` float, strip by strip."""
        return carry_back(self.picture.rgb, self.inputs[0], outputs[0])

    def finish(self, outputs: np.ndarray) -> np.ndarray:
        """The edited photo, ``[0, 1]`` float."""
        return gather(self.rows(outputs), *self.picture.rgb.shape[:2])

    def annotate(self, before: Image.Image) -> Image.Image:
        return before


@dataclass
class AlignedFace:
    face: Face
    """Landmarks in full-resolution photo coordinates."""
    to_frame: np.ndarray
    """2x3 photo-to-frame similarity."""
    region: tuple[int, int, int, int]
    """``(x0, y0, x1, y1)``: the photo pixels the mask's ellipse covers, clipped to the photo."""


@dataclass
class AlignedFaces:
    """The selected faces of one photo, aligned; ``inputs`` is ``[k, R, R, 3]``."""

    picture: Picture
    template: Template
    aligned: list[AlignedFace] = field(default_factory=list)
    inputs: np.ndarray | None = None

    @property
    def faces(self) -> int:
        return len(self.aligned)

    def rows(self, outputs: np.ndarray) -> Rows:
        """The photo with every face's masked change added (same dtype as the photo),
        strip by strip: each strip is copied from the photo and the faces that reach
        into it add their change there, in face order, as if done on the whole photo."""
        changes = [FaceChange(face, outputs[i] - self.inputs[i], self.template) for i, face in enumerate(self.aligned)]
        rgb = self.picture.rgb

        def rows(a: int, b: int) -> np.ndarray:
            strip = rgb[a:b].copy()
            for change in changes:
                change.add_to(strip, a)
            return strip

        return rows

    def finish(self, outputs: np.ndarray) -> np.ndarray:
        """The photo with every face's masked change added (same dtype as the photo)."""
        return gather(self.rows(outputs), *self.picture.rgb.shape[:2])

    def annotate(self, before: Image.Image) -> Image.Image:
        """``before`` with each edited face's frame and landmarks drawn on it (on
        ``before`` itself when it is RGB: a copy would cost a full frame)."""
        img = before if before.mode == "RGB" else before.convert("RGB")
        draw = ImageDraw.Draw(img)
        r = self.template.resolution
        width = max(2, round(max(img.size) / 400))
        for face in self.aligned:
            corners = apply_transform(invert(face.to_frame), np.array([[0, 0], [r, 0], [r, r], [0, r]], float))
            draw.line([tuple(p) for p in corners] + [tuple(corners[0])], fill=_BOX_COLOUR, width=width)
            for x, y in face.face.landmarks:
                draw.ellipse([x - 2 * width, y - 2 * width, x + 2 * width, y + 2 * width], outline=_BOX_COLOUR, width=width)
        return img


def eight_bit(rgb: np.ndarray) -> np.ndarray:
    return rgb if rgb.dtype == np.uint8 else np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def _checked(found: object, size: tuple[int, int]) -> list[Face]:
    """An aligner's answer, checked: a list of faces with five finite landmarks near the
    image (a plugin's bug must not become a huge crop or a NaN transform)."""
    if not isinstance(found, (list, tuple)):
        raise LatentroomError(f"the aligner returned a {type(found).__name__}, not a list of faces")
    w, h = size
    faces = []
    for face in found:
        points = np.asarray(getattr(face, "landmarks", None), np.float64)
        if points.shape != (5, 2) or not np.isfinite(points).all():
            raise LatentroomError(f"the aligner returned landmarks of shape {list(points.shape)}; expected [5, 2], finite")
        if (points < [-w, -h]).any() or (points > [2 * w, 2 * h]).any():
            raise LatentroomError("the aligner returned landmarks far outside the image")
        faces.append(Face(points, float(getattr(face, "confidence", 0.0))))
    return faces


def _reduced(rgb: np.ndarray, factor: int) -> Image.Image:
    """``Image.reduce(factor)`` of the photo as 8-bit RGB, done on strips of rows (a
    multiple of ``factor`` high, so every block lies in one strip and the result is
    the same) instead of on a full-size copy."""
    h, w = rgb.shape[:2]
    if factor == 1:
        return Image.fromarray(eight_bit(rgb))
    step = max(1, strip_height(w) // factor) * factor
    small = Image.new("RGB", (math.ceil(w / factor), math.ceil(h / factor)))
    for a in range(0, h, step):
        small.paste(Image.fromarray(eight_bit(rgb[a : a + step])).reduce(factor), (0, a // factor))
    return small


def detect_faces(aligner: Aligner, rgb: np.ndarray) -> list[Face]:
    """Every face in the full-resolution ``rgb``, found on a box-reduced copy."""
    h, w = rgb.shape[:2]
    factor = max(1, math.ceil(max(h, w) / DETECT_MAX_SIDE))
    small = _reduced(rgb, factor)
    found = _checked(aligner.detect(np.asarray(small)), small.size)
    # reduce(k) averages k x k blocks, so a point scales by exactly k about the corner.
    return [Face(f.landmarks * factor, f.confidence) for f in found]


def select_faces(faces: Sequence[Face], mode: str, min_face: float, size: tuple[int, int]) -> list[Face]:
    """Apply ``--min-face`` then ``--faces`` (``all``, ``largest``, ``center``)."""
    if mode not in FACE_CHOICES:
        raise LatentroomError(f"--faces must be one of {', '.join(FACE_CHOICES)}, got {mode!r}")
    # A face under a pixel has no orientation or scale to align to.
    kept = [f for f in faces if face_size(f.landmarks) >= max(min_face, 1.0)]
    # Bounded work per photo: a crowd beyond MAX_FACES keeps its largest faces.
    kept = sorted(kept, key=lambda f: -face_size(f.landmarks))[:MAX_FACES]
    if mode == "all" or not kept:
        return kept
    if mode == "largest":
        return [max(kept, key=lambda f: face_size(f.landmarks))]
    centre = np.array(size, float) / 2
    return [min(kept, key=lambda f: float(np.hypot(*(f.landmarks.mean(axis=0) - centre))))]


def _frame_region(to_frame: np.ndarray, resolution: int) -> tuple[int, int, int, int]:
    """The photo's pixel box (unclipped) that the R x R frame covers, one pixel of slack."""
    r = resolution
    corners = apply_transform(invert(to_frame), np.array([[0, 0], [r, 0], [0, r], [r, r]], float))
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    return int(x0), int(y0), int(x1), int(y1)


def _shifted(transform: np.ndarray, dx: float, dy: float, scale: float = 1.0) -> np.ndarray:
    """``transform`` for coordinates ``q`` with photo point ``p = q * scale + (dx, dy)``."""
    out = transform.copy()
    out[:, 2] = transform @ np.array([dx, dy, 1.0])
    out[:, :2] = transform[:, :2] * scale
    return out


def _coefficients(to_target: np.ndarray) -> tuple[float, ...]:
    """Pillow's AFFINE data: for each output pixel, where to sample the input."""
    inverse = invert(to_target)
    return tuple(float(c) for c in inverse.reshape(-1))


def _warp_float(planes: np.ndarray, size: tuple[int, int], data: tuple[float, ...]) -> np.ndarray:
    """Warp ``[H, W, C]`` float32 channel by channel (Pillow's float mode); 0 outside."""
    return np.stack(
        [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(planes[..., c], np.float32), "F").transform(
                    size, Image.Transform.AFFINE, data, Image.Resampling.BICUBIC
                )
            )
            for c in range(planes.shape[2])
        ],
        axis=2,
    )


def cut_frame(rgb: np.ndarray, to_frame: np.ndarray, resolution: int) -> np.ndarray:
    """The photo under a frame, warped to ``[R, R, 3]`` float32 in ``[0, 1]``, read only
    from the region the frame covers (``to_frame``: photo-to-frame similarity)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = _frame_region(to_frame, resolution)
    crop = rgb[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    pads = ((max(0, -y0), max(0, y1 - h)), (max(0, -x0), max(0, x1 - w)), (0, 0))
    if any(p for pair in pads[:2] for p in pair):
        crop = np.pad(crop, pads, mode="symmetric")  # mirror, so the model sees no black band
    to_crop_frame = _shifted(to_frame, x0, y0)
    # Bicubic sampling aliases when shrinking a lot; an exact box reduce first keeps it clean.
    factor = max(1, int(1.0 / np.sqrt(abs(np.linalg.det(to_frame[:, :2])))))
    if crop.dtype == np.uint8:
        img = Image.fromarray(np.ascontiguousarray(crop))
        if factor > 1:
            img = img.reduce(factor)
        data = _coefficients(_shifted(to_crop_frame, 0, 0, factor))
        out = img.transform((resolution, resolution), Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
        return np.asarray(out).astype(np.float32) * np.float32(1 / 255)
    planes = to_unit_float(crop)
    if factor > 1:
        hh, ww = (planes.shape[0] // factor) * factor, (planes.shape[1] // factor) * factor
        planes = planes[:hh, :ww].reshape(hh // factor, factor, ww // factor, factor, 3).mean(axis=(1, 3))
    data = _coefficients(_shifted(to_crop_frame, 0, 0, factor))
    return np.clip(_warp_float(planes, (resolution, resolution), data), 0.0, 1.0)


class FaceChange:
    """One face's frame-space change, ready to be added to the photo strip by strip:
    warped onto the face's region, weighted by the template's mask there."""

    def __init__(self, face: AlignedFace, change: np.ndarray, template: Template) -> None:
        self.region, self.template = face.region, template
        x0, y0, x1, y1 = face.region
        width, height = x1 - x0, y1 - y0
        self.region_to_frame = _shifted(face.to_frame, x0, y0)
        if width <= 0 or height <= 0:
            return
        # The change has the frame's resolution, so warping it onto a grid of about one frame
        # pixel per cell and resizing that up costs far less than warping every photo pixel.
        step = max(1, int(1.0 / np.sqrt(abs(np.linalg.det(face.to_frame[:, :2])))))
        coarse_size = (math.ceil(width / step), math.ceil(height / step))
        coarse_to_frame = _shifted(self.region_to_frame, 0, 0, step)
        coarse = _warp_float(change.astype(np.float32), coarse_size, tuple(float(c) for c in coarse_to_frame.reshape(-1)))
        self.delta = BicubicUpsampler(coarse, width, height, (0.0, 0.0, width / step, height / step))

    def add_to(self, strip: np.ndarray, top: int) -> None:
        """Add the change to ``strip``: rows ``top:top + len(strip)`` of the photo."""
        x0, y0, x1, y1 = self.region
        a, b = max(y0, top), min(y1, top + len(strip))
        if x1 <= x0 or b <= a:
            return
        # The mask is evaluated exactly at every photo pixel, so nothing outside it moves.
        xs = np.arange(x1 - x0, dtype=np.float32) + np.float32(0.5)
        ys = np.arange(a - y0, b - y0, dtype=np.float32)[:, None] + np.float32(0.5)
        (xa, xb, xc), (ya, yb, yc) = self.region_to_frame.astype(np.float32)
        weight = self.template.mask_at(xa * xs + (xb * ys + xc), ya * xs + (yb * ys + yc))
        delta = self.delta.rows(a - y0, b - y0)
        patch = strip[a - top : b - top, x0:x1]
        for ch in range(3):
            weighted = delta[..., ch] * weight
            if strip.dtype == np.uint8:
                # rint(255 * (u / 255 + delta)) == u + rint(255 * delta) for integer u.
                patch[..., ch] = np.clip(patch[..., ch] + np.rint(weighted * np.float32(255)).astype(np.int16), 0, 255)
            else:
                patch[..., ch] = np.clip(patch[..., ch] + weighted, 0.0, 1.0)


Plan = WholeFrame | AlignedFaces
"""One decoded input: the picture and its model inputs (the whole frame, or one per face)."""


def run_plans(plans: Sequence[Plan], run: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Every plan's model inputs through ``run`` as one batch (``[N, R, R, 3]`` in, the
    same out); each plan's outputs, one per face (none for a photo without a face)."""
    counts = [len(plan.inputs) for plan in plans]
    starts = np.cumsum([0] + counts)
    inputs = np.concatenate([plan.inputs for plan in plans])
    edited = run(inputs) if len(inputs) else inputs
    return [edited[a:b] for a, b in zip(starts[:-1], starts[1:])]


class Planner:
    """Turns a picture into model inputs and back, aligned or whole-frame.

    Built once per run: choosing and building the aligner happens here, so a missing
    aligner fails before any file is read.
    """

    def __init__(
        self,
        resolution: int,
        template: Template | None,
        preset_name: str,
        *,
        align: bool | None = None,
        aligner: str | Aligner | None = None,
        faces: str = "all",
        min_face: float = DEFAULT_MIN_FACE,
    ) -> None:
        if faces not in FACE_CHOICES:
            raise LatentroomError(f"faces must be one of {', '.join(FACE_CHOICES)}, got {faces!r}")
        if not (min_face >= 0 and math.isfinite(min_face)):
            raise LatentroomError(f"min face size must be a number of pixels >= 0, got {min_face}")
        if align and template is None:
            raise LatentroomError(f"preset {preset_name!r} has no alignment template; it edits the whole frame")
        self.resolution = resolution
        self.template = template if align is not False else None
        self._whole_frame_reason = "alignment turned off" if template is not None else "the preset has no face template"
        self.faces, self.min_face = faces, float(min_face)
        self.aligner: Aligner | None = None
        self.aligner_name: str | None = None
        self.photo_hint: str | None = None
        """The option that switches to the photo aligner, when the preset chose another."""
        if self.template is not None:
            if isinstance(aligner, str) or aligner is None:
                self.aligner_name = choose_aligner(aligner, self.template.aligner, preset_name)
                self.aligner = build_aligner(self.aligner_name)
                self.photo_hint = photo_hint(self.aligner_name, aligner)
            else:
                self.aligner_name, self.aligner = type(aligner).__name__, aligner

    @property
    def aligned(self) -> bool:
        return self.template is not None

    def describe(self) -> str:
        """One line for ``apply``'s output: how photos are edited."""
        if self.template is None:
            return f"whole frame ({self._whole_frame_reason})"
        line = f"faces aligned by '{self.aligner_name}' (--faces {self.faces}, --min-face {self.min_face:g})"
        if self.photo_hint:
            line += f"; the preset's aligner, for photographs pass {self.photo_hint}"
        return line

    def no_face_note(self) -> str:
        """What ``apply`` says about a photo in which no face was found."""
        note = "no face found; copied unchanged"
        if self.photo_hint:
            note += f" (aligner '{self.aligner_name}'; for a photograph pass {self.photo_hint})"
        return note

    def plan(self, picture: Picture) -> WholeFrame | AlignedFaces:
        if self.template is None:
            return WholeFrame(picture, self.resolution)
        return self.align(picture, self.detect(picture))

    def detect(self, picture: Picture) -> list[Face]:
        """The faces to edit: detected, then chosen by ``faces`` and ``min_face``."""
        found = detect_faces(self.aligner, picture.rgb)
        return select_faces(found, self.faces, self.min_face, picture.size)

    def align(self, picture: Picture, faces: Sequence[Face]) -> AlignedFaces:
        """Each face's transform and region, and its ``[R, R, 3]`` model input."""
        plan = AlignedFaces(picture, self.template)
        h, w = picture.rgb.shape[:2]
        crops = []
        for face in faces:
            to_frame = self.template.transform(face.landmarks)
            x0, y0, x1, y1 = self.template.mask_extent(to_frame)
            plan.aligned.append(AlignedFace(face, to_frame, (max(x0, 0), max(y0, 0), min(x1, w), min(y1, h))))
            crops.append(cut_frame(picture.rgb, to_frame, self.resolution))
        r = self.resolution
        plan.inputs = np.stack(crops) if crops else np.zeros((0, r, r, 3), np.float32)
        return plan
