"""Fast synthesis for inference on CUDA (also runs on CPU, for tests).

``FastSynthesis(generator, FastConfig(...))`` wraps a *copy* of a generator, so the
original stays the plain fp32 reference (the "switch back" is simply using the
generator itself, or ``FastConfig.plain()``). Knobs, each measured in
benchmarks/generator.py:

* ``dtype``: autocast to fp16/bf16 (demodulation coefficients stay fp32);
* ``channels_last``: NHWC activations, the layout tensor-core convolutions want;
* ``modconv``: per layer, ``"grouped"`` (reference: per-sample weights, grouped conv),
  ``"input"`` (scale input by the style, shared-weight conv, scale output by the
  demodulation coefficients) or ``"auto"``: time both on the layer's real input
  and keep the faster one;
* ``compile``: ``torch.compile`` (blur becomes a sum of slices so it fuses with noise,
  bias and activation);
* ``cuda_graphs``: capture one CUDA graph per batch size and replay it (const/zero noise).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal

import torch

from latentroom.plugins.stylegan2.model import Blur, Generator, ModulatedConv2d

ModconvChoice = Literal["auto", "grouped", "input"]


@dataclass
class FastConfig:
    dtype: torch.dtype | None = torch.float16
    channels_last: bool = True
    modconv: ModconvChoice = "auto"
    compile: bool = False
    cuda_graphs: bool = False
    noise_mode: str = "const"
    autotune_reps: int = 5
    # Compile once for every batch size > 1 (batch 1 is always specialised by dynamo).
    dynamic_batch: bool = True

    @staticmethod
    def plain() -> "FastConfig":
        """Exactly the reference computation: fp32, NCHW, grouped convs, eager."""
        return FastConfig(dtype=None, channels_last=False, modconv="grouped")


def _timeit(fn: Callable[[], Any], reps: int, device: torch.device) -> float:
    for _ in range(2):
        fn()
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        times = []
        for _ in range(reps):
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    else:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1e3)
    return sorted(times)[len(times) // 2]


class FastSynthesis:
    """Callable ``ws -> images`` (float32 ``[B, 3, size, size]``) using the fast path."""

    def __init__(self, generator: Generator, config: FastConfig | None = None) -> None:
        self.config = config or FastConfig()
        self.g: Generator = copy.deepcopy(generator).eval().requires_grad_(False)
        self.device = self.g.device
        self.layer_choice: dict[str, str] = {}  # of the batch size tuned last
        self._choices: dict[int, dict[str, bool]] = {}  # batch -> module name -> fused
        self._graphs: dict[tuple[int, ...], tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor]] = {}
        if self.config.channels_last:
            self.g.memory_format = torch.channels_last
        fixed = {"grouped": True, "input": False}.get(self.config.modconv)
        for m in self.g.modules():
            if isinstance(m, ModulatedConv2d):
                m.fused = True if fixed is None else fixed
            if isinstance(m, Blur) and self.config.compile:
                m.impl = "slices"
        self._fn: Callable[[torch.Tensor], torch.Tensor] = self._eager
        if self.config.compile:
            compiled = torch.compile(self._eager, dynamic=None)

            def run_compiled(ws: torch.Tensor) -> torch.Tensor:
                if self.config.dynamic_batch and ws.shape[0] > 1:
                    torch._dynamo.mark_dynamic(ws, 0)
                return compiled(ws)

            self._fn = run_compiled

    def _autocast(self) -> Any:
        if self.config.dtype is None:
            return torch.autocast(self.device.type, enabled=False)
        return torch.autocast(self.device.type, dtype=self.config.dtype)

    def _eager(self, ws: torch.Tensor) -> torch.Tensor:
        with self._autocast():
            return self.g.synthesis(ws, noise_mode=self.config.noise_mode).float()  # type: ignore[arg-type]

    @torch.no_grad()
    def autotune(self, ws: torch.Tensor) -> dict[str, str]:
        """Per-layer choice grouped vs input modulation, timed on this batch's inputs."""
        captured: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        hooks = []
        for name, m in self.g.named_modules():
            if isinstance(m, ModulatedConv2d):
                hooks.append(m.register_forward_pre_hook(
                    lambda mod, args, name=name: captured.__setitem__(name, (args[0], args[1]))))
        try:
            self._eager(ws)
        finally:
            for h in hooks:
                h.remove()
        modules = dict(self.g.named_modules())
        for name, (x, style) in captured.items():
            m = modules[name]
            assert isinstance(m, ModulatedConv2d)
            times = {}
            for choice, fused in (("grouped", True), ("input", False)):
                m.fused = fused

                def run(m: ModulatedConv2d = m, x: torch.Tensor = x, style: torch.Tensor = style) -> None:
                    with self._autocast():
                        m(x, style)

                times[choice] = _timeit(run, self.config.autotune_reps, self.device)
            best = min(times, key=times.__getitem__)
            m.fused = best == "grouped"
            self.layer_choice[name] = best
        self._choices[ws.shape[0]] = {n: c == "grouped" for n, c in self.layer_choice.items()}
        return dict(self.layer_choice)

    def _apply_choices(self, batch: int) -> None:
        modules = dict(self.g.named_modules())
        for name, fused in self._choices[batch].items():
            modules[name].fused = fused  # type: ignore[union-attr]

    def _graph_call(self, ws: torch.Tensor) -> torch.Tensor:
        key = tuple(ws.shape)
        if key not in self._graphs:
            static_in = ws.clone()
            # Warm up on a side stream (compiles, cuDNN plans) before capturing.
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(3):
                    self._fn(static_in)
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = self._fn(static_in)
            self._graphs[key] = (graph, static_in, static_out)
        graph, static_in, static_out = self._graphs[key]
        static_in.copy_(ws)
        graph.replay()
        # The output buffer is reused by the next replay; callers that keep results
        # across calls must clone (the benchmark does not need to).
        return static_out

    @torch.no_grad()
    def __call__(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.ndim == 2:
            ws = ws.unsqueeze(1).expand(-1, self.g.n_latent, -1)
        ws = ws.contiguous()
        if self.config.modconv == "auto":
            if ws.shape[0] not in self._choices:
                self.autotune(ws)
            else:
                self._apply_choices(ws.shape[0])
        use_graph = (self.config.cuda_graphs and self.device.type == "cuda"
                     and self.config.noise_mode in ("const", "zero"))
        if use_graph:
            return self._graph_call(ws)
        return self._fn(ws)


def synthesis_macs(g: Generator) -> int:
    """Multiply-accumulates of one image's synthesis (convolutions only; the mapping
    network, modulation linears and element-wise work add well under 1%)."""
    total = 0
    for name, m in g.named_modules():
        if not isinstance(m, ModulatedConv2d):
            continue
        if name == "conv1.conv" or name == "to_rgb1.conv":
            res_in = 4
        else:
            idx = int(name.split(".")[1])
            res_in = 2 ** (idx // 2 + 3) if name.startswith("convs") else 2 ** (idx + 3)
            if name.startswith("convs") and m.upsample:
                res_in //= 2
        # A stride-2 transposed conv does k*k MACs per *input* pixel and channel pair.
        total += res_in * res_in * m.in_channel * m.out_channel * m.kernel_size**2
    return total
