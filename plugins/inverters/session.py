"""What ``latentroom invert`` and ``latentroom edit`` share: input discovery (the rule
every image command follows, :mod:`latentroom.engine.inputs`), decoding, per-file error
reporting, the generator-and-inverter session and the batched inversion loop.

Torch is imported inside the functions only, so the command modules that import this
one stay torch-free for ``latentroom --help``.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import click

from latentroom.engine.atomic import atomic_write
from latentroom.engine.cli_options import device_option, generator_option, key_value_option
from latentroom.engine.errors import LatentroomError
from latentroom.engine.inputs import InputFile, collect_inputs

if TYPE_CHECKING:
    import numpy as np
    import torch

@dataclass
class Failures:
    """Per-file errors: reported as they happen, summarised at the end."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: Path | str, reason: str) -> None:
        reason = reason.replace(f"{path}: ", "", 1)  # ImageError messages already name the file
        self.items.append((str(path), reason))
        click.echo(f"error: {path}: {reason}", err=True)


def exit_on_failures(failures: Failures) -> None:
    """End the command with status 1 when any file failed (each was reported already)."""
    if failures.items:
        click.echo(f"{len(failures.items)} file(s) failed", err=True)
        sys.exit(1)


def gather_inputs(images: Sequence[Path], failures: Failures, exclude: Path | None = None) -> list[InputFile]:
    """The inputs by the shared rule (:func:`latentroom.engine.inputs.collect_inputs`); an
    argument that gives none is a per-file failure."""
    inputs, bad = collect_inputs(images, exclude=exclude)
    for problem in bad:
        failures.add(problem.argument, problem.reason)
    return inputs


@dataclass
class Session:
    """A generator and an inverter built from the command-line options."""

    generator: Any
    inverter: Any
    device: str
    spec: str
    inverter_name: str
    options: dict[str, Any]

    def metadata(self) -> dict[str, Any]:
        return {"generator": self.spec, "weights_sha256": getattr(self.generator, "weights_sha256", None),
                "inverter": self.inverter_name, "inverter_options": self.options,
                "features": getattr(self.inverter, "features_used", None),
                "n_latent": int(self.generator.n_latent), "style_dim": int(self.generator.style_dim),
                "size": int(self.generator.size)}


def open_session(spec: str, inverter_name: str, device: str, steps: int | None,
                 option_pairs: Sequence[str]) -> Session:
    """The generator ``spec`` and the inverter on ``device``; inverter options from
    ``--steps`` and ``-O``, checked against its factory before any weights load."""
    from latentroom.engine.cli_options import parse_options
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

    from latentroom.engine.imaging import load_square_image

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
                    arrays.append(load_square_image(item.path, size))
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


class EditedImageWriter:
    """Writes edited renders to ``OUTDIR/<relative>.png`` (atomically), refusing a
    second input that would land on the same file: face.jpg and face.png would both
    become face.png. A file that cannot be written is a per-file failure."""

    def __init__(self, output: Path, failures: Failures) -> None:
        self.output, self.failures = output, failures
        self.claimed: dict[Path, Path] = {}
        self.written = 0

    def write(self, files: Sequence[InputFile], images: "torch.Tensor") -> list[InputFile]:
        """Write ``images`` ``[B, 3, H, W]`` in ``[-1, 1]`` for ``files``; returns the
        files whose image was written."""
        from latentroom.engine.image_output import to_pixels, write_image_atomic

        done = []
        for item, image in zip(files, to_pixels(images)):
            target = self.output / item.relative.with_suffix(".png")
            if target in self.claimed:
                self.failures.add(item.path, f"output {target} is also the output of {self.claimed[target]}")
                continue
            self.claimed[target] = item.path
            try:
                write_image_atomic(image, target)
            except LatentroomError as exc:
                self.failures.add(item.path, exc.message)
                continue
            self.written += 1
            done.append(item)
        return done


def write_npz_atomic(arrays: dict[str, "np.ndarray"], output: Path) -> None:
    import numpy as np

    atomic_write(output, lambda f: np.savez(f, **arrays))


def inversion_options(generator_default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Options shared by ``invert`` and ``edit``; ``generator_default`` is what
    ``--help`` says each uses without ``--generator``."""
    decorators = [
        click.option("--inverter", "inverter_name", default="hybrid", show_default=True,
                     help="Registered inverter: projector, encoder, hybrid, or a plugin's."),
        generator_option(generator_default),
        click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True,
                     help="Images inverted together (each is still independent)."),
        click.option("--steps", type=click.IntRange(min=0), default=None,
                     help="Optimisation steps: passed to the inverter as -O steps=K (projector, hybrid, "
                          "or a plugin's inverter that takes steps)."),
        key_value_option("-O", "--option", dest="option_pairs",
                         help="Inverter option, repeatable (e.g. -O space=w -O weights=enc.pt)."),
        device_option,
    ]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate
