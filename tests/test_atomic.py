"""latentroom.engine.atomic: the one atomic-write helper, and the file modes it leaves.

Every writer used to copy "mkstemp, write, os.replace"; mkstemp creates files with
mode 0600, so applied images, presets, directions and checkpoints were unreadable to
other users. These tests pin the mode as well as the atomicity.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import latentroom.engine.atomic as atomic
from latentroom.engine.atomic import NEW_FILE_MODE, atomic_write, atomic_write_bytes, atomic_write_text
from latentroom.engine.cli import cli
from latentroom.engine.presets import pack_bundle
from latentroom.engine.presets.library import install
from preset_fixtures import build_preset, isolate_library


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_new_file_mode_follows_the_umask() -> None:
    assert NEW_FILE_MODE == 0o666 & ~umask()


def test_writes_content_creates_parents_and_returns_the_path(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "data.bin"
    assert atomic_write(str(target), lambda f: f.write(b"\x00\x01")) == target
    assert target.read_bytes() == b"\x00\x01"
    assert atomic_write_bytes(tmp_path / "x.bin", b"bytes").read_bytes() == b"bytes"
    assert atomic_write_text(tmp_path / "t.txt", "grüße\n").read_bytes() == "grüße\n".encode("utf-8")
    assert leftovers(tmp_path) == [] and leftovers(target.parent) == []


def test_the_file_is_seekable_and_readable(tmp_path: Path) -> None:
    def write(f) -> None:  # what Pillow's TIFF writer does
        f.write(b"abcdef")
        f.seek(0)
        assert f.read(3) == b"abc"
        f.seek(0)
        f.write(b"X")

    assert atomic_write(tmp_path / "s", write).read_bytes() == b"Xbcdef"


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    path = atomic_write_bytes(tmp_path / "new.png", b"x")
    assert mode(path) == 0o666 & ~umask()
    if umask() & 0o044 == 0:  # the usual 022 or 002: others may read
        assert mode(path) & 0o044 == 0o044


def test_the_umask_is_honoured(tmp_path: Path) -> None:
    # A fresh interpreter: the umask is read once, at import.
    code = (
        "import os, sys\nos.umask(0o027)\nfrom engine.atomic import atomic_write_bytes\n"
        "print(oct(os.stat(atomic_write_bytes(sys.argv[1], b'x')).st_mode & 0o777))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0o640"


@pytest.mark.parametrize("old_mode", [0o640, 0o604, 0o600])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, old_mode: int) -> None:
    path = tmp_path / "doc.md"
    path.write_bytes(b"old")
    path.chmod(old_mode)
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and mode(path) == old_mode


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    path = atomic_write_bytes(tmp_path / "keep.bin", b"original")

    def dies(f) -> None:
        f.write(b"half a fi")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, dies)
    assert path.read_bytes() == b"original"
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "never.bin", lambda f: (_ for _ in ()).throw(KeyboardInterrupt))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.bin"]


def test_no_overwrite_refuses_an_existing_name(tmp_path: Path) -> None:
    path = atomic_write_bytes(tmp_path / "out.png", b"first", overwrite=False)
    assert path.read_bytes() == b"first" and mode(path) == NEW_FILE_MODE
    with pytest.raises(FileExistsError) as info:
        atomic_write_bytes(path, b"second", overwrite=False)
    assert info.value.filename == str(path)
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_no_overwrite_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src, dst) -> None:
        raise PermissionError(1, "Operation not permitted")  # what vfat answers

    monkeypatch.setattr(atomic.os, "link", no_links)
    path = atomic_write_bytes(tmp_path / "out.png", b"first", overwrite=False)
    assert path.read_bytes() == b"first" and mode(path) == NEW_FILE_MODE
    with pytest.raises(FileExistsError):
        atomic_write_bytes(path, b"second", overwrite=False)
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


# ------------------------------------------------------------------- end to end


def test_applied_images_and_preset_files_are_not_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = 0o666 & ~umask()
    preset = build_preset(tmp_path / "fixture", resolution=32)
    for f in preset.iterdir():
        assert mode(f) == expected, f
    # Bundles are staged in a temporary folder and renamed into place: the folder
    # must not keep mkdtemp's 0700, in the author's tree or in the library.
    assert mode(preset) == 0o777 & ~umask()
    isolate_library(monkeypatch, tmp_path)
    assert mode(install(preset)) == 0o777 & ~umask()
    packed = pack_bundle(preset, tmp_path / "fixture-1.0.0.lrpreset")
    assert mode(packed) == expected

    (tmp_path / "in").mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(tmp_path / "in" / "a.png")
    result = CliRunner().invoke(cli, ["apply", str(packed), str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                                      "--compare", "-q"])
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out").iterdir())
    assert len(written) == 2  # the image and its side-by-side comparison
    for f in written:
        assert mode(f) == expected, f
