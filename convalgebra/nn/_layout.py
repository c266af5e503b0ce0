"""``data_format``: channels-first (PyTorch's ``(N, C, *S)``) or channels-last (``(N, *S, C)``).

Every ``nn`` layer computes channels-first; with ``data_format="channels_last"`` the function
forms move the channel axis in front of the spatial axes and back (the lowering sees one
transpose on each side, which XLA folds into its layout choice), and the operator forms wrap the
channels-first operator in the core's ``axis=`` node (:func:`convalgebra._expr.axes.on_axes`),
so transposes and matrices follow.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._expr.axes import on_axes
from .._expr.node import Operator

DATA_FORMATS = ("channels_first", "channels_last")


def channels_last(op: str, data_format: Any) -> bool:
    """Whether ``data_format`` is ``"channels_last"``; raises on anything but the two names.

    Raises:
      ValueError: ``data_format`` not one of :data:`DATA_FORMATS` (the message names ``op``).
    """
    if not isinstance(data_format, str) or data_format not in DATA_FORMATS:
        raise ValueError(f"{op}: data_format must be one of {DATA_FORMATS}, got {data_format!r}")
    return data_format == "channels_last"


def to_first(
    op: str, x: Any, nd: int, last: bool, ranks: tuple[int, ...] | None = None
) -> jax.Array:
    """``x`` with its channel axis (the last one) moved in front of its ``nd`` spatial axes.

    Args:
      op: the layer, for the error message.
      x: the input (array-like); returned as an array, unmoved when ``last`` is false.
      nd: the number of spatial axes.
      last: the input is channels-last.
      ranks: the ranks a channels-last input may have (default: any rank ``>= nd + 1``).

    Raises:
      ValueError: a channels-last input of another rank.
    """
    x = jnp.asarray(x)
    if not last:
        return x
    ok = x.ndim in ranks if ranks is not None else x.ndim >= nd + 1
    if not ok:
        want = "(N, *S, C) or (*S, C)" if ranks is not None else "(..., *S, C)"
        raise ValueError(
            f"{op}: channels-last input must be {want} with {nd} spatial axes, got shape "
            f"{tuple(x.shape)}"
        )
    return jnp.moveaxis(x, -1, -nd - 1)


def to_last(y: jax.Array, nd: int, last: bool) -> jax.Array:
    """The channels-first result ``y`` back in the caller's layout."""
    return jnp.moveaxis(y, -nd - 1, -1) if last else y


def spatial_op(a: Operator, nd: int, last: bool) -> Operator:
    """A per-channel operator on the ``nd`` trailing axes, acting on the spatial axes of
    channels-last data (the ``nd`` axes before the last) when ``last``."""
    return on_axes(a, tuple(range(-nd - 1, -1))) if last else a


def channel_op(a: Operator, nd: int, last: bool) -> Operator:
    """A channel-mixing operator ``(..., C, *S) -> (..., C', *S')`` acting on channels-last
    data ``(..., *S, C) -> (..., *S', C')`` when ``last``."""
    return on_axes(a, (-1, *range(-nd - 1, -1))) if last else a
