"""Public verification helpers: the dot-product test, linearity and matrix checks.

They return measured errors (so callers choose tolerances) and never depend on a test framework.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._expr.matrix import matrix
from ._expr.node import Operator, struct_of
from ._expr.transpose import adjoint
from ._static.structs import as_struct, as_struct_tree, inexact, is_multi


def random_like(struct: Any, key: jax.Array | int = 0) -> Any:
    """A standard-normal array of ``struct``'s shape and dtype (complex: both parts normal); a
    tuple of them for a tuple of structures."""
    key = jax.random.key(key) if isinstance(key, int) else key
    if is_multi(struct):
        keys = jax.random.split(key, len(struct))
        return tuple(random_like(e, k) for e, k in zip(struct, keys))
    s = as_struct(struct)
    dtype = np.dtype(s.dtype)
    if np.issubdtype(dtype, np.complexfloating):
        real = np.finfo(dtype).dtype
        kr, ki = jax.random.split(key)
        return jax.lax.complex(
            jax.random.normal(kr, s.shape, real), jax.random.normal(ki, s.shape, real)
        )
    if not inexact(dtype):
        raise TypeError(f"random_like: needs a floating or complex dtype, got {dtype}")
    return jax.random.normal(key, s.shape, dtype)


def _total(terms: list[jax.Array]) -> jax.Array:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _vdot(a: Any, b: Any) -> jax.Array:
    pairs = zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    return _total([jnp.sum(u * jnp.conj(v)) for u, v in pairs])


def _norm(a: Any) -> jax.Array:
    return jnp.sqrt(_total([jnp.sum(jnp.abs(u) ** 2) for u in jax.tree_util.tree_leaves(a)]))


def check_adjoint(
    op: Operator, x_like: Any, key: int = 0, method: str = "linear_transpose"
) -> float:
    """The dot-product test: relative error of ``⟨A x, y⟩ = ⟨x, Aᴴ y⟩`` for random ``x``, ``y``.

    Args:
      op: a linear operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` for the input.
      key: seed for the random ``x`` and ``y``.
      method: how the adjoint is derived, ``"linear_transpose"`` or ``"vjp"``.

    Returns:
      ``|⟨A x, y⟩ - ⟨x, Aᴴ y⟩| / (‖A x‖ ‖y‖ + ‖x‖ ‖Aᴴ y‖)`` as a Python float: about the machine
      epsilon of the dtype for a correct adjoint.

    Example:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.testing.check_adjoint(ca.down(2) @ ca.corr(jnp.ones(3)), jnp.zeros(8)) < 1e-6
      True
    """
    s = as_struct_tree(x_like)
    out = op.out_struct(s)
    kx, ky = jax.random.split(jax.random.key(key))
    x = random_like(s, kx)
    y = random_like(out, ky)
    return float(_dot_test(op, x, y, method))


@functools.partial(jax.jit, static_argnames="method")
def _dot_test(op: Operator, x: Any, y: Any, method: str) -> jax.Array:
    ax = op(x)
    ahy = adjoint(op, struct_of(x), method=method)(y)
    lhs, rhs = _vdot(ax, y), _vdot(x, ahy)
    norm = _norm(ax) * _norm(y) + _norm(x) * _norm(ahy)
    return jnp.abs(lhs - rhs) / jnp.maximum(norm, 1e-30)


def check_linear(op: Operator, x_like: Any, key: int = 0) -> float:
    """Relative error of ``A(a x + b y) = a A(x) + b A(y)`` and ``A(0) = 0`` for random inputs.

    Catches what JAX's transposition does not: affine offsets (``x + 1``) and other non-linear
    functions wrapped with :func:`convalgebra.linear`.
    """
    s = as_struct(x_like)
    kx, ky = jax.random.split(jax.random.key(key))
    x, y = random_like(s, kx), random_like(s, ky)
    a, b = 0.7, -1.3
    lhs = op(a * x + b * y)
    rhs = a * op(x) + b * op(y)
    zero = op(jnp.zeros(s.shape, s.dtype))
    scale = jnp.linalg.norm(op(x)) + jnp.linalg.norm(op(y))
    err = (jnp.linalg.norm(lhs - rhs) + jnp.linalg.norm(zero)) / jnp.maximum(scale, 1e-30)
    return float(err)


def check_matrix(op: Operator, expected: Any, x_like: Any) -> float:
    """Max absolute difference between ``matrix(op, x_like)`` and ``expected``."""
    got = np.asarray(matrix(op, x_like))
    exp = np.asarray(expected)
    if got.shape != exp.shape:
        raise AssertionError(f"check_matrix: shape {got.shape} != expected {exp.shape}")
    return float(np.max(np.abs(got - exp))) if got.size else 0.0
