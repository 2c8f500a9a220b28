"""Reading packed ``.lrpreset`` files (zip archives) with every size bounded.

The archive's own records are untrusted: the entry count and sizes in its headers
can lie, so they are checked before Python's :mod:`zipfile` parses the central
directory (:func:`open_archive`), and each member is read through the decompressor
with a byte limit (:func:`read_member`), so a small file that inflates to gigabytes
is cut off after the limit, whatever its header says. Nothing is ever extracted to
disk: the engine reads the three members a bundle has into memory.
"""

from __future__ import annotations

import stat
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from latentroom.engine import limits
from latentroom.engine.errors import PresetError
from latentroom.engine.regular_files import open_regular

_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_END_RECORD_SIZE = 22
_MAX_COMMENT = 0xFFFF


def _check_end_record(f: BinaryIO, where: str) -> None:
    """Bound the entry count and central directory size before zipfile reads them."""
    size = f.seek(0, 2)
    if size > limits.MAX_PACKED_BYTES:
        raise PresetError(f"{where}: packed preset is {size} bytes; the limit is {limits.MAX_PACKED_BYTES}")
    tail_size = min(size, _END_RECORD_SIZE + _MAX_COMMENT + 20)
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise PresetError(f"{where}: not a valid packed preset (corrupt zip: no end of central directory)")
    entries, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        raise PresetError(f"{where}: packed preset uses zip64 records, which a preset never needs")
    if entries > limits.MAX_ARCHIVE_ENTRIES:
        raise PresetError(f"{where}: archive has {entries} entries; the limit is {limits.MAX_ARCHIVE_ENTRIES}")
    if directory_size > limits.MAX_CENTRAL_DIRECTORY_BYTES:
        raise PresetError(
            f"{where}: archive directory is {directory_size} bytes; the limit is {limits.MAX_CENTRAL_DIRECTORY_BYTES}"
        )
    f.seek(0)


@contextmanager
def open_archive(path: Path, source: BinaryIO | None = None) -> Iterator[zipfile.ZipFile]:
    """Open a packed preset (held in ``source`` when given: ``path`` then only names
    it), refusing special files, oversized and unsafe archives."""
    where = str(path)
    try:
        f = open_regular(path) if source is None else source
    except OSError as e:
        raise PresetError(f"{where}: cannot read packed preset: {e.strerror or e}") from None
    with f:
        _check_end_record(f, where)
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
                NotImplementedError) as e:
            raise PresetError(f"{where}: not a valid packed preset (corrupt zip: {e})") from None
        with zf:
            check_members(zf, where)
            yield zf


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if "\\" in name:
        return "backslash in path"
    if ".." in PurePosixPath(name).parts:
        return "'..' in path"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    # No type bits at all (zipfile.writestr with a plain name, DOS-made archives):
    # a plain file by every other sign, so accepted like one.
    if kind and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file"
    return None


def check_members(zf: zipfile.ZipFile, where: str) -> None:
    """Refuse the whole archive if it has too many entries or any unsafe one.

    Absolute names, drive letters, ``..`` components, backslashes (a separator on
    Windows), symlinks and special files (Unix mode bits in ``external_attr``) are
    refused: a bundle with one hostile entry is not trustworthy in its others.
    """
    members = zf.infolist()
    if len(members) > limits.MAX_ARCHIVE_ENTRIES:
        raise PresetError(f"{where}: archive has {len(members)} entries; the limit is {limits.MAX_ARCHIVE_ENTRIES}")
    for info in members:
        problem = _entry_problem(info)
        if problem:
            raise PresetError(f"{where}: unsafe archive entry {info.filename!r}: {problem}")


def read_member(zf: zipfile.ZipFile, name: str, limit: int, where: str, *, required: bool = True) -> bytes | None:
    """Decompress member ``name``, refusing it once more than ``limit`` bytes come out."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        if required:
            raise PresetError(f"{where}: {name} is missing from the archive") from None
        return None
    if info.is_dir():
        raise PresetError(f"{where}: {name} is a folder in the archive, not a file")
    try:
        with zf.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
        # A CRC mismatch, truncated or garbled stream or unknown compression shows up here.
        raise PresetError(f"{where}: corrupt archive entry {name}: {e}") from None
    if len(data) > limit:
        raise PresetError(f"{where}: archive entry {name} inflates to more than {limit} bytes")
    return data
