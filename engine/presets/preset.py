"""The loaded, verified, ready-to-run :class:`Preset`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, overload

import numpy as np
from PIL import Image

from latentroom.engine.alignment import Template
from latentroom.engine.errors import PresetError
from latentroom.engine.imaging import Picture, from_pil, to_pil
from latentroom.engine.presets.bundle import Bundle, read_bundle
from latentroom.engine.presets.library import LibraryEntry, resolve
from latentroom.engine.presets.manifest import image_input_name
from latentroom.engine.runtime import create_session

if TYPE_CHECKING:
    from latentroom.engine.faces import Planner

DEFAULT_BATCH_SIZE = 16


class Preset:
    """A verified preset bundle with an ONNX Runtime session.

    Attributes:
        manifest: the parsed, validated ``preset.json``.
        name: the manifest's ``name``.
        path: the bundle directory or packed file it was loaded from.
        source: ``env``/``user``/``plugin``/``bundled`` for library presets, ``path``
            when loaded from an explicit path.
        bundle: the verified bundle it was built from (shipped to Ray workers as is).
        provider: the ONNX Runtime execution provider actually in use, e.g.
            ``CPUExecutionProvider``.
        resolution: the model's square input size.
        max_batch: the largest batch the model accepts (``None``: any).
        template: the face alignment template, or ``None`` (whole-frame preset).
    """

    def __init__(
        self, bundle: Bundle, provider: str = "auto", entry: LibraryEntry | None = None, threads: int | None = None
    ) -> None:
        self.bundle = bundle
        self.manifest: dict[str, Any] = bundle.manifest
        self.name: str = bundle.manifest["name"]
        self.path: Path = bundle.path
        self.source: str = entry.source if entry is not None else "path"
        self.preview_bytes = bundle.preview_bytes
        io = self.manifest["io"]
        self.resolution: int = io["resolution"]
        self.template: Template | None = Template.from_manifest(self.manifest)
        self._low, self._high = (float(v) for v in io["value_range"])
        self._bgr = io["channel_order"] == "BGR"
        self._nchw = io["layout"] == "NCHW"
        self._strength = self.manifest["strength"]
        self._image_input = image_input_name(self.manifest)
        self._output = self.manifest["model"]["outputs"][0]
        self._session, self.provider = create_session(
            bundle.model_bytes, provider, where=str(self.path), threads=threads
        )
        self.max_batch: int | None = None
        self._strength_rank = 1
        self._check_model_io()

    def __repr__(self) -> str:
        return f"Preset(name={self.name!r}, path='{self.path}', provider={self.provider!r})"

    # -- loading checks ---------------------------------------------------------------

    def _check_model_io(self) -> None:
        """Make sure the ONNX graph matches what the manifest promises.

        Catching a mismatch here gives one clear message at load time instead of an
        ORT shape error on the first image.
        """
        where = str(self.path)
        inputs = {i.name: i for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        declared = self.manifest["model"]["inputs"]
        if set(inputs) != set(declared):
            raise PresetError(
                f"{where}: model inputs {sorted(inputs)} do not match preset.json model.inputs {sorted(declared)}"
            )
        missing = [o for o in self.manifest["model"]["outputs"] if o not in outputs]
        if missing:
            raise PresetError(f"{where}: model has no output(s) {missing}; it has {outputs}")
        image = inputs[self._image_input]
        if image.type != "tensor(float)":
            raise PresetError(f"{where}: image input {image.name!r} is {image.type}; expected tensor(float)")
        shape = list(image.shape)
        r = self.resolution
        expected = ["N", 3, r, r] if self._nchw else ["N", r, r, 3]
        if len(shape) != 4 or any(
            isinstance(got, int) and got != want for got, want in zip(shape[1:], expected[1:])
        ):
            layout = self.manifest["io"]["layout"]
            raise PresetError(
                f"{where}: image input {image.name!r} has shape {shape}; preset.json "
                f"(io.layout {layout}, io.resolution {r}) implies {expected}"
            )
        if isinstance(shape[0], int) and shape[0] > 0:
            self.max_batch = shape[0]
        if self._strength is not None:
            s = inputs[self._strength["input"]]
            if s.type != "tensor(float)":
                raise PresetError(f"{where}: strength input {s.name!r} is {s.type}; expected tensor(float)")
            self._strength_rank = len(s.shape)
            if self._strength_rank > 2:
                raise PresetError(f"{where}: strength input {s.name!r} has shape {s.shape}; expected [N] or []")

    # -- strength ---------------------------------------------------------------------

    @property
    def has_strength(self) -> bool:
        return self._strength is not None

    def resolve_strength(self, strength: float | None) -> float | None:
        """The strength to use: the manifest default for ``None``; checked against the range."""
        if self._strength is None:
            if strength is not None:
                raise PresetError(f"preset {self.name!r} has no strength control; do not pass a strength")
            return None
        if strength is None:
            return float(self._strength["default"])
        lo, hi = self._strength["min"], self._strength["max"]
        if not lo <= strength <= hi:
            raise PresetError(f"strength {strength:g} is outside the range [{lo:g}, {hi:g}] of preset {self.name!r}")
        return float(strength)

    # -- model-level ------------------------------------------------------------------

    def run(self, batch01: np.ndarray, strength: float | None, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Run ``[N, R, R, 3]`` float ``[0, 1]`` RGB through the model; same shape back.

        ``strength`` must already be resolved (:meth:`resolve_strength`). Converts to
        the model's value range, channel order and layout, and splits into chunks of
        ``batch_size`` (capped by a fixed batch dimension in the model). A ``uint8``
        batch (``0..255``) is accepted too and then ``uint8`` is returned.
        """
        step = max(1, min(batch_size, self.max_batch or batch_size))
        if len(batch01) > step:
            return np.concatenate(
                [self.run(batch01[i : i + step], strength, step) for i in range(0, len(batch01), step)]
            )
        as_uint8 = batch01.dtype == np.uint8
        top = 255.0 if as_uint8 else 1.0
        span = self._high - self._low
        src = batch01[..., ::-1] if self._bgr else batch01
        if self._nchw:
            src = src.transpose(0, 3, 1, 2)
        # Scale, shift and re-layout in two in-place passes: at batch 16 these
        # conversions are what the engine adds over a bare session, so they are kept lean.
        x = np.empty(src.shape, np.float32)
        np.multiply(src, np.float32(span / top), out=x, casting="unsafe")
        x += np.float32(self._low)
        feed = {self._image_input: x}
        if self._strength is not None:
            s = np.float32(strength)
            n = len(batch01)
            feed[self._strength["input"]] = (
                np.full((n,), s, np.float32) if self._strength_rank == 1
                else np.full((n, 1), s, np.float32) if self._strength_rank == 2
                else np.array(s, np.float32)
            )
        y = self._checked_output(self._session.run([self._output], feed)[0], x.shape)
        if self._nchw:
            y = y.transpose(0, 2, 3, 1)
        if self._bgr:
            y = y[..., ::-1]
        out = np.empty(y.shape, np.float32)
        np.multiply(y, np.float32(top / span), out=out)
        if not as_uint8:
            out -= np.float32(self._low * top / span)
            return out
        # + 0.5 then truncation == rounding, for the non-negative values left by the clip.
        out += np.float32(0.5 - self._low * top / span)
        np.clip(out, 0.0, 255.0, out=out)
        return out.astype(np.uint8)

    def _checked_output(self, y: Any, expected: tuple[int, ...]) -> np.ndarray:
        """The model's output, refused unless it is finite float data of the input's shape.

        A model that outputs NaN would otherwise write black images, and a smaller
        output would give a smaller image or a raw numpy error further on.
        """
        if not isinstance(y, np.ndarray) or y.shape != expected or y.dtype != np.float32:
            shape = list(getattr(y, "shape", [])), getattr(y, "dtype", type(y).__name__)
            raise PresetError(
                f"preset {self.name!r}: model output {self._output!r} is {shape[1]} {shape[0]}; "
                f"expected float32 {list(expected)}"
            )
        if not np.isfinite(y).all():
            raise PresetError(f"preset {self.name!r}: model output {self._output!r} has NaN or infinite values")
        return y

    # -- image-level ------------------------------------------------------------------

    def planner(self, align: bool | None = None, aligner: Any = None, faces: str = "all",
                min_face: float | None = None) -> "Planner":
        """How pictures become model inputs and back: face by face when the preset has
        a template (and ``align`` is not ``False``), else the whole frame. Chooses and
        builds the aligner now, so a missing one fails before any image is read."""
        from latentroom.engine.faces import DEFAULT_MIN_FACE, Planner

        return Planner(
            self.resolution, self.template, self.name, align=align, aligner=aligner, faces=faces,
            min_face=DEFAULT_MIN_FACE if min_face is None else min_face,
        )

    def apply_pictures(
        self,
        pictures: Sequence[Picture],
        strength: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        planner: "Planner | None" = None,
    ) -> list[np.ndarray]:
        """Edit working-form pictures; returns full-resolution pixels for each: ``[0, 1]``
        float, or the picture's own ``uint8`` when only its faces were edited."""
        from latentroom.engine.faces import run_plans

        s = self.resolve_strength(strength)
        planner = planner or self.planner()
        plans = [planner.plan(p) for p in pictures]
        outputs = run_plans(plans, lambda inputs: self.run(inputs, s, batch_size))
        return [plan.finish(out) for plan, out in zip(plans, outputs)]

    @overload
    def apply(self, image: Image.Image, strength: float | None = None, **align: Any) -> Image.Image: ...
    @overload
    def apply(self, image: np.ndarray, strength: float | None = None, **align: Any) -> np.ndarray: ...
    @overload
    def apply(self, image: list[Image.Image], strength: float | None = None, **align: Any) -> list[Image.Image]: ...

    def apply(
        self,
        image: Any,
        strength: float | None = None,
        *,
        align: bool | None = None,
        aligner: Any = None,
        faces: str = "all",
        min_face: float | None = None,
    ) -> Any:
        """Apply the edit; returns the same kind of thing it was given.

        * a PIL image -> a PIL image of the same size and mode family (``L`` stays
          ``L``, ``RGBA`` keeps its alpha, 16-bit stays 16-bit, palette becomes RGB(A));
          EXIF orientation is not applied (pass ``ImageOps.exif_transpose(img)``);
        * a list of PIL images -> a list, run through the model in batches;
        * ``uint8`` ``[H, W, 3]`` -> ``uint8`` ``[H, W, 3]``;
        * ``uint8`` ``[N, H, W, 3]`` -> ``uint8`` ``[N, H, W, 3]``.

        ``strength=None`` uses the manifest default. A preset with an alignment
        template edits each face found by an aligner (``aligner``: a registered name or
        an :class:`latentroom.engine.aligners.Aligner`; default as in docs/faces.md) and leaves
        photos without a face unchanged; ``align=False`` edits the whole frame instead.
        ``faces`` (``all``, ``largest``, ``center``) and ``min_face`` (pixels) choose
        which faces.
        """
        planner = self.planner(align, aligner, faces, min_face)
        return self._apply(image, strength, planner)

    def _apply(self, image: Any, strength: float | None, planner: "Planner") -> Any:
        if isinstance(image, Image.Image):
            return self._apply([image], strength, planner)[0]
        if isinstance(image, (list, tuple)):
            if not all(isinstance(i, Image.Image) for i in image):
                raise TypeError("apply() takes a list of PIL images, not a mixed list")
            if not image:
                return []
            pictures = [from_pil(i) for i in image]
            results = self.apply_pictures(pictures, strength, planner=planner)
            return [to_pil(p, r) for p, r in zip(pictures, results)]
        if isinstance(image, np.ndarray):
            if image.dtype != np.uint8 or image.ndim not in (3, 4) or image.shape[-1] != 3:
                raise ValueError(
                    f"apply() takes uint8 arrays [H, W, 3] or [N, H, W, 3]; got {image.dtype} {list(image.shape)}"
                )
            if image.ndim == 3:
                return self._apply(image[None], strength, planner)[0]
            if len(image) == 0:
                return image.copy()
            r = self.resolution
            if image.shape[1:3] == (r, r) and not planner.aligned:
                # Model-resolution batch: no resizing or residual needed, one vectorised pass.
                return self.run(image, self.resolve_strength(strength))
            pictures = [Picture(frame, None, "RGB") for frame in image]
            results = self.apply_pictures(pictures, strength, planner=planner)
            return np.stack([res if res.dtype == np.uint8 else np.rint(res * 255).astype(np.uint8) for res in results])
        raise TypeError(f"apply() takes a PIL image, a list of them, or a uint8 numpy array; got {type(image).__name__}")


def load_preset(name_or_path: str | os.PathLike[str], provider: str = "auto") -> Preset:
    """Load a preset by library name, bundle directory or packed ``.lrpreset`` file.

    The bundle is fully verified (schema, model checksum, model inputs/outputs
    against the manifest) before the :class:`Preset` is returned.
    """
    path, entry = resolve(name_or_path)
    return Preset(read_bundle(path), provider=provider, entry=entry)
