"""Discrete wavelet transforms (PyWavelets' conventions) built from the algebra.

One level of analysis is one operator on a channel axis: both filters (reversed, as output
channels) in one strided correlation after the boundary extension,
``↓2 ([h̃; g̃] ⋆ ext(x))`` (``(..., 1, n) -> (..., 2, m)``). Synthesis is
``crop([h', g'] * ↑2 c)``: one polyphase convolution summing the two channels. Multi-dimensional
transforms apply the 1-D bank along each axis; the stationary transform uses the à-trous
(dilated) filters ``↑2^j h``.
"""

from __future__ import annotations

from typing import Any, cast

import jax
import jax.core
import jax.numpy as jnp
import numpy as np
from numpy.exceptions import AxisError

import convalgebra as ca

from .._lower import multirate
from ._extend import extend
from ._modes import _MODE_TO_EXT, _mode
from ._run import run
from ._wavelet import Wavelet, _inexact, _real, _size, _wav, dwt_length


def extension(fn: str, f: int, n: int, mode: str) -> ca.Operator:
    """The boundary extension before a ``valid`` correlation with ``f`` taps (PyWavelets'):
    ``F - 2`` samples before and ``F - 1`` after (periodization: ``F/2 - 1`` on each side of the
    even-length periodic signal)."""
    if mode in ("reflect", "antireflect") and n < 2:
        raise ValueError(
            f"{fn}: {mode!r} mode needs at least 2 samples along the transformed axis, got {n} "
            "(as PyWavelets)"
        )
    if mode == "periodization":
        half = f // 2 - 1
        return extend((half, half + n % 2), "periodization")
    return extend((f - 2, f - 1), _MODE_TO_EXT[mode])


def analysis_op(
    wavelet: Any, mode: str = "symmetric", *, in_size: int, dtype: Any = float
) -> ca.Operator:
    """One level of analysis as one operator, ``(..., 1, n) -> (..., 2, m)``, ``n = in_size``.

    ``↓2 ([rev(dec_lo); rev(dec_hi)] ⋆ ext(x))``: the two filters are the output channels of one
    "valid" correlation; the extension puts ``F - 2`` samples before and ``F - 1`` after the
    signal (periodization: ``F/2 - 1`` on each side of the even-length periodic signal).
    """
    w = _wav(wavelet, "analysis_op")
    mode = _mode("analysis_op", mode)
    n = _size("analysis_op", in_size)
    k = jnp.stack([w.dec_lo[::-1], w.dec_hi[::-1]])[:, None, :].astype(_real(dtype))
    return ca.down(2) @ ca.corr(k, "valid", ndim=1) @ extension("analysis_op", w.dec_len, n, mode)


def _synthesis_tail(fn: str, f: int, m: int, mode: str) -> tuple[ca.Operator, ca.Operator]:
    """``(crop, pre)`` around ``q * ↑2``: the output window and the coefficient extension."""
    if mode == "periodization":
        s = f // 2 - 1
        before, after = -(-(f - 1 - s) // 2), -(-s // 2)
        full = 2 * (m + before + after) + f - 1
        start = s + 2 * before
        return ca.crop((start, full - start - 2 * m)), extend((before, after), "periodic")
    n = 2 * m - f + 2
    if n < 1:
        raise ValueError(
            f"{fn}: {m} coefficients are too few for a filter of length {f} (the result would "
            f"have 2*{m} - {f} + 2 = {n} samples)"
        )
    return ca.crop((f - 2, f - 1)), ca.identity()


def synthesis_op(
    wavelet: Any, mode: str = "symmetric", *, in_size: int, dtype: Any = float
) -> ca.Operator:
    """One level of synthesis as one operator, ``(..., 2, m) -> (..., 1, n)``, ``m = in_size``.

    ``crop([rec_lo, rec_hi] * ↑2 c)``, a polyphase convolution summing both channels;
    ``n = 2m - F + 2`` (periodization: ``2m``, the coefficients extended periodically first).
    """
    w = _wav(wavelet, "synthesis_op")
    mode = _mode("synthesis_op", mode)
    m = _size("synthesis_op", in_size)
    k = jnp.stack([w.rec_lo, w.rec_hi])[None, :, :].astype(_real(dtype))
    crop, pre = _synthesis_tail("synthesis_op", w.dec_len, m, mode)
    return crop @ ca.conv(k, "full", ndim=1) @ ca.up(2) @ pre


def synthesis_ops(
    wavelet: Any, mode: str = "symmetric", *, in_size: int, dtype: Any = float
) -> tuple[ca.Operator, ca.Operator]:
    """The two branches of synthesis, ``(..., m) -> (..., n)`` each: ``x = S_lo a + S_hi d``.

    ``S_c = crop(rec_c * ↑2 pre(c))``: single-filter operators, which the ``"shift"`` strategy
    runs as polyphase multiply-adds (on CPU about 4x faster than the stacked 2 -> 1 channel
    convolution of :func:`synthesis_op`, the same values).
    """
    w = _wav(wavelet, "synthesis_ops")
    mode = _mode("synthesis_ops", mode)
    m = _size("synthesis_ops", in_size)
    crop, pre = _synthesis_tail("synthesis_ops", w.dec_len, m, mode)
    rd = _real(dtype)
    return cast(
        "tuple[ca.Operator, ca.Operator]",
        tuple(crop @ ca.conv(f.astype(rd), "full") @ ca.up(2) @ pre for f in (w.rec_lo, w.rec_hi)),
    )


def _last(fn: str, x: Any, axis: int, xp: Any = jnp) -> tuple[Any, int]:
    """``x`` with ``axis`` moved last (``xp``: ``jnp``, or ``np`` on the eager NumPy path)."""
    if x.ndim == 0:
        raise ValueError(f"{fn}: data must have at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise AxisError(  # a ValueError (and IndexError), as PyWavelets'
            f"{fn}: axis {axis} is out of range for data of shape {x.shape}"
        )
    return xp.moveaxis(x, axis, -1), axis % x.ndim


# ---- one level, on the last axis -------------------------------------------------------------
#
# ``dwt``/``idwt``/``wavedec``/``waverec`` and the N-D forms (one axis at a time) compute the
# values of :func:`analysis_op` / :func:`synthesis_op`; how (the polyphase schedule of
# ``_lower/multirate.py`` or the lowered operator) is the cost model's choice.


def _analysis(x: jax.Array, w: Wavelet, mode: str) -> tuple[jax.Array, jax.Array]:
    """One level of analysis on the last axis: the values of :func:`analysis_op`."""
    n, f = x.shape[-1], w.dec_len
    if mode in ("reflect", "antireflect") and n < 2:
        raise ValueError(
            f"dwt: {mode!r} mode needs at least 2 samples along the transformed axis, got {n} "
            "(as PyWavelets)"
        )
    h_lo = jnp.asarray(w.dec_lo)[::-1].astype(x.dtype)  # complex signals: complex taps
    h_hi = jnp.asarray(w.dec_hi)[::-1].astype(x.dtype)
    b = f // 2 - 1 if mode == "periodization" else f - 2  # extended samples before x[0]
    m = dwt_length(n, f, mode)
    return multirate.analysis(x, h_lo, h_hi, _MODE_TO_EXT[mode], b, m)


def _synthesis(
    a: jax.Array, d: jax.Array, w: Wavelet, mode: str, inplace: bool = False
) -> jax.Array:
    """One level of synthesis on the last axis: the values of :func:`synthesis_op`
    (``inplace``: periodization's wrapped outputs written in place, faster in 1-D; the N-D
    transforms' moved axes run faster from one materialised periodic window)."""
    m, f = a.shape[-1], w.dec_len
    if mode == "periodization":
        s0 = f // 2 - 1
        before = -(-(f - 1 - s0) // 2)  # the periodic coefficient extension of synthesis_op
        start, length = s0 + 2 * before, m
    else:
        length = m - f // 2 + 1
        if length < 1:
            raise ValueError(
                f"idwt: {m} coefficients are too few for a filter of length {f} (the result "
                f"would have 2*{m} - {f} + 2 = {2 * length} samples)"
            )
        before, start = 0, f - 2
    rec_lo = jnp.asarray(w.rec_lo).astype(a.dtype)
    rec_hi = jnp.asarray(w.rec_hi).astype(a.dtype)
    periodic = mode == "periodization"
    return multirate.synthesis(a, d, rec_lo, rec_hi, start, before, length, periodic, inplace)


def _tracing(*xs: Any) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree.leaves(xs))


def _once(fn: Any) -> Any:
    """``fn`` as one compiled program when called eagerly; inlined (no nested ``jit``) when
    called inside a trace."""
    jitted = jax.jit(fn, static_argnames="mode")

    def call(*args: Any, mode: str) -> Any:
        return fn(*args, mode=mode) if _tracing(args) else jitted(*args, mode=mode)

    return call


_dwt_one = _once(_analysis)
_idwt_one = _once(_synthesis)


def _dwt_last(x: jax.Array, w: Wavelet, mode: str) -> tuple[jax.Array, jax.Array]:
    return _dwt_one(x, w, mode=mode)


def _idwt_last(a: jax.Array, d: jax.Array, w: Wavelet, mode: str) -> jax.Array:
    return _idwt_one(a, d, w, mode=mode)


def _small(*xs: Any, w: Any) -> list[np.ndarray] | None:
    """The inputs as NumPy arrays of one float or complex dtype when an eager call takes the
    NumPy path (``multirate.eager_max``: no compile per new length, mode or wavelet), else
    ``None`` (also when the wavelets' filters are traced: a gradient in the filters)."""
    if _tracing(xs, w) or any(x is None for x in xs):
        return None
    arrs = [np.asarray(x) for x in xs]
    if any(a.dtype.kind not in "biufc" or a.ndim == 0 or a.size == 0 for a in arrs):
        return None
    if sum(a.size for a in arrs) > multirate.eager_max():
        return None
    dt = np.result_type(*[a.dtype if a.dtype.kind in "fc" else np.dtype(float) for a in arrs])
    dt = np.dtype(jax.dtypes.canonicalize_dtype(dt))
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)) and dt.kind != "c":
        return None  # float16: computed in float32 by the traced path, as PyWavelets
    return [a.astype(dt, copy=False) for a in arrs]


def _host(x: Any) -> Any:
    """``x`` as the NumPy array the eager path computes with when it can take that path
    (concrete and small: :func:`_small`), else as an inexact JAX array. The glue of the
    multilevel and N-D transforms (shape checks, trims, zeros) then runs in NumPy too: an eager
    ``jnp`` operation compiles a program for each new shape."""
    small = _small(x, w=None)
    return small[0] if small is not None else _inexact(jnp.asarray(x))


def _out(v: np.ndarray) -> jax.Array:
    """A NumPy result as a ``jax.Array``: ``jax.device_put`` (``jnp.asarray`` compiles a
    conversion program for each new shape: ~15 ms, the eager path's whole first-call cost)."""
    return jax.device_put(v)


def _dwt_small(x: np.ndarray, w: Wavelet, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_analysis` of a NumPy ``x`` (``n >= 2``) in NumPy."""
    n, f = x.shape[-1], w.dec_len
    b = f // 2 - 1 if mode == "periodization" else f - 2
    lo, hi = (np.asarray(v)[::-1] for v in (w.dec_lo, w.dec_hi))
    return multirate.analysis_numpy(x, lo, hi, _MODE_TO_EXT[mode], b, dwt_length(n, f, mode))


def _idwt_small(a: np.ndarray, d: np.ndarray, w: Wavelet, mode: str) -> np.ndarray:
    """:func:`_synthesis` of NumPy coefficients (``2m - F + 2 >= 1``) in NumPy."""
    m, f = a.shape[-1], w.dec_len
    periodic = mode == "periodization"
    if periodic:
        s0 = f // 2 - 1
        before = -(-(f - 1 - s0) // 2)
        start, keep = s0 + 2 * before, m
    else:
        before, start, keep = 0, f - 2, m - f // 2 + 1
    lo, hi = np.asarray(w.rec_lo), np.asarray(w.rec_hi)
    return multirate.synthesis_numpy(a, d, lo, hi, start, before, keep, periodic)


def _dwt_axis(x: jax.Array, w: Wavelet, mode: str, ndim: int) -> tuple[jax.Array, jax.Array]:
    """One level along the last axis of an ``ndim``-axis transform, by the strategy the cost
    model picks (``multirate.strategy``): the polyphase schedule or the lowered operator."""
    if multirate.strategy(ndim, w.dec_len, mode) == "polyphase":
        return _dwt_last(x, w, mode)
    op = analysis_op(w, mode, in_size=x.shape[-1], dtype=x.dtype)
    y = op(x[..., None, :]) if _tracing(x) else run(op, x[..., None, :])
    return y[..., 0, :], y[..., 1, :]


def dwt(
    data: jax.typing.ArrayLike, wavelet: Any, mode: str = "symmetric", axis: int = -1
) -> tuple[jax.Array, jax.Array]:
    """One level of the discrete wavelet transform, as ``pywt.dwt``.

    Args:
      data: the signal; transformed along ``axis`` (length ``n``), batched over the others.
      wavelet: a name ("db2", "sym4", "bior2.2", ...; needs PyWavelets), a ``pywt.Wavelet``, a
        :class:`Wavelet` or four filters ``(dec_lo, dec_hi, rec_lo, rec_hi)``.
      mode: a PyWavelets signal-extension mode: "zero", "constant", "symmetric", "periodic",
        "smooth", "periodization", "reflect", "antisymmetric", "antireflect".
      axis: the axis to transform.

    Returns:
      ``(cA, cD)``, each with ``axis`` of length ``floor((n + F - 1) / 2)`` (periodization:
      ``ceil(n / 2)``).

    Raises:
      ValueError: an unknown mode or wavelet, a bad axis.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> f = 0.5**0.5
      >>> cA, cD = cs.dwt(jnp.array([1.0, 3.0]), ([f, f], [-f, f], [f, f], [f, -f]), "zero")
      >>> [round(float(v), 6) for v in cA]
      [2.828427]
    """
    w = _wav(wavelet, "dwt")
    mode = _mode("dwt", mode)
    small = _small(data, w=w)
    if small is not None and -small[0].ndim <= axis < small[0].ndim and small[0].shape[axis] > 1:
        a, d = _dwt_small(np.moveaxis(small[0], axis, -1), w, mode)
        return _out(np.moveaxis(a, -1, axis)), _out(np.moveaxis(d, -1, axis))
    x, ax = _last("dwt", _inexact(jnp.asarray(data)), axis)
    a, d = _dwt_last(x, w, mode)
    return jnp.moveaxis(a, -1, ax), jnp.moveaxis(d, -1, ax)


def _pair(fn: str, ca_: Any, cd: Any) -> tuple[jax.Array, jax.Array]:
    if ca_ is None and cd is None:
        raise ValueError(f"{fn}: at least one of cA and cD must be given, got both None")
    a = None if ca_ is None else _inexact(jnp.asarray(ca_))
    d = None if cd is None else _inexact(jnp.asarray(cd))
    if a is None:
        assert d is not None  # one of them is given
        a = jnp.zeros_like(d)
    if d is None:
        d = jnp.zeros_like(a)
    if a.shape != d.shape:
        raise ValueError(f"{fn}: cA and cD must have the same shape, got {a.shape} and {d.shape}")
    dt = jnp.result_type(a.dtype, d.dtype) if a.dtype != d.dtype else a.dtype
    return a.astype(dt), d.astype(dt)


def idwt(cA: Any, cD: Any, wavelet: Any, mode: str = "symmetric", axis: int = -1) -> jax.Array:
    """One level of the inverse DWT, as ``pywt.idwt`` (``None`` for a missing band).

    Returns:
      An array with ``axis`` of length ``2m - F + 2`` (periodization: ``2m``) for ``m``
      coefficients.

    Raises:
      ValueError: cA and cD of different shapes, an unknown mode or wavelet, too few
        coefficients for the filter.
    """
    w = _wav(wavelet, "idwt")
    mode = _mode("idwt", mode)
    small = _small(cA, cD, w=w)
    if small is not None:
        a, d = small
        ok = a.shape == d.shape and -a.ndim <= axis < a.ndim
        if ok and (mode == "periodization" or 2 * a.shape[axis] - w.dec_len + 2 >= 1):
            y = _idwt_small(np.moveaxis(a, axis, -1), np.moveaxis(d, axis, -1), w, mode)
            return _out(np.moveaxis(y, -1, axis))
    a, d = _pair("idwt", cA, cD)
    a, ax = _last("idwt", a, axis)
    d = jnp.moveaxis(d, axis, -1)
    return jnp.moveaxis(_idwt_last(a, d, w, mode), -1, ax)
