"""FIR design by the window method: ``firwin`` and the Kaiser helpers, as ``scipy.signal``'s.

NumPy only (SciPy is not needed at run time). The windows are SciPy's ``get_window`` windows,
written here from their definitions: every window name and alias SciPy accepts, in the tuple
form ``(name, *params)``, a float as a Kaiser ``beta``, and the ``_symmetric``/``_periodic``
suffixes. ``firwin`` uses symmetric windows (``fftbins=False``), as SciPy's does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._static.shapes import int_at_least

# ---- windows (symmetric length ``m``; the periodic form is the first ``m`` of ``m + 1``) --------


def _cosine_sum(m: int, a: Any) -> np.ndarray:
    """``sum_k a_k cos(k t)`` on ``t = linspace(-pi, pi, m)`` (SciPy's ``general_cosine``)."""
    t = np.linspace(-np.pi, np.pi, m)
    w = np.zeros(m)
    for k, ak in enumerate(a):
        w += ak * np.cos(k * t)
    return w


def _general_hamming(m: int, alpha: float) -> np.ndarray:
    return _cosine_sum(m, [alpha, 1.0 - alpha])


def _bartlett(m: int) -> np.ndarray:
    n = np.arange(m)
    r = 2.0 * n / (m - 1)
    return np.where(n <= (m - 1) / 2.0, r, 2.0 - r)


def _triang(m: int) -> np.ndarray:
    k = np.arange(1, (m + 1) // 2 + 1)
    if m % 2 == 0:
        half = (2.0 * k - 1.0) / m
        return np.concatenate([half, half[::-1]])
    half = 2.0 * k / (m + 1.0)
    return np.concatenate([half, half[-2::-1]])


def _barthann(m: int) -> np.ndarray:
    f = np.abs(np.arange(m) / (m - 1) - 0.5)
    return 0.62 - 0.48 * f + 0.38 * np.cos(2 * np.pi * f)


def _bohman(m: int) -> np.ndarray:
    f = np.abs(np.linspace(-1, 1, m)[1:-1])
    inner = (1 - f) * np.cos(np.pi * f) + np.sin(np.pi * f) / np.pi
    return np.concatenate([[0.0], inner, [0.0]])


def _cosine(m: int) -> np.ndarray:
    return np.sin(np.pi / m * (np.arange(m) + 0.5))


def _parzen(m: int) -> np.ndarray:
    n = np.arange(-(m - 1) / 2.0, (m - 1) / 2.0 + 0.5, 1.0)
    a = np.abs(n) / (m / 2.0)
    outer = 2 * (1 - a) ** 3
    inner = 1 - 6 * a**2 + 6 * a**3
    return np.where(np.abs(n) <= (m - 1) / 4.0, inner, outer)


def _lanczos(m: int) -> np.ndarray:
    n = np.arange(m)
    right = np.sinc(2.0 * n / (m - 1) - 1.0)
    # exactly symmetric, as SciPy builds it from its right half
    return np.where(n < m / 2.0, right[::-1], right)


def _gaussian(m: int, std: float) -> np.ndarray:
    n = np.arange(m) - (m - 1.0) / 2.0
    return np.exp(-(n**2) / (2 * std * std))


def _general_gaussian(m: int, p: float, sig: float) -> np.ndarray:
    n = np.arange(m) - (m - 1.0) / 2.0
    return np.exp(-0.5 * np.abs(n / sig) ** (2 * p))


def _kaiser(m: int, beta: float) -> np.ndarray:
    n = np.arange(m)
    half = (m - 1) / 2.0
    return np.i0(beta * np.sqrt(1 - ((n - half) / half) ** 2.0)) / np.i0(float(beta))


def _tukey(m: int, alpha: float = 0.5) -> np.ndarray:
    if alpha <= 0:
        return np.ones(m)
    if alpha >= 1.0:
        return _general_hamming(m, 0.5)
    n = np.arange(m)
    width = int(np.floor(alpha * (m - 1) / 2.0))
    w = np.ones(m)
    lo = n[: width + 1]
    hi = n[m - width - 1 :]
    w[: width + 1] = 0.5 * (1 + np.cos(np.pi * (-1 + 2.0 * lo / alpha / (m - 1))))
    w[m - width - 1 :] = 0.5 * (1 + np.cos(np.pi * (-2.0 / alpha + 1 + 2.0 * hi / alpha / (m - 1))))
    return w


def _exponential(m: int, center: Any = None, tau: float = 1.0) -> np.ndarray:
    c = (m - 1) / 2.0 if center is None else center
    return np.exp(-np.abs(np.arange(m) - c) / tau)


def _chebwin(m: int, at: float) -> np.ndarray:
    if np.abs(at) < 45:
        warnings.warn(
            "chebwin: this window is not suitable for spectral analysis with an attenuation "
            f"below about 45 dB (got {at}); consider another window",
            UserWarning,
            stacklevel=4,
        )
    order = m - 1.0
    beta = np.cosh(np.arccosh(10 ** (abs(at) / 20.0)) / order)
    x = beta * np.cos(np.pi * np.arange(m) / m)
    p = np.empty(m)
    big, small = x > 1, x < -1
    mid = ~(big | small)
    p[big] = np.cosh(order * np.arccosh(x[big]))
    p[small] = (2 * (m % 2) - 1) * np.cosh(order * np.arccosh(-x[small]))
    p[mid] = np.cos(order * np.arccos(x[mid]))
    if m % 2:
        w = np.real(np.fft.fft(p))
        k = (m + 1) // 2
        w = np.concatenate([w[k - 1 : 0 : -1], w[:k]])
    else:
        w = np.real(np.fft.fft(p * np.exp(1j * np.pi / m * np.arange(m))))
        k = m // 2 + 1
        w = np.concatenate([w[k - 1 : 0 : -1], w[1:k]])
    return w / np.max(w)


def _taylor(m: int, nbar: int = 4, sll: float = 30, norm: bool = True) -> np.ndarray:
    a = np.arccosh(10 ** (sll / 20.0)) / np.pi
    s2 = nbar**2 / (a**2 + (nbar - 0.5) ** 2)
    ma = np.arange(1, nbar)
    m2 = ma * ma.astype(float)
    fm = np.empty(nbar - 1)
    for i in range(nbar - 1):
        sign = 1.0 if i % 2 == 0 else -1.0
        num = sign * np.prod(1 - m2[i] / s2 / (a**2 + (ma - 0.5) ** 2))
        others = np.concatenate([m2[:i], m2[i + 1 :]])
        fm[i] = num / (2 * np.prod(1 - m2[i] / others))

    def resp(n: Any) -> Any:
        return 1 + 2 * np.dot(fm, np.cos(2 * np.pi * ma[:, None] * (n - m / 2.0 + 0.5) / m))

    w = resp(np.arange(m))
    if norm:
        w = w / resp((m - 1) / 2.0)
    return w


def _kbd(m: int, beta: float) -> np.ndarray:
    c = np.cumsum(_kaiser(m // 2 + 1, beta))
    half = np.sqrt(c[:-1] / c[-1])
    return np.concatenate([half, half[::-1]])


def _top_eigenvalue(d: np.ndarray, e: np.ndarray) -> float:
    """The largest eigenvalue of the symmetric tridiagonal ``(d, e)``: Sturm-count bisection."""
    lo = float(np.min(d - np.abs(np.r_[0.0, e]) - np.abs(np.r_[e, 0.0])))
    hi = float(np.max(d + np.abs(np.r_[0.0, e]) + np.abs(np.r_[e, 0.0])))
    e2 = (e * e).tolist()
    dl = d.tolist()
    n = len(dl)
    tiny = np.finfo(float).tiny
    while True:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            return hi
        below, q = 0, dl[0] - mid
        if q < 0:
            below += 1
        for i in range(1, n):
            q = dl[i] - mid - e2[i - 1] / (q if q != 0 else tiny)
            if q < 0:
                below += 1
        if below == n:  # every eigenvalue is below mid
            hi = mid
        else:
            lo = mid


def _tridiagonal_solve(
    sub: np.ndarray, d: np.ndarray, sup: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Solve a tridiagonal system by Gaussian elimination with partial pivoting."""
    n = len(d)
    lo, dd, up = sub.tolist(), d.tolist(), sup.tolist()
    up2 = [0.0] * max(n - 2, 0)
    swap = [False] * max(n - 1, 0)
    x = b.tolist()
    eps = np.finfo(float).eps * max(1.0, float(np.max(np.abs(d))))
    for i in range(n - 1):
        if abs(dd[i]) >= abs(lo[i]):
            f = lo[i] / (dd[i] if dd[i] != 0 else eps)
            lo[i] = f
            dd[i + 1] -= f * up[i]
        else:
            f = dd[i] / lo[i]
            dd[i], lo[i] = lo[i], f
            nxt = dd[i + 1]
            dd[i + 1] = up[i] - f * nxt
            up[i] = nxt
            if i < n - 2:
                up2[i] = up[i + 1]
                up[i + 1] = -f * up[i + 1]
            swap[i] = True
        if swap[i]:
            x[i], x[i + 1] = x[i + 1], x[i] - lo[i] * x[i + 1]
        else:
            x[i + 1] -= lo[i] * x[i]
    for i in range(n - 1, -1, -1):
        v = x[i]
        if i + 1 < n:
            v -= up[i] * x[i + 1]
        if i + 2 < n:
            v -= up2[i] * x[i + 2]
        x[i] = v / (dd[i] if dd[i] != 0 else eps)
    return np.asarray(x)


def _dpss(m: int, nw: float) -> np.ndarray:
    """The first Slepian sequence (SciPy's ``dpss(m, nw)``: max 1, the "approximate" norm)."""
    t = np.arange(m, dtype=np.float64)
    diag = ((m - 1 - 2 * t) / 2.0) ** 2 * np.cos(2 * np.pi * nw / m)
    off = t[1:] * (m - t[1:]) / 2.0
    lam = _top_eigenvalue(diag, off)
    v = np.ones(m)
    for _ in range(3):  # inverse iteration at the (accurate) eigenvalue
        v = _tridiagonal_solve(off, diag - lam, off, v)
        v = v / np.linalg.norm(v)
    if v.sum() < 0:
        v = -v
    v = v / v.max()
    return v * (m**2 / float(m**2 + nw)) if m % 2 == 0 else v


# name -> (function of (m, *params), fewest params, most params)
_WINDOW_FUNCS: dict[str, tuple[Callable[..., np.ndarray], int, int]] = {
    "barthann": (_barthann, 0, 0),
    "bartlett": (_bartlett, 0, 0),
    "blackman": (lambda m: _cosine_sum(m, [0.42, 0.50, 0.08]), 0, 0),
    "blackmanharris": (lambda m: _cosine_sum(m, [0.35875, 0.48829, 0.14128, 0.01168]), 0, 0),
    "bohman": (_bohman, 0, 0),
    "boxcar": (np.ones, 0, 0),
    "chebwin": (_chebwin, 1, 1),
    "cosine": (_cosine, 0, 0),
    "dpss": (_dpss, 1, 1),
    "exponential": (_exponential, 0, 2),
    "flattop": (
        lambda m: _cosine_sum(m, [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368]),
        0,
        0,
    ),
    "gaussian": (_gaussian, 1, 1),
    "general_cosine": (_cosine_sum, 1, 1),
    "general_gaussian": (_general_gaussian, 2, 2),
    "general_hamming": (_general_hamming, 1, 1),
    "hamming": (lambda m: _general_hamming(m, 0.54), 0, 0),
    "hann": (lambda m: _general_hamming(m, 0.5), 0, 0),
    "kaiser": (_kaiser, 1, 1),
    "kaiser_bessel_derived": (_kbd, 1, 1),
    "lanczos": (_lanczos, 0, 0),
    "nuttall": (lambda m: _cosine_sum(m, [0.3635819, 0.4891775, 0.1365995, 0.0106411]), 0, 0),
    "parzen": (_parzen, 0, 0),
    "taylor": (_taylor, 0, 3),
    "triang": (_triang, 0, 0),
    "tukey": (_tukey, 0, 1),
}

_ALIASES = {
    "brthan": "barthann",
    "bth": "barthann",
    "bart": "bartlett",
    "brt": "bartlett",
    "black": "blackman",
    "blk": "blackman",
    "blackharr": "blackmanharris",
    "bkh": "blackmanharris",
    "bman": "bohman",
    "bmn": "bohman",
    "box": "boxcar",
    "ones": "boxcar",
    "rect": "boxcar",
    "rectangular": "boxcar",
    "cheb": "chebwin",
    "halfcosine": "cosine",
    "poisson": "exponential",
    "flat": "flattop",
    "flt": "flattop",
    "gauss": "gaussian",
    "gss": "gaussian",
    "general cosine": "general_cosine",
    "general gaussian": "general_gaussian",
    "general gauss": "general_gaussian",
    "general_gauss": "general_gaussian",
    "ggs": "general_gaussian",
    "general hamming": "general_hamming",
    "hamm": "hamming",
    "ham": "hamming",
    "han": "hann",
    "ksr": "kaiser",
    "kaiser bessel derived": "kaiser_bessel_derived",
    "kbd": "kaiser_bessel_derived",
    "sinc": "lanczos",
    "nutl": "nuttall",
    "nut": "nuttall",
    "parz": "parzen",
    "par": "parzen",
    "taylorwin": "taylor",
    "triangle": "triang",
    "tri": "triang",
    "tuk": "tukey",
}


def _unsupported(fn: str, name: Any) -> ValueError:
    return ValueError(
        f"{fn}: window {name!r} is not supported; choose one of {', '.join(_WINDOW_FUNCS)} "
        "(or SciPy's aliases), a tuple (name, *params) such as ('kaiser', 8.6), or a float "
        "(a Kaiser beta)"
    )


def _get_window(fn: str, window: Any, n: int, fftbins: bool = False) -> np.ndarray:
    """SciPy's ``get_window(window, n, fftbins=fftbins)`` in float64; errors name ``fn``."""
    params: tuple[Any, ...]
    if not isinstance(window, (str, tuple)):
        if isinstance(window, (bool, np.bool_)):
            raise _unsupported(fn, window)
        try:
            beta = float(window)
        except (TypeError, ValueError):
            raise ValueError(
                f"{fn}: window must be a name, a tuple (name, *params) or a float (a Kaiser "
                f"beta), got {window!r}"
            ) from None
        name, params = "kaiser", (beta,)
    elif isinstance(window, tuple):
        if len(window) == 0 or not isinstance(window[0], str):
            raise ValueError(f"{fn}: a window tuple must start with a name, got {window!r}")
        name, params = window[0], tuple(window[1:])
    else:
        name, params = window, ()
    sym = not fftbins
    base = name
    if base.endswith("_symmetric"):
        sym, base = True, base[: -len("_symmetric")]
    elif base.endswith("_periodic"):
        sym, base = False, base[: -len("_periodic")]
    base = _ALIASES.get(base, base)
    if base not in _WINDOW_FUNCS:
        raise _unsupported(fn, name)
    func, lo, hi = _WINDOW_FUNCS[base]
    if hi == 0 and params:
        raise ValueError(f"{fn}: window {name!r} takes no parameters, got {window!r}")
    if lo > 0 and not params:
        raise ValueError(f"{fn}: window {name!r} needs parameters, e.g. ({name!r}, ...)")
    if not lo <= len(params) <= hi:
        raise ValueError(
            f"{fn}: window {name!r} takes {lo} to {hi} parameters, got {len(params)} in {window!r}"
        )
    if base == "kaiser_bessel_derived":
        if not sym:
            raise ValueError(f"{fn}: window 'kaiser_bessel_derived' is only defined symmetric")
        if n % 2:
            raise ValueError(f"{fn}: window 'kaiser_bessel_derived' needs an even length, got {n}")
    if base == "dpss" and not 0 < float(params[0]) < n / 2.0:
        raise ValueError(
            f"{fn}: window 'dpss' needs 0 < NW < numtaps/2 = {n / 2.0:g}, got {params[0]}"
        )
    if base == "exponential" and sym and params and params[0] is not None:
        raise ValueError(f"{fn}: window 'exponential' takes no center when symmetric")
    if n <= 1:
        return np.ones(n)
    m = n if sym else n + 1
    w = np.asarray(func(m, *params), dtype=np.float64)
    return w if sym else w[:-1]


def _window(fn: str, window: Any, n: int) -> np.ndarray:
    """The symmetric window ``firwin`` uses (``fftbins=False``); errors name ``fn``."""
    return _get_window(fn, window, n, fftbins=False)


# ---- Kaiser helpers ------------------------------------------------------------------------


def kaiser_beta(a: float) -> float:
    """The Kaiser window ``beta`` for a stop-band attenuation of ``a`` dB (``scipy.signal``'s).

    Args:
      a: the attenuation in dB (positive).

    Returns:
      ``0.1102 (a - 8.7)`` for ``a > 50``, ``0.5842 (a - 21)^0.4 + 0.07886 (a - 21)`` for
      ``21 < a <= 50``, else 0.

    Examples:
      >>> import convalgebra.signal as cs
      >>> round(cs.kaiser_beta(65), 5)
      6.20426
    """
    if a > 50:
        return 0.1102 * (a - 8.7)
    if a > 21:
        return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    return 0.0


def kaiser_atten(numtaps: int, width: float) -> float:
    """Kaiser's attenuation (dB) of a ``numtaps`` filter with transition ``width`` (x Nyquist).

    Args:
      numtaps: the filter length.
      width: the transition width as a fraction of the Nyquist frequency.

    Returns:
      ``2.285 (numtaps - 1) pi width + 7.95``, as ``scipy.signal.kaiser_atten``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> round(cs.kaiser_atten(211, 0.0375), 6)
      64.480996
    """
    return 2.285 * (numtaps - 1) * np.pi * width + 7.95


def kaiserord(ripple: float, width: float) -> tuple[int, float]:
    """Length and ``beta`` of a Kaiser-window FIR filter, as ``scipy.signal.kaiserord``.

    Args:
      ripple: the ripple/attenuation bound in dB (its absolute value is used; at least 8).
      width: the transition width as a fraction of the Nyquist frequency.

    Returns:
      ``(numtaps, beta)``.

    Raises:
      ValueError: ``abs(ripple) < 8`` (Kaiser's formula does not hold there).

    Examples:
      >>> import convalgebra.signal as cs
      >>> n, beta = cs.kaiserord(65, 24 / 500)
      >>> n, round(beta, 5)
      (167, 6.20426)
    """
    a = abs(ripple)
    if a < 8:
        raise ValueError(
            f"kaiserord: the ripple attenuation {a:f} dB is too small for the Kaiser formula "
            "(it needs at least 8)"
        )
    beta = kaiser_beta(a)
    numtaps = (a - 7.95) / 2.285 / (np.pi * width) + 1
    return math.ceil(numtaps), beta


# ---- firwin --------------------------------------------------------------------------------

_PASS_ZERO = "(True, False, 'bandpass', 'lowpass', 'highpass', 'bandstop')"


def _firwin(
    fn: str,
    numtaps: Any,
    cutoff: Any,
    width: Any = None,
    window: Any = "hamming",
    pass_zero: Any = True,
    scale: Any = True,
    fs: Any = None,
) -> np.ndarray:
    """``firwin``'s design; errors name ``fn`` (the public function the user called)."""
    numtaps = int_at_least(fn, "numtaps", numtaps, type_error=ValueError)
    if fs is None:
        fs = 2.0
    else:
        if not np.isscalar(fs) and not (isinstance(fs, np.ndarray) and fs.ndim == 0):
            raise ValueError(f"{fn}: Sampling frequency fs must be a single scalar, got {fs!r}")
        try:
            fs = float(np.asarray(fs, dtype=np.float64))
        except (TypeError, ValueError):
            raise ValueError(
                f"{fn}: the sampling frequency fs must be a number, got {fs!r}"
            ) from None
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"{fn}: the sampling frequency fs must be positive, got {fs}")
    nyq = 0.5 * fs
    try:
        c = np.asarray(cutoff)
        if np.iscomplexobj(c):
            raise TypeError
        c = c.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: cutoff must be real numbers, got {cutoff!r}") from None
    if c.ndim > 1:
        raise ValueError(f"{fn}: cutoff must be a scalar or 1-D, got shape {c.shape}")
    c = np.atleast_1d(c)
    if c.size == 0:
        raise ValueError(f"{fn}: at least one cutoff frequency must be given")
    if not np.all(np.isfinite(c)):
        raise ValueError(f"{fn}: cutoff frequencies must be finite, got {c.tolist()}")
    if c.min() <= 0 or c.max() >= nyq:
        raise ValueError(
            f"{fn}: invalid cutoff frequency: frequencies must be greater than 0 and less than "
            f"fs/2 = {nyq:g}, got {c.tolist()}"
        )
    c = c / nyq
    if np.any(np.diff(c) <= 0):
        raise ValueError(
            f"{fn}: invalid cutoff frequencies: they must be strictly increasing, "
            f"got {(c * nyq).tolist()}"
        )
    if width is not None:
        wd = float(width)
        if not math.isfinite(wd):
            raise ValueError(f"{fn}: width must be finite, got {width!r}")
        window = ("kaiser", kaiser_beta(kaiser_atten(numtaps, wd / nyq)))
    if isinstance(pass_zero, str):
        if pass_zero in ("lowpass", "highpass"):
            if c.size != 1:
                raise ValueError(
                    f"{fn}: cutoff must have one element if pass_zero={pass_zero!r}, got {c.size}"
                )
        elif pass_zero in ("bandpass", "bandstop"):
            if c.size <= 1:
                raise ValueError(
                    f"{fn}: cutoff must have at least two elements if pass_zero={pass_zero!r}, "
                    f"got {c.size}"
                )
        else:
            raise ValueError(f"{fn}: parameter pass_zero={pass_zero!r} not in {_PASS_ZERO}")
        pass_zero = pass_zero in ("lowpass", "bandstop")
    elif isinstance(pass_zero, (bool, np.bool_)):
        pass_zero = bool(pass_zero)
    else:
        raise ValueError(f"{fn}: parameter pass_zero={pass_zero!r} not in {_PASS_ZERO}")
    pass_nyquist = (c.size % 2 == 0) == pass_zero
    if pass_nyquist and numtaps % 2 == 0:
        raise ValueError(
            f"{fn}: a filter with an even number of coefficients (numtaps={numtaps}) must have "
            "zero response at the Nyquist frequency; use an odd numtaps for a passband that "
            "reaches fs/2"
        )
    win = _window(fn, window, numtaps)
    edges = np.concatenate([np.zeros(int(pass_zero)), c, np.ones(int(pass_nyquist))])
    bands = edges.reshape(-1, 2)
    m = np.arange(numtaps, dtype=np.float64) - 0.5 * (numtaps - 1)
    h = np.zeros(numtaps)
    for left, right in bands:
        h += right * np.sinc(right * m)
        h -= left * np.sinc(left * m)
    h *= win
    if scale:
        left, right = bands[0]
        f0 = 0.0 if left == 0 else (1.0 if right == 1 else 0.5 * (left + right))
        gain = np.sum(h * np.cos(np.pi * m * f0))
        if gain == 0 or not np.isfinite(gain):
            raise ValueError(
                f"{fn}: cannot scale: the unscaled gain at {f0 * nyq:g} is {gain} (window "
                f"{window!r} of length {numtaps}); pass scale=False or another window"
            )
        h /= gain
    return h


def firwin(
    numtaps: int,
    cutoff: Any,
    *,
    width: float | None = None,
    window: Any = "hamming",
    pass_zero: bool | str = True,
    scale: bool = True,
    fs: float | None = None,
) -> np.ndarray:
    """A linear-phase FIR filter by the window method, as ``scipy.signal.firwin``.

    ``h = w · sum over pass bands [r sinc(r m) - l sinc(l m)]``, ``m = i - (numtaps - 1)/2``,
    with band edges ``l, r`` relative to Nyquist and ``w`` a symmetric window; scaled (by
    default) to unit gain at DC, at Nyquist (a single-band high-pass) or at the centre of the
    first pass band. Type I for odd ``numtaps``, type II for even. Same signature, defaults,
    values (to rounding) and errors as SciPy's; SciPy is not needed.

    Args:
      numtaps: the filter length (odd when a pass band reaches Nyquist).
      cutoff: a cut-off frequency (the -6 dB point) or the band edges, strictly increasing in
        ``(0, fs/2)``, in the units of ``fs``.
      width: if given, a Kaiser window with ``beta = kaiser_beta(kaiser_atten(numtaps,
        width / (fs/2)))`` replaces ``window``.
      window: a window name, ``(name, *params)`` or a float (a Kaiser ``beta``), as
        ``scipy.signal.get_window`` takes it: "hamming" (default), "hann", "blackman",
        "boxcar"/"rectangular"/"ones", "bartlett", "triang", "flattop", "nuttall",
        "blackmanharris", "cosine", "barthann", "bohman", "parzen", "lanczos", "taylor",
        "tukey", "exponential", ``("kaiser", beta)``, ``("gaussian", std)``, ``("tukey",
        alpha)``, ``("general_hamming", alpha)``, ``("general_gaussian", p, sig)``,
        ``("general_cosine", a)``, ``("chebwin", at)``, ``("kaiser_bessel_derived", beta)``,
        ``("dpss", NW)``, SciPy's aliases and the ``_periodic``/``_symmetric`` suffixes.
      pass_zero: True or "lowpass"/"bandstop" (DC in the pass band), False or
        "highpass"/"bandpass"; "lowpass"/"highpass" need one cutoff, "bandpass"/"bandstop"
        at least two.
      scale: normalise the gain as above (default True).
      fs: the sampling frequency (default 2: cutoffs relative to Nyquist).

    Returns:
      The float64 filter, a NumPy array of shape ``(numtaps,)``.

    Raises:
      ValueError: a bad ``numtaps``, ``cutoff`` (not in ``(0, fs/2)``, not increasing, not
        finite), ``pass_zero``, ``fs``, an even ``numtaps`` with a pass band at Nyquist, or
        a window that is not supported.

    Examples:
      >>> import numpy as np, convalgebra.signal as cs
      >>> h = cs.firwin(31, [0.2, 0.4], pass_zero=False)  # a band-pass, linear phase
      >>> h.shape, bool(np.allclose(h, h[::-1]))
      ((31,), True)
      >>> round(float(cs.firwin(30, 1000, fs=8000, window="hann").sum()), 12)  # unit DC gain
      1.0
    """
    return _firwin("firwin", numtaps, cutoff, width, window, pass_zero, scale, fs)
