"""StyleGAN2 generator and discriminator in the community checkpoint layout.

Parameter and buffer names and shapes match rosinality/stylegan2-pytorch (the format
e4e, pSp, ReStyle and StyleCLIP load), so those files load with ``load_state_dict``
unchanged. The code is our own; only the layout is shared. Everything is plain
PyTorch (``latentroom.plugins.stylegan2.ops``), so it runs on CPU or CUDA and exports to ONNX.

Public API::

    Generator(size, style_dim=512, n_mlp=8, channel_multiplier=2, channel_cap=None)
        .mapping(z, truncation=1.0) -> w            [B, style_dim]
        .mean_latent() -> w_avg                      [style_dim]
        .synthesis(ws, noise_mode="const", noise=None) -> images [B, 3, size, size]
        .forward(z, truncation=1.0, noise_mode="random") -> images
        .make_noise(batch=1) -> list of noise maps
        .config -> dict (what save_checkpoint records)
    Discriminator(size, channel_multiplier=2, channel_cap=None)(images) -> logits [B, 1]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from latentroom.plugins.stylegan2.ops import FusedLeakyReLU, fir_slices, fused_leaky_relu, make_kernel, upfirdn2d

NoiseMode = Literal["random", "const", "zero"]
BLUR_KERNEL: tuple[int, ...] = (1, 3, 3, 1)
MEAN_LATENT_SAMPLES = 4096
MEAN_LATENT_SEED = 0


def channel_table(channel_multiplier: int = 2, channel_cap: int | None = None) -> dict[int, int]:
    """Feature maps per resolution (the community table), optionally capped.

    ``channel_cap`` shrinks every entry to at most that many channels: our small
    models use it; the community files never do.
    """
    cm = channel_multiplier
    table = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm, 256: 64 * cm,
             512: 32 * cm, 1024: 16 * cm, 2048: 8 * cm}
    if channel_cap is not None:
        table = {r: min(c, int(channel_cap)) for r, c in table.items()}
    return table


def log2_size(size: int) -> int:
    log = int(round(math.log2(size))) if size > 0 else 0
    if size < 8 or 2**log != size:
        raise ValueError(f"size must be a power of two >= 8, got {size}")
    return log


# --------------------------------------------------------------------------- layers


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + 1e-8)


class Upsample(nn.Module):
    """2x FIR up-sampling (used on the RGB skip path); buffer ``kernel``."""

    def __init__(self, kernel: Sequence[int] = BLUR_KERNEL, factor: int = 2) -> None:
        super().__init__()
        self.factor = factor
        # x factor^2 because zero insertion leaves only 1/factor^2 of the energy.
        self.register_buffer("kernel", make_kernel(kernel) * factor**2)
        p = len(kernel) - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, down=1, pad=self.pad)


class Blur(nn.Module):
    """FIR filter without re-sampling; buffer ``kernel``.

    ``impl`` is ``"conv"`` (depthwise convolution; best eager) or ``"slices"`` (sum of
    shifted slices; lets ``torch.compile`` fuse it with the following element-wise ops).
    """

    def __init__(self, kernel: Sequence[int], pad: tuple[int, int], upsample_factor: int = 1) -> None:
        super().__init__()
        k = make_kernel(kernel)
        if upsample_factor > 1:
            k = k * upsample_factor**2
        self.register_buffer("kernel", k)
        self.taps: list[list[float]] = k.tolist()  # fixed by the architecture
        self.pad = pad
        self.impl = "conv"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.impl == "slices":
            return fir_slices(x, self.taps, self.pad)
        return upfirdn2d(x, self.kernel, pad=self.pad)


class EqualConv2d(nn.Module):
    """Conv with the He scale applied at run time (equalized learning rate)."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channel, in_channel, kernel_size, kernel_size))
        self.scale = 1 / math.sqrt(in_channel * kernel_size**2)
        self.stride = stride
        self.padding = padding
        self.bias = nn.Parameter(torch.zeros(out_channel)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, bias=self.bias, stride=self.stride, padding=self.padding)


class EqualLinear(nn.Module):
    """Linear with equalized learning rate; ``lr_mul`` slows the mapping network."""

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True, bias_init: float = 0.0,
                 lr_mul: float = 1.0, activation: str | None = None) -> None:
        super().__init__()
        # Stored weights are divided by lr_mul so that the run-time scale restores them:
        # the optimiser then sees gradients lr_mul times smaller.
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init))) if bias else None
        self.activation = activation
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias * self.lr_mul if self.bias is not None else None
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), bias)
        return F.linear(x, self.weight * self.scale, bias=bias)


class ModulatedConv2d(nn.Module):
    """Style-modulated (and usually demodulated) convolution.

    Two equivalent evaluations, chosen per layer by ``self.fused``:

    * ``True`` (reference): scale the weight per sample and run one grouped conv with
      ``groups=batch``.
    * ``False`` (input modulation): scale the *input* by the style, convolve with the
      shared weight, scale the output by the demodulation coefficients. Same maths;
      one ordinary convolution, which is faster for larger batches on GPUs.
    """

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, style_dim: int,
                 demodulate: bool = True, upsample: bool = False,
                 blur_kernel: Sequence[int] = BLUR_KERNEL) -> None:
        super().__init__()
        self.in_channel = in_channel
        self.out_channel = out_channel
        self.kernel_size = kernel_size
        self.upsample = upsample
        self.demodulate = demodulate
        self.fused = True
        factor = 2
        if upsample:
            # Pads chosen so transposed conv (stride 2) + blur give exactly 2H x 2W.
            p = (len(blur_kernel) - factor) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + factor - 1, p // 2 + 1), upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_channel * kernel_size**2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_channel, in_channel, kernel_size, kernel_size))
        # bias_init=1: styles start at one, i.e. an unmodulated conv.
        self.modulation = EqualLinear(style_dim, in_channel, bias_init=1)

    def extra_repr(self) -> str:
        return (f"{self.in_channel}, {self.out_channel}, {self.kernel_size}, upsample={self.upsample}, "
                f"fused={self.fused}")

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        s = self.modulation(style)  # [B, Cin]
        if self.fused:
            return self._forward_grouped(x, s)
        return self._forward_input_mod(x, s)

    def _forward_grouped(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        b, cin, h, w = x.shape
        k, cout = self.kernel_size, self.out_channel
        weight = self.scale * self.weight * s.view(b, 1, cin, 1, 1)  # [B, Cout, Cin, k, k]
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8).view(b, cout, 1, 1, 1)
        if self.upsample:
            x = x.reshape(1, b * cin, h, w)
            # conv_transpose2d wants [in, out/groups, k, k] per group.
            weight = weight.transpose(1, 2).reshape(b * cin, cout, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=b)
            out = out.view(b, cout, out.shape[2], out.shape[3])
            return self.blur(out)
        x = x.reshape(1, b * cin, h, w)
        out = F.conv2d(x, weight.reshape(b * cout, cin, k, k), padding=self.padding, groups=b)
        return out.view(b, cout, out.shape[2], out.shape[3])

    def _forward_input_mod(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        weight = (self.scale * self.weight).squeeze(0)  # [Cout, Cin, k, k]
        x = x * s.to(x.dtype).view(s.shape[0], -1, 1, 1)
        if self.upsample:
            out = F.conv_transpose2d(x, weight.transpose(0, 1).to(x.dtype), padding=0, stride=2)
            out = self.blur(out)
        else:
            out = F.conv2d(x, weight.to(x.dtype), padding=self.padding)
        if self.demodulate:
            # sum_{i,kk} (W[o,i,kk] s_i)^2 = (s^2) @ (sum_kk W^2)^T, computed in fp32.
            dcoef = torch.rsqrt(s.float().pow(2) @ weight.float().pow(2).sum([2, 3]).t() + 1e-8)
            out = out * dcoef.to(out.dtype).view(s.shape[0], -1, 1, 1)
        return out


class NoiseInjection(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
        return x + self.weight.to(x.dtype) * noise.to(x.dtype)


class ConstantInput(nn.Module):
    def __init__(self, channel: int, size: int = 4) -> None:
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channel, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.expand(batch, -1, -1, -1)


class StyledConv(nn.Module):
    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, style_dim: int,
                 upsample: bool = False, blur_kernel: Sequence[int] = BLUR_KERNEL,
                 demodulate: bool = True) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channel, out_channel, kernel_size, style_dim,
                                    demodulate=demodulate, upsample=upsample, blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channel)

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None = None,
                use_noise: bool = True) -> torch.Tensor:
        out = self.conv(x, style)
        if use_noise:
            out = self.noise(out, noise)
        return self.activate(out)


class ToRGB(nn.Module):
    def __init__(self, in_channel: int, style_dim: int, upsample: bool = True,
                 blur_kernel: Sequence[int] = BLUR_KERNEL) -> None:
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_channel, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, style) + self.bias.to(x.dtype)
        if skip is not None:
            out = out + self.upsample(skip).to(out.dtype)
        return out


# ------------------------------------------------------------------------ generator


class Generator(nn.Module):
    """StyleGAN2 generator; satisfies :class:`latentroom.engine.protocols.Generator`.

    ``latent_avg`` (a plain attribute, not a buffer, so ``state_dict`` keeps the
    community keys) holds the checkpoint's average ``w`` when it has one.
    """

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, channel_multiplier: int = 2,
                 channel_cap: int | None = None, blur_kernel: Sequence[int] = BLUR_KERNEL,
                 lr_mlp: float = 0.01) -> None:
        super().__init__()
        self.size = int(size)
        self.style_dim = int(style_dim)
        self.n_mlp = int(n_mlp)
        self.channel_multiplier = int(channel_multiplier)
        self.channel_cap = None if channel_cap is None else int(channel_cap)
        self.log_size = log2_size(self.size)
        self.num_layers = (self.log_size - 2) * 2 + 1  # styled convs (= noise inputs)
        self.n_latent = self.log_size * 2 - 2
        self.channels = channel_table(self.channel_multiplier, self.channel_cap)
        self.weights_sha256: str | None = None
        self.weights_path: Path | None = None  # the checkpoint it was loaded from
        self.latent_avg: torch.Tensor | None = None
        self._mean_cache: tuple[int, torch.Tensor] | None = None
        # Layout of the activations; the CUDA fast path sets channels_last.
        self.memory_format = torch.contiguous_format

        layers: list[nn.Module] = [PixelNorm()]
        for _ in range(self.n_mlp):
            layers.append(EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation="fused_lrelu"))
        self.style = nn.Sequential(*layers)

        c4 = self.channels[4]
        self.input = ConstantInput(c4)
        self.conv1 = StyledConv(c4, c4, 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = ToRGB(c4, style_dim, upsample=False)

        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for layer_idx in range(self.num_layers):
            res = 2 ** ((layer_idx + 5) // 2)
            self.noises.register_buffer(f"noise_{layer_idx}", torch.randn(1, 1, res, res))
        in_channel = c4
        for i in range(3, self.log_size + 1):
            out_channel = self.channels[2**i]
            self.convs.append(StyledConv(in_channel, out_channel, 3, style_dim, upsample=True,
                                         blur_kernel=blur_kernel))
            self.convs.append(StyledConv(out_channel, out_channel, 3, style_dim, blur_kernel=blur_kernel))
            self.to_rgbs.append(ToRGB(out_channel, style_dim))
            in_channel = out_channel

    # -- description

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments, as recorded in checkpoints."""
        return {"size": self.size, "style_dim": self.style_dim, "n_mlp": self.n_mlp,
                "channel_multiplier": self.channel_multiplier, "channel_cap": self.channel_cap}

    @property
    def device(self) -> torch.device:
        return self.input.input.device

    # -- latents

    def mapping(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z ``[B, style_dim]`` -> w ``[B, style_dim]``; truncation < 1 pulls toward the mean."""
        w = self.style(z)
        if truncation != 1.0:
            mean = self.mean_latent().to(w.dtype)
            w = mean + truncation * (w - mean)
        return w

    def _mapping_version(self) -> int:
        # Parameter version counters grow with every in-place update (optimiser step,
        # load_state_dict), so a cached estimate is dropped once the weights change.
        return sum(p._version for p in self.style.parameters())

    def mean_latent(self) -> torch.Tensor:
        """Average w ``[style_dim]``: the checkpoint's, else estimated once (fixed seed)."""
        if self.latent_avg is not None:
            return self.latent_avg.reshape(-1).to(self.device)
        version = self._mapping_version()
        if self._mean_cache is None or self._mean_cache[0] != version or self._mean_cache[1].device != self.device:
            gen = torch.Generator().manual_seed(MEAN_LATENT_SEED)
            z = torch.randn(MEAN_LATENT_SAMPLES, self.style_dim, generator=gen).to(self.device)
            with torch.no_grad():
                mean = self.style(z).float().mean(0)
            self._mean_cache = (version, mean)
        return self._mean_cache[1]

    # -- noise

    def make_noise(self, batch: int = 1) -> list[torch.Tensor]:
        """Fresh noise maps, one per styled conv."""
        return [torch.randn(batch, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2), device=self.device)
                for i in range(self.num_layers)]

    def _noise_list(self, noise_mode: str, noise: Sequence[torch.Tensor] | None) -> list[torch.Tensor | None]:
        if noise is not None:
            if len(noise) != self.num_layers:
                raise ValueError(f"expected {self.num_layers} noise maps, got {len(noise)}")
            return list(noise)
        if noise_mode == "const":
            return [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]
        if noise_mode in ("random", "zero"):
            return [None] * self.num_layers
        raise ValueError(f"noise_mode must be 'random', 'const' or 'zero', got {noise_mode!r}")

    # -- synthesis

    def synthesis(self, ws: torch.Tensor, noise_mode: NoiseMode = "const",
                  noise: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """W ``[B, style_dim]`` or W+ ``[B, n_latent, style_dim]`` -> images ``[B, 3, size, size]``.

        ``noise`` (one map per styled conv, see :meth:`make_noise`) overrides ``noise_mode``.
        """
        if ws.ndim == 2:
            ws = ws.unsqueeze(1).expand(-1, self.n_latent, -1)
        if ws.ndim != 3 or ws.shape[1] != self.n_latent or ws.shape[2] != self.style_dim:
            raise ValueError(f"ws must be [B, {self.style_dim}] or [B, {self.n_latent}, {self.style_dim}], "
                             f"got {list(ws.shape)}")
        noises = self._noise_list(noise_mode, noise)
        use_noise = noise is not None or noise_mode != "zero"

        out = self.input(ws.shape[0])
        if self.memory_format != torch.contiguous_format:
            out = out.contiguous(memory_format=self.memory_format)
        out = self.conv1(out, ws[:, 0], noise=noises[0], use_noise=use_noise)
        skip = self.to_rgb1(out, ws[:, 1])
        i = 1
        for conv_up, conv, n1, n2, to_rgb in zip(self.convs[::2], self.convs[1::2], noises[1::2],
                                                  noises[2::2], self.to_rgbs):
            out = conv_up(out, ws[:, i], noise=n1, use_noise=use_noise)
            out = conv(out, ws[:, i + 1], noise=n2, use_noise=use_noise)
            # To-RGB k shares its W+ index with the next block's first conv.
            skip = to_rgb(out, ws[:, i + 2], skip)
            i += 2
        return skip

    def forward(self, z: torch.Tensor, truncation: float = 1.0, noise_mode: NoiseMode = "random") -> torch.Tensor:
        """z -> images. For style mixing, build W+ from :meth:`mapping` and call :meth:`synthesis`."""
        return self.synthesis(self.mapping(z, truncation), noise_mode=noise_mode)


# -------------------------------------------------------------------- discriminator


class ConvLayer(nn.Sequential):
    """[Blur] + EqualConv2d + [FusedLeakyReLU]; indices give the community key names."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, downsample: bool = False,
                 blur_kernel: Sequence[int] = BLUR_KERNEL, bias: bool = True, activate: bool = True) -> None:
        layers: list[nn.Module] = []
        if downsample:
            factor = 2
            p = (len(blur_kernel) - factor) + (kernel_size - 1)
            layers.append(Blur(blur_kernel, pad=((p + 1) // 2, p // 2)))
            stride, padding = 2, 0
        else:
            stride, padding = 1, kernel_size // 2
        layers.append(EqualConv2d(in_channel, out_channel, kernel_size, padding=padding, stride=stride,
                                  bias=bias and not activate))
        if activate:
            layers.append(FusedLeakyReLU(out_channel, bias=bias))
        super().__init__(*layers)


class ResBlock(nn.Module):
    def __init__(self, in_channel: int, out_channel: int, blur_kernel: Sequence[int] = BLUR_KERNEL) -> None:
        super().__init__()
        self.conv1 = ConvLayer(in_channel, in_channel, 3)
        self.conv2 = ConvLayer(in_channel, out_channel, 3, downsample=True, blur_kernel=blur_kernel)
        self.skip = ConvLayer(in_channel, out_channel, 1, downsample=True, activate=False, bias=False,
                              blur_kernel=blur_kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # / sqrt(2) keeps the residual sum at unit variance.
        return (self.conv2(self.conv1(x)) + self.skip(x)) / math.sqrt(2)


class Discriminator(nn.Module):
    """StyleGAN2 residual discriminator: images ``[B, 3, size, size]`` -> logits ``[B, 1]``."""

    def __init__(self, size: int, channel_multiplier: int = 2, channel_cap: int | None = None,
                 blur_kernel: Sequence[int] = BLUR_KERNEL) -> None:
        super().__init__()
        self.size = int(size)
        self.channel_multiplier = int(channel_multiplier)
        self.channel_cap = None if channel_cap is None else int(channel_cap)
        channels = channel_table(self.channel_multiplier, self.channel_cap)
        log_size = log2_size(self.size)
        convs: list[nn.Module] = [ConvLayer(3, channels[size], 1)]
        in_channel = channels[size]
        for i in range(log_size, 2, -1):
            out_channel = channels[2 ** (i - 1)]
            convs.append(ResBlock(in_channel, out_channel, blur_kernel))
            in_channel = out_channel
        self.convs = nn.Sequential(*convs)
        self.stddev_group = 4
        self.stddev_feat = 1
        self.final_conv = ConvLayer(in_channel + 1, channels[4], 3)
        self.final_linear = nn.Sequential(
            EqualLinear(channels[4] * 4 * 4, channels[4], activation="fused_lrelu"),
            EqualLinear(channels[4], 1),
        )

    @property
    def config(self) -> dict[str, Any]:
        return {"size": self.size, "channel_multiplier": self.channel_multiplier, "channel_cap": self.channel_cap}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.convs(x)
        b, c, h, w = out.shape
        # Minibatch standard deviation: one extra feature map telling D how varied the
        # batch is, which discourages mode collapse. Batch must divide by the group.
        group = min(b, self.stddev_group)
        if b % group != 0:
            raise ValueError(f"batch {b} must be a multiple of {group} (minibatch stddev group)")
        std = out.view(group, -1, self.stddev_feat, c // self.stddev_feat, h, w)
        std = torch.sqrt(std.var(0, unbiased=False) + 1e-8)
        std = std.mean([2, 3, 4], keepdim=True).squeeze(2)
        std = std.repeat(group, 1, h, w)
        out = self.final_conv(torch.cat([out, std], 1))
        return self.final_linear(out.view(b, -1))
