"""``latentroom invert``: images -> W+ latents (``.npz``) with any registered inverter.

Authoring command: torch is imported inside the command only. Shared with
``latentroom edit`` (:mod:`latentroom.engine.commands.edit`): input discovery (the rule every
image command follows, :mod:`latentroom.engine.inputs`), decoding, per-file error reporting and
the batched inversion loop.

Output ``.npz``: one float32 ``[n_latent, style_dim]`` array per input, keyed by its
relative name (``/``-separated: the file's name, or its path inside a folder given as
an argument; where ``apply`` and ``edit`` would write it), plus ``__metadata__``: a
JSON string with the generator spec, its weights sha256, the inverter and its
options, the feature network used and the files that failed.
"""

from __future__ import annotations

import inspect
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import click

from latentroom.engine.atomic import atomic_write
from latentroom.engine.errors import LatentroomError
from latentroom.engine.inputs import InputFile, collect_inputs

if TYPE_CHECKING:
    import numpy as np
    import torch

METADATA_KEY = "__metadata__"


@dataclass
class Failures:
    """Per-file errors: reported as they happen, summarised at the end."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: Path | str, reason: str) -> None:
        reason = reason.replace(f"{path}: ", "", 1)  # ImageError messages already name the file
        self.items.append((str(path), reason))
        click.echo(f"error: {path}: {reason}", err=True)


def gather_inputs(images: Sequence[Path], failures: Failures, exclude: Path | None = None) -> list[InputFile]:
    """The inputs by the shared rule (:func:`latentroom.engine.inputs.collect_inputs`); an
    argument that gives none is a per-file failure."""
    inputs, bad = collect_inputs(images, exclude=exclude)
    for problem in bad:
        failures.add(problem.argument, problem.reason)
    return inputs


def load_image(path: Path, size: int) -> "np.ndarray":
    """Decode, centre-crop to a square (the generators make square images; a crop
    keeps proportions where a squash would distort faces) and resize: float32
    ``[3, size, size]`` in ``[-1, 1]``."""
    import numpy as np

    from latentroom.engine.imaging import open_image, resize_rgb

    rgb = open_image(path).rgb
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    rgb = np.ascontiguousarray(rgb[top : top + side, left : left + side])
    unit = resize_rgb(rgb, size)  # float32 [size, size, 3] in [0, 1]
    return (unit.transpose(2, 0, 1) * 2.0 - 1.0).astype(np.float32)


OPTION_VALUES = ("VALUE is parsed as JSON when it parses (3, 0.5, true, null, [1,2], \"quoted\"), "
                 "else taken as a string.")


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


@dataclass
class Session:
    """A generator and an inverter built from the command-line options."""

    generator: Any
    inverter: Any
    device: str
    spec: str | None
    inverter_name: str
    options: dict[str, Any]

    def metadata(self) -> dict[str, Any]:
        return {"generator": self.spec or "toyfaces", "weights_sha256": getattr(self.generator, "weights_sha256", None),
                "inverter": self.inverter_name, "inverter_options": self.options,
                "features": getattr(self.inverter, "features_used", None),
                "n_latent": int(self.generator.n_latent), "style_dim": int(self.generator.style_dim),
                "size": int(self.generator.size)}


def open_session(spec: str | None, inverter_name: str, device: str, steps: int | None,
                 option_pairs: Sequence[str]) -> Session:
    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import get_inverter, resolve_generator

    dev = pick_torch_device(device)
    options = parse_options(option_pairs)
    if steps is not None:
        options["steps"] = steps
    contribution = get_inverter(inverter_name)  # unknown name: error before loading weights
    check_inverter_options(contribution, dev, options)
    generator = resolve_generator(spec, dev)
    inverter = contribution.value(generator, dev, **options)
    return Session(generator, inverter, dev, spec, inverter_name, options)


def check_inverter_options(contribution: Any, device: str, options: dict[str, Any]) -> None:
    """``--steps`` and ``-O`` reach any inverter's factory as keyword arguments; one
    whose signature cannot take them is a usage error, not a traceback."""
    try:
        signature = inspect.signature(contribution.value)
    except (TypeError, ValueError):
        return  # no introspectable signature: the factory will judge
    try:
        signature.bind(None, device, **options)
    except TypeError as exc:
        raise LatentroomError(f"inverter '{contribution.name}' (plugin '{contribution.plugin}'): {exc} "
                              "(options come from --steps and -O KEY=VALUE)") from None


def invert_files(session: Session, inputs: list[InputFile], batch_size: int, failures: Failures,
                 label: str) -> Iterator[tuple[list[InputFile], "torch.Tensor", list["torch.Tensor"] | None]]:
    """Decode and invert in batches; yields ``(files, ws [B, n_latent, D], noise or
    None)`` per batch. Undecodable files are reported and skipped; a batch whose
    inversion fails is reported file by file and the next batch goes on."""
    import numpy as np
    import torch

    size = int(session.generator.size)
    with click.progressbar(length=len(inputs), label=label, file=sys.stderr,
                           show_pos=True) as bar:
        start = 0
        while start < len(inputs):
            chunk = inputs[start : start + batch_size]
            start += batch_size
            arrays, ok = [], []
            for item in chunk:
                try:
                    arrays.append(load_image(item.path, size))
                    ok.append(item)
                except LatentroomError as exc:
                    failures.add(item.path, exc.message)
                except Exception as exc:  # decoding must never stop the batch
                    failures.add(item.path, f"cannot read image: {type(exc).__name__}: {exc}")
            if ok:
                images = torch.from_numpy(np.stack(arrays)).to(session.device)
                try:
                    ws = session.inverter.invert(images)
                    noise = getattr(session.inverter, "last_noise", None)
                except LatentroomError:
                    raise  # a configuration problem: it would fail for every batch
                except Exception as exc:
                    for item in ok:
                        failures.add(item.path, f"inversion failed: {type(exc).__name__}: {exc}")
                else:
                    yield ok, ws.detach(), noise
            bar.update(len(chunk))


def write_npz_atomic(arrays: dict[str, "np.ndarray"], output: Path) -> None:
    import numpy as np

    atomic_write(output, lambda f: np.savez(f, **arrays))


def common_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``invert`` and ``edit``."""
    decorators = [
        click.option("--inverter", "inverter_name", default="hybrid", show_default=True,
                     help="Registered inverter: projector, encoder, hybrid, or a plugin's."),
        click.option("--generator", "spec", default=None, metavar="SPEC",
                     help="NAME[:ARGUMENT], e.g. stylegan2:ffhq.pt (default: toyfaces)."),
        click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True,
                     help="Images inverted together (each is still independent)."),
        click.option("--steps", type=click.IntRange(min=0), default=None,
                     help="Optimisation steps: passed to the inverter as -O steps=K (projector, hybrid, "
                          "or a plugin's inverter that takes steps)."),
        click.option("-O", "--option", "option_pairs", multiple=True, metavar="KEY=VALUE",
                     help=f"Inverter option, repeatable (e.g. -O space=w -O weights=enc.pt). {OPTION_VALUES}"),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


@click.command("invert")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .npz file to write.")
@common_options
def invert_command(images: tuple[Path, ...], output: Path, inverter_name: str, spec: str | None,
                   batch_size: int, steps: int | None, option_pairs: tuple[str, ...], device: str) -> None:
    """Invert IMAGES (files, folders or glob patterns) into W+ latents saved in one .npz file."""
    failures = Failures()
    inputs = gather_inputs(images, failures)
    session = open_session(spec, inverter_name, device, steps, option_pairs)
    arrays: dict[str, Any] = {}
    for files, ws, _noise in invert_files(session, inputs, batch_size, failures, "inverting"):
        for item, w in zip(files, ws.float().cpu().numpy()):
            arrays[item.relative.as_posix()] = w
    if arrays:
        meta = {**session.metadata(), "failed": [{"file": f, "reason": r} for f, r in failures.items]}
        import numpy as np

        write_npz_atomic({**arrays, METADATA_KEY: np.array(json.dumps(meta))}, output)
        click.echo(f"wrote {output} ({len(arrays)} latents, {session.inverter_name}, {session.device})")
    if failures.items:
        click.echo(f"{len(failures.items)} file(s) failed", err=True)
        sys.exit(1)
