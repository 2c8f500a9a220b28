"""Large photos are decoded, edited and encoded strip by strip: the same bytes as the
whole-frame computation, and a bounded peak memory (issue #16).

The references below are the whole-photo computations the engine did before it
worked in strips (Pillow's full-size resize, one float copy of the photo); every
strip-built result must equal them exactly, with strips made small and uneven.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from latentroom.engine import imaging
from latentroom.engine.alignment import Template
from latentroom.engine.faces import Planner, _shifted, _warp_float
from latentroom.engine.imaging import BicubicUpsampler, Picture, carry_back, from_pil, resize_float, to_pil
from latentroom.engine.presets import load_preset, read_bundle, write_bundle
from latentroom.plugins.toyfaces.alignment import alignment_section
from script_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(16)


@pytest.fixture
def small_strips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strips of about 7 rows of a 150-pixel-wide image: many, and a short last one."""
    monkeypatch.setattr(imaging, "STRIP_PIXELS", 1000)


def planes(h: int, w: int) -> np.ndarray:
    return (RNG.normal(size=(h, w, 3)) * 0.2).astype(np.float32)


# -- the strip-wise bicubic upsampler against Pillow ------------------------------------


@pytest.mark.parametrize("trial", range(12))
def test_upsampler_rows_are_pillows_resize_bit_for_bit(trial: int) -> None:
    rng = np.random.default_rng(trial)
    in_h, in_w = (int(v) for v in rng.integers(4, 90, 2))
    height = int(rng.integers(in_h, 700))  # the engine upsamples in height (or keeps it)
    width = int(rng.integers(8, 700))  # and may shrink or grow in width
    source = planes(in_h, in_w)
    box = None
    if trial % 3 == 1:  # a face's coarse grid: box ends that are not whole pixels
        box = (0.0, 0.0, float(rng.uniform(0.6, 1.0) * in_w), float(rng.uniform(0.6, 1.0) * in_h))
    if trial % 3 == 2:
        height = in_h  # no vertical pass: only the horizontal one, strip by strip
    whole = resize_float(source, width, height, box)
    upsampler = BicubicUpsampler(source, width, height, box)
    cuts = sorted({0, height, *(int(c) for c in rng.integers(0, height, 6))})
    for a, b in zip(cuts[:-1], cuts[1:]):
        np.testing.assert_array_equal(upsampler.rows(a, b).view(np.uint32), whole[a:b].view(np.uint32))


def test_upsampler_shrinking_height_is_pillows_resize() -> None:
    source = planes(60, 40)
    whole = resize_float(source, 90, 25)
    np.testing.assert_array_equal(BicubicUpsampler(source, 90, 25).rows(3, 20), whole[3:20])


# -- decoding ------------------------------------------------------------------------------


def whole_image_reference(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB working pixels and alpha converted from the whole image at once (before strips)."""
    if img.mode == "L":
        return np.repeat(np.asarray(img)[..., None], 3, axis=2), None
    if img.mode == "LA":
        la = np.asarray(img)
        return np.repeat(la[..., :1], 3, axis=2), la[..., 1]
    if img.mode == "I;16":
        gray = np.clip(np.asarray(img).astype(np.float32), 0, 65535) * np.float32(1 / 65535)
        return np.repeat(gray[..., None], 3, axis=2), None
    if img.mode in ("RGBA", "PA") or "transparency" in img.info:
        rgba = np.asarray(img.convert("RGBA"))
        return rgba[..., :3], rgba[..., 3]
    return np.asarray(img.convert("RGB")), None


def test_decoding_in_strips_gives_the_whole_image_conversion(small_strips: None) -> None:
    photo = Image.fromarray(skimage.data.astronaut()).resize((150, 97))
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.fromarray(RNG.integers(0, 256, (97, 150), dtype=np.uint8)))
    deep = Image.fromarray(np.asarray(photo.convert("L")).astype(np.uint16) * 257 + 3)
    transparent = photo.convert("P")
    transparent.info["transparency"] = 7
    for img in [photo, photo.convert("L"), rgba, rgba.convert("LA"), photo.convert("CMYK"), photo.convert("P"),
                transparent, deep]:
        picture = from_pil(img)
        rgb, alpha = whole_image_reference(img)
        np.testing.assert_array_equal(picture.rgb, rgb, err_msg=img.mode)
        np.testing.assert_array_equal(picture.alpha, alpha, err_msg=img.mode)


# -- whole-frame carry-back and encoding ------------------------------------------------


def whole_frame_reference(picture: Picture, model_in: np.ndarray, model_out: np.ndarray) -> np.ndarray:
    """The carry-back as one full-frame float computation (before strips)."""
    h, w = picture.rgb.shape[:2]
    out = imaging.to_unit_float(picture.rgb) + resize_float(model_out - model_in, w, h)
    return np.clip(out, 0.0, 1.0, out=out)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16"])
def test_carry_back_in_strips_writes_the_whole_frame_pixels(small_strips: None, mode: str) -> None:
    photo = Image.fromarray(skimage.data.astronaut()).resize((150, 97))
    if mode == "I;16":
        img = Image.fromarray(np.asarray(photo.convert("L")).astype(np.uint16) * 257)
    elif mode in ("RGBA", "LA"):
        img = photo.convert("RGBA")
        img.putalpha(Image.fromarray(RNG.integers(0, 256, (97, 150), dtype=np.uint8)))
        img = img.convert(mode)
    else:
        img = photo.convert(mode)
    picture = from_pil(img)
    model_in = imaging.resize_rgb(picture.rgb, 32)
    model_out = np.clip(model_in + planes(32, 32) * 0.3, 0, 1).astype(np.float32)
    strips = to_pil(picture, carry_back(picture.rgb, model_in, model_out))
    whole = to_pil(picture, whole_frame_reference(picture, model_in, model_out))
    assert strips.mode == whole.mode == img.mode
    assert strips.tobytes() == whole.tobytes()


# -- face by face --------------------------------------------------------------------------


def add_change_reference(result: np.ndarray, face, change: np.ndarray, template: Template) -> None:
    """One face's masked change added to the whole photo (before strips)."""
    x0, y0, x1, y1 = face.region
    width, height = x1 - x0, y1 - y0
    region_to_frame = _shifted(face.to_frame, x0, y0)
    step = max(1, int(1.0 / np.sqrt(abs(np.linalg.det(face.to_frame[:, :2])))))
    coarse_size = (math.ceil(width / step), math.ceil(height / step))
    coarse = _warp_float(change.astype(np.float32), coarse_size,
                         tuple(float(c) for c in _shifted(region_to_frame, 0, 0, step).reshape(-1)))
    xs = np.arange(width, dtype=np.float32) + np.float32(0.5)
    ys = np.arange(height, dtype=np.float32)[:, None] + np.float32(0.5)
    (a, b, c), (d, e, f) = region_to_frame.astype(np.float32)
    weight = template.mask_at(a * xs + (b * ys + c), d * xs + (e * ys + f))
    patch = result[y0:y1, x0:x1]
    for ch in range(3):
        plane = Image.fromarray(np.ascontiguousarray(coarse[..., ch]), "F")
        box = (0.0, 0.0, width / step, height / step)
        delta = np.asarray(plane.resize((width, height), Image.Resampling.BICUBIC, box=box)) * weight
        moved = patch[..., ch] + np.rint(delta * np.float32(255)).astype(np.int16)
        patch[..., ch] = np.clip(moved, 0, 255)


def test_faces_in_strips_write_the_whole_photo_pixels(small_strips: None, tmp_path: Path) -> None:
    bundle = read_bundle(ROOT / "presets" / "age")
    manifest = dict(bundle.manifest, alignment=alignment_section(bundle.manifest["io"]["resolution"]))
    preset = load_preset(write_bundle(tmp_path / "aligned", manifest, bundle.model_bytes), provider="cpu")
    planner: Planner = preset.planner()
    # Two heads whose regions overlap (the second adds onto the first's change), one
    # large enough that its region is reduced to a coarse grid first (step > 1).
    canvas = Image.fromarray(skimage.data.coffee()).resize((900, 600))
    head = Image.fromarray(skimage.data.astronaut()[0:260, 120:330])
    canvas.paste(head.resize((420, 520)), (40, 40))
    canvas.paste(head.resize((230, 285)).transpose(Image.Transpose.FLIP_LEFT_RIGHT), (400, 120))
    picture = from_pil(canvas)
    plan = planner.plan(picture)
    assert plan.faces == 2
    edited = preset.run(plan.inputs, preset.resolve_strength(None))
    reference = picture.rgb.copy()
    for i, face in enumerate(plan.aligned):
        add_change_reference(reference, face, edited[i] - plan.inputs[i], planner.template)
    assert not np.array_equal(reference, picture.rgb)
    assert to_pil(picture, plan.rows(edited)).tobytes() == Image.fromarray(reference).tobytes()
    np.testing.assert_array_equal(plan.finish(edited), reference)


# -- peak memory ----------------------------------------------------------------------------

PEAK_MULTIPLE = 4.0
"""The bound docs/preset-format.md states: peak memory of one apply at most this many
times the photo's decoded 8-bit RGB size."""


@pytest.fixture(scope="module")
def large_photo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 3000 x 2250 JPEG portrait with one face (benchmarks/faces.py's photo, smaller)
    and the face-aligned ``age`` preset."""
    folder = tmp_path_factory.mktemp("large")
    canvas = Image.fromarray(skimage.data.coffee()).resize((3000, 2250), Image.Resampling.BICUBIC)
    canvas.paste(Image.fromarray(skimage.data.astronaut()).resize((2250, 2250)), (375, 0))
    canvas.save(folder / "portrait.jpg", quality=92)
    bundle = read_bundle(ROOT / "presets" / "age")
    manifest = dict(bundle.manifest, alignment=alignment_section(bundle.manifest["io"]["resolution"]))
    return write_bundle(folder / "age-aligned", manifest, bundle.model_bytes), folder / "portrait.jpg"


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak RSS reset is Linux-only")
@pytest.mark.parametrize("case", ["aligned", "whole frame"])
def test_peak_memory_of_one_large_photo_is_bounded(large_photo: tuple[Path, Path], case: str) -> None:
    preset, photo = large_photo
    memory = load_script("memory", folder="benchmarks")
    growth = memory.measure(preset, photo, case, fixed_threshold=True)
    decoded = 3000 * 2250 * 3
    assert growth <= PEAK_MULTIPLE * decoded, f"{case}: peak grew by {growth / decoded:.2f} x the decoded photo"
