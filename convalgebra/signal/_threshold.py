"""PyWavelets' thresholding functions, ``pywt.threshold`` (soft, hard, garrote, greater, less)
and ``pywt.threshold_firm``, on JAX arrays: elementwise, differentiable almost everywhere, and
free of the ``0 / 0`` that PyWavelets' soft and garrote forms evaluate at zero data."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

_MODES = ("soft", "hard", "garrote", "greater", "less")


def threshold(
    data: jax.typing.ArrayLike, value: Any, mode: str = "soft", substitute: Any = 0
) -> jax.Array:
    """Thresholds ``data`` elementwise, as ``pywt.threshold``.

    * ``"soft"``: ``x (1 - value / |x|)`` where ``|x| >= value``, else ``substitute``;
    * ``"hard"``: ``x`` where ``|x| >= value``, else ``substitute``;
    * ``"garrote"`` (non-negative garrote; ``"garotte"`` too):
      ``x (1 - value² / |x|²)`` where ``|x| >= value``, else ``substitute``;
    * ``"greater"``: ``x`` where ``x >= value``, else ``substitute`` (real data);
    * ``"less"``: ``x`` where ``x <= value``, else ``substitute`` (real data).

    Soft, hard and garrote take complex data (``|x|`` its modulus). Where ``x == 0`` and
    ``value == 0`` soft and garrote give ``0`` (PyWavelets evaluates ``0 / 0`` there and gives
    ``nan``). Soft, garrote: integer data becomes JAX's default float; hard, greater, less keep
    the data's dtype unless ``substitute`` promotes it (``jnp.where``'s rule).

    Args:
      data: an array of any shape.
      value: the threshold (a scalar, or an array broadcasting against ``data``).
      mode: one of "soft", "hard", "garrote", "greater", "less".
      substitute: the value put where the data is thresholded away.

    Returns:
      An array of ``data``'s shape.

    Raises:
      ValueError: an unknown mode, or complex data for "greater"/"less".

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.threshold(jnp.linspace(1.0, 4.0, 7), 2.0, "soft").tolist()
      [0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
    """
    if mode == "garotte":
        mode = "garrote"
    if mode not in _MODES:
        raise ValueError(
            f"threshold: unknown mode {mode!r}; the mode parameter only takes values from: "
            + ", ".join(repr(m) for m in _MODES)
        )
    x = jnp.asarray(data)
    complex_ = jnp.iscomplexobj(x)
    if mode in ("greater", "less"):
        if complex_:
            raise ValueError(f"threshold: {mode!r} thresholding only supports real data")
        drop = x < value if mode == "greater" else x > value
        return jnp.where(drop, substitute, x)
    mag = jnp.abs(x)
    small = mag < value
    if mode == "hard":
        return jnp.where(small, substitute, x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.zeros((), float).dtype)
        mag = mag.astype(x.dtype)
    safe = jnp.where(mag == 0, 1, mag)
    unit = x / safe.astype(x.dtype)  # the sign (real) or phase (complex): exact for real data
    shrink = jnp.asarray(value if mode == "soft" else value**2 / safe).astype(x.dtype)
    out = x - shrink * unit  # x (1 - value/|x|), exactly rounded for real x
    out = jnp.where((mag == 0) | small, jnp.zeros((), x.dtype), out)
    if isinstance(substitute, (int, float)) and substitute == 0:
        return out
    return jnp.where(small, substitute, out)


def threshold_firm(data: jax.typing.ArrayLike, value_low: Any, value_high: Any) -> jax.Array:
    """Firm (semi-soft) thresholding, as ``pywt.threshold_firm``.

    ``0`` where ``|x| <= value_low``, ``x`` where ``|x| > value_high``, and in between
    ``x value_high (1 - value_low / |x|) / (value_high - value_low)``; real or complex data.

    Args:
      data: an array of any shape.
      value_low: the lower threshold, >= 0.
      value_high: the upper threshold, >= ``value_low``.

    Returns:
      An array of ``data``'s shape (integer data becomes JAX's default float).

    Raises:
      ValueError: ``value_low < 0`` or ``value_high < value_low``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.threshold_firm(jnp.array([0.5, 1.5, 3.0]), 1.0, 2.0).tolist()
      [0.0, 1.0, 3.0]
    """
    if value_low < 0:
        raise ValueError(f"threshold_firm: value_low must be non-negative, got {value_low}")
    if value_high < value_low:
        raise ValueError(
            "threshold_firm: value_high must be greater than or equal to value_low, got "
            f"value_low={value_low}, value_high={value_high}"
        )
    x = jnp.asarray(data)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.zeros((), float).dtype)
    mag = jnp.abs(x)
    safe = jnp.where(mag == 0, 1, mag)
    vdiff = value_high - value_low
    if vdiff == 0:  # hard thresholding at value_high (PyWavelets divides by zero there)
        mid = jnp.zeros_like(x)
    else:
        unit = x / safe.astype(x.dtype)
        low = jnp.asarray(value_low).astype(x.dtype)
        mid = (x - low * unit) * jnp.asarray(value_high / vdiff).astype(x.dtype)
    mid = jnp.where((mag == 0) | (mag <= value_low), jnp.zeros((), x.dtype), mid)
    return jnp.where(mag > value_high, x, mid)
