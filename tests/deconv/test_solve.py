"""ca.solve / ca.norm / ca.normal against dense NumPy least squares (float64, tiny shapes)."""

import importlib
import warnings

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest
from conftest import fast_jit, rand

import convalgebra as ca
from convalgebra.deconv import norm, normal, solve, solve_method

try:
    import lineax  # noqa: F401

    HAS_LINEAX = True
except ImportError:  # pragma: no cover
    HAS_LINEAX = False


pytestmark = pytest.mark.usefixtures("quick_compiles")


def jsolve(A, y, x, **kw):
    """``solve`` in one fast-compile jit (x_like and keywords static)."""
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    return fast_jit(lambda A, y: solve(A, y, xs, **kw))(A, y)


def dense(op, x):
    return np.asarray(ca.matrix(op, jax.ShapeDtypeStruct(x.shape, x.dtype)))


def oracle(A, y, x, lam=0.0, L=None):
    """The least-norm minimiser of ‖Ax − y‖² + λ‖Lx‖², by dense NumPy."""
    M = dense(A, x)
    yv = np.asarray(y).ravel()
    if lam == 0.0:
        return np.linalg.lstsq(M, yv, rcond=None)[0].reshape(x.shape)
    G = np.eye(M.shape[1]) if L is None else dense(L, x)
    Mh = M.conj().T
    return np.linalg.solve(Mh @ M + lam * G.conj().T @ G, Mh @ yv).reshape(x.shape)


def close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    err = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
    assert err < rtol, f"relative error {err:.3g} >= {rtol}"


# ---- closed forms --------------------------------------------------------------------------
FOURIER = [
    # (kernel shape, ndim, x shape)
    ((3,), 1, (8,)),
    ((2, 3), 1, (2, 7)),  # per channel
    ((3, 2), 2, (4, 5)),
    ((2, 2, 3), 2, (3, 2, 4, 4)),  # per channel, a batch axis in front
    ((2, 2, 2), 3, (4, 3, 4)),
]


FOURIER_CASES = [
    pytest.param(*case, dtype, lam, marks=() if (i + j) % 2 == 0 else pytest.mark.slow)
    for i, case in enumerate(FOURIER)
    for j, (dtype, lam) in enumerate(
        [(np.float64, 0.0), (np.complex128, 0.3), (np.float64, 0.3), (np.complex128, 0.0)]
    )
]


@pytest.mark.parametrize("kshape,nd,xshape,dtype,lam", FOURIER_CASES)
def test_fourier_matches_dense(rng, kshape, nd, xshape, dtype, lam):
    q = jnp.asarray(rand(rng, kshape, dtype))
    x = jnp.asarray(rand(rng, xshape, dtype))
    A = ca.conv(q, "circular", ndim=nd) @ ca.corr(q, "circular", ndim=nd)
    y = A(x) + jnp.asarray(0.1 * rand(rng, xshape, dtype))
    xh, info = jsolve(A, y, x, reg=lam)
    assert info.method == "fourier" and int(info.iterations) == 0
    assert xh.shape == x.shape and xh.dtype == x.dtype
    close(xh, oracle(A, y, x, lam), 1e-8)
    assert float(info.residual) < 1e-9 and bool(info.converged)


@pytest.mark.parametrize(
    "kshapes,nd,xshape,lam",
    [
        ([(3, 2, 3)], 1, (2, 8), 0.0),  # 2 -> 3 channels, tall: λ = 0 has a unique minimiser
        ([(2, 3, 2, 2)], 2, (2, 3, 4, 5), 0.1),  # 3 -> 2 channels, a batch axis in front
        pytest.param([(3, 3), (3, 3, 2)], 1, (3, 6), 0.2, marks=pytest.mark.slow),  # mixed kinds
    ],
)
def test_fourier_channel_mixing(rng, kshapes, nd, xshape, lam):
    ops = [ca.conv(jnp.asarray(rng.standard_normal(k)), "circular", ndim=nd) for k in kshapes]
    A = ops[0] if len(ops) == 1 else ops[1] @ ops[0]
    x = jnp.asarray(rng.standard_normal(xshape))
    y = A(x) + 0.1 * jnp.asarray(rng.standard_normal(A.out_struct(x).shape))
    L = ca.corr(jnp.array([-1.0, 1.0]), "circular") if nd == 1 else None
    xh, info = jsolve(A, y, x, reg=lam, L=L)
    assert info.method == "fourier" and "block-diagonal" in info.reason
    close(xh, oracle(A, y, x, lam, L), 1e-9)
    np.testing.assert_allclose(float(norm(A, x)), np.linalg.norm(dense(A, x), 2), rtol=1e-3)


def test_fourier_with_difference_regulariser(rng):
    q = jnp.asarray(rng.standard_normal((3, 3)))
    x = jnp.asarray(rng.standard_normal((6, 5)))
    A = ca.conv(q, "circular")
    L = ca.corr(jnp.array([[-1.0, 1.0]]), "circular") + ca.corr(
        jnp.array([[-1.0], [1.0]]), "circular"
    )
    y = A(x)
    xh, info = jsolve(A, y, x, reg=0.2, L=L)
    assert info.method == "fourier"
    close(xh, oracle(A, y, x, 0.2, L), 1e-9)


def test_fourier_float32(rng):
    q = jnp.asarray(rng.standard_normal(5), jnp.float32)
    x = jnp.asarray(rng.standard_normal(16), jnp.float32)
    A = ca.corr(q, "circular")
    xh, _ = jsolve(A, A(x), x, reg=0.01)
    assert xh.dtype == jnp.float32
    close(xh, oracle(A, A(x), x.astype(np.float64), 0.01), 1e-4)


ALIAS = [
    # (kernel shape, ndim, factor, phase, x shape)
    ((3,), 1, 2, 0, (8,)),
    ((4,), 1, 3, 2, (9,)),
    ((2, 3), 1, 2, 1, (2, 10)),  # per channel
    ((3, 3), 2, (2, 2), (1, 0), (4, 6)),
    ((2, 2, 2), 2, (2, 1), 0, (5, 2, 4, 4)),  # per channel, batch axis, factor 1 on one axis
]


ALIAS_CASES = [
    pytest.param(*case, lam, marks=() if (i + j) % 2 == 0 else pytest.mark.slow)
    for i, case in enumerate(ALIAS)
    for j, lam in enumerate([0.0, 0.05])
]


@pytest.mark.parametrize("kshape,nd,k,phase,xshape,lam", ALIAS_CASES)
def test_aliasing_matches_dense(rng, kshape, nd, k, phase, xshape, lam):
    q = jnp.asarray(rng.standard_normal(kshape))
    x = jnp.asarray(rng.standard_normal(xshape))
    A = 0.5 * (
        ca.down(k, phase=phase, ndim=nd if isinstance(k, int) else None)
        @ ca.conv(q, "circular", ndim=nd)
    )
    y = A(x) + 0.1 * jnp.asarray(rng.standard_normal(A.out_struct(x).shape))
    xh, info = jsolve(A, y, x, reg=lam)
    assert info.method == "aliasing", info.reason
    close(xh, oracle(A, y, x, lam), 1e-8)


@pytest.mark.parametrize(
    "kshape,nd,xshape", [((3,), 1, (8,)), ((3, 3), 2, (4, 6)), ((2, 2, 2), 2, (3, 2, 4, 4))]
)
def test_aliasing_with_regulariser(rng, kshape, nd, xshape):
    q = jnp.asarray(rng.standard_normal(kshape))
    x = jnp.asarray(rng.standard_normal(xshape))
    A = ca.down(2, ndim=nd) @ ca.conv(q, "circular", ndim=nd)
    d = jnp.array([-1.0, 1.0])
    if nd == 1:
        L = ca.corr(d, "circular")
    else:
        L = ca.corr(d[None, :], "circular") + ca.corr(d[:, None], "circular")
    y = A(x)
    xh, info = jsolve(A, y, x, reg=0.1, L=L)
    assert info.method == "aliasing" and "systems per group" in info.reason
    close(xh, oracle(A, y, x, 0.1, L), 1e-9)


def test_closed_form_without_unique_minimiser_is_reported(rng):
    q = jnp.asarray(rng.standard_normal((3, 3)))
    x = jnp.asarray(rng.standard_normal((4, 4)))
    A = ca.down(2, ndim=2) @ ca.conv(q, "circular")
    L = ca.corr(jnp.array([[-1.0, 1.0]]), "circular")  # blind to vertical structure
    with pytest.warns(RuntimeWarning, match="no unique minimiser"):  # eager: checked on the host
        _, info = solve(A, A(x), x, reg=0.1, L=L)
    assert info.method == "aliasing" and not bool(info.converged)
    # under jit, a closed form records it in info (no host callback unless residual=True)
    _, info = jsolve(A, A(x), x, reg=0.1, L=L)
    assert not bool(info.converged)
    with pytest.warns(RuntimeWarning, match="no unique minimiser"):  # from a jit callback
        _, info = jsolve(A, A(x), x, reg=0.1, L=L, residual=True)
        jax.block_until_ready(info)


def test_aliasing_complex(rng):
    q = jnp.asarray(rand(rng, (3,), np.complex128))
    x = jnp.asarray(rand(rng, (8,), np.complex128))
    A = ca.down(2) @ ca.conv(q, "circular")
    xh, info = jsolve(A, A(x), x, reg=0.1)
    assert info.method == "aliasing"
    close(xh, oracle(A, A(x), x, 0.1), 1e-9)


ADJ = [
    (lambda: ca.up(2), (5,), "AᴴA"),
    (lambda: ca.up(2, phase=1) @ ca.up(3), (2, 3), "AᴴA"),
    (lambda: 3.0 * ca.pad(((1, 2),)), (4,), "AᴴA"),
    (lambda: ca.down(2), (7,), "AAᴴ"),
    (lambda: ca.crop(((1, 0),)) @ ca.down(2, phase=1), (9,), "AAᴴ"),
    (lambda: ca.down(2) @ ca.up(2), (4,), "AᴴA"),
]


@pytest.mark.parametrize("make,xshape,what", ADJ)
@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_adjoint_matches_dense(rng, make, xshape, what, lam):
    A = make()
    x = jnp.asarray(rng.standard_normal(xshape))
    y = jnp.asarray(rng.standard_normal(A.out_struct(x).shape))
    xh, info = jsolve(A, y, x, reg=lam)
    assert info.method == "adjoint" and what in info.reason
    close(xh, oracle(A, y, x, lam), 1e-12)


def test_adjoint_complex_scale(rng):
    x = jnp.asarray(rand(rng, (4,), np.complex128))
    A = (1.0 + 2.0j) * ca.up(2)
    y = jnp.asarray(rand(rng, (8,), np.complex128))
    xh, info = jsolve(A, y, x, reg=0.5)
    assert info.method == "adjoint"
    close(xh, oracle(A, y, x, 0.5), 1e-12)


# ---- iterative -----------------------------------------------------------------------------
def _blur_down(q):
    return ca.down(2) @ ca.conv(q, "same")


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_cg_matches_dense(rng, lam):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.asarray(rng.standard_normal(10))
    A = ca.conv(q, "full")  # tall, full column rank
    y = A(x) + 0.1 * jnp.asarray(rng.standard_normal(12))
    xh, info = jsolve(A, y, x, reg=lam)
    assert info.method == "cg" and "no closed form" in info.reason
    assert bool(info.converged) and float(info.residual) <= 2e-10
    close(xh, oracle(A, y, x, lam), 1e-7)


def test_cg_float32(rng):
    q = jnp.asarray(rng.standard_normal(3), jnp.float32)
    x = jnp.asarray(rng.standard_normal(12), jnp.float32)
    A = ca.conv(q, "full")
    xh, info = jsolve(A, A(x), x, reg=0.01)
    assert info.method == "cg" and xh.dtype == jnp.float32 and info.residual.dtype == jnp.float32
    close(xh, oracle(A, A(x), x.astype(np.float64), 0.01), 1e-3)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LINEAX, reason="lineax not installed")
def test_lsmr_gradient_matches_cg(rng):
    q0 = jnp.asarray(rng.standard_normal(3))
    y0 = jnp.asarray(rng.standard_normal(5))
    x = jax.ShapeDtypeStruct((10,), jnp.float64)

    def loss(q, method):
        return jnp.sum(solve(_blur_down(q), y0, x, reg=0.1, method=method, tol=1e-12)[0] ** 2)

    g_cg = fast_jit(jax.grad(lambda q: loss(q, "cg")))(q0)
    g_lsmr = fast_jit(jax.grad(lambda q: loss(q, "lsmr")))(q0)
    close(g_lsmr, g_cg, 1e-6)


def test_cg_underdetermined_is_least_norm(rng):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.asarray(rng.standard_normal(10))
    A = _blur_down(q)
    y = jnp.asarray(rng.standard_normal(5))
    xh, _ = jsolve(A, y, x)
    close(xh, oracle(A, y, x), 1e-7)


def test_cg_with_regulariser(rng):
    q = jnp.asarray(rng.standard_normal((3, 3)))
    x = jnp.asarray(rng.standard_normal((6, 6)))
    A = ca.down(2, ndim=2) @ ca.conv(q, "same")
    L = ca.corr(jnp.array([[1.0, -1.0]]), "valid")
    y = A(x)
    xh, info = jsolve(A, y, x, reg=0.05, L=L)
    assert info.method == "cg"
    close(xh, oracle(A, y, x, 0.05, L), 1e-7)


@pytest.mark.skipif(not HAS_LINEAX, reason="lineax not installed")
def test_lsmr_matches_dense(rng):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.asarray(rng.standard_normal(10))
    A = _blur_down(q)
    L = ca.corr(jnp.array([1.0, -1.0]), "valid")
    y = jnp.asarray(rng.standard_normal(5))
    xh, info = jsolve(A, y, x, reg=0.1, L=L, method="lsmr")
    assert info.method == "lsmr" and int(info.iterations) > 0 and bool(info.converged)
    close(xh, oracle(A, y, x, 0.1, L), 1e-6)


@pytest.mark.skipif(not HAS_LINEAX, reason="lineax not installed")
def test_gmres_square(rng):
    q = jnp.asarray([1.0, 0.3, -0.2])
    x = jnp.asarray(rng.standard_normal(8))
    A = ca.conv(q, "same")
    xh, info = jsolve(A, A(x), x, method="gmres")
    assert info.method == "gmres" and bool(info.converged)
    close(xh, x, 1e-7)
    with pytest.raises(ValueError, match=r"gmres.*square"):
        solve(_blur_down(q), jnp.zeros(4), x, method="gmres")


def test_iterative_agrees_with_closed_form(rng):
    q = jnp.asarray(rng.standard_normal((3, 3)))
    x = jnp.asarray(rng.standard_normal((6, 6)))
    A = ca.down(2, ndim=2) @ ca.conv(q, "circular")
    y = A(x)
    closed, _ = jsolve(A, y, x, reg=0.01)
    cg, info = jsolve(A, y, x, reg=0.01, method="cg")
    assert info.method == "cg"
    close(cg, closed, 1e-7)


# ---- jit, vmap, gradients ------------------------------------------------------------------
@pytest.mark.parametrize("method", ["auto", "cg"])
def test_jit_vmap_batch_of_y(rng, method):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.zeros(8)
    A = ca.down(2) @ ca.conv(q, "circular")
    ys = jnp.asarray(rng.standard_normal((3, 4)))
    f = fast_jit(jax.vmap(lambda y: solve(A, y, x, reg=0.1, method=method)))
    xs, info = f(ys)
    assert xs.shape == (3, 8) and info.residual.shape == (3,)
    for i in range(3):
        close(xs[i], oracle(A, ys[i], x, 0.1), 1e-8)


@pytest.mark.parametrize(
    "method,conv_mode", [("auto", "circular"), ("cg", "circular"), ("cg", "same")]
)
def test_gradients_match_dense_oracle(rng, method, conv_mode):
    """d/dy and d/dq of a loss of the solution, against the same loss through a dense solve."""
    q0 = jnp.asarray(rng.standard_normal(3))
    y0 = jnp.asarray(rng.standard_normal(4))
    w = jnp.asarray(rng.standard_normal(8))
    x = jax.ShapeDtypeStruct((8,), jnp.float64)
    lam = 0.2

    def loss(q, y):
        A = ca.down(2) @ ca.conv(q, conv_mode)
        return jnp.vdot(w, solve(A, y, x, reg=lam, method=method)[0])

    def loss_dense(q, y):
        M = ca.matrix(ca.down(2) @ ca.conv(q, conv_mode), x)
        return jnp.vdot(w, jnp.linalg.solve(M.T @ M + lam * jnp.eye(8), M.T @ y))

    g = fast_jit(jax.grad(loss, argnums=(0, 1)))(q0, y0)
    gd = jax.grad(loss_dense, argnums=(0, 1))(q0, y0)
    close(g[0], gd[0], 1e-6)
    close(g[1], gd[1], 1e-6)


@pytest.mark.parametrize("method", ["auto", pytest.param("cg", marks=pytest.mark.slow)])
def test_check_grads(rng, method):
    """jax.test_util.check_grads (forward and reverse) w.r.t. kernel, data and λ."""
    x = jax.ShapeDtypeStruct((6, 4), jnp.float64)

    def f(q, y, lam):
        A = ca.down(2, ndim=2) @ ca.conv(q, "circular")
        return solve(A, y, x, reg=lam, method=method, warn=False)[0]

    args = (
        jnp.asarray(rng.standard_normal((2, 2))),
        jnp.asarray(rng.standard_normal((3, 2))),
        jnp.asarray(0.3),
    )
    jax.test_util.check_grads(jax.jit(f), args, order=1, modes=("fwd", "rev"), atol=1e-6)


def test_cg_gradient_is_implicit():
    """The iterative path goes through lax.custom_linear_solve (implicit differentiation)."""
    x = jax.ShapeDtypeStruct((8,), jnp.float64)

    def f(q, y):
        return solve(ca.conv(q, "same"), y, x, reg=0.1, method="cg")[0]

    jaxpr = str(jax.make_jaxpr(jax.grad(lambda q, y: jnp.sum(f(q, y))))(jnp.ones(3), jnp.ones(8)))
    assert "custom_linear_solve" in jaxpr or "linear_solve" in jaxpr


# ---- non-convergence -----------------------------------------------------------------------
def test_non_convergence_reported_and_warned(rng):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.asarray(rng.standard_normal(16))
    A = ca.conv(q, "same")
    with pytest.warns(RuntimeWarning, match="did not converge"):
        _, info = solve(A, A(x), x, maxiter=2)
    assert not bool(info.converged) and float(info.residual) > 1e-6


def test_non_convergence_under_jit_is_in_info(rng):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.asarray(rng.standard_normal(16))
    A = ca.conv(q, "same")
    f = jax.jit(lambda y: solve(A, y, x, maxiter=2, warn=False)[1].converged)
    assert not bool(f(A(x)))
    g = jax.jit(lambda y: solve(A, y, x, maxiter=200, warn=False)[1].converged)
    assert bool(g(A(x)))


# ---- choice of method and errors -----------------------------------------------------------
def test_solve_method_and_reasons():
    s = jax.ShapeDtypeStruct((8,), jnp.float64)
    q = jnp.ones(3)
    assert solve_method(ca.conv(q, "circular"), s)[0] == "fourier"
    assert solve_method(ca.down(2) @ ca.conv(q, "circular"), s)[0] == "aliasing"
    assert solve_method(ca.up(2), s)[0] == "adjoint"
    m, why = solve_method(ca.down(2) @ ca.conv(q, "same"), s)
    assert m == "cg" and "is not circular" in why
    # ↓3 on 8 samples: no whole periods
    m, why = solve_method(ca.down(3) @ ca.conv(q, "circular"), s)
    assert m == "cg" and "not a multiple of the factor 3" in why


def test_method_closed_where_none_applies():
    x = jnp.zeros(8)
    A = ca.down(2) @ ca.conv(jnp.ones(3), "same")
    with pytest.raises(ValueError, match=r"solve: method='closed'.*is not circular"):
        solve(A, jnp.zeros(4), x, method="closed")
    with pytest.raises(ValueError, match=r"solve: method='fourier' does not apply"):
        solve(A, jnp.zeros(4), x, method="fourier")
    mixing = ca.down(2) @ ca.conv(jnp.ones((2, 2, 3)), "circular", ndim=1)
    with pytest.raises(ValueError, match="channel mixing before ↓k"):
        solve(mixing, jnp.zeros((2, 4)), jnp.zeros((2, 8)), method="closed")


@pytest.mark.parametrize(
    "reg,match",
    [
        (-0.1, r"solve: reg \(λ\) must be finite and >= 0, got -0.1"),
        (jnp.ones(2), r"solve: reg \(λ\) must be a scalar.*shape \(2,\)"),
        (float("nan"), "finite"),
        ("a", "real scalar"),
    ],
)
def test_bad_reg(reg, match):
    A = ca.conv(jnp.ones(3), "circular")
    with pytest.raises(ValueError, match=match):
        solve(A, jnp.zeros(8), jnp.zeros(8), reg=reg)


def test_traced_reg_is_differentiable(rng):
    q = jnp.asarray(rng.standard_normal(3))
    x = jnp.asarray(rng.standard_normal(8))
    A = ca.down(2) @ ca.conv(q, "circular")
    y = A(x)
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    f = fast_jit(lambda lam: solve(A, y, xs, reg=lam)[0])
    close(f(jnp.asarray(0.3)), oracle(A, y, x, 0.3), 1e-9)
    # d x / d λ = -(AᵀA + λI)⁻¹ x(λ)
    M = dense(A, x)
    want = -np.linalg.solve(M.T @ M + 0.3 * np.eye(8), oracle(A, y, x, 0.3))
    close(jax.jacfwd(f)(jnp.asarray(0.3)), want, 1e-8)


def test_bad_y_and_method():
    A = ca.down(2) @ ca.conv(jnp.ones(3), "circular")
    x = jnp.zeros(8)
    with pytest.raises(
        ValueError, match=r"solve: y must have the output shape.*\(4,\), 'float64'.*\(5,\)"
    ):
        solve(A, jnp.zeros(5), x)
    with pytest.raises(ValueError, match=r"solve: y must.*got y of \(\(4,\), 'float32'\)"):
        solve(A, jnp.zeros(4, jnp.float32), x)
    with pytest.raises(ValueError, match="solve: method must be one of"):
        solve(A, jnp.zeros(4), x, method="newton")


# ---- norm and normal -----------------------------------------------------------------------
NORM_OPS = [
    lambda q: ca.conv(q, "circular"),
    lambda q: ca.down(2, phase=1) @ ca.conv(q, "circular"),
    lambda q: 2.0 * ca.up(2),
    lambda q: ca.down(2) @ ca.conv(q, "same"),
]


@pytest.mark.parametrize("make", NORM_OPS)
def test_norm(rng, make):
    A = make(jnp.asarray(rng.standard_normal(3)))
    x = jnp.zeros(8)
    want = np.linalg.norm(dense(A, x), 2)
    np.testing.assert_allclose(float(norm(A, x)), want, rtol=1e-6)
    np.testing.assert_allclose(float(norm(A, x, method="power", maxiter=300)), want, rtol=1e-4)


@pytest.mark.parametrize("reg", [0.0, 0.4])
def test_normal_operator(rng, reg):
    q = jnp.asarray(rng.standard_normal((2, 3)))
    x = jnp.zeros((2, 6))
    A = ca.conv(q, "circular", ndim=1)  # per channel
    N = normal(A, x, reg=reg)
    assert isinstance(N, ca.Filter) and N.mode == "circular"  # one convolution
    M = dense(A, x)
    np.testing.assert_allclose(dense(N, x), M.T @ M + reg * np.eye(12), atol=1e-12)
    B = ca.down(2) @ ca.conv(q[0], "same")
    L = ca.corr(jnp.array([1.0, -1.0]), "valid")
    x1 = jnp.zeros(6)
    NB = normal(B, x1, reg=reg, L=L)
    MB, G = dense(B, x1), dense(L, x1)
    np.testing.assert_allclose(dense(NB, x1), MB.T @ MB + reg * G.T @ G, atol=1e-12)
    assert isinstance(normal(ca.up(2), x1, reg=reg), ca.Scale)


def test_public_names():
    # from-imports and importlib resolve through sys.modules, so they keep working once
    # convalgebra/__init__.py re-exports the function ``solve`` over the subpackage's name
    cs = importlib.import_module("convalgebra.deconv")
    for name in ("solve", "norm", "normal", "solve_method", "SolveInfo"):
        assert callable(getattr(cs, name))


def test_doctests():
    import doctest

    n = importlib.import_module("convalgebra.deconv._norm")
    s = importlib.import_module("convalgebra.deconv._solve")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mod in (s, n):
            res = doctest.testmod(mod, extraglobs={"ca": ca})
            assert res.failed == 0 and res.attempted > 0


def test_methods_lists_every_choice_solve_makes():
    from convalgebra.deconv import METHODS

    s = jax.ShapeDtypeStruct((16,), np.float64)
    q = jnp.array([1.0, 0.5, 0.25])
    for A in (ca.conv(q, "circular"), ca.down(2) @ ca.conv(q, "circular"), ca.up(2), ca.conv(q)):
        assert solve_method(A, s)[0] in METHODS
    with pytest.raises(ValueError, match="solve"):
        solve(ca.up(2), jnp.zeros(32), s, method="nope")
