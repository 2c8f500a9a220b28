"""The student: a small strength-conditioned image-to-image U-Net.

``out = clamp(x + s_n * net(x, s_n), -1, 1)`` with ``s_n = strength / strength_scale``.

* **Residual scaled by strength**: at strength 0 the output *is* the input (``x + 0 *
  r``; the clamp is a no-op on inputs already in ``[-1, 1]``), by construction and
  not by training, so a preset at strength 0 leaves images bit-for-bit unchanged in
  torch and ONNX Runtime alike (tests check ``max |out - x| <= 1e-6``). This is also
  what the engine's residual carry-back wants (docs/preset-format.md).
* **Strength also conditions the features** (FiLM): a small MLP embeds ``s_n``, and
  each block scales and shifts its activations by ``1 + gamma(s), beta(s)``, so the
  net can make different edits for negative and positive strengths (more smile vs.
  a frown) and non-linear ones (glasses appear, then darken), which a residual that
  is only multiplied by ``s`` could not.
* **No tanh on the residual** (it would cap the edit size and squash the gradient
  where edits are large); the one clamp at the end keeps outputs in range.
* **No normalisation layers**: BatchNorm behaves differently in training and export
  and GroupNormalization has shaky ONNX Runtime support; FiLM does the conditioning.
* **Upsampling by 1x1 conv + pixel shuffle** (ONNX DepthToSpace): cheap, exports
  without float-typed Resize inputs (which break fp16 conversion) and quantises well.

Default widths (16, 32, 64, 128, 160): five levels, R down to R/16 (8x8 at 128²),
so the deepest features see the whole face (hair length and age change large
regions) while full-resolution work stays light (16 channels). About 2.0 M
parameters (8 MB in fp32, under the 10 MB preset limit) and 0.8 GMAC per 128² image.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

MAX_PARAMETERS = 5_000_000
DEFAULT_WIDTHS: tuple[int, ...] = (16, 32, 64, 128, 160)


@dataclass(frozen=True)
class StudentConfig:
    """Constructor arguments of :class:`Student` (stored in the training state)."""

    widths: tuple[int, ...] = DEFAULT_WIDTHS
    embed_dim: int = 64
    strength_scale: float = 3.0
    """Strengths are divided by this before use, so the FiLM MLP sees ~[-1, 1]."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["widths"] = list(self.widths)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StudentConfig":
        return cls(widths=tuple(int(w) for w in data["widths"]), embed_dim=int(data["embed_dim"]),
                   strength_scale=float(data["strength_scale"]))

    @property
    def divisor(self) -> int:
        """Input sizes must be multiples of this (one halving per level below the top)."""
        return 2 ** (len(self.widths) - 1)


def _act() -> nn.Module:
    # LeakyReLU: cheap on CPUs and friendly to int8 quantisation (no saturating curve).
    return nn.LeakyReLU(0.2)


class FiLM(nn.Module):
    """``h * (1 + gamma(e)) + beta(e)`` from the strength embedding ``e``. Zero-initialised,
    so an untrained block is a plain conv block."""

    def __init__(self, embed_dim: int, channels: int) -> None:
        super().__init__()
        self.proj = nn.Linear(embed_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.proj(e)[:, :, None, None].chunk(2, dim=1)
        return h * (1 + gamma) + beta


class Block(nn.Module):
    """conv3x3 (optionally strided) -> act -> conv3x3 -> FiLM -> act."""

    def __init__(self, cin: int, cout: int, embed_dim: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.film = FiLM(embed_dim, cout)
        self.act = _act()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv1(x))
        return self.act(self.film(self.conv2(h), e))


class Up(nn.Module):
    """x2 upsampling: 1x1 conv to 4*cout channels, then pixel shuffle."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, 4 * cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.conv(x), 2)


class Student(nn.Module):
    """``forward(image [N, 3, R, R] in [-1, 1], strength [N]) -> edited [N, 3, R, R]``."""

    def __init__(self, config: StudentConfig | None = None) -> None:
        super().__init__()
        self.config = config or StudentConfig()
        widths, d = self.config.widths, self.config.embed_dim
        if len(widths) < 2:
            raise ValueError(f"a student needs at least two levels, got widths {widths}")
        self.embed = nn.Sequential(nn.Linear(1, d), nn.SiLU(), nn.Linear(d, d), nn.SiLU())
        self.down = nn.ModuleList()
        cin = 3
        for i, w in enumerate(widths):
            self.down.append(Block(cin, w, d, stride=1 if i == 0 else 2))
            cin = w
        self.middle = Block(widths[-1], widths[-1], d)
        self.ups = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for i in range(len(widths) - 2, -1, -1):
            self.ups.append(Up(widths[i + 1], widths[i]))
            self.fuse.append(Block(2 * widths[i], widths[i], d))
        self.head = nn.Conv2d(widths[0], 3, 3, 1, 1)
        # Zero start: the untrained student is the identity, and training grows the edit
        # from there instead of first unlearning a random residual.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def residual(self, image: torch.Tensor, s_n: torch.Tensor) -> torch.Tensor:
        e = self.embed(s_n[:, None])
        skips = []
        h = image
        for block in self.down:
            h = block(h, e)
            skips.append(h)
        h = self.middle(h, e)
        for up, fuse, skip in zip(self.ups, self.fuse, reversed(skips[:-1])):
            h = fuse(torch.cat([up(h), skip], dim=1), e)
        return self.head(h)

    def forward(self, image: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        s_n = strength.reshape(-1).to(image.dtype) / self.config.strength_scale
        r = self.residual(image, s_n)
        return torch.clamp(image + s_n[:, None, None, None] * r, -1.0, 1.0)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def conv_macs(model: nn.Module, resolution: int, inputs: tuple[torch.Tensor, ...] | None = None) -> int:
    """Multiply-accumulates of one image through ``model``'s convolutions and linears,
    counted with forward hooks on a batch-1 run (element-wise work adds ~1%).
    ``inputs`` defaults to a student's ``(image, strength)``; pass ``(image,)`` for an
    image-only network such as the encoder."""
    total = 0

    def hook(module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += output[0].numel() * k
        elif isinstance(module, nn.Linear):
            total += module.in_features * module.out_features

    if inputs is None:
        inputs = (torch.zeros(1, 3, resolution, resolution), torch.ones(1))
    device = next(model.parameters()).device
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(*(t.to(device) for t in inputs))
    finally:
        for h in handles:
            h.remove()
    return total


def build_student(config: StudentConfig, resolution: int) -> Student:
    """A fresh student, checked against the size limit and the input resolution."""
    from plugins.distill.errors import DistillError

    if resolution % config.divisor:
        raise DistillError(f"resolution {resolution} is not a multiple of {config.divisor} "
                           f"(student widths {list(config.widths)} halve it {len(config.widths) - 1} times)")
    model = Student(config)
    n = count_parameters(model)
    if n > MAX_PARAMETERS:
        raise DistillError(f"student widths {list(config.widths)} give {n:,} parameters, over the "
                           f"{MAX_PARAMETERS:,} limit")
    return model


__all__ = ["DEFAULT_WIDTHS", "MAX_PARAMETERS", "Student", "StudentConfig", "build_student", "conv_macs",
           "count_parameters"]
