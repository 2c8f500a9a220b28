"""The matte target (``author --matte``) on the renderer's own faces: a teacher's redraw
of a beard (its texture, the mouth turned) recast as the renderer draws a beard."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentroom.plugins.distill.matte import Matte, gaussian_blur
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params


def _images(params: dict) -> torch.Tensor:
    return torch.from_numpy(to_model(render(params, 128)))


@pytest.fixture(scope="module")
def faces() -> dict:
    """Faces without a beard, smiling or not; their true beards; and a teacher's redraw:
    the beard with a latent-dependent texture and the mouth turned (the smile moved by
    half its scale), as the generator draws it, kept in the beard's region."""
    params = sample_params(11, 48)
    keep = np.flatnonzero(params["beard"] < 0.5)[:8]
    params = {k: v[keep] for k, v in params.items()}
    x = _images(params)
    truth = _images(edit(params, "beard", 1.0))
    turned = edit(edit(params, "smile", np.where(params["smile"] > 0.5, -0.5, 0.5)), "beard", 1.0)
    texture = 0.12 * torch.randn(len(keep), 1, 128, 128, generator=torch.Generator().manual_seed(0))
    region = torch.from_numpy(attribute_region("beard", 128))[None, None]
    drawn = _images(turned)
    redraw = (drawn + texture * ((drawn - x).abs().mean(1, keepdim=True) > 0.1)).clamp(-1, 1)
    teacher = x + region * (redraw - x)
    # The teacher's own mouth: where its drawing differs from the truth's beard, away
    # from the input's mouth.
    turned_mouth = (((drawn - truth).abs().mean(1, keepdim=True) > 0.2)
                    & ((x - truth).abs().mean(1, keepdim=True) > 0.1)).float() * region
    return {"x": x, "truth": truth, "teacher": teacher, "region": region, "turned_mouth": turned_mouth}


def _error_in(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean absolute difference over the pixels of ``mask`` (``[1 or B, 1, R, R]``)."""
    mask = mask.expand(len(a), 1, *a.shape[2:])
    return float(((a - b).abs().mean(1, keepdim=True) * mask).sum() / mask.sum())


def test_the_matte_of_a_redrawn_beard_is_nearer_the_truth_than_the_redraw(faces: dict) -> None:
    x, truth, teacher = faces["x"], faces["truth"], faces["teacher"]
    beard = ((truth - x).abs().mean(1, keepdim=True) > 0.1).float()
    matte = Matte().target(x, teacher)
    assert _error_in(beard, matte, truth) < 0.6 * _error_in(beard, teacher, truth)
    # The texture is gone: inside the beard the matte's fine detail (what a one-pixel
    # blur takes off) is near the truth's (its outline, the mouth), far below the redraw's.
    detail = {name: _error_in(beard, image, gaussian_blur(image, 1.0))
              for name, image in (("truth", truth), ("teacher", teacher), ("matte", matte))}
    assert detail["matte"] < 2 * detail["truth"] < 0.5 * detail["teacher"]
    # The teacher's turned mouth is left out of the colour, not smeared into it
    # (0.30 of the teacher's error there; 0.42 with the colour's plain mean).
    mouth = faces["turned_mouth"]
    assert _error_in(mouth, matte, truth) < 0.36 * _error_in(mouth, teacher, truth)


def test_the_matte_keeps_the_inputs_mouth_over_the_beard(faces: dict) -> None:
    x, truth, teacher = faces["x"], faces["truth"], faces["teacher"]
    # The mouth: what the truth keeps of the input inside the beard's outline.
    outline = ((truth - x).abs().mean(1, keepdim=True) > 0.1).float()
    covered = (torch.nn.functional.max_pool2d(outline, 9, 1, 4) - outline).clamp(0, 1) * faces["region"]
    mouth = covered * ((x - truth).abs().mean(1, keepdim=True) < 0.02).float() * (x.mean(1, keepdim=True) < 0.2).float()
    assert mouth.sum() > 20 * len(x)
    matte = Matte().target(x, teacher)
    assert _error_in(mouth, matte, x) < 0.5 * _error_in(mouth, teacher, x)


def test_the_matte_leaves_what_the_teacher_left_and_takes_a_beard_off_round_the_mouth(faces: dict) -> None:
    x, truth = faces["x"], faces["truth"]
    matte = Matte()
    # Nothing changed: the input itself, to the bit.
    assert torch.equal(matte.target(x, x.clone()), x)
    # A change fainter than the floor is left out.
    faint = x + 0.5 * matte.floor * faces["region"]
    assert torch.equal(matte.target(x, faint), x)
    # Taking the beard off (the truth's pair the other way) leaves the skin and the
    # mouth, and not the beard's edge: an edge is not a line.
    removal = matte.target(truth, x)
    assert _error_in(faces["region"], removal, x) < 0.25 * _error_in(faces["region"], truth, x)


def test_the_matte_refuses_thresholds_out_of_order() -> None:
    with pytest.raises(ValueError, match="floor"):
        Matte(floor=0.2, full=0.1)
    with pytest.raises(ValueError, match="line_low"):
        Matte(line_low=0.2, line_high=0.1)
