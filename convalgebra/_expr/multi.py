"""Operators with several inputs or outputs: :func:`branch`, :func:`join` and :func:`parallel`.

A filter bank is ``branch``: one input, several outputs (``x -> (A x, B x)``, PyLops' ``VStack``);
its transpose, the synthesis bank, is a ``join``: several inputs, one output
(``(y₀, y₁) -> Aᵀ y₀ + Bᵀ y₁``, ``HStack``); ``parallel`` applies one operator per input
(``BlockDiag``), so a multi-level transform is ``parallel(bank, identity()) @ bank``. Outputs may
have different shapes and nest (tuples of tuples); ``ca.transpose``, ``ca.matrix``,
``ca.explain`` and ``ca.testing.check_adjoint`` take them like any operator. The lowering runs
the branches of a bank that share their geometry as ONE convolution (rule ``stack_branches``).
"""

from __future__ import annotations

from typing import Any

import jax

from .._lower import ir
from .._static.structs import common_dtype, node, tree_shapes
from .node import Operator, Tree, TreeOp, same_shapes, single


def _check_ops(fn: str, ops: tuple[Any, ...], allow_none: bool = False) -> tuple[Operator, ...]:
    from .primitives import identity

    if not ops:
        raise ValueError(f"{fn}: needs at least one operator")
    out = []
    for i, op in enumerate(ops):
        if op is None and allow_none:
            op = identity()
        if not isinstance(op, Operator):
            raise TypeError(f"{fn}: argument {i} must be a ca.Operator, got {type(op).__name__}")
        out.append(op)
    return tuple(out)


def _inputs(fn: str, s: Tree, n: int) -> tuple[Tree, ...]:
    if single(s) or len(s) != n:
        got = "one array" if single(s) else f"{len(s)} inputs"
        raise ValueError(
            f"{fn}: takes a tuple of {n} inputs (one per operator), got {got} of shape "
            f"{tree_shapes(s)}"
        )
    return tuple(s)


def _fixed(ops: tuple[Operator, ...]) -> Tree | None:
    fixed = [op._fixed_in() for op in ops]
    return None if any(f is None for f in fixed) else tuple(fixed)


@node(data=("ops",))
class Branch(TreeOp):
    """``x -> (A₀ x, A₁ x, ...)``: one input, one output per operator (see :func:`branch`)."""

    ops: tuple[Operator, ...]

    def _label(self) -> str:
        return f"branch({', '.join(map(repr, self.ops))})"

    def _sym(self, x: str) -> str:
        return ir.Parts(op._sym(x) for op in self.ops)

    def _infer_tree(self, s: Tree) -> Tree:
        outs = []
        for i, op in enumerate(self.ops):
            try:
                outs.append(op._infer_tree(s))
            except ValueError as e:
                raise ValueError(f"branch: operator {i} ({op!r}) does not fit: {e}") from e
        return tuple(outs)

    def _apply(self, x: Any) -> Any:
        return tuple(op._apply(x) for op in self.ops)

    def _ir(self, s: Tree) -> ir.IR:
        return ir.Branch(terms=tuple(op._ir(s) for op in self.ops))

    def _fixed_in(self) -> Tree | None:
        fixed = [f for f in (op._fixed_in() for op in self.ops) if f is not None]
        return fixed[0] if fixed else None


@node(data=("ops",))
class Join(TreeOp):
    """``(x₀, x₁, ...) -> A₀ x₀ + A₁ x₁ + ...``: the dual of :class:`Branch` (see :func:`join`)."""

    ops: tuple[Operator, ...]

    def _label(self) -> str:
        return f"join({', '.join(map(repr, self.ops))})"

    def _sym(self, x: str) -> str:
        xs = ir.parts_of(x, len(self.ops))
        return "(" + " + ".join(op._sym(xi) for op, xi in zip(self.ops, xs)) + ")"

    def _infer_tree(self, s: Tree) -> Tree:
        outs = []
        for i, (op, si) in enumerate(zip(self.ops, _inputs("join", s, len(self.ops)))):
            try:
                o = op._infer_tree(si)
            except ValueError as e:
                raise ValueError(f"join: operator {i} ({op!r}) does not fit input {i}: {e}") from e
            if not single(o):
                raise ValueError(f"join: operator {i} ({op!r}) gives several arrays, not one")
            outs.append(o)
        if any(tuple(o.shape) != tuple(outs[0].shape) for o in outs):
            raise ValueError(
                f"join: the operators' outputs are added, so their shapes must agree; got "
                f"{[tuple(o.shape) for o in outs]} for inputs of shape {tree_shapes(s)}"
            )
        return jax.ShapeDtypeStruct(outs[0].shape, common_dtype(*[o.dtype for o in outs]))

    def _apply(self, x: Any) -> Any:
        ys = [op._apply(xi) for op, xi in zip(self.ops, x)]
        dt = common_dtype(*[y.dtype for y in ys])
        out = ys[0].astype(dt)
        for y in ys[1:]:
            out = out + y.astype(dt)
        return out

    def _ir(self, s: Tree) -> ir.IR:
        return ir.Join(terms=tuple(op._ir(si) for op, si in zip(self.ops, s)))

    def _fixed_in(self) -> Tree | None:
        return _fixed(self.ops)


@node(data=("ops",))
class Parallel(TreeOp):
    """``(x₀, x₁, ...) -> (A₀ x₀, A₁ x₁, ...)``: block-diagonal (see :func:`parallel`)."""

    ops: tuple[Operator, ...]

    def _label(self) -> str:
        return f"parallel({', '.join(map(repr, self.ops))})"

    def _sym(self, x: str) -> str:
        xs = ir.parts_of(x, len(self.ops))
        return ir.Parts(op._sym(xi) for op, xi in zip(self.ops, xs))

    def _infer_tree(self, s: Tree) -> Tree:
        outs = []
        for i, (op, si) in enumerate(zip(self.ops, _inputs("parallel", s, len(self.ops)))):
            try:
                outs.append(op._infer_tree(si))
            except ValueError as e:
                raise ValueError(
                    f"parallel: operator {i} ({op!r}) does not fit input {i}: {e}"
                ) from e
        return tuple(outs)

    def _apply(self, x: Any) -> Any:
        return tuple(op._apply(xi) for op, xi in zip(self.ops, x))

    def _ir(self, s: Tree) -> ir.IR:
        return ir.Parallel(terms=tuple(op._ir(si) for op, si in zip(self.ops, s)))

    def _fixed_in(self) -> Tree | None:
        return _fixed(self.ops)


def branch(*ops: Operator) -> Operator:
    """One input, several outputs: ``branch(A, B)(x) == (A(x), B(x))`` (an analysis bank).

    The outputs may have different shapes, and an operator may itself have several outputs
    (they nest). As a matrix it is ``A`` stacked over ``B`` (PyLops' ``VStack``); its transpose
    ``(y₀, y₁) -> Aᵀ y₀ + Bᵀ y₁`` is derived by ``ca.transpose`` like any other. Branches with
    the same geometry (e.g. the low- and high-pass filters of a wavelet level) are lowered to one
    convolution with a channel per branch.

    Raises:
      ValueError: no operators, or bound inputs that disagree.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> bank = ca.branch(ca.down(2) @ ca.corr([1.0, 1.0]), ca.down(2) @ ca.corr([1.0, -1.0]))
      >>> lo, hi = bank(jnp.array([1.0, 2.0, 3.0, 5.0]))
      >>> lo.tolist(), hi.tolist()
      ([1.0, 5.0, 5.0], [-1.0, -1.0, 5.0])
    """
    ops = _check_ops("branch", ops)
    fixed = [op._fixed_in() for op in ops if op._fixed_in() is not None]
    if any(not same_shapes(f, fixed[0]) for f in fixed):
        shapes = [tree_shapes(f) for f in fixed]
        raise ValueError(f"branch: the operators are bound to different inputs: {shapes}")
    out = Branch(ops)
    if fixed:
        out._infer_tree(fixed[0])
    return out


def join(*ops: Operator) -> Operator:
    """Several inputs, one output: ``join(A, B)((x0, x1)) == A(x0) + B(x1)`` (a synthesis bank).

    The dual of :func:`branch`: as a matrix ``[A B]`` (PyLops' ``HStack``), and
    ``ca.transpose(branch(A, B), x)`` equals ``join(Aᵀ, Bᵀ)``. The outputs must have the same
    shape (they are added, dtypes promoted).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> syn = ca.join(ca.conv([1.0, 1.0]) @ ca.up(2), ca.conv([1.0, -1.0]) @ ca.up(2))
      >>> syn((jnp.array([1.0, 2.0]), jnp.array([1.0, 0.0]))).tolist()
      [2.0, 0.0, 2.0, 2.0, 0.0]
    """
    return Join(_check_ops("join", ops))


def parallel(*ops: Operator | None) -> Operator:
    """One operator per input: ``parallel(A, B)((x0, x1)) == (A(x0), B(x1))``.

    ``None`` stands for the identity, so a second wavelet level on the low branch is
    ``parallel(bank, None) @ bank`` (outputs ``((a2, d2), d1)``; ``jax.tree.leaves`` gives
    PyWavelets' order ``[a2, d2, d1]``). As a matrix it is block-diagonal (PyLops' ``BlockDiag``).

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> haar = ca.branch(ca.down(2) @ ca.corr([1.0, 1.0], "valid"),
      ...                  ca.down(2) @ ca.corr([1.0, -1.0], "valid"))
      >>> two = ca.parallel(haar, None) @ haar
      >>> [a.tolist() for a in jax.tree.leaves(two(jnp.arange(8.0)))]
      [[6.0, 22.0], [-4.0, -4.0], [-1.0, -1.0, -1.0, -1.0]]
    """
    return Parallel(_check_ops("parallel", ops, allow_none=True))
