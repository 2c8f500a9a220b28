"""latentroom.engine.direction: the Direction value, layer specs and direction files (no torch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from latentroom.engine.direction import (
    Direction,
    DirectionError,
    Provenance,
    format_layers,
    layer_groups,
    parse_layers,
)


def make(style_dim: int = 8, n_latent: int = 12, layers: str = "middle") -> Direction:
    vector = np.arange(1, style_dim + 1, dtype=np.float64)
    provenance = Provenance(source="mean-difference", attribute="smile", parameters={"samples": 10},
                            generator="toyfaces", weights_sha256="ab" * 32, details={"note": "x"})
    return Direction.from_vector(vector, n_latent, provenance, layers, scale=0.7, strength_range=(-2.0, 4.0))


# ------------------------------------------------------------------------ layers


def test_layer_groups_follow_the_resolution_split() -> None:
    groups = layer_groups(12)  # 128x128
    assert groups["coarse"] == (0, 1, 2, 3)
    assert groups["middle"] == (4, 5, 6, 7)
    assert groups["fine"] == (8, 9, 10, 11)
    assert layer_groups(18)["fine"] == tuple(range(8, 18))  # 1024x1024
    assert layer_groups(12)["all"] == tuple(range(12))


def test_small_generators_split_into_thirds() -> None:
    assert layer_groups(6) == {"coarse": (0, 1), "middle": (2, 3), "fine": (4, 5), "all": tuple(range(6))}
    groups = layer_groups(8)
    assert (groups["coarse"], groups["middle"], groups["fine"]) == ((0, 1, 2), (3, 4, 5), (6, 7))


@pytest.mark.parametrize("spec, expected", [
    ("0-3,5", (0, 1, 2, 3, 5)),
    ("coarse,fine", (0, 1, 2, 3, 8, 9, 10, 11)),
    ("ALL", tuple(range(12))),
    ("7, 2-3", (2, 3, 7)),
    ([3, 1, 1], (1, 3)),
    (None, tuple(range(12))),
])
def test_parse_layers(spec: object, expected: tuple[int, ...]) -> None:
    assert parse_layers(spec, 12) == expected  # type: ignore[arg-type]
    assert parse_layers(format_layers(expected, 12), 12) == expected


@pytest.mark.parametrize("spec, message", [
    ("0-12", "out of range"),
    ("3-1", "runs backwards"),
    ("eyes", "is not a layer group"),
    ("", "is not a layer group"),
    ([], "no layers"),
])
def test_bad_layer_specs(spec: object, message: str) -> None:
    with pytest.raises(DirectionError, match=message):
        parse_layers(spec, 12)  # type: ignore[arg-type]


def test_format_layers_names_groups_and_ranges() -> None:
    assert format_layers(range(4, 8), 12) == "middle"
    assert format_layers([0, 1, 2, 5, 7, 8], 12) == "0-2,5,7-8"


# ------------------------------------------------------------------------- value


def test_direction_value() -> None:
    d = make()
    assert d.style_dim == 8 and d.attribute == "smile"
    assert np.isclose(np.linalg.norm(d.vector), 1.0)
    assert d.layers == (4, 5, 6, 7) and d.layer_spec == "middle"
    assert d.mask.tolist() == [i in range(4, 8) for i in range(12)]
    offset = d.offset(2.0)
    assert offset.shape == (12, 8)
    assert np.allclose(offset[5], 2.0 * 0.7 * d.vector) and not offset[:4].any() and not offset[8:].any()
    assert d.with_layers("coarse").layers == (0, 1, 2, 3)
    with pytest.raises(ValueError):
        d.vector[0] = 1.0  # read-only: a frozen value


@pytest.mark.parametrize("kwargs, message", [
    ({"vector": np.ones(4, np.float32)}, "unit norm"),
    ({"vector": np.full(4, np.nan, np.float32)}, "non-finite"),
    ({"strength_range": (1.0, -1.0)}, "low < high"),
    ({"scale": 0.0}, "scale"),
    ({"layers": (0, 9)}, "out of range"),
])
def test_invalid_direction_values(kwargs: dict, message: str) -> None:
    args = {"vector": np.array([1, 0, 0, 0], np.float32), "n_latent": 6, "layers": (0,),
            "provenance": Provenance("s", "a"), **kwargs}
    with pytest.raises(DirectionError, match=message):
        Direction(**args)


# ------------------------------------------------------------------------- files


def test_round_trip(tmp_path: Path) -> None:
    d = make()
    path = d.save(tmp_path / "smile.json")
    assert path == tmp_path / "smile.json" and (tmp_path / "smile.npy").is_file()
    # The vector is a plain array: loadable without pickle by anything that reads .npy.
    raw = np.load(tmp_path / "smile.npy", allow_pickle=False)
    assert raw.dtype == np.float32 and raw.shape == (8,)
    for name in ("smile", "smile.json", "smile.npy"):
        back = Direction.load(tmp_path / name)
        assert np.array_equal(back.vector, d.vector)
        assert (back.n_latent, back.layers, back.scale, back.strength_range) == (12, (4, 5, 6, 7), 0.7, (-2.0, 4.0))
        assert back.provenance == d.provenance
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smile.json", "smile.npy"]  # no temp files left


def test_save_without_suffix(tmp_path: Path) -> None:
    path = make().save(tmp_path / "sub" / "age")
    assert path == tmp_path / "sub" / "age.json" and (tmp_path / "sub" / "age.npy").is_file()


def _saved(tmp_path: Path) -> tuple[Path, dict]:
    path = make().save(tmp_path / "d.json")
    return path, json.loads(path.read_text())


def _rewrite(path: Path, meta: dict) -> None:
    path.write_text(json.dumps(meta))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DirectionError, match=r"nope\.json: no such direction file"):
        Direction.load(tmp_path / "nope.json")


def test_missing_npy(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    (tmp_path / "d.npy").unlink()
    with pytest.raises(DirectionError, match=r"d\.json: vector file .*d\.npy is missing"):
        Direction.load(path)


def test_bad_json(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    path.write_text("{not json")
    with pytest.raises(DirectionError, match=r"d\.json: not valid JSON"):
        Direction.load(path)
    path.write_text("[1, 2]")
    with pytest.raises(DirectionError, match=r"d\.json: expected a JSON object"):
        Direction.load(path)
    # Deep nesting and long numbers are errors that name the file, not a RecursionError.
    path.write_text('{"x": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(DirectionError, match=r"d\.json: direction file nests arrays and objects deeper than 32"):
        Direction.load(path)
    path.write_text('{"version": ' + "9" * 5000 + "}")
    with pytest.raises(DirectionError, match=r"d\.json: direction file has a number of 5000 characters"):
        Direction.load(path)


def test_unknown_version_and_format(tmp_path: Path) -> None:
    path, meta = _saved(tmp_path)
    _rewrite(path, {**meta, "version": 99})
    with pytest.raises(DirectionError, match=r"d\.json: unknown direction file version 99"):
        Direction.load(path)
    _rewrite(path, {**meta, "format": "latentroom-preset"})
    with pytest.raises(DirectionError, match=r"d\.json: not a latentroom direction file"):
        Direction.load(path)


def test_wrong_shape(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    np.save(tmp_path / "d.npy", np.ones((2, 4), np.float32) / np.sqrt(8))
    with pytest.raises(DirectionError, match=r"d\.npy: vector has shape \[2, 4\], expected \[8\]"):
        Direction.load(path)


def test_non_unit_vector(tmp_path: Path) -> None:
    path, meta = _saved(tmp_path)
    np.save(tmp_path / "d.npy", np.ones(8, np.float32))
    _rewrite(path, {**meta, "vector_sha256": None})  # hash check off: reach the norm check
    with pytest.raises(DirectionError, match=r"d\.json: direction vector must have unit norm"):
        Direction.load(path)


def test_replaced_vector_fails_the_hash(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    np.save(tmp_path / "d.npy", np.eye(8, dtype=np.float32)[0])
    with pytest.raises(DirectionError, match=r"d\.npy: vector does not match the vector_sha256"):
        Direction.load(path)


def test_mask_length_mismatch(tmp_path: Path) -> None:
    path, meta = _saved(tmp_path)
    _rewrite(path, {**meta, "layers": [4, 12]})
    with pytest.raises(DirectionError, match=r"d\.json: layer mask \[4, 12\] does not fit n_latent=12"):
        Direction.load(path)


def test_direction_files_are_bounded_and_must_be_regular(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Directions are shared like presets: a FIFO named d.json must not hang the
    # command, and neither file is read past its bound.
    from latentroom.engine import limits
    from test_untrusted import finishes

    path, _ = _saved(tmp_path)
    monkeypatch.setattr(limits, "MAX_DIRECTION_VECTOR_BYTES", 64)
    with pytest.raises(DirectionError, match=r"d\.npy: vector file is larger than 64 bytes"):
        Direction.load(path)
    monkeypatch.setattr(limits, "MAX_DIRECTION_JSON_BYTES", 100)
    with pytest.raises(DirectionError, match=r"d\.json: direction file is larger than 100 bytes"):
        Direction.load(path)
    monkeypatch.undo()
    (tmp_path / "d.npy").unlink()
    os.mkfifo(tmp_path / "d.npy")
    with pytest.raises(DirectionError, match=r"d\.npy: not a plain \.npy array \(.*not a regular file"):
        finishes(lambda: Direction.load(path), fifo=tmp_path / "d.npy")
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(DirectionError, match=r"d\.json: cannot read direction file \(.*not a regular file"):
        finishes(lambda: Direction.load(path), fifo=path)


def test_pickled_npy_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    np.save(tmp_path / "d.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DirectionError, match=r"d\.npy: not a plain \.npy array"):
        Direction.load(path)


def test_missing_and_mistyped_keys(tmp_path: Path) -> None:
    path, meta = _saved(tmp_path)
    _rewrite(path, {k: v for k, v in meta.items() if k != "scale"})
    with pytest.raises(DirectionError, match=r"d\.json: missing 'scale'"):
        Direction.load(path)
    _rewrite(path, {**meta, "n_latent": "12"})
    with pytest.raises(DirectionError, match=r"d\.json: 'n_latent' has the wrong type"):
        Direction.load(path)
    _rewrite(path, {**meta, "vector_file": "../elsewhere.npy"})
    with pytest.raises(DirectionError, match=r"d\.json: 'vector_file' must be a file name"):
        Direction.load(path)


def test_direction_modules_import_no_torch() -> None:
    code = ("import sys, latentroom.engine.direction, latentroom.plugins.directions.commands, "
            "latentroom.plugins.directions.plugin; "
            "import latentroom.engine.plugins as p; p.registry(); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    # Only this plugin is loaded: the others' import costs are theirs to test.
    env = {**os.environ, "LATENTROOM_DISABLE_PLUGINS": "stylegan2,toyfaces"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
