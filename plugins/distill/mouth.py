"""The input's own mouth kept in the teacher's targets (``author --keep-mouth``).

A teacher that draws a beard redraws the mouth with it, somewhere that varies from
face to face, and a student trained on such targets keeps neither that mouth nor the
input's: under an opaque fill the mouth comes out faint, blurred or doubled
(docs/distillation.md, session 35). The renderer's truth draws the face's own mouth
over the beard. So each target gets the same:

1. the mouth's corners are found on the input with the face template's aligner
   (:class:`MouthFinder`; once per face of a latent-pairs file, whose inputs repeat);
2. in a box round them, sized by the mouth's width so that it scales with the face,
   the lips' colour is the mean of the input's pixels redder (``R - (G + B) / 2``)
   than the box's median by :data:`LIP_MARGIN`; every pixel is read as a mix of the
   skin (the box's median) and the lips, its cover its share of the way between the
   two colours, and the lips are the pixels at least half lips (:func:`input_lips`);
3. the teacher's redrawn lips are its pixels in the box nearer the input's lip colour
   than to the beard round them (:func:`redrawn_lips`); they are filled in from the
   teacher's own pixels round them (a normalised box average);
4. the lips' own colours (the skin taken out of each pixel) are drawn over the fill,
   as much of each pixel as they cover in the input, so that the mouth's edge meets
   the beard as it met the skin (:func:`keep_mouth`). Laying the input's pixels over
   instead (session 35's CPU run) drew a rim of the input's skin round the mouth on
   the beard;
5. only where the teacher changed the input: a pair it left alone keeps its target.

A face where the aligner finds no face keeps the teacher's target as it is.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from latentroom.engine.alignment import LANDMARK_NAMES
from latentroom.engine.image_output import to_pixels

LIP_MARGIN = 0.08
"""How much redder (``R - (G + B) / 2``, 0-1 units) than its box's median an input's lip
pixel is: on session 27's beard bank this took the lips and no skin."""
MAX_LIP_SHARE = 0.3
"""Lips fill about a tenth of their box; more is a red beard or shadow, and the face's
target is left as the teacher drew it."""
LIP_COLOUR_SHARE = 0.5
MIN_COLOUR_APART = 0.1
"""A pixel of the teacher's is its redrawn lips when its colour is nearer the input's mean
lip colour than half the distance (RGB, 0-1 units) from there to the beard round them:
skin, however red, lies farther. Lips and beard less than 0.1 apart are not told apart."""
TEACHER_CHANGED = 0.1
"""A teacher's pixel this far from the input's (in any channel, -1..1 units: 13 levels of
255) or farther is its own drawing and is worked on in full; nearer, in proportion, so
that a pair the teacher leaves alone keeps its target exactly."""
BOX_SIDES = 0.25
BOX_ABOVE_BELOW = 0.6
"""The lips' box reaches this many mouth widths beyond the corners sideways and up and
down: the upper lip's bow and the lower lip lie well off the corners' line."""
REFERENCE_RESOLUTION = 128
FILL_KERNEL = 9
GROW = 1
"""At 128 px: the fill's box (pixels), and how far the lips are grown so that the fill
and the cover take their drawn edge too; both scale with the resolution."""
MOUTH = [LANDMARK_NAMES.index("mouth_left"), LANDMARK_NAMES.index("mouth_right")]


def _scaled(pixels: int, resolution: int) -> int:
    return max(1, round(pixels * resolution / REFERENCE_RESOLUTION))


def _mouth_corners(aligner: Any, rgb: np.ndarray) -> np.ndarray:
    """``[2, 2]``: the mouth corners of the aligner's best face in ``rgb`` (NaN: none)."""
    faces = aligner.detect(rgb)
    if not faces:
        return np.full((2, 2), np.nan)
    return np.asarray(faces[0].landmarks, float)[MOUTH]


_worker_aligner: Any = None


def _start_worker(name: str) -> None:
    from latentroom.engine.aligners import build_aligner

    global _worker_aligner
    _worker_aligner = build_aligner(name)


def _worker_corners(rgb: np.ndarray) -> np.ndarray:
    return _mouth_corners(_worker_aligner, rgb)


class MouthFinder:
    """Mouth corners ``[B, 2, 2]`` (left, right; ``x, y``; NaN where no face was found) of
    images, by an aligner (``detect(rgb) -> faces`` with five landmarks), its best face
    each; faces of a latent-pairs file are looked up once and kept."""

    def __init__(self, aligner: Any, name: str, threads: int | None = None) -> None:
        self.aligner, self.name = aligner, name
        self.threads = threads or min(16, os.cpu_count() or 1)
        self.known: dict[int, np.ndarray] = {}
        self.looked = self.missed = 0
        self._processes: Executor | None = None

    @contextmanager
    def in_processes(self) -> Iterator[None]:
        """Look faces up in as many processes as the finder has threads while inside,
        each with the aligner built again by its name. An aligner's own Python
        (cutting pictures, reading peaks) holds the GIL, so threads stop scaling long
        before a 16-core machine's cores do; starting the processes takes a few seconds,
        which pays for itself over a pairs file's thousands of faces."""
        spawn = multiprocessing.get_context("spawn")  # the parent may hold CUDA: never fork it
        with ProcessPoolExecutor(self.threads, mp_context=spawn,
                                 initializer=_start_worker, initargs=(self.name,)) as pool:
            self._processes = pool
            try:
                yield
            finally:
                self._processes = None

    def _detect_all(self, images: torch.Tensor) -> list[np.ndarray]:
        rgb = list(to_pixels(images))  # uint8 [R, R, 3] each, as an aligner reads pictures
        if self._processes is not None:
            found = list(self._processes.map(_worker_corners, rgb, chunksize=8))
        else:
            with ThreadPoolExecutor(self.threads) as pool:
                found = list(pool.map(lambda picture: _mouth_corners(self.aligner, picture), rgb))
        self.looked += len(found)
        self.missed += sum(bool(np.isnan(c).any()) for c in found)
        return found

    def corners(self, images: torch.Tensor, faces: torch.Tensor | None = None) -> torch.Tensor:
        """The corners of ``images``, on the host (where :func:`keep_mouth` finds its
        window without waiting for the GPU); ``faces`` (their indices in a pairs file)
        to look each face up once."""
        if faces is None:
            found = self._detect_all(images)
        else:
            keys = [int(f) for f in faces]
            new = sorted({k for k in keys if k not in self.known})
            if new:
                first = {k: keys.index(k) for k in new}
                self.known.update(zip(new, self._detect_all(images[[first[k] for k in new]])))
            found = [self.known[k] for k in keys]
        return torch.from_numpy(np.stack(found)).float()

    def report(self) -> str:
        return (f"keep-mouth: the {self.name} aligner found no face on {self.missed} of the {self.looked} inputs "
                "it looked at (their targets kept as the teacher drew them)")


def mouth_boxes(corners: torch.Tensor, resolution: int) -> torch.Tensor:
    """Boolean ``[B, R, R]``: the box round each face's mouth corners (empty without corners)."""
    left, right = corners[:, 0], corners[:, 1]
    width = (right[:, 0] - left[:, 0]).abs().clamp(min=1.0)
    x0 = torch.minimum(left[:, 0], right[:, 0]) - BOX_SIDES * width
    x1 = torch.maximum(left[:, 0], right[:, 0]) + BOX_SIDES * width
    y0 = torch.minimum(left[:, 1], right[:, 1]) - BOX_ABOVE_BELOW * width
    y1 = torch.maximum(left[:, 1], right[:, 1]) + BOX_ABOVE_BELOW * width
    grid = torch.arange(resolution, device=corners.device, dtype=torch.float32) + 0.5  # pixel centres
    inside_x = (grid[None] >= x0[:, None]) & (grid[None] <= x1[:, None])
    inside_y = (grid[None] >= y0[:, None]) & (grid[None] <= y1[:, None])
    return inside_y[:, :, None] & inside_x[:, None, :]  # NaN corners compare False: an empty box


def _redness(images: torch.Tensor) -> torch.Tensor:
    return (images[:, 0] - (images[:, 1] + images[:, 2]) / 2) / 2  # R - (G + B) / 2 in 0-1 units


def _box_median(images: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """``[B, C, 1, 1]``: each channel's median inside each face's box (NaN for an empty box)."""
    inside = torch.where(boxes[:, None], images, torch.full_like(images, float("nan")))
    return inside.flatten(2).nanmedian(dim=2).values[..., None, None]


def _share_of_box(mask: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """``[B]``: how much of each face's box ``mask`` (``[B, R, R]``) takes."""
    return mask.flatten(1).sum(1) / boxes.flatten(1).sum(1).clamp(min=1)


def _grown(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    return F.max_pool2d(mask, 2 * pixels + 1, 1, pixels)


@dataclass
class InputLips:
    """The input's lips: ``core`` ``[B, 1, R, R]`` in {0, 1}, the pixels at least half lips
    (none where the lips would take more than :data:`MAX_LIP_SHARE` of the box: a red
    beard or shadow rather than lips); ``cover`` in ``[0, 1]``, how much of each pixel
    the lips cover, on the core grown by :data:`GROW` (a drawn edge is part lips, part
    skin); ``own`` ``[B, 3, R, R]``, the lips' own colour at each pixel, the skin taken
    out of it (shading and all); ``colour`` ``[B, 3, 1, 1]``, the lips' mean colour."""

    core: torch.Tensor
    cover: torch.Tensor
    own: torch.Tensor
    colour: torch.Tensor

    @property
    def found(self) -> torch.Tensor:
        return self.core.flatten(1).amax(1) > 0


def input_lips(x: torch.Tensor, boxes: torch.Tensor, resolution: int | None = None) -> InputLips:
    """The input's lips inside ``boxes``; ``resolution`` is the whole image's where ``x`` is
    a window of it. The lips' colour is the mean of the pixels redder than the box's
    median by :data:`LIP_MARGIN`; each pixel is then read as a mix of the skin (the box's
    median colour) and the lips, its cover its share of the way from one colour to the
    other, so that the edge of a drawn mouth is told apart from its inside."""
    redness = _redness(x)[:, None]
    median = _box_median(redness, boxes).nan_to_num()  # an empty box finds no lips
    seeds = (boxes & (redness > median + LIP_MARGIN)[:, 0]).float()[:, None]
    colour = (x * seeds).sum((2, 3), keepdim=True) / seeds.sum((2, 3), keepdim=True).clamp(min=1)
    skin = _box_median(x, boxes).nan_to_num()
    towards = colour - skin
    share = (((x - skin) * towards).sum(1, keepdim=True)
             / towards.square().sum(1, keepdim=True).clamp(min=1e-6)).clamp(0, 1)
    half_lips = share >= 0.5
    core = torch.maximum(seeds, half_lips.float() * boxes[:, None] * seeds.amax((2, 3), keepdim=True))
    # The core holds the seeds, so a box too full of them is caught here too.
    core = core * (_share_of_box(core[:, 0], boxes) <= MAX_LIP_SHARE).reshape(-1, 1, 1, 1)
    own = torch.where(half_lips, skin + (x - skin) / share.clamp(min=0.5), colour)
    cover = share * _grown(core, _scaled(GROW, resolution or x.shape[-1]))
    return InputLips(core, cover, own, colour)


def redrawn_lips(y: torch.Tensor, boxes: torch.Tensor, lips: InputLips,
                 resolution: int | None = None) -> torch.Tensor:
    """``[B, 1, R, R]`` in {0, 1}: the teacher's lips in ``y``, its pixels in the box nearer
    the input's lip colour than :data:`LIP_COLOUR_SHARE` of the way to the colour round
    them (the box's median: the beard), grown by :data:`GROW`; none where the two colours
    are too alike to tell apart or the lips would fill more than :data:`MAX_LIP_SHARE` of
    the box."""
    around = _box_median(y, boxes)
    apart = ((around - lips.colour) / 2).square().sum(1).sqrt()  # RGB distance, 0-1 units
    distance = ((y - lips.colour) / 2).square().sum(1).sqrt()
    near = boxes & (distance < LIP_COLOUR_SHARE * apart)
    usable = lips.found & (apart.flatten(1)[:, 0] >= MIN_COLOUR_APART) & (_share_of_box(near, boxes) <= MAX_LIP_SHARE)
    return _grown((near & usable.reshape(-1, 1, 1)).float()[:, None], _scaled(GROW, resolution or y.shape[-1]))


def _window(boxes: torch.Tensor, margin: int) -> tuple[slice, slice] | None:
    """The rows and columns of every face's box, ``margin`` pixels wider (``None``: no box)."""
    rows, cols = boxes.any(2).any(0).nonzero()[:, 0], boxes.any(1).any(0).nonzero()[:, 0]
    if len(rows) == 0:
        return None
    size = boxes.shape[-1]
    return (slice(max(0, int(rows[0]) - margin), min(size, int(rows[-1]) + 1 + margin)),
            slice(max(0, int(cols[0]) - margin), min(size, int(cols[-1]) + 1 + margin)))


def _filled(y: torch.Tensor, redrawn: torch.Tensor, kernel: int) -> torch.Tensor:
    """``y`` with the ``redrawn`` pixels replaced by the average of the others round them."""
    keep = 1 - redrawn
    around = (F.avg_pool2d(y * keep, kernel, 1, kernel // 2)
              / F.avg_pool2d(keep, kernel, 1, kernel // 2).clamp(min=1e-3))
    return y + redrawn * (around - y)


def keep_mouth(x: torch.Tensor, y: torch.Tensor, corners: torch.Tensor) -> torch.Tensor:
    """The target ``y`` with its redrawn lips filled in from the pixels round them and the
    input's lips drawn over, as much of each pixel as they cover in the input, wherever
    the teacher changed the input; as it is where the input's lips were not found.
    Worked on a window round the boxes wide enough for the fill, so a face's result does
    not depend on its batch. The window is found from ``corners`` where they are: on the
    host (as :meth:`MouthFinder.corners` gives them) that needs no wait for the GPU,
    which reading it back from the device would cost every batch."""
    resolution = x.shape[-1]
    kernel = _scaled(FILL_KERNEL, resolution) | 1
    boxes = mouth_boxes(corners, resolution)
    window = _window(boxes, kernel // 2 + _scaled(GROW, resolution) + 1)
    if window is None:
        return y
    rows, cols = window
    x_in, y_in, boxes = x[..., rows, cols], y[..., rows, cols], boxes[:, rows, cols].to(x.device)
    lips = input_lips(x_in, boxes, resolution)
    filled = _filled(y_in, redrawn_lips(y_in, boxes, lips, resolution), kernel)
    # The lips' own colours over the fill, each pixel as much as the lips cover it: the
    # input's own pixels at the mouth's edge would bring a rim of its skin onto a beard.
    drawn = filled + lips.cover * (lips.own - filled)
    # A pixel the teacher left as the input had it is the input's mouth or skin already.
    changed = ((y_in - x_in).abs().amax(1, keepdim=True) / TEACHER_CHANGED).clamp(max=1)
    kept = y.clone()
    kept[..., rows, cols] = y_in + changed * (drawn - y_in)
    return kept


__all__ = ["InputLips", "LIP_MARGIN", "MouthFinder", "input_lips", "keep_mouth", "mouth_boxes", "redrawn_lips"]
