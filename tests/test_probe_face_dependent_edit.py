"""scripts/probe_face_dependent_edit.py: the per-face correction it fits, and the
face-dependent edit it measures, on planted data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentroom.engine.direction import Direction, Provenance
from script_loader import load_script

probe = load_script("probe_face_dependent_edit")


def test_the_correction_recovers_a_residual_that_is_linear_in_the_input() -> None:
    rng = np.random.default_rng(0)
    # inputs vary along 6 axes of 16; each face's residual offset on 2 layers is a linear
    # function of them, plus a little noise
    axes = rng.standard_normal((6, 16))
    inputs = rng.standard_normal((400, 6)) @ axes
    mapping = rng.standard_normal((16, 2 * 16)) * 0.1
    residuals = (inputs @ mapping + 0.01 * rng.standard_normal((400, 32))).reshape(400, 2, 16)
    correction = probe.Correction(inputs, residuals, components=6, seed=0)
    assert max(correction.held_out_r2.values()) > 0.99
    fresh = rng.standard_normal((5, 6)) @ axes
    predicted = correction(torch.from_numpy(fresh).float())
    assert predicted.shape == (5, 2, 16)
    assert np.allclose(predicted.numpy(), (fresh @ mapping).reshape(5, 2, 16), atol=0.05)
    # unrelated residuals are not predicted: the held-out fit says so
    noise = probe.Correction(inputs, rng.standard_normal((400, 2, 16)), components=6, seed=0)
    assert max(noise.held_out_r2.values()) < 0.05


def test_the_face_dependent_move_adds_the_whole_predicted_offset_at_the_truth_strength() -> None:
    direction = Direction.from_vector(np.eye(16)[0], 4, Provenance("t", "glasses"), layers=(0, 1), scale=0.5)

    def correction(w: torch.Tensor) -> torch.Tensor:  # a residual that depends on the face
        return w[:, None, :].repeat(1, 2, 1) * 0.1

    move = probe.face_dependent_move(direction, correction, truth_strength=2.0)
    ws = torch.randn(3, 4, 16)
    out = move(ws, 2.0)
    expected = ws[:, :2] + torch.from_numpy(direction.offset(2.0)[:2]) + 0.1 * ws[:, :2].mean(1, keepdim=True)
    assert torch.allclose(out[:, :2], expected, atol=1e-6)
    assert torch.equal(out[:, 2:], ws[:, 2:])  # layers outside the direction's stay
    assert torch.allclose(move(ws, 1.0)[:, :2] - ws[:, :2], (out[:, :2] - ws[:, :2]) / 2, atol=1e-6)
    with pytest.raises(SystemExit):
        probe.main(["glasses"])  # --strength is required
