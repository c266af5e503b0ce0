"""Operators with several inputs or outputs (issue 9 item 1): branch, join, parallel.

Oracles: the operators applied one by one, dense matrices (``ca.matrix`` of each part, stacked
with NumPy), the dot test, and PyWavelets for a Haar cascade when it is installed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import convalgebra as ca
from convalgebra._expr.explain import lax_ops, recorded


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _bank(rng, taps=4, mode="same"):
    lo, hi = rng.standard_normal(taps), rng.standard_normal(taps)
    return ca.branch(ca.down(2) @ ca.corr(lo, mode), ca.down(2) @ ca.corr(hi, mode)), lo, hi


def _haar():
    s = 1 / np.sqrt(2)
    return ca.branch(ca.down(2) @ ca.corr([s, s], "valid"), ca.down(2) @ ca.corr([s, -s], "valid"))


def test_branch_values_are_each_operator(rng):
    bank, lo, hi = _bank(rng)
    x = jnp.asarray(rng.standard_normal((3, 17)))
    a, d = bank(x)
    np.testing.assert_allclose(a, (ca.down(2) @ ca.corr(lo, "same"))(x), rtol=1e-13)
    np.testing.assert_allclose(d, (ca.down(2) @ ca.corr(hi, "same"))(x), rtol=1e-13)
    ref = ca.as_written(bank)(x)
    np.testing.assert_allclose(a, ref[0], rtol=1e-13)
    assert bank.out_struct(x)[1].shape == (3, 9)


def test_outputs_of_different_shapes_and_nesting(rng):
    op = ca.branch(ca.down(3), ca.branch(ca.identity(), ca.up(2)))
    x = jnp.asarray(rng.standard_normal(7))
    y = op(x)
    assert [a.shape for a in jax.tree.leaves(y)] == [(3,), (7,), (14,)]
    s = op.out_struct(x)
    assert [tuple(a.shape) for a in jax.tree.leaves(s)] == [(3,), (7,), (14,)]
    m = ca.matrix(op, x)
    want = np.vstack([ca.matrix(ca.down(3), x), np.eye(7), ca.matrix(ca.up(2), x)])
    np.testing.assert_array_equal(m, want)
    t = ca.transpose(op, x)
    np.testing.assert_allclose(ca.matrix(t, s), want.T, atol=1e-15)


@pytest.mark.parametrize("method", ["linear_transpose", "vjp"])
def test_transpose_of_branch_is_join_of_transposes(rng, method):
    bank, _, _ = _bank(rng, 5)
    x = jnp.asarray(rng.standard_normal((2, 20)))
    a_op, d_op = bank.ops
    syn = ca.transpose(bank, x, method=method)
    ys = bank(jnp.asarray(rng.standard_normal((2, 20))))
    want = ca.join(ca.transpose(a_op, x), ca.transpose(d_op, x))(ys)
    np.testing.assert_allclose(syn(ys), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ca.transpose(syn, bank.out_struct(x))(x)[1], d_op(x), rtol=1e-12)
    assert ca.testing.check_adjoint(bank, x, method=method) < 1e-14


def test_matrices_stack_as_blocks(rng):
    bank, _, _ = _bank(rng, 3)
    x = jax.ShapeDtypeStruct((9,), np.float64)
    ma = np.asarray(ca.matrix(bank.ops[0], x))
    md = np.asarray(ca.matrix(bank.ops[1], x))
    np.testing.assert_allclose(ca.matrix(bank, x), np.vstack([ma, md]), atol=1e-15)
    ys = bank.out_struct(x)
    join = ca.join(ca.transpose(bank.ops[0], x), ca.transpose(bank.ops[1], x))
    np.testing.assert_allclose(ca.matrix(join, ys), np.hstack([ma.T, md.T]), atol=1e-15)
    par = ca.parallel(bank.ops[0], ca.up(2))
    xs = (x, jax.ShapeDtypeStruct((4,), np.float64))
    want = scipy.linalg.block_diag(ma, np.asarray(ca.matrix(ca.up(2), xs[1])))
    np.testing.assert_allclose(ca.matrix(par, xs), want, atol=1e-15)
    np.testing.assert_allclose(ca.matrix(ca.transpose(par, xs), par.out_struct(xs)), want.T)


def test_two_level_cascade_dot_tests_and_reconstructs(rng):
    haar = _haar()
    two = ca.parallel(haar, None) @ haar
    x = jnp.asarray(rng.standard_normal((4, 16)))
    (a2, d2), d1 = two(x)
    assert (a2.shape, d2.shape, d1.shape) == ((4, 4), (4, 4), (4, 8))
    for method in ("linear_transpose", "vjp"):
        assert ca.testing.check_adjoint(two, x, method=method) < 1e-14
        np.testing.assert_allclose(ca.transpose(two, x, method=method)(two(x)), x, atol=1e-13)
    m = np.asarray(ca.matrix(two, x[0]))
    np.testing.assert_allclose(m.T @ m, np.eye(16), atol=1e-14)  # orthogonal: synthesis = Mᵀ


def test_haar_cascade_matches_pywavelets(rng):
    pywt = pytest.importorskip("pywt", reason="PyWavelets (the signal extra) is the oracle")
    w = pywt.Wavelet("haar")
    lo, hi = np.asarray(w.dec_lo[::-1]), np.asarray(w.dec_hi[::-1])
    bank = ca.branch(ca.down(2) @ ca.corr(lo, "valid"), ca.down(2) @ ca.corr(hi, "valid"))
    three = ca.parallel(ca.parallel(bank, None) @ bank, None) @ bank
    x = rng.standard_normal(32)
    got = jax.tree.leaves(three(jnp.asarray(x)))
    want = pywt.wavedec(x, "haar", mode="periodization", level=3)
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g, w_, rtol=1e-12, atol=1e-12)
    back = ca.transpose(three, x)(tuple(three(jnp.asarray(x))))
    np.testing.assert_allclose(back, pywt.waverec(want, "haar", mode="periodization"), atol=1e-12)


def _convs(op, x_like):
    _, fired, records, jaxpr = recorded(op, x_like)
    return fired, records, [p for n, p in lax_ops(jaxpr) if n == "conv_general_dilated"]


def test_bank_runs_as_one_stacked_convolution(rng):
    bank, _, _ = _bank(rng, 8)
    x = jax.ShapeDtypeStruct((16, 4096), np.float64)
    fired, records, convs = _convs(ca.lower(bank, strategy="lax"), x)
    assert "stack_branches" in fired
    assert len(records) == 1 and records[0].conv.kernel.shape == (2, 1, 8)
    assert len(convs) == 1 and convs[0]["window_strides"] == (2,)
    # the synthesis bank (derived transpose): one Pullback of the one stacked convolution
    syn = ca.lower(ca.transpose(bank, x), strategy="lax")
    fired, records, convs = _convs(syn, bank.out_struct(x))
    assert len(records) == 1 and records[0].transposed == 1
    assert all(c["lhs_dilation"] == (1,) for c in convs)  # polyphase, no zero insertion


def test_branches_with_different_geometry_are_not_stacked(rng):
    op = ca.branch(ca.down(2) @ ca.corr(rng.standard_normal(3)), ca.corr(rng.standard_normal(3)))
    fired, records, _ = _convs(op, jax.ShapeDtypeStruct((10,), np.float64))
    assert "stack_branches" not in fired and len(records) == 2


def test_kernel_gradients_through_a_bank_equal_as_written(rng):
    x = jnp.asarray(rng.standard_normal((3, 32)))
    lo, hi = jnp.asarray(rng.standard_normal(6)), jnp.asarray(rng.standard_normal(6))
    ys = jax.tree.map(jnp.asarray, _bank(rng, 6)[0](x))

    def loss(lo, hi, run):
        bank = ca.branch(ca.down(2) @ ca.corr(lo, "same"), ca.down(2) @ ca.corr(hi, "same"))
        a, d = run(bank)(x)
        syn = ca.transpose(bank, x)(ys)
        return jnp.sum(a**2) + jnp.sum(d * ys[1]) + jnp.sum(syn**3)

    got = jax.jit(jax.grad(lambda lo, hi: loss(lo, hi, lambda b: b), (0, 1)))(lo, hi)
    ref = jax.grad(lambda lo, hi: loss(lo, hi, ca.as_written), (0, 1))(lo, hi)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-10)


def test_jit_and_vmap(rng):
    bank, _, _ = _bank(rng)
    x = jnp.asarray(rng.standard_normal((5, 12)))
    a, d = jax.vmap(bank)(x)
    a2, d2 = jax.jit(bank)(x)
    np.testing.assert_allclose(a, a2, rtol=1e-13)
    np.testing.assert_allclose(d, d2, rtol=1e-13)
    syn = ca.transpose(bank, x[0])
    np.testing.assert_allclose(jax.vmap(syn)((a, d))[2], syn((a[2], d[2])), rtol=1e-13)


def test_notation_and_explain(rng):
    bank, _, _ = _bank(rng)
    assert bank.notation() == "(↓2 (q ⋆[same] x), ↓2 (w ⋆[same] x))"
    two = ca.parallel(bank, None) @ bank
    assert two.notation().startswith("((↓2 (q ⋆[same] (↓2 (q ⋆[same] x))), ")
    j = ca.join(ca.up(2), ca.up(2, 1))
    assert j.notation() == "(↑2 x₀ + ↑2¹ x₁)"
    text = ca.explain(bank, jax.ShapeDtypeStruct((4, 64), np.float64))
    assert "stack_branches" in text and "[q,w]" in text


def test_sums_scalings_and_bound_inputs(rng):
    bank, _, _ = _bank(rng)
    x = jnp.asarray(rng.standard_normal(12))
    two = 2.0 * bank + bank
    for g, r in zip(two(x), bank(x)):
        np.testing.assert_allclose(g, 3 * r, rtol=1e-13)
    bound = bank.on(x)
    np.testing.assert_allclose(bound.T(bank(x)), ca.transpose(bank, x)(bank(x)), rtol=1e-13)


def test_bad_input(rng):
    bank, _, _ = _bank(rng)
    x = jnp.zeros(8)
    with pytest.raises(ValueError, match="join: takes a tuple of 2 inputs"):
        ca.join(ca.up(2), ca.up(2))(x)
    with pytest.raises(ValueError, match="takes one array, got a tuple of 2"):
        ca.up(2)((x, x))
    with pytest.raises(ValueError, match="join: the operators' outputs are added"):
        ca.join(ca.up(2), ca.identity())((x, x))
    with pytest.raises(ValueError, match="parallel: operator 1"):
        ca.parallel(None, ca.corr(jnp.ones(3), "valid"))((x, jnp.zeros(2)))
    with pytest.raises(ValueError, match="branch: needs at least one operator"):
        ca.branch()
    with pytest.raises(TypeError, match=r"branch: argument 1 must be a ca\.Operator"):
        ca.branch(ca.up(2), np.ones(3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="branch: the operators are bound to different inputs"):
        ca.branch(ca.up(2).on(x), ca.up(2).on(jnp.zeros(4)))
    with pytest.raises(ValueError, match="transpose takes arrays of the operator's output shape"):
        ca.transpose(bank, x)((jnp.zeros(4), jnp.zeros(3)))
