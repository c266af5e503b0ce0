"""Composition, sums, scaling and binding of operators, and the dense matrix of an operator."""

from __future__ import annotations

import functools
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _shapes
from ._base import Operator, Shape, as_struct, pytree_node, wrap_sym
from ._ops import kernel_dtype


@pytree_node(data=("outer", "inner"))
class Compose(Operator):
    """``outer @ inner``: apply ``inner``, then ``outer``."""

    outer: Operator
    inner: Operator

    def _label(self) -> str:
        return f"{self.outer!r} @ {self.inner!r}"

    def _sym(self, x: str) -> str:
        return self.outer._sym(self.inner._sym(x))

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        mid, mid_dtype = self.inner._infer(shape, dtype)
        try:
            return self.outer._infer(mid, mid_dtype)
        except ValueError as e:
            raise ValueError(
                f"compose: {self.outer!r} cannot take the output of {self.inner!r} (input shape "
                f"{shape} -> intermediate shape {mid}): {e}"
            ) from e

    def _apply(self, x: jax.Array) -> jax.Array:
        return self.outer._apply(self.inner._apply(x))

    def _channels(self):
        ci_in, ci_out = self.inner._channels()
        co_in, co_out = self.outer._channels()
        return (ci_in if ci_in is not None else co_in), (co_out if co_out is not None else ci_out)

    def _fixed_in(self):
        return self.inner._fixed_in()


def compose(a: Operator, b: Operator) -> Operator:
    """``a @ b``, checking channel counts and bound shapes before anything is traced."""
    _, b_out = b._channels()
    a_in, _ = a._channels()
    if a_in is not None and b_out is not None and a_in[0] == b_out[0] and a_in[1] != b_out[1]:
        raise ValueError(
            f"compose: channel mismatch in A @ B: B = {b!r} produces {b_out[1]} channels at axis "
            f"{b_out[0]}, A = {a!r} expects {a_in[1]}"
        )
    a_fixed, b_fixed = a._fixed_in(), b._fixed_in()
    if a_fixed is not None and b_fixed is not None:
        mid = b.out_struct(b_fixed)
        if tuple(mid.shape) != tuple(a_fixed.shape):
            raise ValueError(
                f"compose: shape mismatch in A @ B: B = {b!r} produces shape {tuple(mid.shape)}, "
                f"A = {a!r} is bound to inputs of shape {tuple(a_fixed.shape)}"
            )
    return Compose(a, b)


@pytree_node(data=("left", "right"))
class Sum(Operator):
    """``left + right``: both applied to the same input, outputs added."""

    left: Operator
    right: Operator

    def _label(self) -> str:
        return f"({self.left!r} + {self.right!r})"

    def _sym(self, x: str) -> str:
        return f"({self.left._sym(x)} + {self.right._sym(x)})"

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        sa, da = self.left._infer(shape, dtype)
        sb, db = self.right._infer(shape, dtype)
        if sa != sb:
            raise ValueError(
                f"add: A + B needs equal output shapes; on input shape {shape}, A = "
                f"{self.left!r} gives {sa} and B = {self.right!r} gives {sb}"
            )
        return sa, np.result_type(da, db)

    def _apply(self, x: jax.Array) -> jax.Array:
        a, b = self.left._apply(x), self.right._apply(x)
        dt = np.result_type(a.dtype, b.dtype)
        return a.astype(dt) + b.astype(dt)

    def _channels(self):
        return self.left._channels()

    def _fixed_in(self):
        return self.left._fixed_in() or self.right._fixed_in()


def add(a: Operator, b: Operator) -> Operator:
    fa, fb = a._fixed_in(), b._fixed_in()
    if fa is not None and fb is not None and tuple(fa.shape) != tuple(fb.shape):
        raise ValueError(
            f"add: A + B needs the same input; A = {a!r} is bound to shape {tuple(fa.shape)}, "
            f"B = {b!r} to {tuple(fb.shape)}"
        )
    return Sum(a, b)


@pytree_node(data=("c",))
class Scale(Operator):
    """``c * op``; a Python scalar ``c`` is weak (adopts the operator's precision)."""

    c: Any
    op: Operator
    weak: bool

    def _label(self) -> str:
        c = self.c if self.weak else f"array{tuple(np.shape(self.c))}"
        return f"{c} * {self.op!r}"

    def _sym(self, x: str) -> str:
        c = self.c if self.weak else "c"
        if self.weak and c == -1:
            return f"-{wrap_sym(self.op._sym(x))}"
        return f"{c}·{wrap_sym(self.op._sym(x))}"

    def _dtype(self, dtype: np.dtype) -> np.dtype:
        return kernel_dtype(dtype, jnp.asarray(self.c).dtype, self.weak)

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        s, d = self.op._infer(shape, dtype)
        if np.ndim(self.c) != 0:
            raise ValueError(f"scale: c * A needs a scalar c, got shape {np.shape(self.c)}")
        return s, self._dtype(d)

    def _apply(self, x: jax.Array) -> jax.Array:
        y = self.op._apply(x)
        dt = self._dtype(y.dtype)
        return y.astype(dt) * jnp.asarray(self.c).astype(dt)

    def _channels(self):
        return self.op._channels()

    def _fixed_in(self):
        return self.op._fixed_in()


def scale(c: Any, op: Operator) -> Operator:
    weak = isinstance(c, numbers.Number) and not hasattr(c, "dtype")
    if not weak:
        if not hasattr(c, "dtype") or np.ndim(c) != 0:
            raise TypeError(f"scale: c * A needs a scalar c (a number or a 0-d array), got {c!r}")
    return Scale(c, op, weak)


@pytree_node(data=("op",))
class Bound(Operator):
    """``op`` bound to inputs of one shape and dtype; enables ``.T`` and ``.H``."""

    op: Operator
    shape: tuple[int, ...]
    dtype: np.dtype

    def _label(self) -> str:
        return f"{self.op!r}.on({self.shape}, {np.dtype(self.dtype).name})"

    def _sym(self, x: str) -> str:
        return self.op._sym(x)

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        if tuple(shape) != self.shape:
            raise ValueError(
                f"{self!r}: bound to inputs of shape {self.shape}, got shape {tuple(shape)}"
            )
        return self.op._infer(shape, dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        return self.op._apply(x)

    def _channels(self):
        return self.op._channels()

    def _fixed_in(self):
        return jax.ShapeDtypeStruct(self.shape, self.dtype)


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
    n_in, n_out = _shapes.size(s.shape), _shapes.size(out.shape)
    if n_in * n_out > max_entries:
        raise ValueError(
            f"matrix: the dense matrix of {op!r} on shape {tuple(s.shape)} would be "
            f"{n_out} x {n_in} = {n_in * n_out} entries, above max_entries={max_entries}; "
            "use a smaller input or raise max_entries"
        )
    return _dense(op, s)


@functools.partial(jax.jit, static_argnums=1)
def _dense(op: Operator, s: jax.ShapeDtypeStruct) -> jax.Array:
    n_in = _shapes.size(s.shape)
    eye = jnp.eye(n_in, dtype=s.dtype).reshape((n_in, *s.shape))
    return jax.vmap(lambda e: op(e).ravel())(eye).T
