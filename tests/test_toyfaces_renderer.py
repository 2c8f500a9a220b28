"""toyfaces renderer: determinism, anti-aliasing, ground-truth edits, correlations."""

from __future__ import annotations

import numpy as np
import pytest

from latentroom.plugins.toyfaces import renderer as R


def _extremes(seed: int, n: int) -> R.Params:
    # Push attributes and framing to their range ends, where window bounds and
    # geometry are most likely to break.
    p = R.sample_params(seed, n)
    rng = np.random.default_rng(seed + 1)
    for k in R.ATTRIBUTE_NAMES:
        p[k] = np.where(rng.random(n) < 0.6, np.round(p[k]), p[k]).astype(np.float32)
    p["head_y"] = np.where(rng.random(n) < 0.6, np.sign(p["head_y"]) * 0.07, p["head_y"]).astype(np.float32)
    return p


def test_params_shapes_and_ranges() -> None:
    p = R.sample_params(0, 500)
    assert list(R.ATTRIBUTE_NAMES) == [
        "smile", "hair_length", "hair_color", "age", "face_width",
        "skin_tone", "eye_size", "glasses", "beard", "pose",
    ]
    assert set(p) == set(R.ATTRIBUTE_NAMES) | set(R.NUISANCE_NAMES)
    for spec in R.ATTRIBUTES:
        v = p[spec.name]
        assert v.shape == (500,) and v.dtype == np.float32
        assert v.min() >= 0.0 and v.max() <= 1.0
        if spec.kind == "binary":
            assert set(np.unique(v)) <= {0.0, 1.0}
    assert R.attribute_matrix(p).shape == (500, len(R.ATTRIBUTES))


def test_render_deterministic_and_seed_dependent() -> None:
    a = R.render(R.sample_params(123, 8))
    b = R.render(R.sample_params(np.random.default_rng(123), 8))
    c = R.render(R.sample_params(124, 8))
    assert a.shape == (8, 128, 128, 3) and a.dtype == np.uint8
    assert a.tobytes() == b.tobytes()
    assert (a != c).reshape(8, -1).any(axis=1).all()


def test_render_independent_of_batch() -> None:
    p = R.sample_params(7, 80)  # crosses the internal chunk size
    full = R.render(p)
    assert np.array_equal(full[70:73], R.render(R.take(p, slice(70, 73))))


def test_windows_bound_every_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    p = _extremes(11, 300)
    windowed = R.render(p)
    monkeypatch.setattr(R, "_FULL_FRAME", True)
    assert np.array_equal(windowed, R.render(p))


@pytest.mark.parametrize("size", [64, 256])
def test_other_sizes(size: int) -> None:
    img = R.render(R.sample_params(1, 2), size=size)
    assert img.shape == (2, size, size, 3)


def test_anti_aliasing_matches_supersampled_reference() -> None:
    p = R.sample_params(5, 6)
    direct = R.render(p, 128).astype(np.float64)
    ss = R.render(p, 512).astype(np.float64).reshape(6, 128, 4, 128, 4, 3).mean(axis=(2, 4))
    err = np.abs(direct - ss)
    # Analytic coverage should agree with 4x4 supersampling to within a few levels;
    # an aliased (hard-threshold) renderer is off by ~100 levels along every edge.
    assert err.mean() < 1.5, err.mean()
    assert np.quantile(err, 0.999) < 40
    # Edges have in-between values: many pixels are neither of their neighbours.
    g = direct[..., 1]
    mid = (g[:, :, 1:-1] - np.minimum(g[:, :, :-2], g[:, :, 2:]) > 4) & (np.maximum(g[:, :, :-2], g[:, :, 2:]) - g[:, :, 1:-1] > 4)
    assert mid.sum() > 500


def _rows(size: int, y0: float, y1: float) -> slice:
    g = (np.arange(size) + 0.5) * 2 / size - 1
    r = np.flatnonzero((g >= y0) & (g <= y1))
    return slice(r[0], r[-1] + 1)


# attribute, amount, normalised rows [y0, y1] outside which nothing may change (None: anywhere)
EDITS = [
    ("smile", 0.5, (0.12, 0.62)),
    ("eye_size", 0.4, (-0.27, 0.29)),
    ("glasses", None, (-0.27, 0.29)),
    ("beard", None, (0.15, 0.82)),
    ("age", 0.5, None),
    ("hair_color", 0.4, None),
    ("hair_length", 0.5, None),
    ("skin_tone", 0.4, None),
    ("face_width", 0.4, None),
    ("pose", 0.4, None),
]


@pytest.mark.parametrize("attr,amount,band", EDITS)
def test_edit_changes_only_its_attribute(attr: str, amount: float | None, band: tuple[float, float] | None) -> None:
    p = R.sample_params(31, 24)
    if amount is not None:
        # Start low so a positive amount is never fully clipped away.
        p[attr] = (p[attr] * 0.4).astype(np.float32)
    q = R.edit(p, attr, amount)
    changed = [k for k in p if not np.array_equal(p[k], q[k])]
    assert changed == [attr]
    a, b = R.render(p), R.render(q)
    diff = (a != b).any(axis=-1)  # [N, H, W]
    assert diff.reshape(24, -1).any(axis=1).mean() > 0.9  # the edit shows
    # The background corners never change: no edit touches the nuisance.
    assert not diff[:, :16, :16].any() and not diff[:, :16, -16:].any()
    if band is not None:
        rows = _rows(128, *band)
        outside = diff.copy()
        outside[:, rows] = False
        assert not outside.any(), f"{attr} edit changed pixels outside rows {band}"


def test_edit_semantics() -> None:
    p = R.sample_params(3, 50)
    q = R.edit(p, "smile", 2.0)
    assert np.all(q["smile"] == 1.0)
    q = R.edit(p, "age", -0.25)
    assert np.allclose(q["age"], np.clip(p["age"] - 0.25, 0, 1))
    assert np.all(R.edit(p, "glasses", 1.0)["glasses"] == 1.0)
    assert np.all(R.edit(p, "glasses", -1.0)["glasses"] == 0.0)
    assert np.array_equal(R.edit(p, "beard", None)["beard"], 1.0 - p["beard"])
    assert np.array_equal(p["smile"], R.sample_params(3, 50)["smile"])  # input not mutated
    with pytest.raises(KeyError):
        R.edit(p, "freckles", 0.1)
    with pytest.raises(ValueError):
        R.edit(p, "smile", None)


def test_correlations_present() -> None:
    p = R.sample_params(0, 10_000)
    A = R.attribute_matrix(p)
    C = np.corrcoef(A.T)
    i = {n: k for k, n in enumerate(R.ATTRIBUTE_NAMES)}

    def r(a: str, b: str) -> float:
        return float(C[i[a], i[b]])

    assert r("beard", "hair_length") < -0.35  # beards go with short hair
    assert r("beard", "age") > 0.15
    assert r("glasses", "age") > 0.3  # glasses more common with age
    assert r("skin_tone", "hair_color") < -0.35  # darker skin, darker hair
    assert r("age", "face_width") > 0.2
    assert r("age", "eye_size") < -0.15
    assert abs(r("pose", "smile")) < 0.05  # pose is independent
    assert 0.1 < p["beard"].mean() < 0.35 and 0.2 < p["glasses"].mean() < 0.5
    # Long-haired faces almost never have beards.
    assert p["beard"][p["hair_length"] > 0.7].mean() < 0.05
