"""Centred circular convolution, structure read from the IR, the prox, and no silent zeros.

Oracles: scipy.ndimage (origin), dense NumPy least squares (solvers, norms), scikit-image's
``restoration.wiener`` where installed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from conftest import fast_jit, rand

import convalgebra as ca
from convalgebra.deconv import norm, solve, solve_method

pytestmark = pytest.mark.usefixtures("quick_compiles")


def dense(op, x):
    return np.asarray(ca.matrix(op, jax.ShapeDtypeStruct(x.shape, x.dtype)))


def prox_oracle(A, y, x, lam=0.0, L=None, z=None):
    """argmin ‖Ax − y‖² + λ‖L(x − z)‖², least norm, by dense NumPy (lstsq on the stack)."""
    M = dense(A, x)
    yv = np.concatenate([np.ravel(v) for v in jax.tree.leaves(y)])
    G = np.eye(M.shape[1]) if L is None else dense(L, x)
    zv = np.zeros(M.shape[1]) if z is None else np.ravel(z)
    S = np.concatenate([M, np.sqrt(lam) * G])
    rhs = np.concatenate([yv, np.sqrt(lam) * (G @ zv)])
    return np.linalg.lstsq(S, rhs, rcond=None)[0].reshape(x.shape)


def close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    err = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
    assert err < rtol, f"relative error {err:.3g} >= {rtol}"


# ---- the centred circular convolution --------------------------------------------------------
@pytest.mark.parametrize("kshape,xshape", [((3,), (9,)), ((4,), (10,)), ((3, 4), (7, 8))])
def test_circular_is_scipy_ndimage_wrap(rng, kshape, xshape):
    h, x = rand(rng, kshape), rand(rng, xshape)
    lo = [-(k // 2) for k in kshape]
    hi = [(k - 1) // 2 for k in kshape]
    for o in {tuple(lo), tuple(hi), (0,) * len(kshape)}:
        np.testing.assert_allclose(
            ca.conv(h, "circular", origin=o)(x), ndi.convolve(x, h, mode="wrap", origin=o),
            atol=1e-12,
        )  # fmt: skip
        np.testing.assert_allclose(
            ca.corr(h, "circular", origin=o)(x), ndi.correlate(x, h, mode="wrap", origin=o),
            atol=1e-12,
        )  # fmt: skip
    # the default is centred; the transpose (derived) is the circular correlation
    np.testing.assert_allclose(ca.conv(h, "circular")(x), ndi.convolve(x, h, mode="wrap"), 1e-12)
    y = rand(rng, xshape)
    for o in {tuple(lo), (0,) * len(kshape)}:
        t = ca.transpose(ca.conv(h, "circular", origin=o), x)
        np.testing.assert_allclose(t(y), ca.corr(h, "circular", origin=o)(y), atol=1e-12)
        ca.testing.check_adjoint(ca.conv(h, "circular", origin=o), x)


def test_circular_dilated_and_uncentred_dft(rng):
    h, x = rand(rng, (3,)), rand(rng, (12,))
    dense_h = np.zeros(5)
    dense_h[::2] = h  # ↑2 h without the trailing zero: the kernel spans 5 samples
    got = ca.dilate(ca.conv(h, "circular"), 2)(x)
    np.testing.assert_allclose(got, ndi.convolve(x, dense_h, mode="wrap"), atol=1e-12)
    # origin = -(k // 2): the DFT product with h zero-padded at the start
    want = np.fft.ifft(np.fft.fft(x) * np.fft.fft(h, 12)).real
    np.testing.assert_allclose(ca.conv(h, "circular", origin=-1)(x), want, atol=1e-12)


def test_origin_errors():
    with pytest.raises(ValueError, match=r"conv: origin must lie in .* = \[-1, 1\] .*k=3.*got 2"):
        ca.conv(np.ones(3), "circular", origin=2)
    with pytest.raises(ValueError, match=r"corr: origin=1 applies to mode 'circular' only"):
        ca.corr(np.ones(3), "same", origin=1)
    with pytest.raises(ValueError, match=r"conv: origin must be an int or a tuple of 2 ints"):
        ca.conv(np.ones((3, 3)), "circular", origin=(0,))


# ---- structure read from the IR --------------------------------------------------------------
def _grad_ops():
    dh = ca.corr(np.array([[-1.0, 1.0]]), "circular", origin=(0, -1))
    dv = ca.corr(np.array([[-1.0], [1.0]]), "circular", origin=(-1, 0))
    return dh, dv


def _structured_cases(rng):
    h = rand(rng, (3, 3))
    g = rand(rng, (3,))
    A = ca.conv(h, "circular")
    x = rand(rng, (6, 8))
    return [
        ("pinned", ca.lower(A, strategy="fft"), x, "fourier"),
        ("axis=", ca.conv(g, "circular", axis=0) @ A, x, "fourier"),
        ("transposed", ca.transpose(A, x) @ A, x, "fourier"),
        ("adjoint", ca.adjoint(A, x), x, "fourier"),
        ("branch", ca.branch(A, ca.conv(g, "circular", axis=1)), x, "fourier"),
        ("sum", A + 0.5 * ca.identity(), x, "fourier"),
        ("decimated", ca.down((2, 2), (1, 0)) @ A, x, "aliasing"),
    ]


@pytest.mark.parametrize(
    "i", [pytest.param(i, marks=pytest.mark.slow) if i % 2 else i for i in range(7)]
)
def test_structure_from_ir_matches_dense(rng, i):
    name, A, x, method = _structured_cases(rng)[i]
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    assert solve_method(A, xs)[0] == method, name
    y = jax.tree.map(lambda v: v + 0.1 * rand(rng, v.shape), A(jnp.asarray(x)))
    dh, dv = _grad_ops()
    L = ca.branch(dh, dv)
    for lam, LL in ((0.3, None), (0.2, L)):
        xh, info = solve(A, y, xs, reg=lam, L=LL)
        assert info.method == method and info.iterations == 0
        close(xh, prox_oracle(A, y, x, lam, LL), 1e-9)


def test_gradient_penalty_branch_is_closed_form(rng):
    """‖Dh x‖² + ‖Dv x‖² (ca.branch), not ‖(Dh + Dv) x‖²: closed form, and not CG."""
    dh, dv = _grad_ops()
    x = rand(rng, (8, 8))
    A = ca.conv(rand(rng, (3, 3)), "circular")
    y = A(jnp.asarray(x))
    L = ca.branch(dh, dv)
    xh, info = solve(A, y, x, reg=0.1, L=L)
    assert info.method == "fourier"
    close(xh, prox_oracle(A, y, x, 0.1, L), 1e-9)
    other, _ = solve(A, y, x, reg=0.1, L=dh + dv)
    assert np.linalg.norm(np.asarray(other) - np.asarray(xh)) > 1e-3  # a different penalty


@pytest.mark.parametrize("i", [0, 4, pytest.param(2, marks=pytest.mark.slow), 6])
def test_norm_from_ir(rng, i):
    _name, A, x, _ = _structured_cases(rng)[i]
    np.testing.assert_allclose(float(norm(A, x)), np.linalg.norm(dense(A, x), 2), rtol=1e-9)


# ---- the prox ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["fourier", "aliasing", "adjoint", "cg"])
def test_prox_z(rng, method):
    x = rand(rng, (12,))
    z = rand(rng, (12,))
    h = rand(rng, (3,))
    A = {
        "fourier": ca.conv(h, "circular"),
        "aliasing": ca.down(3) @ ca.conv(h, "circular"),
        "adjoint": ca.down(2),
        "cg": ca.conv(h, "same"),
    }[method]
    L = ca.corr(np.array([-1.0, 1.0]), "circular") if method != "adjoint" else None
    y = A(jnp.asarray(x))
    xh, info = solve(A, y, x, reg=0.7, L=L, z=z, tol=1e-12 if method == "cg" else None)
    assert info.method == method
    close(xh, prox_oracle(A, y, x, 0.7, L, z), 1e-8)


# ---- reliability ------------------------------------------------------------------------------
def test_non_finite_inputs_eager_errors():
    A = ca.conv(np.ones(3) / 3, "circular")
    x = jnp.zeros(8)
    bad = jnp.zeros(8).at[2].set(jnp.nan)
    with pytest.raises(ValueError, match=r"^solve: y holds 1 non-finite value\(s\)"):
        solve(A, bad, x)
    with pytest.raises(ValueError, match=r"^solve: A \(a kernel or scale\) holds 1 non-finite"):
        solve(ca.conv(np.array([1.0, np.nan]), "circular"), jnp.zeros(8), x)
    with pytest.raises(ValueError, match=r"^solve: z holds 1 non-finite"):
        solve(A, jnp.zeros(8), x, reg=1.0, z=bad)
    with pytest.raises(ValueError, match=r"solve: reg \(λ\) must be finite"):
        solve(A, jnp.zeros(8), x, reg=float("inf"))


@pytest.mark.parametrize("method", ["fourier", "aliasing", "cg"])
def test_non_finite_under_jit_is_nan_never_zeros(rng, method):
    h = jnp.asarray(rand(rng, (3,)))
    make = {
        "fourier": lambda q: ca.conv(q, "circular"),
        "aliasing": lambda q: ca.down(2) @ ca.conv(q, "circular"),
        "cg": lambda q: ca.conv(q, "same"),
    }[method]
    x = jnp.asarray(rand(rng, (8,)))
    y = make(h)(x)
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    f = fast_jit(lambda q, y, lam: solve(make(q), y, xs, reg=lam, method=method, warn=False))
    for q, yy, lam in (
        (h, y.at[1].set(jnp.nan), 0.1),
        (h.at[0].set(jnp.nan), y, 0.1),
        (h, y, jnp.nan),
    ):
        xh, info = f(q, yy, jnp.asarray(lam))
        assert np.isnan(np.asarray(xh)).any(), method
        assert not np.asarray(xh == 0).all()
        assert not bool(info.converged)


def test_tol_maxiter_and_affine_refused():
    A = ca.conv(np.ones(3), "same")
    x = jnp.zeros(8)
    for tol in (0.0, -1.0):
        with pytest.raises(ValueError, match=rf"^solve: tol must be a number > 0, got {tol}"):
            solve(A, jnp.zeros(8), x, tol=tol)
    for it in (0, -3, 2.5):
        with pytest.raises(ValueError, match=r"^solve: maxiter must be an int >= 1"):
            solve(A, jnp.zeros(8), x, maxiter=it)
    with pytest.raises(ValueError, match=r"^solve: A is not linear: A\(0\) != 0"):
        solve(ca.linear(lambda v: v + 1.0), jnp.zeros(8), x)
    with pytest.raises(ValueError, match=r"^solve: A is not linear: ‖A\(a \+ 2b\)"):
        solve(ca.linear(lambda v: v * jnp.abs(v)), jnp.zeros(8), x)
    xs = jax.ShapeDtypeStruct((8,), jnp.float64)
    with pytest.raises(ValueError, match=r"^solve: A is not linear: A\(0\) != 0"):  # at trace
        jax.jit(lambda y: solve(ca.linear(lambda v: v + 1.0), y, xs))(jnp.zeros(8))
    with pytest.raises(ValueError, match=r"^solve: L is not linear"):
        solve(A, jnp.zeros(8), x, reg=1.0, L=ca.linear(lambda v: v - 2.0))
    with pytest.raises(ValueError, match=r"^norm: maxiter must be an int >= 1"):
        norm(A, x, method="power", maxiter=0)
    # a linear user function passes the check and is solved
    xh, _info = solve(ca.linear(jnp.cumsum), jnp.arange(8.0), x, tol=1e-12)
    np.testing.assert_allclose(xh, np.diff(np.arange(8.0), prepend=0.0), atol=1e-8)


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_cg_reports_iterations_and_info_is_a_pytree(rng):
    A = ca.conv(jnp.asarray(rand(rng, (3,))), "same")
    x = jnp.asarray(rand(rng, (16,)))
    xh, info = solve(A, A(x), x, reg=0.01, tol=1e-10)
    assert info.method == "cg" and 0 < int(info.iterations) <= 16 + 2
    assert bool(info.converged) and float(info.residual) <= 2e-10
    leaves, tree = jax.tree.flatten(info)
    assert len(leaves) == 3 and jax.tree.unflatten(tree, leaves).method == "cg"
    # vmap over a batch of y: the info leaves are batched, the method static
    ys = jnp.stack([A(x), 2 * A(x)])
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    xb, ib = jax.vmap(lambda y: solve(A, y, xs, reg=0.01, tol=1e-10))(ys)
    assert ib.iterations.shape == (2,) and ib.method == "cg"
    close(xb[1], 2 * np.asarray(xh), 1e-7)
    # closed forms: the residual only when asked for
    B = ca.conv(jnp.asarray(rand(rng, (3,))), "circular")
    _, i0 = solve(B, B(x), x, reg=0.1)
    _, i1 = solve(B, B(x), x, reg=0.1, residual=True)
    assert float(i0.residual) == -1.0 and 0 <= float(i1.residual) < 1e-10


def test_eager_equals_jitted(rng):
    A = ca.down(2) @ ca.conv(jnp.asarray(rand(rng, (5,))), "circular")
    x = jnp.asarray(rand(rng, (2, 16)))
    y = A(x)
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    e, ie = solve(A, y, xs, reg=0.2)
    j, ij = jax.jit(lambda y: solve(A, y, xs, reg=0.2))(y)
    np.testing.assert_allclose(e, j, atol=1e-12)
    assert ie.method == ij.method == "aliasing"


def test_matches_skimage_wiener(rng):
    """scikit-image's Wiener filter (a centred PSF, a Laplacian penalty) is solve's closed form."""
    restoration = pytest.importorskip("skimage.restoration", reason="scikit-image not installed")
    img = rand(rng, (32, 40))
    g = np.exp(-0.5 * (np.arange(-2, 3) / 1.2) ** 2)
    psf = np.outer(g, g) / np.outer(g, g).sum()
    A = ca.conv(psf, "circular")
    y = A(jnp.asarray(img)) + 0.01 * rand(rng, img.shape)
    lap = np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
    want = restoration.wiener(np.asarray(y), psf, balance=0.05, clip=False)
    got, info = solve(A, y, img, reg=0.05, L=ca.conv(lap, "circular"))
    assert info.method == "fourier"
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_nn_circular_padding_is_read(rng):
    """``ca.nn.conv_op(..., padding_mode="circular")`` (a wrap pad, then a valid convolution)
    is a circular filter: the Fourier closed form, channel mixing per frequency."""
    w = rand(rng, (2, 2, 3, 3))
    A = ca.nn.conv_op(w, in_size=(6, 6), padding=1, padding_mode="circular")
    x = rand(rng, (1, 2, 6, 6))
    y = A(jnp.asarray(x)) + 0.1 * rand(rng, (1, 2, 6, 6))
    xh, info = solve(A, y, x, reg=0.2)
    assert info.method == "fourier"
    close(xh, prox_oracle(A, y, x, 0.2), 1e-9)
    np.testing.assert_allclose(float(norm(A, x)), np.linalg.norm(dense(A, x), 2), rtol=1e-9)
