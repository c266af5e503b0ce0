"""Transposes and adjoints, derived by JAX (``jax.linear_transpose`` or ``jax.vjp``).

Nothing here knows how to transpose a particular operator: the forward program is traced and JAX
transposes it. The structural rules (``↓ᵀ = ↑``, ``conv(q)ᵀ = corr(q)``, ...) are used only as
test oracles and by the rewrite layer.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._algebra import Bound
from ._base import Operator, Shape, as_struct, pytree_node, wrap_sym

METHODS = ("linear_transpose", "vjp")


def _pullback(op: Operator, struct: jax.ShapeDtypeStruct, method: str):
    """A function ``y -> Aᵀ y`` for ``A = op`` on inputs of ``struct``, ``A`` as written.

    This is the transpose of the expression evaluated as written; the lowering engine, when
    installed, evaluates ``Transposed`` nodes itself from the lowered forward program.
    """
    f = op._apply
    if method == "linear_transpose":
        t = jax.linear_transpose(f, struct)
        return lambda y: t(y)[0]
    zeros = jnp.zeros(struct.shape, struct.dtype)
    return lambda y: jax.vjp(f, zeros)[1](y)[0]


@jax.jit
def _apply_transposed(t: Transposed, y: jax.Array) -> jax.Array:
    # Jitted so that eager use runs one compiled program (cached per operator structure) instead
    # of the transposed program op by op; under an outer jit it is inlined.
    pull = _pullback(t.bound.op, t.bound._fixed_in(), t.method)
    if t.conj:
        return jnp.conj(pull(jnp.conj(y)))
    return pull(y)


@pytree_node(data=("bound",))
class Transposed(Operator):
    """``Aᵀ`` (or ``Aᴴ`` when ``conj``) of a bound operator, derived by JAX when applied."""

    bound: Bound
    method: str
    conj: bool

    def _label(self) -> str:
        return f"({self.bound!r}).{'H' if self.conj else 'T'}"

    def _sym(self, x: str) -> str:
        return f"({self.bound.op._sym('·')}){'ᴴ' if self.conj else 'ᵀ'} {wrap_sym(x)}"

    def _in_struct(self) -> jax.ShapeDtypeStruct:
        return self.bound.out_struct(self.bound._fixed_in())

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        want = self._in_struct()
        if tuple(shape) != tuple(want.shape):
            raise ValueError(
                f"{self!r}: the transpose takes arrays of the operator's output shape "
                f"{tuple(want.shape)}, got shape {tuple(shape)}"
            )
        if not np.can_cast(dtype, want.dtype, "safe"):
            raise ValueError(
                f"{self!r}: the transpose takes arrays of the operator's output dtype "
                f"{np.dtype(want.dtype).name}; got {np.dtype(dtype).name}, which cannot be cast "
                "to it without loss (bind the operator to a complex or wider x_like instead)"
            )
        return tuple(self.bound.shape), np.dtype(self.bound.dtype)

    def _apply(self, y: jax.Array) -> jax.Array:
        return _apply_transposed(self, y.astype(self._in_struct().dtype))

    def _fixed_in(self):
        return self._in_struct()

    @property
    def T(self) -> Operator:
        if not self.conj:
            return self.bound  # (Aᵀ)ᵀ = A
        return super().T

    @property
    def H(self) -> Operator:
        if self.conj:
            return self.bound  # (Aᴴ)ᴴ = A
        return super().H


def _check_linear(op: Operator, struct: jax.ShapeDtypeStruct, what: str) -> None:
    """Raises ``ValueError`` if JAX cannot transpose ``op`` (it is not linear in its input)."""
    out = op.out_struct(struct)
    try:
        jax.eval_shape(jax.linear_transpose(op.__call__, struct), out)
    except (NotImplementedError, AssertionError, TypeError, ValueError) as e:
        msg = str(e).strip().splitlines()[0] if isinstance(e, NotImplementedError) else ""
        msg = msg or "it combines the input non-linearly"
        raise ValueError(
            f"{what}: {op!r} is not linear in its input, so it has no transpose (JAX could not "
            f"transpose it: {msg})"
        ) from e


def _bind(op: Operator, x_like: Any, method: str, what: str) -> Bound:
    if method not in METHODS:
        raise ValueError(f"{what}: method must be one of {METHODS}, got {method!r}")
    struct = as_struct(x_like)
    if isinstance(op, Bound):
        if tuple(op.shape) != tuple(struct.shape):
            raise ValueError(
                f"{what}: {op!r} is bound to shape {op.shape}, x_like has {tuple(struct.shape)}"
            )
        bound = op
    else:
        bound = op.on(struct)
    _check_linear(bound.op, bound._fixed_in(), what)
    return bound


def transpose(op: Operator, x_like: Any, method: str = "linear_transpose") -> Operator:
    """The transpose ``Aᵀ`` of ``A = op`` on inputs like ``x_like``, derived by JAX.

    JAX's transpose does not conjugate: for complex operators use :func:`adjoint`.

    Args:
      op: a linear operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` for the input of ``op``; it fixes the shape of
        ``Aᵀ``'s output (``↓2`` maps 7 and 8 samples to 4, so the transpose needs to know which).
      method: ``"linear_transpose"`` (``jax.linear_transpose``) or ``"vjp"`` (the pullback of
        ``jax.vjp``); both give the same operator.

    Returns:
      An operator from ``op``'s output shape to its input shape. ``transpose(A, x).T`` is ``A``.

    Raises:
      ValueError: if ``op`` is not linear (JAX cannot transpose it) or ``x_like`` does not fit.

    Example:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.transpose(ca.down(2), jnp.zeros(4))(jnp.array([1.0, 2.0])).tolist()
      [1.0, 0.0, 2.0, 0.0]
    """
    return Transposed(_bind(op, x_like, method, "transpose"), method, False)


def adjoint(op: Operator, x_like: Any, method: str = "linear_transpose") -> Operator:
    """The conjugate transpose ``Aᴴ`` (``y -> conj(Aᵀ conj(y))``); arguments as :func:`transpose`.

    ``⟨A x, y⟩ = ⟨x, Aᴴ y⟩`` with ``⟨a, b⟩ = sum(a * conj(b))``.
    """
    return Transposed(_bind(op, x_like, method, "adjoint"), method, True)
