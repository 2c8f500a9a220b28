"""Reading, verifying, writing and packing preset bundles.

A bundle is read completely into memory (manifest and model bytes) and verified
before anything uses it: the sha256 is computed over the very bytes that are later
handed to ONNX Runtime, so a file swapped between check and use cannot slip through,
and a bundle that fails any check is never partly used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Callable

from latentroom.engine import limits
from latentroom.engine.atomic import atomic_write, staging_dir
from latentroom.engine.errors import PresetError
from latentroom.engine.onnx_check import check_self_contained
from latentroom.engine.presets.archive import open_archive, read_member
from latentroom.engine.presets.manifest import (
    MANIFEST_FILE,
    PACKED_SUFFIX,
    PREVIEW_FILE,
    check_manifest,
)
from latentroom.engine.presets.manifest_json import parse_manifest_json
from latentroom.engine.regular_files import TooLarge, read_regular


@dataclass(frozen=True)
class Bundle:
    """A verified bundle held in memory."""

    path: Path
    """The bundle directory or packed file it was read from."""
    manifest: dict[str, Any]
    model_bytes: bytes
    preview_bytes: bytes | None

    @property
    def packed(self) -> bool:
        return self.path.is_file()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse_manifest(raw: bytes, where: str) -> dict[str, Any]:
    return check_manifest(parse_manifest_json(raw, where), where)


class _Budget:
    """What is left of :data:`latentroom.engine.limits.MAX_BUNDLE_BYTES` while a bundle is read."""

    def __init__(self) -> None:
        self.left = limits.MAX_BUNDLE_BYTES

    def limit(self, member_limit: int) -> int:
        return min(member_limit, self.left)

    def spend(self, data: bytes | None) -> bytes | None:
        if data is not None:
            self.left -= len(data)
        return data


def _read_file(path: Path, what: str, limit: int, where: str, *, required: bool = True) -> bytes | None:
    # Symlinks are refused: a bundle is read from inside its folder, never through it.
    try:
        return read_regular(path, limit, follow_symlinks=False)
    except FileNotFoundError:
        if required:
            raise PresetError(f"{where}: {what} {path.name} is missing") from None
        return None
    except TooLarge:
        raise PresetError(f"{where}: {what} {path.name} is larger than {limit} bytes") from None
    except OSError as e:
        raise PresetError(f"{where}: cannot read {what} {path.name}: {e.strerror or e}") from None


def _read_members(
    path: Path, where: str, source: BinaryIO | None = None
) -> tuple[dict[str, Any], bytes, bytes | None]:
    """Manifest, model and preview of a bundle folder or packed file (held in
    ``source`` when given), each bounded."""
    budget = _Budget()

    def read_all(read: Callable[[str, str, int, bool], bytes | None]) -> tuple[dict[str, Any], bytes, bytes | None]:
        raw = budget.spend(read(MANIFEST_FILE, "manifest", budget.limit(limits.MAX_MANIFEST_BYTES), True))
        manifest = _parse_manifest(raw or b"", where)
        model = budget.spend(read(manifest["model"]["file"], "model file", budget.limit(limits.MAX_MODEL_BYTES), True))
        preview_name = manifest.get("preview", PREVIEW_FILE)
        preview = budget.spend(read(preview_name, "preview", budget.limit(limits.MAX_PREVIEW_BYTES), False))
        assert model is not None
        return manifest, model, preview

    if source is None and path.is_dir():
        return read_all(lambda name, what, limit, required: _read_file(path / name, what, limit, where, required=required))
    with open_archive(path, source) as zf:
        return read_all(lambda name, what, limit, required: read_member(zf, name, limit, where, required=required))


def read_bundle(path: str | os.PathLike[str], *, verify_checksum: bool = True) -> Bundle:
    """Read and verify a bundle directory or packed ``.lrpreset`` file.

    Raises :class:`PresetError` naming the bundle and the problem: missing files, bad
    JSON, schema violations, or a model whose sha256 differs from the manifest.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise PresetError(f"{where}: no such preset bundle")
    if not (path.is_dir() or path.is_file()):
        raise PresetError(f"{where}: not a bundle directory or packed preset file")
    manifest, model, preview = _read_members(path, where)
    bundle = Bundle(path=path, manifest=manifest, model_bytes=model, preview_bytes=preview)
    if verify_checksum:
        check_model_checksum(bundle)
        check_self_contained(bundle.model_bytes, where)
    return bundle


def read_packed_bytes(data: bytes, path: str | os.PathLike[str]) -> Bundle:
    """Read and verify a packed preset held in memory, e.g. sent to a Ray worker.

    The same checks as :func:`read_bundle` on a ``.lrpreset`` file, model checksum
    and self-containedness included; ``path`` (where the bytes came from) only names
    the bundle in errors.
    """
    where = str(path)
    manifest, model, preview = _read_members(Path(path), where, io.BytesIO(data))
    bundle = Bundle(path=Path(path), manifest=manifest, model_bytes=model, preview_bytes=preview)
    check_model_checksum(bundle)
    check_self_contained(bundle.model_bytes, where)
    return bundle


def check_model_checksum(bundle: Bundle) -> None:
    """Raise :class:`PresetError` unless the model bytes hash to the manifest's sha256."""
    manifest = bundle.manifest
    actual = sha256_bytes(bundle.model_bytes)
    expected = manifest["model"]["sha256"]
    if actual != expected:
        raise PresetError(
            f"{bundle.path}: checksum mismatch for {manifest['model']['file']}: "
            f"preset.json says sha256 {expected}, the file has {actual} "
            "(the model was changed or damaged after the bundle was made)"
        )


def read_manifest_only(path: Path) -> dict[str, Any]:
    """Read and schema-check a bundle's manifest without reading or hashing the model.

    Used for listing, where reading every model would be slow.
    """
    where = str(path)
    if path.is_dir():
        raw = _read_file(path / MANIFEST_FILE, "manifest", limits.MAX_MANIFEST_BYTES, where)
        return _parse_manifest(raw or b"", where)
    with open_archive(path) as zf:
        return _parse_manifest(read_member(zf, MANIFEST_FILE, limits.MAX_MANIFEST_BYTES, where) or b"", where)


def write_bundle(
    directory: str | os.PathLike[str],
    manifest: dict[str, Any],
    model: bytes | str | os.PathLike[str],
    *,
    preview: bytes | str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a bundle directory from a manifest and an ONNX model; return its path.

    ``model.sha256`` (and ``model.file``, default ``model.onnx``) are filled in from
    the model bytes, so callers need not compute them. The manifest is validated
    before anything is written, and the directory is assembled under a temporary name
    beside the target and renamed into place.
    """
    directory = Path(directory)
    model_bytes = model if isinstance(model, bytes) else Path(model).read_bytes()
    preview_bytes = (
        None if preview is None else preview if isinstance(preview, bytes) else Path(preview).read_bytes()
    )
    manifest = json.loads(json.dumps(manifest))  # a deep copy that is certainly JSON
    manifest.setdefault("model", {})
    manifest["model"].setdefault("file", "model.onnx")
    manifest["model"]["sha256"] = sha256_bytes(model_bytes)
    check_manifest(manifest, str(directory))
    if directory.exists() and not overwrite:
        raise PresetError(f"{directory}: already exists (pass overwrite=True to replace it)")
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(directory.parent, f".{directory.name}.tmp-")
    try:
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (tmp / manifest["model"]["file"]).write_bytes(model_bytes)
        if preview_bytes is not None:
            (tmp / manifest.get("preview", PREVIEW_FILE)).write_bytes(preview_bytes)
        replace_dir(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def replace_dir(new: Path, target: Path) -> None:
    """Move directory ``new`` to ``target``, replacing an existing one.

    Directories cannot be swapped atomically with ``os.replace`` when the target
    exists, so the old one is first renamed aside; at every moment either the old or
    the new complete bundle sits at ``target`` except for the instant between renames.
    """
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
        try:
            os.replace(new, target)
        except BaseException:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


# A fixed timestamp makes packing the same bundle twice give identical bytes.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def pack_bundle(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Pack a verified bundle (directory or packed file) into one ``.lrpreset`` file.

    The default output is ``<manifest name>.lrpreset`` in the current directory: a
    packed file's library name is its stem, so the file dropped as is into a
    library folder or shipped by a plugin keeps the preset's name. Only the bundle's
    own files (manifest, model, preview) are packed, in a fixed order with fixed timestamps, so packing is reproducible.
    """
    bundle = read_bundle(source)
    m = bundle.manifest
    out = Path(output) if output is not None else Path(f"{m['name']}{PACKED_SUFFIX}")
    if out.suffix != PACKED_SUFFIX:
        raise PresetError(f"{out}: a packed preset's name must end in {PACKED_SUFFIX}")
    if out.exists() and not overwrite:
        raise PresetError(f"{out}: already exists (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(out, lambda f: _write_packed(bundle, f))


def packed_bytes(bundle: Bundle) -> bytes:
    """A verified bundle as the bytes of its ``.lrpreset`` file (see :func:`pack_bundle`)."""
    buffer = io.BytesIO()
    _write_packed(bundle, buffer)
    return buffer.getvalue()


def _write_packed(bundle: Bundle, f: IO[bytes]) -> None:
    m = bundle.manifest
    members: list[tuple[str, bytes, int]] = [
        (MANIFEST_FILE, json.dumps(m, indent=2).encode("utf-8") + b"\n", zipfile.ZIP_DEFLATED),
        (m["model"]["file"], bundle.model_bytes, zipfile.ZIP_DEFLATED),
    ]
    if bundle.preview_bytes is not None:
        # PNG is already compressed; deflating it again only costs time.
        members.append((m.get("preview", PREVIEW_FILE), bundle.preview_bytes, zipfile.ZIP_STORED))
    with zipfile.ZipFile(f, "w") as zf:
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = method
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, data)
