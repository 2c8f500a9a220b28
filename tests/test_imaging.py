"""Image modes, bit depth, EXIF orientation and metadata through a real preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageCms, PngImagePlugin

from latentroom.engine.cli import cli
from latentroom.engine.errors import ImageError
from latentroom.engine.imaging import carry_back, open_image
from latentroom.engine.presets import load_preset
from preset_fixtures import build_preset

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def preset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_preset(tmp_path_factory.mktemp("p") / "fixture", resolution=32)


def apply(preset_dir: Path, image_path: Path, outdir: Path, *extra: str) -> Path:
    result = CliRunner().invoke(cli, ["apply", str(preset_dir), str(image_path), "-o", str(outdir), *extra])
    assert result.exit_code == 0, result.output
    return outdir / image_path.name


def noise(h: int, w: int, c: int | None = 3, dtype=np.uint8, high: int = 256) -> np.ndarray:
    shape = (h, w) if c is None else (h, w, c)
    return RNG.integers(0, high, shape).astype(dtype)


@pytest.mark.parametrize(
    "mode, make",
    [
        ("L", lambda: Image.fromarray(noise(40, 50, None))),
        ("LA", lambda: Image.fromarray(noise(40, 50, 2), "LA")),
        ("RGB", lambda: Image.fromarray(noise(40, 50))),
        ("RGBA", lambda: Image.fromarray(noise(40, 50, 4), "RGBA")),
        ("I;16", lambda: Image.fromarray(noise(40, 50, None, np.uint16, 65536))),
    ],
)
def test_strength_zero_is_lossless_in_every_mode(preset_dir: Path, tmp_path: Path, mode: str, make) -> None:
    src = make()
    assert src.mode == mode
    src.save(tmp_path / "in.png")
    out = apply(preset_dir, tmp_path / "in.png", tmp_path / "out", "--strength", "0")
    with Image.open(out) as res:
        assert res.mode == mode and res.size == src.size
        # Exact at 16 bits too: the working form is float, not 8-bit.
        np.testing.assert_array_equal(np.asarray(res), np.asarray(src))


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "P", "PT"])
def test_edit_keeps_mode_size_and_alpha(preset_dir: Path, tmp_path: Path, mode: str) -> None:
    if mode == "I;16":
        src = Image.fromarray(noise(36, 44, None, np.uint16, 65536))
    elif mode.startswith("P"):
        src = Image.fromarray(noise(36, 44)).convert("P", palette=Image.Palette.ADAPTIVE)
        if mode == "PT":
            src.info["transparency"] = 0
    else:
        src = Image.fromarray(noise(36, 44, len(mode)) if len(mode) > 1 else noise(36, 44, None), mode)
    src.save(tmp_path / "in.png")
    out = apply(preset_dir, tmp_path / "in.png", tmp_path / "out")
    expected_mode = {"P": "RGB", "PT": "RGBA"}.get(mode, mode)
    with Image.open(out) as res:
        assert res.mode == expected_mode and res.size == (44, 36)
        if expected_mode in ("RGBA", "LA"):
            with Image.open(tmp_path / "in.png") as again:
                ref = again.convert(expected_mode)
            np.testing.assert_array_equal(np.asarray(res)[..., -1], np.asarray(ref)[..., -1])
        # The edit did something (strength defaults to 1).
        assert np.abs(np.asarray(res, dtype=np.float64) - np.asarray(src.convert(res.mode), dtype=np.float64)).mean() > 0.5


def test_mode_i_tiff(preset_dir: Path, tmp_path: Path) -> None:
    src = Image.fromarray(noise(30, 30, None, np.int32, 65536))
    assert src.mode == "I"
    src.save(tmp_path / "in.tif")
    out = apply(preset_dir, tmp_path / "in.tif", tmp_path / "out", "--strength", "0")
    with Image.open(out) as res:
        assert res.mode == "I" and res.format == "TIFF"
        np.testing.assert_array_equal(np.asarray(res), np.asarray(src))


def test_cmyk_jpeg_becomes_rgb(preset_dir: Path, tmp_path: Path) -> None:
    Image.fromarray(noise(40, 40)).convert("CMYK").save(tmp_path / "in.jpg")
    out = apply(preset_dir, tmp_path / "in.jpg", tmp_path / "out")
    with Image.open(out) as res:
        assert res.mode == "RGB" and res.format == "JPEG" and res.size == (40, 40)


def test_exif_orientation_applied_and_reset(preset_dir: Path, tmp_path: Path) -> None:
    # Stored 60 wide x 30 high, tagged "rotate 90 CW to display": upright is 30 x 60.
    pixels = np.zeros((30, 60, 3), np.uint8)
    pixels[:, :10] = 255  # a white band at the stored left edge
    src = Image.fromarray(pixels)
    exif = src.getexif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"  # Make: must survive
    src.save(tmp_path / "in.jpg", exif=exif.tobytes(), quality=100)
    out = apply(preset_dir, tmp_path / "in.jpg", tmp_path / "out", "--strength", "0")
    with Image.open(out) as res:
        assert res.size == (30, 60)
        assert res.getexif()[0x0112] == 1 and res.getexif()[0x010F] == "TestCam"
        arr = np.asarray(res).astype(int)
        assert arr[:10].mean() > 200 and arr[-10:].mean() < 50  # band now at the top


def test_metadata_kept(preset_dir: Path, tmp_path: Path) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "keep me")
    Image.fromarray(noise(20, 20)).save(tmp_path / "in.png", icc_profile=icc, pnginfo=info)
    out = apply(preset_dir, tmp_path / "in.png", tmp_path / "out")
    with Image.open(out) as res:
        assert res.info.get("icc_profile") == icc and res.text.get("Comment") == "keep me"
    Image.fromarray(noise(20, 20)).save(tmp_path / "in.jpg", icc_profile=icc, quality=80)
    out = apply(preset_dir, tmp_path / "in.jpg", tmp_path / "out2")
    with Image.open(out) as res:
        assert res.info.get("icc_profile") == icc
        # quality 95: the luma quantisation table is fine (small steps).
        assert np.mean(res.quantization[0]) < 8  # ~5.8 at 95, ~19 at 80


def test_carry_back_keeps_resolution_and_detail(preset_dir: Path, tmp_path: Path) -> None:
    # A fine checkerboard the 32x32 model cannot represent must survive the edit.
    yy, xx = np.mgrid[0:128, 0:160]
    checker = (((yy // 2 + xx // 2) % 2) * 120 + 60).astype(np.uint8)
    img = Image.fromarray(np.stack([checker] * 3, axis=2))
    img.save(tmp_path / "in.png")
    out = apply(preset_dir, tmp_path / "in.png", tmp_path / "out")
    with Image.open(out) as res:
        assert res.size == (160, 128)
        edited = np.asarray(res).astype(np.float64)
    diff = edited - np.asarray(img).astype(np.float64)
    assert np.abs(diff).mean() > 1  # it was edited ...
    # ... but the difference is smooth (a low-resolution residual), so the
    # checkerboard's +-60 swing is intact: neighbouring differences barely change.
    assert np.abs(np.diff(diff, axis=1)).mean() < 3


def test_carry_back_same_size_returns_model_output() -> None:
    x = np.full((8, 8, 3), 0.5, np.float32)
    out = np.full((8, 8, 3), 0.7, np.float32)
    np.testing.assert_allclose(carry_back((x * 255).astype(np.uint8), x, out)(0, 8), out)


def test_unreadable_images(tmp_path: Path) -> None:
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(ImageError, match=r"junk.png: cannot read image"):
        open_image(tmp_path / "junk.png")
    Image.fromarray(noise(64, 64)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut.png: cannot read image"):
        open_image(tmp_path / "cut.png")
    with pytest.raises(ImageError, match="no such file"):
        open_image(tmp_path / "missing.png")


def test_api_pil_modes(preset_dir: Path) -> None:
    preset = load_preset(preset_dir)
    for mode in ("L", "RGB", "RGBA", "LA"):
        src = Image.new(mode, (33, 21), 128 if len(mode) == 1 else (128,) * len(mode))
        res = preset.apply(src)
        assert isinstance(res, Image.Image) and res.mode == mode and res.size == (33, 21)
    assert preset.apply(Image.new("P", (10, 10))).mode == "RGB"


def test_mode_i_into_png_keeps_16_bits(preset_dir: Path, tmp_path: Path) -> None:
    # TIFF data under a .png name: the output is a real PNG, which has no 32-bit gray,
    # so the engine writes 16-bit gray rather than dropping to 8 bits.
    src = Image.fromarray(noise(20, 20, None, np.int32, 65536))
    src.save(tmp_path / "odd.png", format="TIFF")
    out = apply(preset_dir, tmp_path / "odd.png", tmp_path / "out", "--strength", "0")
    with Image.open(out) as res:
        assert res.format == "PNG" and res.mode == "I;16"
        np.testing.assert_array_equal(np.asarray(res).astype(np.int32), np.asarray(src))
