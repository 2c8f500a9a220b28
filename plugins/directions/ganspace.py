"""Direction source ``ganspace``: principal components of sampled W."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.components import ComponentSource
from latentroom.plugins.directions.sampling import sample_w


class GANSpace(ComponentSource):
    """GANSpace: principal components of sampled ``w`` (mapping only, cheap).

    Extra parameters: ``components`` (20): how many leading components to consider;
    ``component`` (None): take this one by index, unlabelled (no scorer needed);
    ``pca_samples`` (20000).
    """

    name = "ganspace"
    defaults = {"components": 20, "component": None, "pca_samples": 20000}

    def basis(self, generator: Generator, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ws = sample_w(generator, int(params["pca_samples"]), int(params["seed"]) + 1,
                      float(params["truncation"])).double().numpy()
        center = ws.mean(0)
        cov = np.cov(ws - center, rowvar=False)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1]
        ratio = values[order] / max(values.sum(), 1e-12)
        return vectors[:, order].T, ratio, center
