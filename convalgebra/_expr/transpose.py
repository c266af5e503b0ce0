"""Transposes: :func:`transpose` and :func:`adjoint`, derived by JAX (``jax.linear_transpose`` or
``jax.vjp``) of the lowered program, and the :class:`Transposed` node they build.

Both routes are real: ``linear_transpose`` transposes the program emitted in its "linear" form,
``vjp`` differentiates the forward one; the lowering makes both fast (polyphase and strided
forms, never ``lhs_dilation``). Operators with several inputs or outputs transpose the same way
(their cotangents are tuples).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._lower import ir
from .._static.structs import (
    as_struct_tree,
    common_dtype,
    inexact,
    node,
    struct_leaves,
    tree_shapes,
)
from .node import (
    Bound,
    Operator,
    Tree,
    TreeOp,
    map_structs,
    same_shapes,
    wrap_sym,
    zeros_like_struct,
)

# ---- transposes ---------------------------------------------------------------------------------
METHODS = ("linear_transpose", "vjp")


def _pullback(op: Operator, struct: Tree, method: str) -> Callable:
    """``y -> Aᵀ y`` for ``A = op`` as written, on inputs of structure ``struct``."""
    f = op._apply
    if method == "linear_transpose":
        t = jax.linear_transpose(f, struct)
        return lambda y: t(y)[0]
    zeros = zeros_like_struct(struct)
    return lambda y: jax.vjp(f, zeros)[1](y)[0]


@node(data=("bound",))
class Transposed(TreeOp):
    """``Aᵀ`` (or ``Aᴴ`` when ``conj``) of a bound operator, derived by JAX when applied.

    ``method="linear_transpose"`` runs ``jax.linear_transpose`` of the lowered program,
    ``method="vjp"`` the pullback of ``jax.vjp``: two programs, equal values.
    """

    bound: Bound
    method: str
    conj: bool

    def _label(self) -> str:
        return f"({self.bound!r}).{'H' if self.conj else 'T'}"

    def _sym(self, x: str) -> str:
        return f"({self.bound.op._sym('·')}){'ᴴ' if self.conj else 'ᵀ'} {wrap_sym(x)}"

    def _in_struct(self) -> Tree:
        return self.bound.out_struct(self.bound.struct)

    def _infer_tree(self, s: Tree) -> Tree:
        want = self._in_struct()
        if not same_shapes(s, want):
            raise ValueError(
                f"{self!r}: the transpose takes arrays of the operator's output shape "
                f"{tree_shapes(want)}, got shape {tree_shapes(s)}"
            )
        for got, w in zip(struct_leaves(s), struct_leaves(want)):
            dtype = np.dtype(got.dtype)
            if inexact(dtype) and common_dtype(dtype, w.dtype) != np.dtype(w.dtype):
                raise ValueError(
                    f"{self!r}: the transpose takes arrays of the operator's output dtype "
                    f"{np.dtype(w.dtype).name}; got {dtype.name}, which cannot be cast to it "
                    "without loss (bind the operator to a complex or wider x_like instead)"
                )
        return self.bound.struct

    def _apply(self, x: Any) -> Any:
        y = jax.tree_util.tree_map(
            lambda a, w: a.astype(w.dtype), x, self._in_struct(),
            is_leaf=lambda n: isinstance(n, jax.ShapeDtypeStruct),
        )  # fmt: skip
        return _apply_transposed(self, y)

    def _ir(self, s: Tree) -> ir.IR:
        b = self.bound
        return ir.Pullback(
            body=b.op._ir(b.struct),
            in_struct=b.struct,
            out_dtypes=map_structs(lambda a: np.dtype(a.dtype), self._in_struct()),
            method=self.method,
            conj=self.conj,
        )

    def _channels(self):
        cin, cout = self.bound._channels()
        return cout, cin

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


@jax.jit
def _apply_transposed(t: Transposed, y: Any) -> Any:
    pull = _pullback(t.bound.op, t.bound.struct, t.method)
    if t.conj:
        return jax.tree_util.tree_map(jnp.conj, pull(jax.tree_util.tree_map(jnp.conj, y)))
    return pull(y)


def _bind(op: Operator, x_like: Any, method: str, what: str) -> Bound:
    if method not in METHODS:
        raise ValueError(f"{what}: method must be one of {METHODS}, got {method!r}")
    struct = as_struct_tree(x_like)
    for leaf in struct_leaves(struct):
        if not inexact(leaf.dtype):
            raise ValueError(
                f"{what}: x_like has dtype {np.dtype(leaf.dtype).name}; a transpose needs a "
                "floating or complex input (JAX transposes only those): bind a floating x_like"
            )
    if isinstance(op, Bound):
        bound: Bound = op
        if not same_shapes(bound.struct, struct):
            raise ValueError(
                f"{what}: {op!r} is bound to shape {bound.shape}, x_like has {tree_shapes(struct)}"
            )
    else:
        bound = op.on(struct)
    out = bound.out_struct(bound.struct)
    cplx = [jnp.issubdtype(a.dtype, jnp.complexfloating) for a in struct_leaves(bound.struct)]
    for o in struct_leaves(out):
        if jnp.issubdtype(o.dtype, jnp.complexfloating) and not all(cplx):
            raise ValueError(
                f"{what}: {op!r} maps real inputs to complex {np.dtype(o.dtype).name} outputs; "
                "over the reals its transpose is Re(Mᵀ y), not the matrix transpose. Bind it to "
                "a complex x_like (e.g. x.astype(complex64)) to get Mᵀ (transpose) or Mᴴ "
                "(adjoint)"
            )
    _check_linear(bound.op, bound.struct, what)
    return bound


def _check_linear(op: Operator, struct: Tree, what: str) -> None:
    """Raises ``ValueError`` if JAX cannot transpose ``op`` (it is not linear in its input)."""
    out = op.out_struct(struct)
    try:
        jax.eval_shape(jax.linear_transpose(op._apply, struct), out)
    except (NotImplementedError, AssertionError, TypeError, ValueError) as e:
        msg = str(e).strip().splitlines()[0] if isinstance(e, NotImplementedError) else ""
        msg = msg or "it combines the input non-linearly"
        raise ValueError(
            f"{what}: {op!r} is not linear in its input, so it has no transpose (JAX could not "
            f"transpose it: {msg})"
        ) from e


def transpose(op: Operator, x_like: Any, method: str = "linear_transpose") -> Operator:
    """The transpose ``Aᵀ`` of ``A = op`` on inputs like ``x_like``, derived by JAX.

    JAX's transpose does not conjugate: for complex operators use :func:`adjoint`.

    Args:
      op: a linear operator.
      x_like: an array or ``jax.ShapeDtypeStruct`` for the input of ``op``; it fixes the shape of
        ``Aᵀ``'s output (``↓2`` maps 7 and 8 samples to 4, so the transpose needs to know which).
      method: ``"linear_transpose"`` (``jax.linear_transpose`` of the lowered program) or
        ``"vjp"`` (the pullback of ``jax.vjp``): two different programs with the same values,
        both fast (polyphase and strided forms, never ``lhs_dilation``).

    Returns:
      An operator from ``op``'s output shape to its input shape. ``transpose(A, x).T`` is ``A``.

    Raises:
      ValueError: if ``op`` is not linear (JAX cannot transpose it), ``x_like`` does not fit or
        is not floating, or ``op`` maps real inputs to complex outputs (bind a complex x_like).

    Examples:
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
