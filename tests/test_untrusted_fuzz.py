"""A seeded sweep of mutated bundles: each is accepted and valid, or refused clearly.

Mutations start from one real bundle (a torch-exported model, packed by
``pack_bundle``): random byte edits of the packed archive, of ``preset.json`` and of
the model (with the checksum fixed so the model reaches the ONNX checks and ONNX
Runtime), and field edits of the manifest (hostile values put at random JSON paths,
keys dropped or added), in directory and packed form. Every case runs under an
alarm, so a hang fails the test instead of stalling it, and it must end in one of
two ways: accepted (read with a manifest that validates, loaded into a real ONNX
Runtime session, applied to an image and installed into the library), or a
``LatentroomError`` whose message names the bundle or the preset. Any other
exception is a failure, and nothing may appear outside the library and the cases.
"""

from __future__ import annotations

import copy
import json
import random
import signal
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from PIL import Image

from latentroom.engine.errors import LatentroomError
from latentroom.engine.presets import install, load_preset, pack_bundle, read_bundle, validate_manifest
from latentroom.engine.presets.bundle import sha256_bytes
from preset_fixtures import build_preset, isolate_library

SEED = 16
CASES = {"archive bytes": 1200, "manifest fields": 1200, "manifest bytes": 400, "model bytes": 200}
DEEP: Any = []
for _ in range(60):
    DEEP = [DEEP]
HOSTILE_VALUES: list[Any] = [
    None, True, False, -1, 0, 7, 8, 2048, 2049, 10**30, 1e308, 0.5, float("nan"), float("inf"),
    "", " ", "../../escape", "/etc/passwd", "a\n", "smile\n", "\x1b[2J\x1b]0;title\x07", "x" * 300,
    "model.onnx", "preset.json", "preview.png", "NCHW", "NHWC", "BGR", "1.0.0", "strength", "image",
    [], {}, [0, 1], [1, 0], ["image"], ["image", "image"], ["image", "strength"], DEEP, {"x-a": DEEP},
    {"input": "strength", "min": 0, "max": 1, "default": 2},
]


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang("a case took longer than 20 s")


def flatten(data: Any, path: tuple = ()) -> list[tuple]:
    paths = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            paths += flatten(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            paths += flatten(value, path + (i,))
    return paths


def mutate_fields(manifest: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(manifest)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        path = rng.choice(flatten(data)[1:])
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = rng.random()
        if action < 0.3:
            # A benign edit, so that many cases are accepted and go on to load and apply.
            data[f"x-{rng.randrange(100)}"] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
            data["title"] = rng.choice(["Smile", "\x1b[2J", "a\nb", "é" * 50])
        elif action < 0.4 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action < 0.5 and isinstance(parent, dict):
            parent[rng.choice(["x-extra", "stregth", "file", "\x1b"])] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    return data


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 16])):
        at = rng.randrange(len(out)) if out else 0
        action = rng.random()
        if action < 0.5 and out:
            out[at] = rng.randrange(256)
        elif action < 0.65:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif action < 0.8 and out:
            del out[at : at + rng.randint(1, 64)]
        elif action < 0.9:
            out = out[: rng.randrange(len(out) + 1)]
        else:
            start = rng.randrange(len(out) + 1)
            out[at:at] = out[start : start + rng.randint(1, 256)]
    return bytes(out)


def write_dir(folder: Path, manifest_bytes: bytes, model: bytes, preview: bytes | None) -> Path:
    folder.mkdir()
    (folder / "preset.json").write_bytes(manifest_bytes)
    (folder / "model.onnx").write_bytes(model)
    if preview is not None:
        (folder / "preview.png").write_bytes(preview)
    return folder


def write_zip(path: Path, manifest_bytes: bytes, model: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("preset.json", manifest_bytes)
        zf.writestr("model.onnx", model)
    return path


class Sweep:
    """Runs cases and keeps the tally; ``accepted`` cases are checked further."""

    def __init__(self, base: dict, model: bytes, library: Path, image: Image.Image) -> None:
        self.base, self.model, self.library, self.image = base, model, library, image
        self.tally = {"accepted": 0, "refused": 0}

    def case(self, name: str, path: Path) -> None:
        signal.alarm(20)
        try:
            self._check(path)
        except LatentroomError as e:
            message = e.message
            assert message and (str(path) in message or "preset" in message), f"{name}: unclear message {message!r}"
            assert "Traceback" not in message
            self.tally["refused"] += 1
        except BaseException as e:
            raise AssertionError(f"{name}: {type(e).__name__}: {e}") from e
        finally:
            signal.alarm(0)

    def _check(self, path: Path) -> None:
        bundle = read_bundle(path)
        assert validate_manifest(bundle.manifest) == []
        assert sha256_bytes(bundle.model_bytes) == bundle.manifest["model"]["sha256"]
        # What reads as valid must also load into ONNX Runtime, apply and install, or
        # be refused there with a clear message.
        preset = load_preset(path)
        assert preset.apply(self.image).size == self.image.size
        target = install(path, force=True)
        assert target.parent == self.library and target.name == bundle.manifest["name"]
        self.tally["accepted"] += 1


@pytest.fixture
def sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Sweep, Path]:
    source = build_preset(tmp_path / "source" / "fixture", resolution=16, preview=b"\x89PNG not really")
    dirs = isolate_library(monkeypatch, tmp_path)
    base = json.loads((source / "preset.json").read_text())
    model = (source / "model.onnx").read_bytes()
    image = Image.fromarray(np.random.default_rng(SEED).integers(0, 256, (20, 24, 3), np.uint8))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    previous = signal.signal(signal.SIGALRM, _alarm)
    yield Sweep(base, model, dirs["user"], image), source
    signal.signal(signal.SIGALRM, previous)


def test_mutated_bundles_are_valid_or_refused_clearly(sweep: tuple[Sweep, Path], tmp_path: Path) -> None:
    runner, source = sweep
    rng = random.Random(SEED)
    cases = tmp_path / "cases"
    cases.mkdir()
    packed = pack_bundle(source, cases / "original.lrpreset").read_bytes()
    manifest_bytes = (source / "preset.json").read_bytes()
    preview = (source / "preview.png").read_bytes()
    makers: dict[str, Callable[[Path], Path]] = {
        "archive bytes": lambda p: _write(p.with_suffix(".lrpreset"), mutate_bytes(packed, rng)),
        "manifest fields": lambda p: _field_case(p, runner, rng, preview),
        "manifest bytes": lambda p: write_dir(p, mutate_bytes(manifest_bytes, rng), runner.model, preview),
        "model bytes": lambda p: _model_case(p, runner, rng),
    }
    for kind, count in CASES.items():
        for i in range(count):
            path = makers[kind](cases / f"{kind.replace(' ', '-')}-{i}")
            runner.case(f"{kind} #{i} (seed {SEED})", path)

    tally = runner.tally
    assert tally["accepted"] + tally["refused"] == sum(CASES.values())
    # The sweep means something only if both outcomes, and real loads, occur often.
    assert tally["accepted"] > 200 and tally["refused"] > 1000, tally
    assert list((tmp_path / "work").iterdir()) == []  # nothing written to the working folder
    assert all(p.name.startswith(".") is False for p in runner.library.iterdir())  # no staging left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundled", "cases", "config", "source", "work"]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _field_case(path: Path, runner: Sweep, rng: random.Random, preview: bytes) -> Path:
    text = json.dumps(mutate_fields(runner.base, rng)).encode()
    if rng.random() < 0.3:
        return write_zip(path.with_suffix(".lrpreset"), text, runner.model)
    return write_dir(path, text, runner.model, preview if rng.random() < 0.5 else None)


def _model_case(path: Path, runner: Sweep, rng: random.Random) -> Path:
    model = mutate_bytes(runner.model, rng)
    manifest = copy.deepcopy(runner.base)
    manifest["model"]["sha256"] = sha256_bytes(model)
    return write_dir(path, json.dumps(manifest).encode(), model, None)
