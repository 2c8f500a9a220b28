"""ONNX export of a trained student, the parity check, and the fp16 / int8 variants.

* Export uses the dynamo exporter (``torch.onnx.export(..., dynamo=True)``) at opset
  18: the legacy TorchScript exporter at opset 17 was seen to produce a silently
  wrong graph for a CNN on torch 2.13, so the exported graph is never trusted
  without :func:`check_parity` (ONNX Runtime against torch, max abs diff <= 1e-3 on
  several batch sizes and strengths; a bigger difference raises).
* Graph names follow the engine's manifest conventions (docs/preset-format.md and
  tests/preset_fixtures.py): inputs ``image`` ``[N, 3, R, R]`` and ``strength``
  ``[N]``, output ``edited``; the batch dimension is dynamic.
* Variants (:func:`fp16_variant`, :func:`int8_variant`) keep float32 inputs and
  outputs (the engine feeds float32). fp16 runs the whole network in half precision;
  int8 is ONNX Runtime static QDQ quantisation of the convolutions only, calibrated
  on generated images, so the residual add and clamp stay float32 and strength 0
  is still the exact identity. :func:`choose_variant` keeps a variant only where it
  is measurably faster on the CPU at equal quality.
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from latentroom.plugins.distill.errors import DistillError

OPSET = 18
INPUT_NAMES = ("image", "strength")
OUTPUT_NAME = "edited"
PARITY_TOLERANCE = 1e-3
# A variant is kept only if it is at least this much faster (median img/s at batch 16)...
MIN_SPEEDUP = 1.10
# ...and loses at most this much student-vs-teacher PSNR (dB) against the fp32 model.
MAX_PSNR_DROP = 0.3
# CPU timing turns: an idle gap (worker threads stop spinning), then calls for this long.
IDLE_GAP_S = 0.05
BLOCK_S = 0.1


class _Half(nn.Module):
    """fp32 in, fp16 residual network, fp32 out: the engine feeds and expects float32,
    and the head's output is combined with the float32 input, so strength 0 stays the
    exact identity (combining with a half-precision copy would round every pixel)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        s_n = self.model.normalised_strength(strength, image.dtype)
        head_out = self.model.residual(image.half(), s_n.half()).float()
        return self.model.combine(image, s_n, head_out)


def export_onnx(model: nn.Module, resolution: int, *, half: bool = False) -> bytes:
    """The model as self-contained ONNX bytes (opset 18, dynamic batch)."""
    import copy

    net: nn.Module = copy.deepcopy(model).float().cpu().eval()
    if half:
        net = _Half(net.half())
    example = (torch.zeros(2, 3, resolution, resolution), torch.ones(2))
    batch = torch.export.Dim("batch", min=1, max=4096)
    # The exporter logs a warning per missing torchvision operator; none are used here.
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    # The exporter prints progress to stdout: silenced.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            net, example, dynamo=True, opset_version=OPSET, input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME], dynamic_shapes={"image": {0: batch}, "strength": {0: batch}},
            external_data=False, verbose=False, report=False)
    if program is None:  # pragma: no cover - dynamo export always returns a program
        raise DistillError("torch.onnx.export returned no program")
    program.optimize()
    import onnx

    proto = program.model_proto
    # Shape inference stores intermediate shapes in the graph: the benchmark counts
    # conv MACs from them, and ORT loads a little faster.
    proto = onnx.shape_inference.infer_shapes(proto)
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def session(model_bytes: bytes) -> Any:
    """A CPU ONNX Runtime session (the engine's own loader, so checks see what users get)."""
    from latentroom.engine.runtime import create_session

    return create_session(model_bytes, "cpu", where="student")[0]


def run_onnx(sess: Any, images: np.ndarray, strengths: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """``edited`` for float32 ``images [N, 3, R, R]`` and ``strengths [N]``, in batches."""
    out = []
    for i in range(0, len(images), batch_size):
        feed = {"image": np.ascontiguousarray(images[i:i + batch_size], np.float32),
                "strength": np.ascontiguousarray(strengths[i:i + batch_size], np.float32)}
        out.append(sess.run([OUTPUT_NAME], feed)[0])
    return np.concatenate(out) if out else np.zeros_like(images)


def check_parity(model: nn.Module, model_bytes: bytes, images: torch.Tensor, strengths: Sequence[float],
                 tolerance: float = PARITY_TOLERANCE) -> float:
    """Max abs difference between ONNX Runtime and torch over ``images`` at every
    strength, run at batch 1 and at the full batch (the batch dimension must really be
    dynamic). Raises :class:`DistillError` above ``tolerance``; returns the difference."""
    net = model.float().cpu().eval()
    sess = session(model_bytes)
    x = images.float().cpu()
    worst = 0.0
    for s in strengths:
        sv = torch.full((x.shape[0],), float(s))
        with torch.no_grad():
            ref = net(x, sv).numpy()
        for bs in (1, x.shape[0]):
            got = run_onnx(sess, x.numpy(), sv.numpy(), bs)
            worst = max(worst, float(np.abs(got - ref).max()))
    if not np.isfinite(worst) or worst > tolerance:
        raise DistillError(f"ONNX export does not match torch: max abs diff {worst:.3g} > {tolerance:g} "
                           "(the exported graph is wrong; not writing a preset from it)")
    return worst


# ---------------------------------------------------------------------------- variants


def fp16_variant(model: nn.Module, resolution: int) -> bytes:
    return export_onnx(model, resolution, half=True)


class _Calibration:
    """``onnxruntime.quantization.CalibrationDataReader`` over generated inputs."""

    def __init__(self, images: np.ndarray, strengths: np.ndarray, batch_size: int = 8) -> None:
        self._batches: Iterator[dict[str, np.ndarray]] = iter(
            {"image": images[i:i + batch_size].astype(np.float32),
             "strength": strengths[i:i + batch_size].astype(np.float32)}
            for i in range(0, len(images), batch_size))

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def int8_variant(model_bytes: bytes, images: np.ndarray, strengths: np.ndarray) -> bytes:
    """Static QDQ int8 quantisation of the convolutions (per-channel weights),
    calibrated on ``images``/``strengths`` (teacher inputs: what the preset will see)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from onnxruntime.quantization.calibrate import CalibrationDataReader

    reader = type("Reader", (_Calibration, CalibrationDataReader), {})(images, strengths)
    with tempfile.TemporaryDirectory(prefix="latentroom-int8-") as tmp:
        src, pre, dst = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        src.write_bytes(model_bytes)
        with contextlib.redirect_stdout(io.StringIO()):
            quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
            quantize_static(str(pre), str(dst), reader, quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                            op_types_to_quantize=["Conv"], calibrate_method=CalibrationMethod.MinMax,
                            # Own Q/DQ pair per quantised consumer: the residual add then
                            # reads the unquantised input, keeping strength 0 exact.
                            extra_options={"DedicatedQDQPair": True})
        return _float_input_for_float_ops(dst.read_bytes(), INPUT_NAMES[0])


def _float_input_for_float_ops(model_bytes: bytes, input_name: str) -> bytes:
    """Rewire the float ops (the residual add) that the quantiser fed with the
    quantise-dequantise copy of graph input ``input_name`` back to the input itself.

    ``quantize_static`` gives a graph input one Q/DQ pair shared by all its consumers
    (``DedicatedQDQPair`` does not apply to graph inputs), so ``x + s * r`` would add
    the residual to an 8-bit copy of the image: strength 0 would no longer be the
    identity. Only the convolutions should see the quantised copy.
    """
    import onnx

    model = onnx.load_from_string(model_bytes)
    producers = {o: n for n in model.graph.node for o in n.output}
    copies = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear"
              and n.input[0] in producers and producers[n.input[0]].op_type == "QuantizeLinear"
              and producers[n.input[0]].input[0] == input_name}
    for node in model.graph.node:
        if node.op_type in ("Conv", "QuantizeLinear", "DequantizeLinear"):
            continue
        for i, name in enumerate(node.input):
            if name in copies:
                node.input[i] = input_name
    return model.SerializeToString()


def images_per_second(sessions: dict[str, Any], images: np.ndarray, batch: int, repeats: int = 7,
                      min_seconds: float = 0.0) -> dict[str, float]:
    """Median img/s of each session at ``batch``, taking turns (a, b, c, a, b, c, ...)
    after one warm-up call each, so load from other processes hits all alike.

    Each turn is a block of calls (at least one, then until ``BLOCK_S``) after an idle
    gap of ``IDLE_GAP_S``: ONNX Runtime's worker threads spin-wait after a call, and
    without the gap they take cores from the next session's call. On the 2-core
    development machine, calls back to back made the bundled smile's int8 variant look
    1.15-1.20x as fast as fp32 (three runs, fp32 at ~525 img/s); with the gap it is
    0.98-1.03x (fp32 at 870-980 img/s, as the engine's own benchmark finds)."""
    x = np.ascontiguousarray(np.resize(images, (batch, *images.shape[1:])), np.float32)
    feed = {"image": x, "strength": np.ones(batch, np.float32)}
    times: dict[str, list[float]] = {name: [] for name in sessions}
    for sess in sessions.values():
        sess.run([OUTPUT_NAME], feed)
    start = time.perf_counter()
    while min(len(t) for t in times.values()) < repeats or time.perf_counter() - start < min_seconds:
        for name, sess in sessions.items():
            time.sleep(IDLE_GAP_S)
            block = time.perf_counter()
            while True:
                t = time.perf_counter()
                sess.run([OUTPUT_NAME], feed)
                times[name].append(time.perf_counter() - t)
                if time.perf_counter() - block >= BLOCK_S:
                    break
    return {name: batch / statistics.median(t) for name, t in times.items()}


def psnr_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image PSNR (dB) for images in ``[-1, 1]`` (peak-to-peak 2)."""
    mse = np.square(np.clip(a, -1, 1).astype(np.float64) - np.clip(b, -1, 1)).reshape(len(a), -1).mean(1)
    return 10 * np.log10(4.0 / np.maximum(mse, 1e-10))


EDITED_LEVEL = 4 / 127.5
"""A pixel is edited where the teacher moves some channel by more than 4 levels of 255."""


def psnr_where_edited(inputs: np.ndarray, targets: np.ndarray, outputs: np.ndarray) -> float:
    """PSNR (dB, peak-to-peak 2) of ``outputs`` to ``targets`` over the pixels where the
    target differs from the input by more than :data:`EDITED_LEVEL`, pooled over all
    images; NaN where no pixel is edited. A whole-image PSNR is mostly the pixels an edit
    leaves alone, which any residual student copies: this is the edit itself."""
    edited = (np.abs(targets - inputs).max(axis=1, keepdims=True) > EDITED_LEVEL)
    count = int(edited.sum()) * inputs.shape[1]
    if count == 0:
        return float("nan")
    error = np.square(np.clip(outputs, -1, 1).astype(np.float64) - np.clip(targets, -1, 1))
    return float(10 * np.log10(4.0 / max(float((error * edited).sum()) / count, 1e-10)))


@dataclass
class VariantReport:
    chosen: str
    models: dict[str, bytes] = field(repr=False)
    psnr: dict[str, float]
    speed: dict[str, dict[int, float]]
    errors: dict[str, str]

    def metrics(self) -> dict[str, float]:
        """Numbers for the manifest's ``metrics``: the shipped model's CPU img/s, and
        for every variant tried its speed-up over fp32 and PSNR loss against it."""
        out = {f"cpu_img_per_s_b{batch}": ips for batch, ips in self.speed[self.chosen].items()}
        ref = max(self.speed["fp32"])
        for name in self.speed:
            if name != "fp32":
                out[f"{name}_speedup_b{ref}"] = self.speed[name][ref] / self.speed["fp32"][ref]
                out[f"{name}_psnr_drop"] = self.psnr["fp32"] - self.psnr[name]
        return out

    def summary(self) -> dict[str, Any]:
        """For the manifest's ``x-distill`` (strings allowed): the decision, the rule
        and every measurement behind it."""
        return {"variant": self.chosen,
                "rule": f"keep a variant only if >= {MIN_SPEEDUP:g}x the fp32 img/s at batch 16 on the CPU "
                        f"and at most {MAX_PSNR_DROP:g} dB below fp32's student-vs-teacher PSNR",
                "cpu_img_per_s": {name: {f"b{b}": round(v, 2) for b, v in speeds.items()}
                                  for name, speeds in self.speed.items()},
                "psnr_vs_teacher": {name: round(v, 3) for name, v in self.psnr.items()},
                "model_bytes": {name: len(data) for name, data in self.models.items()},
                "failed": dict(self.errors)}


def choose_variant(model: nn.Module, fp32_bytes: bytes, resolution: int, calib_images: np.ndarray,
                   calib_strengths: np.ndarray, test_x: np.ndarray, test_s: np.ndarray, test_y: np.ndarray,
                   variants: Sequence[str] = ("fp16", "int8"), batches: Sequence[int] = (1, 16),
                   repeats: int = 7, echo: Callable[[str], None] = lambda _: None) -> VariantReport:
    """Build the variants, measure each against fp32 (student-vs-teacher PSNR on the
    held-out pairs ``test_x, test_s -> test_y``; CPU img/s, interleaved), and pick the
    fastest that passes the rule (fp32 when none does)."""
    models: dict[str, bytes] = {"fp32": fp32_bytes}
    errors: dict[str, str] = {}
    for name in variants:
        try:
            if name == "fp16":
                models[name] = fp16_variant(model, resolution)
            elif name == "int8":
                models[name] = int8_variant(fp32_bytes, calib_images, calib_strengths)
            else:
                raise DistillError(f"unknown variant {name!r} (fp16, int8)")
        except DistillError:
            raise
        except Exception as exc:  # a variant that cannot be built is reported, not fatal
            errors[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            echo(f"variant {name}: could not be built ({errors[name]})")
    sessions = {name: session(data) for name, data in models.items()}
    psnr = {name: float(psnr_np(run_onnx(s, test_x, test_s), test_y).mean()) for name, s in sessions.items()}
    speed: dict[str, dict[int, float]] = {name: {} for name in sessions}
    for batch in batches:
        for name, ips in images_per_second(sessions, test_x, batch, repeats).items():
            speed[name][batch] = ips
    ref_batch = max(batches)
    chosen, best = "fp32", speed["fp32"][ref_batch]
    for name in models:
        if name == "fp32":
            continue
        ok = psnr[name] >= psnr["fp32"] - MAX_PSNR_DROP and speed[name][ref_batch] >= MIN_SPEEDUP * speed["fp32"][ref_batch]
        echo(f"variant {name}: {speed[name][ref_batch]:.1f} img/s at batch {ref_batch} "
             f"(fp32 {speed['fp32'][ref_batch]:.1f}), psnr {psnr[name]:.2f} dB (fp32 {psnr['fp32']:.2f}) -> "
             + ("passes" if ok else "rejected"))
        if ok and speed[name][ref_batch] > best:
            chosen, best = name, speed[name][ref_batch]
    return VariantReport(chosen, models, psnr, speed, errors)


__all__ = ["OPSET", "INPUT_NAMES", "OUTPUT_NAME", "PARITY_TOLERANCE", "export_onnx", "check_parity",
           "fp16_variant", "int8_variant", "choose_variant", "VariantReport", "session", "run_onnx", "psnr_np",
           "images_per_second"]
