"""The ``Direction`` value: a unit vector in W, the W+ layers it applies to, a suggested
strength range and where it came from. NumPy and JSON only (no torch), so presets
and the apply path can read direction files.

A direction is stored as two files side by side::

    smile.json   # metadata: format/version, layers, scale, strength range, provenance
    smile.npy    # the vector: a plain float32 array [style_dim] (np.save, no pickle)

and, for a direction with a per-face correction (format version 2,
:mod:`latentroom.engine.direction_correction`), a third: ``smile.correction.npz``.

Editing a W+ latent ``ws`` ``[n_latent, style_dim]`` with strength ``s`` adds
``s * scale * vector`` to the layers in ``layers`` and leaves the others alone
(:meth:`Direction.offset` builds that addend). ``scale`` is the standard deviation of
sampled ``w`` along the vector, so strength is measured in "data standard deviations"
and a strength of 2 means the same amount of change on any generator.

Layer restriction (see :func:`layer_groups`, :func:`parse_layers`): W+ layer ``j`` of a
StyleGAN drives resolution ``4 * 2**(j // 2)`` (two layers per resolution, the StyleGAN
paper's convention). ``coarse`` is 4²-8² (layers 0-3), ``middle`` 16²-32² (4-7) and
``fine`` 64² and up (8 to n_latent-1): for ``n_latent=12`` (128x128) that is 0-3, 4-7
and 8-11. Generators too small to have all three (``n_latent < 10``) are split into
three contiguous, near-equal thirds instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from latentroom.engine import limits
from latentroom.engine.atomic import atomic_write_bytes, atomic_write_text
from latentroom.engine.bounded_json import JsonBeyondBounds, loads_bounded
from latentroom.engine.direction_correction import READS_PATTERN, Correction, CorrectionError, load_correction
from latentroom.engine.errors import LatentroomError
from latentroom.engine.regular_files import TooLarge, read_regular

__all__ = [
    "FORMAT",
    "VERSION",
    "CORRECTED_VERSION",
    "UNIT_TOLERANCE",
    "DirectionError",
    "Provenance",
    "Direction",
    "layer_groups",
    "parse_layers",
    "format_layers",
    "direction_paths",
    "correction_path",
]

FORMAT = "latentroom-direction"
VERSION = 1
CORRECTED_VERSION = 2  # a direction with a per-face correction: older readers refuse it
# float32 storage of a normalised vector has norm 1 within ~1e-6; anything further off
# was not normalised (or was edited by hand) and would silently change edit strengths.
UNIT_TOLERANCE = 1e-4
GROUP_NAMES: tuple[str, ...] = ("coarse", "middle", "fine")
DEFAULT_STRENGTH_RANGE: tuple[float, float] = (-3.0, 3.0)


class DirectionError(LatentroomError):
    """A direction file, layer specification or direction value is invalid."""


# ----------------------------------------------------------------------------- layers


def layer_groups(n_latent: int) -> dict[str, tuple[int, ...]]:
    """The named layer ranges ``coarse``, ``middle``, ``fine`` and ``all`` for a
    generator with ``n_latent`` W+ layers (see the module docstring for the split)."""
    if n_latent < 1:
        raise DirectionError(f"n_latent must be at least 1, got {n_latent}")
    # Layer j drives resolution 4 * 2**(j // 2): 0-3 -> 4..8, 4-7 -> 16..32, 8+ -> 64+.
    groups = {"coarse": tuple(range(0, min(4, n_latent))),
              "middle": tuple(range(4, min(8, n_latent))),
              "fine": tuple(range(8, n_latent))}
    if any(not layers for layers in groups.values()):
        # Too few layers for the resolution split: thirds, the first ones largest.
        base, extra = divmod(n_latent, 3)
        sizes = [base + (i < extra) for i in range(3)]
        starts = [0, sizes[0], sizes[0] + sizes[1]]
        groups = {name: tuple(range(start, start + size))
                  for name, start, size in zip(GROUP_NAMES, starts, sizes)}
    return {**groups, "all": tuple(range(n_latent))}


_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")


def parse_layers(spec: str | Sequence[int] | None, n_latent: int) -> tuple[int, ...]:
    """Layer indices from ``spec``: a comma-separated union of group names (``all``,
    ``coarse``, ``middle``, ``fine``), indices and inclusive ranges (``"0-3,5"``,
    ``"coarse,fine"``), or a sequence of indices. ``None`` means all layers.
    Returns sorted unique indices; an empty, malformed or out-of-range spec raises
    :class:`DirectionError`."""
    groups = layer_groups(n_latent)
    if spec is None:
        return groups["all"]
    chosen: set[int] = set()
    if isinstance(spec, str):
        items = [item.strip() for item in spec.split(",")]
        for item in items:
            lowered = item.lower()
            if lowered in groups:
                chosen.update(groups[lowered])
            elif item.isdigit():
                chosen.add(int(item))
            elif (match := _RANGE.match(item)) is not None:
                first, last = int(match.group(1)), int(match.group(2))
                if first > last:
                    raise DirectionError(f"layers {spec!r}: range {item!r} runs backwards")
                chosen.update(range(first, last + 1))
            else:
                raise DirectionError(
                    f"layers {spec!r}: {item!r} is not a layer group "
                    f"({', '.join(groups)}), an index or a range such as 0-3"
                )
    else:
        try:
            chosen = {int(i) for i in spec}
        except (TypeError, ValueError):
            raise DirectionError(f"layers {spec!r}: expected integers") from None
    bad = sorted(i for i in chosen if not 0 <= i < n_latent)
    if bad:
        raise DirectionError(f"layers {spec!r}: {bad} out of range for n_latent={n_latent} (0-{n_latent - 1})")
    if not chosen:
        raise DirectionError(f"layers {spec!r}: no layers selected")
    return tuple(sorted(chosen))


def format_layers(layers: Iterable[int], n_latent: int) -> str:
    """The shortest spec for ``layers``: a group name when it is one, else ranges
    (``"0-3,5"``). ``parse_layers(format_layers(x, n), n) == tuple(sorted(x))``."""
    layers = tuple(sorted(set(layers)))
    for name, members in layer_groups(n_latent).items():
        if layers == members:
            return name
    parts, start = [], None
    for i, layer in enumerate(layers):
        if start is None:
            start = layer
        if i + 1 == len(layers) or layers[i + 1] != layer + 1:
            parts.append(str(start) if start == layer else f"{start}-{layer}")
            start = None
    return ",".join(parts)


# ------------------------------------------------------------------------------ value


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Provenance:
    """Where a direction came from.

    ``parameters`` are the source's find parameters (JSON values only); ``generator``
    is the generator spec it was found on (``"toyfaces"``, ``"stylegan2:ffhq.pt"``) or
    ``None`` when found in code on an object; ``details`` holds source-specific
    findings (which PCA component, attribute correlations, ...).
    """

    source: str
    attribute: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    generator: str | None = None
    weights_sha256: str | None = None
    created: str = field(default_factory=_utc_now)
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "attribute": self.attribute,
                "parameters": dict(self.parameters), "generator": self.generator,
                "weights_sha256": self.weights_sha256, "created": self.created,
                "details": dict(self.details)}


@dataclass(frozen=True, eq=False)
class Direction:
    """A latent edit direction for one generator.

    Attributes:
        vector: float32 ``[style_dim]``, unit norm.
        n_latent: the generator's number of W+ layers.
        layers: sorted W+ layer indices the edit touches.
        scale: W distance per unit of strength (std of sampled w along ``vector``).
        strength_range: suggested ``(low, high)`` strengths; positive strengths
            increase the attribute.
        provenance: :class:`Provenance`.
        correction: a per-face addition on ``layers`` (:class:`Correction`), or None.
    """

    vector: np.ndarray
    n_latent: int
    layers: tuple[int, ...]
    provenance: Provenance
    scale: float = 1.0
    strength_range: tuple[float, float] = DEFAULT_STRENGTH_RANGE
    correction: Correction | None = None

    def __post_init__(self) -> None:
        vector = np.asarray(self.vector, dtype=np.float32)
        if vector.ndim != 1 or vector.size == 0:
            raise DirectionError(f"direction vector must be 1-D [style_dim], got shape {vector.shape}")
        if not np.all(np.isfinite(vector)):
            raise DirectionError("direction vector has non-finite values")
        norm = float(np.linalg.norm(vector.astype(np.float64)))
        if abs(norm - 1.0) > UNIT_TOLERANCE:
            raise DirectionError(f"direction vector must have unit norm, has norm {norm:.6g}")
        vector = vector.copy()
        vector.setflags(write=False)  # a frozen value: nobody edits a shared vector in place
        object.__setattr__(self, "vector", vector)
        object.__setattr__(self, "layers", parse_layers(self.layers, self.n_latent))
        low, high = (float(x) for x in self.strength_range)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise DirectionError(f"strength range must be finite with low < high, got {self.strength_range}")
        object.__setattr__(self, "strength_range", (low, high))
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise DirectionError(f"scale must be a positive number, got {self.scale}")
        object.__setattr__(self, "scale", float(self.scale))
        fits = self.correction is None or (self.correction.style_dim, self.correction.layer_count) == (
            vector.shape[0], len(self.layers))
        if not fits:
            raise DirectionError(f"correction is for {self.correction.layer_count} layers of {self.correction.style_dim}, "
                                 f"the direction edits {len(self.layers)} layers of {vector.shape[0]}")

    # -- construction

    @classmethod
    def from_vector(cls, vector: np.ndarray, n_latent: int, provenance: Provenance,
                    layers: str | Sequence[int] | None = None, scale: float = 1.0,
                    strength_range: tuple[float, float] = DEFAULT_STRENGTH_RANGE,
                    correction: Correction | None = None) -> "Direction":
        """Normalise ``vector`` (any non-zero length) and build a direction."""
        v = np.asarray(vector, dtype=np.float64).reshape(-1)
        norm = float(np.linalg.norm(v))
        if not math.isfinite(norm) or norm == 0.0:
            raise DirectionError(f"cannot normalise a direction vector of norm {norm}")
        return cls((v / norm).astype(np.float32), n_latent, parse_layers(layers, n_latent),
                   provenance, scale, strength_range, correction)

    def with_layers(self, layers: str | Sequence[int] | None) -> "Direction":
        """The same direction restricted to other layers (not for a corrected one: its
        correction was fitted to its own layers)."""
        chosen = parse_layers(layers, self.n_latent)
        if self.correction is not None and chosen != self.layers:
            raise DirectionError(f"a direction with a per-face correction edits layers {self.layer_spec} only")
        return replace(self, layers=chosen)

    # -- use

    @property
    def style_dim(self) -> int:
        return int(self.vector.shape[0])

    @property
    def attribute(self) -> str:
        return self.provenance.attribute

    @property
    def mask(self) -> np.ndarray:
        """bool ``[n_latent]``: True for the layers the edit touches."""
        mask = np.zeros(self.n_latent, dtype=bool)
        mask[list(self.layers)] = True
        return mask

    @property
    def layer_spec(self) -> str:
        return format_layers(self.layers, self.n_latent)

    def offset(self, strength: float = 1.0) -> np.ndarray:
        """float32 ``[n_latent, style_dim]``: what an edit of ``strength`` adds to W+,
        before a correction's per-face part (``plugins.directions.edit.edit_latents``
        applies both)."""
        step = (float(strength) * self.scale) * self.vector
        return (self.mask[:, None] * step[None, :]).astype(np.float32)

    # -- the generator it was found on

    def generator_spec(self, spec: str | None, where: str | os.PathLike[str]) -> str:
        """The generator a command that takes this direction uses: ``spec`` (from
        ``--generator``) when given, else the one recorded in the file at ``where``."""
        chosen = spec or self.provenance.generator
        if not chosen:
            raise DirectionError(f"{where}: records no generator; pass --generator NAME[:ARGUMENT]")
        return chosen

    def check_generator(self, generator: Any, where: str | os.PathLike[str],
                        warn: Callable[[str], None]) -> None:
        """A latent shape that differs from ``generator``'s is an error naming the file;
        other weights than the ones it was found on are a warning through ``warn``."""
        if (self.n_latent, self.style_dim) != (generator.n_latent, generator.style_dim):
            raise DirectionError(f"{where}: direction is for [{self.n_latent}, {self.style_dim}] latents, "
                                 f"the generator takes [{generator.n_latent}, {generator.style_dim}]")
        found_on, weights = self.provenance.weights_sha256, getattr(generator, "weights_sha256", None)
        if found_on and weights and found_on != weights:
            warn(f"warning: {where} was found on generator weights {found_on[:12]}..., "
                 f"this one is {weights[:12]}...")

    # -- files

    def to_json(self, vector_file: str) -> dict[str, Any]:
        meta = {
            "format": FORMAT,
            "version": VERSION if self.correction is None else CORRECTED_VERSION,
            "attribute": self.attribute,
            "style_dim": self.style_dim,
            "n_latent": self.n_latent,
            "layers": list(self.layers),
            "layer_spec": self.layer_spec,
            "scale": self.scale,
            "strength_range": list(self.strength_range),
            "vector_file": vector_file,
            "vector_sha256": _vector_digest(self.vector),
            "provenance": self.provenance.to_json(),
        }
        if self.correction is not None:
            meta["correction"] = {"file": correction_path(Path(vector_file)).name,
                                  "sha256": self.correction.digest(), "components": self.correction.components,
                                  "truth_strength": self.correction.truth_strength}
            if self.correction.reads is not None:
                meta["correction"]["reads"] = self.correction.reads
        return meta

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``NAME.json`` and ``NAME.npy`` (``path`` may name either or neither
        suffix), and ``NAME.correction.npz`` for a corrected direction; returns the JSON
        path. Each is written to a temporary name and renamed into place, the arrays
        first, so a reader never sees a JSON without its arrays."""
        json_path, npy_path = direction_paths(path)
        buffer = _npy_bytes(self.vector)
        text = json.dumps(self.to_json(npy_path.name), indent=2, sort_keys=False) + "\n"
        if self.correction is not None:
            atomic_write_bytes(correction_path(json_path), self.correction.to_bytes())
        atomic_write_bytes(npy_path, buffer)
        atomic_write_text(json_path, text)
        return json_path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Direction":
        """Read a direction written by :meth:`save`; every problem raises
        :class:`DirectionError` naming the file."""
        json_path, _ = direction_paths(path)
        try:
            meta = loads_bounded(read_regular(json_path, limits.MAX_DIRECTION_JSON_BYTES).decode("utf-8"))
        except FileNotFoundError:
            raise DirectionError(f"{json_path}: no such direction file") from None
        except TooLarge:
            raise DirectionError(f"{json_path}: direction file is larger than {limits.MAX_DIRECTION_JSON_BYTES} "
                                 "bytes") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DirectionError(f"{json_path}: cannot read direction file ({exc})") from None
        except json.JSONDecodeError as exc:
            raise DirectionError(f"{json_path}: not valid JSON ({exc})") from None
        except JsonBeyondBounds as exc:
            raise DirectionError(f"{json_path}: direction file {exc}") from None
        return _from_json(meta, json_path)


def direction_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``(NAME.json, NAME.npy)`` for ``NAME``, ``NAME.json`` or ``NAME.npy``."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".json", ".npy") else path
    return stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".npy")


def correction_path(path: str | os.PathLike[str]) -> Path:
    """``NAME.correction.npz`` for ``NAME``, ``NAME.json`` or ``NAME.npy``."""
    json_path = direction_paths(path)[0]
    return json_path.with_name(json_path.name[: -len(".json")] + ".correction.npz")


def _vector_digest(vector: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(vector, dtype="<f4").tobytes()).hexdigest()


def _npy_bytes(vector: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(vector, dtype="<f4"), allow_pickle=False)
    return buffer.getvalue()


def _require(meta: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: Path) -> Any:
    if key not in meta:
        raise DirectionError(f"{where}: missing '{key}'")
    value = meta[key]
    # bool is an int subclass; a true/false where a number belongs is a mistake.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise DirectionError(f"{where}: '{key}' has the wrong type (bool)")
    if not isinstance(value, kind):
        raise DirectionError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    return value


def _from_json(meta: Any, where: Path) -> Direction:
    if not isinstance(meta, dict):
        raise DirectionError(f"{where}: expected a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise DirectionError(f"{where}: not a latentroom direction file (format is {meta.get('format')!r}, "
                             f"expected {FORMAT!r})")
    version = meta.get("version")
    if version not in (VERSION, CORRECTED_VERSION) or isinstance(version, bool):
        raise DirectionError(f"{where}: unknown direction file version {version!r} "
                             f"(this latentroom reads versions {VERSION} and {CORRECTED_VERSION})")
    style_dim = _require(meta, "style_dim", int, where)
    n_latent = _require(meta, "n_latent", int, where)
    layers = _require(meta, "layers", list, where)
    scale = _require(meta, "scale", (int, float), where)
    strength_range = _require(meta, "strength_range", list, where)
    vector_file = _require(meta, "vector_file", str, where)
    prov = _require(meta, "provenance", dict, where)
    if len(strength_range) != 2:
        raise DirectionError(f"{where}: 'strength_range' must be [low, high]")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in layers):
        raise DirectionError(f"{where}: 'layers' must be a list of integers")
    # The mask refers to the generator's W+ layers: an index past n_latent means the
    # file was made for (or edited to) another generator.
    if any(not 0 <= i < n_latent for i in layers) or not layers:
        raise DirectionError(f"{where}: layer mask {layers} does not fit n_latent={n_latent}")
    if Path(vector_file).name != vector_file:
        raise DirectionError(f"{where}: 'vector_file' must be a file name beside the JSON, got {vector_file!r}")
    npy_path = where.with_name(vector_file)
    try:
        vector = np.load(io.BytesIO(read_regular(npy_path, limits.MAX_DIRECTION_VECTOR_BYTES)), allow_pickle=False)
    except FileNotFoundError:
        raise DirectionError(f"{where}: vector file {npy_path} is missing") from None
    except TooLarge:
        raise DirectionError(f"{npy_path}: vector file is larger than {limits.MAX_DIRECTION_VECTOR_BYTES} "
                             "bytes") from None
    except (OSError, ValueError) as exc:
        raise DirectionError(f"{npy_path}: not a plain .npy array ({exc})") from None
    if not isinstance(vector, np.ndarray) or vector.dtype.kind != "f":
        raise DirectionError(f"{npy_path}: expected a float array, got {getattr(vector, 'dtype', type(vector))}")
    if vector.shape != (style_dim,):
        raise DirectionError(f"{npy_path}: vector has shape {list(vector.shape)}, expected [{style_dim}] "
                             f"(style_dim in {where.name})")
    expected = meta.get("vector_sha256")
    if expected is not None and expected != _vector_digest(vector.astype(np.float32)):
        raise DirectionError(f"{npy_path}: vector does not match the vector_sha256 in {where.name} "
                             "(the .npy was replaced or edited)")
    try:
        provenance = Provenance(
            source=str(prov["source"]), attribute=str(prov["attribute"]),
            parameters=dict(prov.get("parameters") or {}), generator=prov.get("generator"),
            weights_sha256=prov.get("weights_sha256"), created=str(prov.get("created", "")),
            details=dict(prov.get("details") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DirectionError(f"{where}: malformed provenance ({type(exc).__name__}: {exc})") from None
    correction = _correction_from_json(meta, version, where)
    try:
        return Direction(vector.astype(np.float32), n_latent, tuple(layers), provenance,
                         float(scale), (float(strength_range[0]), float(strength_range[1])), correction)
    except DirectionError as exc:
        raise DirectionError(f"{where}: {exc.message}") from None


def _correction_from_json(meta: Mapping[str, Any], version: int, where: Path) -> Correction | None:
    """A version-2 file's correction (its JSON entry and its ``.npz``); a version-1 file has none."""
    if version == VERSION:
        if "correction" in meta:
            raise DirectionError(f"{where}: a 'correction' needs direction file version {CORRECTED_VERSION}")
        return None
    entry = _require(meta, "correction", dict, where)
    name = _require(entry, "file", str, where)
    truth_strength = _require(entry, "truth_strength", (int, float), where)
    digest = _require(entry, "sha256", str, where)
    reads = _require(entry, "reads", str, where) if "reads" in entry else None
    if reads is not None and not READS_PATTERN.fullmatch(reads):
        raise DirectionError(f"{where}: the correction's 'reads' must name an inverter, got {reads!r}")
    if Path(name).name != name:
        raise DirectionError(f"{where}: the correction's 'file' must be a file name beside the JSON, got {name!r}")
    try:
        return load_correction(where.with_name(name), float(truth_strength), digest, reads)
    except CorrectionError as exc:
        raise DirectionError(exc.message) from None
