"""The dense matrix of an operator: every operator is a matrix."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp

from .._static.structs import as_struct
from .node import Operator


def _size(shape: Any) -> int:
    return math.prod(shape)


MAX_MATRIX_ENTRIES = 2**22


def matrix(op: Operator, x_like: Any, max_entries: int = MAX_MATRIX_ENTRIES) -> jax.Array:
    """The dense matrix of ``op`` on inputs like ``x_like``: shape ``(out_size, in_size)``.

    Column ``j`` is ``op`` applied to the ``j``-th unit vector of the flattened input (row-major),
    so ``op(x).ravel() == matrix(op, x) @ x.ravel()``.

    Args:
      op: the operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` giving the input shape and dtype.
      max_entries: refuse to build matrices with more entries than this (default ``2**22``).

    Raises:
      ValueError: if ``out_size * in_size > max_entries``.

    Example:
      >>> import jax, convalgebra as ca
      >>> ca.matrix(ca.down(2), jax.ShapeDtypeStruct((4,), "float32")).tolist()
      [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    """
    s = as_struct(x_like)
    out = op.out_struct(s)
    n_in, n_out = _size(s.shape), _size(out.shape)
    if n_in * n_out > max_entries:
        raise ValueError(
            f"matrix: the dense matrix of {op!r} on shape {tuple(s.shape)} would be "
            f"{n_out} x {n_in} = {n_in * n_out} entries, above max_entries={max_entries}; "
            "use a smaller input or raise max_entries"
        )
    return _dense(op, s)


@functools.partial(jax.jit, static_argnums=1)
def _dense(op: Operator, s: jax.ShapeDtypeStruct) -> jax.Array:
    n_in = _size(s.shape)
    eye = jnp.eye(n_in, dtype=s.dtype).reshape((n_in, *s.shape))
    return jax.vmap(lambda e: op(e).ravel())(eye).T
