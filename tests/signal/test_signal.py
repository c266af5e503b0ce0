"""convalgebra.signal: SciPy's upfirdn / resample_poly / decimate and PyWavelets' transforms.

Oracles: scipy.signal and PyWavelets (the 'signal' extra), float64 unless stated. Every bank
also gets the dot test, a dense-matrix check and the lowering check (one convolution).
"""

import sys
import warnings

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs
from convalgebra.signal import _wavelet

scipy_signal = pytest.importorskip("scipy.signal")
pywt = pytest.importorskip("pywt", reason="PyWavelets (the 'signal' extra) is not installed")

# XLA's optimisation passes dominate the compile time of these tiny programs (conftest fixture)
pytestmark = pytest.mark.usefixtures("quick_compiles")

SCIPY_MODES = cs.SCIPY_MODES
PYWT_MODES = cs.PYWT_MODES
WAVELETS = ["haar", "db2", "sym3", "coif1", "bior2.4", "rbio3.1"]


def close(got, ref, rtol=1e-12):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * scale)


def leaves_close(got, ref, rtol=1e-12):
    g, r = jax.tree.leaves(got), jax.tree.leaves(ref)
    assert len(g) == len(r)
    for a, b in zip(g, r):
        close(a, b, rtol)


def hlo_convs(fn, *args):
    """Convolutions in XLA's optimized program (the dead forward of a transpose removed)."""
    text = jax.jit(fn).lower(*args).compile().as_text()
    return text.count(" convolution("), text.count("lhs_dilate=2")


def n_convs(fn, *args):
    text = str(jax.make_jaxpr(fn)(*args))
    return text.count("conv_general_dilated["), text.count("lhs_dilation=(2,)")


# ---- upfirdn --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", SCIPY_MODES)
def test_upfirdn_matches_scipy(rng, mode):
    # a filter longer than the signal (extension beyond one period) and a plain one
    for n, k, up, down in [(3, 17, 2, 3), (7, 5, 3, 2)]:
        x, h = rng.standard_normal((2, n)), rng.standard_normal(k)
        ref = scipy_signal.upfirdn(h, x, up, down, mode=mode)
        close(cs.upfirdn(h, x, up, down, mode=mode), ref)


@pytest.mark.slow
@pytest.mark.parametrize(
    "n,k,up,down", [(10, 4, 1, 1), (20, 7, 1, 4), (2, 9, 1, 2), (31, 12, 5, 3)]
)
@pytest.mark.parametrize("mode", SCIPY_MODES)
def test_upfirdn_large_grid(rng, n, k, up, down, mode):
    x, h = rng.standard_normal((2, n)), rng.standard_normal(k)
    close(cs.upfirdn(h, x, up, down, mode=mode), scipy_signal.upfirdn(h, x, up, down, mode=mode))


def test_upfirdn_cval_and_axis(rng):
    x, h = rng.standard_normal((6, 3)), rng.standard_normal(4)
    ref = scipy_signal.upfirdn(h, x, 2, 3, axis=0, mode="constant", cval=1.5)
    close(cs.upfirdn(h, x, 2, 3, axis=0, mode="constant", cval=1.5), ref)


def test_upfirdn_operator_matrix_and_adjoint(rng):
    h = rng.standard_normal(5)
    for mode in ("constant", "symmetric", "smooth"):
        op = cs.upfirdn_op(h, in_size=6, up=3, down=2, mode=mode)
        dense = np.stack([scipy_signal.upfirdn(h, e, 3, 2, mode=mode) for e in np.eye(6)], axis=1)
        close(ca.matrix(op, jnp.zeros(6)), dense)
        assert ca.testing.check_adjoint(op, jnp.zeros((2, 6))) < 1e-13


def test_upfirdn_float32_keeps_dtype(rng):
    x = rng.standard_normal(50).astype(np.float32)
    y = cs.upfirdn(np.ones(3, np.float32), x, 2, 1)
    assert y.dtype == jnp.float32
    close(y, scipy_signal.upfirdn(np.ones(3), x.astype(float), 2, 1), rtol=1e-5)


def test_upfirdn_resample_poly_dtypes_follow_scipy(rng):
    # NumPy promotion, as SciPy: a float64 filter is never rounded to float32 data (x64 on)
    x32 = rng.standard_normal(40).astype(np.float32)
    h64 = rng.standard_normal(7)
    ref = scipy_signal.upfirdn(h64, x32, 3, 2)
    got = cs.upfirdn(h64, x32, 3, 2)
    assert got.dtype == ref.dtype == np.float64
    close(got, ref)
    # resample_poly designs its filter in the data's dtype (float32 stays float32) ...
    r32 = scipy_signal.resample_poly(x32, 5, 3)
    g32 = cs.resample_poly(x32, 5, 3)
    assert g32.dtype == r32.dtype == np.float32
    close(g32, r32, rtol=1e-5)
    # ... but a window array keeps its own dtype, and the result is the promotion
    w = rng.standard_normal(9)
    rw = scipy_signal.resample_poly(x32, 3, 2, window=w)
    gw = cs.resample_poly(x32, 3, 2, window=w)
    assert gw.dtype == rw.dtype == np.float64
    close(gw, rw)
    # integer data becomes float64; complex filters give complex results
    xi = np.arange(12)
    close(cs.upfirdn([1, 2], xi, 2, 3), scipy_signal.upfirdn([1, 2], xi, 2, 3))
    hc = h64 + 1j * rng.standard_normal(7)
    rc = scipy_signal.upfirdn(hc, x32, 2, 3)
    gc = cs.upfirdn(hc, x32, 2, 3)
    assert gc.dtype == rc.dtype == np.complex128
    close(gc, rc)


def test_resample_errors_name_the_public_function():
    with pytest.raises(ValueError, match=r"^resample_poly: axis 2 is out of range"):
        cs.resample_poly(np.ones((3, 4)), 3, 2, axis=2)
    with pytest.raises(ValueError, match=r"^upfirdn: unknown mode"):
        cs.upfirdn([1.0], np.ones(4), 2, 1, mode="nope")
    with pytest.raises(TypeError, match=r"^upfirdn_op: in_size must be a positive int"):
        cs.upfirdn_op([1.0], in_size=2.5, up=2)
    with pytest.raises(ValueError, match=r"^resample_poly_op: up must be a positive int"):
        cs.resample_poly_op(0, 2, in_size=8)
    with pytest.raises(TypeError):  # in_size is keyword-only
        cs.upfirdn_op([1.0], 8)  # pyright: ignore[reportCallIssue]


# ---- resample_poly / decimate / filter design ------------------------------------------------


@pytest.mark.parametrize(
    "numtaps,cutoff,window",
    [(41, 1 / 3, ("kaiser", 5.0)), (61, 0.25, "hamming"), (21, 0.3, "hann"), (33, 0.5, "blackman")],
)
def test_firwin_matches_scipy(numtaps, cutoff, window):
    ref = scipy_signal.firwin(numtaps, cutoff, window=window)
    np.testing.assert_allclose(cs.firwin(numtaps, cutoff, window=window), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "n,up,down,padtype",
    [
        (50, 3, 2, "constant"),
        (33, 2, 3, "mean"),
        (17, 1, 4, "line"),
        (9, 7, 3, "symmetric"),
        (40, 4, 4, "constant"),
        (21, 3, 2, "median"),
        (21, 3, 2, "smooth"),
    ],
)
def test_resample_poly_matches_scipy(rng, n, up, down, padtype):
    x = rng.standard_normal((n, 2))  # SciPy's default axis is 0
    close(
        cs.resample_poly(x, up, down, padtype=padtype),
        scipy_signal.resample_poly(x, up, down, padtype=padtype),
    )


def test_resample_poly_window_array_cval_and_operator(rng):
    x, w = rng.standard_normal(30), rng.standard_normal(9)
    close(cs.resample_poly(x, 3, 2, window=w), scipy_signal.resample_poly(x, 3, 2, window=w))
    close(cs.resample_poly(x, 3, 2, cval=2.0), scipy_signal.resample_poly(x, 3, 2, cval=2.0))
    close(
        cs.resample_poly(x, 5, 3, window="hamming"),
        scipy_signal.resample_poly(x, 5, 3, window="hamming"),
    )
    op = cs.resample_poly_op(3, 2, in_size=30)
    close(op(x), scipy_signal.resample_poly(x, 3, 2))
    assert ca.testing.check_adjoint(op, jnp.zeros(30)) < 1e-13
    assert n_convs(op, jnp.asarray(x))[1] == 0  # polyphase: no lhs_dilation in the forward


def test_resample_poly_jit_and_grad(rng):
    x = jnp.asarray(rng.standard_normal(24))
    f = jax.jit(lambda v: cs.resample_poly(v, 3, 2))
    close(f(x), cs.resample_poly(x, 3, 2))
    jax.test_util.check_grads(lambda v: cs.resample_poly(v, 3, 2), (x,), order=1, modes=["rev"])


@pytest.mark.parametrize("q,zero_phase", [(2, True), (3, False)])
def test_decimate_fir_matches_scipy(rng, q, zero_phase):
    x = rng.standard_normal((3, 61))
    ref = scipy_signal.decimate(x, q, ftype="fir", zero_phase=zero_phase)
    close(cs.decimate(x, q, ftype="fir", zero_phase=zero_phase), ref)
    close(cs.decimate(x, q, n=8, ftype="fir"), scipy_signal.decimate(x, q, n=8, ftype="fir"))


# ---- 1-D wavelets -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", PYWT_MODES)
def test_dwt_idwt_match_pywt(rng, mode):
    # bior2.4 has 10 taps: n = 3 needs the extension to wrap several times; 13 is odd
    for wav, n in (("bior2.4", 3), ("db2", 13), ("sym3", 10)):
        x = rng.standard_normal((2, n))
        ref = pywt.dwt(x, wav, mode)
        leaves_close(cs.dwt(x, wav, mode), ref)
        close(cs.idwt(*ref, wav, mode), pywt.idwt(*ref, wav, mode))


@pytest.mark.parametrize("wav", WAVELETS)
def test_dwt_idwt_families(rng, wav):
    x = rng.standard_normal((2, 11))
    for mode in ("symmetric", "periodization"):
        ref = pywt.dwt(x, wav, mode)
        leaves_close(cs.dwt(x, wav, mode), ref)
        close(cs.idwt(*ref, wav, mode), pywt.idwt(*ref, wav, mode))


@pytest.mark.parametrize("mode", PYWT_MODES)
def test_wavedec_waverec_match_pywt(rng, mode):
    wav = "coif1"
    x = rng.standard_normal((3, 37))
    for level in (3,):
        ref = pywt.wavedec(x, wav, mode, level=level)
        got = cs.wavedec(x, wav, mode, level=level)
        leaves_close(got, ref)
        close(cs.waverec(ref, wav, mode), pywt.waverec(ref, wav, mode))


def test_wavedec_axis_default_level_and_perfect_reconstruction(rng):
    x = rng.standard_normal((40, 3))
    ref = pywt.wavedec(x, "sym4", axis=0)
    got = cs.wavedec(x, "sym4", axis=0)
    assert len(got) == len(ref) == pywt.dwt_max_level(40, 8) + 1
    leaves_close(got, ref)
    close(cs.waverec(got, "sym4", axis=0), x)


def test_level_too_deep_warns_as_pywt(rng):
    x = rng.standard_normal(16)
    with pytest.warns(UserWarning, match="too high"):
        got = cs.wavedec(x, "db2", level=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leaves_close(got, pywt.wavedec(x, "db2", level=4))
    for n, f in [(16, 4), (100, 8), (3, 10), (1024, 2)]:
        assert cs.dwt_max_level(n, f) == pywt.dwt_max_level(n, f)


@pytest.mark.slow
@pytest.mark.parametrize(
    "wav",
    ["db1", "db3", "db6", "sym5", "coif3", "bior1.3", "bior3.5", "bior6.8", "rbio2.2", "rbio4.4"],
)
@pytest.mark.parametrize("mode", PYWT_MODES)
def test_wavelets_large_grid(rng, wav, mode):
    for n in (1, 2, 5, 8, 31, 64):
        x = rng.standard_normal((2, n))
        if n == 1 and mode in ("reflect", "antireflect"):  # PyWavelets refuses, and so do we
            with pytest.raises(ValueError, match="at least 2 samples"):
                cs.dwt(x, wav, mode)
            continue
        ref = pywt.dwt(x, wav, mode)
        leaves_close(cs.dwt(x, wav, mode), ref)
        close(cs.idwt(*ref, wav, mode), pywt.idwt(*ref, wav, mode))
    x = rng.standard_normal(77)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for level in (1, 2, 4):
            ref = pywt.wavedec(x, wav, mode, level=level)
            leaves_close(cs.wavedec(x, wav, mode, level=level), ref)
            close(cs.waverec(ref, wav, mode), pywt.waverec(ref, wav, mode))


# ---- 2-D / N-D ------------------------------------------------------------------------------


@pytest.mark.parametrize("wav,mode", [("db2", "symmetric"), ("bior2.4", "periodization")])
def test_2d_match_pywt(rng, wav, mode):
    x = rng.standard_normal((2, 11, 14))
    ref = pywt.dwt2(x, wav, mode)
    leaves_close(cs.dwt2(x, wav, mode), ref)
    close(cs.idwt2(ref, wav, mode), pywt.idwt2(ref, wav, mode))
    ref = pywt.wavedec2(x, wav, mode, level=2)
    leaves_close(cs.wavedec2(x, wav, mode, level=2), ref)
    close(cs.waverec2(ref, wav, mode), pywt.waverec2(ref, wav, mode))


def test_dwtn_idwtn_match_pywt(rng):
    x = rng.standard_normal((5, 6, 7))
    for mode in ("symmetric", "periodization"):
        ref = pywt.dwtn(x, "db2", mode, axes=(0, 2))
        got = cs.dwtn(x, "db2", mode, axes=(0, 2))
        assert set(got) == set(ref)
        for k in ref:
            close(got[k], ref[k])
        close(cs.idwtn(ref, "db2", mode, axes=(0, 2)), pywt.idwtn(ref, "db2", mode, axes=(0, 2)))
    ref = pywt.dwtn(x, "haar")
    got = cs.dwtn(x, "haar")
    assert len(got) == 8
    close(cs.idwtn({**ref, "ddd": None}, "haar"), pywt.idwtn({**ref, "ddd": None}, "haar"))


# ---- stationary -----------------------------------------------------------------------------


@pytest.mark.parametrize("wav", ["db2", "bior2.4"])
def test_swt_iswt_match_pywt(rng, wav):
    x = rng.standard_normal((2, 32))
    for level in (3,):
        for trim in (False, True):
            ref = pywt.swt(x, wav, level=level, trim_approx=trim)
            leaves_close(cs.swt(x, wav, level=level, trim_approx=trim), ref)
            close(cs.iswt(ref, wav), pywt.iswt(ref, wav))
    ref = pywt.swt(x, wav, level=2, start_level=1)
    leaves_close(cs.swt(x, wav, level=2, start_level=1), ref)


def test_swt_norm_and_adjoint(rng):
    x = rng.standard_normal(16)
    ref = pywt.swt(x, "db2", level=2, norm=True)
    leaves_close(cs.swt(x, "db2", level=2, norm=True), ref)
    close(cs.iswt(ref, "db2", norm=True), x)
    op = cs.swt_op(cs.wavelet("db2"), 4)
    assert ca.testing.check_adjoint(op, jnp.zeros((2, 1, 16))) < 1e-13
    assert n_convs(op, jnp.zeros((2, 1, 16)))[0] == 1  # the à-trous filters: one dilated conv


# ---- the algebra: banks, transposes, matrices, lowering ---------------------------------------


def test_jit_equals_eager_and_float32(rng):
    x = rng.standard_normal((2, 33))
    f = jax.jit(lambda v: cs.wavedec(v, "sym3", "smooth", level=2))
    leaves_close(f(x), cs.wavedec(x, "sym3", "smooth", level=2))
    got = cs.wavedec(x.astype(np.float32), "sym3", "smooth", level=2)
    assert all(c.dtype == jnp.float32 for c in got)
    leaves_close(got, pywt.wavedec(x, "sym3", "smooth", level=2), rtol=1e-5)


def test_grad_of_reconstruction_loss(rng):
    x = jnp.asarray(rng.standard_normal(16))

    def loss(v):
        a, d = cs.dwt(v, "db2", "symmetric")
        return jnp.sum(a**2) + jnp.sum(jnp.sin(d))

    jax.test_util.check_grads(loss, (x,), order=1, modes=["rev"])


# ---- filters without PyWavelets, bad input --------------------------------------------------


def test_filters_as_arrays_and_no_pywt(monkeypatch, rng):
    w = pywt.Wavelet("db2")
    x = rng.standard_normal(12)
    leaves_close(cs.dwt(x, w.filter_bank, "reflect"), pywt.dwt(x, w, "reflect"))
    monkeypatch.setitem(sys.modules, "pywt", None)
    # names resolved earlier in this process are cached (a real process never loses pywt)
    _wavelet._named.cache_clear()
    leaves_close(cs.dwt(x, w.filter_bank, "reflect"), pywt.dwt(x, w, "reflect"))
    with pytest.raises(ImportError, match=r"dwt: .*'db2'.*convalgebra\[signal\]"):
        cs.dwt(x, "db2")


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (
            lambda: cs.upfirdn([1.0], np.ones(4), up=2.5),
            TypeError,
            r"upfirdn: up must be a positive int, got 2.5",
        ),
        (
            lambda: cs.upfirdn([1.0], np.ones(4), down=0),
            ValueError,
            r"upfirdn: down must be .*got 0",
        ),
        (
            lambda: cs.upfirdn(np.ones((2, 2)), np.ones(4)),
            ValueError,
            r"upfirdn: the filter must be 1-D, got shape \(2, 2\)",
        ),
        (
            lambda: cs.upfirdn([1.0], np.ones(4), mode="foo"),
            ValueError,
            r"upfirdn: unknown mode 'foo'",
        ),
        (
            lambda: cs.resample_poly(np.ones(4), -1, 2),
            ValueError,
            r"resample_poly: up must be .*got -1",
        ),
        (
            lambda: cs.resample_poly(np.ones(4), 2, 1, window="nope"),
            ValueError,
            r"resample_poly: window 'nope' is not supported",
        ),
        (
            lambda: cs.resample_poly(np.ones(4), 2, 1, padtype="foo"),
            ValueError,
            r"resample_poly: unknown padtype 'foo'",
        ),
        (
            lambda: cs.decimate(np.ones(40), 2, ftype="cheby2"),
            ValueError,
            r"decimate: ftype must be 'iir', 'fir' or a dlti",
        ),
        (
            lambda: cs.dwt(np.ones(8), "db2", "foo"),
            ValueError,
            r"dwt: unknown mode 'foo'; choose one of",
        ),
        (lambda: cs.dwt(np.ones(8), "nosuch"), ValueError, r"dwt: unknown wavelet 'nosuch'"),
        (
            lambda: cs.dwt(np.ones(8), ([1.0], [1.0])),
            ValueError,
            r"dwt: a wavelet needs four 1-D filters",
        ),
        (
            lambda: cs.idwt(np.ones(4), np.ones(5), "db2"),
            ValueError,
            r"idwt: cA and cD must have the same shape, got \(4,\) and \(5,\)",
        ),
        (
            lambda: cs.waverec([np.ones(3), np.ones(7)], "db2"),
            ValueError,
            r"waverec: coefficient shape mismatch at coeffs\[1\]",
        ),
        (
            lambda: cs.idwtn({"aa": np.ones((3, 3)), "ad": np.ones((3, 4))}, "db2"),
            ValueError,
            r"idwtn: all coefficient arrays must have the same shape",
        ),
        (
            lambda: cs.swt(np.ones(12), "db2", level=3),
            ValueError,
            r"swt: level 3 is too high for a signal of length 12",
        ),
        (
            lambda: cs.wavedec(np.ones(8), "db2", level=-1),
            ValueError,
            r"wavedec: level must be >= 0, got -1",
        ),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_public_names():
    for name in cs.__all__:
        assert getattr(cs, name) is not None, name


def test_signal_benchmark_smoke():
    """The benchmark plugin runs a tiny case and every formulation agrees with PyWavelets."""
    from convalgebra.bench import forms_signal as fs

    case = fs.SignalCase("tiny", "wavedec", (2, 64), "periodization", 2)
    rows = fs.run_case(case, 1, ("forward", "inverse", "transpose", "grad"), [])
    mine = [r for r in rows if r.family not in fs.PEERS]
    assert {r.direction for r in mine} == {"forward", "inverse", "transpose", "grad"}
    assert all(r.status == "ok" and r.median_ms is not None for r in mine), rows
    assert all(r.rel_err is None or r.rel_err < 1e-4 for r in mine)


def test_complex_signals(rng):
    x = rng.standard_normal((2, 13)) + 1j * rng.standard_normal((2, 13))
    leaves_close(cs.wavedec(x, "db2", "smooth", level=2), pywt.wavedec(x, "db2", "smooth", level=2))
    close(cs.resample_poly(x, 3, 2, axis=-1), scipy_signal.resample_poly(x, 3, 2, axis=-1))


@pytest.mark.parametrize("mode", ["periodization", "symmetric", "antireflect", "smooth"])
def test_wavedec_kernels_gather_free_and_transposed(rng, mode):
    """The 1-D transforms' kernels read the extension as slices (no gather, so their transpose
    and gradient have no scatter-add), and the derived transpose of ``wavedec`` passes the dot
    test; for an orthogonal wavelet in periodization mode it is ``waverec``."""
    x = jnp.asarray(rng.standard_normal((2, 29)))
    coeffs = cs.wavedec(x, "db2", mode, level=2)
    ys = [jnp.asarray(rng.standard_normal(c.shape)) for c in coeffs]
    fwd = lambda v: cs.wavedec(v, "db2", mode, level=2)  # noqa: E731
    tr = lambda c: jax.linear_transpose(fwd, x)(c)[0]  # noqa: E731
    assert "gather" not in jax.jit(fwd).lower(x).as_text()
    assert "scatter" not in jax.jit(tr).lower(ys).as_text()
    assert "gather" not in jax.jit(lambda c: cs.waverec(c, "db2", mode)).lower(ys).as_text()
    lhs = sum(jnp.vdot(c, y) for c, y in zip(coeffs, ys))
    assert abs(float(lhs - jnp.vdot(x, tr(ys)))) < 1e-12 * float(jnp.linalg.norm(x))
    if mode == "periodization":
        x = jnp.asarray(rng.standard_normal((2, 32)))
        coeffs = cs.wavedec(x, "db2", mode, level=2)
        close(jax.linear_transpose(fwd, x)(coeffs)[0], cs.waverec(coeffs, "db2", mode))


@pytest.mark.parametrize(("n", "k", "up", "down"), [(10, 3, 1, 1), (17, 8, 3, 2), (5, 12, 4, 7)])
def test_upfirdn_length_is_scipys(n, k, up, down):
    scipy_signal = pytest.importorskip("scipy.signal", reason="scipy is the oracle")
    h, x = np.ones(k), np.ones(n)
    assert cs.upfirdn_length(n, k, up, down) == scipy_signal.upfirdn(h, x, up, down).shape[0]
