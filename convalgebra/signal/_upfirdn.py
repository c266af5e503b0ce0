"""Rational resampling: ``upfirdn``, ``resample_poly``, FIR ``decimate`` and the filter design.

Each is built from the algebra: ``↓q crop(h * ↑p ext(x))``. The lowering engine turns that
expression into a polyphase program that computes only the kept samples.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from .._static.shapes import int_at_least
from ._extend import SCIPY_MODES, extend
from ._fir import _firwin
from ._run import run

_SCIPY_TO_EXT = {
    "constant": "zero",
    "edge": "edge",
    "wrap": "periodic",
    "symmetric": "symmetric",
    "reflect": "reflect",
    "smooth": "smooth",
    "antisymmetric": "antisymmetric",
    "antireflect": "antireflect",
    "line": "line",
}


def _factor(fn: str, name: str, k: Any) -> int:
    return int_at_least(fn, name, k)


def _filter1d(fn: str, h: Any) -> jax.Array | np.ndarray:
    arr = h if isinstance(h, jax.Array) else np.asarray(h)
    if arr.ndim != 1:
        raise ValueError(f"{fn}: the filter must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{fn}: the filter must not be empty")
    return arr


def upfirdn_length(n: int, k: int, up: int, down: int) -> int:
    """SciPy's output length of ``upfirdn``: ``((n - 1) * up + k - 1) // down + 1``."""
    return ((n - 1) * up + k - 1) // down + 1


def _kept(n: int, k: int, up: int, down: int, keep: tuple[int, int] | None) -> tuple[int, int]:
    """``(first, count)``: the kept outputs are samples ``first + t down`` of ``h * ↑up x``
    (``keep``; by default all of ``upfirdn``'s)."""
    return keep if keep is not None else (0, upfirdn_length(n, k, up, down))


def _widths(
    n: int, k: int, up: int, down: int, keep: tuple[int, int] | None = None
) -> tuple[int, int]:
    """The samples left and right of ``x`` the filter reaches at the kept outputs."""
    first, count = _kept(n, k, up, down, keep)
    last = first + (count - 1) * down
    return -(-(k - 1) // up), max(0, last // up - (n - 1))


def _core(
    h: jax.Array | np.ndarray,
    n: int,
    before: int,
    after: int,
    up: int,
    down: int,
    keep: tuple[int, int] | None = None,
) -> ca.Operator:
    """``↓down crop(h * ↑up e)`` on an already extended ``e`` of ``before + n + after``.

    ``keep=(first, count)`` keeps samples ``first + t down`` (``t < count``) of ``h * ↑up x``
    (``resample_poly``'s centred outputs): the crop sits before ``↓down``, so the lowering sees
    one node that computes exactly the kept outputs.
    """
    k = h.shape[0]
    first, count = _kept(n, k, up, down, keep)
    full = (n + before + after) * up + k - 1
    start = before * up + first
    stop = start + (count - 1) * down + 1
    assert stop <= full, (stop, full)
    op = ca.crop((start, full - stop)) @ ca.conv(h, "full")
    if down > 1:
        op = ca.down(down) @ op
    if up > 1:
        op = op @ ca.up(up)
    return op


def upfirdn_op(
    h: jax.typing.ArrayLike,
    *,
    in_size: int,
    up: int = 1,
    down: int = 1,
    mode: str = "constant",
) -> ca.Operator:
    """``upfirdn`` on the last axis of an ``(..., in_size)`` input, as an operator.

    The expression is ``↓down crop(h * ↑up ext(x))``: the signal is extended in ``mode`` just
    enough for the filter, up-sampled, filtered (full convolution), cropped to SciPy's output
    samples and down-sampled; the lowering computes only the kept samples (a rational
    ``up/down`` runs the "poly" strategy, see ``docs/resampling.md``).
    ``(..., n) -> (..., ((n - 1) * up + len(h) - 1) // down + 1)``.

    Args:
      h: 1-D filter, length ``K``.
      in_size: the input length ``n`` (keyword-only; the extension widths depend on it).
      up, down: positive int factors.
      mode: one of ``scipy.signal.upfirdn``'s modes; "constant" means zeros here (use
        :func:`upfirdn` for a non-zero ``cval``).

    Returns:
      The linear operator; ``ca.transpose``, ``ca.matrix`` and ``ca.explain`` accept it.

    Raises:
      ValueError, TypeError: a bad factor, filter rank, size or mode.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.upfirdn_op([1.0, 1.0], in_size=3, up=2).notation()
      'crop[(0, 1)] (q * (↑2 x))'
    """
    return _upfirdn_op(h, in_size, up, down, mode, "upfirdn_op")


def _upfirdn_op(
    h: Any, n: Any, up: Any, down: Any, mode: str, fn: str, keep: tuple[int, int] | None = None
) -> ca.Operator:
    h = _filter1d(fn, h)
    up = _factor(fn, "up", up)
    down = _factor(fn, "down", down)
    if mode not in SCIPY_MODES:
        raise ValueError(f"{fn}: unknown mode {mode!r}; choose one of {SCIPY_MODES}")
    n = _factor(fn, "in_size", n)
    if mode == "constant":
        return _core(h, n, 0, 0, up, down, keep)
    before, after = _widths(n, h.shape[0], up, down, keep)
    return _core(h, n, before, after, up, down, keep) @ extend((before, after), _SCIPY_TO_EXT[mode])


def _move(fn: str, x: jax.Array, axis: int) -> tuple[jax.Array, int]:
    if x.ndim == 0:
        raise ValueError(f"{fn}: x must have at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{fn}: axis {axis} is out of range for an input of shape {x.shape}")
    return jnp.moveaxis(x, axis, -1), axis % x.ndim


def _as_inexact(x: jax.Array, h: Any) -> jax.Array:
    """``x`` in NumPy's promotion of its and ``h``'s dtypes, at least float32 (SciPy's rule:
    ``np.result_type(h, x, np.float32)``; JAX's canonical dtype when x64 is off)."""
    hd = h.dtype if hasattr(h, "dtype") else np.asarray(h).dtype
    dt = np.result_type(hd, x.dtype, np.float32)
    return x.astype(jax.dtypes.canonicalize_dtype(dt))


def upfirdn(
    h: jax.typing.ArrayLike,
    x: jax.typing.ArrayLike,
    up: int = 1,
    down: int = 1,
    axis: int = -1,
    mode: str = "constant",
    cval: float = 0,
) -> jax.Array:
    """Up-sample, FIR filter and down-sample, as ``scipy.signal.upfirdn``.

    ``y = ↓down (h * ↑up x)`` with SciPy's output length and signal-extension modes.

    Args:
      h: 1-D filter of length ``K``.
      x: input; the transform runs along ``axis``, of length ``n``.
      up, down: positive int factors.
      axis: the axis to filter (default -1, as SciPy).
      mode: "constant" (the value ``cval``), "symmetric", "reflect", "edge", "wrap", "smooth",
        "antisymmetric", "antireflect" or "line".
      cval: the constant for ``mode="constant"``.

    Returns:
      An array like ``x`` with ``axis`` of length ``((n - 1) * up + K - 1) // down + 1``.

    Raises:
      ValueError, TypeError: a bad factor, filter rank, mode or axis.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.upfirdn([1.0, 1.0], [1.0, 2.0, 3.0], up=2).tolist()
      [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    """
    return _upfirdn(h, x, up, down, axis, mode, cval, "upfirdn")


def _upfirdn(
    h: Any,
    x: Any,
    up: Any,
    down: Any,
    axis: int,
    mode: str,
    cval: Any,
    fn: str,
    keep: tuple[int, int] | None = None,
) -> jax.Array:
    """:func:`upfirdn`; errors name ``fn``, the public function the user called."""
    h = _filter1d(fn, h)
    x = jnp.asarray(x)
    x, ax = _move(fn, x, axis)
    x = _as_inexact(x, h)  # NumPy's promotion: a float64 filter is never rounded to float32
    hj = h.astype(x.dtype)  # NumPy stays NumPy: a constant under jit
    n = x.shape[-1]
    y = run(_upfirdn_op(hj, n, up, down, mode, fn, keep), x)
    if mode == "constant" and cval != 0:
        # ext_c(x) = ext_0(x) + c 1_outside: the constant adds c times the response to the
        # indicator of the extension (a fixed vector, computed on the extended grid).
        before, after = _widths(n, h.shape[0], up, down, keep)
        ind = np.ones(n + before + after)
        ind[before : before + n] = 0
        resp = run(_core(hj, n, before, after, up, down, keep), jnp.asarray(ind, x.dtype))
        y = y + jnp.asarray(cval, x.dtype) * resp
    return jnp.moveaxis(y, -1, ax)


def resample_poly(
    x: jax.typing.ArrayLike,
    up: int,
    down: int,
    axis: int = 0,
    window: Any = ("kaiser", 5.0),
    padtype: str = "constant",
    cval: float | None = None,
) -> jax.Array:
    """Polyphase rational resampling by ``up/down``, as ``scipy.signal.resample_poly``.

    ``y = crop(↓down (h * ↑up x))`` with a zero-phase low-pass ``h`` (cut-off ``1/max(up,
    down)``, Kaiser-windowed sinc of ``20 max(up, down) + 1`` taps, gain ``up``), designed here:
    SciPy is not needed. Only the kept samples are computed: output ``t`` uses one phase of
    ``h`` (about ``len(h) / up`` taps), and the transpose and gradient do the same.

    Dtypes as SciPy's: the designed filter takes the dtype of floating data (float32 data stays
    float32); a ``window`` array keeps its own, and the result is NumPy's promotion of both
    (a float64 array with float32 data gives float64 when x64 is enabled). Integer data
    becomes float64 (JAX's default float).

    Args:
      x: input; resampled along ``axis`` (length ``n``).
      up, down: positive int factors (reduced by their gcd).
      axis: the axis to resample; 0 by default, as SciPy (``upfirdn`` defaults to -1).
      window: ``("kaiser", beta)``, a NumPy window name, or the FIR filter itself as a 1-D array.
      padtype: "constant" (``cval``), "mean", "median", "maximum", "minimum", or any
        ``upfirdn`` mode ("line", "symmetric", "reflect", "edge", "wrap", "smooth",
        "antisymmetric", "antireflect").
      cval: the value for "constant" (default 0).

    Returns:
      ``x`` resampled: ``axis`` has ``ceil(n * up / down)`` samples.

    Raises:
      ValueError, TypeError: bad factors, window, padtype or axis.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.resample_poly(jnp.ones(6), 3, 2).shape
      (9,)
    """
    return _resample_poly(x, up, down, axis, window, padtype, cval, "resample_poly")


def _design(fn: str, up: int, down: int, window: Any, x_dtype: Any) -> tuple[Any, int]:
    """SciPy's filter for ``up/down`` (reduced) on data of ``x_dtype``, and its half length."""
    if isinstance(window, (list, np.ndarray, jax.Array)):
        h = window if isinstance(window, jax.Array) else np.asarray(window)
        if h.ndim != 1:
            raise ValueError(f"{fn}: a window array must be 1-D, got shape {h.shape}")
        if h.size == 0:
            raise ValueError(f"{fn}: the window array must not be empty")
        return h * up, (h.size - 1) // 2
    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = _firwin(fn, 2 * half_len + 1, 1.0 / max_rate, window=window)
    if x_dtype is not None and jnp.issubdtype(x_dtype, jnp.inexact):
        h = h.astype(x_dtype)  # SciPy: the designed filter matches floating data's dtype
    return h * np.asarray(up, h.dtype), half_len


def resample_filter(up: int, down: int, window: Any = ("kaiser", 5.0)) -> tuple[np.ndarray, int]:
    """The float64 filter ``resample_poly`` uses for ``up/down`` (already reduced), half length."""
    h, half = _design("resample_filter", up, down, window, None)
    return np.asarray(h), half


def _centred(h: Any, n: int, up: int, down: int, half_len: int) -> tuple[Any, tuple[int, int]]:
    """SciPy's centred outputs: ``(h, (half_len, n_out))``, output ``t`` being sample
    ``half_len + t down`` of ``h * ↑up x``. SciPy pads ``h`` with zeros before (``down -
    half_len % down``) and after and crops ``upfirdn``'s output; the same samples, without the
    leading zeros (which would add taps to every phase). ``h`` gets trailing zeros only where a
    short window array leaves the last outputs beyond the full convolution."""
    n_out = -(-n * up // down)
    last = half_len + (n_out - 1) * down
    post = max(0, last - ((n - 1) * up + h.shape[0] - 1))
    if post:
        h = (jnp.pad if isinstance(h, jax.Array) else np.pad)(h, (0, post))
    return h, (half_len, n_out)


_BACKGROUND = {
    "mean": jnp.mean,
    "median": jnp.median,
    "maximum": jnp.max,
    "minimum": jnp.min,
}


def _resample_poly(
    x: Any, up: Any, down: Any, axis: int, window: Any, padtype: str, cval: Any, fn: str
) -> jax.Array:
    """:func:`resample_poly`; errors name ``fn``, the public function the user called.

    A factor that is not an int raises ``ValueError``, as SciPy's ``resample_poly`` does.
    """
    try:
        up = _factor(fn, "up", up)
        down = _factor(fn, "down", down)
    except TypeError as e:
        raise ValueError(str(e)) from None
    x = jnp.asarray(x)
    if padtype not in SCIPY_MODES and padtype not in _BACKGROUND:
        raise ValueError(
            f"{fn}: unknown padtype {padtype!r}; choose one of {SCIPY_MODES + tuple(_BACKGROUND)}"
        )
    if cval is not None and padtype != "constant":
        raise ValueError(f"{fn}: cval is only used with padtype='constant', got {padtype!r}")
    x, ax = _move(fn, x, axis)
    g = math.gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return jnp.moveaxis(_as_inexact(x, np.zeros(1, np.float32)), -1, ax)
    h, half_len = _design(fn, up, down, window, x.dtype)
    x = _as_inexact(x, h)
    n = x.shape[-1]
    h, keep = _centred(h, n, up, down, half_len)
    background = None
    if padtype in _BACKGROUND:
        background = _BACKGROUND[padtype](x, axis=-1, keepdims=True)
        x = x - background
        mode = "constant"
    else:
        mode = padtype
    y = _upfirdn(h, x, up, down, -1, mode, 0 if cval is None else cval, fn, keep)
    if background is not None:
        y = y + background
    return jnp.moveaxis(y, -1, ax)


def resample_poly_op(
    up: int,
    down: int,
    *,
    in_size: int,
    window: Any = ("kaiser", 5.0),
    mode: str = "constant",
    dtype: Any = None,
) -> ca.Operator:
    """:func:`resample_poly` on the last axis of ``(..., in_size)`` inputs, as a linear operator.

    ``crop(↓down (h * ↑up ext(x)))``; ``mode`` is an ``upfirdn`` mode (zero-valued
    "constant"). The designed filter is float64 unless ``dtype`` names the data's float dtype
    (SciPy designs it in the data's dtype).

    Args:
      up, down: positive int factors (reduced by their gcd).
      in_size: the input length ``n`` (keyword-only).
      window: as :func:`resample_poly`.
      mode: an ``upfirdn`` mode.
      dtype: the filter's dtype (default float64, or the window array's).

    Returns:
      The operator ``(..., n) -> (..., ceil(n * up / down))``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.resample_poly_op(3, 2, in_size=6)(jnp.ones(6)).shape
      (9,)
    """
    fn = "resample_poly_op"
    up = _factor(fn, "up", up)
    down = _factor(fn, "down", down)
    n = _factor(fn, "in_size", in_size)
    g = math.gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return ca.identity()
    h, half_len = _design(fn, up, down, window, dtype)
    h, keep = _centred(h, n, up, down, half_len)
    return _upfirdn_op(h, n, up, down, mode, fn, keep)
