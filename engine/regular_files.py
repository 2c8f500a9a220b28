"""Opening untrusted files: only regular files, never blocking, never unbounded.

A FIFO named ``model.onnx`` or ``photo.png`` would block ``open()`` forever and
``/dev/zero`` behind a symlink would never end, so files from bundles and input
folders are opened with ``O_NONBLOCK`` (opening a FIFO then returns at once), checked
with ``fstat`` to be regular files (the check is on the opened file, so a swap
between check and read cannot slip through) and read with a size limit.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["NotRegularFile", "TooLarge", "open_regular", "read_regular", "sha256_regular"]


class NotRegularFile(OSError):
    """The path is a FIFO, device, socket or directory."""


class TooLarge(OSError):
    """The file holds more bytes than the caller's limit."""


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> BinaryIO:
    """Open ``path`` for binary reading, refusing anything but a regular file.

    Raises :class:`NotRegularFile` (message: what it is instead) and the usual
    ``OSError`` subclasses (``FileNotFoundError``, ``PermissionError``); with
    ``follow_symlinks=False`` a symlink is refused too.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if os.path.islink(path):
            raise NotRegularFile(f"{Path(path).name} is a symbolic link")
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP and not follow_symlinks:  # O_NOFOLLOW met a symlink
            raise NotRegularFile(f"{Path(path).name} is a symbolic link") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"{Path(path).name} is {_kind(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int, *, follow_symlinks: bool = True) -> bytes:
    """All bytes of regular file ``path``, or :class:`TooLarge` past ``limit`` bytes.

    The limit is enforced on what is read, not on ``st_size`` alone, so a file that
    grows while being read is still cut off.
    """
    with open_regular(path, follow_symlinks=follow_symlinks) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{Path(path).name} is larger than {limit} bytes")
    return data


def sha256_regular(path: str | os.PathLike[str], limit: int) -> str:
    """The sha256 of regular file ``path``, read in chunks (a checkpoint of hundreds of
    MB is never held whole for its digest), or :class:`TooLarge` past ``limit`` bytes."""
    digest = hashlib.sha256()
    read = 0
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            read += len(chunk)
            if read > limit:
                raise TooLarge(f"{Path(path).name} is larger than {limit} bytes")
            digest.update(chunk)
    return digest.hexdigest()
