"""Where each attribute lives in the toyfaces frame, known from the renderer.

The renderer edits one attribute and leaves every other pixel alone, so the pixels a
true edit changes are that attribute's region on that face. Two uses:

* :func:`changed_region`: per face, the pixels where two renders differ (the
  evaluation's inside/outside split, :mod:`latentroom.plugins.toyfaces.evaluate_preset`),
  and :func:`moved_region`, those a true edit visibly moves, grown (each face's own
  region for latent pairs and their ceiling);
* :func:`attribute_region`: the attribute's footprint over a population of faces,
  a soft ``[R, R]`` mask in the aligned frame every toyfaces image shares. Authoring
  uses it to keep a teacher edit local (``latentroom author --region``): the GAN's
  edit is blended into the input only where the attribute can show, so whatever
  else an entangled direction moves (hair for glasses, skin for beard) is not in the
  target the student learns.
"""

from __future__ import annotations

import numpy as np

from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTE_SPECS, edit, render, sample_params

CHANGE_THRESHOLD = 4
"""A pixel belongs to the region when some channel changes by more than this many
levels of 255: above the renderer's anti-aliasing ramps on a one-pixel shift, below
any visible change."""
REGION_SEED = 90_000
REGION_SAMPLES = 1000
FOOTPRINT_SHARE = 0.01
"""A pixel is in an attribute's footprint when a true edit changes it on at least 1%
of faces."""
CONTINUOUS_AMOUNT = 0.35
"""The continuous attributes are moved by this much of their 0-1 scale either way:
far enough to reach every pixel a typical edit touches."""
MOVED_LEVELS = 8
"""A true edit *moves* a pixel when some channel changes by more than this many levels:
the misread filter's and each face's own region's threshold, above the anti-aliasing
ramps a change's edge leaves at :data:`CHANGE_THRESHOLD`."""
MAX_REGION_GROW = 32
"""The most pixels :func:`moved_region` grows a face's region by, where it is asked for."""
FEATHER_SIGMA = 2.0
"""Pixels of Gaussian feathering on the footprint's edge, so a blended edit has no seam."""


def changed_region(before: np.ndarray, after: np.ndarray, threshold: int = CHANGE_THRESHOLD) -> np.ndarray:
    """bool ``[N, H, W]``: where two uint8 ``[N, H, W, 3]`` image sets differ."""
    diff = np.abs(before.astype(np.int16) - after.astype(np.int16)).max(axis=-1)
    return diff > threshold


def moved_region(before: np.ndarray, after: np.ndarray, grow: int = 0) -> np.ndarray:
    """bool ``[N, H, W]``: the pixels ``after`` moves from ``before`` by more than
    :data:`MOVED_LEVELS`, grown by ``grow`` pixels each way (a square, so a grown region
    covers every pixel within ``grow`` of a moved one along both axes)."""
    region = np.empty(before.shape[:3], bool)
    for start in range(0, len(before), 256):  # 256 faces at a time bound the int16 copies
        faces = slice(start, start + 256)
        region[faces] = _grow_square(changed_region(before[faces], after[faces], MOVED_LEVELS), grow)
    return region


def _grow_square(mask: np.ndarray, grow: int) -> np.ndarray:
    window = 2 * grow + 1
    for axis in (1, 2):
        padding = [(0, 0)] * 3
        padding[axis] = (grow, grow)
        mask = np.lib.stride_tricks.sliding_window_view(np.pad(mask, padding), window, axis=axis).any(-1)
    return mask


def _true_edits(attribute: str) -> tuple[float, ...]:
    if ATTRIBUTE_SPECS[attribute].kind == "binary":
        return (1.0, -1.0)  # put on, take off
    return (CONTINUOUS_AMOUNT, -CONTINUOUS_AMOUNT)


def footprint(attribute: str, size: int = 128, samples: int = REGION_SAMPLES, seed: int = REGION_SEED) -> np.ndarray:
    """float ``[size, size]``: the share of faces on which a true edit of ``attribute``
    changes each pixel (averaged over the edit's two directions)."""
    if attribute not in ATTRIBUTE_NAMES:
        raise KeyError(f"unknown attribute {attribute!r}; known: {', '.join(ATTRIBUTE_NAMES)}")
    params = sample_params(seed, samples)
    base = render(params, size)
    shares = [changed_region(base, render(edit(params, attribute, amount), size)).mean(0)
              for amount in _true_edits(attribute)]
    return np.mean(shares, axis=0)


def feather(mask: np.ndarray, sigma: float = FEATHER_SIGMA) -> np.ndarray:
    """A 0/1 mask blurred by a separable Gaussian, then scaled so the inside stays 1."""
    radius = max(1, int(round(3 * sigma)))
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma * sigma))
    taps /= taps.sum()
    out = mask.astype(np.float64)
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
        out = np.apply_along_axis(lambda line: np.convolve(line, taps, mode="valid"), axis, padded)
    # x1.5 then clip: the blur halves the mask on its edge, and the inside must stay 1.
    return np.clip(out * 1.5, 0.0, 1.0).astype(np.float32)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """A bool mask grown by ``radius`` pixels (a disc): room for a GAN edit that puts the
    attribute a few pixels from where the renderer does (a smile bending the lips lower)."""
    out = mask.astype(bool).copy()
    padded = np.pad(out, radius)
    h, w = out.shape
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx <= radius * radius:
                out |= padded[radius + dy:radius + dy + h, radius + dx:radius + dx + w]
    return out


def attribute_region(attribute: str, size: int = 128, samples: int = REGION_SAMPLES, seed: int = REGION_SEED,
                     share: float = FOOTPRINT_SHARE, grow: int = 0, sigma: float = FEATHER_SIGMA) -> np.ndarray:
    """float32 ``[size, size]`` in 0-1: the footprint of ``attribute`` (pixels changing on
    at least ``share`` of faces), grown by ``grow`` pixels and feathered by ``sigma``."""
    mask = footprint(attribute, size, samples, seed) >= share
    if grow > 0:
        mask = dilate(mask, grow)
    return feather(mask, sigma) if sigma > 0 else mask.astype(np.float32)


__all__ = ["CHANGE_THRESHOLD", "attribute_region", "changed_region", "dilate", "feather", "footprint"]
