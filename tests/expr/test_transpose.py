"""Derived transposes: dot tests, structural oracles, the two derivation routes agreeing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import DTYPES, rand, tol

import convalgebra as ca


def _ops(rng, dtype):
    """Every primitive and several compositions, with kernels of ``dtype``."""
    k = lambda *s: jnp.asarray(rand(rng, s, dtype))  # noqa: E731
    return {
        "conv_full": (ca.conv(k(3)), (2, 7)),
        "corr_same_even": (ca.corr(k(4), "same"), (7,)),
        "conv_valid": (ca.conv(k(3), "valid"), (2, 8)),
        "corr_circular": (ca.corr(k(3), "circular"), (6,)),
        "conv2d_same": (ca.conv(k(3, 2), "same"), (5, 6)),
        "corr3d_full": (ca.corr(k(2, 2, 2), ndim=3), (3, 3, 4)),
        "depthwise": (ca.corr(k(3, 3), "same", ndim=1), (2, 3, 7)),
        "mixing2d": (ca.conv(k(2, 3, 2, 2), "valid", ndim=2), (3, 5, 4)),
        "down": (ca.down(2), (7,)),
        "down_phase_2d": (ca.down((2, 3), phase=(1, 2)), (5, 7)),
        "up": (ca.up(3, phase=1), (2, 4)),
        "pad_reflect": (ca.pad(((1, 2), (2, 0)), "reflect"), (4, 5)),
        "pad_edge": (ca.pad((2, 1), "edge"), (4,)),
        "pad_wrap": (ca.pad((2, 3), "wrap"), (5,)),
        "crop": (ca.crop(((1, 0), (0, 2))), (4, 5)),
        "strided": (ca.down(2) @ ca.corr(k(3), "same"), (2, 9)),
        "transposed": (ca.conv(k(4), "full") @ ca.up(2), (2, 5)),
        "strided2d_mix": (ca.down(2, ndim=2) @ ca.corr(k(4, 2, 3, 3), "same", ndim=2), (2, 6, 7)),
        "sum_scale": (2.0 * ca.corr(k(3), "same") - ca.pad((1, 1)) @ ca.crop((1, 1)), (8,)),
        "linear": (ca.linear(jnp.cumsum) @ ca.down(2), (9,)),
    }


# every operator's transpose is checked exactly against the dense matrix below (float64, the
# default run); the dot tests in every dtype are the slow grid's (CI runs it)
@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
def test_dot_test_every_operator(rng, dtype):
    for name, (op, shape) in _ops(rng, dtype).items():
        x_like = jax.ShapeDtypeStruct(shape, dtype)
        for method in ("linear_transpose", "vjp"):
            err = ca.testing.check_adjoint(op, x_like, method=method)
            assert err < 10 * np.finfo(dtype).eps, (name, method, err)


@pytest.mark.parametrize("dtype", [np.float64, pytest.param(np.complex128, marks=pytest.mark.slow)])
def test_transpose_equals_matrix_transpose(rng, dtype):
    for name, (op, shape) in _ops(rng, dtype).items():
        x_like = jax.ShapeDtypeStruct(shape, dtype)
        m = np.asarray(ca.matrix(op, x_like))
        out = op.out_struct(x_like)
        mt = np.asarray(ca.matrix(ca.transpose(op, x_like), out))
        np.testing.assert_allclose(mt, m.T, atol=1e-12, err_msg=name)
        mh = np.asarray(ca.matrix(ca.adjoint(op, x_like, method="vjp"), out))
        np.testing.assert_allclose(mh, m.conj().T, atol=1e-12, err_msg=name)


def test_linear_transpose_and_vjp_agree(rng):
    x = jnp.asarray(rand(rng, (2, 3, 10), np.complex64))
    op = ca.down(2) @ ca.corr(jnp.asarray(rand(rng, (4, 3, 3), np.complex64)), ndim=1)
    y = jnp.asarray(rand(rng, op.out_struct(x).shape, np.complex64))
    a = ca.transpose(op, x)(y)
    b = ca.transpose(op, x, method="vjp")(y)
    np.testing.assert_allclose(a, b, rtol=tol(np.complex64), atol=tol(np.complex64))


def test_matched_filter_structural_oracles(rng):
    q, x = rand(rng, (4,), np.complex128), rand(rng, (9,), np.complex128)
    y_full = rand(rng, (12,), np.complex128)
    y_same = rand(rng, (9,), np.complex128)
    # conv(q, full)ᵀ = corr(q, valid);  conv(q)ᴴ = corr(conj q): the matched filter
    np.testing.assert_allclose(ca.transpose(ca.conv(q), x)(y_full), ca.corr(q, "valid")(y_full))
    np.testing.assert_allclose(
        ca.adjoint(ca.conv(q), x)(y_full), ca.corr(np.conj(q), "valid")(y_full), atol=1e-13
    )
    # circular: conv(q)ᵀ = corr(q), both circular
    np.testing.assert_allclose(
        ca.transpose(ca.conv(q, "circular"), x)(y_same), ca.corr(q, "circular")(y_same), atol=1e-13
    )
    # same mode, odd kernel: conv(q, same)ᵀ = corr(q, same)
    q3 = q[:3]
    np.testing.assert_allclose(
        ca.transpose(ca.conv(q3, "same"), x)(y_same), ca.corr(q3, "same")(y_same), atol=1e-13
    )
    # ↓kᵀ = ↑k on k·n samples; on 7 samples the transpose maps 4 -> 7
    y4 = rand(rng, (4,))
    np.testing.assert_array_equal(ca.transpose(ca.down(2), jnp.zeros(8))(y4), ca.up(2)(y4))
    assert ca.transpose(ca.down(2), jnp.zeros(7))(y4).shape == (7,)


def test_transpose_of_strided_is_transposed_conv(rng):
    q = rand(rng, (3,))
    x, y = jnp.zeros(10), jnp.asarray(rand(rng, (5,)))
    strided = ca.down(2) @ ca.corr(q, "same")
    transposed = ca.conv(q, "same") @ ca.up(2)  # q * (↑2 y)
    np.testing.assert_allclose(strided.on(x).T(y), transposed(y), atol=1e-13)
    # and lax.conv_transpose agrees (full-size valid form)
    xv = jnp.zeros(11)
    sv = ca.down(2) @ ca.corr(q, "valid")
    yv = jnp.asarray(rand(rng, (5,)))
    want = jax.lax.conv_transpose(
        yv[None, :, None], jnp.asarray(q)[:, None, None], (2,), "VALID", transpose_kernel=True
    )[0, :, 0]
    np.testing.assert_allclose(sv.on(xv).T(yv), want, atol=1e-13)


def test_double_transpose_and_bound_syntax(rng):
    x = jnp.asarray(rand(rng, (2, 9)))
    op = ca.down(2) @ ca.corr(jnp.asarray(rand(rng, (3,))))
    b = op.on(x)
    assert b.T.T is b and b.H.H is b
    np.testing.assert_allclose(b.T.T(x), op(x))
    np.testing.assert_allclose(ca.transpose(op, x).T(x), op(x))
    np.testing.assert_allclose(b.H(op(x)), b.T(op(x)))  # real operator: H == T
    # transposes compose like any operator: (AB)ᵀ = Bᵀ Aᵀ
    a2 = ca.pad((1, 1))
    y = jnp.asarray(rand(rng, (2, 7)))
    lhs = ca.transpose(op @ a2, x)(y)
    rhs = ca.transpose(a2, x)(ca.transpose(op, a2.out_struct(x))(y))
    np.testing.assert_allclose(lhs, rhs, atol=1e-13)


def test_transpose_under_jit_and_grad(rng):
    x = jnp.asarray(rand(rng, (9,)))
    y = jnp.asarray(rand(rng, (5,)))
    q = jnp.asarray(rand(rng, (3,)))

    @jax.jit
    def f(q, y):
        return ca.transpose(ca.down(2) @ ca.corr(q, "same"), x)(y)

    np.testing.assert_allclose(f(q, y), (ca.conv(q, "same") @ ca.up(2))(y)[:9], atol=1e-13)
    g = jax.grad(lambda q: jnp.sum(f(q, y) ** 2))(q)
    g2 = jax.grad(lambda q: jnp.sum((ca.conv(q, "same") @ ca.up(2))(y)[:9] ** 2))(q)
    np.testing.assert_allclose(g, g2, atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match=r"needs its input shape.*A.on\(x_like\)"):
        _ = ca.down(2).T
    with pytest.raises(ValueError, match=r"adjoint.*needs its input shape"):
        _ = ca.down(2).H
    with pytest.raises(ValueError, match=r"not linear.*tanh"):
        ca.transpose(ca.linear(jnp.tanh), jnp.zeros(3))
    with pytest.raises(ValueError, match="not linear"):
        ca.adjoint(ca.linear(lambda v: v * v), jnp.zeros(3), method="vjp")
    with pytest.raises(ValueError, match="method must be one of"):
        ca.transpose(ca.down(2), jnp.zeros(4), method="adjoint")
    t = ca.transpose(ca.down(2), jnp.zeros(8, np.float32))
    with pytest.raises(ValueError, match=r"output shape \(4,\)"):
        t(jnp.zeros(5, np.float32))
    with pytest.raises(ValueError, match="cannot be cast"):
        t(jnp.zeros(4, np.complex64))
    with pytest.raises(AssertionError, match="check_linear: linearity error"):
        ca.testing.check_linear(ca.linear(lambda v: v + 1.0), jnp.zeros(3))
    assert ca.testing.check_linear(ca.linear(lambda v: v + 1.0), jnp.zeros(3), rtol=10.0) > 0.1
    assert ca.testing.check_linear(ca.down(2) @ ca.corr(jnp.ones(3)), jnp.zeros(7)) < 1e-12


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.complex128, marks=pytest.mark.slow)])
def test_jit_equals_eager(rng, dtype):
    apply = jax.jit(lambda op, x: op(x))
    for name, (op, shape) in _ops(rng, dtype).items():
        x = jnp.asarray(rand(rng, shape, dtype))
        np.testing.assert_allclose(
            apply(op, x), op(x), rtol=tol(dtype), atol=tol(dtype), err_msg=name
        )
