"""``axis=`` on the core constructors: SciPy's and NumPy's axis semantics, transposes, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.signal
from conftest import rand

import convalgebra as ca


@pytest.mark.parametrize("axis", [0, 1, -3])
def test_filters_and_resampling_on_any_axis(rng, axis):
    x, q = rand(rng, (7, 6, 5)), rand(rng, (3,))
    shape = [1, 1, 1]
    shape[axis] = 3
    for mode in ("full", "same", "valid"):
        got = ca.conv(q, mode, axis=axis)(x)
        np.testing.assert_allclose(
            got, scipy.signal.convolve(x, q.reshape(shape), mode), atol=1e-12
        )
    sl = [slice(None)] * 3
    sl[axis] = slice(1, None, 2)
    np.testing.assert_allclose(ca.down(2, 1, axis=axis)(x), x[tuple(sl)])
    np.testing.assert_allclose(
        ca.transpose(ca.down(2, 1, axis=axis), x)(x[tuple(sl)])[tuple(sl)], x[tuple(sl)]
    )
    widths = [(0, 0)] * 3
    widths[axis] = (1, 2)
    np.testing.assert_allclose(ca.pad((1, 2), "edge", axis=axis)(x), np.pad(x, widths, mode="edge"))


def test_two_axes_and_dot_test(rng):
    x = rand(rng, (6, 4, 8))
    A = ca.down((2, 2), axis=(0, 2)) @ ca.corr(rand(rng, (3, 3)), "same", axis=(0, 2))
    ref = ca.down(2, ndim=2) @ ca.corr(np.asarray(A.inner.op.kernel), "same")
    got = A(x)
    np.testing.assert_allclose(got, np.moveaxis(ref(np.moveaxis(x, 0, 1)), 0, 1), atol=1e-12)
    assert ca.testing.check_adjoint(A, jnp.zeros((6, 4, 8))) < 1e-12
    xs = jax.ShapeDtypeStruct((6, 4, 8), np.float64)
    assert "permute_permute" in ca.explain(A, xs)


def test_axis_errors():
    with pytest.raises(ValueError, match="out of range"):
        ca.down(2, axis=3)(jnp.ones((2, 2)))
    with pytest.raises(ValueError, match="axis= takes a filter"):
        ca.corr(jnp.ones((2, 3)), axis=0)
    with pytest.raises(ValueError, match="names 2 axes but ndim=1"):
        ca.up(2, ndim=1, axis=(0, 1))
    with pytest.raises(ValueError, match="twice"):
        ca.down(2, axis=(0, -2))(jnp.ones((4, 4)))


def test_on_axes_public_equals_axis_argument(rng):
    q = rng.standard_normal(3)
    x = jnp.asarray(rng.standard_normal((9, 4)))
    got = ca.on_axes(ca.down(2) @ ca.corr(q, "same"), 0)(x)
    want = (ca.down(2, axis=0) @ ca.corr(q, "same", axis=0))(x)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(ValueError, match="names an axis twice"):
        ca.on_axes(ca.down((2, 2)), (0, -2))(x)
