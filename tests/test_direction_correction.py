"""A direction's per-face correction (engine/direction_correction.py): the file format
(version 2, its .npz, every way the files can be wrong), the edit it makes
(plugins/directions/edit.py) and its fit (plugins/directions/correction_fit.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from latentroom.engine.direction import (CORRECTED_VERSION, VERSION, Direction, DirectionError, Provenance,
                                         correction_path)
from latentroom.engine.direction_correction import Correction, CorrectionError
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.correction_fit import fit_correction
from latentroom.plugins.directions.edit import correction_residual, edit_latents

D, L, N_LATENT = 8, 2, 4


def correction(components: int = 3, seed: int = 0, truth_strength: float = 2.0) -> Correction:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((D, components)))[0]
    return Correction(rng.standard_normal(D), basis, rng.standard_normal((components, L * D)),
                      rng.standard_normal(L * D), truth_strength)


def corrected(layers: tuple[int, ...] = (0, 1)) -> Direction:
    return Direction.from_vector(np.eye(D)[0], N_LATENT, Provenance("t", "glasses"), layers, 0.5,
                                 correction=correction())


def test_a_corrected_direction_round_trips_as_version_2(tmp_path: Path) -> None:
    direction = corrected()
    path = direction.save(tmp_path / "glasses")
    meta = json.loads(path.read_text())
    assert meta["version"] == CORRECTED_VERSION and meta["correction"]["file"] == "glasses.correction.npz"
    assert meta["correction"]["components"] == 3 and correction_path(path).is_file()
    loaded = Direction.load(path)
    for name in ("mean", "basis", "weights", "intercept"):
        assert np.array_equal(getattr(loaded.correction, name), getattr(direction.correction, name))
    assert loaded.correction.truth_strength == 2.0
    # A plain direction stays version 1 and writes no correction.
    plain = Direction.from_vector(np.eye(D)[0], N_LATENT, Provenance("t", "smile"), (0, 1), 0.5)
    plain_path = plain.save(tmp_path / "smile")
    assert json.loads(plain_path.read_text())["version"] == VERSION and not correction_path(plain_path).exists()
    assert Direction.load(plain_path).correction is None


def test_the_edit_adds_the_residual_in_proportion_to_the_strength() -> None:
    direction = corrected()
    ws = torch.randn(5, N_LATENT, D, dtype=torch.float64)
    out = edit_latents(ws, direction, 2.0)  # the truth strength: the whole residual
    c, w = direction.correction, ws[:, :2].mean(1).numpy()
    residual = (((w - c.mean) @ c.basis) @ c.weights + c.intercept).reshape(5, L, D)
    expected = ws[:, :2].numpy() + direction.offset(2.0)[:2] + residual
    assert np.allclose(out[:, :2].numpy(), expected, atol=1e-5)
    assert torch.equal(out[:, 2:], ws[:, 2:])  # the other layers untouched
    half = edit_latents(ws, direction, 1.0)
    assert np.allclose((half - ws)[:, :2].numpy(), (out - ws)[:, :2].numpy() / 2, atol=1e-5)
    # two faces, two different offsets: what a single direction cannot do
    offsets = (out - ws)[:, 0]
    assert not torch.allclose(offsets[0], offsets[1])


def test_a_correction_fitted_through_an_inverter_reads_the_faces_through_it(tmp_path: Path) -> None:
    # Its inputs were an inverter's latents, so the residual comes from that inverter's
    # reading of each face (``read``), not from the latents being moved.
    direction = dataclasses.replace(corrected(), correction=dataclasses.replace(correction(), reads="encoder"))
    path = direction.save(tmp_path / "glasses")
    assert json.loads(path.read_text())["correction"]["reads"] == "encoder"
    direction = Direction.load(path)
    assert direction.correction.reads == "encoder"
    ws = torch.randn(3, N_LATENT, D, dtype=torch.float64)
    with pytest.raises(DirectionError, match="correction was fitted through the inverter 'encoder'"):
        edit_latents(ws, direction, 2.0)
    read = torch.randn(3, N_LATENT, D, dtype=torch.float64)
    out = edit_latents(ws, direction, 2.0, read)
    c, r = direction.correction, read[:, :2].mean(1).numpy()
    residual = (((r - c.mean) @ c.basis) @ c.weights + c.intercept).reshape(3, L, D)
    assert np.allclose(out[:, :2].numpy(), ws[:, :2].numpy() + direction.offset(2.0)[:2] + residual, atol=1e-5)
    assert not np.allclose(out.numpy(), edit_latents(ws, corrected(), 2.0).numpy(), atol=1e-3)
    with pytest.raises(DirectionError, match=r"read latents of shape \[2, 4, 8\] for latents of shape \[3, 4, 8\]"):
        edit_latents(ws, direction, 2.0, read[:2])
    with pytest.raises(CorrectionError, match="'reads' must name an inverter"):
        dataclasses.replace(correction(), reads="../encoder")


def two_sided() -> Direction:
    rng = np.random.default_rng(7)
    down = {"weights_down": rng.standard_normal((3, L * D)), "intercept_down": rng.standard_normal(L * D)}
    return dataclasses.replace(corrected(), correction=dataclasses.replace(correction(), **down))


def test_a_two_sided_correction_edits_each_sign_with_its_own_side(tmp_path: Path) -> None:
    # Putting glasses on and taking them off are not mirror images: a negative strength
    # adds |s| / truth_strength of the negative side's residual, a positive one the other's.
    direction = Direction.load(two_sided().save(tmp_path / "g"))
    c = direction.correction
    assert c.two_sided and np.array_equal(c.weights_down, two_sided().correction.weights_down)
    assert set(np.load(correction_path(tmp_path / "g")).files) == {"mean", "basis", "weights", "intercept",
                                                                   "weights_down", "intercept_down"}
    ws = torch.randn(4, N_LATENT, D, dtype=torch.float64)
    w = ws[:, :2].mean(1).numpy()

    def residual(weights, intercept):
        return (((w - c.mean) @ c.basis) @ weights + intercept).reshape(4, L, D)

    strengths = torch.tensor([2.0, -2.0, 1.0, -1.0], dtype=torch.float64)
    out = edit_latents(ws, direction, strengths)
    sizes = np.array([1.0, 1.0, 0.5, 0.5])[:, None, None]  # |s| / truth_strength
    sides = np.where(np.array([True, False, True, False])[:, None, None],
                     residual(c.weights, c.intercept), residual(c.weights_down, c.intercept_down))
    plain = ws[:, :2].numpy() + strengths.numpy()[:, None, None] * direction.offset(1.0)[:2]
    assert np.allclose(out[:, :2].numpy(), plain + sizes * sides, atol=1e-5)
    # One number for the whole batch takes the same side as the per-sample form.
    assert torch.allclose(edit_latents(ws, direction, -2.0)[1], out[1])
    # A one-sided correction mirrors its one side (the negated residual at s < 0).
    mirrored = edit_latents(ws, corrected(), -2.0)[:, :2].numpy()
    one = corrected().correction
    assert np.allclose(mirrored, ws[:, :2].numpy() + direction.offset(-2.0)[:2]
                       - (((w - one.mean) @ one.basis) @ one.weights + one.intercept).reshape(4, L, D), atol=1e-5)


def test_a_correction_must_fit_its_direction() -> None:
    with pytest.raises(DirectionError, match="correction is for 2 layers of 8, the direction edits 3 layers of 8"):
        Direction.from_vector(np.eye(D)[0], N_LATENT, Provenance("t", "g"), (0, 1, 2), 0.5, correction=correction())
    with pytest.raises(DirectionError, match="per-face correction edits layers coarse only"):
        corrected().with_layers("0-2")
    with pytest.raises(CorrectionError, match="arrays do not fit together"):
        Correction(np.zeros(D), np.zeros((D, 2)), np.zeros((3, L * D)), np.zeros(L * D), 1.0)
    with pytest.raises(CorrectionError, match="non-finite"):
        Correction(np.full(D, np.nan), np.zeros((D, 2)), np.zeros((2, L * D)), np.zeros(L * D), 1.0)
    with pytest.raises(CorrectionError, match="truth_strength must be a positive number"):
        Correction(np.zeros(D), np.zeros((D, 2)), np.zeros((2, L * D)), np.zeros(L * D), 0.0)
    with pytest.raises(CorrectionError, match="'weights_down' and 'intercept_down' come together"):
        Correction(np.zeros(D), np.zeros((D, 2)), np.zeros((2, L * D)), np.zeros(L * D), 1.0,
                   weights_down=np.zeros((2, L * D)))
    with pytest.raises(CorrectionError, match="the negative side's arrays"):
        Correction(np.zeros(D), np.zeros((D, 2)), np.zeros((2, L * D)), np.zeros(L * D), 1.0,
                   weights_down=np.zeros((2, D)), intercept_down=np.zeros(D))


def _saved(tmp_path: Path) -> tuple[Path, dict]:
    path = corrected().save(tmp_path / "g")
    return path, json.loads(path.read_text())


def _zip_bomb(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mean.npy", b"\0" * (65 * 1024 * 1024))


def test_a_correction_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    _zip_bomb(correction_path(path))
    assert correction_path(path).stat().st_size < 1024 * 1024
    with pytest.raises(DirectionError, match="arrays unpack to 68157440 bytes"):
        Direction.load(path)


def test_a_correction_file_is_bounded_and_must_be_regular(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import latentroom.engine.direction_correction as direction_correction
    from test_untrusted import finishes

    path, _ = _saved(tmp_path)
    size = correction_path(path).stat().st_size
    monkeypatch.setattr(direction_correction, "MAX_CORRECTION_BYTES", size - 1)
    with pytest.raises(DirectionError, match=f"correction file is larger than {size - 1} bytes"):
        Direction.load(path)
    monkeypatch.undo()
    correction_path(path).unlink()
    os.mkfifo(correction_path(path))
    with pytest.raises(DirectionError, match=r"cannot read correction file \(.*not a regular file"):
        finishes(lambda: Direction.load(path), fifo=correction_path(path))


@pytest.mark.parametrize("break_it, message", [
    (lambda path, meta: correction_path(path).unlink(), "correction file is missing"),
    (lambda path, meta: correction_path(path).write_bytes(b"not a zip"), "not a correction .npz archive"),
    (lambda path, meta: np.savez(correction_path(path), mean=np.zeros(D)), "expected the arrays mean, basis"),
    (lambda path, meta: np.savez(correction_path(path), **{**dict(np.load(correction_path(path))),
                                                           "mean": np.ones(D, np.float32)}),
     "do not match the correction sha256"),
    (lambda path, meta: np.savez(correction_path(path), **{**dict(np.load(correction_path(path))),
                                                           "basis": np.zeros((D, 3), np.int64)}),
     "'basis' is int64, not a float array"),
    (lambda path, meta: np.savez(correction_path(path), **{**dict(np.load(correction_path(path))),
                                                           "weights_down": np.zeros((3, L * D), np.float32)}),
     "and for a two-sided correction weights_down, intercept_down"),
])
def test_a_broken_correction_file_is_refused_by_name(tmp_path: Path, break_it, message: str) -> None:
    path, meta = _saved(tmp_path)
    break_it(path, meta)
    with pytest.raises(DirectionError, match=message) as caught:
        Direction.load(path)
    assert "g.correction.npz" in str(caught.value.message)


@pytest.mark.parametrize("edit, message", [
    (lambda meta: meta["correction"].update(file="../elsewhere.npz"), "must be a file name beside the JSON"),
    (lambda meta: meta.pop("correction"), "missing 'correction'"),
    (lambda meta: meta.update(version=VERSION), "a 'correction' needs direction file version 2"),
    (lambda meta: meta.update(version=3), "unknown direction file version 3"),
    (lambda meta: meta["correction"].update(truth_strength="2"), "'truth_strength' has the wrong type"),
    (lambda meta: meta["correction"].update(reads=["encoder"]), "'reads' has the wrong type"),
    (lambda meta: meta["correction"].update(reads="../../inverter"), "the correction's 'reads' must name an inverter"),
])
def test_a_broken_correction_entry_is_refused_by_name(tmp_path: Path, edit, message: str) -> None:
    path, meta = _saved(tmp_path)
    edit(meta)
    path.write_text(json.dumps(meta))
    with pytest.raises(DirectionError, match=message) as caught:
        Direction.load(path)
    assert "g.json" in str(caught.value.message)


def test_the_fit_recovers_a_residual_linear_in_the_input_and_reports_one_that_is_not() -> None:
    rng = np.random.default_rng(0)
    axes = rng.standard_normal((6, 16))
    inputs = rng.standard_normal((400, 6)) @ axes
    mapping = rng.standard_normal((16, 2 * 16)) * 0.1
    residuals = (inputs @ mapping + 0.01 * rng.standard_normal((400, 32))).reshape(400, 2, 16)
    fitted, report = fit_correction(inputs, residuals, components=6, truth_strength=1.5)
    assert max(report["held_out_r2"].values()) > 0.99 and report["examples"] == 400
    fresh = rng.standard_normal((5, 6)) @ axes
    predicted = correction_residual(fitted, torch.from_numpy(fresh)).numpy()
    assert np.allclose(predicted, (fresh @ mapping).reshape(5, 2, 16), atol=0.05)
    assert fitted.truth_strength == 1.5 and fitted.components == 6
    _, noise = fit_correction(inputs, rng.standard_normal((400, 2, 16)), components=6, truth_strength=1.5)
    assert max(noise["held_out_r2"].values()) < 0.05
    # The negative side is fitted on its own residuals, its penalty chosen on its own.
    down_mapping = rng.standard_normal((16, 2 * 16)) * 0.1
    two, two_report = fit_correction(inputs, residuals, components=6, truth_strength=1.5,
                                     residuals_down=(inputs @ down_mapping).reshape(400, 2, 16))
    assert two.two_sided and max(two_report["down"]["held_out_r2"].values()) > 0.99
    assert np.allclose(correction_residual(two, torch.from_numpy(fresh), negative=True).numpy(),
                       (fresh @ down_mapping).reshape(5, 2, 16), atol=0.05)
    assert np.allclose(correction_residual(two, torch.from_numpy(fresh)).numpy(), predicted, atol=1e-6)
    with pytest.raises(LatentroomError, match="at least 10 examples"):
        fit_correction(inputs[:5], residuals[:5], components=2, truth_strength=1.0)
    with pytest.raises(LatentroomError, match="40 components, expected 1 to 16"):
        fit_correction(inputs, residuals, components=40, truth_strength=1.0)
