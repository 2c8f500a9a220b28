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
from pathlib import Path, PurePosixPath
from typing import IO, Any

from engine.atomic import atomic_write, staging_dir
from engine.errors import PresetError
from engine.presets.manifest import (
    MANIFEST_FILE,
    PACKED_SUFFIX,
    PREVIEW_FILE,
    check_manifest,
)

# Manifests are tiny; a bigger one is a mistake or an attack, not a preset.
MAX_MANIFEST_BYTES = 1 << 20
# ONNX protobufs cannot exceed 2 GiB without external data, which bundles do not use.
MAX_MEMBER_BYTES = 2 << 30


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
    if len(raw) > MAX_MANIFEST_BYTES:
        raise PresetError(f"{where}: preset.json is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise PresetError(f"{where}: preset.json is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise PresetError(
            f"{where}: preset.json is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"
        ) from None
    return check_manifest(data, where)


def check_zip_members(zf: zipfile.ZipFile, where: str) -> None:
    """Reject archives whose entries could land outside the target directory.

    Absolute names, drive letters, ``..`` components, backslashes (a path separator
    on Windows) and symlinks (recorded in the Unix mode bits of ``external_attr``)
    are all refused, for the whole archive: a bundle with one hostile entry is not
    trustworthy in its other entries either.
    """
    for info in zf.infolist():
        name = info.filename
        mode = info.external_attr >> 16
        problem = None
        if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
            problem = "absolute path"
        elif "\\" in name:
            problem = "backslash in path"
        elif ".." in PurePosixPath(name).parts:
            problem = "'..' in path"
        elif stat.S_ISLNK(mode):
            problem = "symbolic link"
        elif mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            problem = "not a regular file"
        elif info.file_size > MAX_MEMBER_BYTES:
            problem = f"larger than {MAX_MEMBER_BYTES} bytes"
        if problem:
            raise PresetError(f"{where}: unsafe archive entry {name!r}: {problem}")


def _open_zip(path: Path, source: IO[bytes] | None = None) -> zipfile.ZipFile:
    """Open the packed preset at ``path``, or held in ``source`` (then ``path`` only names it)."""
    try:
        return zipfile.ZipFile(path if source is None else source)
    except zipfile.BadZipFile as e:
        raise PresetError(f"{path}: not a valid packed preset (corrupt zip: {e})") from None
    except OSError as e:
        raise PresetError(f"{path}: cannot read packed preset: {e.strerror or e}") from None


def _read_member(zf: zipfile.ZipFile, name: str, where: str, *, required: bool = True) -> bytes | None:
    try:
        return zf.read(name)
    except KeyError:
        if required:
            raise PresetError(f"{where}: {name} is missing from the archive") from None
        return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        # A CRC mismatch or truncated stream shows up here, not when opening.
        raise PresetError(f"{where}: corrupt archive entry {name}: {e}") from None


def _read_file(path: Path, what: str, where: str, *, required: bool = True) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if required:
            raise PresetError(f"{where}: {what} {path.name} is missing") from None
        return None
    except IsADirectoryError:
        raise PresetError(f"{where}: {what} {path.name} is a directory, not a file") from None
    except OSError as e:
        raise PresetError(f"{where}: cannot read {path.name}: {e.strerror or e}") from None


def read_bundle(path: str | os.PathLike[str], *, verify_checksum: bool = True) -> Bundle:
    """Read and verify a bundle directory or packed ``.lrpreset`` file.

    Raises :class:`PresetError` naming the bundle and the problem: missing files, bad
    JSON, schema violations, or a model whose sha256 differs from the manifest.
    """
    path = Path(path)
    where = str(path)
    if path.is_dir():
        raw = _read_file(path / MANIFEST_FILE, "manifest", where)
        if raw is None:  # pragma: no cover - _read_file raises when required
            raise PresetError(f"{where}: preset.json is missing")
        manifest = _parse_manifest(raw, where)
        model = _read_file(path / manifest["model"]["file"], "model file", where)
        preview = _read_file(path / manifest.get("preview", PREVIEW_FILE), "preview", where, required=False)
    elif path.is_file():
        manifest, model, preview = _read_packed(path)
    elif path.exists():
        raise PresetError(f"{where}: not a bundle directory or packed preset file")
    else:
        raise PresetError(f"{where}: no such preset bundle")
    assert model is not None
    bundle = Bundle(path=path, manifest=manifest, model_bytes=model, preview_bytes=preview)
    if verify_checksum:
        check_model_checksum(bundle)
    return bundle


def _read_packed(path: Path, source: IO[bytes] | None = None) -> tuple[dict[str, Any], bytes | None, bytes | None]:
    where = str(path)
    with _open_zip(path, source) as zf:
        check_zip_members(zf, where)
        manifest = _parse_manifest(_read_member(zf, MANIFEST_FILE, where) or b"", where)
        model = _read_member(zf, manifest["model"]["file"], where)
        preview = _read_member(zf, manifest.get("preview", PREVIEW_FILE), where, required=False)
    return manifest, model, preview


def read_packed_bytes(data: bytes, path: str | os.PathLike[str]) -> Bundle:
    """Read and verify a packed preset held in memory, e.g. sent to a Ray worker.

    The same checks as :func:`read_bundle` on a ``.lrpreset`` file, model checksum
    included; ``path`` (where the bytes came from) only names the bundle in errors.
    """
    manifest, model, preview = _read_packed(Path(path), io.BytesIO(data))
    assert model is not None
    bundle = Bundle(path=Path(path), manifest=manifest, model_bytes=model, preview_bytes=preview)
    check_model_checksum(bundle)
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
        return _parse_manifest(_read_file(path / MANIFEST_FILE, "manifest", where) or b"", where)
    with _open_zip(path) as zf:
        check_zip_members(zf, where)
        return _parse_manifest(_read_member(zf, MANIFEST_FILE, where) or b"", where)


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

    The default output is ``<manifest name>-<version>.lrpreset`` in the current
    directory. Only the bundle's own files (manifest, model, preview) are packed, in
    a fixed order with fixed timestamps, so packing is reproducible.
    """
    bundle = read_bundle(source)
    m = bundle.manifest
    out = Path(output) if output is not None else Path(f"{m['name']}-{m['version']}{PACKED_SUFFIX}")
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


def extract_bundle(source: Path, target_dir: Path) -> None:
    """Copy a bundle's files (directory or packed file) into empty ``target_dir``.

    Packed files are checked entry by entry first (:func:`check_zip_members`), and
    every extracted path is re-checked to resolve inside ``target_dir``.
    """
    root = target_dir.resolve()
    if source.is_dir():
        for entry in source.iterdir():
            # Only regular files at the top level: a bundle has no sub-directories,
            # and following a symlink could copy something from outside it.
            if entry.is_file() and not entry.is_symlink():
                shutil.copyfile(entry, target_dir / entry.name)
        return
    with _open_zip(source) as zf:
        check_zip_members(zf, str(source))
        for info in zf.infolist():
            dest = (target_dir / info.filename).resolve()
            if dest != root and root not in dest.parents:
                raise PresetError(f"{source}: unsafe archive entry {info.filename!r}: escapes the target")
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
                raise PresetError(f"{source}: corrupt archive entry {info.filename}: {e}") from None
