"""Image decoding and encoding for the apply path: modes, bit depth, EXIF, metadata.

Every input is brought to one working form, :class:`Picture`: RGB pixels (``uint8``
for 8-bit sources, ``float32`` in ``[0, 1]`` for deeper ones, so 16-bit precision
survives the edit), an optional alpha plane kept untouched, and what is needed to
write the result back the way the input was stored (mode, format, ICC profile, EXIF,
PNG text).

Mode handling (input -> working -> output):

* ``1``, ``L`` -> gray replicated to RGB -> ``L`` (luma of the edited RGB);
* ``LA``/``La`` -> same, alpha kept -> ``LA``;
* ``I;16*`` (16-bit gray) -> float -> ``I;16``; ``I`` (32-bit int, as 16-bit range) -> ``I``;
* ``RGB``/``RGBX`` -> ``RGB``; ``RGBA``/``RGBa`` -> ``RGBA`` with alpha kept;
* ``P``/``PA`` (palette) -> ``RGBA`` if it has transparency, else ``RGB``
  (re-quantising to a palette would throw the edit away);
* ``CMYK`` -> ``RGB``; a CMYK ICC profile is dropped because it no longer applies;
* anything else Pillow can convert -> ``RGB``.

Only the first frame of multi-frame files (animated GIF, multi-page TIFF) is used.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin

from latentroom.engine import limits
from latentroom.engine.atomic import atomic_write
from latentroom.engine.errors import ImageError
from latentroom.engine.regular_files import NotRegularFile, TooLarge, open_regular, read_regular

ORIENTATION_TAG = 0x0112
JPEG_QUALITY = 95
WEBP_QUALITY = 95

_GRAY_OUT = {"L", "LA", "I;16", "I"}
_SIXTEEN = {"I;16", "I;16B", "I;16L", "I;16N"}


@dataclass
class Picture:
    """An image in the engine's working form (see the module docstring)."""

    rgb: np.ndarray
    """``[H, W, 3]``, ``uint8`` or ``float32`` in ``[0, 1]``."""
    alpha: np.ndarray | None
    """``[H, W]`` ``uint8`` alpha of the source, or ``None``."""
    out_mode: str
    """The Pillow mode the result is written in."""
    format: str | None = None
    """The source's Pillow format (``PNG``, ``JPEG``, ...); ``None`` for in-memory images."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """ICC profile, EXIF (orientation reset), PNG text, ... to carry to the output."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``, Pillow's order."""
        return self.rgb.shape[1], self.rgb.shape[0]


def to_unit_float(rgb: np.ndarray) -> np.ndarray:
    """``uint8``/``uint16`` or float pixels to ``float32`` in ``[0, 1]``."""
    if rgb.dtype == np.uint8:
        return rgb.astype(np.float32) * np.float32(1 / 255)
    if rgb.dtype == np.uint16:
        return rgb.astype(np.float32) * np.float32(1 / 65535)
    return rgb.astype(np.float32, copy=False)


def _icc_space(icc: bytes) -> bytes:
    # The ICC header's data colour space field sits at bytes 16..20 ('RGB ', 'GRAY', 'CMYK').
    return icc[16:20] if len(icc) >= 20 else b""


def from_pil(img: Image.Image) -> Picture:
    """Convert a Pillow image (already oriented) to a :class:`Picture`.

    Metadata is not collected here; :func:`open_image` adds it for files. Pixels are
    converted strip by strip into the working arrays: ``np.asarray`` of a whole image
    would first copy it into one ``bytes`` object (twice its size while being joined).
    """
    mode = img.mode
    w, h = img.size
    if mode in ("1", "L"):
        gray = np.empty((h, w, 3), np.uint8)
        for a, strip in _strips(img, "L"):
            gray[a : a + len(strip)] = strip[..., None]
        return Picture(gray, None, "L")
    if mode in ("LA", "La"):
        rgb, alpha = np.empty((h, w, 3), np.uint8), np.empty((h, w), np.uint8)
        for a, strip in _strips(img, "LA"):
            rgb[a : a + len(strip)] = strip[..., :1]
            alpha[a : a + len(strip)] = strip[..., 1]
        return Picture(rgb, alpha, "LA")
    if mode in _SIXTEEN or mode == "I":
        deep = np.empty((h, w, 3), np.float32)
        for a, strip in _strips(img, None):
            deep[a : a + len(strip)] = (np.clip(strip.astype(np.float32), 0, 65535) * np.float32(1 / 65535))[..., None]
        return Picture(deep, None, "I" if mode == "I" else "I;16")
    has_alpha = mode in ("RGBA", "RGBa") or (mode in ("P", "PA") and (mode == "PA" or "transparency" in img.info))
    rgb = np.empty((h, w, 3), np.uint8)
    alpha = np.empty((h, w), np.uint8) if has_alpha else None
    for a, strip in _strips(img, "RGBA" if has_alpha else "RGB"):
        rgb[a : a + len(strip)] = strip[..., :3]
        if alpha is not None:
            alpha[a : a + len(strip)] = strip[..., 3]
    return Picture(rgb, alpha, "RGBA" if has_alpha else "RGB")


def _strips(img: Image.Image, mode: str | None) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, pixels)`` of ``img`` converted to ``mode`` (``None``: as it is), one
    strip of rows at a time. Every conversion used here maps pixel to pixel, so strips
    give exactly the whole image's values."""
    step = strip_height(img.width)
    for a in range(0, img.height, step):
        strip = img.crop((0, a, img.width, min(a + step, img.height)))
        yield a, np.asarray(strip if mode is None or strip.mode == mode else strip.convert(mode))


def _collect_metadata(img: Image.Image, picture: Picture) -> None:
    """Record what the output should carry over from the source file."""
    meta: dict[str, Any] = {}
    icc = img.info.get("icc_profile")
    if icc:
        want = b"GRAY" if picture.out_mode in _GRAY_OUT else b"RGB "
        # A CMYK profile describes CMYK numbers we no longer write; keep only a match.
        if _icc_space(icc) == want:
            meta["icc_profile"] = icc
    exif = img.getexif()
    if len(exif):
        if ORIENTATION_TAG in exif:
            # The pixels are written upright, so the tag must say "upright" too, or
            # viewers would rotate the image a second time.
            exif[ORIENTATION_TAG] = 1
        meta["exif"] = exif.tobytes()
    text = getattr(img, "text", None) if img.format == "PNG" else None
    if text:
        meta["text"] = dict(text)
    if "dpi" in img.info:
        meta["dpi"] = img.info["dpi"]
    if img.format in ("JPEG", "MPO"):
        try:
            from PIL import JpegImagePlugin

            meta["jpeg_subsampling"] = JpegImagePlugin.get_sampling(img)
        except Exception:
            pass
    if img.format == "WEBP" and img.info.get("lossless"):
        meta["webp_lossless"] = True
    compression = img.info.get("compression")
    if img.format == "TIFF" and compression in ("tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"):
        meta["tiff_compression"] = compression
    fmt = "JPEG" if img.format == "MPO" else img.format
    picture.format = fmt if fmt in Image.SAVE else "PNG"
    picture.metadata = meta


def save_params(picture: Picture, fmt: str) -> dict[str, Any]:
    """Encoder arguments for writing ``picture``'s result as ``fmt``, metadata included."""
    meta = picture.metadata
    params: dict[str, Any] = {}
    if "icc_profile" in meta and fmt in ("PNG", "JPEG", "WEBP", "TIFF"):
        params["icc_profile"] = meta["icc_profile"]
    if "exif" in meta and fmt in ("PNG", "JPEG", "WEBP", "TIFF"):
        params["exif"] = meta["exif"]
    if "dpi" in meta and fmt in ("PNG", "JPEG", "TIFF"):
        params["dpi"] = meta["dpi"]
    if fmt == "PNG" and meta.get("text"):
        info = PngImagePlugin.PngInfo()
        for key, value in meta["text"].items():
            info.add_text(key, str(value))
        params["pnginfo"] = info
    elif fmt == "JPEG":
        params["quality"] = JPEG_QUALITY
        if meta.get("jpeg_subsampling") in (0, 1, 2):
            params["subsampling"] = meta["jpeg_subsampling"]
    elif fmt == "WEBP":
        params["quality"] = WEBP_QUALITY
        if meta.get("webp_lossless"):
            params["lossless"] = True
    elif fmt == "TIFF" and "tiff_compression" in meta:
        params["compression"] = meta["tiff_compression"]
    return params


def decoded_bytes(img: Image.Image) -> int:
    """Width x height x channels x bytes per channel of an opened (not yet decoded) image."""
    depth = 2 if img.mode in _SIXTEEN else 4 if img.mode in ("I", "F") else 1
    return img.width * img.height * len(img.getbands()) * depth


def peek_decoded_bytes(path: str | os.PathLike[str]) -> int:
    """:func:`decoded_bytes` from the file's header alone; 0 if it cannot be read."""
    try:
        with open_regular(path) as f, Image.open(f) as img:
            return decoded_bytes(img)
    except Exception:  # unreadable, not an image, a FIFO ...: open_image reports it
        return 0


def check_budget(img: Image.Image, path: Path) -> int:
    """``decoded_bytes(img)``, or :class:`ImageError` past :data:`latentroom.engine.limits.MAX_IMAGE_BYTES`.

    Pillow's own bomb check counts pixels only; a 16-bit RGBA image of the same pixel
    count takes eight times the memory, so the budget is in bytes.
    """
    size = decoded_bytes(img)
    if size > limits.MAX_IMAGE_BYTES:
        raise ImageError(
            f"{path}: refused to decode: {img.width}x{img.height} {img.mode} takes {size} bytes decoded; "
            f"the limit is {limits.MAX_IMAGE_BYTES}"
        )
    return size


def _upright(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF orientation says; ``img`` itself when it is upright
    (``ImageOps.exif_transpose`` would return a full copy)."""
    if img.getexif().get(ORIENTATION_TAG, 1) in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(img) or img
    return img


def open_image(path: str | os.PathLike[str], data: bytes | None = None) -> Picture:
    """Decode an image file: orientation applied, working form, metadata kept.

    ``data`` is the file's content when it was already read (Ray Data hands files to
    workers as bytes); ``path`` then only names it in errors. Only regular files are
    opened (a FIFO named ``x.png`` would block forever), and the decoded size is
    checked against the memory budget before decoding. Raises :class:`ImageError`
    naming the file for anything unreadable or refused.
    """
    path = Path(path)
    try:
        with open_regular(path) if data is None else io.BytesIO(data) as f, Image.open(f) as img:
            check_budget(img, path)
            img.load()  # decode now: truncated or corrupt data fails here, not later
            oriented = _upright(img)
            picture = from_pil(oriented)
            _collect_metadata(img, picture)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except NotRegularFile as e:
        raise ImageError(f"{path}: cannot read image: {e}") from None
    except ImageError:
        raise
    except Image.DecompressionBombError as e:
        raise ImageError(f"{path}: refused to decode: {e}") from None
    except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, struct.error ...
        reason = str(e) or type(e).__name__
        raise ImageError(f"{path}: cannot read image: {reason}") from None
    return picture


def read_image_file(path: str | os.PathLike[str]) -> bytes:
    """All bytes of an input image file, for engines that ship files as bytes (Ray).

    The same rules as :func:`open_image`: only a regular file is read (a FIFO named
    ``x.png`` would block for ever), and no more than
    :data:`latentroom.engine.limits.MAX_IMAGE_BYTES` of it (a file larger than the decoded
    budget cannot be an image within it worth reading whole). Raises
    :class:`ImageError` naming the file.
    """
    path = Path(path)
    try:
        return read_regular(path, limits.MAX_IMAGE_BYTES)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except TooLarge:
        raise ImageError(f"{path}: refused to read: the file is larger than {limits.MAX_IMAGE_BYTES} bytes") from None
    except OSError as e:  # NotRegularFile, PermissionError, ...
        raise ImageError(f"{path}: cannot read image: {e.strerror or e}") from None


def resize_rgb(rgb: np.ndarray, size: int) -> np.ndarray:
    """Resize working pixels to ``size x size``; returns ``float32`` in ``[0, 1]``.

    8-bit images are resized as one RGB image (fast); deeper ones per channel in
    float mode so no precision is lost. Pillow's resize filters antialias when
    shrinking, which matters for the model seeing a clean downscale.
    """
    h, w = rgb.shape[:2]
    if (h, w) == (size, size):
        return to_unit_float(rgb)
    if rgb.dtype == np.uint8:
        small = Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS)
        return np.asarray(small).astype(np.float32) * np.float32(1 / 255)
    return resize_float(to_unit_float(rgb), size, size)


def load_square_image(path: str | os.PathLike[str], size: int) -> np.ndarray:
    """Decode, centre-crop to a square (the generators make square images; a crop
    keeps proportions where a squash would distort faces) and resize: float32
    ``[3, size, size]`` in ``[-1, 1]``, what inverters and authoring evaluation take."""
    rgb = open_image(path).rgb
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    rgb = np.ascontiguousarray(rgb[top : top + side, left : left + side])
    unit = resize_rgb(rgb, size)  # float32 [size, size, 3] in [0, 1]
    return (unit.transpose(2, 0, 1) * 2.0 - 1.0).astype(np.float32)


def resize_float(
    x: np.ndarray, width: int, height: int, box: tuple[float, float, float, float] | None = None
) -> np.ndarray:
    """Resize ``[H, W, C]`` float32 (its ``box``, default all) to ``[height, width, C]``,
    bicubic, per channel."""
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(x[..., c], dtype=np.float32)).resize(
                (width, height), Image.Resampling.BICUBIC, box=box
            )
        )
        for c in range(x.shape[2])
    ]
    return np.stack(channels, axis=2)


Rows = Callable[[int, int], np.ndarray]
"""Rows ``y0:y1`` of a full-resolution result: ``[y1 - y0, W, 3]``, ``[0, 1]`` float32 or
``uint8``. Results are built strip by strip through these, so no full-frame float copy
of a photo is ever held (see :data:`STRIP_PIXELS`)."""

STRIP_PIXELS = 1 << 16
"""Pixels per strip when a full-resolution result is computed: the float working copies
of one strip (a few float64 ones in :class:`BicubicUpsampler`) take about 6 MB each, while
the same copies of a whole 12 MP photo took 144 MB each."""


def strip_height(width: int) -> int:
    """Rows per strip for an image ``width`` pixels wide (at least one)."""
    return max(1, STRIP_PIXELS // max(width, 1))


def _bicubic(x: np.ndarray) -> np.ndarray:
    # Pillow's bicubic kernel (a = -0.5), term for term, so the weights match its own.
    x = np.abs(x)
    near = ((-0.5 + 2.0) * x - (-0.5 + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * -0.5
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _vertical_weights(in_size: int, in0: float, in1: float, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """First source row and normalised weights ``[out_size, taps]`` of each output row:
    Pillow's ``precompute_coeffs`` for an upscale (box ends as C floats, sums in order)."""
    lo, hi = np.float32(in0), np.float32(in1)
    scale = float(hi - lo) / out_size
    taps = 5  # Pillow's ksize: ceil(support) * 2 + 1, support 2 (bicubic) at scale <= 1
    center = float(lo) + (np.arange(out_size, dtype=np.float64) + 0.5) * scale
    first = np.maximum((center - 2.0 + 0.5).astype(np.int64), 0)  # C's (int) truncates
    count = np.minimum((center + 2.0 + 0.5).astype(np.int64), in_size) - first
    index = np.arange(taps)
    weights = _bicubic(((index + first[:, None]) - center[:, None]) + 0.5)
    weights = np.where(index < count[:, None], weights, 0.0)
    total = np.zeros(out_size)
    for t in range(taps):  # Pillow's order of summation
        total = total + weights[:, t]
    safe = np.where(total == 0.0, 1.0, total)
    return first, np.where(total[:, None] != 0.0, weights / safe[:, None], weights)


class BicubicUpsampler:
    """Pillow's bicubic ``resize`` of float planes ``[h, w, C]`` to ``[height, width, C]``
    (optionally from a source ``box``), computed row strip by row strip.

    Pillow resizes in two passes, horizontal first when the height does not shrink: the
    horizontal pass (one source row at a time) runs on the small source at once, and the
    vertical pass is done here per strip with Pillow's own weights and float64 sums in
    its order, so every strip is bit for bit the same rows of Pillow's full result
    (tests/test_imaging.py checks this) without the full result ever existing. A height
    that shrinks means a result no taller than the source; it is resized whole.
    """

    def __init__(
        self, planes: np.ndarray, width: int, height: int, box: tuple[float, float, float, float] | None = None
    ) -> None:
        in_h, in_w = planes.shape[:2]
        x0, y0, x1, y1 = box if box is not None else (0.0, 0.0, float(in_w), float(in_h))
        self.height = height
        self.whole: np.ndarray | None = None
        if height < in_h:
            self.whole = resize_float(planes, width, height, (x0, y0, x1, y1))
            return
        self.across = resize_float(planes, width, in_h, (x0, 0.0, x1, float(in_h)))
        self.vertical = (height, y0, y1) != (in_h, 0.0, float(in_h))
        if self.vertical:
            self.first, self.weights = _vertical_weights(in_h, y0, y1, height)

    def rows(self, a: int, b: int) -> np.ndarray:
        """Rows ``a:b`` of the resized planes, ``float32``."""
        if self.whole is not None:
            return self.whole[a:b]
        if not self.vertical:
            return self.across[a:b]
        last = self.across.shape[0] - 1
        total = np.zeros((b - a,) + self.across.shape[1:], np.float64)
        term = np.empty_like(total)
        for t in range(self.weights.shape[1]):
            source = self.across[np.minimum(self.first[a:b] + t, last)]
            np.multiply(source, self.weights[a:b, t, None, None], out=term)
            total += term
        return total.astype(np.float32)


def carry_back(rgb: np.ndarray, model_in: np.ndarray, model_out: np.ndarray) -> Rows:
    """Apply a model-resolution edit to the full-resolution original, strip by strip.

    The edit is the residual ``model_out - model_in`` (``[R, R, 3]``, both in
    ``[0, 1]`` units); upsampled to the original's size and added to it, it keeps the
    original's resolution and fine detail, which running the model at full size or
    upscaling its output would not. The returned :data:`Rows` give ``float32``
    ``[0, 1]`` pixels.
    """
    h, w = rgb.shape[:2]
    if model_in.shape[:2] == (h, w):
        # Same size: original + (out - in) == out, up to rounding.
        same = np.clip(model_out, 0.0, 1.0)
        return lambda a, b: same[a:b]
    residual = BicubicUpsampler(model_out - model_in, w, h)

    def rows(a: int, b: int) -> np.ndarray:
        out = to_unit_float(rgb[a:b]) + residual.rows(a, b)
        return np.clip(out, 0.0, 1.0, out=out)

    return rows


def gather(rows: Rows, height: int, width: int) -> np.ndarray:
    """All rows of a result in one array (for callers that want pixels, not a file)."""
    step = strip_height(width)
    first = rows(0, min(step, height))
    out = np.empty((height,) + first.shape[1:], first.dtype)
    out[: len(first)] = first
    for a in range(step, height, step):
        out[a : a + step] = rows(a, min(a + step, height))
    return out


def _quantize(x: np.ndarray, maximum: int, dtype: Any) -> np.ndarray:
    return np.rint(np.clip(x, 0.0, 1.0) * maximum).astype(dtype)


def _luma(rgb01: np.ndarray) -> np.ndarray:
    # ITU-R 601-2 weights, the same Pillow uses for RGB -> L.
    return rgb01 @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_pil(picture: Picture, rgb01: np.ndarray | Rows) -> Image.Image:
    """Build the output image in ``picture.out_mode`` from edited ``[0, 1]`` RGB (or
    ``uint8`` RGB, taken as it is): an array, or :data:`Rows` computed strip by strip
    as the image is filled, so only one strip's float copies exist at a time."""
    rows: Rows = rgb01 if callable(rgb01) else (lambda a, b: rgb01[a:b])
    width, height = picture.size
    out: Image.Image | None = None
    step = strip_height(width)
    for a in range(0, height, step):
        b = min(a + step, height)
        alpha = picture.alpha[a:b] if picture.alpha is not None else None
        strip = _output_strip(picture.out_mode, rows(a, b), alpha)
        if out is None:
            out = Image.new(strip.mode, (width, height))
        out.paste(strip, (0, a))
    assert out is not None  # decoded images have at least one row
    return out


def _output_strip(mode: str, rgb01: np.ndarray, alpha: np.ndarray | None) -> Image.Image:
    """One strip of :func:`to_pil`'s output (``alpha``: the same rows of the source's)."""
    if rgb01.dtype == np.uint8:
        if mode in ("RGB", "RGBA"):  # 8-bit pixels left as decoded (face edits) stay exact
            if mode == "RGBA":
                return Image.fromarray(np.concatenate([rgb01, alpha[..., None]], axis=2), "RGBA")
            return Image.fromarray(np.ascontiguousarray(rgb01))
        rgb01 = to_unit_float(rgb01)
    if mode in ("L", "LA"):
        gray = _quantize(_luma(rgb01), 255, np.uint8)
        if mode == "L":
            return Image.fromarray(gray)
        return Image.fromarray(np.stack([gray, alpha], axis=2), "LA")
    if mode == "I;16":
        return Image.fromarray(_quantize(_luma(rgb01), 65535, np.uint16))
    if mode == "I":
        return Image.fromarray(_quantize(_luma(rgb01), 65535, np.int32))
    rgb = _quantize(rgb01, 255, np.uint8)
    if mode == "RGBA":
        return Image.fromarray(np.concatenate([rgb, alpha[..., None]], axis=2), "RGBA")
    return Image.fromarray(rgb)


def side_by_side(before: Image.Image, after: Image.Image) -> Image.Image:
    """Before | after in one image (for ``apply --compare``)."""
    canvas = Image.new(after.mode, (before.width + after.width, max(before.height, after.height)))
    canvas.paste(before.convert(after.mode) if before.mode != after.mode else before, (0, 0))
    canvas.paste(after, (before.width, 0))
    return canvas


def _eight_bit(img: Image.Image) -> Image.Image:
    """A fallback for formats that cannot store 16-bit gray or gray+alpha."""
    if img.mode in ("I;16", "I"):
        arr = np.asarray(img).astype(np.float32) * np.float32(255 / 65535)
        return Image.fromarray(np.rint(np.clip(arr, 0, 255)).astype(np.uint8))
    if img.mode == "LA":
        return img.convert("RGBA")
    return img


def _save_to(img: Image.Image, f: Any, fmt: str, params: dict[str, Any]) -> None:
    """Save, stepping down to what the format can hold when it refuses the mode."""
    attempts = [img]
    if img.mode == "I":
        # e.g. PNG: no 32-bit gray, but 16-bit keeps every value of a 16-bit source.
        attempts.append(Image.fromarray(np.asarray(img).clip(0, 65535).astype(np.uint16)))
    lower = _eight_bit(img)
    if lower is not img:
        attempts.append(lower)
    if lower.mode in ("RGBA", "LA"):
        attempts.append(lower.convert("RGB" if lower.mode == "RGBA" else "L"))
    for i, candidate in enumerate(attempts):
        try:
            f.seek(0)
            f.truncate()
            candidate.save(f, format=fmt, **params)
            return
        except (OSError, KeyError, ValueError):
            if i == len(attempts) - 1:
                raise


def save_image(
    img: Image.Image,
    path: str | os.PathLike[str],
    fmt: str,
    params: dict[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> None:
    """Write ``img`` to ``path`` atomically: a temp file beside it, then a rename.

    Without ``overwrite`` an existing ``path`` is never replaced, even if it appeared
    after the caller checked (the final step is a hard link, which fails on an
    existing name, where the filesystem supports it). A failed write leaves no file.
    """
    _write_image_file(path, lambda f: _save_to(img, f, fmt, params or {}), overwrite)


def encode_image(img: Image.Image, fmt: str, params: dict[str, Any] | None = None) -> bytes:
    """The bytes :func:`save_image` would write for ``img``, kept in memory."""
    buffer = io.BytesIO()
    _save_to(img, buffer, fmt, params or {})
    return buffer.getvalue()


def write_encoded(data: bytes, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Write bytes from :func:`encode_image` under :func:`save_image`'s rules."""
    _write_image_file(path, lambda f: f.write(data), overwrite)


def _write_image_file(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any], overwrite: bool) -> None:
    path = Path(path)
    try:
        atomic_write(path, write, overwrite=overwrite)
    except FileExistsError as e:
        if e.filename != str(path):  # e.g. a parent "directory" that is a file
            raise ImageError(f"{path}: cannot write image: {e}") from None
        raise ImageError(f"{path}: output exists (use --overwrite or --skip-existing)") from None
    except ImageError:
        raise
    except OSError as e:
        # Named by the real output path: the OSError's own file name is the temp file.
        raise ImageError(f"{path}: cannot write image: {e.strerror or e}") from None
    except Exception as e:
        raise ImageError(f"{path}: cannot write image: {e}") from None
