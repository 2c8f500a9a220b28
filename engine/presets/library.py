"""Where presets are found, and installing into / removing from the user library.

Search order (the first source that has a name wins; later entries with the same
name are *shadowed* and shown as such by ``latentroom preset list``):

1. ``LATENTROOM_PRESET_PATH``: directories separated by ``os.pathsep``, in order;
2. the user library, ``click.get_app_dir("latentroom")/presets`` (``install`` target);
3. presets bundled with latentroom (the ``presets`` package);
4. presets contributed by plugins (``register_presets``).

Plugins come last so that resolving any other preset never imports plugin code (a
third-party plugin runs arbitrary code at import) and a plugin cannot replace a
bundled preset under its name. In a directory source, a preset's name is its
sub-directory name (a bundle directory, one holding ``preset.json``) or its file
name without ``.lrpreset`` (a packed file).
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import click

from latentroom.engine.errors import PresetError
from latentroom.engine.presets.bundle import read_bundle, read_manifest_only, write_bundle
from latentroom.engine.presets.manifest import MANIFEST_FILE, NAME_RE, PACKED_SUFFIX

ENV_VAR = "LATENTROOM_PRESET_PATH"

SOURCE_ENV = "env"
SOURCE_USER = "user"
SOURCE_PLUGIN = "plugin"
SOURCE_BUNDLED = "bundled"
SOURCE_ORDER = (SOURCE_ENV, SOURCE_USER, SOURCE_BUNDLED, SOURCE_PLUGIN)


@dataclass
class LibraryEntry:
    """One preset found in one source."""

    name: str
    path: Path
    source: str
    """``env``, ``user``, ``plugin`` or ``bundled``."""
    origin: str
    """Readable detail: the directory searched, or the contributing plugin."""
    plugin: str | None = None
    """The contributing plugin's name, for ``plugin`` entries."""
    shadowed_by: "LibraryEntry | None" = None
    manifest: dict[str, Any] | None = None
    error: str | None = None
    """Why the manifest could not be read, when it could not."""

    @property
    def label(self) -> str:
        """The source as shown to users: ``plugin:NAME`` names the plugin."""
        return f"{self.source}:{self.plugin}" if self.plugin else self.source

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "source": self.source,
            "origin": self.origin,
            "plugin": self.plugin,
            "active": self.shadowed_by is None,
            "shadowed_by": None
            if self.shadowed_by is None
            else {"source": self.shadowed_by.source, "path": str(self.shadowed_by.path)},
            "title": (self.manifest or {}).get("title"),
            "version": (self.manifest or {}).get("version"),
            "error": self.error,
        }


@dataclass
class Listing:
    entries: list[LibraryEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Sources that could not be searched, and why (shown, never fatal)."""


def user_library() -> Path:
    """The user library directory (may not exist yet)."""
    return Path(click.get_app_dir("latentroom")) / "presets"


def env_dirs() -> list[Path]:
    value = os.environ.get(ENV_VAR, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def bundled_dir() -> Path | None:
    try:
        package = importlib.import_module("latentroom.presets")
    except ImportError:
        return None
    locations = list(getattr(package, "__path__", []))
    return Path(locations[0]) if locations else None


def _scan_dir(directory: Path, source: str) -> Iterator[LibraryEntry]:
    try:
        children = sorted(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError:
        return
    for child in children:
        if child.name.startswith((".", "_")):
            continue  # temp dirs of an install in progress, __pycache__, ...
        if child.is_dir() and (child / MANIFEST_FILE).is_file():
            yield LibraryEntry(child.name, child, source, str(directory))
        elif child.is_file() and child.suffix == PACKED_SUFFIX:
            yield LibraryEntry(child.stem, child, source, str(directory))


def _plugin_entries(notes: list[str]) -> Iterator[LibraryEntry]:
    try:
        from latentroom.engine.plugins import registry
    except ImportError as e:
        notes.append(f"plugin presets not searched: latentroom.engine.plugins is unavailable ({e})")
        return
    try:
        contributions = registry().presets
    except Exception as e:  # a broken plugin system must not hide the other sources
        notes.append(f"plugin presets not searched: loading plugins failed ({e})")
        return
    for name, contribution in sorted(contributions.items()):
        yield LibraryEntry(
            name,
            Path(contribution.value),
            SOURCE_PLUGIN,
            f"plugin {contribution.plugin}",
            plugin=contribution.plugin,
        )


def iter_sources(notes: list[str]) -> Iterator[LibraryEntry]:
    """Every entry of every source, in precedence order, lazily.

    Lazy so that resolving a name found before the plugin source never loads
    plugins, whose import may be slow and runs third-party code.
    """
    for d in env_dirs():
        yield from _scan_dir(d, SOURCE_ENV)
    yield from _scan_dir(user_library(), SOURCE_USER)
    bundled = bundled_dir()
    if bundled is not None:
        yield from _scan_dir(bundled, SOURCE_BUNDLED)
    yield from _plugin_entries(notes)


def list_presets(*, read_manifests: bool = True) -> Listing:
    """All presets in all sources, with shadowed entries marked."""
    listing = Listing()
    first: dict[str, LibraryEntry] = {}
    for entry in iter_sources(listing.notes):
        entry.shadowed_by = first.get(entry.name)
        first.setdefault(entry.name, entry)
        if read_manifests:
            try:
                entry.manifest = read_manifest_only(entry.path)
            except PresetError as e:
                entry.error = str(e)
        listing.entries.append(entry)
    return listing


def looks_like_path(spec: str) -> bool:
    """A path separator, a ``.lrpreset`` ending, ``.`` or ``..``: nothing else is a path.

    Whether a file of that name happens to exist is not asked: a folder named
    ``smile`` in the working directory must not silently replace the ``smile``
    preset (write ``./smile`` to mean the folder).
    """
    return (
        os.sep in spec
        or (os.altsep is not None and os.altsep in spec)
        or spec.endswith(PACKED_SUFFIX)
        or spec in (".", "..")
    )


def resolve(spec: str | os.PathLike[str]) -> tuple[Path, LibraryEntry | None]:
    """Resolve a preset name or path to the bundle path to load.

    A string that contains a path separator, ends in ``.lrpreset`` or is ``.``/``..``
    is a path (:func:`looks_like_path`); anything else is a library name.
    """
    if isinstance(spec, os.PathLike) or looks_like_path(str(spec)):
        return Path(spec), None
    name = str(spec)
    notes: list[str] = []
    for entry in iter_sources(notes):
        if entry.name == name:
            return entry.path, entry
    known = sorted({e.name for e in iter_sources([])})
    hint = f"; available: {', '.join(known)}" if known else "; no presets are installed"
    extra = f" ({'; '.join(notes)})" if notes else ""
    raise PresetError(f"no preset named {name!r}{hint}{extra}")


def install(source: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Install a bundle directory or packed file into the user library.

    The bundle is verified (schema, checksum, self-contained model) and then its
    three files are written from the very bytes verified, through a temporary
    directory inside the library renamed into place as ``<library>/<manifest
    name>``: nothing is extracted, so other files or archive entries never reach the
    library. An existing preset of that name is replaced only with ``force``.
    """
    source = Path(source)
    bundle = read_bundle(source)
    name = bundle.manifest["name"]
    library = user_library()
    target = library / name
    if (target.exists() or target.is_symlink()) and not force:
        raise PresetError(
            f"{source}: a preset named {name!r} is already installed at {target} "
            "(use --force to replace it)"
        )
    try:
        return write_bundle(target, bundle.manifest, bundle.model_bytes, preview=bundle.preview_bytes, overwrite=True)
    except OSError as e:
        raise PresetError(f"{library}: cannot install into the user library: {e.strerror or e}") from None


def remove(name: str) -> Path:
    """Remove a preset from the user library (other sources are never touched)."""
    if not NAME_RE.fullmatch(name):
        raise PresetError(f"{name!r} is not a preset name")
    library = user_library()
    for candidate in (library / name, library / f"{name}{PACKED_SUFFIX}"):
        if candidate.is_symlink() or candidate.is_file():
            candidate.unlink()
            return candidate
        if candidate.is_dir():
            # Rename first, so a half-deleted bundle is never visible under its name.
            trash = Path(tempfile.mkdtemp(dir=library, prefix=f".remove-{name}-"))
            os.replace(candidate, trash / name)
            shutil.rmtree(trash, ignore_errors=True)
            return candidate
    elsewhere = [e for e in list_presets(read_manifests=False).entries if e.name == name]
    if elsewhere:
        where = ", ".join(f"{e.source} ({e.path})" for e in elsewhere)
        raise PresetError(
            f"preset {name!r} is not in the user library {library}; it comes from {where}, "
            "which `remove` does not modify"
        )
    raise PresetError(f"no preset named {name!r} in the user library {library}")
