"""The presence gate of a binary edit's teacher (``author --presence-gate``).

Adding glasses to a face that already wears them should change nothing, and so
should taking a beard off a clean-shaven face: that is what the renderer's true edit
does. A latent direction does not know this: moved along it, a face with glasses
gets a second pair beside the first, a bearded face a redrawn mouth. A student
trained on those pairs learns the doubled features as part of the edit.

The gate weighs each teacher pair's change by how much the input still lacks the
attribute's end state, as a scorer reads the input: ``1 - p`` for a positive
strength, ``p`` for a negative one, where ``p`` is the scorer's probability that the
input has the attribute. The target becomes ``x + gate * (y - x)``.
"""

from __future__ import annotations

from typing import Any

import torch

from latentroom.plugins.directions.scoring import (ScorerError, ScorerSpec, binary_attributes, resolve_scorer,
                                                  score_images, scorer_name)
from latentroom.plugins.distill.errors import DistillError

GATE_MODES = ("auto", "on", "off")


class PresenceGate:
    """``gate(x, strength) -> [B]`` in 0-1 for images ``x`` in ``[-1, 1]``."""

    def __init__(self, scorer: Any, attribute: str) -> None:
        if attribute not in binary_attributes(scorer):
            raise ValueError(f"scorer {scorer_name(scorer)} does not read {attribute!r} as a yes/no attribute")
        self.scorer, self.attribute = scorer, attribute
        self.name = scorer_name(scorer)
        # The differentiable scores stay on the device: no host sync per batch.
        self.column = list(scorer.attributes).index(attribute) if hasattr(scorer, "torch_scores") else None

    @torch.no_grad()
    def presence(self, images: torch.Tensor) -> torch.Tensor:
        """The scorer's probability ``[B]`` that each image has the attribute."""
        if self.column is not None:
            return self.scorer.torch_scores(images.float())[:, self.column].float().clamp(0, 1)
        scores = score_images(self.scorer, images.float())[self.attribute]
        return torch.as_tensor(scores, dtype=torch.float32, device=images.device).clamp(0, 1)

    def __call__(self, images: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        present = self.presence(images)
        return torch.where(strength >= 0, 1 - present, present)

    def target(self, x: torch.Tensor, y: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """The gated teacher target ``x + gate * (y - x)`` for inputs ``x``, targets ``y``."""
        return x + self(x, strength)[:, None, None, None] * (y - x)


def resolve_gate(mode: str, scorer_spec: ScorerSpec, generator: Any, generator_spec: str, attribute: str,
                 device: str, scorer: Any = None) -> tuple[PresenceGate | None, str]:
    """The gate for ``--presence-gate MODE`` and a few words on it for the start line.
    ``auto`` gates where the scorer (``scorer`` when the caller already resolved it,
    else ``scorer_spec``, else the generator's own) reads ``attribute`` as yes/no and
    goes without one otherwise; ``on`` makes either shortfall an error, so a run asked
    to gate never trains ungated."""
    if mode not in GATE_MODES:
        raise DistillError(f"--presence-gate {mode!r}: expected one of {', '.join(GATE_MODES)}")
    if mode == "off":
        return None, "off"
    if scorer is None:
        try:
            scorer = resolve_scorer(scorer_spec, device, generator, generator_spec, [attribute])
        except ScorerError as exc:
            if mode == "on":
                raise DistillError(f"--presence-gate on needs a scorer for {attribute!r}: {exc}") from None
            return None, f"off (no scorer for {attribute!r}: pass --scorer to gate)"
    if attribute not in binary_attributes(scorer):
        if mode == "on":
            raise DistillError(f"--presence-gate on: scorer {scorer_name(scorer)} reads {attribute!r} as a "
                               "continuous score, not yes/no")
        return None, f"off ({attribute} is not yes/no for {scorer_name(scorer)})"
    gate = PresenceGate(scorer, attribute)
    return gate, f"{attribute} as {gate.name} reads the input"


__all__ = ["GATE_MODES", "PresenceGate", "resolve_gate"]
