"""The one place a ``preset.json`` (schema version 1) is made from scratch.

``latentroom author``, scripts/build_demo_preset.py and the test fixtures all build
their manifests here, so a schema change is made once and every writer follows it.
The result is a plain dict for :func:`latentroom.engine.presets.write_bundle`, which
validates it (and refills ``model.sha256`` from the bytes it writes); with valid
names and numbers, :func:`latentroom.engine.presets.validate_manifest` accepts it as
built. Torch-free, like the rest of the core.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from latentroom.engine.presets.manifest import SCHEMA_VERSION

IMAGE_INPUT = "image"
OUTPUT = "edited"


@dataclass(frozen=True)
class StrengthRange:
    """The ``strength`` section: the model input that carries the strength and the
    range a user may pick from (``min <= default <= max``)."""

    min: float
    max: float
    default: float
    input: str = "strength"

    def to_json(self) -> dict[str, Any]:
        return {"input": self.input, "min": self.min, "max": self.max, "default": self.default}


@dataclass(frozen=True)
class EditProvenance:
    """The ``provenance`` section: the generator and direction the edit comes from."""

    generator: str
    direction_source: str
    attribute: str
    generator_weights_sha256: str | None = None
    layers: Sequence[int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "generator_weights_sha256": self.generator_weights_sha256,
                "direction_source": self.direction_source, "attribute": self.attribute,
                "layers": None if self.layers is None else [int(i) for i in self.layers]}


def build_manifest(
    *,
    name: str,
    title: str,
    description: str,
    version: str,
    author: str,
    license: str,
    model_sha256: str,
    opset: int,
    resolution: int,
    strength: StrengthRange | None,
    provenance: EditProvenance,
    metrics: Mapping[str, float] | None = None,
    requires_plugins: Sequence[Mapping[str, str]] = (),
    alignment: Mapping[str, Any] | None = None,
    preview: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A schema-1 manifest for a model ``model.onnx`` taking ``image`` (and the strength
    input, unless ``strength`` is None) and returning ``edited``. ``extensions`` are
    the free ``x-`` sections (``x-distill``: how author made it)."""
    # Deep copies: the manifest is the caller's to change without touching its inputs.
    extensions = copy.deepcopy(dict(extensions or {}))
    misnamed = [key for key in extensions if not key.startswith("x-")]
    if misnamed:
        raise ValueError(f"manifest extensions must start with 'x-', got {misnamed}")
    inputs = [IMAGE_INPUT] if strength is None else [IMAGE_INPUT, strength.input]
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "title": title,
        "description": description,
        "version": version,
        "author": author,
        "license": license,
        "model": {"file": "model.onnx", "sha256": model_sha256, "inputs": inputs, "outputs": [OUTPUT],
                  "opset": opset},
        # What every latentroom-made model takes: RGB in [-1, 1], channels first.
        "io": {"resolution": resolution, "value_range": [-1, 1], "channel_order": "RGB", "layout": "NCHW"},
        "strength": None if strength is None else strength.to_json(),
        "provenance": provenance.to_json(),
        "metrics": dict(metrics or {}),
        "requires_plugins": [dict(plugin) for plugin in requires_plugins],
    }
    if alignment is not None:
        manifest["alignment"] = copy.deepcopy(dict(alignment))
    if preview is not None:
        manifest["preview"] = preview
    return {**manifest, **extensions}
