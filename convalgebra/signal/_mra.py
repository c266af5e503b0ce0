"""Multiresolution analysis, ``pywt.mra``/``imra``, ``mra2``/``imra2`` and ``mran``/``imran``:
the signal as a sum of one component per coefficient band, each the reconstruction of that band
alone (the others zero), from the stationary (``swt``, normalised) or the decimated (``dwt``)
transform."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from ._multidim import wavedec2, waverec2
from ._multilevel import wavedec, waverec
from ._peraxis import as_called, inexact, modes_per_axis, unique_axes, wavelets_per_axis
from ._swt import iswt, swt, swt_max_level
from ._swtn import iswt2, iswtn, swt2, swtn
from ._wavedecn import wavedecn, waverecn


def _trim(r: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return r if r.shape == tuple(shape) else r[tuple(slice(s) for s in shape)]


def _check_swt_mode(fn: str, mode: Any) -> None:
    if mode not in ("periodization", "per", 5):
        raise ValueError(
            f"{fn}: the stationary transform supports only mode='periodization', got {mode!r}"
        )


@as_called("mra")
def mra(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int | None = None,
    axis: int = -1,
    transform: str = "swt",
    mode: Any = "periodization",
) -> list[jax.Array]:
    """Multiresolution analysis of a 1-D transform, as ``pywt.mra``.

    Args:
      data: the signal, analysed along ``axis``.
      wavelet: a name, ``pywt.Wavelet``, :class:`Wavelet` or four filters.
      level: the number of levels (``None``: the transform's maximum).
      axis: the axis analysed.
      transform: ``"swt"`` (stationary, ``norm=True``, periodization only) or ``"dwt"``.
      mode: the signal-extension mode (``"swt"``: only ``"periodization"``).

    Returns:
      ``[A_n, D_n, ..., D_1]``, each of ``data``'s shape; they sum to ``data``
      (:func:`imra`) for the stationary transform and for an orthogonal or biorthogonal
      decimated one.

    Raises:
      ValueError: an unknown transform, a mode other than periodization with ``"swt"``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(8.0)
      >>> parts = cs.mra(x, "db1", level=2)
      >>> len(parts), bool(jnp.allclose(cs.imra(parts), x, atol=1e-5))
      (3, True)
    """
    x = inexact(data)
    if transform == "swt":
        _check_swt_mode("mra", mode)
        coeffs = swt(x, wavelet, level=level, axis=axis, trim_approx=True, norm=True)
        inverse = functools.partial(iswt, wavelet=wavelet, axis=axis, norm=True)
        zeros = [jnp.zeros_like(coeffs[0])] * len(coeffs)
    elif transform == "dwt":
        coeffs = wavedec(x, wavelet, mode=mode, level=level, axis=axis)
        inverse = functools.partial(waverec, wavelet=wavelet, mode=mode, axis=axis)
        zeros = [jnp.zeros_like(c) for c in coeffs]
    else:
        raise ValueError(f"mra: unknown transform {transform!r}; choose 'swt' or 'dwt'")
    out = []
    for j, c in enumerate(coeffs):
        tmp = list(zeros)
        tmp[j] = c
        out.append(_trim(inverse(tmp), x.shape))
    return out


def imra(mra_coeffs: Any) -> jax.Array:
    """The inverse of :func:`mra`: the sum of its components, as ``pywt.imra``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.imra([jnp.ones(2), jnp.ones(2)]).tolist()
      [2.0, 2.0]
    """
    return functools.reduce(lambda a, b: a + b, mra_coeffs)


@as_called("mra2")
def mra2(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int | None = None,
    axes: Any = (-2, -1),
    transform: str = "swt2",
    mode: Any = "periodization",
) -> list[Any]:
    """2-D multiresolution analysis, as ``pywt.mra2``.

    Args:
      data: an array with at least two axes.
      wavelet: a wavelet, or one per axis.
      level: the number of levels (``None``: the transform's maximum).
      axes: the two axes analysed.
      transform: ``"swt2"`` (normalised, periodization only) or ``"dwt2"``.
      mode: the signal-extension mode.

    Returns:
      ``[A_n, (H_n, V_n, D_n), ..., (H_1, V_1, D_1)]``, each of ``data``'s shape.

    Raises:
      ValueError: an unknown transform, a mode other than periodization with ``"swt2"``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(16.0).reshape(4, 4)
      >>> bool(jnp.allclose(cs.imra2(cs.mra2(x, "db1", 1)), x, atol=1e-5))
      True
    """
    x = inexact(data)
    if transform == "swt2":
        _check_swt_mode("mra2", mode)
        axes_ = unique_axes("mra2", x.ndim, axes)
        if level is None:
            level = min(swt_max_level(x.shape[a]) for a in axes_)
        coeffs = swt2(x, wavelet, level, axes=axes, trim_approx=True, norm=True)
        inverse = functools.partial(iswt2, wavelet=wavelet, axes=axes, norm=True)
    elif transform == "dwt2":
        coeffs = wavedec2(x, wavelet, mode=mode, level=level, axes=axes)
        inverse = functools.partial(waverec2, wavelet=wavelet, mode=mode, axes=axes)
    else:
        raise ValueError(f"mra2: unknown transform {transform!r}; choose 'swt2' or 'dwt2'")
    zeros: list[Any] = [jnp.zeros_like(coeffs[0])]
    zeros += [tuple(jnp.zeros_like(c) for c in det) for det in coeffs[1:]]
    out: list[Any] = [_trim(inverse([coeffs[0], *zeros[1:]]), x.shape)]
    for j in range(1, len(coeffs)):
        parts = []
        for k in range(3):
            tmp = list(zeros)
            det = list(zeros[j])
            det[k] = coeffs[j][k]
            tmp[j] = tuple(det)
            parts.append(_trim(inverse(tmp), x.shape))
        out.append(tuple(parts))
    return out


def imra2(mra_coeffs: Any) -> jax.Array:
    """The inverse of :func:`mra2`: the sum of all its components, as ``pywt.imra2``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> z = jnp.zeros((2, 2))
      >>> cs.imra2([jnp.ones((2, 2)), (z, z, z)]).tolist()
      [[1.0, 1.0], [1.0, 1.0]]
    """
    rec = mra_coeffs[0]
    for det in mra_coeffs[1:]:
        for c in det:
            rec = rec + c
    return rec


@as_called("mran")
def mran(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int | None = None,
    axes: Any = None,
    transform: str = "swtn",
    mode: Any = "periodization",
) -> list[Any]:
    """N-D multiresolution analysis, as ``pywt.mran``.

    Args:
      data: an array.
      wavelet: a wavelet, or one per axis.
      level: the number of levels (``None``: the transform's maximum).
      axes: the axes analysed (``None``: all).
      transform: ``"swtn"`` (normalised, periodization only) or ``"dwtn"``.
      mode: the signal-extension mode, or one per axis (``"dwtn"``).

    Returns:
      ``[A_n, {details_n}, ..., {details_1}]``, each component of ``data``'s shape.

    Raises:
      ValueError: an unknown transform, a mode other than periodization with ``"swtn"``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(16.0).reshape(4, 4)
      >>> bool(jnp.allclose(cs.imran(cs.mran(x, "db1", 1)), x, atol=1e-5))
      True
    """
    x = inexact(data)
    axes_ = unique_axes("mran", x.ndim, axes)
    ws = wavelets_per_axis("mran", wavelet, len(axes_))
    if transform == "swtn":
        _check_swt_mode("mran", mode)
        if level is None:
            level = min(swt_max_level(x.shape[a]) for a in axes_)
        coeffs = swtn(x, ws, level, axes=axes_, trim_approx=True, norm=True)
        inverse = functools.partial(iswtn, wavelet=ws, axes=axes_, norm=True)
    elif transform == "dwtn":
        modes = modes_per_axis("mran", mode, len(axes_))
        coeffs = wavedecn(x, ws, mode=modes, level=level, axes=axes_)
        inverse = functools.partial(waverecn, wavelet=ws, mode=modes, axes=axes_)
    else:
        raise ValueError(f"mran: unknown transform {transform!r}; choose 'swtn' or 'dwtn'")
    zeros: list[Any] = [jnp.zeros_like(coeffs[0])]
    zeros += [{k: jnp.zeros_like(v) for k, v in det.items()} for det in coeffs[1:]]
    out: list[Any] = [_trim(inverse([coeffs[0], *zeros[1:]]), x.shape)]
    for j in range(1, len(coeffs)):
        parts = {}
        for k in coeffs[j]:
            tmp = list(zeros)
            tmp[j] = {**zeros[j], k: coeffs[j][k]}
            parts[k] = _trim(inverse(tmp), x.shape)
        out.append(parts)
    return out


def imran(mra_coeffs: Any) -> jax.Array:
    """The inverse of :func:`mran`: the sum of all its components, as ``pywt.imran``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.imran([jnp.ones(2), {"d": jnp.ones(2)}]).tolist()
      [2.0, 2.0]
    """
    rec = mra_coeffs[0]
    for det in mra_coeffs[1:]:
        for c in det.values():
            rec = rec + c
    return rec
