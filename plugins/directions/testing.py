"""Planted worlds for testing direction sources (and dry-running the measurement script).

* :class:`PlantedGenerator` satisfies :class:`latentroom.engine.protocols.Generator`: ``w = z``
  (isotropic) and its "images" carry the W+ latent itself in their pixels.
* :class:`PlantedScorer` reads the latent back out of the pixels and scores each
  attribute as a known linear function of ``w`` (over chosen W+ layers): the true
  direction of every attribute is known, so a source can be checked against it.
* :func:`image_stats_scorer` scores *any* generator's images by simple pixel
  statistics (brightness, redness, ...): a stand-in for the classifier on a random
  StyleGAN2. Named on the command line as
  ``--scorer plugins.directions.testing:image_stats_scorer``;
  :func:`channel_spread_scorer` is a second one to join with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import torch

from latentroom.plugins.directions.scoring import binary_columns_as_probabilities

PIXEL_SCALE = 8.0  # latents are stored divided by this, so pixels stay roughly in [-1, 1]


class PlantedGenerator:
    """A toy generator whose images encode their own W+ latent. ``w = z * spread``:
    isotropic by default; a ``spread`` of per-coordinate standard deviations makes W
    anisotropic, as a trained mapping network's is."""

    weights_sha256 = None

    def __init__(self, style_dim: int = 16, n_latent: int = 6, device: str = "cpu",
                 spread: np.ndarray | None = None) -> None:
        self.style_dim = style_dim
        self.n_latent = n_latent
        self.size = int(np.ceil(np.sqrt(style_dim * n_latent / 3)))
        self.device = torch.device(device)
        self.spread = torch.ones(style_dim) if spread is None else torch.as_tensor(spread, dtype=torch.float32)

    def mapping(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        return truncation * z.to(self.device).float() * self.spread.to(self.device)

    def mean_latent(self) -> torch.Tensor:
        return torch.zeros(self.style_dim, device=self.device)

    def synthesis(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        if ws.ndim == 2:
            ws = ws.unsqueeze(1).expand(-1, self.n_latent, -1)
        flat = ws.reshape(ws.shape[0], -1) / PIXEL_SCALE
        pixels = torch.zeros(ws.shape[0], 3 * self.size * self.size, device=ws.device)
        pixels[:, : flat.shape[1]] = flat
        return pixels.reshape(-1, 3, self.size, self.size)


def unit_vectors(style_dim: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` random unit vectors ``[count, style_dim]`` (not orthogonal)."""
    v = np.random.default_rng(seed).standard_normal((count, style_dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@dataclass
class PlantedScorer:
    """Attribute ``a`` = mean over ``layers[a]`` of ``ws[:, layer] @ vectors[a]``;
    attributes named in ``binary`` are reported as ``sigmoid(sharpness * that)``, a
    probability that saturates away from zero when ``sharpness`` is large (as a
    trained classifier's does)."""

    vectors: Mapping[str, np.ndarray]
    style_dim: int
    n_latent: int
    layers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    binary: frozenset[str] = frozenset()
    sharpness: float = 3.0
    name: str = "planted"

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(self.vectors)

    def torch_logits(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, A]`` in ``attributes`` order, differentiable (float64); binary columns
        as logits."""
        flat = images.reshape(images.shape[0], -1)[:, : self.n_latent * self.style_dim]
        ws = flat.double().reshape(-1, self.n_latent, self.style_dim) * PIXEL_SCALE
        columns = []
        for name, vector in self.vectors.items():
            layers = list(self.layers.get(name, range(self.n_latent)))
            value = (ws[:, layers] @ torch.as_tensor(np.asarray(vector), dtype=ws.dtype, device=ws.device)).mean(1)
            columns.append(self.sharpness * value if name in self.binary else value)
        return torch.stack(columns, dim=1)

    def torch_scores(self, images: torch.Tensor) -> torch.Tensor:
        """As :meth:`torch_logits` with the binary columns as probabilities."""
        return binary_columns_as_probabilities(self, self.torch_logits(images))

    def __call__(self, images: torch.Tensor) -> dict[str, np.ndarray]:
        with torch.no_grad():
            scores = self.torch_scores(images).cpu().numpy()
        return {name: scores[:, i] for i, name in enumerate(self.attributes)}


def planted_world(style_dim: int = 16, n_latent: int = 6) -> tuple[PlantedGenerator, PlantedScorer]:
    """A generator and scorer with four attributes: ``smile`` and ``age`` (continuous,
    all layers), ``glasses`` (binary) and ``beard`` whose vector has cosine 0.6 with
    ``hair_length``'s (a correlated pair for conditional manipulation)."""
    smile, age, glasses, hair, other = unit_vectors(style_dim, 5, seed=3)
    # Build beard = 0.6 hair + 0.8 (unit vector orthogonal to hair): cosine exactly 0.6.
    ortho = other - (other @ hair) * hair
    beard = 0.6 * hair + 0.8 * ortho / np.linalg.norm(ortho)
    vectors = {"smile": smile, "age": age, "glasses": glasses, "hair_length": hair, "beard": beard}
    return (PlantedGenerator(style_dim, n_latent),
            PlantedScorer(vectors, style_dim, n_latent, binary=frozenset({"glasses"})))


class ImageStatsScorer:
    """Pixel statistics as attributes, on the 0-1 scale: ``brightness``, ``redness``,
    ``greenness``, ``left_right`` (left half brighter), ``top_bottom``, ``contrast``."""

    name = "latentroom.plugins.directions.testing:image_stats_scorer"
    attributes = ("brightness", "redness", "greenness", "left_right", "top_bottom", "contrast")
    binary: frozenset[str] = frozenset()

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return self.torch_scores(images).cpu().numpy()

    def torch_scores(self, images: torch.Tensor) -> torch.Tensor:
        x = (images.float().clamp(-1, 1) + 1) / 2  # [B, 3, H, W] in 0-1
        gray = x.mean(1)
        h, w = gray.shape[-2:]
        stats = torch.stack([
            gray.mean((1, 2)),
            0.5 + (x[:, 0] - x[:, 1:].mean(1)).mean((1, 2)) / 2,
            0.5 + (x[:, 1] - x[:, [0, 2]].mean(1)).mean((1, 2)) / 2,
            0.5 + (gray[:, :, : w // 2].mean((1, 2)) - gray[:, :, w // 2 :].mean((1, 2))) / 2,
            0.5 + (gray[:, : h // 2].mean((1, 2)) - gray[:, h // 2 :].mean((1, 2))) / 2,
            gray.flatten(1).std(1),
        ], dim=1)
        return stats


def image_stats_scorer(device: str = "cpu") -> ImageStatsScorer:
    """Factory for ``--scorer plugins.directions.testing:image_stats_scorer``."""
    return ImageStatsScorer()


class ChannelSpreadScorer:
    """A second pixel-statistics scorer, to join with :class:`ImageStatsScorer`:
    ``brightness`` read another way (the brightest channel's mean; the joined scorer
    keeps the first reader's) and ``saturation`` (the mean spread between channels)."""

    name = "latentroom.plugins.directions.testing:channel_spread_scorer"
    attributes = ("brightness", "saturation")
    binary: frozenset[str] = frozenset()

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return self.torch_scores(images).cpu().numpy()

    def torch_scores(self, images: torch.Tensor) -> torch.Tensor:
        x = (images.float().clamp(-1, 1) + 1) / 2
        return torch.stack([x.mean((2, 3)).max(1).values, (x.max(1).values - x.min(1).values).mean((1, 2))], dim=1)


def channel_spread_scorer(device: str = "cpu") -> ChannelSpreadScorer:
    """Factory for ``--scorer plugins.directions.testing:channel_spread_scorer``."""
    return ChannelSpreadScorer()


def tiny_stylegan2(size: int = 16, style_dim: int = 32, seed: int = 0) -> torch.nn.Module:
    """A small random StyleGAN2 (plugins.stylegan2.model) for tests and dry runs."""
    from latentroom.plugins.stylegan2.model import Generator

    torch.manual_seed(seed)
    return Generator(size, style_dim=style_dim, n_mlp=2, channel_multiplier=1, channel_cap=32).eval()
