"""Direction source ``sefa``: closed-form factorisation of the modulation weights."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from latentroom.engine.direction import parse_layers
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.components import ComponentSource
from latentroom.plugins.directions.modulations import stacked_modulations
from latentroom.plugins.directions.sampling import sample_w


class SeFa(ComponentSource):
    """SeFa: closed-form factorisation. The eigenvectors of ``A^T A``, where ``A``
    stacks the style-modulation weight rows (each normalised to unit length, as in
    the SeFa paper) of the chosen layers' modulated convolutions. No sampling is needed
    for the eigenvectors; labelled samples only name them.

    Extra parameters: ``components`` (20); ``component`` (None, as for GANSpace);
    ``include_torgb`` (False): also stack the to-RGB layers' modulations (the paper uses
    the convolutions only).
    ``layers`` chooses both which weights are factorised and where the result applies
    (``auto`` factorises all layers, then picks where to apply it).
    """

    name = "sefa"
    defaults = {"components": 20, "component": None, "include_torgb": False}

    def basis(self, generator: Generator, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        spec = params["layers"]
        layers = parse_layers(None if spec == "auto" else spec, generator.n_latent)
        a = stacked_modulations(generator, layers, bool(params["include_torgb"]))
        values, vectors = np.linalg.eigh(a.T @ a)
        order = np.argsort(values)[::-1]
        # Eigenvectors in W need no centre; the labels use the mean w as the origin.
        center = sample_w(generator, 4096, int(params["seed"]) + 1).double().numpy().mean(0)
        return vectors[:, order].T, values[order], center
