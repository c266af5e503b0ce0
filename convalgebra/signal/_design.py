"""IIR filter design without SciPy: Butterworth and Chebyshev type I, as ``scipy.signal``.

The analog prototype's zeros, poles and gain (``s``-plane, cut-off 1 rad/s) are moved to the
wanted band (low-, high-, band-pass, band-stop) and mapped to the ``z``-plane by the bilinear
transform with the cut-offs pre-warped (``w_a = 4 tan(pi w / 2)`` for ``fs = 2``). The result is
given as zeros/poles/gain, a transfer function ``(b, a)`` or second-order sections paired as
SciPy's ``zpk2sos(pairing="nearest")`` pairs them. Everything is NumPy, float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._static.shapes import int_at_least

OUTPUTS = ("ba", "zpk", "sos")
BTYPES = {
    "lowpass": "lowpass",
    "low": "lowpass",
    "lp": "lowpass",
    "l": "lowpass",
    "highpass": "highpass",
    "high": "highpass",
    "hp": "highpass",
    "h": "highpass",
    "bandpass": "bandpass",
    "band": "bandpass",
    "pass": "bandpass",
    "bp": "bandpass",
    "bandstop": "bandstop",
    "stop": "bandstop",
    "bs": "bandstop",
    "bands": "bandstop",
}


# ---- analog prototypes -----------------------------------------------------------------------
def _buttap(n: int):
    m = np.arange(-n + 1, n, 2)
    p = -np.exp(1j * np.pi * m / (2 * n))
    return np.zeros(0), p, 1.0


def _cheb1ap(n: int, rp: float):
    if n == 0:
        return np.zeros(0), np.zeros(0), 10 ** (-rp / 20)
    eps = np.sqrt(10 ** (0.1 * rp) - 1.0)
    mu = np.arcsinh(1 / eps) / n
    theta = np.pi * np.arange(-n + 1, n, 2) / (2 * n)
    p = -np.sinh(mu + 1j * theta)
    k = np.prod(-p).real
    if n % 2 == 0:
        k = k / np.sqrt(1 + eps * eps)
    return np.zeros(0), p, k


# ---- frequency transformations (analog) ------------------------------------------------------
def _lp2lp(z, p, k, wo):
    degree = len(p) - len(z)
    return z * wo, p * wo, k * wo**degree


def _lp2hp(z, p, k, wo):
    degree = len(p) - len(z)
    z_hp = np.append(wo / z, np.zeros(degree))
    return z_hp, wo / p, k * np.real(np.prod(-z) / np.prod(-p))


def _lp2bp(z, p, k, wo, bw):
    degree = len(p) - len(z)
    zl, pl = z.astype(complex) * bw / 2, p.astype(complex) * bw / 2
    zs, ps = np.sqrt(zl**2 - wo**2), np.sqrt(pl**2 - wo**2)
    z_bp = np.append(np.concatenate([zl + zs, zl - zs]), np.zeros(degree))
    return z_bp, np.concatenate([pl + ps, pl - ps]), k * bw**degree


def _lp2bs(z, p, k, wo, bw):
    degree = len(p) - len(z)
    zh, ph = (bw / 2) / z.astype(complex), (bw / 2) / p.astype(complex)
    zs, ps = np.sqrt(zh**2 - wo**2), np.sqrt(ph**2 - wo**2)
    z_bs = np.concatenate([zh + zs, zh - zs, np.full(degree, 1j * wo), np.full(degree, -1j * wo)])
    return z_bs, np.concatenate([ph + ps, ph - ps]), k * np.real(np.prod(-z) / np.prod(-p))


def _bilinear(z, p, k, fs):
    degree = len(p) - len(z)
    fs2 = 2.0 * fs
    z_z = np.append((fs2 + z) / (fs2 - z), -np.ones(degree))
    p_z = (fs2 + p) / (fs2 - p)
    return z_z, p_z, k * np.real(np.prod(fs2 - z) / np.prod(fs2 - p))


# ---- conversions ------------------------------------------------------------------------------
def _poly(roots: np.ndarray) -> np.ndarray:
    """Monic polynomial with ``roots``; real when the complex roots come in conjugate pairs."""
    c = np.poly(roots) if len(roots) else np.ones(1)
    if np.iscomplexobj(c):
        r: Any = np.asarray(roots, complex)
        pos = np.sort_complex(r[r.imag > 0])
        neg = np.sort_complex(np.conj(r[r.imag < 0]))
        if len(pos) == len(neg) and np.allclose(pos, neg, rtol=1e-12, atol=0):
            c = c.real.copy()
    return np.atleast_1d(c)


def zpk2tf(z: Any, p: Any, k: Any) -> tuple[np.ndarray, np.ndarray]:
    """Zeros, poles and gain to a transfer function ``(b, a)``, as ``scipy.signal.zpk2tf``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> [v.tolist() for v in cs.zpk2tf([-1.0], [0.5], 2.0)]
      [[2.0, 2.0], [1.0, -0.5]]
    """
    z, p = np.atleast_1d(np.asarray(z)), np.atleast_1d(np.asarray(p))
    return k * _poly(z), _poly(p)


def _split_conjugates(z: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(one of each conjugate pair (positive imaginary part), real ones)``, SciPy's order:
    sorted by real part, pairs averaged."""
    z = np.atleast_1d(np.asarray(z, complex))
    if z.size == 0:
        return np.zeros(0, complex), np.zeros(0)
    zc: Any
    tol = 100 * np.finfo(float).eps
    z = z[np.lexsort((abs(z.imag), z.real))]
    is_real = abs(z.imag) <= tol * abs(z)
    zr = z[is_real].real
    zc = z[~is_real]
    pos: Any = zc[zc.imag > 0]
    neg: Any = zc[zc.imag < 0]
    if len(pos) != len(neg):
        raise ValueError("zpk2sos: a complex value has no matching conjugate")
    if len(pos):
        same = np.diff(pos.real) <= tol * abs(pos[:-1])
        edges = np.diff(np.concatenate(([0], same.astype(int), [0])))
        for a, b in zip(np.nonzero(edges > 0)[0], np.nonzero(edges < 0)[0]):
            for run in (pos[a : b + 1], neg[a : b + 1]):
                run[...] = run[np.argsort(abs(run.imag), kind="stable")]
        if np.any(abs(pos - neg.conj()) > tol * abs(neg)):
            raise ValueError("zpk2sos: a complex value has no matching conjugate")
    return (pos + neg.conj()) / 2, zr


def _nearest(fro: np.ndarray, to: complex, which: str) -> int:
    order = np.argsort(abs(fro - to), kind="stable")
    if which == "any":
        return int(order[0])
    real = np.isreal(fro[order])
    mask = real if which == "real" else ~real
    return int(order[np.nonzero(mask)[0][0]])


def _section(z: list, p: list, k: float) -> np.ndarray:
    row = np.zeros(6)
    b, a = zpk2tf(np.asarray(z), np.asarray(p), k)
    row[3 - len(b) : 3] = np.real(b)
    row[6 - len(a) : 6] = np.real(a)
    return row


def zpk2sos(z: Any, p: Any, k: Any) -> np.ndarray:
    """Zeros, poles and gain to second-order sections, as ``scipy.signal.zpk2sos`` (digital,
    ``pairing="nearest"``).

    The pole closest to the unit circle is paired with its nearest zero, section by section, the
    closest ending up last; the gain goes in the first section.

    Returns:
      ``sos``, shape ``(n_sections, 6)``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.zpk2sos([-1.0], [0.5], 2.0).tolist()
      [[2.0, 2.0, 0.0, 1.0, -0.5, 0.0]]
    """
    z, p = np.atleast_1d(np.asarray(z)), np.atleast_1d(np.asarray(p))
    if not np.isreal(k):
        raise ValueError(f"zpk2sos: k must be real, got {k}")
    k = float(np.real(k))
    if len(z) == len(p) == 0:
        return np.array([[k, 0.0, 0.0, 1.0, 0.0, 0.0]])
    p = np.concatenate([p, np.zeros(max(len(z) - len(p), 0))])
    z = np.concatenate([z, np.zeros(max(len(p) - len(z), 0))])
    n_sections = (len(p) + 1) // 2
    if len(p) % 2:
        p, z = np.append(p, 0.0), np.append(z, 0.0)
    z = np.concatenate(_split_conjugates(z))
    p = np.concatenate(_split_conjugates(p))

    def worst(v: np.ndarray) -> int:
        return int(np.argmin(np.abs(1 - np.abs(v))))

    sos = np.zeros((n_sections, 6))
    for si in range(n_sections - 1, -1, -1):
        i = worst(p)
        p1, p = p[i], np.delete(p, i)
        if np.isreal(p1) and np.isreal(p).sum() == 0:  # the last real pole
            j = _nearest(z, p1, "real")
            z1, z = z[j], np.delete(z, j)
            sos[si] = _section([z1, 0], [p1, 0], 1)
        elif (
            len(p) + 1 == len(z)
            and not np.isreal(p1)
            and np.isreal(p).sum() == 1
            and np.isreal(z).sum() == 1
        ):  # one real pole and one real zero left: this pole takes a complex zero
            j = _nearest(z, p1, "complex")
            z1, z = z[j], np.delete(z, j)
            sos[si] = _section([z1, z1.conj()], [p1, p1.conj()], 1)
        else:
            if np.isreal(p1):
                reals = np.flatnonzero(np.isreal(p))
                j = int(reals[worst(p[reals])])
                p2, p = p[j], np.delete(p, j)
            else:
                p2 = p1.conj()
            if len(z) == 0:
                sos[si] = _section([], [p1, p2], 1)
                continue
            j = _nearest(z, p1, "any")
            z1, z = z[j], np.delete(z, j)
            if not np.isreal(z1):
                sos[si] = _section([z1, z1.conj()], [p1, p2], 1)
            elif len(z):
                j = _nearest(z, p1, "real")
                z2, z = z[j], np.delete(z, j)
                sos[si] = _section([z1, z2], [p1, p2], 1)
            else:
                sos[si] = _section([z1], [p1, p2], 1)
    sos[0, :3] *= k
    return sos


def tf2zpk(b: Any, a: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """A transfer function's zeros, poles and gain (``numpy.roots``), as ``scipy.signal.tf2zpk``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> z, p, k = cs.tf2zpk([2.0, 2.0], [1.0, -0.5])
      >>> z.tolist(), p.tolist(), float(k)
      ([-1.0], [0.5], 2.0)
    """
    b = np.trim_zeros(np.atleast_1d(np.asarray(b) * 1.0), "f")
    a = np.atleast_1d(np.asarray(a) * 1.0)
    if a.size == 0 or a[0] == 0:
        raise ValueError(f"tf2zpk: a[0] must be nonzero, got {a.tolist()}")
    k = b[0] / a[0] if b.size else 0.0
    b = b / b[0] if b.size else b
    return np.roots(b), np.roots(a), k


# ---- design ----------------------------------------------------------------------------------
def _order(fn: str, n: Any) -> int:
    return int_at_least(fn, "N", n, 0)


def iirfilter(
    N: int,
    Wn: Any,
    rp: float | None = None,
    btype: str = "bandpass",
    ftype: str = "butter",
    output: str = "ba",
    fs: float | None = None,
    *,
    _fn: str = "iirfilter",
) -> Any:
    """A digital Butterworth or Chebyshev type I filter, as ``scipy.signal.iirfilter``.

    Args:
      N: the order.
      Wn: the cut-off (low/high-pass) or the two band edges (band-pass/stop), as a fraction of
        Nyquist in ``(0, 1)``, or in the units of ``fs`` when given.
      rp: the pass-band ripple in dB (Chebyshev I).
      btype: "lowpass", "highpass", "bandpass" or "bandstop" (SciPy's short names too).
      ftype: "butter" or "cheby1".
      output: "ba", "zpk" or "sos".
      fs: the sampling frequency (default: ``Wn`` relative to Nyquist).

    Returns:
      ``(b, a)``, ``(z, p, k)`` or ``sos``, float64 NumPy arrays.

    Raises:
      ValueError: a bad order, band type, output or cut-off.

    Examples:
      >>> import convalgebra.signal as cs
      >>> b, a = cs.iirfilter(1, 0.5, btype="low")
      >>> [round(v, 12) for v in b.tolist()], [abs(round(v, 12)) for v in a.tolist()]
      ([0.5, 0.5], [1.0, 0.0])
    """
    n = _order(_fn, N)
    if output not in OUTPUTS:
        raise ValueError(f"{_fn}: output must be one of {OUTPUTS}, got {output!r}")
    if btype not in BTYPES:
        raise ValueError(f"{_fn}: btype must be one of {tuple(BTYPES)}, got {btype!r}")
    band = BTYPES[btype]
    wn = np.atleast_1d(np.asarray(Wn, dtype=float))
    if fs is not None:
        wn = 2 * wn / float(fs)
    want = 2 if band in ("bandpass", "bandstop") else 1
    if wn.shape != (want,):
        raise ValueError(
            f"{_fn}: Wn must be {'two band edges' if want == 2 else 'one cut-off'} for btype "
            f"{band!r}, got {np.asarray(Wn).tolist()}"
        )
    if np.any(wn <= 0) or np.any(wn >= 1):
        lim = "fs/2" if fs is not None else "1 (Nyquist)"
        raise ValueError(f"{_fn}: critical frequencies must be in (0, {lim}), got {Wn}")
    if want == 2 and not wn[0] < wn[1]:
        raise ValueError(f"{_fn}: Wn[0] must be less than Wn[1], got {wn.tolist()}")
    if ftype == "butter":
        z, p, k = _buttap(n)
    elif ftype == "cheby1":
        if rp is None or not np.isfinite(rp) or rp <= 0:
            raise ValueError(f"{_fn}: rp (the pass-band ripple in dB) must be > 0, got {rp}")
        z, p, k = _cheb1ap(n, float(rp))
    else:
        raise ValueError(f"{_fn}: ftype must be 'butter' or 'cheby1', got {ftype!r}")
    warped = 4.0 * np.tan(np.pi * wn / 2.0)  # pre-warped for the bilinear transform, fs = 2
    if band == "lowpass":
        z, p, k = _lp2lp(z, p, k, warped[0])
    elif band == "highpass":
        z, p, k = _lp2hp(z, p, k, warped[0])
    else:
        bw, wo = warped[1] - warped[0], np.sqrt(warped[0] * warped[1])
        z, p, k = (_lp2bp if band == "bandpass" else _lp2bs)(z, p, k, wo, bw)
    z, p, k = _bilinear(z, p, k, 2.0)
    if output == "zpk":
        return z, p, k
    if output == "ba":
        return zpk2tf(z, p, k)
    return zpk2sos(z, p, k)


def butter(
    N: int, Wn: Any, btype: str = "low", analog: bool = False, output: str = "ba", fs=None
) -> Any:
    """A digital Butterworth filter, as ``scipy.signal.butter`` (same values, no SciPy).

    Args:
      N: the order.
      Wn: the cut-off, or the two band edges, relative to Nyquist (or in units of ``fs``).
      btype: "low" (default), "high", "bandpass" or "bandstop".
      analog: False only (analog designs are not provided).
      output: "ba" (default), "zpk" or "sos".
      fs: the sampling frequency.

    Returns:
      ``(b, a)``, ``(z, p, k)`` or ``sos`` (``(N // 2 + N % 2, 6)`` for a low-pass).

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.butter(4, 0.2, output="sos").shape
      (2, 6)
    """
    if analog:
        raise ValueError("butter: only digital filters (analog=False) are provided")
    return iirfilter(N, Wn, btype=btype, ftype="butter", output=output, fs=fs, _fn="butter")


def cheby1(
    N: int,
    rp: float,
    Wn: Any,
    btype: str = "low",
    analog: bool = False,
    output: str = "ba",
    fs=None,
) -> Any:
    """A digital Chebyshev type I filter, as ``scipy.signal.cheby1`` (same values, no SciPy).

    Args:
      N: the order.
      rp: the pass-band ripple in dB.
      Wn, btype, analog, output, fs: as :func:`butter`.

    Returns:
      ``(b, a)``, ``(z, p, k)`` or ``sos``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.cheby1(8, 0.05, 0.2, output="sos").shape
      (4, 6)
    """
    if analog:
        raise ValueError("cheby1: only digital filters (analog=False) are provided")
    return iirfilter(N, Wn, rp=rp, btype=btype, ftype="cheby1", output=output, fs=fs, _fn="cheby1")


# ---- frequency responses ---------------------------------------------------------------------
def _grid(fn: str, worN: Any, whole: bool, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """``(w in the units of fs, z = exp(j w_rad))``; an int is that many points, an array the
    frequencies themselves."""
    if isinstance(worN, (int, np.integer)) and not isinstance(worN, bool):
        if worN < 1:
            raise ValueError(f"{fn}: worN must be a positive int, got {worN}")
        w = np.linspace(0, fs if whole else fs / 2, int(worN), endpoint=False)
    else:
        w = np.atleast_1d(np.asarray(worN, dtype=float))
    return w, np.exp(1j * 2 * np.pi * w / fs)


def freqz(
    b: Any, a: Any = 1, worN: Any = 512, whole: bool = False, fs: float = 2 * np.pi
) -> tuple[np.ndarray, np.ndarray]:
    """The frequency response of ``b/a``, as ``scipy.signal.freqz``: ``(w, h)``.

    ``h(w) = B(e^{-jw}) / A(e^{-jw})`` evaluated directly at ``worN`` points of ``[0, pi)`` (or
    ``[0, 2 pi)`` when ``whole``), or at the given frequencies, in the units of ``fs``.

    Returns:
      ``w`` (float64) and ``h`` (complex128), NumPy arrays.

    Examples:
      >>> import convalgebra.signal as cs
      >>> w, h = cs.freqz([0.5, 0.5], 1, worN=2)
      >>> [round(float(abs(v)), 6) for v in h]
      [1.0, 0.707107]
    """
    b = np.atleast_1d(np.asarray(b))
    a = np.atleast_1d(np.asarray(a))
    w, z = _grid("freqz", worN, whole, fs)
    zi = 1 / z
    num = np.polyval(b[::-1], zi)
    den = np.polyval(a[::-1], zi)
    return w, num / den


def sosfreqz(
    sos: Any, worN: Any = 512, whole: bool = False, fs: float = 2 * np.pi
) -> tuple[np.ndarray, np.ndarray]:
    """The frequency response of second-order sections, as ``scipy.signal.sosfreqz``.

    Returns:
      ``(w, h)``: the product of the sections' responses.

    Examples:
      >>> import convalgebra.signal as cs
      >>> w, h = cs.sosfreqz(cs.butter(4, 0.5, output="sos"), worN=1)
      >>> round(float(abs(h[0])), 12)
      1.0
    """
    sos = np.atleast_2d(np.asarray(sos))
    if sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError(f"sosfreqz: sos must have shape (n_sections, 6), got {sos.shape}")
    w, h = freqz(sos[0, :3], sos[0, 3:], worN, whole, fs)
    for row in sos[1:]:
        h = h * freqz(row[:3], row[3:], worN, whole, fs)[1]
    return w, h
