"""The apply pipeline, the `apply` command and the torch-free Python API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from latentroom.engine.apply import apply_files
from latentroom.engine.cli import cli
from latentroom.engine.errors import PresetError
from latentroom.engine.inputs import collect_inputs
from latentroom.engine.presets import load_preset
from preset_fixtures import build_preset

RNG = np.random.default_rng(1)


@pytest.fixture(scope="module")
def preset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_preset(tmp_path_factory.mktemp("p") / "fixture", resolution=32)


@pytest.fixture(scope="module")
def plain_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_preset(tmp_path_factory.mktemp("q") / "plain", name="plain", kind="plain", resolution=32)


def images(folder: Path, n: int = 5, size: tuple[int, int] = (48, 40)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"img{i}.png"
        Image.fromarray(RNG.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(p)
        paths.append(p)
    return paths


def invoke(*args: str):
    return CliRunner().invoke(cli, ["apply", *map(str, args)])


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_folder_batch_with_a_corrupt_file(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in")
    (tmp_path / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    result = invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "out", "--batch-size", "2")
    assert result.exit_code == 1
    assert "broken.png: cannot read image" in result.output
    assert "5 written, 0 skipped, 1 failed" in result.output
    assert "on CPUExecutionProvider" in result.output  # the provider actually used
    # Every good image written, nothing for the broken one, no temp files left.
    assert listing(tmp_path / "out") == [f"img{i}.png" for i in range(5)]


def test_existing_outputs(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=3)
    out = tmp_path / "out"
    assert invoke(preset_dir, tmp_path / "in", "-o", out).exit_code == 0
    before = (out / "img0.png").read_bytes()

    result = invoke(preset_dir, tmp_path / "in", "-o", out, "--strength", "2")
    assert result.exit_code == 1 and "exists (use --overwrite or --skip-existing)" in result.output
    assert (out / "img0.png").read_bytes() == before

    (out / "img1.png").unlink()  # an interrupted run: resume with --skip-existing
    result = invoke(preset_dir, tmp_path / "in", "-o", out, "--skip-existing")
    assert result.exit_code == 0 and "1 written, 2 skipped, 0 failed" in result.output

    result = invoke(preset_dir, tmp_path / "in", "-o", out, "--overwrite", "--strength", "2")
    assert result.exit_code == 0 and (out / "img0.png").read_bytes() != before
    assert listing(out) == ["img0.png", "img1.png", "img2.png"]

    result = invoke(preset_dir, tmp_path / "in", "-o", out, "--overwrite", "--skip-existing")
    assert result.exit_code == 2 and "cannot be used together" in result.output


def test_inputs_files_folders_globs(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in" / "a" / "deep", n=2)
    images(tmp_path / "loose", n=2)
    (tmp_path / "in" / "notes.txt").write_text("not an image, ignored in folders")
    result = invoke(
        preset_dir, tmp_path / "in", str(tmp_path / "loose" / "*.png"), tmp_path / "missing.png",
        str(tmp_path / "none-*.png"), "-o", tmp_path / "out", "-q",
    )
    assert result.exit_code == 1
    assert "missing.png: no such file or directory" in result.output
    assert "none-*.png: no files match this pattern" in result.output
    assert "written" not in result.output  # --quiet: no summary
    assert listing(tmp_path / "out") == ["a/deep/img0.png", "a/deep/img1.png", "img0.png", "img1.png"]


def test_two_inputs_with_one_name_are_reported_not_overwritten(preset_dir: Path, tmp_path: Path) -> None:
    # Files are written as OUTDIR/NAME wherever they are (what a shell-expanded
    # /some/dir/*.png gives), so two files named alike cannot both be written.
    [first], [second] = images(tmp_path / "a", n=1), images(tmp_path / "b", n=1)
    result = invoke(preset_dir, first, second, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 1
    assert f"{second}: has the same name (img0.png) as {first}" in result.output
    assert listing(tmp_path / "out") == ["img0.png"]


def test_output_inside_input_folder_is_not_reprocessed(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=2)
    assert invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "in" / "out").exit_code == 0
    files, _ = collect_inputs([str(tmp_path / "in")], exclude=tmp_path / "in" / "out")
    assert len(files) == 2


def test_compare_writes_side_by_side(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=1)
    assert invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "out", "--compare").exit_code == 0
    with Image.open(tmp_path / "out" / "img0_compare.png") as comp, Image.open(tmp_path / "in" / "img0.png") as src:
        assert comp.size == (96, 40)
        np.testing.assert_array_equal(np.asarray(comp)[:, :48], np.asarray(src))


def test_bad_strength_and_provider(preset_dir: Path, plain_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=1)
    result = invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "out", "--strength", "9")
    assert result.exit_code == 1 and "strength 9 is outside the range [0, 2] of preset 'fixture'" in result.output
    result = invoke(plain_dir, tmp_path / "in", "-o", tmp_path / "out", "--strength", "1")
    assert result.exit_code == 1 and "has no strength control" in result.output
    assert not (tmp_path / "out").exists()
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        result = invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "out", "--provider", "cuda")
        assert result.exit_code == 1 and "no CUDAExecutionProvider" in result.output


def test_batches_equal_singles(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=5, size=(50, 37))
    invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "b1", "--batch-size", "1")
    invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "b4", "--batch-size", "4")
    for i in range(5):
        a = np.asarray(Image.open(tmp_path / "b1" / f"img{i}.png")).astype(int)
        b = np.asarray(Image.open(tmp_path / "b4" / f"img{i}.png")).astype(int)
        assert np.abs(a - b).max() <= 1  # float summation order may differ by batch

    preset = load_preset(preset_dir)
    batch = RNG.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    together = preset.apply(batch, strength=1.5)
    singles = np.stack([preset.apply(frame, strength=1.5) for frame in batch])
    assert np.abs(together.astype(int) - singles.astype(int)).max() <= 1


def test_python_api_kinds(preset_dir: Path, plain_dir: Path) -> None:
    preset = load_preset(preset_dir)
    assert preset.provider == "CPUExecutionProvider" and preset.manifest["name"] == "fixture"
    hwc = RNG.integers(0, 256, (45, 60, 3), dtype=np.uint8)
    out = preset.apply(hwc)
    assert out.shape == hwc.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(preset.apply(hwc, strength=0), hwc)  # residual of an additive edit is 0
    nhwc = RNG.integers(0, 256, (3, 45, 60, 3), dtype=np.uint8)
    assert preset.apply(nhwc).shape == nhwc.shape
    assert preset.apply(nhwc[:, :32, :32]).shape == (3, 32, 32, 3)
    pil = Image.fromarray(hwc)
    res = preset.apply(pil, strength=0.5)
    assert isinstance(res, Image.Image) and res.size == (60, 45)
    assert [r.size for r in preset.apply([pil, pil.resize((20, 30))])] == [(60, 45), (20, 30)]
    np.testing.assert_array_equal(np.asarray(preset.apply(pil)), preset.apply(hwc))
    assert load_preset(plain_dir).apply(hwc).shape == hwc.shape
    with pytest.raises(ValueError, match="uint8 arrays"):
        preset.apply(hwc.astype(np.float32))
    with pytest.raises(PresetError, match="outside"):
        preset.apply(hwc, strength=-1)


def test_api_report(preset_dir: Path, tmp_path: Path) -> None:
    files, errors = collect_inputs([str(tmp_path / "in")] if images(tmp_path / "in", n=2) else [])
    seen = []
    report = apply_files(load_preset(preset_dir), files, tmp_path / "out", on_result=seen.append)
    assert report.ok and report.provider == "CPUExecutionProvider" and len(seen) == 2 and not errors


def test_no_partial_file_on_write_failure(preset_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images(tmp_path / "in", n=2)
    import latentroom.engine.imaging as imaging

    import threading

    real, lock, calls = imaging._save_to, threading.Lock(), []

    def flaky(img, f, fmt, params):
        with lock:
            calls.append(1)
            fail = len(calls) == 2
        if fail:  # the second write dies half-way
            f.write(b"half a file")
            raise OSError("disk full")
        real(img, f, fmt, params)

    monkeypatch.setattr(imaging, "_save_to", flaky)
    result = invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 1 and ".png: cannot write image: disk full" in result.output
    assert len(listing(tmp_path / "out")) == 1  # the good one; no partial or temp file


TORCH_FREE = """
import sys, numpy as np
from latentroom import engine
p = engine.load_preset(sys.argv[1])
p.apply(np.zeros((40, 50, 3), np.uint8))
from latentroom.engine.cli import cli
try:
    cli(["apply", sys.argv[1], sys.argv[2], "-o", sys.argv[3], "-q"], standalone_mode=False)
except SystemExit:
    pass
bad = sorted(m for m in ("torch", "onnx", "ray") if m in sys.modules)
print("LOADED:" + ",".join(bad))
"""


def test_apply_never_imports_torch(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=1)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-c", TORCH_FREE, str(preset_dir), str(tmp_path / "in"), str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "LOADED:\n" in proc.stdout, proc.stdout
    assert (tmp_path / "out" / "img0.png").exists()


def test_progress_bar_only_on_tty(preset_dir: Path, tmp_path: Path) -> None:
    images(tmp_path / "in", n=2)
    result = invoke(preset_dir, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 0 and "applying" not in result.output  # CliRunner is not a TTY


def test_show_json_via_library_name(monkeypatch: pytest.MonkeyPatch, preset_dir: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("LATENTROOM_PRESET_PATH", str(preset_dir.parent))
    images(tmp_path / "in", n=1)
    assert invoke("fixture", tmp_path / "in", "-o", tmp_path / "out").exit_code == 0
    data = json.loads(CliRunner().invoke(cli, ["preset", "show", "fixture", "--json"]).output)
    assert data["source"] == "env"


ONE_JPEG = """
import sys
from PIL import Image
from latentroom.engine.cli import main
sys.argv = ["latentroom", "apply", *sys.argv[1:], "-q"]
try:
    main()
except SystemExit as e:
    assert not e.code, e.code
print("PILLOW_FORMATS_ALL_LOADED:", Image._initialized >= 2)
"""


def test_image_format_without_every_pillow_plugin(preset_dir: Path, tmp_path: Path) -> None:
    from latentroom.engine.inputs import image_extensions, image_format

    # The common formats answer from Pillow's pre-loaded plugins, as every plugin would.
    full = image_extensions()
    for name in ("a.jpg", "b.JPEG", "c.png", "d.gif", "e.bmp", "f.ppm", "g.tif", "h.webp", "i.mpo"):
        assert image_format(name) == full[Path(name).suffix.lower()], name
    assert image_format("notes.txt") is None and image_format("no-extension") is None
    # A one-JPEG run never loads Pillow's other format modules (start-up time).
    Image.fromarray(RNG.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(tmp_path / "one.jpg")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", ONE_JPEG, str(preset_dir), str(tmp_path / "one.jpg"), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "PILLOW_FORMATS_ALL_LOADED: False" in proc.stdout
    assert Image.open(tmp_path / "out" / "one.jpg").format == "JPEG"
