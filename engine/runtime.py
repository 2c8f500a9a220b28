"""ONNX Runtime sessions and execution-provider choice.

onnxruntime is imported inside functions so that ``import latentroom.engine`` and the CLI's
``--help`` stay fast; nothing here imports torch or onnx.
"""

from __future__ import annotations

from typing import Any

from latentroom.engine.errors import PresetError
from latentroom.engine.onnx_check import check_self_contained

PROVIDERS = ("auto", "cpu", "cuda")

_EP = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


def available_providers() -> list[str]:
    import onnxruntime as ort

    return list(ort.get_available_providers())


def provider_list(provider: str) -> list[str]:
    """The ORT provider list for ``auto``, ``cpu`` or ``cuda``.

    ``auto`` puts CUDA first when the installed onnxruntime build offers it
    (onnxruntime-gpu) and always keeps CPU as the fallback. ``cuda`` asks for CUDA
    explicitly and fails clearly when the build cannot offer it, instead of quietly
    running on the CPU.
    """
    if provider not in PROVIDERS:
        raise PresetError(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}")
    available = available_providers()
    if provider == "cpu":
        return [_EP["cpu"]]
    if provider == "cuda":
        if _EP["cuda"] not in available:
            raise PresetError(
                "provider 'cuda' requested but this onnxruntime build has no "
                "CUDAExecutionProvider (install onnxruntime-gpu: pip install 'latentroom[gpu]')"
            )
        return [_EP["cuda"], _EP["cpu"]]
    return ([_EP["cuda"]] if _EP["cuda"] in available else []) + [_EP["cpu"]]


def create_session(
    model_bytes: bytes, provider: str = "auto", *, where: str = "model", threads: int | None = None
) -> tuple[Any, str]:
    """Create an inference session from verified model bytes.

    ``threads`` caps ONNX Runtime's intra-op threads (default: one per physical
    core), for processes that share the machine, such as Ray actors given one CPU each.

    Returns ``(session, provider_used)`` where ``provider_used`` is the provider ORT
    actually placed the model on (``CUDAExecutionProvider`` can fail to initialise,
    e.g. without a driver, and ORT then falls back to CPU; we report what happened).
    A model that is too large or refers to external data files is refused first
    (:mod:`latentroom.engine.onnx_check`), whatever path its bytes came by.
    """
    import onnxruntime as ort

    check_self_contained(model_bytes, where)

    providers = provider_list(provider)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Keep ORT's own warnings (e.g. about unused initializers) off the user's terminal.
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(model_bytes, sess_options=options, providers=providers)
    except Exception as e:  # ORT raises its own exception types (Fail, InvalidGraph, ...)
        raise PresetError(f"{where}: ONNX Runtime cannot load the model: {e}") from None
    used = session.get_providers()[0]
    if provider == "cuda" and used != _EP["cuda"]:
        raise PresetError(f"{where}: CUDAExecutionProvider failed to initialise; ORT fell back to {used}")
    return session, used
