"""``decimate`` as SciPy's: an anti-aliasing filter (IIR by default, or FIR), then ``↓q``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._static.shapes import int_at_least
from ._design import cheby1, tf2zpk, zpk2sos, zpk2tf
from ._fir import _firwin
from ._iir import filtfilt, lfilter, sosfilt, sosfiltfilt
from ._upfirdn import _resample_poly, upfirdn


def _positive(name: str, v: Any) -> int:
    return int_at_least("decimate", name, v)


def _system(ftype: Any):
    """``(zeros, poles, gain)`` and ``(num, den)`` of a ``dlti``-like object (duck-typed:
    ``scipy.signal.dlti`` or anything with ``zeros``/``poles``/``gain`` or ``num``/``den``)."""
    has_zpk = all(hasattr(ftype, n) for n in ("zeros", "poles", "gain"))
    has_tf = all(hasattr(ftype, n) for n in ("num", "den"))
    if not (has_zpk or has_tf):
        raise ValueError(
            "decimate: ftype must be 'iir', 'fir' or a dlti-like system (with zeros/poles/gain "
            f"or num/den), got {ftype!r}"
        )
    if has_zpk:
        zpk = (np.atleast_1d(ftype.zeros), np.atleast_1d(ftype.poles), ftype.gain)
    else:
        zpk = tf2zpk(ftype.num, ftype.den)
    tf = (np.atleast_1d(ftype.num), np.atleast_1d(ftype.den)) if has_tf else zpk2tf(*zpk)
    return zpk, tf


def decimate(
    x: jax.typing.ArrayLike,
    q: int,
    n: int | None = None,
    ftype: Any = "iir",
    axis: int = -1,
    zero_phase: bool = True,
) -> jax.Array:
    """Down-sampling by ``q`` after an anti-aliasing filter, as ``scipy.signal.decimate``.

    SciPy's default and values: ``ftype="iir"`` is a Chebyshev type I low-pass
    ``cheby1(n, 0.05, 0.8 / q)`` (``n = 8``) as second-order sections, applied by
    :func:`sosfiltfilt` (``zero_phase``) or :func:`sosfilt`, then every ``q``-th sample kept.
    ``ftype="fir"`` is a Hamming-windowed sinc of ``n + 1`` taps (``n = 20 q``), applied by
    ``resample_poly(x, 1, q, window=h)`` (``zero_phase``) or ``↓q (h * x)``. A ``dlti``-like
    ``ftype`` (``scipy.signal.dlti`` or any object with ``zeros``/``poles``/``gain`` or
    ``num``/``den``) is used as SciPy uses it: FIR when it has no poles, sections when its poles
    and gain are real, ``filtfilt``/``lfilter`` of ``num/den`` otherwise.

    Args:
      x: input; decimated along ``axis``. Integer data becomes float64 (JAX's default float).
      q: the positive int factor.
      n: the filter order.
      ftype: "iir" (default), "fir", or a ``dlti``-like system.
      axis: the axis (default -1, as SciPy).
      zero_phase: filter forwards and backwards (IIR) or compensate the delay (FIR); default
        True.

    Returns:
      ``x`` decimated: ``axis`` has ``ceil(len / q)`` samples.

    Raises:
      ValueError, TypeError: a bad factor, order, ``ftype`` or axis.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.decimate(jnp.ones(100), 4).shape
      (25,)
    """
    q = _positive("q", q)
    if n is not None:
        n = _positive("n", n)
    x = jnp.asarray(x)
    if x.ndim == 0:
        raise ValueError("decimate: x must have at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"decimate: axis {axis} is out of range for an input of shape {x.shape}")
    if not jnp.issubdtype(x.dtype, jnp.inexact) or x.dtype == jnp.float16:
        x = x.astype(jnp.zeros((), float).dtype)
    rt = np.dtype(x.dtype)
    use_sos, b, a, sos = True, None, None, None
    if isinstance(ftype, str):
        if ftype == "fir":
            b = _firwin("decimate", (20 * q if n is None else n) + 1, 1.0 / q, window="hamming")
            a = np.ones(1)
        elif ftype == "iir":
            sos = cheby1(8 if n is None else n, 0.05, 0.8 / q, output="sos")
        else:
            raise ValueError(
                f"decimate: ftype must be 'iir', 'fir' or a dlti system, got {ftype!r}"
            )
    else:
        (z, p, k), (num, den) = _system(ftype)
        if p.shape[0] == 0:
            b, a, ftype = np.atleast_1d(num), np.atleast_1d(den), "fir"
        elif np.any(np.iscomplex(p)) or np.iscomplex(k):
            use_sos, b, a = False, num, den
        else:
            sos = zpk2sos(z, p, k)
    real = np.dtype(jnp.finfo(rt).dtype)  # SciPy casts the filter to the data's dtype
    if ftype == "fir":
        assert b is not None and a is not None
        h = np.asarray(b, dtype=real) / np.asarray(a, dtype=real)
        if zero_phase:
            return _resample_poly(x, 1, q, axis, h, "constant", None, "decimate")
        m = x.shape[axis]
        y = upfirdn(h, x, 1, q, axis=axis)
        return jax.lax.slice_in_dim(y, 0, -(-m // q), axis=axis % x.ndim)
    if use_sos:
        assert sos is not None
        sos = np.asarray(sos, dtype=real)
        y = sosfiltfilt(sos, x, axis=axis) if zero_phase else sosfilt(sos, x, axis=axis)
    else:
        assert b is not None and a is not None
        y = filtfilt(b, a, x, axis=axis) if zero_phase else lfilter(b, a, x, axis=axis)
        assert not isinstance(y, tuple)
    return jax.lax.slice_in_dim(y, 0, None, stride=q, axis=axis % x.ndim)
