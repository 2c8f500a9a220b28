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
* **Half resolution inside**: a 4x4 stride-2 conv stem takes the image to R/2 and a
  2x2 stride-2 transposed conv head (a learned sub-pixel output: each R/2 feature
  writes its own 2x2 block of residual pixels) brings the residual back to R, so no
  layer runs at full resolution. The full-resolution U-Net level was ~23% of the old
  layout's cost; the residual stays full resolution (a 1-pixel wrinkle or grey strand
  is still expressible) and the input image itself is added back unchanged.
* **Or a full-resolution head** (``head="full"``): nearest x2, then two 3x3 convs at R
  (to ``widths[0]`` channels, then to the residual). Each 2x2 block's pixels then come
  from overlapping neighbourhoods instead of four separate weight sets, so the
  adversarial term does not push them apart into the 2-pixel dot grid it draws with
  the transposed head (docs/distillation.md, session 28). It costs ~0.045 GMAC more
  per 128² image (0.13 against 0.087) and half the CPU speed at batch 16
  (BENCHMARKS.md).
* **Or a flattening head** (``head="flatten"``): the 2x2 transposed conv writes a fourth
  channel, a flattening logit ``f``, and ``out = x - g sigmoid(f) (x - low(x)) + s_n r``
  with ``low`` a fixed 9x9 blur and ``g = min(1, |s_n| / FLATTEN_FULL_AT)``. Where the
  edit paints a flat fill (a beard, longer hair) over the generator's fine texture, the
  head takes that texture away instead of cancelling it pixel by pixel: from half
  resolution a residual head learns only the smooth part of ``-x``, which leaves the
  fill see-through (docs/distillation.md, session 33). The flattening starts near zero
  (``sigmoid(FLATTEN_START_LOGIT)``). ``g`` makes strength 0 still the exact identity
  and lets the head take the texture away entirely from half the strength range on:
  capped at ``|s_n|`` (as until session 35), the shipped hair_length flattened at most
  0.67 of it at its default 8 of 12, though its logit saturated over a fifth of the hair
  region, so a third of the input's texture stayed in the new hair. (A matte,
  ``x + m (c - x)``, learnt from the image alone does not train: its coverage falls to
  zero everywhere before its colour is learnt; the painting head below teaches each.)
* **Or a smoothed flattening head** (``head="smooth-flatten"``): the flattening head's
  outputs, logit and residual alike, through a fixed 3x3 binomial blur (``[1, 2, 1] / 4``
  each way, the edge repeated) at full resolution. The transposed conv writes each pixel
  of a 2x2 block with its own weights, and a beard student drew that as a 2-pixel dot
  hatching over its fill and along its edges (docs/distillation.md, session 38); the
  blur has no response at the 2-pixel period, so no pattern of it can come out, for
  ~0.6 M additions more at 128² (two 2x2 average pools).
* **Or a painting head** (``head="paint"``): the smoothed head's four outputs read as a
  coverage logit ``a`` and a colour offset ``o``, and ``out = x + m (c - x)`` with
  ``m = g sigmoid(PAINT_HARDNESS a)``, ``c = low(x) + o`` and ``g = min(1, |s_n| /
  PAINT_FULL_AT)``. Its training teaches the coverage and the colour each on its own
  (:mod:`latentroom.plugins.distill.paint`), so the logit learns how often the teacher
  paints a pixel; hardened, the coverage paints all or nothing where the teacher's
  drawings differ from face to face (the ends of longer hair), where a residual or the
  flattening head draws their see-through average (docs/distillation.md, session 40).
  It is for edits that paint a region (longer hair; a beard or frames untried), not for
  ones that reshade it (age, a smile).
* **One conv per level** below the top (the strided conv of the encoder, one conv after
  each decoder merge) and **skips added, not concatenated**; the top level (R/2) and
  the bottleneck keep two convs.
* **Upsampling by 1x1 conv at the low resolution + nearest x2** (ONNX Resize), then add
  the skip: ONNX Runtime runs nearest x2 in its blocked (NCHWc) layout, where pixel
  shuffle (DepthToSpace) is a 6-D transpose that cost ~20% of the CPU time.

Default widths (16, 32, 64, 128, 160): five levels at R/2 .. R/32 (64² .. 4² at 128²),
so the deepest features see the whole face (hair length and age change large regions:
receptive field of a residual pixel ~ the whole 128² image) while the R/2 work stays
light (16 channels). About 1.1 M parameters (4.3 MB in fp32, under the 10 MB preset
limit) and 0.087 GMAC per 128² image, ~9x less than the full-resolution layout with the
same widths (2.0 M parameters, 0.76 GMAC), which reached only ~13x the generator path's
speed on a 2-core CPU; this layout ~69x at batch 1 and ~110x at batch 16
(docs/distillation.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

MAX_PARAMETERS = 5_000_000
DEFAULT_WIDTHS: tuple[int, ...] = (16, 32, 64, 128, 160)
LAYOUT = 2
HEADS = ("transposed", "full", "flatten", "smooth-flatten", "paint")
FLATTENING_HEADS = ("flatten", "smooth-flatten")
FOUR_CHANNEL_HEADS = FLATTENING_HEADS + ("paint",)
# The flattening head starts nearly off (sigmoid(-4) ~ 0.018): close to the identity.
FLATTEN_START_LOGIT = -4.0
# Box size of the flattening head's low-pass, applied twice (a 9x9 tent-shaped blur).
FLATTEN_BOX = 5
# Share of the strength range from which the flattening may reach all of the texture.
FLATTEN_FULL_AT = 0.5
# The same for the painting head's coverage: soon, since a faded coverage would paint a
# see-through fill where the teacher draws a solid one.
PAINT_FULL_AT = 0.1
# The painting head's coverage is sigmoid(PAINT_HARDNESS a) of the logit a its training
# fits to the teacher's coverage: where the teacher's drawings differ from face to face,
# a is near 0 over a band, and the hardened coverage paints all or nothing there instead
# of their average (docs/distillation.md, session 40).
PAINT_HARDNESS = 8.0


@dataclass(frozen=True)
class StudentConfig:
    """Constructor arguments of :class:`Student` (stored in the training state)."""

    widths: tuple[int, ...] = DEFAULT_WIDTHS
    embed_dim: int = 64
    strength_scale: float = 3.0
    """Strengths are divided by this before use, so the FiLM MLP sees ~[-1, 1]."""
    layout: int = LAYOUT
    """Layer layout: 2 is the half-resolution one described above; 1 (the older
    full-resolution U-Net, in training states written before layout 2) is no longer
    built, so resuming such a state fails with a clear message."""
    head: str = "transposed"
    """Output head (one of :data:`HEADS`): the 2x2 transposed conv, the full-resolution one,
    the 2x2 transposed conv writing a flattening logit beside the residual, that one
    through a fixed binomial blur, or a coverage and a colour through that blur."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["widths"] = list(self.widths)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StudentConfig":
        return cls(widths=tuple(int(w) for w in data["widths"]), embed_dim=int(data["embed_dim"]),
                   strength_scale=float(data["strength_scale"]), layout=int(data.get("layout", 1)),
                   head=str(data.get("head", "transposed")))

    @property
    def divisor(self) -> int:
        """Input sizes must be multiples of this (the stem's halving, then one per level
        below the top)."""
        return 2 ** len(self.widths)


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
    """``convs`` conv3x3s (the first optionally strided) with act between, then FiLM -> act."""

    def __init__(self, cin: int, cout: int, embed_dim: int, stride: int = 1, convs: int = 1) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(cin if i == 0 else cout, cout, 3, stride if i == 0 else 1, 1)
                                   for i in range(convs))
        self.film = FiLM(embed_dim, cout)
        self.act = _act()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        for conv in self.convs[:-1]:
            x = self.act(conv(x))
        return self.act(self.film(self.convs[-1](x), e))


class Up(nn.Module):
    """x2 upsampling: 1x1 conv to ``cout`` channels at the low resolution, then nearest x2."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.conv(x), scale_factor=2, mode="nearest")


class FullResolutionHead(nn.Module):
    """Nearest x2, then 3x3 convs at full resolution: ``channels`` -> ``channels`` -> 3."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, 1, 1)
        self.act = _act()
        self.out = nn.Conv2d(channels, 3, 3, 1, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.conv(F.interpolate(h, scale_factor=2, mode="nearest"))))


class BinomialBlur(nn.Module):
    """A fixed 3x3 binomial blur (``[1, 2, 1] / 4`` each way, the image's edge repeated,
    so a constant stays that constant), as two 2x2 stride-1 averages of the edge-padded
    image: it has no weights to train, and on ONNX Runtime a student runs about 5% faster
    at batch 16 with it than with the same blur as a depthwise conv
    (docs/measurements/session39-device-2026-12-06/scripts/smooth_head_speed.py)."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        padded = F.pad(image, (1, 1, 1, 1), mode="replicate")
        return F.avg_pool2d(F.avg_pool2d(padded, 2, 1), 2, 1)


class SmoothedTransposedHead(nn.Module):
    """The 2x2 stride-2 transposed conv to ``outputs`` channels, then :class:`BinomialBlur`."""

    def __init__(self, channels: int, outputs: int) -> None:
        super().__init__()
        self.transposed = nn.ConvTranspose2d(channels, outputs, 2, 2)
        self.blur = BinomialBlur()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.blur(self.transposed(h))


def _head(kind: str, channels: int) -> nn.Module:
    """The R/2 -> R output head, its last layer zero-initialised: the untrained student is
    the identity, and training grows the edit from there instead of first unlearning a
    random residual. The flattening logit, and the painting head's coverage logit, start at
    :data:`FLATTEN_START_LOGIT` instead, as near the identity as a sigmoid allows."""
    outputs = 4 if kind in FOUR_CHANNEL_HEADS else 3
    if kind in ("transposed", "flatten"):
        head = last = nn.ConvTranspose2d(channels, outputs, 2, 2)
    elif kind in ("smooth-flatten", "paint"):
        head = SmoothedTransposedHead(channels, outputs)
        last = head.transposed
    elif kind == "full":
        head = FullResolutionHead(channels)
        last = head.out
    else:
        raise ValueError(f"student head {kind!r}: expected one of {', '.join(HEADS)}")
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    if kind in FOUR_CHANNEL_HEADS:
        with torch.no_grad():
            last.bias[0] = FLATTEN_START_LOGIT
    return head


class Student(nn.Module):
    """``forward(image [N, 3, R, R] in [-1, 1], strength [N]) -> edited [N, 3, R, R]``."""

    def __init__(self, config: StudentConfig | None = None) -> None:
        super().__init__()
        self.config = config or StudentConfig()
        widths, d = self.config.widths, self.config.embed_dim
        if len(widths) < 2:
            raise ValueError(f"a student needs at least two levels, got widths {widths}")
        if self.config.layout != LAYOUT:
            raise ValueError(f"student layout {self.config.layout} is no longer built (this version builds "
                             f"layout {LAYOUT}); start a fresh run")
        self.embed = nn.Sequential(nn.Linear(1, d), nn.SiLU(), nn.Linear(d, d), nn.SiLU())
        self.stem = nn.Conv2d(3, widths[0], 4, 2, 1)  # R -> R/2
        self.act = _act()
        self.down = nn.ModuleList()
        cin = widths[0]
        for i, w in enumerate(widths):
            self.down.append(Block(cin, w, d, stride=1, convs=2) if i == 0 else Block(cin, w, d, stride=2))
            cin = w
        self.middle = Block(widths[-1], widths[-1], d, convs=2)
        self.ups = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for i in range(len(widths) - 2, -1, -1):
            self.ups.append(Up(widths[i + 1], widths[i]))
            self.fuse.append(Block(widths[i], widths[i], d))
        self.head = _head(self.config.head, widths[0])

    def residual(self, image: torch.Tensor, s_n: torch.Tensor) -> torch.Tensor:
        """The head's output: a residual, after a flattening logit for the flattening head;
        a coverage logit and a colour offset for the painting head."""
        e = self.embed(s_n[:, None])
        skips = []
        h = self.act(self.stem(image))
        for block in self.down:
            h = block(h, e)
            skips.append(h)
        h = self.middle(h, e)
        for up, fuse, skip in zip(self.ups, self.fuse, reversed(skips[:-1])):
            h = fuse(up(h) + skip, e)
        return self.head(h)

    def forward(self, image: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        s_n = self.normalised_strength(strength, image.dtype)
        return self.combine(image, s_n, self.residual(image, s_n))

    def normalised_strength(self, strength: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """``s_n``: each pair's strength ``[N]`` over the config's ``strength_scale``."""
        return strength.reshape(-1).to(dtype) / self.config.strength_scale

    def combine(self, image: torch.Tensor, s_n: torch.Tensor, head_out: torch.Tensor) -> torch.Tensor:
        """The edited image from the input and the head's output (:meth:`residual`)."""
        s = s_n[:, None, None, None]
        if self.config.head == "paint":
            return paint_over(image, s_n, head_out, paint_colour(image, head_out))
        if self.config.head in FLATTENING_HEADS:
            flattening = strength_fade(s, FLATTEN_FULL_AT) * torch.sigmoid(head_out[:, :1])
            image = image - flattening * (image - low_pass(image))
            head_out = head_out[:, 1:]
        return torch.clamp(image + s * head_out, -1.0, 1.0)


def strength_fade(s_n: torch.Tensor, full_at: float) -> torch.Tensor:
    """How much of the flattening or the painting a strength allows: none at strength 0
    (the exact identity), all of it from ``full_at`` of the strength range on."""
    return torch.clamp(s_n.abs() / full_at, max=1.0)


def paint_colour(image: torch.Tensor, head_out: torch.Tensor) -> torch.Tensor:
    """The painting head's colour: its offset on the input's low-pass, so the colour is
    flat where the input is and never carries the input's fine texture into the paint.
    Not clamped (a clamp would stop the colour's gradient); the output is."""
    return low_pass(image) + head_out[:, 1:]


def paint_over(image: torch.Tensor, s_n: torch.Tensor, head_out: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """The painting head's output: ``colour`` (:func:`paint_colour`, passed in so that
    training computes it once for its loss and the image) laid over the input by the
    hardened coverage the strength allows."""
    fade = strength_fade(s_n[:, None, None, None], PAINT_FULL_AT)
    coverage = fade * torch.sigmoid(PAINT_HARDNESS * head_out[:, :1])
    return torch.clamp(image + coverage * (colour - image), -1.0, 1.0)


def low_pass(image: torch.Tensor) -> torch.Tensor:
    """The flattening head's blur: a :data:`FLATTEN_BOX` box twice, the border averaged over
    the pixels inside the image only."""
    for _ in range(2):
        image = F.avg_pool2d(image, FLATTEN_BOX, 1, FLATTEN_BOX // 2, count_include_pad=False)
    return image


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
        elif isinstance(module, nn.ConvTranspose2d):  # every input pixel meets the whole kernel
            k = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
            total += args[0][0].numel() * k
        elif isinstance(module, nn.Linear):
            total += module.in_features * module.out_features

    if inputs is None:
        inputs = (torch.zeros(1, 3, resolution, resolution), torch.ones(1))
    device = next(model.parameters()).device
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(*(t.to(device) for t in inputs))
    finally:
        for h in handles:
            h.remove()
    return total


def build_student(config: StudentConfig, resolution: int) -> Student:
    """A fresh student, checked against the size limit and the input resolution."""
    from latentroom.plugins.distill.errors import DistillError

    if resolution % config.divisor:
        raise DistillError(f"resolution {resolution} is not a multiple of {config.divisor} "
                           f"(student widths {list(config.widths)} halve it {len(config.widths)} times)")
    model = Student(config)
    n = count_parameters(model)
    if n > MAX_PARAMETERS:
        raise DistillError(f"student widths {list(config.widths)} give {n:,} parameters, over the "
                           f"{MAX_PARAMETERS:,} limit")
    return model


__all__ = ["BinomialBlur", "DEFAULT_WIDTHS", "FLATTEN_FULL_AT", "FLATTEN_START_LOGIT", "FLATTENING_HEADS",
           "FOUR_CHANNEL_HEADS", "HEADS", "MAX_PARAMETERS", "PAINT_FULL_AT", "PAINT_HARDNESS",
           "SmoothedTransposedHead", "Student", "StudentConfig", "build_student", "conv_macs", "count_parameters",
           "paint_colour", "paint_over", "strength_fade"]
