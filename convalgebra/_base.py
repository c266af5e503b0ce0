"""The operator base class: application, algebra syntax, binding and notation.

Concrete node types live in ``_ops.py`` (primitives), ``_algebra.py`` (composition, sums,
scaling, binding) and ``_transpose.py`` (derived transposes). Every node is a frozen dataclass
registered as a JAX pytree: arrays (kernels, scale factors) are leaves, everything else is static.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._static.structs import node

Shape = tuple[int, ...]


pytree_node = node


def as_struct(x_like: Any) -> jax.ShapeDtypeStruct:
    """Canonicalises an input description into a ``jax.ShapeDtypeStruct``.

    Accepts an array, a ``jax.ShapeDtypeStruct`` (anything with ``shape`` and ``dtype``), or a
    plain shape tuple (then the default floating dtype is used).
    """
    if hasattr(x_like, "shape") and hasattr(x_like, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x_like.shape), np.dtype(x_like.dtype))
    if isinstance(x_like, (tuple, list)) and all(isinstance(n, int) for n in x_like):
        return jax.ShapeDtypeStruct(tuple(x_like), jnp.zeros((), float).dtype)
    raise TypeError(
        "x_like must be an array, a jax.ShapeDtypeStruct or a shape tuple, "
        f"got {type(x_like).__name__}"
    )


def wrap_sym(s: str) -> str:
    """Parenthesises a notation string that has more than one term."""
    return f"({s})" if " " in s else s


class Operator:
    """A linear operator on arrays, written as an inspectable expression.

    Operators are built with the lowercase constructors (``ca.conv``, ``ca.down``, ...) and the
    algebra: ``A @ B`` applies ``B`` then ``A``; ``A + B``, ``A - B``, ``c * A`` and ``-A`` act
    as for matrices; ``A(x)`` applies the operator. ``A.on(x_like)`` binds the input structure,
    after which ``.T`` (transpose) and ``.H`` (conjugate transpose) are available.
    """

    # ---- to be provided by node types -------------------------------------------------------
    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        """Output shape and dtype for an input of ``shape``/``dtype``; raises ``ValueError``."""
        raise NotImplementedError

    def _apply(self, x: jax.Array) -> jax.Array:
        """Evaluates the expression as written (input already validated)."""
        raise NotImplementedError

    def _sym(self, x: str) -> str:
        """The operator applied to the expression ``x``, in the DSP notation."""
        raise NotImplementedError

    def _label(self) -> str:
        """A short constructor-like label used in ``repr`` and error messages."""
        raise NotImplementedError

    def _channels(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """``((axis, count) in, (axis, count) out)`` channel requirements, ``None`` if none.

        ``axis`` counts from the end (``-2`` is the axis before the last). Used to reject channel
        mismatches when composing, before anything is traced.
        """
        return None, None

    def _fixed_in(self) -> jax.ShapeDtypeStruct | None:
        """The input structure if the operator is bound to one, else ``None``."""
        return None

    # ---- public API ---------------------------------------------------------------------------
    def out_struct(self, x_like: Any) -> jax.ShapeDtypeStruct:
        """The output shape and dtype for an input like ``x_like``, from integer arithmetic.

        Raises:
          ValueError: if the input does not fit the operator (the message names both).
        """
        s = as_struct(x_like)
        shape, dtype = self._infer(tuple(s.shape), np.dtype(s.dtype))
        return jax.ShapeDtypeStruct(shape, dtype)

    def __call__(self, x: jax.typing.ArrayLike) -> jax.Array:
        x = jnp.asarray(x)
        self._infer(tuple(x.shape), np.dtype(x.dtype))  # validate before tracing anything
        return evaluate(self, x)

    def on(self, x_like: Any) -> Operator:
        """Binds the input structure (shape and dtype), enabling ``.T`` and ``.H``.

        Args:
          x_like: an array or ``jax.ShapeDtypeStruct`` describing the input.

        Returns:
          The same operator, bound: it accepts only inputs of that shape.
        """
        from ._algebra import Bound

        s = as_struct(x_like)
        self.out_struct(s)
        return Bound(self, tuple(s.shape), np.dtype(s.dtype))

    @property
    def T(self) -> Operator:
        """The transpose, derived by ``jax.linear_transpose``; needs a bound input structure."""
        fixed = self._fixed_in()
        if fixed is None:
            raise ValueError(
                f"transpose of {self!r} needs its input shape (e.g. down(2) maps both 7 and 8 "
                "samples to 4, so its transpose is not determined by the operator alone): bind "
                "it with A.on(x_like).T or call ca.transpose(A, x_like)"
            )
        from ._transpose import transpose

        return transpose(self, fixed)

    @property
    def H(self) -> Operator:
        """The conjugate transpose (adjoint); needs a bound input structure."""
        fixed = self._fixed_in()
        if fixed is None:
            raise ValueError(
                f"adjoint of {self!r} needs its input shape: bind it with A.on(x_like).H or "
                "call ca.adjoint(A, x_like)"
            )
        from ._transpose import adjoint

        return adjoint(self, fixed)

    # ---- algebra syntax -----------------------------------------------------------------------
    def __matmul__(self, other: Any) -> Operator:
        if not isinstance(other, Operator):
            raise TypeError(
                f"A @ B composes operators; got {type(other).__name__} on the right of {self!r} "
                "(to apply an operator to an array, call it: A(x))"
            )
        from ._algebra import compose

        return compose(self, other)

    def __add__(self, other: Any) -> Operator:
        if not isinstance(other, Operator):
            return NotImplemented
        from ._algebra import add

        return add(self, other)

    def __sub__(self, other: Any) -> Operator:
        if not isinstance(other, Operator):
            return NotImplemented
        return self + (-other)

    def __neg__(self) -> Operator:
        return -1 * self

    def __rmul__(self, c: Any) -> Operator:
        from ._algebra import scale

        return scale(c, self)

    def __mul__(self, c: Any) -> Operator:
        if isinstance(c, Operator):
            raise TypeError(
                f"A * B is not defined for operators ({self!r} * {c!r}); compose with A @ B"
            )
        return self.__rmul__(c)

    def __repr__(self) -> str:
        return self._label()

    def notation(self, x: str = "x") -> str:
        """The expression in the DSP notation, e.g. ``'↓2 (q ⋆ x)'``."""
        return self._sym(x)


# The evaluation hook: ``Operator.__call__`` runs ``evaluate(op, x)``. It evaluates the
# expression as written; a lowering pass may install a faster evaluator with ``set_evaluator``.
_EVALUATOR: list[Callable[[Operator, jax.Array], jax.Array]] = []


def evaluate(op: Operator, x: jax.Array) -> jax.Array:
    """Applies ``op`` to the (validated) array ``x`` with the installed evaluator."""
    if _EVALUATOR:
        return _EVALUATOR[-1](op, x)
    return op._apply(x)


def set_evaluator(fn: Callable[[Operator, jax.Array], jax.Array] | None) -> None:
    """Installs ``fn`` as the evaluator of ``A(x)``; ``None`` restores evaluation as written."""
    _EVALUATOR.clear()
    if fn is not None:
        _EVALUATOR.append(fn)
