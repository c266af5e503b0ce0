"""The dense matrix of an operator: every operator is a matrix."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .._static.structs import as_struct_tree, struct_leaves
from .node import Operator, Tree, zeros_like_struct


def _size(s: Tree) -> int:
    return sum(math.prod(a.shape) for a in struct_leaves(s))


MAX_MATRIX_ENTRIES = 2**22


def matrix(op: Operator, x_like: Any, max_entries: int = MAX_MATRIX_ENTRIES) -> jax.Array:
    """The dense matrix of ``op`` on inputs like ``x_like``: shape ``(out_size, in_size)``.

    Column ``j`` is ``op`` applied to the ``j``-th unit vector of the flattened input (row-major),
    so ``op(x).ravel() == matrix(op, x) @ x.ravel()``. For several inputs or outputs the arrays
    are flattened one after the other (``jax.flatten_util.ravel_pytree`` order): a
    ``ca.branch(A, B)`` is ``A``'s matrix stacked over ``B``'s.

    Args:
      op: the operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` giving the input shape and dtype.
      max_entries: refuse to build matrices with more entries than this (default ``2**22``).

    Raises:
      ValueError: if ``out_size * in_size > max_entries``.

    Examples:
      >>> import jax, convalgebra as ca
      >>> ca.matrix(ca.down(2), jax.ShapeDtypeStruct((4,), "float32")).tolist()
      [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    """
    s = as_struct_tree(x_like)
    out = op.out_struct(s)
    n_in, n_out = _size(s), _size(out)
    if n_in * n_out > max_entries:
        raise ValueError(
            f"matrix: the dense matrix of {op!r} on shape {op.on(s).shape} would be "
            f"{n_out} x {n_in} = {n_in * n_out} entries, above max_entries={max_entries}; "
            "use a smaller input or raise max_entries"
        )
    return _dense(op, s)


@functools.partial(jax.jit, static_argnums=1)
def _dense(op: Operator, s: Tree) -> jax.Array:
    flat, unravel = ravel_pytree(zeros_like_struct(s))
    eye = jnp.eye(flat.size, dtype=flat.dtype)
    return jax.vmap(lambda e: ravel_pytree(op(unravel(e)))[0])(eye).T
