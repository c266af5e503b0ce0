"""Symmetric (half-sample, scipy.ndimage mode="reflect") boundaries: the DCT-II closed form.

Oracles: ``scipy.ndimage.correlate(..., mode="reflect")`` (the operator), ``scipy.fft.dct``
(the eigenvalues), dense NumPy least squares on ``ca.matrix`` (solutions, norms).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.fft as sfft
import scipy.ndimage as ndi
from conftest import rand

import convalgebra as ca
import convalgebra.signal as cs
from convalgebra.deconv import norm, solve, solve_method

pytestmark = pytest.mark.usefixtures("quick_compiles")

W5 = np.array([0.2, 0.5, 1.0, 0.5, 0.2])
LAP = np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def sym_blur(h):
    """``h ⋆ ext_symmetric(x)`` on the trailing ``h.ndim`` axes (``valid`` after a centred
    half-sample symmetric extension): ``scipy.ndimage.correlate(x, h, mode="reflect")``."""
    ops = [cs.extend_op((k // 2, k // 2), "symmetric") for k in h.shape]
    ext = ops[-1]
    for i, e in enumerate(ops[:-1]):
        ext = ca.on_axes(e, (i - h.ndim,)) @ ext
    return ca.corr(h, "valid") @ ext


def oracle(A, y, xs, lam, L=None, z=None):
    M = np.asarray(ca.matrix(A, xs))
    G = np.eye(M.shape[1]) if L is None else np.asarray(ca.matrix(L, xs))
    zv = np.zeros(M.shape[1]) if z is None else np.ravel(z)
    rhs = M.T @ np.ravel(y) + lam * G.T @ G @ zv
    return np.linalg.lstsq(M.T @ M + lam * G.T @ G, rhs, rcond=None)[0].reshape(xs.shape)


def close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    err = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
    assert err < rtol, f"relative error {err:.3g} >= {rtol}"


def test_symmetric_blur_is_ndimage_reflect_and_dct_diagonal(rng):
    x = rand(rng, (7, 9))
    h = np.outer(W5, W5[1:4])
    A = sym_blur(h)
    np.testing.assert_allclose(A(jnp.asarray(x)), ndi.correlate(x, h, mode="reflect"), atol=1e-12)
    # the structure claim itself: C A Cᵀ is diagonal for the orthonormal DCT-II C
    xs = jax.ShapeDtypeStruct((10,), jnp.float64)
    M = np.asarray(ca.matrix(sym_blur(W5), xs))
    C = sfft.dct(np.eye(10), type=2, norm="ortho", axis=0)
    D = C @ M @ C.T
    np.testing.assert_allclose(D - np.diag(np.diag(D)), 0, atol=1e-12)


def test_dct_solve_matches_dense(rng):
    # 1-D, batched, L = I and the prox (z)
    A = sym_blur(W5)
    xs = jax.ShapeDtypeStruct((3, 10), jnp.float64)
    y = A(jnp.asarray(rand(rng, (3, 10)))) + 0.1 * rand(rng, (3, 10))
    method, reason = solve_method(A, xs)
    assert method == "dct" and "DCT" in reason
    z = jnp.asarray(rand(rng, (3, 10)))
    for zz in (None, z):
        xh, info = solve(A, y, xs, reg=0.1, z=zz)
        assert info.method == "dct" and int(info.iterations) == 0
        close(xh, oracle(A, y, xs, 0.1, z=zz), 1e-10)
    # 2-D with a symmetric Laplacian penalty on the same boundary
    A2 = sym_blur(np.outer(W5, W5[1:4]))
    L = sym_blur(LAP)
    xs2 = jax.ShapeDtypeStruct((8, 9), jnp.float64)
    y2 = A2(jnp.asarray(rand(rng, (8, 9))))
    xh2, info2 = solve(A2, y2, xs2, reg=0.05, L=L)
    assert info2.method == "dct"
    close(xh2, oracle(A2, y2, xs2, 0.05, L), 1e-10)
    np.testing.assert_allclose(
        float(norm(A2, xs2)), np.linalg.norm(np.asarray(ca.matrix(A2, xs2)), 2), rtol=1e-10
    )


@pytest.mark.slow  # default-run budget
def test_dct_float32(rng):
    A = sym_blur(W5.astype(np.float32))
    xs = jax.ShapeDtypeStruct((2, 16), jnp.float32)
    y = A(jnp.asarray(rand(rng, (2, 16), np.float32)))
    xh, info = solve(A, y, xs, reg=0.1)
    assert info.method == "dct" and xh.dtype == jnp.float32
    close(xh, oracle(A, y, xs, 0.1), 1e-5)


@pytest.mark.slow  # default-run budget
def test_not_dct_where_it_does_not_hold(rng):
    """A non-symmetric or even kernel, or a whole-sample (mirror) boundary: not the DCT form
    (CG), and the answer is still the dense one."""
    xs = jax.ShapeDtypeStruct((10,), jnp.float64)
    e1 = cs.extend_op((1, 1), "symmetric")
    cases = [
        ("non-symmetric", ca.corr(np.array([0.1, 1.0, 0.3]), "valid") @ e1),
        ("even", ca.corr(np.array([0.5, 0.5]), "valid") @ cs.extend_op((1, 0), "symmetric")),
        ("whole-sample", ca.corr(W5, "valid") @ cs.extend_op((2, 2), "reflect")),
    ]
    for name, A in cases:
        assert solve_method(A, xs)[0] == "cg", name
        y = A(jnp.asarray(rand(rng, (10,))))
        xh, _ = solve(A, y, xs, reg=0.1, tol=1e-12)
        close(xh, oracle(A, y, xs, 0.1), 1e-8)


def test_dct_symmetry_is_checked_on_values(rng):
    """The cached choice follows the kernel values; traced kernels are checked when the
    program runs (lax.cond: the DCT where symmetric, CG where not)."""
    xs = jax.ShapeDtypeStruct((10,), jnp.float64)
    A = sym_blur(W5)
    y = A(jnp.asarray(rand(rng, (10,))))
    assert solve(A, y, xs, reg=0.1)[1].method == "dct"
    leaves, tree = jax.tree.flatten(A)
    B = jax.tree.unflatten(tree, [v.at[0].add(0.3) for v in leaves])  # same structure
    xb, ib = solve(B, y, xs, reg=0.1, tol=1e-12)
    assert ib.method == "cg"
    close(xb, oracle(B, y, xs, 0.1), 1e-8)
    # closed over under jit (concrete): checked while tracing
    xa, ia = jax.jit(lambda y: solve(A, y, xs, reg=0.1))(y)
    assert ia.method == "dct" and int(ia.iterations) == 0
    close(xa, oracle(A, y, xs, 0.1), 1e-10)
    # passed in (traced): one program, the check at run time
    f = jax.jit(lambda A, y: solve(A, y, xs, reg=0.1, tol=1e-12))
    for op, closed in ((A, True), (B, False)):
        xt, it = f(op, y)
        assert it.method == "dct" and (int(it.iterations) == 0) == closed
        assert bool(it.converged)
        close(xt, oracle(op, y, xs, 0.1), 1e-8)
