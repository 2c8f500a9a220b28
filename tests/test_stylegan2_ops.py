"""latentroom.plugins.stylegan2.ops against independent direct implementations (NumPy loops)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentroom.plugins.stylegan2.ops import fir_slices, fused_leaky_relu, make_kernel, upfirdn2d


def upfirdn2d_loops(x: np.ndarray, k: np.ndarray, up: int, down: int, pad: tuple[int, int, int, int]) -> np.ndarray:
    """The reference's definition written out: zero insertion, pad/crop, true
    convolution (kernel flipped), keep every down-th sample."""
    px0, px1, py0, py1 = pad
    n, c, h, w = x.shape
    u = np.zeros((n, c, h * up, w * up), dtype=np.float64)
    u[:, :, ::up, ::up] = x
    hp, wp = h * up + py0 + py1, w * up + px0 + px1
    p = np.zeros((n, c, hp, wp))
    for yy in range(hp):
        for xx in range(wp):
            sy, sx = yy - py0, xx - px0
            if 0 <= sy < h * up and 0 <= sx < w * up:
                p[:, :, yy, xx] = u[:, :, sy, sx]
    kh, kw = k.shape
    oh, ow = (hp - kh) // down + 1, (wp - kw) // down + 1
    out = np.zeros((n, c, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            acc = np.zeros((n, c))
            for i in range(kh):
                for j in range(kw):
                    # convolution: kernel tap (i, j) meets sample (y + kh-1-i, x + kw-1-j)
                    acc += k[i, j] * p[:, :, oy * down + kh - 1 - i, ox * down + kw - 1 - j]
            out[:, :, oy, ox] = acc
    return out


CASES = [
    (1, 1, (1, 1, 1, 1)),
    (2, 1, (2, 1, 2, 1)),  # Upsample on the RGB skip path
    (1, 2, (1, 1, 1, 1)),  # Downsample
    (1, 1, (2, 1, 0, 3)),  # asymmetric
    (2, 1, (-1, 2, 1, -2)),  # negative pad = crop
    (3, 2, (0, 1, 1, 0)),
]


@pytest.mark.parametrize("up,down,pad", CASES)
def test_upfirdn2d_matches_direct_loops(up: int, down: int, pad: tuple[int, int, int, int]) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    k = rng.random((4, 3)).astype(np.float32)  # asymmetric: a missing flip would show
    got = upfirdn2d(torch.from_numpy(x), torch.from_numpy(k), up=up, down=down, pad=pad).numpy()
    want = upfirdn2d_loops(x.astype(np.float64), k.astype(np.float64), up, down, pad)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_upfirdn2d_two_entry_pad_means_both_axes() -> None:
    x, k = torch.randn(1, 2, 4, 4), make_kernel([1, 3, 3, 1]) * 4
    assert torch.equal(upfirdn2d(x, k, up=2, pad=(2, 1)), upfirdn2d(x, k, up=2, pad=(2, 1, 2, 1)))
    assert upfirdn2d(x, k, up=2, pad=(2, 1)).shape[-2:] == (8, 8)


def test_fir_slices_equals_upfirdn2d() -> None:
    x, k = torch.randn(2, 3, 9, 7), torch.rand(4, 4)
    np.testing.assert_allclose(fir_slices(x, k.tolist(), (1, 2)).numpy(),
                               upfirdn2d(x, k, pad=(1, 2)).numpy(), atol=1e-5)


def test_make_kernel_is_normalised_outer_product() -> None:
    k = make_kernel([1, 3, 3, 1])
    assert k.shape == (4, 4) and math.isclose(k.sum().item(), 1.0, rel_tol=1e-6)
    assert torch.allclose(k, torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64)


def test_fused_leaky_relu_formula() -> None:
    x, b = torch.randn(3, 4, 5, 5), torch.randn(4)
    got = fused_leaky_relu(x, b)
    v = x.numpy() + b.numpy()[None, :, None, None]
    want = np.where(v >= 0, v, 0.2 * v) * math.sqrt(2)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(fused_leaky_relu(x).numpy(), np.where(x >= 0, x, 0.2 * x) * math.sqrt(2), atol=1e-5)


def test_ops_are_differentiable() -> None:
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    k = make_kernel([1, 3, 3, 1]).double()
    assert torch.autograd.gradcheck(lambda t: upfirdn2d(t, k, up=2, down=1, pad=(2, 1)), (x,))
    assert torch.autograd.gradcheck(lambda t: upfirdn2d(t, k, up=1, down=2, pad=(1, 1)), (x,))
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t, bb: fused_leaky_relu(t + 0.01, bb), (x, b))
