"""Every bound the engine puts on untrusted input, in one place.

Presets are shared like photo-editor presets, and image folders hold whatever a
user downloaded, so each size, count and depth read from a file is bounded before
it can cost memory, disk or time. docs/preset-format.md ("Security model") lists
these values; keep the two in step. Tests lower them with ``monkeypatch`` so the
resource cases stay fast; the code reads them through this module at call time.
"""

from __future__ import annotations

MiB = 1 << 20

MAX_MODEL_BYTES = 256 * MiB
"""An ONNX model file; distilled students are a few MB, the bundled ones 4.5 MB."""

MAX_MANIFEST_BYTES = 1 * MiB
"""``preset.json``; real manifests are a few kB."""

MAX_PREVIEW_BYTES = 16 * MiB
"""``preview.png``."""

MAX_BUNDLE_BYTES = 256 * MiB
"""Manifest, model and preview together, uncompressed (directory or archive)."""

MAX_PACKED_BYTES = MAX_BUNDLE_BYTES + MiB
"""A whole ``.lrpreset`` file on disk (compressed members plus zip structure)."""

MAX_ARCHIVE_ENTRIES = 64
"""Entries in a ``.lrpreset`` archive; a bundle uses three."""

MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024
"""The zip central directory, checked before Python's zipfile parses it (it would
otherwise build an object per entry for millions of entries)."""

MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects in ``preset.json``; the schema needs 3."""

MAX_JSON_NUMBER_CHARS = 64
"""Characters of one number literal in ``preset.json`` (a 4000-digit integer is not a size)."""

MAX_RESOLUTION = 2048
"""``io.resolution``: the model's square input size (bundled presets use 128)."""

MAX_OPSET = 1000
"""``model.opset`` (ONNX is at 23)."""

MAX_MODEL_VALUE = 65536.0
"""Magnitude of ``io.value_range`` ends and strength numbers: they are fed to the model
as float32, where larger spans overflow (and 16-bit pixel values fit)."""

MAX_LAYER_INDEX = 1023
"""An entry of ``provenance.layers`` (StyleGAN2 at 1024 px has 18 layers)."""

MAX_MODEL_NAMES = 16
"""Entries of ``model.inputs`` and ``model.outputs`` (a preset uses at most two)."""

MAX_ONNX_NESTING = 64
"""Messages inside messages while scanning an ONNX model (subgraphs of subgraphs)."""

MAX_IMAGE_BYTES = 1024 * MiB
"""Decoded size of one input image: width x height x channels x bytes per channel,
checked from the header before decoding (a 16-bit RGBA 8000x8000 photo is 512 MiB)."""

MAX_INFLIGHT_IMAGE_BYTES = 2 * MAX_IMAGE_BYTES
"""Decoded bytes of all images an ``apply`` batch holds at once; a larger image still
runs, alone (engine/apply.py)."""

MAX_DIRECTION_JSON_BYTES = 4 * MiB
"""A direction's ``NAME.json`` (shared like presets); real ones are a few kB with their details."""

MAX_DIRECTION_VECTOR_BYTES = 1 * MiB
"""A direction's ``NAME.npy``: one float vector of the generator's style width (a few kB)."""
