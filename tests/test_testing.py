"""``ca.testing``: the checks assert with a tolerance (as ``jax.test_util.check_grads`` does) and
return the measured error."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
from convalgebra import testing as cat


def test_default_tolerance_by_precision():
    assert cat.default_tolerance("float64") == 1e-10
    assert cat.default_tolerance("complex128") == 1e-10
    assert cat.default_tolerance("float32", "float64") == 1e-4  # the least precise decides
    assert cat.default_tolerance("complex64") == 1e-4
    assert cat.default_tolerance(jnp.bfloat16) == 5e-2


def test_check_adjoint_returns_error_and_asserts():
    A = ca.down(2) @ ca.corr(jnp.array([1.0, 2.0, 3.0]))
    err = cat.check_adjoint(A, jnp.zeros(9))
    assert 0.0 <= err < 1e-14
    with pytest.raises(AssertionError, match="check_adjoint: dot-test error"):
        cat.check_adjoint(A, jnp.zeros(9), rtol=-1.0)  # nothing passes a negative tolerance


def test_check_matrix_order_and_assert():
    x_like = jnp.zeros(4)
    expected = np.eye(4)[::2]
    assert cat.check_matrix(ca.down(2), x_like, expected) == 0.0
    with pytest.raises(AssertionError, match="check_matrix: largest difference 1"):
        cat.check_matrix(ca.down(2), x_like, np.eye(4)[1::2])
    with pytest.raises(AssertionError, match="shape"):
        cat.check_matrix(ca.down(2), x_like, np.eye(4))


def test_random_like_shapes_dtypes_and_trees():
    x = cat.random_like(jax.ShapeDtypeStruct((3, 5), jnp.complex64), key=1)
    assert x.shape == (3, 5) and x.dtype == jnp.complex64
    assert float(jnp.std(x.imag)) > 0.1  # both parts drawn
    a, b = cat.random_like((jnp.zeros(2), jnp.zeros((4,), jnp.float32)))
    assert a.shape == (2,) and b.dtype == jnp.float32
    with pytest.raises(TypeError, match="random_like: needs a floating"):
        cat.random_like(jnp.zeros(3, jnp.int32))
