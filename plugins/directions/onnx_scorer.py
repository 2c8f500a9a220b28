"""``--scorer onnx:MODEL.onnx``: any ONNX attribute model as a scorer.

The model takes float32 images ``[B, 3, H, W]`` (RGB) and its first output is
``[B, A]``, one column per attribute. ``MODEL.json`` beside it says what the columns
are::

    {"attributes": ["smile", "age"],      # required: the A column names, in order
     "binary": ["smile"],                 # optional: columns that are probabilities
     "ranges": {"age": [0, 100]},         # optional: each attribute's value range
     "input_range": [-1, 1],              # optional: pixel range the model expects
     "domain": null}                      # optional: the only kind of images it knows

A model with a fixed input size gets the generator's images resized to it. Both
files are untrusted: they are read with size limits, the model is refused if it
refers to external data, and every problem names the file. Runs on ONNX Runtime on
the CPU (it is not differentiable: the ``optimized`` source and response
conditioning need a torch scorer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from latentroom.engine import limits
from latentroom.engine.bounded_json import JsonBeyondBounds, loads_bounded
from latentroom.engine.presets.manifest import is_finite_number
from latentroom.engine.regular_files import read_regular
from latentroom.plugins.directions.scoring import ScorerError

if TYPE_CHECKING:
    import torch

MAX_ATTRIBUTES = 1024


class OnnxScorer:
    """Scores images with an ONNX attribute model (see the module docstring)."""

    size = None  # resizes to the model's input itself

    def __init__(self, session: Any, spec: str, sidecar: dict[str, Any]) -> None:
        self.session = session
        self.name = spec
        self.attributes: tuple[str, ...] = tuple(sidecar["attributes"])
        self.binary = frozenset(sidecar.get("binary", ()))
        self.ranges = {k: (float(v[0]), float(v[1])) for k, v in sidecar.get("ranges", {}).items()}
        self.domain: str | None = sidecar.get("domain")
        self.input_low, self.input_high = (float(v) for v in sidecar.get("input_range", (-1.0, 1.0)))
        model_input = session.get_inputs()[0]
        self.input_name = model_input.name
        shape = model_input.shape or []
        if len(shape) != 4:
            raise ScorerError(f"{spec}: the model's input {self.input_name!r} has shape {shape}, "
                              "expected images [batch, 3, height, width]")
        height, width = shape[2:4]
        self.input_size = (height, width) if isinstance(height, int) and isinstance(width, int) else None
        if self.input_size is not None and not 1 <= min(self.input_size) <= max(self.input_size) <= limits.MAX_RESOLUTION:
            raise ScorerError(f"{spec}: the model's input size {height}x{width} is outside "
                              f"1..{limits.MAX_RESOLUTION} pixels")

    def __call__(self, images: "torch.Tensor") -> np.ndarray:
        from torch.nn import functional as F

        x = images.detach().float().cpu().clamp(-1, 1)
        if self.input_size is not None and tuple(x.shape[-2:]) != self.input_size:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", antialias=True, align_corners=False)
        x = (x + 1) / 2 * (self.input_high - self.input_low) + self.input_low
        try:
            scores = np.asarray(self.session.run(None, {self.input_name: x.numpy().astype(np.float32)})[0])
        except Exception as exc:  # ORT raises its own exception types
            raise ScorerError(f"scorer {self.name}: ONNX Runtime failed on a batch: {exc}") from None
        if scores.ndim != 2 or scores.shape != (x.shape[0], len(self.attributes)):
            raise ScorerError(f"scorer {self.name}: the model returned shape {list(scores.shape)}, "
                              f"expected [{x.shape[0]}, {len(self.attributes)}] (one column per attribute in "
                              "its .json)")
        return scores


def load_onnx_scorer(argument: str | None) -> OnnxScorer:
    """Factory behind ``onnx:MODEL.onnx`` (``register_scorers``)."""
    from latentroom.engine.errors import PresetError
    from latentroom.engine.runtime import create_session

    if not argument:
        raise ScorerError("scorer 'onnx' needs a model: --scorer onnx:MODEL.onnx (with MODEL.json beside it)")
    model_path = Path(argument)
    sidecar = read_sidecar(model_path.with_suffix(".json"), model_path)
    model_bytes = _read(model_path, limits.MAX_MODEL_BYTES, "model")
    try:
        session, _ = create_session(model_bytes, "cpu", where=str(model_path))
    except PresetError as exc:
        raise ScorerError(exc.message) from None
    return OnnxScorer(session, f"onnx:{argument}", sidecar)


def read_sidecar(path: Path, model_path: Path) -> dict[str, Any]:
    """``MODEL.json``, checked field by field (errors name the file)."""
    raw = _read(path, limits.MAX_MANIFEST_BYTES, f"attribute names for {model_path.name}")
    try:
        meta = loads_bounded(raw.decode("utf-8"))
    except JsonBeyondBounds as exc:
        raise ScorerError(f"{path}: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScorerError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ScorerError(f"{path}: expected a JSON object with \"attributes\"")
    names = meta.get("attributes")
    if (not isinstance(names, list) or not names or len(names) > MAX_ATTRIBUTES
            or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names)):
        raise ScorerError(f"{path}: \"attributes\" must be a list of 1..{MAX_ATTRIBUTES} distinct names")
    binary = meta.get("binary", [])
    if not isinstance(binary, list) or not set(binary) <= set(names):
        raise ScorerError(f"{path}: \"binary\" must list some of the attributes")
    ranges = meta.get("ranges", {})
    if not isinstance(ranges, dict) or not all(
            k in names and isinstance(v, list) and len(v) == 2 and all(is_finite_number(x) for x in v) and v[0] < v[1]
            for k, v in ranges.items()):
        raise ScorerError(f"{path}: \"ranges\" must map attributes to [low, high] with low < high")
    input_range = meta.get("input_range", [-1, 1])
    if not (isinstance(input_range, list) and len(input_range) == 2 and all(is_finite_number(x) for x in input_range)
            and input_range[0] < input_range[1]):
        raise ScorerError(f"{path}: \"input_range\" must be [low, high], e.g. [0, 1] or [-1, 1]")
    if meta.get("domain") is not None and not isinstance(meta["domain"], str):
        raise ScorerError(f"{path}: \"domain\" must be a string or null")
    return meta


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        return read_regular(path, limit)
    except FileNotFoundError:
        raise ScorerError(f"{path}: no such file ({what})") from None
    except OSError as exc:
        raise ScorerError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
