"""What the component sources (GANSpace, SeFa) share: a basis of W, a component chosen
by index or by its correlation with the attribute."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.sampling import SampleBank, std_along
from latentroom.plugins.directions.scoring import ScorerError
from latentroom.plugins.directions.source_base import (COMMON_DEFAULTS, DirectionSourceBase, FindContext,
                                                       suggest_layers)


def correlations(bank: SampleBank, basis: np.ndarray, center: np.ndarray) -> dict[str, np.ndarray]:
    """Pearson correlation of each component's coordinate ``(w - center) @ basis[k]``
    with each attribute over the bank: ``{attribute: [K]}``."""
    coords = (bank.ws - center) @ basis.T  # [N, K]
    coords = coords - coords.mean(0)
    coords /= np.maximum(np.linalg.norm(coords, axis=0), 1e-12)
    out = {}
    for name, scores in bank.scores.items():
        s = scores - scores.mean()
        norm = np.linalg.norm(s)
        out[name] = (coords.T @ s) / norm if norm > 0 else np.zeros(basis.shape[0])
    return out


class ComponentSource(DirectionSourceBase):
    """A source that offers a basis of components and picks the one most correlated
    with the attribute (sign aligned so positive strength increases it)."""

    defaults = {"components": 20, "component": None}
    without_scorer = " or pick a component by index with --component K (see `latentroom direction components`)"

    def _labels_samples(self, merged: Mapping[str, Any]) -> bool:
        # A chosen component needs no labels unless layers or conditioning are to be
        # chosen by their effect on attributes.
        return merged["component"] is None or merged["layers"] == "auto" or bool(merged["condition_on"])

    def basis(self, generator: Generator, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(components [K, D] unit rows, strengths [K] (variance or eigenvalue),
        center [D])``, strongest first."""
        raise NotImplementedError

    def components(self, generator: Generator, count: int | None = None, suggest: bool = False,
                   **params: Any) -> list[dict[str, Any]]:
        """The first ``count`` components, each labelled with the attribute it
        correlates with most; ``suggest=True`` also tries each on coarse/middle/fine/all
        layers (renders images) and adds ``suggested_layers``."""
        self._check(params)
        merged = {**COMMON_DEFAULTS, **self.defaults, **self.options, **params}
        scorer = merged.get("scorer")
        if scorer is None and merged.get("bank") is None:
            raise ScorerError(f"labelling {self.name} components needs an attribute scorer: pass --scorer")
        ctx = FindContext(generator, "", merged, scorer, merged.get("bank"))
        basis, strengths, center = self.basis(generator, merged)
        k = min(int(count or merged["components"]), basis.shape[0])
        corr = correlations(ctx.bank(), basis[:k], center)
        rows = []
        for i in range(k):
            label = max(corr, key=lambda name: abs(corr[name][i]))
            row: dict[str, Any] = {"index": i, "strength": float(strengths[i]), "label": label,
                                   "correlation": float(corr[label][i]),
                                   "correlations": {name: float(values[i]) for name, values in corr.items()}}
            if suggest:
                vector = basis[i] * np.sign(corr[label][i] or 1.0)
                layers, _ = suggest_layers(generator, scorer, vector, std_along(generator, vector), label,
                                           batch_size=int(merged["batch_size"]))
                row["suggested_layers"] = layers
            rows.append(row)
        return rows

    def vector(self, ctx: FindContext) -> np.ndarray:
        basis, strengths, center = self.basis(ctx.generator, ctx.params)
        if ctx.params.get("component") is not None:
            return self._chosen(ctx, basis, strengths)
        k = min(int(ctx.params["components"]), basis.shape[0])
        corr = correlations(ctx.bank(), basis[:k], center)
        values = corr.get(ctx.attribute)
        if values is None:
            ctx.bank().attribute(ctx.attribute)  # raises the unknown-attribute error
        best = int(np.argmax(np.abs(values)))
        sign = 1.0 if values[best] >= 0 else -1.0
        ctx.details.update({
            "component": best,
            "component_strength": float(strengths[best]),
            "correlation": float(values[best]),
            "correlations": {name: float(v[best]) for name, v in corr.items()},
        })
        return sign * basis[best]


    def _chosen(self, ctx: FindContext, basis: np.ndarray, strengths: np.ndarray) -> np.ndarray:
        """Component ``component`` as it is (the user names what it does): no labels."""
        index = ctx.params["component"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < basis.shape[0]:
            raise LatentroomError(f"{self.name}: component must be an index 0..{basis.shape[0] - 1}, got {index!r}")
        ctx.details.update({"component": index, "component_strength": float(strengths[index]),
                            "chosen_by": "index"})
        return basis[index]
