"""PyWavelets' argument conventions shared by the N-D and packet transforms: one wavelet and one
mode per transformed axis (or one for all), unique axes, the level check, the number of
coefficients of one level (``dwt_coeff_len``) and PyWavelets' ``Modes`` integers."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpy.exceptions import AxisError

from ._modes import _mode
from ._wavelet import Wavelet, wavelet


@contextlib.contextmanager
def as_called(fn: str) -> Iterator[None]:
    """Errors raised by the transforms a public function calls name that function: a
    ``ValueError``/``TypeError`` whose message starts with another function's ``"name: "`` is
    raised again (same type) as ``"fn: ..."``. Usable as a decorator."""
    try:
        yield
    except (ValueError, TypeError) as e:
        head, sep, rest = str(e).partition(": ")
        if sep and head != fn and head.isidentifier():
            raise type(e)(f"{fn}: {rest}") from None
        raise


def mode_name(fn: str, mode: Any) -> str:
    """A mode by PyWavelets' name, alias (``'per'``, ``'sym'``, ...) or ``pywt.Modes`` int."""
    return _mode(fn, mode)


def _is_one_wavelet(w: Any) -> bool:
    if isinstance(w, str) or hasattr(w, "filter_bank") or not hasattr(w, "__iter__"):
        return True  # one wavelet (or something wavelet() refuses with the reason)
    try:  # four 1-D filters: one wavelet; four wavelets: each a name, object or 4 filters
        return all(np.asarray(f, dtype=float).ndim == 1 for f in w)
    except (TypeError, ValueError):
        return False


def wavelets_per_axis(fn: str, w: Any, naxes: int) -> list[Wavelet]:
    """One :class:`Wavelet` per transformed axis (PyWavelets' ``_wavelets_per_axis``)."""
    if _is_one_wavelet(w):
        return [wavelet(w, fn)] * naxes
    try:
        ws = list(w)
    except TypeError:
        raise ValueError(
            f"{fn}: wavelet must be a name, a Wavelet, four filters or one of these per axis, "
            f"got {w!r}"
        ) from None
    if len(ws) == 1:
        return [wavelet(ws[0], fn)] * naxes
    if len(ws) != naxes:
        raise ValueError(
            f"{fn}: the number of wavelets ({len(ws)}) must match the number of axes to be "
            f"transformed ({naxes})"
        )
    return [wavelet(v, fn) for v in ws]


def modes_per_axis(fn: str, mode: Any, naxes: int) -> list[str]:
    """One mode name per transformed axis (PyWavelets' ``_modes_per_axis``)."""
    if isinstance(mode, (str, int, np.integer)):
        return [mode_name(fn, mode)] * naxes
    try:
        ms = list(mode)
    except TypeError:
        raise ValueError(f"{fn}: mode must be a name or one name per axis, got {mode!r}") from None
    if len(ms) == 1:
        return [mode_name(fn, ms[0])] * naxes
    if len(ms) != naxes:
        raise ValueError(
            f"{fn}: the number of modes ({len(ms)}) must match the number of axes to be "
            f"transformed ({naxes})"
        )
    return [mode_name(fn, m) for m in ms]


def unique_axes(fn: str, ndim: int, axes: Any) -> tuple[int, ...]:
    """``axes`` (``None``: all; an int: one) canonicalised, distinct, in range."""
    if ndim < 1:
        raise ValueError(f"{fn}: data must have at least one axis, got a scalar")
    if axes is None:
        axes = tuple(range(ndim))
    elif np.isscalar(axes):
        axes = (axes,)
    axes = tuple(int(a) for a in axes)
    if not axes:
        raise ValueError(f"{fn}: axes must not be empty")
    for a in axes:
        if not -ndim <= a < ndim:
            raise AxisError(f"{fn}: axis {a} is out of range for data of {ndim} dimensions")
    canon = tuple(a % ndim for a in axes)
    if len(set(canon)) != len(canon):
        raise ValueError(f"{fn}: the axes must be unique, got {axes}")
    return canon


def check_level(fn: str, sizes: list[int], dec_lens: list[int], level: Any) -> int:
    """PyWavelets' ``_check_level``: ``None`` gives the smallest maximum level over the axes;
    a deeper level warns; a negative one is refused."""
    top = min(dwt_max_level(s, f) for s, f in zip(sizes, dec_lens))
    if level is None:
        return top
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"{fn}: level must be an int or None, got {level!r}")
    if level < 0:
        raise ValueError(f"{fn}: level must be >= 0, got {level}")
    if level > top:
        warnings.warn(
            f"Level value of {level} is too high: all coefficients will experience boundary "
            "effects.",
            UserWarning,
            stacklevel=3,
        )
    return int(level)


def _filter_len(fn: str, filter_len: Any) -> int:
    if isinstance(filter_len, bool):
        raise ValueError(f"{fn}: filter_len must be an int, a wavelet or its name, got a bool")
    if isinstance(filter_len, (int, np.integer)) or (
        isinstance(filter_len, float) and filter_len % 1 == 0
    ):
        return int(filter_len)
    return wavelet(filter_len, fn).dec_len


def dwt_coeff_len(data_len: int, filter_len: Any, mode: Any) -> int:
    """The number of coefficients of one DWT level, as ``pywt.dwt_coeff_len``.

    ``floor((n + F - 1) / 2)``, or ``ceil(n / 2)`` in periodization mode (``'per'`` and
    ``pywt.Modes.periodization`` too).

    Args:
      data_len: the signal length ``n`` (>= 1).
      filter_len: the filter length ``F`` (>= 1), or a wavelet (name, ``pywt.Wavelet``,
        :class:`Wavelet`) whose ``dec_len`` is taken.
      mode: a signal-extension mode by name, alias or ``pywt.Modes`` int.

    Returns:
      The coefficient count of ``dwt`` along the transformed axis.

    Raises:
      ValueError: ``data_len`` or ``filter_len`` below 1, an unknown mode or wavelet.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.dwt_coeff_len(8, 6, "symmetric"), cs.dwt_coeff_len(8, 6, "per")
      (6, 4)
    """
    mode = mode_name("dwt_coeff_len", mode)
    f = _filter_len("dwt_coeff_len", filter_len)
    if int(data_len) < 1:
        raise ValueError(f"dwt_coeff_len: data_len must be >= 1, got {data_len}")
    if f < 1:
        raise ValueError(f"dwt_coeff_len: filter_len must be >= 1, got {f}")
    n = int(data_len)
    if mode == "periodization":
        return -(-n // 2)
    return (n + f - 1) // 2


def dwt_max_level(data_len: int, filter_len: Any) -> int:
    """The deepest useful level, ``floor(log2(n / (F - 1)))``, as ``pywt.dwt_max_level``.

    Args:
      data_len: the signal length ``n``.
      filter_len: the filter length ``F`` (>= 2), or a wavelet (name, ``pywt.Wavelet``,
        :class:`Wavelet`).

    Returns:
      The level (0 where the signal is shorter than ``F - 1``).

    Raises:
      ValueError: a filter length below 2, an unknown wavelet name.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.dwt_max_level(1024, 8), cs.dwt_max_level(1024, "db4")
      (7, 7)
    """
    f = _filter_len("dwt_max_level", filter_len)
    if f < 2:
        raise ValueError(f"dwt_max_level: the filter length must be >= 2, got {f}")
    if data_len < f - 1:
        return 0
    return math.floor(math.log2(data_len / (f - 1)))


def is_orthogonal(given: Any, w: Wavelet) -> bool:
    """PyWavelets' ``Wavelet.orthogonal`` where the wavelet came from PyWavelets; otherwise
    the synthesis filters are the reversed analysis filters and the low-pass has unit norm."""
    if hasattr(given, "orthogonal"):
        return bool(given.orthogonal)
    if isinstance(given, str):
        try:
            import pywt

            return bool(pywt.Wavelet(given).orthogonal)  # pyright: ignore[reportAttributeAccessIssue]
        except (ImportError, ValueError):
            pass
    lo, hi, rlo, rhi = (np.asarray(f, dtype=float) for f in w.filter_bank)
    return bool(
        np.allclose(rlo, lo[::-1]) and np.allclose(rhi, hi[::-1]) and np.isclose(lo @ lo, 1.0)
    )


def inexact(x: Any) -> jax.Array:
    """``x`` as a JAX array; integer data becomes JAX's default float."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x.astype(jnp.zeros((), float).dtype)
    if x.dtype == jnp.float16:  # PyWavelets computes half precision in float32
        return x.astype(jnp.float32)
    return x


class ShapeMismatchError(ValueError, RuntimeError):
    """Coefficient arrays of one level with different shapes: a ``ValueError`` (our rule) and
    the ``RuntimeError`` PyWavelets' stationary inverses raise."""
