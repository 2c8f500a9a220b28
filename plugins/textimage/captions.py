"""Captions for toyfaces renders, written from the renderer's ground-truth parameters.

A caption mentions some of a face's attributes, each in one of several phrasings,
as an adjective before the noun ("an old smiling person") or a clause after it
("a face with long blond hair, without glasses"). Negations are part of the
language ("no beard", "not wearing glasses"), so the text encoder must read word
order, not just a bag of words. Only what is clearly visible is mentioned: a
continuous attribute near the edge between two words is left out, and hair colour
is named only while the hair is not greying (the renderer greys hair with age).

:func:`training_caption` mentions a random subset (the contrastive training text);
:func:`full_caption` mentions every clear attribute (the retrieval benchmark's text).
The vocabulary is every word the phrase tables can produce, fixed by this module.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from latentroom.plugins.toyfaces.renderer import Params

# (kind, text): "adj" goes before the noun, "with" after it as a clause.
Phrase = tuple[str, str]

NOUNS: tuple[str, ...] = ("face", "person", "portrait", "head", "picture of a face", "photo of a person")
NEUTRAL_TEXT = "a face"

# Continuous attributes: (upper edge of the bin, phrases); a value within MARGIN of an
# edge is not mentioned (it could be read either way).
MARGIN = 0.04
_BINS: dict[str, tuple[tuple[float, tuple[Phrase, ...]], ...]] = {
    "age": (
        (0.3, (("adj", "young"), ("adj", "youthful"), ("with", "who is young"))),
        (0.65, (("adj", "middle-aged"),)),
        (1.01, (("adj", "old"), ("adj", "elderly"), ("adj", "older"), ("with", "who is old"))),
    ),
    "smile": (
        (0.3, (("adj", "frowning"), ("adj", "sad"), ("with", "with a frown"), ("with", "not smiling"))),
        (0.65, (("with", "with a neutral expression"), ("with", "with a straight mouth"))),
        (1.01, (("adj", "smiling"), ("adj", "happy"), ("with", "with a smile"), ("with", "with a broad smile"),
                ("with", "who is smiling"))),
    ),
    "skin_tone": (
        (0.3, (("with", "with light skin"), ("with", "with pale skin"), ("adj", "fair-skinned"))),
        (0.6, ()),
        (1.01, (("with", "with dark skin"), ("adj", "dark-skinned"))),
    ),
    "pose": (
        (0.3, (("with", "turned to the left"), ("with", "looking left"))),
        (0.7, (("with", "facing the camera"), ("with", "looking straight ahead"))),
        (1.01, (("with", "turned to the right"), ("with", "looking right"))),
    ),
    "face_width": (
        (0.2, (("with", "with a narrow face"), ("adj", "thin-faced"))),
        (0.8, ()),
        (1.01, (("with", "with a wide face"), ("adj", "round-faced"))),
    ),
    "eye_size": (
        (0.2, (("with", "with small eyes"),)),
        (0.8, ()),
        (1.01, (("with", "with big eyes"), ("with", "with large eyes"))),
    ),
}
_HAIR_LENGTH: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.3, ("short", "cropped")),
    (0.62, ("medium-length", "chin-length")),
    (1.01, ("long", "flowing")),
)
# Hair colour ramp of the renderer (near-black, dark brown, light brown, blond, copper)
# seen through hair_color; greying starts at age 0.45 and dominates from about 0.75.
_HAIR_COLOUR: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.14, ("black", "dark")),
    (0.36, ("brown", "dark brown")),
    (0.6, ("light brown", "brown")),
    (0.86, ("blond", "blonde", "fair")),
    (1.01, ("red", "ginger", "copper")),
)
GREY_FROM_AGE, COLOUR_UNTIL_AGE = 0.8, 0.4
_GLASSES: dict[bool, tuple[Phrase, ...]] = {
    True: (("with", "with glasses"), ("with", "wearing glasses"), ("with", "with round glasses"),
           ("with", "in glasses"), ("adj", "bespectacled")),
    False: (("with", "without glasses"), ("with", "with no glasses"), ("with", "not wearing glasses")),
}
_BEARD: dict[bool, tuple[Phrase, ...]] = {
    True: (("with", "with a beard"), ("with", "with a full beard"), ("adj", "bearded"),
           ("with", "with a short beard")),
    False: (("with", "without a beard"), ("with", "with no beard"), ("adj", "clean-shaven"),
            ("adj", "beardless")),
}
_BINARY = {"glasses": _GLASSES, "beard": _BEARD}
MENTION_KEYS = {"hair_length": "hair"}
"""The :func:`mentions` key under which an attribute is named, where it is not its own name."""


def _binned(value: float, bins: Sequence[tuple[float, Sequence[object]]]) -> Sequence[object]:
    lower = 0.0
    for upper, phrases in bins:
        if value < upper:
            near_edge = (lower > 0.0 and value - lower < MARGIN) or (upper < 1.0 and upper - value < MARGIN)
            return () if near_edge else phrases
        lower = upper
    return ()


def _hair_phrases(length: float, colour: float, age: float) -> tuple[Phrase, ...]:
    lengths = _binned(length, _HAIR_LENGTH)
    if age >= GREY_FROM_AGE:
        colours: Sequence[object] = ("grey", "gray", "white")
    elif age <= COLOUR_UNTIL_AGE:
        colours = _binned(colour, _HAIR_COLOUR)
    else:
        colours = ()
    options = [f"{l} {c}" for l in lengths for c in colours] + [str(l) for l in lengths] + [str(c) for c in colours]
    return tuple(("with", f"with {o} hair") for o in options)


def mentions(params: Params, index: int) -> dict[str, tuple[Phrase, ...]]:
    """Per clearly visible attribute of face ``index``, the phrases that describe it."""
    value = {k: float(np.asarray(v)[index]) for k, v in params.items() if np.asarray(v).ndim == 1}
    out: dict[str, tuple[Phrase, ...]] = {}
    for name, bins in _BINS.items():
        phrases = _binned(value[name], bins)
        if phrases:
            out[name] = tuple(phrases)  # type: ignore[arg-type]
    hair = _hair_phrases(value["hair_length"], value["hair_color"], value["age"])
    if hair:
        out["hair"] = hair
    out["glasses"] = _GLASSES[value["glasses"] > 0.5]
    out["beard"] = _BEARD[value["beard"] > 0.5]
    return out


def attribute_phrases(attribute: str, value: float) -> tuple[Phrase, ...]:
    """The phrases that name ``attribute`` alone at ``value`` (hair length without its
    colour); empty where a caption leaves it out."""
    if attribute in _BINARY:
        return _BINARY[attribute][value > 0.5]
    if attribute == "hair_length":
        return tuple(("with", f"with {length} hair") for length in _binned(value, _HAIR_LENGTH))
    return tuple(_binned(value, _BINS[attribute]))  # type: ignore[arg-type]


def named_ranges(attribute: str) -> tuple[tuple[float, float], ...]:
    """The value ranges in which :func:`attribute_phrases` names ``attribute``, one per
    word bin (the margins next to a bin's edges left out); a binary one's are its 0 and 1."""
    if attribute in _BINARY:
        return ((0.0, 0.0), (1.0, 1.0))
    bins: Sequence[tuple[float, Sequence[object]]] = _HAIR_LENGTH if attribute == "hair_length" else _BINS[attribute]
    ranges, lower = [], 0.0
    for upper, phrases in bins:
        if phrases:
            ranges.append((lower + MARGIN if lower > 0.0 else 0.0, upper - MARGIN if upper < 1.0 else 1.0))
        lower = upper
    return tuple(ranges)


def compose(phrases: Sequence[Phrase], noun: str) -> str:
    """Adjectives before the noun, clauses after it joined by commas and a last "and"."""
    adjs = [t for kind, t in phrases if kind == "adj"]
    clauses = [t for kind, t in phrases if kind == "with"]
    head = " ".join(adjs + [noun])
    article = "an" if head[0] in "aeiou" else "a"
    if len(clauses) > 1:
        tail = ", ".join(clauses[:-1]) + " and " + clauses[-1]
    else:
        tail = "".join(clauses)
    return f"{article} {head} {tail}".strip()


def training_caption(params: Params, index: int, rng: np.random.Generator) -> str:
    """A random subset of the face's attributes (usually several), random phrasings and order."""
    found = mentions(params, index)
    names = list(found)
    count = int(rng.integers(0, len(names) + 1)) if rng.random() < 0.3 else int(rng.integers(len(names) // 2, len(names) + 1))
    chosen = [names[i] for i in rng.permutation(len(names))[:count]]
    phrases = [found[n][int(rng.integers(len(found[n])))] for n in chosen]
    return compose(phrases, NOUNS[int(rng.integers(len(NOUNS)))])


def full_caption(params: Params, index: int, rng: np.random.Generator) -> str:
    """Every clearly visible attribute, random phrasings, fixed attribute order."""
    found = mentions(params, index)
    phrases = [found[n][int(rng.integers(len(found[n])))] for n in found]
    return compose(phrases, NOUNS[int(rng.integers(len(NOUNS)))])


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def words(text: str) -> list[str]:
    """Lower-case words; punctuation other than inner hyphens is dropped."""
    return _WORD.findall(text.lower())


def vocabulary() -> list[str]:
    """Every word a caption (or a user text built from the same phrases) can contain,
    plus the connectives users write ("and", "with", ...), sorted."""
    texts: list[str] = list(NOUNS) + [NEUTRAL_TEXT, "a an the and with without not no who is of"]
    for bins in _BINS.values():
        texts += [t for _, phrases in bins for _, t in phrases]
    texts += [f"{l} {c} hair" for _, ls in _HAIR_LENGTH for l in ls for _, cs in _HAIR_COLOUR for c in cs]
    texts += ["grey gray white", *(t for v in (_GLASSES, _BEARD) for ps in v.values() for _, t in ps)]
    return sorted({w for t in texts for w in words(t)})
