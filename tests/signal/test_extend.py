"""``cs.Extend``: boundary extension of the last axis from slices (no gather, no scatter).

Oracles: ``numpy.pad`` (zero, edge, symmetric, reflect, periodic as ``wrap``), ``pywt.pad``
(smooth, antisymmetric, antireflect, periodization), and, for every mode, the definition the
extension implements (``_terms``: each extended sample a fixed combination of input samples)
evaluated in NumPy by indexing, which the slices must reproduce exactly. The dot test checks the
transpose JAX derives; the jaxprs of the extension and of its transpose hold no gather/scatter.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs
from convalgebra.signal._extend import MODES, _terms, extend_last

pywt = pytest.importorskip("pywt", reason="PyWavelets (the 'signal' extra) is an oracle")

pytestmark = pytest.mark.usefixtures("quick_compiles")

LENGTHS = (1, 2, 5, 8)
WIDTHS = ((0, 0), (3, 2), (7, 11))
NUMPY_MODES = {
    "zero": "constant",
    "edge": "edge",
    "symmetric": "symmetric",
    "reflect": "reflect",
    "periodic": "wrap",
}
PYWT_ONLY = ("smooth", "antisymmetric", "antireflect", "periodization")


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def reference(x: np.ndarray, before: int, after: int, mode: str) -> np.ndarray:
    """The extension by indexing: ``ext[m] = sum_t w_t x[i_t]``, in ``x``'s dtype."""
    n = x.shape[-1]

    def side(m):
        out = np.zeros(x.shape[:-1] + m.shape, x.dtype)
        for idx, w in _terms(mode, n, m):
            w = np.broadcast_to(np.asarray(w, dtype=float), idx.shape)
            out = out + x[..., idx] * w.astype(x.dtype)
        return out

    return np.concatenate([side(np.arange(-before, 0)), x, side(np.arange(n, n + after))], axis=-1)


def library_oracle(x: np.ndarray, before: int, after: int, mode: str) -> np.ndarray | None:
    """``numpy.pad`` / ``pywt.pad`` where they define the mode (``None`` elsewhere)."""
    n = x.shape[-1]
    if mode in NUMPY_MODES:
        return np.pad(x, (before, after), NUMPY_MODES[mode])
    if mode == "smooth" and n == 1:  # pywt.pad extrapolates a 1-sample signal off x[1]
        return None
    if mode in PYWT_ONLY:
        # one sample more after: pywt.pad fails on a zero width, and keeps an odd signal's
        # repeated last sample in periodization mode; the samples before do not depend on it
        return pywt.pad(x, (before, after + 1), mode)[: before + n + after]
    return None


def signal(n: int, dtype=np.float64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + n)
    x = rng.standard_normal(n)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(n)
    return x.astype(dtype)


def no_gather_scatter(op: ca.Operator, x) -> None:
    fwd = str(jax.make_jaxpr(op)(x))
    y = op(x)
    bwd = str(jax.make_jaxpr(ca.transpose(op, x))(y))
    for text in (fwd, bwd):
        assert "gather" not in text and "scatter" not in text, text


@pytest.mark.parametrize("mode", MODES)
def test_values_adjoint_and_no_gather(mode):
    cases = [(n, w) for n, w in itertools.product(LENGTHS, WIDTHS) if w != (0, 0)]
    xs = tuple(jnp.asarray(signal(n)) for n, _ in cases)
    # all the cases as one block-diagonal operator: one compile for the values, one jaxpr each
    # way; the dot test (its compile dominates the file) on the widest extensions, the others
    # in the slow tests
    ops = [cs.Extend(before, after, mode) for _, (before, after) in cases]
    par = ca.parallel(*ops)
    outs = par(xs)
    for x, (n, (before, after)), got in zip(xs, cases, outs):
        x, got = np.asarray(x), np.asarray(got)
        np.testing.assert_array_equal(
            got, reference(x, before, after, mode), err_msg=f"{mode} n={n} {before, after}"
        )
        lib = library_oracle(x, before, after, mode)
        if lib is not None:
            np.testing.assert_allclose(got, lib, rtol=1e-12, atol=1e-12)
    no_gather_scatter(par, xs)
    widest = [i for i, (_, w) in enumerate(cases) if w == WIDTHS[-1]]
    dot = ca.parallel(*(ops[i] for i in widest))
    assert ca.testing.check_adjoint(dot, tuple(xs[i] for i in widest)) < 1e-13
    for n in LENGTHS:  # (0, 0) is the identity
        x = signal(n)
        np.testing.assert_array_equal(np.asarray(cs.Extend(0, 0, mode)(jnp.asarray(x))), x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.complex128, marks=pytest.mark.slow)])
def test_dtypes_kept(mode, dtype):
    x = np.stack([signal(5, dtype, seed) for seed in range(3)])  # a batch axis too
    got = extend_last(jnp.asarray(x), 7, 11, mode)
    assert got.dtype == x.dtype
    tol = 1e-15 if dtype == np.complex128 else 1e-6
    np.testing.assert_allclose(np.asarray(got), reference(x, 7, 11, mode), rtol=tol, atol=tol)


def test_jit_vmap():
    x = jnp.asarray(np.stack([signal(8, seed=s) for s in range(4)]))
    for mode in MODES:
        got = jax.jit(jax.vmap(lambda v, m=mode: extend_last(v, 7, 11, m)))(x)
        ref = reference(np.asarray(x), 7, 11, mode)
        np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-14, atol=1e-14)


@pytest.mark.slow
def test_many_periods():
    """A long extension of a short signal (many runs): slices, and the transpose no scatter."""
    x = jnp.asarray(signal(3))
    for mode in MODES:
        op = cs.Extend(40, 25, mode)
        np.testing.assert_array_equal(
            np.asarray(op(x)), reference(np.asarray(x), 40, 25, mode), err_msg=mode
        )
        no_gather_scatter(op, x)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_complex64(mode):
    test_dtypes_kept(mode, np.complex64)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_grid(mode):
    for n, before, after in itertools.product(range(1, 12), range(0, 26, 5), range(0, 26, 3)):
        x = signal(n, seed=before + 31 * after)
        got = np.asarray(extend_last(jnp.asarray(x), before, after, mode))
        np.testing.assert_array_equal(got, reference(x, before, after, mode))
        lib = library_oracle(x, before, after, mode)
        if lib is not None:
            np.testing.assert_allclose(got, lib, rtol=1e-12, atol=1e-12)
    for n, (before, after) in itertools.product(LENGTHS, WIDTHS[1:]):
        op = cs.Extend(before, after, mode)
        assert ca.testing.check_adjoint(op, jnp.asarray(signal(n))) < 1e-13, (n, before, after)
