"""Sampling latents and scoring the images they make.

Every source that needs labelled samples draws them through :func:`draw_bank`, and a
:class:`SampleBank` can be passed to several ``find`` calls (``bank=``) so that the
measurement script renders and scores once for all sources and attributes.

Latents are drawn on the CPU from one seeded stream (as ``latentroom generate``
does), so a seed gives the same samples on any device and for any batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.scoring import Scores, binary_attributes, score_images, scorer_record

DEFAULT_BATCH = 32


@dataclass
class SampleBank:
    """``ws`` float64 ``[N, style_dim]`` with the scores of their images."""

    ws: np.ndarray
    scores: Scores
    binary: frozenset[str]
    seed: int
    truncation: float
    scorer: str | list[str]  # as provenance records it (scoring.scorer_record)

    def __len__(self) -> int:
        return int(self.ws.shape[0])

    def attribute(self, name: str) -> np.ndarray:
        if name not in self.scores:
            known = ", ".join(sorted(self.scores))
            scorer = self.scorer if isinstance(self.scorer, str) else " & ".join(self.scorer)
            raise LatentroomError(f"unknown attribute '{name}' for scorer {scorer} (known: {known})")
        return self.scores[name]

    def describe(self) -> dict[str, Any]:
        return {"samples": len(self), "seed": self.seed, "truncation": self.truncation, "scorer": self.scorer}


@torch.no_grad()
def sample_w(generator: Generator, n: int, seed: int, truncation: float = 1.0,
             batch_size: int = 1024) -> torch.Tensor:
    """``n`` mapped latents ``[n, style_dim]`` (float32, on the CPU)."""
    z_all = torch.randn(n, generator.style_dim, generator=torch.Generator().manual_seed(seed))
    parts = [generator.mapping(z_all[i : i + batch_size].to(generator.device), truncation=truncation).float().cpu()
             for i in range(0, n, batch_size)]
    return torch.cat(parts) if parts else torch.zeros(0, generator.style_dim)


@torch.no_grad()
def render_and_score(generator: Generator, scorer: Callable[..., Any], ws: torch.Tensor,
                     batch_size: int = DEFAULT_BATCH, noise_mode: str = "const") -> Scores:
    """Synthesise ``ws`` (``[N, D]`` or W+ ``[N, n_latent, D]``) and score the images."""
    parts: list[Scores] = []
    for i in range(0, ws.shape[0], batch_size):
        images = generator.synthesis(ws[i : i + batch_size].to(generator.device), noise_mode=noise_mode)  # type: ignore[arg-type]
        parts.append(score_images(scorer, images.float()))
    if not parts:
        return {}
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def draw_bank(generator: Generator, scorer: Callable[..., Any], samples: int, seed: int = 0,
              truncation: float = 1.0, batch_size: int = DEFAULT_BATCH) -> SampleBank:
    """Sample ``samples`` latents, render and score them."""
    if samples < 4:
        raise LatentroomError(f"need at least 4 samples to find a direction, got {samples}")
    ws = sample_w(generator, samples, seed, truncation)
    scores = render_and_score(generator, scorer, ws, batch_size)
    return SampleBank(ws.double().numpy(), scores, binary_attributes(scorer), seed, truncation, scorer_record(scorer))


def std_along(generator: Generator, vector: np.ndarray, seed: int = 12345, samples: int = 4096) -> float:
    """Standard deviation of mapped ``w`` along ``vector``: the W distance that one
    unit of strength stands for. Mapping only (no synthesis), so it is cheap."""
    ws = sample_w(generator, samples, seed).double().numpy()
    std = float(np.std(ws @ np.asarray(vector, dtype=np.float64)))
    # A generator whose w has no spread along the vector (degenerate mapping) would
    # give a zero scale; fall back to raw W units rather than an unusable direction.
    return std if std > 1e-8 else 1.0
