"""Grouped kernels in the core: ``groups=`` lowers to one grouped convolution, exact everywhere."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import rand
from jax import lax

import convalgebra as ca
from convalgebra._expr.explain import lax_ops


def _lax_grouped(x, w, groups, stride, pad):
    return lax.conv_general_dilated(x, w, (stride,), [pad], feature_group_count=groups)


@pytest.mark.parametrize("groups", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_grouped_equals_lax_and_transposes(rng, groups):
    w = jnp.asarray(rand(rng, (6, 6 // groups, 3)))
    x = jnp.asarray(rand(rng, (2, 6, 11)))
    for stride in (1, 2):
        A = ca.down(stride) @ ca.corr(w, "same", ndim=1, groups=groups)
        ref = _lax_grouped(x, w, groups, stride, (1, 1))
        np.testing.assert_allclose(A(x), ref, atol=1e-12)
        np.testing.assert_allclose(ca.as_written(A)(x), ref, atol=1e-12)
        convs = [p for n, p in lax_ops(jax.make_jaxpr(A)(x)) if n == "conv_general_dilated"]
        assert [p["feature_group_count"] for p in convs] == [groups]  # one grouped conv
        m = np.asarray(ca.matrix(A, x))
        y = jnp.asarray(rand(rng, A.out_struct(x).shape))
        for method in ("linear_transpose", "vjp"):
            t = ca.transpose(A, x, method=method)(y)
            np.testing.assert_allclose(t.ravel(), m.T @ np.asarray(y).ravel(), atol=1e-10)

        def loss(w, stride=stride, y=y):
            return jnp.sum((ca.down(stride) @ ca.corr(w, "same", 1, groups=groups))(x) * y)

        def loss_ref(w, stride=stride, y=y):
            return jnp.sum(_lax_grouped(x, w, groups, stride, (1, 1)) * y)

        g, g_ref = jax.grad(loss)(w), jax.grad(loss_ref)(w)
        np.testing.assert_allclose(g, g_ref, atol=1e-10)
    # transposed (polyphase) grouped convolution: q ⋆ (↑2 x)
    T = ca.corr(w, "full", ndim=1, groups=groups) @ ca.up(2)
    m = np.asarray(ca.matrix(T, x))
    np.testing.assert_allclose(T(x).ravel(), m @ np.asarray(x).ravel(), atol=1e-10)
    np.testing.assert_allclose(T(x), ca.as_written(T)(x), atol=1e-12)


def test_grouped_errors_and_strategies(rng):
    w = jnp.ones((4, 2, 3))
    with pytest.raises(ValueError, match="groups=3 needs"):
        ca.corr(w, ndim=1, groups=3)
    with pytest.raises(ValueError, match="channel mismatch"):
        ca.corr(w, ndim=1, groups=2)(jnp.ones((1, 2, 8)))
    with pytest.raises(ValueError, match="cannot run"):
        ca.lower(ca.corr(w, ndim=1, groups=2), strategy="shift")(jnp.ones((1, 4, 8)))
    assert "groups=2" in repr(ca.corr(w, ndim=1, groups=2))
