"""Counterfactual twins: a face and the same face with one attribute changed, captioned
so that the two captions differ only where the faces do.

Contrastive training on random captioned renders lets a model ignore an attribute that
other attributes already tell apart: most captions of a batch differ in hair, glasses
or age, so a model that never reads the mouth loses little. A twin pair in the batch
is a pair of hard negatives that only the changed attribute separates, so the loss pays
for reading every attribute (NegCLIP's hard negatives, written from the renderer's
truth). Paying is not enough where the image tower cannot see it: twins alone left
smiles at chance until the tower got its full-resolution stem (:class:`toyclip.ImageTower`).

Each pair puts its attribute in two different word bins (:func:`captions.named_ranges`),
away from the bins' edges; both captions share the same noun and the same randomly
chosen phrases for every other attribute that reads the same on both faces.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from latentroom.plugins.textimage.captions import (MENTION_KEYS, NOUNS, Phrase, attribute_phrases, compose,
                                                   mentions, named_ranges)
from latentroom.plugins.toyfaces.renderer import Params, concat, sample_params

TWIN_ATTRIBUTES: tuple[str, ...] = ("smile", "age", "hair_length", "skin_tone", "pose", "face_width", "eye_size",
                                    "glasses", "beard")


def twin_pairs(rng: np.random.Generator, count: int,
               attributes: Sequence[str] | None = None) -> tuple[Params, list[str], list[str]]:
    """``2 * count`` faces (face ``i`` and face ``count + i`` are twins), their
    captions, and each pair's changed attribute (drawn from :data:`TWIN_ATTRIBUTES`
    unless ``attributes`` gives one per pair)."""
    if attributes is None:
        attributes = [TWIN_ATTRIBUTES[k] for k in rng.integers(len(TWIN_ATTRIBUTES), size=count)]
    base = sample_params(rng, count)
    twin = {key: value.copy() for key, value in base.items()}
    for i, attribute in enumerate(attributes):
        ranges = named_ranges(attribute)
        first, second = rng.choice(len(ranges), size=2, replace=False)
        base[attribute][i] = rng.uniform(*ranges[first])
        twin[attribute][i] = rng.uniform(*ranges[second])
    pairs = [twin_captions(base, twin, i, attribute, rng) for i, attribute in enumerate(attributes)]
    return concat([base, twin]), [a for a, _ in pairs] + [b for _, b in pairs], list(attributes)


def twin_captions(base: Params, twin: Params, index: int, attribute: str,
                  rng: np.random.Generator) -> tuple[str, str]:
    """Captions of face ``index`` in ``base`` and in ``twin`` that differ only in the
    phrase naming ``attribute``."""
    on_base, on_twin = mentions(base, index), mentions(twin, index)
    own_key = MENTION_KEYS.get(attribute, attribute)
    # Age greys the hair: a phrase counts as shared only where it reads the same on both.
    shared = [name for name in on_base if name != own_key and on_twin.get(name) == on_base[name]]
    chosen = [shared[k] for k in rng.permutation(len(shared))[:int(rng.integers(len(shared) + 1))]]
    phrases: list[Phrase] = [on_base[name][int(rng.integers(len(on_base[name])))] for name in chosen]
    position = int(rng.integers(len(phrases) + 1))
    noun = NOUNS[int(rng.integers(len(NOUNS)))]

    def caption(params: Params) -> str:
        options = attribute_phrases(attribute, float(params[attribute][index]))
        own = options[int(rng.integers(len(options)))]
        return compose([*phrases[:position], own, *phrases[position:]], noun)

    return caption(base), caption(twin)


__all__ = ["TWIN_ATTRIBUTES", "twin_captions", "twin_pairs"]
