"""The distance of an edit from the renderer's true edit (plugins/toyfaces/truth.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, render, sample_params
from latentroom.plugins.toyfaces.truth import READ_TOLERANCE, TruthReference, matched_truth_edit

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("delta", [0.2, -0.3, 0.0])
def test_continuous_truth_edit_moves_the_mean_by_delta_despite_clipping(delta: float) -> None:
    params = sample_params(0, 400)
    edited = matched_truth_edit(params, "smile", delta)
    change = edited["smile"] - params["smile"]
    assert change.mean() == pytest.approx(delta, abs=1e-4)
    assert edited["smile"].min() >= 0.0 and edited["smile"].max() <= 1.0
    # one amount for every face: the unclipped ones all moved by the same step
    inside = (edited["smile"] > 0) & (edited["smile"] < 1)
    assert np.ptp(change[inside]) < 1e-5
    others = [k for k in params if k != "smile"]
    assert all(np.array_equal(edited[k], params[k]) for k in others)


@pytest.mark.parametrize("delta", [0.25, -0.1])
def test_binary_truth_edit_flips_as_many_faces_as_delta_asks(delta: float) -> None:
    params = sample_params(1, 400)
    edited = matched_truth_edit(params, "glasses", delta, seed=3)
    change = edited["glasses"] - params["glasses"]
    assert change.mean() == pytest.approx(delta, abs=1 / 400)
    assert set(np.unique(change)) <= {0.0, np.sign(delta)}
    before, after = attribute_matrix(params), attribute_matrix(edited)
    column = ATTRIBUTE_NAMES.index("glasses")
    assert np.array_equal(np.delete(before, column, axis=1), np.delete(after, column, axis=1))


@pytest.fixture(scope="module")
def reference() -> TruthReference:
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.toyfaces import load_classifier

    return TruthReference(resolve_generator("toyfaces", "cpu"), load_classifier("cpu"), samples=48, seed=5,
                          batch_size=16)


def test_truth_distance_is_one_at_strength_zero_and_grows_off_the_data(reference: TruthReference) -> None:
    from latentroom.engine.direction import Direction, Provenance

    assert reference.fd_generator > 0
    generator = reference.generator
    vector = np.random.default_rng(0).standard_normal(generator.style_dim)
    direction = Direction.from_vector(vector, generator.n_latent, Provenance("test", "smile"))
    still = reference.measure(direction, 0.0)
    assert still.delta == 0.0 and still.truth_move == 0.0 and still.ratio == pytest.approx(1.0)
    far = reference.measure(direction, 25.0)
    assert far.ratio > 2.0
    assert far.to_json()["ratio"] == far.ratio


def test_the_truth_moves_as_far_as_the_classifier_reads_the_edit(reference: TruthReference) -> None:
    """The classifier reads age's true edit long (on these renders a move of 0.422 as
    0.433): matched on the renderer's scale, the truth would move further than the edit."""
    from latentroom.engine.direction import Direction

    direction = Direction.load(ROOT / "plugins" / "directions" / "shipped" / "age.json")
    column = ATTRIBUTE_NAMES.index("age")
    measured = reference.measure(direction, 3.0)

    def read(move: float) -> float:
        truth = render(matched_truth_edit(reference.params, "age", move))
        return float((reference.classifier.predict(truth)[:, column] - reference.render_pred[:, column]).mean())

    assert read(measured.truth_move) == pytest.approx(measured.delta, abs=READ_TOLERANCE)
    assert abs(read(measured.delta) - measured.delta) > 5 * READ_TOLERANCE
    assert measured.to_json()["truth_move"] == measured.truth_move
