"""Parseval frames (orthogonal periodization banks) and structural recognition, from the IR.

Oracles: dense NumPy least squares on ``ca.matrix`` (solutions, ``AᴴA``), ``numpy.linalg.norm``.
Wavelet names need PyWavelets (skipped without it); the core-built bank needs nothing.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import rand

import convalgebra as ca
from convalgebra._lower import ir as _ir
from convalgebra._lower import structure as _s
from convalgebra.deconv import norm, normal, solve, solve_method

pytestmark = pytest.mark.usefixtures("quick_compiles")


def _cs():
    pytest.importorskip("pywt", reason="PyWavelets not installed (wavelet names)")
    import convalgebra.signal as cs

    return cs


def dense(op, xs):
    return np.asarray(ca.matrix(op, xs))


def oracle(A, y, xs, lam, L=None):
    """argmin ‖Ax − y‖² + λ‖Lx‖² (least norm), dense NumPy."""
    M = dense(A, xs)
    yv = np.concatenate([np.ravel(v) for v in jax.tree.leaves(y)])
    G = np.eye(M.shape[1]) if L is None else dense(L, xs)
    S = np.concatenate([M, np.sqrt(lam) * G])
    rhs = np.concatenate([yv, np.zeros(G.shape[0])])
    return np.linalg.lstsq(S, rhs, rcond=None)[0].reshape(xs.shape)


def close(a, b, rtol=1e-10):
    a, b = np.asarray(a), np.asarray(b)
    err = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
    assert err < rtol, f"relative error {err:.3g} >= {rtol}"


def _dwt2_levels(cs, wavelet, n):
    """Two levels of the 2-D DWT: the second on the approximation (the core's ``parallel``)."""
    one = cs.dwt2_op(wavelet, "periodization", in_size=(n, n))
    two = cs.dwt2_op(wavelet, "periodization", in_size=(n // 2, n // 2))
    ident = ca.identity()
    return ca.parallel(two, ident, ident, ident) @ one


def _banks(cs):
    """(name, operator, input shape, Parseval?)"""
    return [
        ("dwt db2", cs.dwt_op("db2", "periodization", in_size=16), (16,), True),
        ("dwt sym4 batch", cs.dwt_op("sym4", "periodization", in_size=16), (2, 16), True),
        ("dwt2 db2", cs.dwt2_op("db2", "periodization", in_size=(8, 8)), (8, 8), True),
        ("wavedec db2 L3", cs.wavedec_op("db2", "periodization", in_size=16, level=3), (16,), True),
        (
            "dwt2 db2 L2",
            _dwt2_levels(cs, "db2", 8),
            (8, 8),
            True,
        ),
        ("dwt bior2.2", cs.dwt_op("bior2.2", "periodization", in_size=16), (16,), False),
        (
            "wavedec bior2.2",
            cs.wavedec_op("bior2.2", "periodization", in_size=16, level=2),
            (16,),
            False,
        ),
        ("dwt db2 odd", cs.dwt_op("db2", "periodization", in_size=15), (15,), False),
    ]


@pytest.mark.filterwarnings("ignore:Level value")
@pytest.mark.parametrize(
    "i", [i if i in (0, 3) else pytest.param(i, marks=pytest.mark.slow) for i in range(8)]
)
def test_parseval_banks_adjoint_and_dense(rng, i):
    """Orthogonal periodization banks, 1-D, 2-D, multilevel: AᴴA = I certified, x = Aᴴy/(1+λ);
    biorthogonal and odd-length periodization ones are not Parseval: another method, same x."""
    cs = _cs()
    for name, W, shape, parseval in _banks(cs)[i : i + 1]:
        xs = jax.ShapeDtypeStruct(shape, jnp.float64)
        M = dense(W, xs)
        is_tight = np.allclose(M.T @ M, np.eye(M.shape[1]), atol=1e-12)
        assert is_tight == parseval, name  # the oracle agrees with the expectation
        method, reason = solve_method(W, xs)
        assert (method == "adjoint") == parseval, (name, method, reason)
        if parseval:
            assert "Parseval" in reason, name
            np.testing.assert_allclose(float(norm(W, xs)), 1.0, rtol=1e-12, err_msg=name)
        y = jax.tree.map(lambda v: v + 0.1 * rand(rng, v.shape), W(jnp.asarray(rand(rng, shape))))
        xh, info = solve(W, y, xs, reg=0.3, tol=1e-12)
        assert info.method == method, name
        close(xh, oracle(W, y, xs, 0.3), 1e-9)


@pytest.mark.slow  # default-run budget: the cheap case is in test_parseval_regulariser_quick
@pytest.mark.filterwarnings("ignore:Level value")
def test_parseval_regulariser_with_circular_blur(rng):
    """A = circular blur (↓2 too), L = a wavelet analysis: AᴴA + λLᴴL = AᴴA + λI in closed form."""
    cs = _cs()
    h = rand(rng, (3, 3))
    xs = jax.ShapeDtypeStruct((8, 8), jnp.float64)
    x = jnp.asarray(rand(rng, (8, 8)))
    for A, want in (
        (ca.conv(h, "circular"), "fourier"),
        (ca.down(2, ndim=2) @ ca.conv(h, "circular"), "aliasing"),
    ):
        for L in (
            cs.dwt2_op("db2", "periodization", in_size=(8, 8)),
            _dwt2_levels(cs, "haar", 8),
        ):
            y = A(x)
            method, reason = solve_method(A, xs, L=L)
            assert method == want and "Parseval" in reason
            xh, info = solve(A, y, xs, reg=0.2, L=L)
            assert info.method == want
            close(xh, oracle(A, y, xs, 0.2, L), 1e-9)
    # 1-D: the multilevel cascade as L, and the prox (z) on it
    A1 = ca.conv(rand(rng, (5,)), "circular")
    L1 = cs.wavedec_op("sym3", "periodization", in_size=32, level=2)
    xs1 = jax.ShapeDtypeStruct((32,), jnp.float64)
    y1 = jnp.asarray(rand(rng, (32,)))
    z = jnp.asarray(rand(rng, (32,)))
    xh, info = solve(A1, y1, xs1, reg=0.5, L=L1, z=z)
    assert info.method == "fourier"
    M, G = dense(A1, xs1), dense(L1, xs1)
    want = np.linalg.solve(M.T @ M + 0.5 * G.T @ G, M.T @ np.asarray(y1) + 0.5 * G.T @ G @ z)
    close(xh, want, 1e-10)
    # L passed into jit (traced filters): LᴴL = I checked when the program runs
    f = jax.jit(lambda L, y: solve(A1, y, xs1, reg=0.5, L=L, tol=1e-12))
    leaves, tree = jax.tree.flatten(L1)
    L3 = jax.tree.unflatten(tree, [v + 0.05 for v in leaves])  # not tight
    for L, closed in ((L1, True), (L3, False)):
        xh, info = f(L, y1)
        assert info.method == "fourier" and (int(info.iterations) == 0) == closed
        close(xh, oracle(A1, y1, xs1, 0.5, L), 1e-9)


def test_parseval_regulariser_quick(rng):
    """A = 2-D circular blur, L = one orthogonal 2-D level: the Fourier form with λI."""
    cs = _cs()
    A = ca.conv(rand(rng, (3, 3)), "circular")
    L = cs.dwt2_op("db2", "periodization", in_size=(8, 8))
    xs = jax.ShapeDtypeStruct((8, 8), jnp.float64)
    y = A(jnp.asarray(rand(rng, (8, 8))))
    xh, info = solve(A, y, xs, reg=0.2, L=L)
    assert info.method == "fourier" and "Parseval" in info.reason
    close(xh, oracle(A, y, xs, 0.2, L), 1e-9)
    # the normal operator AᴴA + λLᴴL: one circular convolution (LᴴL = I read from the IR)
    N = normal(A, xs, reg=0.2, L=L)
    assert "circular" in N.notation()
    M, G = dense(A, xs), dense(L, xs)
    np.testing.assert_allclose(dense(N, xs), M.T @ M + 0.2 * G.T @ G, atol=1e-10)


@pytest.mark.slow  # default-run budget
def test_parseval_from_core_branch(rng):
    """A bank built in the core (no signal module): ↓2 ∘ circular filters, certified alike."""
    pywt = pytest.importorskip("pywt", reason="PyWavelets not installed")
    w = pywt.Wavelet("db3")
    lo, hi = np.array(w.dec_lo[::-1]), np.array(w.dec_hi[::-1])
    bank = ca.branch(ca.down(2) @ ca.corr(lo, "circular"), ca.down(2) @ ca.corr(hi, "circular"))
    xs = jax.ShapeDtypeStruct((3, 16), jnp.float64)
    assert solve_method(bank, xs)[0] == "adjoint"
    y = bank(jnp.asarray(rand(rng, (3, 16))))
    close(solve(bank, y, xs, reg=0.5)[0], oracle(bank, y, xs, 0.5))
    # scaled: c = 4, and the transpose of the bank (synthesis): AAᴴ = 4I
    two = 2.0 * bank
    assert solve_method(two, xs)[0] == "adjoint"
    np.testing.assert_allclose(float(norm(two, xs)), 2.0, rtol=1e-12)
    syn = ca.transpose(bank, xs)
    coeffs = (jax.ShapeDtypeStruct((3, 8), jnp.float64),) * 2
    t = _s.tight(_s.lowered(syn, coeffs), coeffs)
    assert t is not None and t.kinds == _s.BOTH  # critically sampled: unitary
    S = dense(syn, coeffs)
    np.testing.assert_allclose(S @ S.T, np.eye(48), atol=1e-12)


@pytest.mark.slow  # default-run budget
def test_certificate_follows_kernel_values(rng):
    """Same structure, kernels no longer orthogonal: the cached choice is not reused; traced
    kernels are checked when the program runs."""
    cs = _cs()
    W = cs.dwt_op("db2", "periodization", in_size=16)
    xs = jax.ShapeDtypeStruct((16,), jnp.float64)
    x = jnp.asarray(rand(rng, (16,)))
    assert solve(W, W(x), xs, reg=0.1)[1].method == "adjoint"
    leaves, tree = jax.tree.flatten(W)
    W2 = jax.tree.unflatten(tree, [v * 1.1 for v in leaves])  # AᴴA = 1.21 I: still Parseval
    W3 = jax.tree.unflatten(tree, [v + 0.1 for v in leaves])  # not tight
    for V, want in ((W2, "adjoint"), (W3, "aliasing")):
        y = V(x)
        xh, info = solve(V, y, xs, reg=0.1)
        assert info.method == want
        close(xh, oracle(V, y, xs, 0.1))
    # under jit with the bank's kernels traced: the certificate is checked when the program
    # runs (lax.cond): the adjoint where it holds, CG where it does not; the same x
    f = jax.jit(lambda V, y: solve(V, y, xs, reg=0.1, tol=1e-12))
    xh, info = f(W, W(x))  # one level: the aliasing form needs no certificate
    assert info.method == "aliasing"
    close(xh, oracle(W, W(x), xs, 0.1))
    C = cs.wavedec_op("db2", "periodization", in_size=16, level=2)  # a cascade
    leaves, tree = jax.tree.flatten(C)
    C3 = jax.tree.unflatten(tree, [v + 0.05 for v in leaves])  # not tight
    for V, closed in ((C, True), (C3, False)):
        xh, info = f(V, V(x))
        assert info.method == "adjoint" and (int(info.iterations) == 0) == closed
        assert bool(info.converged)
        close(xh, oracle(V, V(x), xs, 0.1), 1e-9)


# ---- recognition is structural: each family's method, and labels do not matter ---------------
def _families(rng):
    h = rand(rng, (3, 3))
    g = rand(rng, (3,))
    A = ca.conv(h, "circular")
    out = [
        ("circular", A, (6, 8), "fourier"),
        ("pinned", ca.lower(A, strategy="fft"), (6, 8), "fourier"),
        ("axis=", ca.conv(g, "circular", axis=0), (6, 8), "fourier"),
        ("adjoint", ca.adjoint(A, jax.ShapeDtypeStruct((6, 8), jnp.float64)), (6, 8), "fourier"),
        ("branch", ca.branch(A, ca.conv(g, "circular", axis=1)), (6, 8), "fourier"),
        ("↓k ∘ circular", ca.down(2, ndim=2) @ A, (6, 8), "aliasing"),
        ("pad wrap", ca.corr(h, "valid") @ ca.pad(((1, 1), (1, 1)), "wrap"), (6, 8), "fourier"),
        (
            "nn circular",
            ca.nn.conv_op(
                rand(rng, (2, 2, 3, 3)), in_size=(6, 6), padding=1, padding_mode="circular"
            ),
            (1, 2, 6, 6),
            "fourier",
        ),
        ("↓2 ↑2", ca.down(2) @ ca.up(2), (8,), "adjoint"),
        ("zero pad", ca.pad((2, 1)), (8,), "adjoint"),
    ]
    try:
        import pywt  # noqa: F401

        import convalgebra.signal as cs

        out += [
            (
                "extend periodic",
                ca.corr(g, "valid") @ cs.extend_op((1, 1), "periodic"),
                (8,),
                "fourier",
            ),
            ("dwt periodization", cs.dwt_op("db2", "periodization", in_size=8), (8,), "adjoint"),
            (
                "dwt2 periodization",
                cs.dwt2_op("db2", "periodization", in_size=(8, 8)),
                (8, 8),
                "adjoint",
            ),
            (
                "wavedec",
                cs.wavedec_op("haar", "periodization", in_size=8, level=2),
                (8,),
                "adjoint",
            ),
            ("dwt bior", cs.dwt_op("bior1.3", "periodization", in_size=8), (8,), "aliasing"),
            (
                "symmetric boundary",
                ca.corr(np.array([0.25, 0.5, 0.25]), "valid") @ cs.extend_op((1, 1), "symmetric"),
                (8,),
                "dct",
            ),
        ]
    except ImportError:  # PyWavelets: the wavelet families are skipped
        pass
    return out


def _relabel(node):
    """The IR with every opaque node's label and notation renamed."""
    kids = tuple(_relabel(k) for k in _ir.children(node))
    node = _ir.rebuild(node, kids) if kids else node
    if isinstance(node, _ir.Apply):
        return dataclasses.replace(node, label_="renamed", sym=lambda x: f"renamed({x})")
    return node


def test_each_family_is_recognised_and_labels_do_not_matter(rng):
    """Fails if recognition regresses: the method for every supported operator family; the
    same reading with every label renamed (the structure comes from node types and fields)."""
    for name, op, shape, method in _families(rng):
        xs = jax.ShapeDtypeStruct(shape, jnp.float64)
        assert solve_method(op, xs)[0] == method, name
        ir = _relabel(_s.lowered(op, xs))
        if method == "adjoint":
            assert _s.tight(ir, xs) is not None, name
        else:
            assert _s.spectral(ir, shape)[0] is not None, name


@pytest.mark.slow  # default-run budget
def test_parseval_cascade_float32(rng):
    """float32 filters: the levels' constants agree to the certificate's tolerance (64 eps),
    so the two-level cascade is still Parseval; x matches the float64 oracle to float32."""
    cs = _cs()
    one = cs.dwt2_op("db2", "periodization", in_size=(8, 8), dtype=jnp.float32)
    two = cs.dwt2_op("db2", "periodization", in_size=(4, 4), dtype=jnp.float32)
    W = ca.parallel(two, None, None, None) @ one
    xs = jax.ShapeDtypeStruct((8, 8), jnp.float32)
    y = W(jnp.asarray(rand(rng, (8, 8), np.float32)))
    xh, info = solve(W, y, xs, reg=0.3)
    assert info.method == "adjoint" and xh.dtype == jnp.float32
    close(xh, oracle(W, y, jax.ShapeDtypeStruct((8, 8), jnp.float64), 0.3), 1e-5)


@pytest.mark.slow  # default-run budget
def test_kernel_gradients_of_value_certified_forms(rng):
    """The Parseval and DCT formulas hold only where their certificate does: their derivative
    in the kernels is implicit (custom_linear_solve), equal to CG's."""
    cs = _cs()
    xs = jax.ShapeDtypeStruct((16,), jnp.float64)
    x = jnp.asarray(rand(rng, (16,)))
    W = cs.wavedec_op("db2", "periodization", in_size=16, level=2)
    h = jnp.asarray(rand(rng, (5,)))
    w5 = jnp.array([0.2, 0.5, 1.0, 0.5, 0.2])
    ext = cs.extend_op((2, 2), "symmetric")
    cases = [
        ("adjoint", lambda ks: jax.tree.unflatten(jax.tree.structure(W), ks), None, W),
        ("dct", lambda ks: ca.corr(ks[0], "valid") @ ext, None, [w5]),
        ("fourier", lambda ks: ca.conv(h, "circular"),
         lambda ks: jax.tree.unflatten(jax.tree.structure(W), ks), W),
    ]  # fmt: skip

    def loss(ks, how, make_a, make_l, y):
        L = make_l(ks) if make_l else None
        xh, _ = solve(make_a(ks), y, xs, reg=0.3, L=L, method=how, tol=1e-13)
        return jnp.sum(jnp.sin(xh))

    for method, make_a, make_l, params in cases:
        ks = jax.tree.leaves(params)
        y = make_a(ks)(x)
        got = jax.grad(loss)(ks, method, make_a, make_l, y)
        want = jax.grad(loss)(ks, "cg", make_a, make_l, y)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9, err_msg=method)


@pytest.mark.slow  # default-run budget
def test_kernel_gradients_aliasing_and_mixing_with_parseval_l(rng):
    """``↓2 ∘`` circular A (aliasing) and a channel-mixing A (fourier), L a Parseval cascade
    whose filters are differentiated: implicit gradients, equal to CG's."""
    cs = _cs()
    W = cs.wavedec_op("db2", "periodization", in_size=16, level=2)
    tree = jax.tree.structure(W)
    cases = [
        ("aliasing", ca.down(2) @ ca.conv(jnp.asarray(rand(rng, (5,))), "circular"), (16,)),
        ("fourier", ca.conv(jnp.asarray(rand(rng, (2, 2, 3))), "circular", ndim=1), (2, 16)),
    ]

    def loss(ks, how, A, y, xs):
        xh, _ = solve(A, y, xs, reg=0.3, L=jax.tree.unflatten(tree, ks), method=how, tol=1e-13)
        return jnp.sum(jnp.sin(xh))

    for method, A, shape in cases:
        xs = jax.ShapeDtypeStruct(shape, jnp.float64)
        y = A(jnp.asarray(rand(rng, shape)))
        ks = jax.tree.leaves(W)
        got = jax.grad(loss)(ks, method, A, y, xs)
        want = jax.grad(loss)(ks, "cg", A, y, xs)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9, err_msg=method)
