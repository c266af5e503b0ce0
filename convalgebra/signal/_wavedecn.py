"""Multilevel N-D transforms, ``pywt.wavedecn``/``pywt.waverecn``: one level of ``dwtn`` per
level, the approximation ``'aa..a'`` carried to the next; one wavelet and one mode per axis
(or one for all), on any subset of the axes."""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp

from ._dwt import _host, dwt, idwt
from ._peraxis import (
    as_called,
    check_level,
    inexact,
    modes_per_axis,
    unique_axes,
    wavelets_per_axis,
)
from ._wavelet import Wavelet


def _dwtn_axes(
    x: jax.Array, ws: list[Wavelet], modes: list[str], axes: tuple[int, ...]
) -> dict[str, jax.Array]:
    out = {"": x}
    for ax, w, m in zip(axes, ws, modes):
        nxt = {}
        for key, v in out.items():
            a, d = dwt(v, w, m, axis=ax)
            nxt[key + "a"], nxt[key + "d"] = a, d
        out = nxt
    return out


def _idwtn_axes(
    fn: str,
    coeffs: dict[str, Any],
    ws: list[Wavelet],
    modes: list[str],
    axes: tuple[int, ...],
) -> jax.Array:
    """One level of the inverse over ``axes``; missing or ``None`` bands are zeros."""
    nd = len(axes)
    given = {k: _host(v) for k, v in coeffs.items() if v is not None}
    if not given:
        raise ValueError(f"{fn}: at least one coefficient array must be given (all are None)")
    bad = [k for k in coeffs if len(k) != nd or set(k) - {"a", "d"}]
    if bad:
        raise ValueError(
            f"{fn}: invalid coefficient keys {sorted(bad)}: keys are strings of 'a'/'d' of "
            f"length {nd} (one letter per transformed axis)"
        )
    shapes = {v.shape for v in given.values()}
    if len(shapes) != 1:
        raise ValueError(
            f"{fn}: all coefficient arrays of a level must have one shape, got "
            + ", ".join(f"{k}: {v.shape}" for k, v in sorted(given.items()))
        )
    shape = shapes.pop()
    dt = jnp.result_type(*[v.dtype for v in given.values()])
    cur: dict[str, jax.Array | None] = {
        "".join(k): (given["".join(k)].astype(dt) if "".join(k) in given else None)
        for k in itertools.product("ad", repeat=nd)
    }
    for i in reversed(range(nd)):
        nxt: dict[str, jax.Array | None] = {}
        for key in sorted({k[:i] for k in cur}):
            a, d = cur[key + "a"], cur[key + "d"]
            if a is None and d is None:
                nxt[key] = None
                continue
            nxt[key] = idwt(a, d, ws[i], modes[i], axis=axes[i])
        cur = nxt
    out = cur[""]
    return jnp.zeros(shape, dt) if out is None else out


@as_called("wavedecn")
def wavedecn(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    mode: Any = "symmetric",
    level: int | None = None,
    axes: Any = None,
) -> list[Any]:
    """Multilevel N-D decomposition, as ``pywt.wavedecn``.

    Args:
      data: an array; transformed along ``axes`` (``None``: all), batched over the others.
      wavelet: a wavelet (name, ``pywt.Wavelet``, :class:`Wavelet`, four filters) or one per
        axis.
      mode: a signal-extension mode (name, alias, ``pywt.Modes`` value) or one per axis.
      level: the number of levels; ``None``: the smallest :func:`dwt_max_level` over the axes
        (a deeper level warns, as PyWavelets does).
      axes: the axes to transform (unique).

    Returns:
      ``[cA_n, {details_n}, ..., {details_1}]``: each detail dict maps keys of ``'a'``/``'d'``
      (one letter per transformed axis, every key but ``'aa..a'``) to arrays.

    Raises:
      ValueError: repeated or out-of-range axes, a negative level, a wavelet or mode count
        different from the axis count, an unknown wavelet or mode.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> c = cs.wavedecn(jnp.ones((8, 8, 8)), "haar", level=2)
      >>> c[0].shape, sorted(c[1])[:3], c[2]["ddd"].shape
      ((2, 2, 2), ['aad', 'ada', 'add'], (4, 4, 4))
    """
    x = _host(data)
    axes_ = unique_axes("wavedecn", x.ndim, axes)
    ws = wavelets_per_axis("wavedecn", wavelet, len(axes_))
    modes = modes_per_axis("wavedecn", mode, len(axes_))
    level = check_level("wavedecn", [x.shape[a] for a in axes_], [w.dec_len for w in ws], level)
    out = []
    a = x
    for _ in range(level):
        c = _dwtn_axes(a, ws, modes, axes_)
        a = c.pop("a" * len(axes_))
        out.append(c)
    return [a, *out[::-1]]


@as_called("waverecn")
def waverecn(coeffs: Any, wavelet: Any, mode: Any = "symmetric", axes: Any = None) -> jax.Array:
    """Multilevel N-D reconstruction, as ``pywt.waverecn``.

    Missing or ``None`` detail bands are zeros; ``cA_n`` may be ``None`` (zeros) if some detail
    is given. An approximation one sample longer than the next level's details along an axis is
    trimmed (odd lengths), as in PyWavelets.

    Args:
      coeffs: ``[cA_n, {details_n}, ..., {details_1}]`` as :func:`wavedecn` returns.
      wavelet: a wavelet, or one per axis.
      mode: a mode, or one per axis.
      axes: the axes transformed (``None``: all).

    Returns:
      The reconstructed array.

    Raises:
      ValueError: an empty list, details that are not dicts, coefficients of different
        dimensions, invalid keys, shapes no decomposition gives.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(64.0).reshape(8, 8)
      >>> y = cs.waverecn(cs.wavedecn(x, "db1", level=2), "db1")
      >>> bool(jnp.allclose(x, y, atol=1e-4))
      True
    """
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) < 1:
        raise ValueError(
            "waverecn: coeffs must be a non-empty list [cA_n, {details_n}, ..., {details_1}], "
            f"got {type(coeffs).__name__}"
        )
    a, ds = coeffs[0], list(coeffs[1:])
    if any(not isinstance(d, dict) for d in ds):
        raise ValueError(
            "waverecn: Unexpected detail coefficient type: every detail level must be a dict "
            "of arrays as wavedecn returns, got "
            f"{[type(d).__name__ for d in ds]}"
        )
    if not ds:
        if a is None:
            raise ValueError("waverecn: at least one coefficient must be given")
        return inexact(a)
    if a is None and not any(v is not None for d in ds for v in d.values()):
        raise ValueError("waverecn: at least one coefficient must be given (all are None)")
    ndims = {jnp.ndim(v) for d in ds for v in d.values() if v is not None}
    if a is not None:
        a = _host(a)
        ndims.add(a.ndim)
    if len(ndims) != 1:
        raise ValueError(
            f"waverecn: all coefficients must have the same number of dimensions, got {ndims}"
        )
    ndim = ndims.pop()
    axes_ = unique_axes("waverecn", ndim, axes)
    nd = len(axes_)
    ws = wavelets_per_axis("waverecn", wavelet, nd)
    modes = modes_per_axis("waverecn", mode, nd)
    for idx, d in enumerate(ds):
        given = [v for v in d.values() if v is not None]
        if a is None and not given:
            continue
        if idx > 0 and a is not None and given:
            ref = jnp.shape(given[0])
            diff = [sa - sd for sa, sd in zip(a.shape, ref)]
            if any(s < 0 or s > 1 for s in diff):
                raise ValueError(
                    f"waverecn: coefficient shape mismatch at level {len(ds) - idx}: the "
                    f"approximation has shape {a.shape}, the details {ref} (equal, or the "
                    "approximation one longer)"
                )
            a = _host(a)[tuple(slice(s) for s in ref)]
        level = {**d, "a" * nd: a}
        a = _idwtn_axes("waverecn", level, ws, modes, axes_)
    assert a is not None
    return a
