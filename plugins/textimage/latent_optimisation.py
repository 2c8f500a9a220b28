"""StyleCLIP's latent optimisation (Patashnik et al., 2021, sec. 4) for single images.

Where the global directions (:mod:`~latentroom.plugins.textimage.global_directions`)
give one direction for every image, this moves one image's own W+ latent ``w_s`` (its
inversion) by gradient descent on

    - <E_I(G(w)), dt>  +  l2 * ||w - w_s||^2  +  feature_weight * D_F(G(w), G(w_s))

* ``dt`` is the unit direction from the neutral text's embedding to the target text's
  (:func:`~latentroom.plugins.textimage.global_directions.text_delta`). As embeddings
  are unit vectors, ``<e, dt>`` is proportional to ``cos(e, text) - cos(e, neutral)``:
  how much more the image looks like the text than like the neutral text. StyleCLIP's
  plain ``1 - cos(e, text)`` also rewards what the two texts share ("a face"), which
  for a small model can outweigh the edit itself.
* ``||w - w_s||^2`` (squared Frobenius norm over the W+ layers, as StyleCLIP's L2 term)
  keeps the edit near the inversion; ``max_distance`` optionally makes that a hard
  budget: after every step an image whose latent left the ball is pulled back onto it.
* ``D_F`` compares the images through a registered feature network
  (:func:`~latentroom.plugins.inverters.features.feature_distance`), the role of
  StyleCLIP's identity loss. It must be another network than the text-image model:
  the edit is asked of that model, so letting it also judge what must not change would
  let the optimiser trade one against the other inside the same features.
* ``layers`` restricts the optimisation: only those W+ layers get a free offset; the
  others are copied from ``w_s`` and stay bit-for-bit equal.

Images are optimised in a batch, but every term is per image and Adam is elementwise,
so each image's result is what it would get alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator, TextImageModel
from latentroom.plugins.inverters.common import synthesize
from latentroom.plugins.inverters.features import feature_distance
from latentroom.plugins.textimage.global_directions import text_delta

FeatureNet = Callable[[torch.Tensor], Sequence[torch.Tensor]]


@dataclass(frozen=True)
class TextEditSettings:
    """What the optimisation moves toward and how far it may go (module docstring)."""

    text: str
    neutral: str = "a face"
    steps: int = 60
    # Adam moves every coordinate by up to about the learning rate per step, so one
    # step can move a toyfaces W+ latent (12 x 256 numbers) by ~0.55; 0.1 (StyleCLIP's)
    # spends a distance budget of 4 in its first step, in a direction of gradient signs.
    learning_rate: float = 0.01
    l2: float = 0.008
    max_distance: float | None = None
    layers: tuple[int, ...] | None = None  # None: every W+ layer
    feature_weight: float = 0.0

    def check(self, n_latent: int) -> None:
        """Raise :class:`LatentroomError` for a setting no optimisation could honour."""
        if not self.text.strip():
            raise LatentroomError("text edit: give the text to edit toward, e.g. --text 'a smiling face'")
        if self.steps < 1:
            raise LatentroomError(f"text edit: steps must be at least 1, got {self.steps}")
        if not self.learning_rate > 0:
            raise LatentroomError(f"text edit: the learning rate must be positive, got {self.learning_rate:g}")
        if not self.l2 >= 0 or not self.feature_weight >= 0:
            raise LatentroomError("text edit: the L2 and feature weights must be zero or positive")
        if self.max_distance is not None and not self.max_distance > 0:
            raise LatentroomError(f"text edit: the distance budget must be positive, got {self.max_distance:g}")
        if self.layers is not None and (not self.layers or min(self.layers) < 0 or max(self.layers) >= n_latent):
            raise LatentroomError(f"text edit: layers {list(self.layers)} are not within the generator's "
                                  f"{n_latent} W+ layers")


@dataclass
class TextEditResult:
    """Per image: the optimised W+ latent and its render, the text score before and
    after, the W+ distance moved; and the wall time of the whole batch."""

    ws: torch.Tensor  # [B, n_latent, style_dim]
    images: torch.Tensor  # [B, 3, size, size] in [-1, 1]
    score_before: np.ndarray  # [B]
    score_after: np.ndarray  # [B]
    distance: np.ndarray  # [B]
    seconds: float


def text_direction(model: TextImageModel, settings: TextEditSettings) -> torch.Tensor:
    """``dt`` ``[embed_dim]`` on the model's device; an unreadable or empty text is
    an error here, before any rendering."""
    return torch.from_numpy(text_delta(model, settings.text, settings.neutral)).float().to(model.device)


def text_score(model: TextImageModel, images: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """``[B]``: each image's embedding projected on the text direction."""
    return model.encode_images(images) @ direction


def compose(w_start: torch.Tensor, layers: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """``w_start`` with ``offset`` added on ``layers`` only; the other layers are
    copied, so they stay exactly equal (and get no gradient)."""
    return w_start.index_copy(1, layers, w_start.index_select(1, layers) + offset)


def pull_into_budget(offset: torch.Tensor, max_distance: float | None) -> None:
    """Scale each image's offset back onto the ball of radius ``max_distance`` when
    it left it (in place; a projected gradient step)."""
    if max_distance is None:
        return
    norms = offset.flatten(1).norm(dim=1).clamp_min(1e-12)
    offset.mul_((max_distance / norms).clamp(max=1.0).reshape(-1, 1, 1))


def optimise_latents(generator: Generator, model: TextImageModel, ws: torch.Tensor, settings: TextEditSettings,
                     noise: Sequence[torch.Tensor] | None = None, features: FeatureNet | None = None) -> TextEditResult:
    """Optimise W+ latents ``ws`` ``[B, n_latent, style_dim]`` toward ``settings.text``
    (module docstring). ``noise``: the noise maps the inversion fitted, reused so the
    start renders as the reconstruction did; ``features``: the preservation network,
    used when ``settings.feature_weight`` > 0."""
    settings.check(int(generator.n_latent))
    started = time.time()
    direction = text_direction(model, settings)
    w_start = ws.detach().to(generator.device).float()
    layers = torch.tensor(settings.layers if settings.layers is not None else range(generator.n_latent),
                          device=w_start.device)
    offset = torch.zeros(w_start.shape[0], len(layers), w_start.shape[2], device=w_start.device, requires_grad=True)
    with torch.no_grad():
        start_images = synthesize(generator, w_start, noise).float()
        score_before = text_score(model, start_images, direction)
        start_features = ([f.detach() for f in features(start_images)]
                          if features is not None and settings.feature_weight else None)
    optimiser = torch.optim.Adam([offset], lr=settings.learning_rate)
    for _ in range(settings.steps):
        images = synthesize(generator, compose(w_start, layers, offset), noise).float()
        loss = -text_score(model, images, direction) + settings.l2 * offset.pow(2).flatten(1).sum(1)
        if start_features is not None:
            loss = loss + settings.feature_weight * feature_distance(features(images), start_features)
        optimiser.zero_grad(set_to_none=True)
        loss.sum().backward(inputs=[offset])  # the generator's and model's weights need no gradient
        optimiser.step()
        with torch.no_grad():
            pull_into_budget(offset, settings.max_distance)
    return finish(generator, model, w_start, layers, offset, noise, direction, score_before, started)


@torch.no_grad()
def finish(generator: Generator, model: TextImageModel, w_start: torch.Tensor, layers: torch.Tensor,
           offset: torch.Tensor, noise: Sequence[torch.Tensor] | None, direction: torch.Tensor,
           score_before: torch.Tensor, started: float) -> TextEditResult:
    """The result of the last step, scored on its own render."""
    ws = compose(w_start, layers, offset.detach())
    images = synthesize(generator, ws, noise).float()
    score_after = text_score(model, images, direction)
    distance = (ws - w_start).flatten(1).norm(dim=1)
    return TextEditResult(ws, images, score_before.double().cpu().numpy(), score_after.double().cpu().numpy(),
                          distance.double().cpu().numpy(), time.time() - started)
