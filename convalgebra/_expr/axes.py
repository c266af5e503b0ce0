"""``axis=``: an operator applied to any axes, not only the trailing ones."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._lower import ir
from .._static import shapes as _shapes
from .._static.structs import Shape, node
from .node import Operator, wrap_sym


def canonical_axes(name: str, axis: Any) -> tuple[int, ...]:
    """An int or a tuple of distinct ints (negative allowed), as a tuple."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(_shapes.as_int(name, "axis", a) for a in axes)
    if not out:
        raise ValueError(f"{name}: axis must name at least one axis, got {axis!r}")
    return out


@node(data=("op",))
class OnAxes(Operator):
    """``op`` acting on ``axes`` of its input (moved to the end, then back).

    ``op`` acts on trailing axes; ``OnAxes`` moves ``axes`` (in order) to the end, applies it and
    moves the results back, so the output has the input's axis order.
    """

    op: Operator
    axes: tuple[int, ...]

    def _perm(self, rank: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        norm = []
        for a in self.axes:
            if not -rank <= a < rank:
                raise ValueError(
                    f"{self.op!r}: axis {a} is out of range for an input of rank {rank}"
                )
            norm.append(a % rank)
        if len(set(norm)) != len(norm):
            raise ValueError(f"{self.op!r}: axis {self.axes} names an axis twice")
        perm = tuple([i for i in range(rank) if i not in norm] + norm)
        return perm, tuple(int(i) for i in np.argsort(perm))

    def _label(self) -> str:
        return f"{self.op!r}.on_axes({self.axes})"

    def _sym(self, x: str) -> str:
        ax = ",".join(map(str, self.axes))
        return f"{wrap_sym(self.op._sym('·'))}[axis {ax}] {wrap_sym(x)}"

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        perm, inv = self._perm(len(shape))
        out, dt = self.op._infer(tuple(shape[i] for i in perm), dtype)
        if len(out) != len(shape):
            raise ValueError(f"{self!r}: axis= needs an operator that keeps the rank")
        return tuple(out[i] for i in inv), dt

    def _apply(self, x: jax.Array) -> jax.Array:
        perm, inv = self._perm(x.ndim)
        return jnp.transpose(self.op._apply(jnp.transpose(x, perm)), inv)

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        perm, inv = self._perm(len(shape))
        moved = tuple(shape[i] for i in perm)
        steps = (ir.Permute(perm=perm), self.op.to_ir(moved, dtype), ir.Permute(perm=inv))
        return ir.Seq(steps=steps)

    def _channels(self):
        return None, None


def on_axes(op: Operator, axis: Any) -> Operator:
    """``op`` acting on ``axis`` (an int or a tuple, in order) instead of the trailing axes.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.down(2, axis=0)(jnp.arange(8.0).reshape(4, 2)).tolist()
      [[0.0, 1.0], [4.0, 5.0]]
    """
    return OnAxes(op, canonical_axes("axis", axis))
