"""``ca.signal.firwin`` and the Kaiser helpers against ``scipy.signal`` (the oracle)."""

import itertools
import warnings

import numpy as np
import pytest

import convalgebra.signal as cs
from convalgebra.signal._fir import _get_window

scipy_signal = pytest.importorskip("scipy.signal")  # the oracle (SciPy, the `test` extra)

WINDOWS = [
    "hamming",
    "hann",
    "blackman",
    "boxcar",
    "rectangular",
    "ones",
    "bartlett",
    "triang",
    "flattop",
    "nuttall",
    "blackmanharris",
    "cosine",
    "barthann",
    "bohman",
    "parzen",
    "lanczos",
    "taylor",
    "tukey",
    "exponential",
    ("kaiser", 0.0),
    ("kaiser", 8.6),
    ("gaussian", 2.5),
    ("tukey", 0.0),
    ("tukey", 0.3),
    ("tukey", 1.0),
    ("general_hamming", 0.6),
    ("general_gaussian", 1.5, 7.0),
    ("general_cosine", [0.5, 0.3, 0.2]),
    ("chebwin", 60),
    ("taylor", 5, 40, False),
    ("exponential", None, 3.0),
    "hamming_periodic",
    ("kaiser_periodic", 3.0),
    ("tukey_symmetric", 0.5),
    "ham",
    ("gss", 1.0),
    "sinc",
    7.5,
]
LENGTHS = [1, 2, 3, 4, 7, 8, 16, 33]


def _scipy_window(w, n, fftbins):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # chebwin warns below 45 dB
        return scipy_signal.get_window(w, n, fftbins=fftbins)


@pytest.mark.parametrize("window", WINDOWS, ids=repr)
def test_windows_match_get_window(window):
    for n, fftbins in itertools.product(LENGTHS, (False, True)):
        ref = _scipy_window(window, n, fftbins)
        got = _get_window("firwin", window, n, fftbins)
        assert got.dtype == np.float64 and got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12, err_msg=f"{window} {n} {fftbins}")


def test_kbd_window_matches_get_window():
    for n, beta in itertools.product([2, 4, 16, 64], [1.0, 5.0]):
        ref = scipy_signal.get_window(("kbd", beta), n, fftbins=False)
        np.testing.assert_allclose(_get_window("firwin", ("kbd", beta), n), ref, atol=1e-12)


def test_dpss_window_matches_get_window():
    """The first Slepian sequence (a tridiagonal eigenvector): SciPy's LAPACK vs ours."""
    for n, nw, fftbins in itertools.product([2, 3, 8, 17, 64, 257], [0.4, 1.0, 2.5], [False, True]):
        if nw < n / 2:
            ref = scipy_signal.get_window(("dpss", nw), n, fftbins=fftbins)
            got = _get_window("firwin", ("dpss", nw), n, fftbins)
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-11, err_msg=f"{n} {nw}")


def test_chebwin_warns_as_scipy():
    with pytest.warns(UserWarning, match="45 dB"):
        cs.firwin(31, 0.5, window=("chebwin", 30))


@pytest.mark.parametrize("window", ["hamming", ("kaiser", 6.0), "flattop", ("tukey", 0.4), 5.0])
@pytest.mark.parametrize(
    "cutoff,pass_zero",
    [
        (0.3, True),
        (0.3, False),
        (0.3, "lowpass"),
        (0.7, "highpass"),
        ([0.2, 0.45], False),
        ([0.2, 0.45], "bandpass"),
        ([0.2, 0.45], True),
        ([0.2, 0.45], "bandstop"),
        ([0.1, 0.3, 0.6], True),
        ([0.1, 0.3, 0.6], False),
        ([0.1, 0.25, 0.5, 0.8], False),
    ],
)
def test_firwin_matches_scipy(window, cutoff, pass_zero):
    for numtaps, fs, scale in itertools.product([1, 2, 5, 10, 31, 64], [None, 48000.0], [1, 0]):
        cut = np.asarray(cutoff) * (1.0 if fs is None else fs / 2)
        kw = dict(window=window, pass_zero=pass_zero, scale=bool(scale), fs=fs)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # SciPy's 0/0 scaling warning: a NaN filter
            try:
                ref = scipy_signal.firwin(numtaps, cut, **kw)
            except RuntimeWarning:
                ref = None
            except ValueError:
                ref = "error"
        if ref is None:
            with pytest.raises(ValueError, match=r"^firwin: cannot scale"):
                cs.firwin(numtaps, cut, **kw)
            continue
        if isinstance(ref, str):
            with pytest.raises(ValueError, match=r"^firwin: "):
                cs.firwin(numtaps, cut, **kw)
            continue
        got = cs.firwin(numtaps, cut, **kw)
        assert isinstance(got, np.ndarray) and got.dtype == np.float64
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12, err_msg=f"{numtaps} {kw}")


@pytest.mark.parametrize("numtaps", [11, 12, 101])
@pytest.mark.parametrize("width", [0.01, 0.05, 0.3, 3.0])
def test_firwin_width_kaiser(numtaps, width):
    for fs in (None, 1000.0):
        nyq = 1.0 if fs is None else fs / 2
        kw = dict(width=width * nyq, fs=fs)
        ref = scipy_signal.firwin(numtaps, 0.4 * nyq, **kw)
        np.testing.assert_allclose(cs.firwin(numtaps, 0.4 * nyq, **kw), ref, rtol=0, atol=1e-12)
        ref = scipy_signal.firwin(numtaps, 0.4 * nyq, window="boxcar", **kw)
        got = cs.firwin(numtaps, 0.4 * nyq, window="no-such-window", **kw)  # width overrides
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_firwin_array_likes():
    import jax.numpy as jnp

    ref = scipy_signal.firwin(21, [0.2, 0.5], pass_zero=False)
    for cut in ([0.2, 0.5], (0.2, 0.5), np.array([0.2, 0.5]), jnp.array([0.2, 0.5])):
        np.testing.assert_allclose(cs.firwin(21, cut, pass_zero=False), ref, atol=1e-12)
    np.testing.assert_allclose(
        cs.firwin(np.int64(21), np.float32(0.25), fs=np.float64(2.0)),
        scipy_signal.firwin(21, np.float32(0.25)),
        atol=1e-12,
    )


@pytest.mark.parametrize("a", [0.0, 10.0, 21.0, 22.0, 35.5, 50.0, 58.7, 120.0])
def test_kaiser_beta_atten_ord(a):
    assert cs.kaiser_beta(a) == pytest.approx(scipy_signal.kaiser_beta(a), rel=1e-15, abs=0)
    for n, w in [(1, 1.0), (2, 1 / np.pi), (211, 0.0375), (64, 0.2)]:
        assert cs.kaiser_atten(n, w) == pytest.approx(scipy_signal.kaiser_atten(n, w), rel=1e-15)
    if a >= 8:
        for w in (0.01, 0.04, 0.3):
            got, ref = cs.kaiserord(a, w), scipy_signal.kaiserord(a, w)
            assert got[0] == ref[0] and got[1] == pytest.approx(ref[1], rel=1e-15, abs=0)
    else:
        with pytest.raises(ValueError, match=r"^kaiserord: .*too small"):
            cs.kaiserord(a, 0.1)


def test_decimate_and_resample_poly_use_scipys_firwin(rng):
    """``decimate(ftype='fir')`` and ``resample_poly`` design their filters with ``firwin``."""
    x = rng.standard_normal(300)
    close = dict(rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        cs.decimate(x, 3, ftype="fir"), scipy_signal.decimate(x, 3, ftype="fir"), **close
    )
    for window in (("kaiser", 5.0), "flattop", ("tukey", 0.3), ("dpss", 2.0)):
        np.testing.assert_allclose(
            cs.resample_poly(x, 3, 2, window=window),
            scipy_signal.resample_poly(x, 3, 2, window=window),
            **close,
        )


BAD = [
    (dict(numtaps=0, cutoff=0.5), "numtaps must be a positive int"),
    (dict(numtaps=4.0, cutoff=0.5), "numtaps must be a positive int"),
    (dict(numtaps=True, cutoff=0.5), "numtaps must be a positive int"),
    (dict(numtaps=99, cutoff=-0.5), "greater than 0 and less than fs/2"),
    (dict(numtaps=99, cutoff=1.5), "greater than 0 and less than fs/2"),
    (dict(numtaps=99, cutoff=[0, 0.5]), "greater than 0 and less than fs/2"),
    (dict(numtaps=99, cutoff=[0.5, 1]), "greater than 0 and less than fs/2"),
    (dict(numtaps=99, cutoff=50.0, fs=80), r"fs/2 = 40"),
    (dict(numtaps=99, cutoff=[0.1, 0.5, 0.2]), "strictly increasing"),
    (dict(numtaps=99, cutoff=[0.1, 0.5, 0.5]), "strictly increasing"),
    (dict(numtaps=99, cutoff=[]), "at least one cutoff"),
    (dict(numtaps=99, cutoff=[[0.1, 0.2], [0.3, 0.4]]), r"scalar or 1-D, got shape \(2, 2\)"),
    (dict(numtaps=99, cutoff=[0.1, np.nan]), "must be finite"),  # SciPy: a NaN filter
    (dict(numtaps=99, cutoff=0.5j), "must be real"),
    (dict(numtaps=99, cutoff="a"), "must be real"),
    (dict(numtaps=40, cutoff=0.5, pass_zero=False), "even number of coefficients"),
    (dict(numtaps=40, cutoff=[0.25, 0.5]), "even number of coefficients"),
    (dict(numtaps=41, cutoff=0.5, pass_zero="foo"), "pass_zero='foo' not in"),
    (dict(numtaps=41, cutoff=0.5, pass_zero=1.0), "pass_zero=1.0 not in"),
    (dict(numtaps=41, cutoff=[0.5, 0.6], pass_zero="lowpass"), "cutoff must have one element"),
    (dict(numtaps=41, cutoff=[0.5, 0.6], pass_zero="highpass"), "cutoff must have one element"),
    (dict(numtaps=41, cutoff=[0.5], pass_zero="bandpass"), "must have at least two elements"),
    (dict(numtaps=41, cutoff=[0.5], pass_zero="bandstop"), "must have at least two elements"),
    (dict(numtaps=51, cutoff=0.5, fs=np.array([10, 20])), "Sampling frequency fs must be a single"),
    (dict(numtaps=51, cutoff=0.5, fs=0.0), "fs must be positive"),
    (dict(numtaps=51, cutoff=0.5, width=float("nan")), "width must be finite"),  # SciPy: boxcar
    (dict(numtaps=2, cutoff=0.5, window=("tukey", 0.4)), "cannot scale"),  # SciPy: a NaN filter
    (dict(numtaps=51, cutoff=0.5, window="dpss"), "window 'dpss' needs parameters"),
    (dict(numtaps=51, cutoff=0.5, window=("dpss", 30)), "needs 0 < NW < numtaps/2"),
    (dict(numtaps=51, cutoff=0.5, window="welch"), "window 'welch' is not supported; choose one"),
    (dict(numtaps=51, cutoff=0.5, window="hanning"), "window 'hanning' is not supported"),
    (dict(numtaps=51, cutoff=0.5, window="nope"), "window 'nope' is not supported"),
    (dict(numtaps=51, cutoff=0.5, window=("kaiser",)), "window 'kaiser' needs parameters"),
    (dict(numtaps=51, cutoff=0.5, window="gaussian"), "window 'gaussian' needs parameters"),
    (dict(numtaps=51, cutoff=0.5, window=("hamming", 1)), "window 'hamming' takes no parameters"),
    (dict(numtaps=51, cutoff=0.5, window=("tukey", 1, 2)), "takes 0 to 1 parameters"),
    (dict(numtaps=51, cutoff=0.5, window=(1, 2)), "a window tuple must start with a name"),
    (dict(numtaps=51, cutoff=0.5, window=[1, 2]), "window must be a name"),
    (dict(numtaps=51, cutoff=0.5, window=("kbd", 3.0)), "needs an even length"),
    (dict(numtaps=51, cutoff=0.5, window=("exponential", 3, 1.0)), "no center when symmetric"),
]


@pytest.mark.parametrize("kw,msg", BAD, ids=[str(i) for i in range(len(BAD))])
def test_firwin_bad_input(kw, msg):
    with pytest.raises(ValueError, match=r"^firwin: .*" + msg) as info:
        cs.firwin(**kw)
    assert "\n" not in str(info.value)
    if "finite" in msg or "cannot scale" in msg:
        return  # SciPy returns a NaN (or unwindowed) filter here; we refuse (docs/resampling.md)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, TypeError)):  # SciPy refuses each of these too
            scipy_signal.firwin(**kw)


def test_helper_errors_name_the_public_function():
    with pytest.raises(ValueError, match=r"^resample_poly: window 'nope' is not supported"):
        cs.resample_poly(np.ones(8), 2, 1, window="nope")
    with pytest.raises(ValueError, match=r"^decimate: "):
        cs.decimate(np.ones(64), 1, ftype="fir")


@pytest.mark.slow
def test_firwin_grid_slow():
    """A wide grid: every pass_zero form, odd/even lengths, fs, scale, width, windows."""
    cuts = [0.1, 0.5, 0.95, [0.2, 0.4], [0.1, 0.3, 0.6], [0.1, 0.25, 0.5, 0.8], [0.05]]
    forms = [True, False, "lowpass", "highpass", "bandpass", "bandstop"]
    windows = ["hamming", ("kaiser", 6.0), "boxcar", "blackmanharris", ("gaussian", 4.0)]
    for numtaps, fs, cut, pz, win, scale, width in itertools.product(
        [1, 2, 3, 4, 5, 10, 11, 32, 65], [None, 1000, 44100.0], cuts, forms, windows,
        [True, False], [None, 0.05],
    ):  # fmt: skip
        nyq = 1.0 if fs is None else fs / 2
        kw = dict(
            pass_zero=pz,
            window=win,
            scale=scale,
            fs=fs,
            width=None if width is None else width * nyq,
        )
        cutv = np.asarray(cut) * nyq
        try:
            ref = scipy_signal.firwin(numtaps, cutv, **kw)
        except ValueError:
            with pytest.raises(ValueError, match=r"^firwin: "):
                cs.firwin(numtaps, cutv, **kw)
            continue
        np.testing.assert_allclose(cs.firwin(numtaps, cutv, **kw), ref, rtol=0, atol=1e-12)
