"""Which image files a command works on: one rule for every command that takes images.

``apply``, ``invert`` and ``edit`` (and any plugin command) take the same arguments:
files, folders (searched recursively for image extensions Pillow knows, hidden
entries skipped) and glob patterns (expanded here too, for shells that do not).
Each input gets a *relative* name: a file's own name, or its path inside the folder
it was found in. Outputs go to ``OUTDIR/<relative>`` (``invert`` keys its latents by
it), so ``cmd /some/dir/*.png -o out`` writes ``out/NAME`` wherever the inputs are,
and nothing is ever written outside ``OUTDIR``.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass
class InputFile:
    path: Path
    relative: Path
    """Where the output goes, relative to the output directory."""


@dataclass(frozen=True)
class BadInput:
    """An argument that gave no usable input, and why."""

    argument: str
    reason: str

    def __str__(self) -> str:
        return f"{self.argument}: {self.reason}"


def image_extensions() -> dict[str, str]:
    """Lower-case file extension -> Pillow format name, for every format Pillow reads."""
    from PIL import Image  # on use: plugin modules import the option helpers beside this

    Image.init()
    return {ext.lower(): fmt for ext, fmt in Image.registered_extensions().items()}


def image_format(name: str | os.PathLike[str]) -> str | None:
    """The Pillow format of a file named ``name``, from its extension; ``None`` if unknown.

    Pillow's common formats (JPEG, PNG, GIF, BMP, PPM) answer without importing its
    other forty-odd format modules, which would add tens of milliseconds to every
    one-photo run; an extension they do not know loads them all.
    """
    from PIL import Image

    extension = Path(name).suffix.lower()
    Image.preinit()
    if extension not in Image.EXTENSION:
        Image.init()
    return Image.EXTENSION.get(extension)


def collect_inputs(
    args: Sequence[str | os.PathLike[str]], exclude: Path | None = None
) -> tuple[list[InputFile], list[BadInput]]:
    """Expand files, folders and glob patterns into inputs with unique relative names.

    Explicit files are kept whatever their extension (a non-image then fails when it
    is read, with a per-file error). Files under ``exclude`` (the output directory)
    are left out of folder scans, so re-running with the output inside the input
    folder does not feed outputs back. Returns the inputs and, for each argument that
    matched nothing or a file whose relative name another input already has, a
    :class:`BadInput`.
    """
    found: list[InputFile] = []
    bad: list[BadInput] = []
    seen: set[Path] = set()
    named: dict[Path, Path] = {}  # relative name -> the input that has it
    excluded = exclude.resolve() if exclude is not None else None

    def add(path: Path, relative: Path) -> None:
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        if relative in named:
            bad.append(BadInput(str(path), f"has the same name ({relative.as_posix()}) as {named[relative]}; "
                                           "give the two in separate runs or pass their folder"))
            return
        named[relative] = path
        found.append(InputFile(path, relative))

    def scan(folder: Path) -> None:
        formats = image_extensions()  # only folder scans need every format's extensions
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            # Hidden folders and the output folder are never inputs.
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and (excluded is None or (here / d).resolve() != excluded)
            )
            for name in sorted(filenames):
                if not name.startswith(".") and Path(name).suffix.lower() in formats:
                    add(here / name, (here / name).relative_to(folder))

    def take(path: Path) -> bool:
        if path.is_dir():
            scan(path)
        elif path.is_file():
            add(path, Path(path.name))
        else:
            return False
        return True

    for arg in map(str, args):
        if take(Path(arg)):
            continue
        if glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                bad.append(BadInput(arg, "no files match this pattern"))
            for match in matches:
                take(Path(match))
        else:
            bad.append(BadInput(arg, "no such file or directory"))
    return found, bad
