"""Primitives against independent oracles: NumPy, SciPy, FFTs and hand-built arrays."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.signal
from conftest import DTYPES, rand, tol

import convalgebra as ca

MODES = ["full", "same", "valid"]


def scipy_filter(x, q, mode, flip):
    """SciPy oracle over the trailing q.ndim axes of x (leading axes looped)."""
    nd = q.ndim
    lead = x.shape[:-nd]
    flat = x.reshape((-1, *x.shape[-nd:]))
    f = scipy.signal.convolve if flip else scipy.signal.correlate
    k = q if flip else np.conj(q)  # scipy.correlate conjugates its second argument
    outs = [f(s, k, mode=mode, method="direct") for s in flat]
    return np.stack(outs).reshape(lead + outs[0].shape)


def circular_oracle(x, q, flip):
    """Cyclic convolution / correlation by FFT over the trailing q.ndim axes."""
    nd = q.ndim
    axes = tuple(range(x.ndim - nd, x.ndim))
    n = x.shape[-nd:]
    if flip:
        return np.fft.ifftn(
            np.fft.fftn(x, axes=axes) * np.fft.fftn(q, s=n, axes=tuple(range(nd))), axes=axes
        )
    # y[n] = sum_k q[k] x[n+k]  <=>  Y = X * conj(FFT(conj q))
    return np.fft.ifftn(
        np.fft.fftn(x, axes=axes) * np.conj(np.fft.fftn(np.conj(q), s=n, axes=tuple(range(nd)))),
        axes=axes,
    )


SIZES_1D = [(8, 3), (7, 4), (5, 5), (6, 1), (4, 6)]


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize(
    "mode,n,k",
    [
        (m, n, k)
        for m, (n, k) in itertools.product(MODES, SIZES_1D)
        if not (m == "valid" and k > n)
    ],  # valid with k > n is an error: tested below
)
def test_filter_1d_matches_scipy(rng, flip, mode, n, k):
    x, q = rand(rng, (2, n)), rand(rng, (k,))
    op = ca.conv(q, mode) if flip else ca.corr(q, mode)
    np.testing.assert_allclose(op(x), scipy_filter(x, q, mode, flip), rtol=1e-12, atol=1e-12)


def test_conv_matches_numpy_convolve(rng):
    x, q = rand(rng, (9,)), rand(rng, (4,))
    for mode in MODES:
        np.testing.assert_allclose(ca.conv(q, mode)(x), np.convolve(x, q, mode), atol=1e-12)


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nd", [2, 3])
def test_filter_nd_matches_scipy(rng, flip, mode, nd):
    shape = (7, 6, 5)[:nd]
    kshape = (3, 2, 4)[:nd]
    x, q = rand(rng, (2, *shape), np.complex128), rand(rng, kshape, np.complex128)
    op = ca.conv(q, mode, ndim=nd) if flip else ca.corr(q, mode, ndim=nd)
    np.testing.assert_allclose(op(x), scipy_filter(x, q, mode, flip), rtol=1e-11, atol=1e-11)


def test_conv2d_matches_convolve2d(rng):
    x, q = rand(rng, (6, 7)), rand(rng, (3, 2))
    for mode in MODES:
        np.testing.assert_allclose(
            ca.conv(q, mode)(x), scipy.signal.convolve2d(x, q, mode=mode), atol=1e-12
        )


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_circular_matches_fft(rng, flip, nd):
    shape, kshape = (6, 5, 4)[:nd], (3, 2, 4)[:nd]
    x, q = rand(rng, (2, *shape), np.complex128), rand(rng, kshape, np.complex128)
    o = tuple(-(k // 2) for k in kshape)  # the uncentred cyclic convolution (the DFT product)
    op = (ca.conv if flip else ca.corr)(q, "circular", ndim=nd, origin=o)
    np.testing.assert_allclose(op(x), circular_oracle(x, q, flip), atol=1e-11)


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("mode", MODES + ["circular"])
def test_depthwise_channels(rng, flip, mode):
    x, q = rand(rng, (2, 3, 8, 7)), rand(rng, (3, 2, 3))
    op = (ca.conv if flip else ca.corr)(q, mode, ndim=2)
    got = op(x)
    for c in range(3):
        single = (ca.conv if flip else ca.corr)(q[c], mode)
        np.testing.assert_allclose(got[:, c], single(x[:, c]), atol=1e-12)
    if mode != "circular":
        np.testing.assert_allclose(got[:, 1], scipy_filter(x[:, 1], q[1], mode, flip), atol=1e-12)


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_channel_mixing_sums_over_inputs(rng, flip, nd):
    shape, kshape = (6, 5, 4)[:nd], (3, 2, 2)[:nd]
    x, q = rand(rng, (2, 3, *shape)), rand(rng, (4, 3, *kshape))
    got = (ca.conv if flip else ca.corr)(q, "same", ndim=nd)(x)
    assert got.shape == (2, 4, *shape)
    for o in range(4):
        want = sum(scipy_filter(x[:, i], q[o, i], "same", flip) for i in range(3))
        np.testing.assert_allclose(got[:, o], want, atol=1e-12)


def test_corr_mixing_matches_lax(rng):
    x, q = rand(rng, (2, 3, 9, 8)), rand(rng, (5, 3, 3, 2))
    want = jax.lax.conv_general_dilated(x, q, (1, 1), "VALID")
    np.testing.assert_allclose(ca.corr(q, "valid", ndim=2)(x), want, atol=1e-12)


@pytest.mark.parametrize("k,phase", [(2, 0), (2, 1), (3, 2), (1, 0)])
@pytest.mark.parametrize("n", [6, 7])
def test_up_down_numpy(rng, k, phase, n):
    x = rand(rng, (2, n))
    np.testing.assert_array_equal(ca.down(k, phase)(x), x[:, phase::k])
    assert ca.down(k, phase)(x).shape[-1] == -(-(n - phase) // k)
    u = np.zeros((2, k * n))
    u[:, phase::k] = x
    np.testing.assert_array_equal(ca.up(k, phase)(x), u)


def test_up_down_tuple_and_ndim(rng):
    x = rand(rng, (2, 5, 6))
    np.testing.assert_array_equal(ca.down((2, 3))(x), x[:, ::2, ::3])
    np.testing.assert_array_equal(ca.down(2, ndim=2)(x), x[:, ::2, ::2])
    np.testing.assert_array_equal(ca.down((2, 3), phase=(1, 2))(x), x[:, 1::2, 2::3])
    u = np.zeros((2, 10, 18))
    u[:, 1::2, ::3] = x
    np.testing.assert_array_equal(ca.up((2, 3), phase=(1, 0))(x), u)
    np.testing.assert_array_equal(ca.down(2, ndim=2)(ca.up(2, ndim=2)(x)), x)


@pytest.mark.parametrize("mode", ["zero", "reflect", "edge", "wrap"])
def test_pad_matches_numpy(rng, mode):
    x = rand(rng, (2, 5, 6))
    w = ((1, 2), (3, 0))
    np_mode = {"zero": "constant"}.get(mode, mode)
    np.testing.assert_array_equal(ca.pad(w, mode)(x), np.pad(x, ((0, 0), *w), mode=np_mode))


def test_crop_and_identity(rng):
    x = rand(rng, (3, 7))
    np.testing.assert_array_equal(ca.crop((2, 1))(x), x[:, 2:6])
    np.testing.assert_array_equal(ca.crop(((1, 0), (0, 3)))(x), x[1:, :4])
    np.testing.assert_array_equal(ca.identity()(x), x)
    np.testing.assert_array_equal(ca.crop(((0, 0), (0, 0)))(ca.pad(((0, 0), (0, 0)))(x)), x)


def test_linear_wraps_function(rng):
    x = rand(rng, (5,))
    op = ca.linear(jnp.cumsum)
    np.testing.assert_allclose(op(x), np.cumsum(x))
    assert op.out_struct(x).shape == (5,)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_promotion(rng, dtype):
    x = rand(rng, (6,), dtype)
    for qd in DTYPES:
        q = rand(rng, (3,), qd)
        y = ca.corr(jnp.asarray(q))(jnp.asarray(x))
        assert y.dtype == np.result_type(dtype, qd)
        want = scipy_filter(x.astype(y.dtype), q.astype(y.dtype), "full", False)
        np.testing.assert_allclose(y, want, rtol=tol(y.dtype), atol=tol(y.dtype))


def test_weak_kernels_adopt_input_precision(rng):
    x32 = jnp.asarray(rand(rng, (5,), np.float32))
    assert ca.conv([0.5, 0.5])(x32).dtype == np.float32
    assert ca.conv([1, 1])(x32).dtype == np.float32
    assert ca.conv([1j, 1.0])(x32).dtype == np.complex64
    assert (2.0 * ca.identity())(x32).dtype == np.float32
    assert (1j * ca.identity())(x32).dtype == np.complex64
    assert (jnp.float64(2.0) * ca.identity())(x32).dtype == np.float64
    # an explicit array kernel is strong: nothing is downcast
    assert ca.conv(jnp.ones(2, np.float64))(x32).dtype == np.float64


@pytest.mark.parametrize(
    "make, err, match",
    [
        (lambda: ca.down(2.5), TypeError, "factor must be an int, got 2.5"),
        (lambda: ca.up(0), ValueError, "factor must be a positive int"),
        (lambda: ca.down(-2), ValueError, "positive int, got -2"),
        (lambda: ca.down(2, phase=2), ValueError, "0 <= phase < factor, got phase=2"),
        (lambda: ca.up((2, 2), ndim=3), ValueError, "length must equal ndim"),
        (lambda: ca.down(True), TypeError, "bool"),
        (lambda: ca.conv(np.ones((2, 2, 2, 2)), ndim=1), ValueError, "kernel rank must be"),
        (lambda: ca.corr(np.ones(3), mode="sane"), ValueError, "mode must be one of"),
        (lambda: ca.conv(np.ones(())), ValueError, "at least one axis"),
        (lambda: ca.pad(((1, 2), (3,))), ValueError, r"\(before, after\) pair"),
        (lambda: ca.pad((1, -1)), ValueError, "non-negative"),
        (lambda: ca.pad(1, mode="mirror"), ValueError, "mode must be one of"),
        (lambda: ca.linear(3), TypeError, "callable"),
    ],
)
def test_bad_construction(make, err, match):
    with pytest.raises(err, match=match):
        make()


@pytest.mark.parametrize(
    "op, shape, match",
    [
        (ca.corr(np.ones(5), "valid"), (3,), "kernel length 5 for signal length 3"),
        (ca.conv(np.ones(5), "circular"), (3,), "circular"),
        (ca.corr(np.ones((4, 3, 2)), ndim=1), (2, 5, 7), "channel mismatch.*expects 3 channels"),
        (ca.corr(np.ones((3, 2)), ndim=1), (7,), "at least 2 axes"),
        (ca.down((2, 2)), (5,), "acts on 2 trailing axes"),
        (ca.crop((3, 3)), (5,), "cannot remove 3\\+3"),
        (ca.pad(((5, 0),), "reflect"), (4,), "widths <= 3"),
        (ca.pad(((0, 0), (1, 1))), (4,), "pads 2 trailing axes"),
    ],
)
def test_bad_input_shapes(op, shape, match):
    with pytest.raises(ValueError, match=match):
        op(jnp.zeros(shape))
