"""Command-line options that authoring commands share, defined once.

Core and plugin commands decorate with these so ``--device``, ``--generator`` and the
``KEY=VALUE`` options read and parse alike everywhere. Importing this module costs
only click (``latentroom --help`` imports every command module).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence, TypeVar

import click

from latentroom.engine.errors import LatentroomError

F = TypeVar("F", bound=Callable[..., Any])

OPTION_VALUES = ("VALUE is parsed as JSON when it parses (3, 0.5, true, null, [1,2], \"quoted\"), "
                 "else taken as a string.")
GENERATOR_DEFAULT = "default: toyfaces"
FROM_DIRECTION = "default: the generator recorded in the direction file"


def device_option(function: F) -> F:
    """``--device auto|cpu|cuda`` into the ``device`` parameter."""
    return click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
                        show_default=True, help="Torch device; auto: CUDA when present.")(function)


def generator_option(default: str = GENERATOR_DEFAULT) -> Callable[[F], F]:
    """``--generator SPEC`` into the ``spec`` parameter; ``default`` says in ``--help``
    what a command uses without it."""
    return click.option("--generator", "spec", default=None, metavar="SPEC",
                        help=f"NAME[:ARGUMENT], e.g. stylegan2:ffhq.pt ({default}).")


SCORERS = ("a registered NAME[:ARGUMENT] (toyfaces-classifier, onnx:MODEL.onnx, text:'NAME=A TEXT' for a "
           "text-image model's reading, ...; `latentroom plugins --all` lists them) or module:factory. Repeat to "
           "join scorers: the first to name an attribute reads it (a text for the edit, a classifier to hold "
           "the rest still).")


def scorer_option(purpose: str = "Attribute scorer",
                  without: str = "Default: the generator's own, if it names one.") -> Callable[[F], F]:
    """``--scorer``, repeatable, into the ``scorer_specs`` tuple (the scorers are joined);
    ``purpose`` opens the help and ``without`` says what the command uses without it."""
    return click.option("--scorer", "scorer_specs", multiple=True, metavar="NAME[:ARGUMENT]",
                        help=f"{purpose}: {SCORERS} {without}")


def key_value_option(*flags: str, dest: str, help: str) -> Callable[[F], F]:
    """A repeatable ``KEY=VALUE`` option collected as a tuple into ``dest``; parse it
    with :func:`parse_options`."""
    return click.option(*flags, dest, multiple=True, metavar="KEY=VALUE", help=f"{help} {OPTION_VALUES}")


def parse_options(pairs: Sequence[str], flag: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` pairs given with ``flag``; values are JSON when they parse
    (numbers, true/false, null, lists), else plain strings (:data:`OPTION_VALUES`
    says so in ``--help``)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise LatentroomError(f"{flag} {pair!r}: expected KEY=VALUE")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def parse_widths(text: str, flag: str = "--widths") -> tuple[int, ...]:
    """``"8,16,32"`` -> ``(8, 16, 32)``: the channel widths per level of a network
    (``author --widths``, ``train-encoder --widths``); at least two, all positive."""
    try:
        widths = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise LatentroomError(f"{flag} {text!r}: expected comma-separated channel counts") from None
    if len(widths) < 2 or min(widths) < 1:
        raise LatentroomError(f"{flag} {text!r}: need at least two positive widths")
    return widths
