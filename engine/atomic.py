"""Atomic file writes: a temporary file beside the target, then a rename.

Readers never see a half-written file, and a failed write leaves no temporary file
behind (an existing file keeps its old content). The file gets ordinary permissions:
``tempfile.mkstemp`` creates files with mode 0600, so a plain "mkstemp, write,
rename" would leave images, presets and checkpoints unreadable to other users. Here
a replaced file keeps its mode, and a new file gets ``0o666 & ~umask`` like any file
that ``open(path, "w")`` creates.

Torch-free: the engine, the plugins and the scripts all write through this module.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "remove_stale_temporaries",
    "staging_dir",
    "NEW_FILE_MODE",
    "NEW_DIR_MODE",
]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask can only be read by setting it, it is process-wide,
# and images are written from worker threads, so reading it per write would race.
_UMASK = _current_umask()
NEW_FILE_MODE = 0o666 & ~_UMASK
NEW_DIR_MODE = 0o777 & ~_UMASK


def staging_dir(parent: str | os.PathLike[str], prefix: str) -> Path:
    """A new hidden folder in ``parent`` to fill and then rename into place.

    ``tempfile.mkdtemp`` makes it 0700; a bundle renamed into a library would keep
    that and be unreadable to other users, so it gets ``0o777 & ~umask`` like a
    folder made by ``mkdir``.
    """
    path = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
    os.chmod(path, NEW_DIR_MODE)
    return path


def atomic_write(
    path: str | os.PathLike[str],
    write: Callable[[IO[bytes]], Any],
    *,
    overwrite: bool = True,
) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place.

    The file is opened ``"w+b"`` (seekable and readable: some Pillow encoders need
    that) and the parent directories are created. Once ``write`` returns, the file
    takes the mode of the file it replaces, or ``0o666 & ~umask`` for a new one.

    With ``overwrite=False`` an existing ``path`` is never replaced, even if it
    appears while writing: the final step is a hard link, which fails on an existing
    name, and ``FileExistsError`` (``filename`` = ``path``) is raised. Where the
    filesystem has no hard links it falls back to checking, then renaming.

    Returns ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The pid in the name lets a later run tell a killed writer's leftover from a
    # write still in progress (remove_stale_temporaries).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w+b") as f:
            write(f)
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = NEW_FILE_MODE
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(directory: Path, names: set[str]) -> list[Path]:
    """Remove the temporaries :func:`atomic_write` left for files ``names`` in ``directory``.

    Only those whose writing process no longer runs (killed mid-write: ``kill -9``,
    a power cut) are removed, so a concurrent run's writes are left alone. Returns
    what was removed.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        target, _, rest = entry.name[1:-4].rpartition(".")  # ".NAME.PID.RANDOM.tmp"
        target, _, pid = target.rpartition(".")
        if target in names and pid.isdigit() and not _running(int(pid)) and entry.is_file(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed


def _link_new(tmp: str, path: Path) -> None:
    exists = FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise exists from None
    except OSError:
        # No hard links here (some network or FAT filesystems): check, then rename.
        if os.path.lexists(path):
            raise exists from None
        os.replace(tmp, path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda f: f.write(data), overwrite=overwrite)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` to ``path`` as UTF-8, atomically (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
