"""Latent pairs: each face's own edit, as W+ latents, for ``author --latent-pairs``.

A direction (even one with a per-face correction) predicts each face's edit from its
latent, and what it cannot predict the teacher gets wrong on every face: the toyfaces
glasses direction pulls each face's eyes towards the average size, although every
face's own true offset, read through the hybrid inverter, keeps them
(docs/distillation.md). Where paired examples exist, the teacher can use them as
they are: for each face the latents of the face (``before``), of it edited up
(``up``) and of it edited down (``down``), e.g. a render and its true edits read
through an inverter (``inverted-truth --param pairs=FILE``). A training pair at
strength ``s`` is then ``x = G(before)`` and ``y = G(before + |s| / truth_strength *
(side - before))`` on the direction's layers, where ``side`` is ``up`` for ``s >= 0``
and ``down`` otherwise: at ``truth_strength`` the edit is the face's whole offset,
the unit a corrected direction uses too (:mod:`latentroom.engine.direction_correction`).
A face whose side did not change (glasses put on a face that wears them) has a zero
offset, so its pair says "leave it".

Below the truth strength the edit is drawn one of two ways (``author --partial-edit``).
``fade`` (the default): the face's whole edit, faded in on the image,
``y = x + |s| / truth_strength * (G(side) - x)``, so each face has one drawing of its
edit and the strength is its opacity. ``latent``: the generator at that share of the
offset, as above. The generator does not draw a yes/no attribute part of the way: on
the toyfaces glasses the latent path goes from a dark box round the eyes to frames
twice the size that shrink as the amount nears one, differently for every face, and a
student that sees those amounts beside the truth strength draws their average, doubled
rings (docs/distillation.md, session 25). Beyond the truth strength both extrapolate
the latent.

The faces are fixed, so the last ``held_out`` of them are kept out of training: the
held-out pairs that measure the student against its teacher come from those.

A file may also give each face its own region per side (``region_up``,
``region_down``): where that edit may change the face's pixels, e.g. where its true edit
does (``inverted-truth --param pairs_regions=true``). The target then keeps the edit only
there, ``y = x + region * (y - x)``, as a preset's fixed region does for every face. The
generator draws a read edit past where the truth ends (hair_length's new hair falls past
the truth's bob, and a fixed region cuts it into a band over the shirt; session 50); a
face's own region ends it where its truth does.

The file is a plain ``.npz`` (``np.savez``, no pickle) of ``before``, ``up`` and
``down`` ``[N, L, D]``, optionally ``region_up`` and ``region_down`` (bool
``[N, R, R]`` at the generator's resolution), and ``record``, a JSON string: the format,
the attribute, the generator and its weights' digest, the truth strength and how the
faces were made.
The direction found with them records the file's digest (``details.pairs``), and
``author`` takes the pairs only beside that direction: the strengths are its units. It is untrusted input: bounded in size, checked array by
array, errors name the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentroom.engine.atomic import atomic_write
from latentroom.engine.bounded_json import loads_bounded
from latentroom.engine.npz import NpzProblem, read_npz
from latentroom.plugins.distill.errors import DistillError, read_option_file

FORMAT = "latentroom-latent-pairs"
VERSION = 1
ARRAYS = ("before", "up", "down")
REGION_ARRAYS = ("region_up", "region_down")
PARTIAL_EDITS = ("fade", "latent")
MAX_PAIRS_BYTES = 2 * 1024**3
"""Four thousand faces of a 1024-px StyleGAN2 (18 x 512 latents, float32) are about
0.4 GB; a larger file is not one we would write."""
RECORD_KEYS = ("format", "version", "attribute", "generator", "generator_weights_sha256", "truth_strength",
               "held_out", "made_by")


def held_out_count(faces: int) -> int:
    """A tenth of the faces, at most 256 (what ``author`` measures on), at least one."""
    return max(1, min(256, faces // 10))


def write_latent_pairs(path: Path, before: np.ndarray, up: np.ndarray, down: np.ndarray,
                       record: dict[str, Any], regions: tuple[np.ndarray, np.ndarray] | None = None) -> str:
    """Write the file (temp file, then rename), with each face's region per side (up,
    down) when given; returns its sha256."""
    record = {"format": FORMAT, "version": VERSION, "held_out": held_out_count(len(before)), **record}
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise ValueError(f"latent pairs record lacks {', '.join(missing)}")
    buffer = io.BytesIO()
    region_arrays = {} if regions is None else {name: np.asarray(region, bool)
                                                for name, region in zip(REGION_ARRAYS, regions)}
    np.savez(buffer, before=np.asarray(before, np.float32), up=np.asarray(up, np.float32),
             down=np.asarray(down, np.float32), **region_arrays, record=np.array(json.dumps(record)))
    data = buffer.getvalue()
    atomic_write(path, lambda f: f.write(data))
    return hashlib.sha256(data).hexdigest()


@dataclass
class LatentPairs:
    """A loaded latent-pairs file (module docstring); the arrays are float32 ``[N, L, D]``."""

    path: Path
    before: np.ndarray
    up: np.ndarray
    down: np.ndarray
    record: dict[str, Any]
    sha256: str
    regions: tuple[np.ndarray, np.ndarray] | None = None  # each face's, up and down: bool [N, R, R]

    @property
    def faces(self) -> int:
        return len(self.before)

    @property
    def held_out(self) -> int:
        return int(self.record["held_out"])

    @property
    def truth_strength(self) -> float:
        return float(self.record["truth_strength"])

    def check_fits(self, generator: Any, direction: Any) -> None:
        """The pairs must come from this generator and be the ones ``direction`` was found with."""
        shape = (int(generator.n_latent), int(generator.style_dim))
        if self.before.shape[1:] != shape:
            raise DistillError(f"--latent-pairs {self.path}: latents are {list(self.before.shape[1:])}, the "
                               f"generator takes {list(shape)}")
        weights = getattr(generator, "weights_sha256", None)
        if weights is not None and self.record["generator_weights_sha256"] != weights:
            raise DistillError(f"--latent-pairs {self.path}: made with other generator weights "
                               f"({self.record['generator']}, sha256 {self.record['generator_weights_sha256'][:12]}...)")
        if self.record["attribute"] != direction.attribute:
            raise DistillError(f"--latent-pairs {self.path}: pairs for {self.record['attribute']!r}, the direction "
                               f"edits {direction.attribute!r}")
        size = int(generator.size)
        if self.regions is not None and self.regions[0].shape[1:] != (size, size):
            raise DistillError(f"--latent-pairs {self.path}: its faces' regions are "
                               f"{'x'.join(map(str, self.regions[0].shape[1:]))} px, the generator draws "
                               f"{size}x{size}")
        found_with = (direction.provenance.details.get("pairs") or {}).get("sha256")
        if found_with != self.sha256:
            raise DistillError(f"--latent-pairs {self.path}: not the pairs the direction was found with "
                               + ("(it records other ones)" if found_with else "(it records none)")
                               + "; pass the direction and pairs one find wrote")

    def describe(self) -> dict[str, Any]:
        return {"file": self.path.name, "sha256": self.sha256, "faces": self.faces, "held_out": self.held_out,
                "truth_strength": self.truth_strength, "made_by": self.record["made_by"],
                "face_regions": self.regions is not None}


def load_latent_pairs(path: Path) -> LatentPairs:
    """Read and check ``path``; every problem raises :class:`DistillError` naming it."""
    data = read_option_file("--latent-pairs", path, MAX_PAIRS_BYTES)
    arrays, record = _unpack(path, data)
    regions = _checked_regions(path, [arrays.pop(name) for name in REGION_ARRAYS if name in arrays])
    _check_arrays(path, arrays)
    _check_record(path, record, len(arrays["before"]))
    if regions is not None and len(regions[0]) != len(arrays["before"]):
        raise DistillError(f"--latent-pairs {path}: regions for {len(regions[0])} faces, latents for "
                           f"{len(arrays['before'])}")
    return LatentPairs(path, arrays["before"], arrays["up"], arrays["down"], record,
                       hashlib.sha256(data).hexdigest(), regions)


def _unpack(path: Path, data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        layout = set(ARRAYS) | {"record"}
        arrays = read_npz(data, MAX_PAIRS_BYTES, [layout, layout | set(REGION_ARRAYS)],
                          f"{', '.join(ARRAYS)} and record, and optionally {' and '.join(REGION_ARRAYS)}",
                          kind="a latent-pairs .npz")
        record = loads_bounded(str(arrays.pop("record")[()]))
    except NpzProblem as exc:
        raise DistillError(f"--latent-pairs {path}: {exc}") from None
    except ValueError as exc:
        raise DistillError(f"--latent-pairs {path}: its record is not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise DistillError(f"--latent-pairs {path}: its record is not a JSON object")
    return arrays, record


def _check_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    shape = arrays["before"].shape
    for name, array in arrays.items():
        if array.dtype.kind != "f":
            raise DistillError(f"--latent-pairs {path}: '{name}' is {array.dtype}, not a float array")
        if array.ndim != 3 or array.shape != shape:
            raise DistillError(f"--latent-pairs {path}: '{name}' has shape {list(array.shape)}; expected "
                               f"[faces, layers, style_dim] like 'before' {list(shape)}")
        if not np.isfinite(array).all():
            raise DistillError(f"--latent-pairs {path}: '{name}' holds NaN or infinite values")
        arrays[name] = array.astype(np.float32, copy=False)
    if shape[0] < 2:
        raise DistillError(f"--latent-pairs {path}: {shape[0]} face(s); at least 2 are needed (one held out)")


def _checked_regions(path: Path, regions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The faces' regions, up and down, as bool ``[N, R, R]`` of one shape, or None."""
    if not regions:
        return None
    for name, region in zip(REGION_ARRAYS, regions):
        if region.dtype != np.bool_:
            raise DistillError(f"--latent-pairs {path}: '{name}' is {region.dtype}, not a bool array")
        if region.ndim != 3 or region.shape[1] != region.shape[2] or region.shape != regions[0].shape:
            raise DistillError(f"--latent-pairs {path}: '{name}' has shape {list(region.shape)}; expected "
                               f"[faces, size, size] like '{REGION_ARRAYS[0]}' {list(regions[0].shape)}")
    return regions[0], regions[1]


def _check_record(path: Path, record: dict[str, Any], faces: int) -> None:
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing or record["format"] != FORMAT or record["version"] != VERSION:
        raise DistillError(f"--latent-pairs {path}: not a {FORMAT} version {VERSION} record"
                           + (f" (lacks {', '.join(missing)})" if missing else ""))
    strength = record["truth_strength"]
    if not isinstance(strength, (int, float)) or not math.isfinite(strength) or strength <= 0:
        raise DistillError(f"--latent-pairs {path}: truth_strength {strength!r} is not a positive number")
    held = record["held_out"]
    if not isinstance(held, int) or not 1 <= held < faces:
        raise DistillError(f"--latent-pairs {path}: held_out {held!r} must keep 1 to {faces - 1} of {faces} faces")


class PairLatents:
    """The pairs on a device, drawn as ``(before, edited)`` W+ latents for a sampler, with
    how much of the edited image the target keeps (``partial``: see the module's notes)."""

    def __init__(self, pairs: LatentPairs, layers: tuple[int, ...], device: torch.device,
                 partial: str = "fade") -> None:
        if partial not in PARTIAL_EDITS:
            raise ValueError(f"partial edit {partial!r}: expected one of {', '.join(PARTIAL_EDITS)}")
        self.pairs = pairs
        self.fade = partial == "fade"
        self.layers = torch.tensor(layers, device=device)
        self.before = torch.from_numpy(pairs.before).to(device)
        self.offset_up = torch.from_numpy(pairs.up).to(device) - self.before
        self.offset_down = torch.from_numpy(pairs.down).to(device) - self.before
        self.regions = None if pairs.regions is None else [torch.from_numpy(r).to(device) for r in pairs.regions]
        self.training = pairs.faces - pairs.held_out

    def draw(self, n: int, gen: torch.Generator, held_out: bool) -> torch.Tensor:
        """``n`` face indices (with repeats): from the held-out faces or the others."""
        start, count = (self.training, self.pairs.held_out) if held_out else (0, self.training)
        return start + torch.randint(count, (n,), generator=gen)

    def latents(self, faces: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(before, edited, opacity)`` for face indices and strengths ``[B]`` on the device:
        latents ``[B, L, D]`` and how much of ``G(edited) - G(before)`` the target keeps ``[B]``."""
        faces = faces.to(self.before.device)
        before = self.before[faces]
        amount = strength.abs() / self.pairs.truth_strength
        opacity = amount.clamp(max=1.0) if self.fade else torch.ones_like(amount)
        drawn = amount.clamp(min=1.0) if self.fade else amount
        offset = torch.where((strength >= 0).reshape(-1, 1, 1), self.offset_up[faces], self.offset_down[faces])
        edited = before.clone()
        edited[:, self.layers] += drawn.reshape(-1, 1, 1) * offset[:, self.layers]
        return before, edited, opacity

    def region(self, faces: torch.Tensor, strength: torch.Tensor) -> torch.Tensor | None:
        """Each face's own region for the side ``strength`` edits, ``[B, 1, R, R]`` in
        0-1 on the device, or None when the file gives none."""
        if self.regions is None:
            return None
        faces = faces.to(self.before.device)
        up, down = (region[faces] for region in self.regions)
        return torch.where((strength >= 0).reshape(-1, 1, 1), up, down)[:, None].float()


__all__ = ["FORMAT", "LatentPairs", "MAX_PAIRS_BYTES", "PARTIAL_EDITS", "PairLatents", "REGION_ARRAYS",
           "held_out_count", "load_latent_pairs", "write_latent_pairs"]
