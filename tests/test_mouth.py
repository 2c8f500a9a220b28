"""``author --keep-mouth``: the input's own lips kept in the teacher's targets, on real
toyfaces renders with the real toyfaces aligner, against the renderer's truth."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from latentroom.plugins.distill.mouth import FILL_KERNEL, MouthFinder, input_lips, keep_mouth, mouth_boxes
from latentroom.plugins.toyfaces.aligner import ToyfacesAligner
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params


def _images(params: dict) -> torch.Tensor:
    return torch.from_numpy(render(params, 128)).permute(0, 3, 1, 2).float() / 127.5 - 1


@pytest.fixture(scope="module")
def faces() -> dict:
    """Clean-shaven faces; the truth gives them a beard under their own mouth, the
    'teacher' a beard with the mouth redrawn (broader, its corners higher), as a
    generator's beard edit redraws it."""
    params = sample_params(11, 16)
    params["hair_length"][:] = 0.2
    params["beard"][:] = 0
    truth = edit(params, "beard", 1)
    finder = MouthFinder(ToyfacesAligner(), "toyfaces", threads=2)
    x = _images(params)
    return {"params": params, "x": x, "truth": _images(truth), "teacher": _images(edit(truth, "smile", 0.45)),
            "corners": finder.corners(x), "finder": finder}


def _error_in_boxes(images: torch.Tensor, truth: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    inside = boxes[:, None].expand_as(images).float()
    return ((images - truth).abs() * inside).flatten(1).sum(1) / inside.flatten(1).sum(1)


def test_the_kept_mouth_is_the_truths_and_the_rest_is_the_teachers(faces: dict) -> None:
    assert faces["finder"].missed == 0 and faces["finder"].looked == 16
    kept = keep_mouth(faces["x"], faces["teacher"], faces["corners"])
    boxes = mouth_boxes(faces["corners"], 128)
    before = _error_in_boxes(faces["teacher"], faces["truth"], boxes)
    after = _error_in_boxes(kept, faces["truth"], boxes)
    # The redrawn mouth is gone and the face's own is drawn over the beard, as the truth
    # draws it: its edge mixed with the beard as it was with the skin (4.8 -> 1.1 levels;
    # drawn in the lips' mean colour by their redness, 1.8).
    assert after.mean() < 0.3 * before.mean()
    assert (after < before).sum() >= 15
    # Nothing changes beyond the reach of the boxes and the fill round the teacher's lips.
    reach = F.max_pool2d(boxes[:, None].float(), 2 * FILL_KERNEL + 1, 1, FILL_KERNEL)
    assert torch.equal(kept * (1 - reach), faces["teacher"] * (1 - reach))


def test_a_target_the_teacher_left_as_the_input_is_kept_exactly(faces: dict) -> None:
    # A pair at a small strength, or one the gate turned into an identity: the lips found
    # and filled in must not redraw a mouth the teacher did not touch.
    assert torch.equal(keep_mouth(faces["x"], faces["x"], faces["corners"]), faces["x"])
    lips_only = faces["x"].clone()
    lips_only[..., 96:, :] = faces["truth"][..., 96:, :]  # the beard below the mouth only
    kept = keep_mouth(faces["x"], lips_only, faces["corners"])
    untouched = (lips_only == faces["x"]).all(1, keepdim=True).expand_as(kept)
    assert torch.equal(kept[untouched], faces["x"][untouched])


def test_the_inputs_lips_are_found_round_the_aligners_mouth_corners(faces: dict) -> None:
    lips = input_lips(faces["x"], mouth_boxes(faces["corners"], 128))
    assert lips.found.all()
    # Lip colour: red, darker than the skin round it.
    red, green, blue = lips.colour[:, :, 0, 0].unbind(1)
    assert (red - (green + blue) / 2 > 0.3).all()
    # The lips found are the mouth's: the same faces smiling or frowning differ there (all
    # but the middle of the line, which stays).
    moved = torch.zeros_like(lips.core, dtype=torch.bool)
    for amount in (-1.0, -0.45, 0.45, 1.0):
        moved |= (_images(edit(faces["params"], "smile", amount)) - faces["x"]).abs().amax(1, keepdim=True) > 0.02
    found = lips.core.flatten(1).sum(1)
    assert found.min() >= 20
    assert ((lips.core.bool() & moved).flatten(1).sum(1) >= 0.85 * found).all()


def test_a_face_whose_mouth_was_not_found_keeps_the_teachers_target(faces: dict) -> None:
    grey = np.full((1, 128, 128, 3), 127, np.uint8)
    finder = MouthFinder(ToyfacesAligner(), "toyfaces", threads=1)
    corners = finder.corners(torch.from_numpy(grey).permute(0, 3, 1, 2).float() / 127.5 - 1)
    assert torch.isnan(corners).all() and finder.missed == 1
    assert "found no face on 1 of the 1 inputs" in finder.report()
    nowhere = torch.full_like(faces["corners"], float("nan"))
    assert torch.equal(keep_mouth(faces["x"], faces["teacher"], nowhere), faces["teacher"])


class _Counting:
    def __init__(self, aligner: ToyfacesAligner) -> None:
        self.aligner, self.calls = aligner, 0

    def detect(self, rgb: np.ndarray) -> list:
        self.calls += 1
        return self.aligner.detect(rgb)


def test_faces_of_a_pairs_file_are_looked_up_once(faces: dict) -> None:
    counting = _Counting(ToyfacesAligner())
    finder = MouthFinder(counting, "toyfaces", threads=2)
    picks = torch.tensor([3, 5, 3, 7])
    first = finder.corners(faces["x"][picks], picks + 100)
    again = finder.corners(faces["x"][picks[[1, 0]]], picks[[1, 0]] + 100)
    assert counting.calls == 3 and finder.looked == 3
    assert torch.equal(first, faces["corners"][picks])
    assert torch.equal(again, faces["corners"][picks[[1, 0]]])


def test_worker_processes_find_the_same_corners_as_threads(faces: dict) -> None:
    """A pairs file's faces are looked up in processes, each building the aligner again by
    its name: the corners must be the threads' own, missed faces (NaN) included."""
    finder = MouthFinder(ToyfacesAligner(), "toyfaces", threads=2)
    blank = torch.zeros_like(faces["x"][:2])  # no face: NaN corners
    with finder.in_processes():
        found = finder.corners(torch.cat([faces["x"], blank]), torch.arange(18))
    assert torch.equal(found[:16], faces["corners"])
    assert found[16:].isnan().all() and finder.looked == 18 and finder.missed == 2
    assert finder._processes is None  # the pool is shut when the block ends


def test_a_faces_target_does_not_depend_on_its_batch(faces: dict) -> None:
    """keep_mouth works on a window round the batch's boxes: each face alone has a smaller one."""
    together = keep_mouth(faces["x"], faces["teacher"], faces["corners"])
    for i in range(16):
        alone = keep_mouth(faces["x"][i:i + 1], faces["teacher"][i:i + 1], faces["corners"][i:i + 1])
        assert torch.allclose(alone[0], together[i], atol=1e-6)  # float sums in another order
