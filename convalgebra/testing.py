"""Public verification helpers: the dot-product test, linearity and matrix checks.

Like ``jax.test_util.check_grads``, each check raises ``AssertionError`` when the measured error
exceeds its tolerance (``rtol``/``atol``; the default depends on the dtype, see
:func:`default_tolerance`), and returns the measured error so a caller can also report it. They
depend on no test framework.
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

__all__ = [
    "check_adjoint",
    "check_linear",
    "check_matrix",
    "default_tolerance",
    "random_like",
]


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


_TOLERANCE = {2: 5e-2, 4: 1e-4, 8: 1e-10}  # by the bytes of the real component


def default_tolerance(*dtypes: Any) -> float:
    """The default relative tolerance of the checks for data of these dtypes: ``5e-2`` for
    16-bit floats, ``1e-4`` for float32/complex64, ``1e-10`` for float64/complex128 (the least
    precise dtype decides).

    Examples:
      >>> import convalgebra as ca
      >>> ca.testing.default_tolerance("float32", "float64")
      0.0001
    """
    sizes = []
    for d in dtypes:
        d = np.dtype(d)
        real = d.itemsize // 2 if jnp.issubdtype(d, jnp.complexfloating) else d.itemsize
        sizes.append(min(max(real, 2), 8))
    return _TOLERANCE[min(sizes)] if sizes else _TOLERANCE[8]


def _leaf_dtypes(tree: Any) -> list[Any]:
    return [leaf.dtype for leaf in jax.tree_util.tree_leaves(tree)]


def _assert(fn: str, err: float, tol: float, what: str) -> float:
    if not err <= tol:  # also refuses NaN
        raise AssertionError(f"{fn}: {what} {err:.3g} exceeds the tolerance {tol:.3g}")
    return err


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
    op: Operator,
    x_like: Any,
    *,
    rtol: float | None = None,
    key: int = 0,
    method: str = "linear_transpose",
) -> float:
    """The dot-product test: asserts ``⟨A x, y⟩ = ⟨x, Aᴴ y⟩`` for random ``x``, ``y``.

    Args:
      op: a linear operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` (or a tuple of them) for the input.
      rtol: the largest relative error accepted; ``None`` is :func:`default_tolerance` of the
        input and output dtypes.
      key: seed for the random ``x`` and ``y``.
      method: how the adjoint is derived, ``"linear_transpose"`` or ``"vjp"``.

    Returns:
      ``|⟨A x, y⟩ - ⟨x, Aᴴ y⟩| / (‖A x‖ ‖y‖ + ‖x‖ ‖Aᴴ y‖)`` as a Python float: about the machine
      epsilon of the dtype for a correct adjoint.

    Raises:
      AssertionError: the error exceeds ``rtol`` (or is NaN).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.testing.check_adjoint(ca.down(2) @ ca.corr(jnp.ones(3)), jnp.zeros(8)) < 1e-6
      True
    """
    s = as_struct_tree(x_like)
    out = op.out_struct(s)
    kx, ky = jax.random.split(jax.random.key(key))
    x = random_like(s, kx)
    y = random_like(out, ky)
    err = float(_dot_test(op, x, y, method))
    tol = default_tolerance(*_leaf_dtypes(s), *_leaf_dtypes(out)) if rtol is None else rtol
    return _assert("check_adjoint", err, tol, f"dot-test error ({method})")


@functools.partial(jax.jit, static_argnames="method")
def _dot_test(op: Operator, x: Any, y: Any, method: str) -> jax.Array:
    ax = op(x)
    ahy = adjoint(op, struct_of(x), method=method)(y)
    lhs, rhs = _vdot(ax, y), _vdot(x, ahy)
    norm = _norm(ax) * _norm(y) + _norm(x) * _norm(ahy)
    return jnp.abs(lhs - rhs) / jnp.maximum(norm, 1e-30)


def check_linear(op: Operator, x_like: Any, *, rtol: float | None = None, key: int = 0) -> float:
    """Asserts ``A(a x + b y) = a A(x) + b A(y)`` and ``A(0) = 0`` for random inputs.

    Catches what JAX's transposition does not: affine offsets (``x + 1``) and other non-linear
    functions wrapped with :func:`convalgebra.linear`.

    Args:
      op: the operator to check.
      x_like: an array or ``jax.ShapeDtypeStruct`` for the input.
      rtol: the largest relative error accepted (``None``: :func:`default_tolerance`).
      key: seed for the random inputs.

    Returns:
      The relative error, a Python float.

    Raises:
      AssertionError: the error exceeds ``rtol``.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.testing.check_linear(ca.down(2), jnp.zeros(8))
      0.0
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
    tol = default_tolerance(s.dtype) if rtol is None else rtol
    return _assert("check_linear", float(err), tol, "linearity error")


def check_matrix(op: Operator, x_like: Any, expected: Any, *, atol: float | None = None) -> float:
    """Asserts that ``matrix(op, x_like)`` equals ``expected`` (same argument order as
    :func:`convalgebra.matrix`, then the expected matrix).

    Args:
      op: the operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` for the input.
      expected: the expected dense matrix, shaped ``(output size, input size)``.
      atol: the largest absolute difference accepted (``None``: :func:`default_tolerance` of
        the input dtype, times the largest entry of ``expected``).

    Returns:
      The largest absolute difference, a Python float.

    Raises:
      AssertionError: the shapes differ or the difference exceeds ``atol``.

    Examples:
      >>> import numpy as np, jax.numpy as jnp, convalgebra as ca
      >>> ca.testing.check_matrix(ca.down(2), jnp.zeros(4), np.eye(4)[::2])
      0.0
    """
    got = np.asarray(matrix(op, x_like))
    exp = np.asarray(expected)
    if got.shape != exp.shape:
        raise AssertionError(f"check_matrix: shape {got.shape} != expected {exp.shape}")
    err = float(np.max(np.abs(got - exp))) if got.size else 0.0
    if atol is None:
        scale = float(np.max(np.abs(exp))) if exp.size else 1.0
        atol = default_tolerance(as_struct(x_like).dtype) * max(scale, 1.0)
    return _assert("check_matrix", err, atol, "largest difference")
