"""Reading a plain ``.npz`` archive (``np.savez``) from an untrusted file.

Direction corrections and latent pairs travel as ``.npz`` files. Reading one must not
run code (no pickled objects), must not inflate past a bound (a compressed member
can unpack to far more than the file's size, whatever the file's own size limit
was), and must hold exactly the arrays its format names. Callers bound the file's
size when they read it, and put the file's name in front of the problem.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Sequence

import numpy as np


class NpzProblem(Exception):
    """What is wrong with an archive; the caller names the file."""


def read_npz(data: bytes, max_unpacked: int, layouts: Sequence[Collection[str]], expected: str,
             kind: str) -> dict[str, np.ndarray]:
    """The arrays of the file ``data`` (its bytes, read with a bound on its size),
    whose names must be one of ``layouts`` (``expected`` describes them in the message)
    and whose members unpack to at most ``max_unpacked`` bytes. Raises
    :class:`NpzProblem`, saying the file is not ``kind`` when it is not a readable
    archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as members:
            unpacked = sum(info.file_size for info in members.infolist())
        if unpacked > max_unpacked:
            raise NpzProblem(f"arrays unpack to {unpacked} bytes, more than {max_unpacked}")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            names = set(archive.files)
            if not any(names == set(layout) for layout in layouts):
                raise NpzProblem(f"expected the arrays {expected}, found {sorted(names)}")
            return {name: archive[name] for name in sorted(names)}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise NpzProblem(f"not {kind} ({exc})") from None


__all__ = ["NpzProblem", "read_npz"]
