"""Operators with several outputs: analysis banks ``x -> (y_0, ..., y_{C-1})`` and cascades.

A single-level bank is one convalgebra operator on a channel axis, ``(..., 1, n) -> (..., C, m)``
(all its filters as the output channels of one convolution: one strided / polyphase program),
split into a tuple. Its transpose (the synthesis bank) is derived by ``ca.transpose`` of that one
operator, so the lowering's fast forms (strided <-> polyphase) carry over. A cascade applies banks
on the low branch, level after level; its outputs have different lengths, and its transpose is
``jax.linear_transpose`` of the cascade (the core transposes single-array operators only).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
from convalgebra._static.structs import node


@jax.jit
def run(op: ca.Operator, x: jax.Array) -> jax.Array:
    """``op(x)`` as one compiled program (cached per operator structure and input shape).

    Operators are pytrees (kernels are leaves), so eager calls of the transforms compile once
    per shape instead of dispatching the lowered program op by op; under an outer ``jax.jit``
    this is inlined.
    """
    return op(x)


def _struct(x_like: Any) -> jax.ShapeDtypeStruct:
    if hasattr(x_like, "shape") and hasattr(x_like, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x_like.shape), np.dtype(x_like.dtype))
    if isinstance(x_like, (tuple, list)) and all(isinstance(n, int) for n in x_like):
        return jax.ShapeDtypeStruct(tuple(x_like), jnp.zeros((), float).dtype)
    raise TypeError(
        f"bank: x_like must be an array, a jax.ShapeDtypeStruct or a shape tuple, got {x_like!r}"
    )


@node(data=("stacked",))
class Bank:
    """A filter bank ``x -> (y_0, ..., y_{C-1})`` on the last axis, held as one operator.

    ``stacked`` maps ``(..., 1, n) -> (..., C, m)``; ``bank(x)`` returns its ``C`` channels as a
    tuple of ``(..., m)`` arrays. ``names`` label the outputs (e.g. ``("a", "d")``).
    """

    stacked: ca.Operator
    names: tuple[str, ...]

    def __call__(self, x: jax.typing.ArrayLike) -> tuple[jax.Array, ...]:
        y = run(self.stacked, jnp.asarray(x)[..., None, :])
        return tuple(y[..., c, :] for c in range(len(self.names)))

    def _in(self, x_like: Any) -> jax.ShapeDtypeStruct:
        s = _struct(x_like)
        return jax.ShapeDtypeStruct((*s.shape[:-1], 1, s.shape[-1]), s.dtype)

    def out_struct(self, x_like: Any) -> tuple[jax.ShapeDtypeStruct, ...]:
        """The shape and dtype of each output for an input like ``x_like``."""
        o = self.stacked.out_struct(self._in(x_like))
        one = jax.ShapeDtypeStruct((*o.shape[:-2], o.shape[-1]), o.dtype)
        return (one,) * len(self.names)

    def notation(self, x: str = "x") -> str:
        """``(y_a, y_d) = split(...)``: the stacked expression in the DSP notation."""
        return f"({', '.join('y_' + n for n in self.names)}) = {self.stacked.notation(x)}"

    def transpose(self, x_like: Any, conj: bool = False):
        """The synthesis bank ``(y_0, ..., y_{C-1}) -> x``: ``ca.transpose`` of the one operator.

        Args:
          x_like: the analysis input (array, ``jax.ShapeDtypeStruct`` or shape).
          conj: the adjoint (conjugate transpose) instead.

        Returns:
          A function of the ``C`` coefficient arrays returning an array like ``x_like``.
        """
        s = self._in(x_like)
        t = ca.adjoint(self.stacked, s) if conj else ca.transpose(self.stacked, s)

        def synth(*ys: jax.Array) -> jax.Array:
            if len(ys) != len(self.names):
                raise ValueError(
                    f"bank transpose: takes {len(self.names)} coefficient arrays "
                    f"({self.names}), got {len(ys)}"
                )
            return t(jnp.stack(ys, axis=-2))[..., 0, :]

        return synth

    def matrix(self, x_like: Any) -> jax.Array:
        """The dense matrix: rows are the outputs stacked channel after channel."""
        return ca.matrix(self.stacked, self._in(x_like))

    def explain(self, x_like: Any) -> Any:
        """``ca.explain`` of the one stacked operator (notation, rewrites, lax ops)."""
        return ca.explain(self.stacked, self._in(x_like))

    def check_adjoint(self, x_like: Any) -> float:
        """``ca.testing.check_adjoint`` of the stacked operator (dot test, ~1e-16 in float64)."""
        return ca.testing.check_adjoint(self.stacked, self._in(x_like))


@node(data=("levels",))
class Cascade:
    """Banks applied on the low branch, level after level: ``x -> (a_L, d_L, ..., d_1)``.

    ``levels[j]`` acts on the approximation of level ``j`` (``levels[0]`` on ``x``); each returns
    ``(a, d)`` (or more detail outputs, all kept).
    """

    levels: tuple[Any, ...]

    def __call__(self, x: jax.typing.ArrayLike) -> list[jax.Array]:
        a = jnp.asarray(x)
        details: list[Any] = []
        for bank in self.levels:
            a, *d = bank(a)
            details.append(d[0] if len(d) == 1 else tuple(d))
        return [a, *details[::-1]]

    def transpose(self, x_like: Any, conj: bool = False):
        """``(a_L, d_L, ..., d_1) -> x``: ``jax.linear_transpose`` of the whole cascade."""
        s = _struct(x_like)
        t = jax.linear_transpose(self.__call__, s)

        def synth(coeffs):
            if conj:
                return jnp.conj(t(jax.tree.map(jnp.conj, list(coeffs)))[0])
            return t(list(coeffs))[0]

        return synth
