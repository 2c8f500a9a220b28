"""Preset bundles: the manifest schema, loading and verification, the library.

Public API::

    load_preset(name_or_path, provider="auto") -> Preset
    Preset.apply(image, strength=None), .manifest, .provider, .name, .path
    validate_manifest(data) -> list[str]          # every schema problem, [] if valid
    build_manifest(name=..., model_sha256=..., strength=StrengthRange(...),
                   provenance=EditProvenance(...), ...) -> dict   # a new schema-1 manifest
    read_bundle(path) -> Bundle                   # verified manifest + model bytes
    write_bundle(directory, manifest, model, preview=None, overwrite=False) -> Path
    pack_bundle(source, output=None, overwrite=False) -> Path
    install(source, force=False) -> Path; remove(name) -> Path
    list_presets() -> Listing; resolve(name_or_path); user_library() -> Path
    quality_label(metrics) -> str

Nothing here imports torch or onnx; docs/preset-format.md is the format reference.
"""

from __future__ import annotations

from latentroom.engine.presets.bundle import Bundle, pack_bundle, read_bundle, sha256_bytes, write_bundle
from latentroom.engine.presets.library import (
    ENV_VAR,
    LibraryEntry,
    Listing,
    install,
    list_presets,
    remove,
    resolve,
    user_library,
)
from latentroom.engine.presets.manifest import (
    MANIFEST_FILE,
    PACKED_SUFFIX,
    SCHEMA_VERSION,
    check_manifest,
    quality_label,
    validate_manifest,
)
from latentroom.engine.presets.manifest_builder import EditProvenance, StrengthRange, build_manifest
from latentroom.engine.presets.preset import Preset, load_preset

__all__ = [
    "Bundle",
    "ENV_VAR",
    "EditProvenance",
    "LibraryEntry",
    "Listing",
    "MANIFEST_FILE",
    "PACKED_SUFFIX",
    "Preset",
    "SCHEMA_VERSION",
    "StrengthRange",
    "build_manifest",
    "check_manifest",
    "install",
    "list_presets",
    "load_preset",
    "pack_bundle",
    "quality_label",
    "read_bundle",
    "remove",
    "resolve",
    "sha256_bytes",
    "user_library",
    "validate_manifest",
    "write_bundle",
]
