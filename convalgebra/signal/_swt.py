"""The stationary (undecimated, à trous) wavelet transform, as ``pywt.swt`` / ``pywt.iswt``."""

from __future__ import annotations

import warnings
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from .._lower import multirate
from ._dwt import _idwt_last, _idwt_small, _last, _out, _small
from ._extend import extend
from ._peraxis import is_orthogonal
from ._run import run
from ._wavelet import Wavelet, _inexact, _real, _size, _wav


def swt_max_level(input_len: int) -> int:
    """The number of times ``input_len`` divides by 2 (``pywt.swt_max_level``)."""
    n, k = int(input_len), 0
    while n > 0 and n % 2 == 0:
        n //= 2
        k += 1
    if k == 0:  # PyWavelets' warning
        warnings.warn(
            "No levels of stationary wavelet decomposition are possible. The signal to be "
            "transformed must have a size that is a multiple of 2**n for an n-level "
            "decomposition.",
            UserWarning,
            stacklevel=2,
        )
    return k


def swt_op(
    wavelet: Any,
    dilation: int = 1,
    *,
    in_size: int | None = None,
    dtype: Any = float,
    norm: bool = False,
) -> ca.Operator:
    """One stationary level as one operator, ``(..., 1, n) -> (..., 2, n)``: the two reversed
    filters, dilated by ``dilation = 2^j`` (``ca.dilate``: ``rhs_dilation``), on the periodic
    signal. ``in_size``, when given, is checked: ``swt`` needs ``n`` divisible by
    ``2 * dilation`` (PyWavelets' rule); the operator itself works for any length."""
    w = _wav(wavelet, "swt_op")
    if isinstance(dilation, bool) or not isinstance(dilation, (int, np.integer)) or dilation < 1:
        raise ValueError(f"swt_op: dilation must be a positive int (2**level), got {dilation!r}")
    if in_size is not None and _size("swt_op", in_size) % (2 * dilation):
        raise ValueError(
            f"swt_op: in_size {in_size} must be divisible by 2 * dilation = {2 * dilation} "
            "(as pywt.swt)"
        )
    f = w.dec_len
    k = jnp.stack([w.dec_lo[::-1], w.dec_hi[::-1]])[:, None, :].astype(_real(dtype))
    if norm:
        k = k / np.sqrt(2.0).astype(k.dtype)
    corr = ca.corr(k, "valid", ndim=1)
    before = dilation * (f // 2 - 1)
    after = dilation * f - 1 - before
    op = corr if dilation == 1 else ca.dilate(cast(ca.Filter, corr), dilation)
    return op @ extend((before, after), "periodic")


def swt(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int | None = None,
    start_level: int = 0,
    axis: int = -1,
    trim_approx: bool = False,
    norm: bool = False,
) -> list[Any]:
    """The stationary wavelet transform, as ``pywt.swt``: ``[(cA_n, cD_n), ..., (cA_1, cD_1)]``
    (``trim_approx``: ``[cA_n, cD_n, ..., cD_1]``), every band as long as the signal.

    Raises:
      ValueError: a level below 1 or above :func:`swt_max_level` (the length must be divisible
        by ``2**level``, as in PyWavelets).
    """
    w = _wav(wavelet, "swt")
    if norm and not is_orthogonal(wavelet, w):
        warnings.warn(
            "norm=True, but the wavelet is not orthogonal: \n"
            "\tThe conditions for energy preservation are not satisfied.",
            UserWarning,
            stacklevel=2,
        )
    small = _small(data, w=w)  # eager and small: NumPy, no compile (multirate.eager_max)
    if small is not None:
        x, ax = _last("swt", small[0], axis, np)
    else:
        x, ax = _last("swt", _inexact(jnp.asarray(data)), axis)
    n = x.shape[-1]
    top = swt_max_level(n)
    if level is None:
        level = top
    if level < 1:
        raise ValueError(f"swt: level must be >= 1, got {level}")
    if level > top:
        raise ValueError(
            f"swt: level {level} is too high for a signal of length {n}: the length must be "
            f"divisible by 2**level; the maximum level is {top}"
        )
    if start_level < 0 or start_level + level > 64:
        raise ValueError(f"swt: start_level must be >= 0, got {start_level}")
    out = []
    a = x
    if small is not None:
        scale = 1 / np.sqrt(2.0) if norm else 1.0
        lo, hi = (np.asarray(f)[::-1] * scale for f in (w.dec_lo, w.dec_hi))
        for j in range(start_level, start_level + level):
            a, d = multirate.stationary_numpy(a, lo, hi, 2**j)
            out.append((_out(np.moveaxis(a, -1, ax)), _out(np.moveaxis(d, -1, ax))))
        out = out[::-1]
        return [out[0][0], *[d for _, d in out]] if trim_approx else out
    for j in range(start_level, start_level + level):
        y = run(swt_op(w, 2**j, dtype=x.dtype, norm=norm), a[..., None, :])
        a, d = y[..., 0, :], y[..., 1, :]
        out.append((jnp.moveaxis(a, -1, ax), jnp.moveaxis(d, -1, ax)))
    out = out[::-1]
    if trim_approx:
        return [out[0][0], *[d for _, d in out]]
    return out


def iswt(coeffs: Any, wavelet: Any, norm: bool = False, axis: int = -1) -> jax.Array:
    """The inverse stationary transform, as ``pywt.iswt``: at each level the two decimated
    reconstructions (even and odd phases, periodization ``idwt``) are averaged.

    ``coeffs``: ``[(cA_n, cD_n), ..., (cA_1, cD_1)]`` or the ``trim_approx`` form
    ``[cA_n, cD_n, ..., cD_1]``.
    """
    w = _wav(wavelet, "iswt")
    if norm:
        w = Wavelet(w.name, *(f * np.sqrt(2.0) for f in w.filter_bank))
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise ValueError("iswt: coeffs must be a non-empty list from swt")
    if isinstance(coeffs[0], (tuple, list)):
        a = coeffs[0][0]
        details = [c[1] for c in coeffs]
    else:
        a, details = coeffs[0], list(coeffs[1:])
    small = _small(a, *details, w=w)  # eager and small: NumPy, no compile
    if small is not None:
        a, details = small[0], small[1:]
        xp, conv = np, (lambda v: v)
    else:
        xp, conv = jnp, (lambda v: _inexact(jnp.asarray(v)))
    a, ax = _last("iswt", conv(a), axis, xp)
    n = a.shape[-1]
    nlev = len(details)
    if n % (2**nlev):
        raise ValueError(f"iswt: the length {n} must be divisible by 2**levels = {2**nlev}")
    for i, d in enumerate(details):
        d = xp.moveaxis(conv(d), axis, -1)
        if d.shape != a.shape:
            raise ValueError(
                f"iswt: every band must have the approximation's shape {a.shape}, got {d.shape} "
                f"at level {nlev - i}"
            )
        dt = jnp.result_type(a.dtype, d.dtype)
        a, d = a.astype(dt), d.astype(dt)
        step = 2 ** (nlev - 1 - i)
        lead = a.shape[:-1]
        # phase p = samples p, p + step, ...: shape (..., step, n / step)
        ap = xp.swapaxes(a.reshape(*lead, n // step, step), -1, -2)
        dp = xp.swapaxes(d.reshape(*lead, n // step, step), -1, -2)
        idwt = _idwt_small if small is not None else _idwt_last
        x1 = idwt(ap[..., 0::2], dp[..., 0::2], w, "periodization")
        x2 = idwt(ap[..., 1::2], dp[..., 1::2], w, "periodization")
        x2 = xp.roll(x2, 1, axis=-1)
        r = (x1 + x2) / 2
        a = xp.swapaxes(r, -1, -2).reshape(*lead, n)
    return _out(np.moveaxis(a, -1, ax)) if small is not None else jnp.moveaxis(a, -1, ax)
