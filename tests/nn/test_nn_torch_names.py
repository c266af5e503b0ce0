"""``ca.nn`` functions that borrow a PyTorch name behave as PyTorch's (the oracle, CPU).

``upsample_bilinear`` (``align_corners=True``, by size or scale factor) and ``upsample_nearest``
with PyTorch's signatures; ``interpolate(antialias=True)`` (bilinear / bicubic); ``uint8``
images in the nearest modes (dtype kept, same values). The half-pixel integer-factor form is
``upsample_linear``.
"""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca

torch = pytest.importorskip("torch", reason="PyTorch (the 'test' extra) is not installed")
F = torch.nn.functional

pytestmark = [
    pytest.mark.torch,
    pytest.mark.usefixtures("quick_compiles"),
    pytest.mark.filterwarnings("ignore:.*is deprecated:UserWarning"),  # F.upsample_*
]


def _x(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _tol(dtype):
    return dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


def test_signatures_are_torch_s():
    for name in ("upsample_bilinear", "upsample_nearest"):
        ours = list(inspect.signature(getattr(ca.nn, name)).parameters)
        theirs = list(inspect.signature(getattr(F, name)).parameters)
        assert ours[: len(theirs)] == theirs, name  # then the keyword-only data_format


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "args, kw",
    [((5,), {}), (((7, 4),), {}), ((), {"scale_factor": 2}), ((), {"scale_factor": (1.5, 3)})],
    ids=str,
)
def test_upsample_bilinear_and_nearest_match_torch(args, kw, dtype):
    x = _x((2, 3, 4, 5), dtype)
    for name in ("upsample_bilinear", "upsample_nearest"):
        want = getattr(F, name)(torch.tensor(x), *args, **kw).numpy()
        got = np.asarray(getattr(ca.nn, name)(x, *args, **kw))
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, **_tol(dtype), err_msg=f"{name} {args} {kw}")
    last = ca.nn.upsample_bilinear(np.moveaxis(x, 1, -1), *args, **kw, data_format="channels_last")
    want = F.upsample_bilinear(torch.tensor(x), *args, **kw).numpy()
    np.testing.assert_allclose(np.moveaxis(np.asarray(last), -1, 1), want, **_tol(dtype))


def test_upsample_linear_is_half_pixel_interpolate():
    x = _x((1, 2, 4, 3))
    want = F.interpolate(torch.tensor(x), scale_factor=3, mode="bilinear").numpy()
    np.testing.assert_allclose(ca.nn.upsample_linear(x, 3), want, rtol=1e-12, atol=1e-12)
    op = ca.nn.upsample_linear_op(3, ndim=2)
    np.testing.assert_allclose(op(jnp.asarray(x)), want, rtol=1e-12, atol=1e-12)


ANTIALIAS = [
    ("bilinear", {"size": (5, 7)}),
    ("bicubic", {"size": (5, 7)}),
    ("bilinear", {"scale_factor": 0.3}),
    ("bicubic", {"scale_factor": (0.5, 2.5)}),
    pytest.param("bilinear", {"size": (30, 4)}, marks=pytest.mark.slow),
    pytest.param("bicubic", {"size": (6, 5), "align_corners": True}, marks=pytest.mark.slow),
    pytest.param("bilinear", {"scale_factor": 0.45, "recompute_scale_factor": True},
                 marks=pytest.mark.slow),
    pytest.param("bicubic", {"size": (17, 13)}, marks=pytest.mark.slow),
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode, kw", ANTIALIAS, ids=str)
def test_interpolate_antialias_matches_torch(mode, kw, dtype):
    x = _x((2, 3, 17, 13), dtype, 1)
    want = F.interpolate(torch.tensor(x), mode=mode, antialias=True, **kw).numpy()
    got = np.asarray(ca.nn.interpolate(x, mode=mode, antialias=True, **kw))
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **_tol(dtype), err_msg=f"{mode} {kw}")
    plain = np.asarray(ca.nn.interpolate(x, mode=mode, **kw))
    if "size" in kw and kw["size"][0] < 17:  # down-sampling: the filter is wider than without
        assert not np.allclose(plain, got)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("kw", [{"scale_factor": 2}, {"size": (4, 7)}, {"scale_factor": 1.7}])
def test_nearest_on_uint8_images_matches_torch(mode, kw):
    u = np.random.default_rng(2).integers(0, 256, (1, 3, 9, 11)).astype(np.uint8)
    want = F.interpolate(torch.tensor(u), mode=mode, **kw).numpy()
    got = np.asarray(ca.nn.interpolate(u, mode=mode, **kw))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, want)
    got = np.asarray(ca.nn.upsample_nearest(np.moveaxis(u, 1, -1), **kw,
                                            data_format="channels_last"))  # fmt: skip
    if mode == "nearest":
        np.testing.assert_array_equal(np.moveaxis(got, -1, 1), want)
