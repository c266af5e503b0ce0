"""Property-based: random well-typed expression trees, lowered == as written == dense matrix.

Trees of up/down (with phases), conv/corr (every mode, single / per-channel / mixing kernels,
dilated), pads (every mode), crops, sums, scalings and transposes nested anywhere are drawn by
hypothesis; for each:

* the lowered program equals the expression as written and the dense matrix,
* its transpose (both routes) equals the matrix transpose,
* kernel gradients equal the as-written gradients,
* under ``jit`` and ``vmap``.

The default run draws a few trees (the CI budget); ``-m slow`` draws many more.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convalgebra as ca

MODES = ("full", "same", "valid", "circular")
PAD_MODES = ("zero", "reflect", "edge", "wrap")
C = 2  # channels of per-channel and mixing kernels


def _leaf(draw, n: int, rng: np.random.Generator):
    """One primitive acting on ``(B, C, n)`` inputs (channels kept), or ``None``."""
    what = draw(st.sampled_from(["up", "down", "filter", "filter", "pad", "crop"]))
    if what in ("up", "down"):
        k = draw(st.integers(1, 3))
        p = draw(st.integers(0, k - 1))
        return (ca.up if what == "up" else ca.down)(k, p)
    if what == "filter":
        kind = draw(st.sampled_from(["single", "depthwise", "mixing"]))
        taps = draw(st.integers(1, 4))
        shape = {"single": (taps,), "depthwise": (C, taps), "mixing": (C, C, taps)}[kind]
        q = jnp.asarray(rng.standard_normal(shape))
        mode = draw(st.sampled_from(MODES))
        flip = draw(st.booleans())
        f = (ca.conv if flip else ca.corr)(q, mode, ndim=1)
        r = draw(st.integers(1, 2))
        return ca.dilate(f, r) if r > 1 else f
    if what == "pad":
        mode = draw(st.sampled_from(PAD_MODES))
        limit = {"zero": 3, "edge": 3, "reflect": n - 1, "wrap": n}[mode]
        limit = max(0, min(limit, 3))
        return ca.pad((draw(st.integers(0, limit)), draw(st.integers(0, limit))), mode)
    a = draw(st.integers(0, max(0, min(2, n - 1))))
    return ca.crop((a, draw(st.integers(0, max(0, min(2, n - 1 - a))))))


@st.composite
def expressions(draw, depth: int = 3):
    """``(operator, input shape)`` of a random well-typed tree on ``(B, C, n)`` inputs."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(3, 9))
    shape = (2, C, n)

    def build(shape, depth):
        op = ca.identity()
        for _ in range(draw(st.integers(1, 3))):
            f = _leaf(draw, shape[-1], rng) if depth == 0 or draw(st.booleans()) else None
            if f is None:  # a combinator around a sub-tree
                sub = build(shape, depth - 1)
                how = draw(st.sampled_from(["scale", "sum", "transpose", "bank", "gram"]))
                if how in ("bank", "gram"):  # several outputs: a branch of two sub-trees
                    other = build(shape, depth - 1)
                    if how == "bank":  # the joined outputs must have one shape
                        try:
                            same = other.out_struct(shape).shape == sub.out_struct(shape).shape
                        except ValueError:
                            same = False
                        other = other if same else 2.0 * sub
                    bank = ca.branch(sub, other)
                    if how == "bank":  # ... joined back: sub x + 0.5 other x
                        f = (
                            ca.join(ca.identity(), 0.5 * ca.identity())
                            @ ca.parallel(None, ca.identity())
                            @ bank
                        )
                    else:  # Bᵀ B, the transpose taking the tuple of outputs
                        try:
                            xs = jax.ShapeDtypeStruct(shape, np.float64)
                            f = ca.transpose(bank, xs) @ bank
                        except ValueError:
                            continue
                elif how == "scale":
                    f = draw(st.sampled_from([-1, 0.5, 2.0])) * sub
                elif how == "sum":
                    f = sub + draw(st.sampled_from([-1, 0.5])) * sub
                else:
                    t = ca.transpose(sub, jax.ShapeDtypeStruct(shape, np.float64))
                    f = ca.transpose(t, sub.out_struct(shape))  # (Aᵀ)ᵀ through Pullbacks
            try:
                out = f.out_struct(op.out_struct(shape))
            except ValueError:
                continue
            if not 1 <= out.shape[-1] <= 40:
                continue
            op = f @ op
        return op

    op = build(shape, depth)
    return op, shape


def _check(op, shape):
    xs = jax.ShapeDtypeStruct(shape, np.float64)
    out = op.out_struct(xs)
    m = np.asarray(ca.matrix(op, xs))
    x = jnp.asarray(np.random.default_rng(1).standard_normal(shape))
    y = jnp.asarray(np.random.default_rng(2).standard_normal(out.shape))
    t_lt = ca.transpose(op, xs, method="linear_transpose")
    t_vjp = ca.transpose(op, xs, method="vjp")

    @jax.jit
    def everything(op, x, y):
        return (
            op(x),
            ca.as_written(op)(x),
            jax.vmap(op)(jnp.stack([x, 2 * x]))[1] / 2,
            t_lt(y),
            t_vjp(y),
            jax.grad(lambda o: jnp.vdot(o(x), y))(op),
            jax.grad(lambda o: jnp.vdot(ca.as_written(o)(x), y))(op),
        )

    low, ref, vm, tl, tv, g, g_ref = everything(op, x, y)
    scale = max(1.0, float(np.max(np.abs(m)))) if m.size else 1.0
    tol = 1e-10 * scale
    want = (m @ np.asarray(x).ravel()).reshape(out.shape)
    np.testing.assert_allclose(low, want, atol=tol, err_msg=repr(op))
    np.testing.assert_allclose(ref, want, atol=tol)
    np.testing.assert_allclose(vm, want, atol=tol)
    want_t = (m.T @ np.asarray(y).ravel()).reshape(shape)
    np.testing.assert_allclose(tl, want_t, atol=tol, err_msg=f"linear_transpose of {op!r}")
    np.testing.assert_allclose(tv, want_t, atol=tol, err_msg=f"vjp of {op!r}")
    for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(g_ref)):
        np.testing.assert_allclose(a, b, atol=1e-9 * max(1.0, float(np.max(np.abs(b)))))


_FEW = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_FEW
@given(expressions(depth=2))
def test_random_trees(case):
    _check(*case)


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(expressions(depth=3))
def test_random_trees_many(case):
    _check(*case)
