"""Property-based grid for ``signal`` (issue 21 item 5), slow.

Hypothesis draws (up, down, filter length, length, axis, dtype) for ``upfirdn`` and
``resample_poly`` and (wavelet, mode, length, level, axis, dtype) for ``wavedec``/``waverec`` and
``wavedecn``, and compares under ``jax.jit`` against SciPy / PyWavelets; the gradients (with
respect to the signal and, for ``upfirdn``, the filter) against the transpose of the dense
matrix built from the oracle's responses to unit vectors. Float32 to 1e-5 relative, float64 to
1e-12. About two minutes on a quiet 2-core machine (each example compiles its own program).
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra.signal as cs

pywt = pytest.importorskip("pywt", reason="PyWavelets (the 'signal' extra) is the oracle")
ss = pytest.importorskip("scipy.signal", reason="SciPy is the oracle")
hyp = pytest.importorskip("hypothesis", reason="hypothesis draws the grid")
st = hyp.strategies

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("quick_compiles")]

SETTINGS = hyp.settings(
    max_examples=int(os.environ.get("CA_PROP_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hyp.HealthCheck),
)
WAVELETS = ("haar", "db2", "db4", "sym3", "coif1", "bior2.2", "rbio3.1", "dmey")
TOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def close(got, ref, dtype):
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL[dtype] * scale * 10)


def dense(f, n):
    """The matrix of a linear map of length-``n`` vectors, column by column (the oracle's)."""
    cols = [np.ravel(np.concatenate([np.ravel(c) for c in f(np.eye(n)[i])])) for i in range(n)]
    return np.stack(cols, axis=1)


@hyp.given(
    up=st.integers(1, 7),
    down=st.integers(1, 7),
    taps=st.integers(1, 24),
    n=st.integers(1, 40),
    batch=st.integers(1, 3),
    axis=st.sampled_from([0, -1]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
@SETTINGS
def test_upfirdn_property(up, down, taps, n, batch, axis, dtype, seed):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(taps).astype(dtype)
    x = rng.standard_normal((n, batch) if axis == 0 else (batch, n)).astype(dtype)
    ref = ss.upfirdn(h, x, up, down, axis=axis)
    got = jax.jit(lambda h, x: cs.upfirdn(h, x, up, down, axis=axis))(h, x)
    assert got.dtype == ref.dtype
    close(got, ref, dtype)
    # gradients of <g, upfirdn(h, x)>: Mᵀ g for the signal, Nᵀ g for the filter
    g = rng.standard_normal(ref.shape).astype(dtype)
    gx, gh = jax.jit(
        jax.grad(lambda h, x: jnp.sum(g * cs.upfirdn(h, x, up, down, axis=axis)), argnums=(1, 0))
    )(h, x)
    row = x[:, 0] if axis == 0 else x[0]
    grow = g[:, 0] if axis == 0 else g[0]
    mx = dense(lambda e: [ss.upfirdn(h.astype(np.float64), e, up, down)], n)
    close(gx[:, 0] if axis == 0 else gx[0], mx.T @ grow, dtype)
    mh = dense(lambda e: [ss.upfirdn(e, x.astype(np.float64), up, down, axis=axis)], taps)
    close(gh, mh.T @ g.ravel(), dtype)
    del row


@hyp.given(
    up=st.integers(1, 6),
    down=st.integers(1, 6),
    n=st.integers(2, 60),
    axis=st.sampled_from([0, 1]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
@SETTINGS
def test_resample_poly_property(up, down, n, axis, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2) if axis == 0 else (2, n)).astype(dtype)
    ref = ss.resample_poly(x, up, down, axis=axis)
    got = jax.jit(lambda x: cs.resample_poly(x, up, down, axis=axis))(x)
    close(got, ref, dtype)


@hyp.given(
    wavelet=st.sampled_from(WAVELETS),
    mode=st.sampled_from(pywt.Modes.modes),
    n=st.integers(2, 70),
    level=st.integers(1, 4),
    axis=st.sampled_from([0, -1]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
@SETTINGS
def test_wavedec_property(wavelet, mode, n, level, axis, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2) if axis == 0 else (2, n)).astype(dtype)
    level = min(level, max(pywt.dwt_max_level(n, wavelet), 1))
    ref = pywt.wavedec(x, wavelet, mode, level=level, axis=axis)
    w = cs.wavelet(wavelet)
    got = jax.jit(lambda x, w: cs.wavedec(x, w, mode, level=level, axis=axis))(x, w)
    for a, b in zip(got, ref):
        assert a.dtype == b.dtype
        close(a, b, dtype)
    rec_ref = pywt.waverec(ref, wavelet, mode, axis=axis)
    rec = jax.jit(lambda c, w: cs.waverec(c, w, mode, axis=axis))([jnp.asarray(c) for c in ref], w)
    close(rec, rec_ref, dtype)
    # the gradient of <g, wavedec(x)> with respect to x: the dense matrix's transpose
    gs = [rng.standard_normal(c.shape).astype(dtype) for c in ref]
    gx = jax.jit(
        jax.grad(
            lambda x: sum(
                jnp.sum(gi * c) for gi, c in zip(gs, cs.wavedec(x, w, mode, level=level, axis=axis))
            )
        )
    )(x)
    m = dense(lambda e: pywt.wavedec(e, wavelet, mode, level=level), n)
    gflat = np.concatenate([(gi[:, 0] if axis == 0 else gi[0]) for gi in gs])
    close(gx[:, 0] if axis == 0 else gx[0], m.T @ gflat, dtype)


@hyp.given(
    wavelet=st.sampled_from(WAVELETS[:6]),
    mode=st.sampled_from(pywt.Modes.modes),
    shape=st.tuples(st.integers(2, 12), st.integers(2, 12), st.integers(1, 3)),
    axes=st.sampled_from([(0, 1), (1, 0), (0,), (1, 2), None]),
    level=st.integers(1, 2),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
@SETTINGS
def test_wavedecn_property(wavelet, mode, shape, axes, level, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            ref = pywt.wavedecn(x, wavelet, mode, level=level, axes=axes)
        except ValueError:  # [anti]reflect on a one-sample axis: refused by both
            with pytest.raises(ValueError, match="wavedecn: "):
                cs.wavedecn(x, wavelet, mode, level=level, axes=axes)
            return
        got = jax.jit(lambda x: cs.wavedecn(x, wavelet, mode, level=level, axes=axes))(x)
    close(got[0], ref[0], dtype)
    for g, r in zip(got[1:], ref[1:]):
        assert sorted(g) == sorted(r)
        for k in r:
            close(g[k], r[k], dtype)
    rec = cs.waverecn(got, wavelet, mode, axes=axes)
    close(rec, pywt.waverecn(ref, wavelet, mode, axes=axes), dtype)
