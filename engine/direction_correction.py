"""A direction's per-face correction: an edit that depends on the face it edits.

One W+ offset moves every face the same way, and some true edits do not: glasses in
the toyfaces world are drawn round each face's own eyes, so the true offset in W+ of
putting them on varies with the face. Read off paired examples (the ``inverted-truth``
source with ``correction=K``), the variation is partly a linear function of the input
latent. A corrected direction adds, on its layers, ``strength / truth_strength`` times

    residual(w) = intercept + ((w - mean) @ basis) @ weights     (reshaped [L, D])

to its ordinary edit, where ``w`` is the mean of the input's latents over those layers
and ``basis`` holds the ``K`` leading principal directions of the examples' inputs
(``plugins.directions.edit.correction_residual`` computes it, in torch).
At ``truth_strength`` (the strength whose plain edit is the examples' mean offset) the
edit is the whole predicted offset of that face.

A correction may have a second side, ``weights_down`` and ``intercept_down``, for
negative strengths: a negative strength ``s`` then adds ``|s| / truth_strength`` times
that side's residual (same formula, same ``mean`` and ``basis``) instead of the first
side's negated. Edits that are not each other's mirror image need it: putting glasses
on a face that lacks them and taking them off one that wears them are different
offsets, and on a face that already wears glasses the truth of a positive edit is no
change at all, which a residual linear in the strength cannot also say for the
negative edit (it would put them back on).

``reads`` names the inverter the examples' inputs came through (``"encoder"``), when
they did. Its latents fill their own part of W (an encoder's are pulled towards the
average face), so a correction fitted on them predicts the wrong residual from a
generator sample's own ``w``: the editor then reads each face it edits through that
inverter first (``plugins.directions.edit.CorrectionReader``). None: the correction
reads the edited latents themselves.

Stored beside the direction as ``NAME.correction.npz`` (``np.savez``, no pickle; the
JSON records its digest), and the direction file's version is then 2, so a reader that
knows only plain directions refuses it instead of dropping the correction.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentroom.engine.errors import LatentroomError
from latentroom.engine.npz import NpzProblem, read_npz
from latentroom.engine.regular_files import TooLarge, read_regular

ARRAYS = ("mean", "basis", "weights", "intercept")
DOWN_ARRAYS = ("weights_down", "intercept_down")  # the optional side for negative strengths
# A correction's arrays are a few MB at most for any StyleGAN (style_dim 512, 16 layers,
# K up to style_dim); a larger file is not one of ours.
MAX_CORRECTION_BYTES = 64 * 1024 * 1024
# An inverter plugin's name, as the registry spells them.
READS_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class CorrectionError(LatentroomError):
    """A correction's arrays do not fit together or their file is unusable."""


@dataclass(frozen=True, eq=False)
class Correction:
    """The arrays of the module docstring: ``mean [D]``, ``basis [D, K]``,
    ``weights [K, L*D]``, ``intercept [L*D]`` (float32, read-only),
    ``truth_strength`` (> 0), ``reads`` (an inverter's name, or None) and the
    optional side for negative strengths, ``weights_down`` and ``intercept_down``
    (shaped as ``weights`` and ``intercept``; both or neither)."""

    mean: np.ndarray
    basis: np.ndarray
    weights: np.ndarray
    intercept: np.ndarray
    truth_strength: float
    reads: str | None = None
    weights_down: np.ndarray | None = None
    intercept_down: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.weights_down is None) != (self.intercept_down is None):
            raise CorrectionError("correction: 'weights_down' and 'intercept_down' come together")
        for name in self.array_names:
            array = np.array(getattr(self, name), dtype=np.float32)
            if not np.all(np.isfinite(array)):
                raise CorrectionError(f"correction: '{name}' has non-finite values")
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        dim = self.mean.shape[0] if self.mean.ndim == 1 else -1
        components = self.basis.shape[1] if self.basis.ndim == 2 else -1
        if (dim < 1 or self.basis.shape != (dim, components) or components < 1 or self.weights.ndim != 2
                or self.weights.shape[0] != components or self.intercept.shape != (self.weights.shape[1],)
                or self.weights.shape[1] % dim):
            raise CorrectionError(
                "correction: arrays do not fit together (mean [D], basis [D, K], weights [K, L*D], "
                f"intercept [L*D]; got {', '.join(f'{n} {list(getattr(self, n).shape)}' for n in ARRAYS)})")
        if self.two_sided and (self.weights_down.shape != self.weights.shape
                               or self.intercept_down.shape != self.intercept.shape):
            raise CorrectionError(f"correction: the negative side's arrays (weights_down "
                                  f"{list(self.weights_down.shape)}, intercept_down {list(self.intercept_down.shape)}) "
                                  "must be shaped as weights and intercept")
        if not (math.isfinite(self.truth_strength) and self.truth_strength > 0):
            raise CorrectionError(f"correction: truth_strength must be a positive number, got {self.truth_strength}")
        object.__setattr__(self, "truth_strength", float(self.truth_strength))
        if self.reads is not None and not (isinstance(self.reads, str) and READS_PATTERN.fullmatch(self.reads)):
            raise CorrectionError(f"correction: 'reads' must name an inverter, got {self.reads!r}")

    @property
    def two_sided(self) -> bool:
        """Whether negative strengths have their own side."""
        return self.weights_down is not None

    @property
    def array_names(self) -> tuple[str, ...]:
        return ARRAYS + DOWN_ARRAYS if self.two_sided else ARRAYS

    def side(self, negative: bool) -> tuple[np.ndarray, np.ndarray]:
        """``(weights, intercept)`` of the side that edits at a negative strength or not
        (a one-sided correction has one side for both)."""
        if negative and self.two_sided:
            return self.weights_down, self.intercept_down
        return self.weights, self.intercept

    @property
    def style_dim(self) -> int:
        return int(self.mean.shape[0])

    @property
    def layer_count(self) -> int:
        return int(self.weights.shape[1] // self.style_dim)

    @property
    def components(self) -> int:
        return int(self.basis.shape[1])

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, **{name: getattr(self, name) for name in self.array_names})
        return buffer.getvalue()

    def digest(self) -> str:
        return hashlib.sha256(b"".join(np.ascontiguousarray(getattr(self, n), dtype="<f4").tobytes()
                                       for n in self.array_names)).hexdigest()


def load_correction(path: Path, truth_strength: float, digest: str | None, reads: str | None = None) -> Correction:
    """Read ``path`` (``np.savez`` of :data:`ARRAYS`); every problem raises
    :class:`CorrectionError` naming the file."""
    try:
        data = read_regular(path, MAX_CORRECTION_BYTES)
    except FileNotFoundError:
        raise CorrectionError(f"{path}: correction file is missing") from None
    except TooLarge:
        raise CorrectionError(f"{path}: correction file is larger than {MAX_CORRECTION_BYTES} bytes") from None
    except OSError as exc:
        raise CorrectionError(f"{path}: cannot read correction file ({exc})") from None
    try:
        arrays = read_npz(data, MAX_CORRECTION_BYTES, [ARRAYS, ARRAYS + DOWN_ARRAYS],
                          f"{', '.join(ARRAYS)} (and for a two-sided correction {', '.join(DOWN_ARRAYS)})",
                          kind="a correction .npz archive")
    except NpzProblem as exc:
        raise CorrectionError(f"{path}: {exc}") from None
    bad = [name for name, array in arrays.items() if array.dtype.kind != "f"]
    if bad:
        raise CorrectionError(f"{path}: '{bad[0]}' is {arrays[bad[0]].dtype}, not a float array")
    try:
        correction = Correction(**arrays, truth_strength=truth_strength, reads=reads)
    except CorrectionError as exc:
        raise CorrectionError(f"{path}: {exc.message}") from None
    if digest is not None and digest != correction.digest():
        raise CorrectionError(f"{path}: arrays do not match the correction sha256 recorded beside them "
                              "(the .npz was replaced or edited)")
    return correction


__all__ = ["ARRAYS", "DOWN_ARRAYS", "Correction", "CorrectionError", "MAX_CORRECTION_BYTES", "READS_PATTERN", "load_correction"]
