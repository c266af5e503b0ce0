"""One compiled program per operator and input shape, for the eager transforms."""

from __future__ import annotations

import jax

import convalgebra as ca


@jax.jit
def run(op: ca.Operator, x: jax.Array) -> jax.Array:
    """``op(x)`` as one compiled program (cached per operator structure and input shape).

    Operators are pytrees (kernels are leaves), so eager calls of the transforms compile once
    per shape instead of dispatching the lowered program op by op; under an outer ``jax.jit``
    this is inlined.
    """
    return op(x)
