"""Direction source ``optimized``: a direction optimised through the generator and a
differentiable scorer."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch

from latentroom.engine.direction import parse_layers
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.edit import to_wplus
from latentroom.plugins.directions.mean_difference import MeanDifference
from latentroom.plugins.directions.scoring import (BINARY_TEMPERATURE, binary_attributes, target_parts,
                                                  training_scores)
from latentroom.plugins.directions.source_base import (DirectionSourceBase, FindContext, layer_mask,
                                                       project_out, require_differentiable)


# Smallest gain the optimized source takes a log of (scores are on a 0-1 scale).
GAIN_FLOOR = 1e-4
START_MODES = ("mean-difference", "conditioned")


class Optimized(DirectionSourceBase):
    """A unit direction trained through the generator and a differentiable scorer.

    Every step moves ``batch_size`` bank samples ``step`` standard deviations along
    ``d`` (on the direction's layers) and measures the target attribute's mean change
    (the gain) and every other attribute's mean absolute change (its leak). Adam on
    ``d`` minimises ``-log(gain) + others_weight * sum(relu(leak / gain - isolation))``:
    as much gain as possible while each leak stays below ``isolation`` times the gain.
    Both terms are ratios or logs, so shrinking the edit (moving ``d`` to where W
    hardly varies) does not lower the loss; a difference ``leak - gain`` is lowered
    by it, and when the start leaks more than it gains, an edit that does nothing
    wins.

    The sampling sources read the attribute *linearly* off ``w``; where the generator's
    W is entangled, what moves along such a direction is not what was read. This
    source scores the edit itself, so the other attributes' changes are penalised as
    the generator actually makes them. It starts from the mean difference (``start``).

    Needs a scorer with ``torch_scores(images) -> Tensor [B, A]`` (differentiable, in
    the order of its ``attributes``); the toyfaces classifier has one. Binary
    attributes are trained on ``sigmoid(logit / binary_temperature)`` when the scorer
    also has ``torch_logits`` (see :func:`latentroom.plugins.directions.scoring.training_scores`):
    a saturated probability has no gradient to follow.

    A composed attribute ``A+B`` (each a scorer column, e.g. two texts of the ``text``
    scorer) raises every part: the loss takes ``-sum(log(gain_i))``, so no part can be
    traded for another (one summed score can be raised by one part while the other
    falls), and the leaks are measured against the smallest gain. It starts from the
    sum of the parts' mean differences and needs explicit ``layers``.

    Extra parameters: ``steps`` (200), ``lr`` (0.01), ``step`` (2.0: edit size in
    standard deviations along ``d`` during training), ``isolation`` (0.15, below the
    acceptance criterion's 0.25), ``others_weight`` (10), ``binary_temperature``
    (5.0), ``fraction`` (0.3, for the mean-difference start), ``start``
    (``mean-difference``, or ``conditioned``: the other columns' mean differences
    projected out of it first). Samples come from the bank; ``batch_size`` latents per
    step.
    """

    name = "optimized"
    composes_attributes = True
    defaults = {"steps": 200, "lr": 0.01, "step": 2.0, "isolation": 0.15, "others_weight": 10.0,
                "binary_temperature": BINARY_TEMPERATURE, "fraction": 0.3, "start": "mean-difference"}

    def vector(self, ctx: FindContext) -> np.ndarray:
        require_differentiable(ctx.scorer, "direction source 'optimized'")
        generator, p = ctx.generator, ctx.params
        parts = target_parts(ctx.attribute, ctx.scorer.attributes)
        layer_spec = p["layers"]
        # Settings that cannot work fail before the bank is drawn (minutes on a big generator).
        if layer_spec == "auto" and len(parts) > 1:
            raise LatentroomError(f"direction source 'optimized': the composed attribute {ctx.attribute!r} "
                                  "needs explicit layers (e.g. --layers 0-7), not auto")
        if p["start"] not in START_MODES:
            raise LatentroomError(f"direction source 'optimized': start={p['start']!r}: expected one of "
                                  f"{', '.join(START_MODES)}")
        bank = ctx.bank()
        for part in parts:
            bank.attribute(part)  # unknown attributes fail here, with the known ones listed
        names = list(ctx.scorer.attributes)
        targets = [names.index(part) for part in parts]
        others = [i for i in range(len(names)) if i not in targets]
        n_latent = generator.n_latent
        layers = range(n_latent) if layer_spec == "auto" else parse_layers(layer_spec, n_latent)
        device = torch.device(generator.device)
        mask = layer_mask(n_latent, layers, device)
        ws = torch.from_numpy(bank.ws).float()
        start = _start(bank, parts, [names[i] for i in others], p)
        d = torch.tensor(start, dtype=torch.float32, requires_grad=True)
        optimizer = torch.optim.Adam([d], lr=float(p["lr"]))
        batch = min(int(p["batch_size"]), len(ws))
        draw = torch.Generator().manual_seed(int(p["seed"]))
        temperature = float(p["binary_temperature"])
        history = []
        for _ in range(int(p["steps"])):
            unit = d / d.norm()
            offset = float(p["step"]) * (ws @ unit).std() * unit  # one sd of the bank along d
            base = to_wplus(ws[torch.randint(len(ws), (batch,), generator=draw)], n_latent).to(device)
            moved = base + mask * offset.to(device)
            scores = training_scores(ctx.scorer, generator.synthesis(torch.cat([base, moved])).float(), temperature)
            change = scores[batch:] - scores[:batch]
            gains = change[:, targets].mean(0)
            gain = gains.min()
            leaks = change[:, others].abs().mean(0)
            excess = torch.relu(leaks / gain.clamp_min(GAIN_FLOOR) - float(p["isolation"])).sum()
            loss = float(p["others_weight"]) * excess - _log_gain(gains).sum()
            leak = leaks.sum()
            # Gradients for d only: the generator's and scorer's parameters stay untouched.
            (grad,) = torch.autograd.grad(loss, [d])
            d.grad = grad
            optimizer.step()
            history.append((float(gain.detach()), float(leak.detach())))
        ctx.details["optimized"] = {
            "cosine_with_start": float(np.dot(start, (d / d.norm()).detach().numpy())),
            "first_gain_leak": list(history[0]) if history else None,
            "last_gain_leak": [float(v) for v in np.mean(history[-10:], axis=0)] if history else None,
            "binary_softened": hasattr(ctx.scorer, "torch_logits") and bool(binary_attributes(ctx.scorer)),
        }
        return (d / d.norm()).detach().double().numpy()


def _start(bank: Any, parts: list[str], others: list[str], p: Mapping[str, Any]) -> np.ndarray:
    """The unit direction training starts from: the sum of the parts' mean differences;
    with ``start=conditioned``, with the other columns' mean differences projected out
    (InterFaceGAN's conditioning), for a target whose raw mean difference carries so
    much of the others that training, a local search, stays near it."""
    source = MeanDifference(fraction=p["fraction"])
    start = sum(source.normal(bank, part) for part in parts)
    if p["start"] == "conditioned":
        return project_out(start, [source.normal(bank, other) for other in others])
    return start / np.linalg.norm(start)


def _log_gain(gain: torch.Tensor) -> torch.Tensor:
    """``log(gain)``, continued below ``GAIN_FLOOR`` by its tangent there: a gain that
    went to zero or below has no log, yet must still be pushed back up."""
    tangent = math.log(GAIN_FLOOR) + (gain - GAIN_FLOOR) / GAIN_FLOOR
    return torch.where(gain > GAIN_FLOOR, torch.log(gain.clamp_min(GAIN_FLOOR)), tangent)
