"""N-D stationary wavelet transforms, ``pywt.swtn``/``pywt.iswtn`` and ``pywt.swt2``/
``pywt.iswt2``: at each level, one stationary (à trous) level along each axis in turn; the
inverse averages the decimated reconstructions of every phase, which for a separable transform
is one 1-D inverse level per axis (the average over all phase combinations factorises)."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._dwt import _host, _out
from ._peraxis import (
    ShapeMismatchError,
    as_called,
    is_orthogonal,
    unique_axes,
    wavelets_per_axis,
)
from ._swt import iswt, swt
from ._wavelet import Wavelet


def _axis_wavelets(fn: str, wavelet: Any, naxes: int) -> tuple[list[Any], list[Wavelet]]:
    from ._peraxis import _is_one_wavelet

    given = [wavelet] * naxes if _is_one_wavelet(wavelet) else list(wavelet)
    if len(given) == 1:
        given = given * naxes
    return given, wavelets_per_axis(fn, wavelet, naxes)


def _check_norm(given: list[Any], ws: list[Wavelet]) -> None:
    if not all(is_orthogonal(g, w) for g, w in zip(given, ws)):
        warnings.warn(
            "norm=True, but the wavelets used are not orthogonal: \n"
            "\tThe conditions for energy preservation are not satisfied.",
            UserWarning,
            stacklevel=3,
        )


@as_called("swtn")
def swtn(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int,
    start_level: int = 0,
    axes: Any = None,
    trim_approx: bool = False,
    norm: bool = False,
) -> list[Any]:
    """The N-D stationary wavelet transform, as ``pywt.swtn``.

    Args:
      data: an array; every transformed axis must be divisible by ``2**(start_level + level)``.
      wavelet: a wavelet (name, ``pywt.Wavelet``, :class:`Wavelet`, four filters) or one per
        axis.
      level: the number of levels.
      start_level: the first level (filters dilated by ``2**start_level``).
      axes: the axes to transform (``None``: all; unique).
      trim_approx: return only the last approximation: ``[cA_n, {details_n}, ...]``.
      norm: scale the filters by ``1/sqrt(2)`` (an energy-preserving, Parseval transform for
        orthogonal wavelets; a warning otherwise, as PyWavelets).

    Returns:
      ``[{'aa..a': cA_n, 'aa..d': ..., ...}, ..., {level 1}]`` (coarsest first), every band of
      ``data``'s shape; with ``trim_approx``, ``[cA_n, {details_n}, ..., {details_1}]``.

    Raises:
      ValueError: a level below 1, axis lengths not divisible by ``2**(start_level + level)``,
        repeated or out-of-range axes, a wavelet count different from the axis count.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> c = cs.swtn(jnp.ones((8, 8)), "haar", level=2)
      >>> len(c), sorted(c[0]), c[0]["aa"].shape
      (2, ['aa', 'ad', 'da', 'dd'], (8, 8))
    """
    x = _host(data)
    axes_ = unique_axes("swtn", x.ndim, axes)
    given, ws = _axis_wavelets("swtn", wavelet, len(axes_))
    return _swtn("swtn", x, given, ws, level, start_level, axes_, trim_approx, norm)


def _swtn(
    fn: str,
    x: jax.Array,
    given: list[Any],
    ws: list[Wavelet],
    level: Any,
    start_level: int,
    axes: tuple[int, ...],
    trim_approx: bool,
    norm: bool,
) -> list[Any]:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"{fn}: level must be an int, got {level!r}")
    if level < 0:
        raise ValueError(f"{fn}: level must be >= 0, got {level}")
    if level == 0:  # as PyWavelets: no level
        return [_out(x) if isinstance(x, np.ndarray) else x] if trim_approx else []
    if start_level < 0:
        raise ValueError(f"{fn}: start_level must be >= 0, got {start_level}")
    top = start_level + level
    for ax in axes:
        if x.shape[ax] % (2**top):
            raise ValueError(
                f"{fn}: level {level} from start_level {start_level} needs every transformed "
                f"axis divisible by 2**{top} = {2**top}; axis {ax} has length {x.shape[ax]}"
            )
    if norm:
        _check_norm(given, ws)
    ret = []
    a = x
    for i in range(start_level, start_level + level):
        bands = [("", a)]
        for ax, w in zip(axes, ws):
            nxt = []
            for key, v in bands:
                ((ca_, cd),) = swt(v, w, level=1, start_level=i, axis=ax, norm=norm)
                nxt += [(key + "a", ca_), (key + "d", cd)]
            bands = nxt
        coeffs = dict(bands)
        a = coeffs["a" * len(axes)]
        if trim_approx:
            coeffs.pop("a" * len(axes))
        ret.append(coeffs)
    if trim_approx:
        ret.append(a)
    return ret[::-1]


def _iswt_step(a: Any, d: Any, w: Wavelet, step: int, axis: int) -> jax.Array:
    """One inverse stationary level along ``axis`` at dilation ``step``: the 1-D inverse on each
    of the ``step`` interleaved subsequences (PyWavelets' phase loop)."""
    a, d = (None if v is None else _host(v) for v in (a, d))
    xp: Any = np if all(isinstance(v, np.ndarray) for v in (a, d) if v is not None) else jnp
    if a is None:
        a = xp.zeros_like(d)
    if d is None:
        d = xp.zeros_like(a)
    dt = jnp.result_type(a.dtype, d.dtype)
    a, d = xp.moveaxis(a.astype(dt), axis, -1), xp.moveaxis(d.astype(dt), axis, -1)
    n, lead = a.shape[-1], a.shape[:-1]

    def split(v: Any) -> Any:  # (..., n) -> (..., step, n / step)
        return xp.swapaxes(v.reshape(*lead, n // step, step), -1, -2)

    r = iswt([(split(a), split(d))], w, axis=-1)
    r = _host(r) if xp is np else r  # the eager NumPy path keeps NumPy between the steps
    r = xp.swapaxes(r, -1, -2).reshape(*lead, n)
    return xp.moveaxis(r, -1, axis)


def _iswtn(fn: str, coeffs: Any, ws: list[Wavelet], axes_arg: Any, norm: bool) -> jax.Array:
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise ValueError(f"{fn}: coeffs must be a non-empty list as swtn returns")
    trim = not isinstance(coeffs[0], dict)
    levels = list(coeffs[1:] if trim else coeffs)
    if not levels or any(not isinstance(c, dict) for c in levels):
        raise ValueError(
            f"{fn}: coeffs must be [{{level n}}, ..., {{level 1}}] or [cA_n, {{details_n}}, "
            "...] as swtn returns"
        )
    nd = max(len(k) for k in levels[-1])
    first = coeffs[0] if trim else coeffs[0].get("a" * nd)
    if first is None:
        raise ValueError(f"{fn}: the coarsest approximation cA_n must be given")
    out = _host(first)
    axes = unique_axes(fn, out.ndim, axes_arg)
    if len(axes) != nd:
        raise ValueError(
            f"{fn}: the number of axes ({len(axes)}) must match the number of dimensions "
            f"transformed in swtn ({nd}, the length of the keys)"
        )
    if len(ws) == 1:
        ws = ws * nd
    if norm:
        ws = [Wavelet(w.name, *(f * np.sqrt(2.0) for f in w.filter_bank)) for w in ws]
    nlev = len(levels)
    for ax in axes:
        if out.shape[ax] % (2**nlev):
            raise ValueError(
                f"{fn}: {nlev} levels need every transformed axis divisible by 2**{nlev}; axis "
                f"{ax} has length {out.shape[ax]}"
            )
    for j, det in enumerate(levels):
        step = 2 ** (nlev - 1 - j)
        bad = [k for k in det if len(k) != nd or set(k) - {"a", "d"}]
        if bad:
            raise ValueError(f"{fn}: invalid coefficient keys {sorted(bad)} at level {nlev - j}")
        cur: dict[str, Any] = {
            "".join(k): (None if det.get("".join(k)) is None else _host(det["".join(k)]))
            for k in itertools.product("ad", repeat=nd)
        }
        cur["a" * nd] = out  # the running reconstruction replaces the level's approximation
        for key, v in cur.items():
            if v is not None and v.shape != out.shape:
                raise ShapeMismatchError(
                    f"{fn}: every band must have the approximation's shape {out.shape}, got "
                    f"{v.shape} for {key!r} at level {nlev - j}"
                )
        for i in reversed(range(nd)):
            nxt: dict[str, Any] = {}
            for key in sorted({k[:i] for k in cur}):
                a, d = cur[key + "a"], cur[key + "d"]
                nxt[key] = (
                    None if a is None and d is None else _iswt_step(a, d, ws[i], step, axes[i])
                )
            cur = nxt
        out = cur[""]
    return _out(out) if isinstance(out, np.ndarray) else out


@as_called("iswtn")
def iswtn(coeffs: Any, wavelet: Any, axes: Any = None, norm: bool = False) -> jax.Array:
    """The inverse N-D stationary transform, as ``pywt.iswtn``.

    The approximations of all but the coarsest level are not read (as in PyWavelets); ``None``
    or missing detail bands are zeros.

    Args:
      coeffs: :func:`swtn`'s output, with or without ``trim_approx``.
      wavelet: a wavelet, or one per axis.
      axes: the axes transformed (``None``: all); as many as the keys have letters.
      norm: as given to :func:`swtn`.

    Returns:
      The reconstructed array, of the bands' shape.

    Raises:
      ValueError: keys other than 'a'/'d' strings of one length, an axis count different from
        the key length, bands of different shapes.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(64.0).reshape(8, 8)
      >>> y = cs.iswtn(cs.swtn(x, "db2", level=2), "db2")
      >>> bool(jnp.allclose(x, y, atol=1e-4))
      True
    """
    if isinstance(coeffs, (list, tuple)) and coeffs:
        nd = max(len(k) for k in coeffs[-1]) if isinstance(coeffs[-1], dict) else 1
    else:
        nd = 1
    ws = wavelets_per_axis("iswtn", wavelet, nd)
    return _iswtn("iswtn", coeffs, ws, axes, norm)


@as_called("swt2")
def swt2(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int,
    start_level: int = 0,
    axes: Any = (-2, -1),
    trim_approx: bool = False,
    norm: bool = False,
) -> list[Any]:
    """The 2-D stationary wavelet transform, as ``pywt.swt2``.

    Args:
      data: an array with at least two axes; both transformed axes divisible by
        ``2**(start_level + level)``.
      wavelet: a wavelet, or one per axis.
      level: the number of levels.
      start_level: the first level.
      axes: the two axes to transform.
      trim_approx: return ``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]``.
      norm: as :func:`swtn`.

    Returns:
      ``[(cA_n, (cH_n, cV_n, cD_n)), ..., (cA_1, (cH_1, cV_1, cD_1))]``.

    Raises:
      ValueError: not two distinct axes, and :func:`swtn`'s errors.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> (cA, (cH, cV, cD)), = cs.swt2(jnp.ones((4, 4)), "haar", level=1)
      >>> cA.shape, float(cD.sum())
      ((4, 4), 0.0)
    """
    axes = tuple(axes)
    x = _host(data)
    if len(axes) != 2:
        raise ValueError(f"swt2: expected 2 axes, got {axes}")
    axes_ = unique_axes("swt2", x.ndim, axes)
    given, ws = _axis_wavelets("swt2", wavelet, 2)
    c = _swtn("swt2", x, given, ws, level, start_level, axes_, trim_approx, norm)
    if trim_approx:
        return [c[0], *[(d["da"], d["ad"], d["dd"]) for d in c[1:]]]
    return [(d["aa"], (d["da"], d["ad"], d["dd"])) for d in c]


@as_called("iswt2")
def iswt2(coeffs: Any, wavelet: Any, norm: bool = False, axes: Any = (-2, -1)) -> jax.Array:
    """The inverse 2-D stationary transform, as ``pywt.iswt2``.

    Args:
      coeffs: :func:`swt2`'s output, with or without ``trim_approx`` (``None`` bands: zeros).
      wavelet: a wavelet, or one per axis.
      norm: as given to :func:`swt2`.
      axes: the two axes transformed.

    Returns:
      The reconstructed array.

    Raises:
      ValueError: coefficients not in :func:`swt2`'s layout, and :func:`iswtn`'s errors.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(16.0).reshape(4, 4)
      >>> bool(jnp.allclose(cs.iswt2(cs.swt2(x, "db1", 2), "db1"), x, atol=1e-5))
      True
    """
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise ValueError("iswt2: coeffs must be a non-empty list as swt2 returns")
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"iswt2: expected 2 axes, got {axes}")
    trim = not isinstance(coeffs[0], (tuple, list))
    try:
        if trim:
            nd = [coeffs[0]] + [{"da": h, "ad": v, "dd": d} for h, v, d in coeffs[1:]]
        else:
            nd = [{"aa": a, "da": h, "ad": v, "dd": d} for a, (h, v, d) in coeffs]
    except (TypeError, ValueError):
        raise ValueError(
            "iswt2: coeffs must be [(cA_n, (cH_n, cV_n, cD_n)), ...] or [cA_n, (cH_n, cV_n, "
            "cD_n), ...]"
        ) from None
    ws = wavelets_per_axis("iswt2", wavelet, 2)
    return _iswtn("iswt2", nd, ws, axes, norm)
