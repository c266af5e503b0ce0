"""The expression layer: the ``Operator`` protocol and the nodes the algebra's syntax builds.

An operator is a frozen dataclass registered as a pytree (``_static.structs.node``): arrays
(kernels, array scale factors) and sub-operators are leaves, everything else is static. Each
node type provides, side by side:

* ``_infer(shape, dtype)``: the output shape and dtype (pure integer arithmetic; raises
  ``ValueError`` naming the operation and the values, before anything is traced);
* ``_apply(x)``: the reference semantics, "as written" (``ca.as_written``, ``ca.matrix`` tests);
* ``to_ir(shape, dtype)``: the node in the compiler's closed IR (default: an opaque ``Apply``);
* ``_sym(x)`` and ``_label()``: the notation and a constructor-like label.

``A(x)`` is ``run(rewrite(A.to_ir(x.shape, x.dtype)), x)``: the compiler (``_lower``) is called
directly, with no hook and no module state. The syntax (``@``, ``+``, ``*``, ``.T``) builds
:class:`Compose`, :class:`Sum`, :class:`Scale`, :class:`Bound` and :class:`Transposed`, all in
this module, so there is no import circle.
"""

from __future__ import annotations

import contextvars
import functools
import numbers
from collections.abc import Callable
from typing import Any

import jax
import jax.core
import jax.numpy as jnp
import numpy as np

from .._lower import emit, ir, rules
from .._lower.cost import STRATEGIES, compiler_options
from .._lower.plan import Plan
from .._static.structs import (
    Shape,
    as_struct_tree,
    common_dtype,
    inexact,
    is_multi,
    kernel_dtype,
    node,
    struct_leaves,
    tree_shapes,
)

Tree = Any  # a jax.ShapeDtypeStruct, or a tuple of trees (operators with several inputs/outputs)


def wrap_sym(s: str) -> str:
    """Parenthesises a notation string that has more than one term."""
    return f"({s})" if " " in s else s


def as_input(name: str, x: Any) -> jax.Array:
    """``x`` as a JAX array, or a ``TypeError`` naming ``name`` (no JAX/NumPy internals)."""
    if isinstance(x, jax.Array):
        return x
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"{name}: the input must be an array, got {type(x).__name__}")
    try:
        arr = np.asarray(x) if not hasattr(x, "dtype") else x
    except ValueError as e:
        raise TypeError(f"{name}: the input must be a rectangular array of numbers: {e}") from e
    if getattr(arr, "dtype", None) is not None and np.dtype(arr.dtype).kind in "OUSV":
        raise TypeError(
            f"{name}: the input must be an array of numbers, got dtype {np.dtype(arr.dtype)}"
        )
    return jnp.asarray(arr)


_NAMES: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar(
    "convalgebra_kernel_names", default=None
)
DEFAULT_NAMES = ("q", "w", "h", "g", "p", "r", "u", "v")


def kernel_name(f: Any) -> str:
    """The name of an unnamed kernel in the notation being written (``q`` outside one)."""
    names = _NAMES.get()
    return "q" if names is None else names.get(id(f), "q")


def _name_kernels(op: Operator) -> dict[int, str]:
    """Default names for the unnamed kernels of ``op``, by position (outermost first)."""
    from .primitives import Filter

    filters = jax.tree_util.tree_leaves(op, is_leaf=lambda n: isinstance(n, Filter))
    out: dict[int, str] = {}
    for f in filters:
        if isinstance(f, Filter) and f.name is None and id(f) not in out:
            i = len(out)
            out[id(f)] = DEFAULT_NAMES[i] if i < len(DEFAULT_NAMES) else f"q{i}"
    return out


def as_inputs(name: str, x: Any) -> Any:
    """:func:`as_input` of one input, or a tuple of them for several (``is_multi``)."""
    if is_multi(x):
        return tuple(as_inputs(name, e) for e in x)
    return as_input(name, x)


def struct_of(x: Any) -> Tree:
    """The structure tree (shapes and dtypes) of an array or a tuple of arrays."""
    if isinstance(x, tuple):
        return tuple(struct_of(e) for e in x)
    return jax.ShapeDtypeStruct(tuple(x.shape), np.dtype(x.dtype))


def single(s: Tree) -> bool:
    """Whether a structure tree is one array."""
    return isinstance(s, jax.ShapeDtypeStruct)


def _tracing(*trees: Any) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(trees))


def lowered_ir(op: Operator, s: Tree, fired: list[str] | None = None):
    """The rewritten IR of ``op`` on inputs of structure ``s`` (kernels named as in the
    notation, for ``explain``)."""
    token = _NAMES.set(_name_kernels(op)) if _NAMES.get() is None else None
    try:
        return rules.rewrite(op._ir(s), fired)
    finally:
        if token is not None:
            _NAMES.reset(token)


def _run(op: Operator, x: Any) -> Any:
    return emit.run(lowered_ir(op, struct_of(x)), x, emit.Ctx.default())


@functools.cache
def _run_jit(platform: str) -> Callable[[Operator, jax.Array], jax.Array]:
    """``_run`` compiled once per operator structure and input, with the platform's options."""
    return jax.jit(_run, compiler_options=compiler_options(platform) or None)


class Operator:
    """A linear operator on arrays, written as an inspectable expression.

    Operators are built with the lowercase constructors (``ca.conv``, ``ca.down``, ...) and the
    algebra: ``A @ B`` applies ``B`` then ``A``; ``A + B``, ``A - B``, ``c * A`` and ``-A`` act
    as for matrices; ``A(x)`` applies the operator. ``A.on(x_like)`` binds the input structure,
    after which ``.T`` (transpose) and ``.H`` (conjugate transpose) are available.

    Called outside a trace, ``A(x)`` runs one compiled program (cached per operator structure
    and input shape); inside ``jax.jit``/``grad``/``vmap`` it emits its lax operations inline.
    """

    __array_ufunc__ = None  # ``np.ones(2) * A`` defers to ``A.__rmul__`` (and fails there)

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

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        """The node in the compiler's IR, for inputs of ``shape``/``dtype`` (already checked).

        The default is opaque: the compiler calls :meth:`_apply`, and JAX derives transposes.
        """
        return ir.Apply(fn=self._apply, label_=self._label(), sym=self._sym)

    def _infer_tree(self, s: Tree) -> Tree:
        """Output structure for inputs of structure ``s`` (tuples for several arrays).

        The default is one array in, one array out (:meth:`_infer`); the combinators and the
        multi-output operators (``ca.branch``, ``ca.join``, ``ca.parallel``) override it.
        """
        if not single(s):
            raise ValueError(
                f"{self!r} takes one array, got a tuple of {len(struct_leaves(s))} arrays of "
                f"shapes {tree_shapes(s)} (combine them with ca.join or ca.parallel first)"
            )
        shape, dtype = self._infer(tuple(s.shape), np.dtype(s.dtype))
        return jax.ShapeDtypeStruct(shape, dtype)

    def _ir(self, s: Tree) -> ir.IR:
        """:meth:`to_ir` for inputs of structure ``s`` (already checked by ``_infer_tree``)."""
        return self.to_ir(tuple(s.shape), np.dtype(s.dtype))

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
    def out_struct(self, x_like: Any) -> Any:
        """The output shape and dtype for an input like ``x_like``, from integer arithmetic.

        ``x_like`` is an array, a ``jax.ShapeDtypeStruct`` or a shape; a tuple of them for an
        operator with several inputs. The result is a ``jax.ShapeDtypeStruct``, or a tuple of
        them for an operator with several outputs.

        Raises:
          ValueError: if the input does not fit the operator (the message names both).
        """
        return self._infer_tree(as_struct_tree(x_like))

    def __call__(self, x: Any) -> Any:
        x = as_inputs(repr(self), x)
        self._infer_tree(struct_of(x))  # validate before tracing anything
        if not all(inexact(a.dtype) for a in jax.tree_util.tree_leaves(x)):
            return self._apply(x)  # integer inputs: evaluation as written decides the dtype
        if _tracing(self, x):
            return _run(self, x)
        try:
            hash(jax.tree_util.tree_structure(self))
        except TypeError:  # an unhashable static field: run op by op
            return _run(self, x)
        try:
            return _run_jit(jax.default_backend())(self, x)
        except ValueError as e:  # inside an outer trace with concrete operands: emit inline
            if "top-level" not in str(e):
                raise
            return _run(self, x)

    def on(self, x_like: Any) -> Bound:
        """Binds the input structure (shape and dtype), enabling ``.T`` and ``.H``.

        Args:
          x_like: an array or ``jax.ShapeDtypeStruct`` describing the input.

        Returns:
          The same operator, bound: it accepts only inputs of that shape.
        """
        s = as_struct_tree(x_like)
        self.out_struct(s)
        return Bound(self, s)

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
        from .transpose import transpose

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
        from .transpose import adjoint

        return adjoint(self, fixed)

    # ---- algebra syntax -----------------------------------------------------------------------
    def __matmul__(self, other: Any) -> Operator:
        if not isinstance(other, Operator):
            raise TypeError(
                f"A @ B composes operators; got {type(other).__name__} on the right of {self!r} "
                "(to apply an operator to an array, call it: A(x))"
            )
        return compose(self, other)

    def __add__(self, other: Any) -> Operator:
        if not isinstance(other, Operator):
            return NotImplemented
        return add(self, other)

    def __sub__(self, other: Any) -> Operator:
        if not isinstance(other, Operator):
            return NotImplemented
        return self + (-other)

    def __neg__(self) -> Operator:
        return scale(-1, self)

    def __rmul__(self, c: Any) -> Operator:
        return scale(c, self)

    def __mul__(self, c: Any) -> Operator:
        if isinstance(c, Operator):
            raise TypeError(
                f"A * B is not defined for operators ({self!r} * {c!r}); compose with A @ B"
            )
        return scale(c, self)

    def __repr__(self) -> str:
        return self._label()

    def notation(self, x: str = "x") -> str:
        """The expression in the DSP notation, e.g. ``'↓2 (w ⋆[same] (q * x))'``.

        ``*`` is convolution (the kernel flipped), ``⋆`` correlation (not flipped); modes other
        than ``full`` are written after the symbol (``⋆[same]``), pad modes after ``pad``;
        unnamed kernels are called ``q``, ``w``, ``h``, ... by position, outermost first.
        """
        if _NAMES.get() is not None:
            return self._sym(x)
        token = _NAMES.set(_name_kernels(self))
        try:
            return self._sym(x)
        finally:
            _NAMES.reset(token)

    def _repr_markdown_(self) -> str:
        return f"`{self.notation()}`"

    def _repr_latex_(self) -> str:
        return "$" + _latex(self.notation()) + "$"


_LATEX = {
    "⋆": r"\star ",
    "*": r"\ast ",
    "ᵀ": r"^{\mathsf{T}}",
    "ᴴ": r"^{\mathsf{H}}",
    "·": r"\cdot ",
    "∗": r"\ast ",
    "[": r"_{\mathrm{",
    "]": "}}",
}


def _latex(s: str) -> str:
    r"""The notation as LaTeX: ``↓2`` as ``\downarrow_{2}``, ``⋆[same]`` as ``\star_{same}``."""
    out, sub = [], False
    for ch in s.replace("_", r"\_"):
        if sub and not (ch.isdigit() or ch in "(),"):
            out.append("}")
            sub = False
        if ch in ("↓", "↑"):
            out.append(r"\downarrow_{" if ch == "↓" else r"\uparrow_{")
            sub = True
            continue
        out.append(_LATEX.get(ch, ch))
    if sub:
        out.append("}")
    return "".join(out)


# ---- composition, sums, scaling, binding ------------------------------------------------------
class TreeOp(Operator):
    """Base of the nodes whose inputs and outputs may be tuples: they implement
    :meth:`_infer_tree` and :meth:`_ir`; the one-array forms are derived from those."""

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        out = self._infer_tree(jax.ShapeDtypeStruct(tuple(shape), np.dtype(dtype)))
        if not single(out):
            raise ValueError(
                f"{self!r} gives {len(struct_leaves(out))} arrays of shapes {tree_shapes(out)}, "
                "not one"
            )
        return tuple(out.shape), np.dtype(out.dtype)

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        return self._ir(jax.ShapeDtypeStruct(tuple(shape), np.dtype(dtype)))


def same_shapes(a: Tree, b: Tree) -> bool:
    """Whether two structure trees have the same nesting and shapes (dtypes aside)."""
    return tree_shapes(a) == tree_shapes(b)


def map_structs(f: Callable[..., Any], *trees: Tree) -> Tree:
    """``f`` leaf by leaf over structure trees of the same nesting."""
    if single(trees[0]):
        return f(*trees)
    return tuple(map_structs(f, *kids) for kids in zip(*trees))


def zeros_like_struct(s: Tree) -> Any:
    """Zeros of a structure tree (an array, or a tuple of them)."""
    return map_structs(lambda a: jnp.zeros(a.shape, a.dtype), s)


@node(data=("outer", "inner"))
class Compose(TreeOp):
    """``outer @ inner``: apply ``inner``, then ``outer``."""

    outer: Operator
    inner: Operator

    def _label(self) -> str:
        return f"{self.outer!r} @ {self.inner!r}"

    def _sym(self, x: str) -> str:
        return self.outer._sym(self.inner._sym(x))

    def _infer_tree(self, s: Tree) -> Tree:
        mid = self.inner._infer_tree(s)
        try:
            return self.outer._infer_tree(mid)
        except ValueError as e:
            raise ValueError(
                f"compose: {self.outer!r} cannot take the output of {self.inner!r} (input shape "
                f"{tree_shapes(s)} -> intermediate shape {tree_shapes(mid)}): {e}"
            ) from e

    def _apply(self, x: Any) -> Any:
        return self.outer._apply(self.inner._apply(x))

    def _ir(self, s: Tree) -> ir.IR:
        mid = self.inner._infer_tree(s)
        return ir.Seq(steps=(self.inner._ir(s), self.outer._ir(mid)))

    def _channels(self):
        ci_in, ci_out = self.inner._channels()
        co_in, co_out = self.outer._channels()
        return (ci_in if ci_in is not None else co_in), (co_out if co_out is not None else ci_out)

    def _fixed_in(self):
        return self.inner._fixed_in()


def compose(a: Operator, b: Operator) -> Operator:
    """``a @ b``, checking channel counts and bound shapes before anything is traced."""
    b_fixed = b._fixed_in()
    if b_fixed is not None:  # the output structure is known: check it exactly
        mid = b.out_struct(b_fixed)
        a_fixed = a._fixed_in()
        if a_fixed is not None and not same_shapes(mid, a_fixed):
            raise ValueError(
                f"compose: shape mismatch in A @ B: B = {b!r} produces shape {tree_shapes(mid)}, "
                f"A = {a!r} is bound to inputs of shape {tree_shapes(a_fixed)}"
            )
        try:
            a.out_struct(mid)
        except ValueError as e:
            raise ValueError(f"compose: {a!r} cannot take the output of {b!r}: {e}") from e
        return Compose(a, b)
    _, b_out = b._channels()
    a_in, _ = a._channels()
    if a_in is not None and b_out is not None and a_in[0] == b_out[0] and a_in[1] != b_out[1]:
        raise ValueError(
            f"compose: channel mismatch in A @ B: B = {b!r} produces {b_out[1]} channels at axis "
            f"{b_out[0]}, A = {a!r} expects {a_in[1]}"
        )
    return Compose(a, b)


def chain(*ops: Operator | None) -> Operator:
    """``ops[0] @ ops[1] @ ...`` (the last applied first), skipping ``None``; empty: identity."""
    live = [o for o in ops if o is not None]
    if not live:
        from .primitives import identity

        return identity()
    out = live[-1]
    for o in reversed(live[:-1]):
        out = o @ out
    return out


@node(data=("left", "right"))
class Sum(TreeOp):
    """``left + right``: both applied to the same input, outputs added."""

    left: Operator
    right: Operator

    def _label(self) -> str:
        return f"({self.left!r} + {self.right!r})"

    def _sym(self, x: str) -> str:
        return f"({self.left._sym(x)} + {self.right._sym(x)})"

    def _infer_tree(self, s: Tree) -> Tree:
        sa, sb = self.left._infer_tree(s), self.right._infer_tree(s)
        if not same_shapes(sa, sb):
            raise ValueError(
                f"add: A + B needs equal output shapes; on input shape {tree_shapes(s)}, A = "
                f"{self.left!r} gives {tree_shapes(sa)} and B = {self.right!r} gives "
                f"{tree_shapes(sb)}"
            )
        return map_structs(
            lambda a, b: jax.ShapeDtypeStruct(a.shape, common_dtype(a.dtype, b.dtype)), sa, sb
        )

    def _apply(self, x: Any) -> Any:
        def plus(a: jax.Array, b: jax.Array) -> jax.Array:
            dt = common_dtype(a.dtype, b.dtype)
            return a.astype(dt) + b.astype(dt)

        return jax.tree_util.tree_map(plus, self.left._apply(x), self.right._apply(x))

    def _ir(self, s: Tree) -> ir.IR:
        return ir.Add(terms=(self.left._ir(s), self.right._ir(s)))

    def _channels(self):
        return self.left._channels()

    def _fixed_in(self):
        return self.left._fixed_in() or self.right._fixed_in()


def add(a: Operator, b: Operator) -> Operator:
    """``a + b``, checking bound input and output shapes before anything is traced."""
    fa, fb = a._fixed_in(), b._fixed_in()
    if fa is not None and fb is not None and not same_shapes(fa, fb):
        raise ValueError(
            f"add: A + B needs the same input; A = {a!r} is bound to shape {tree_shapes(fa)}, "
            f"B = {b!r} to {tree_shapes(fb)}"
        )
    fixed = fa if fa is not None else fb
    if fixed is not None:
        Sum(a, b)._infer_tree(fixed)  # raises on mismatch
    return Sum(a, b)


@node(data=("c", "op"))
class Scale(TreeOp):
    """``c * op``: ``value`` a Python scalar (static, weak: adopts the operator's precision), or
    ``c`` a 0-d array (a leaf: differentiable, traced)."""

    c: Any
    op: Operator
    value: Any = None

    @property
    def weak(self) -> bool:
        return self.c is None

    @property
    def factor(self) -> Any:
        """The scale factor: the Python scalar when weak, else the 0-d array."""
        return self.value if self.c is None else self.c

    def _label(self) -> str:
        c = self.value if self.weak else f"array{tuple(np.shape(self.c))}"
        return f"{c} * {self.op!r}"

    def _sym(self, x: str) -> str:
        if self.weak and self.value == -1:
            return f"-{wrap_sym(self.op._sym(x))}"
        c = self.value if self.weak else "c"
        return f"{c}·{wrap_sym(self.op._sym(x))}"

    def _dtype(self, dtype: np.dtype) -> np.dtype:
        if self.weak:
            return kernel_dtype(dtype, np.asarray(self.value).dtype, True)
        return kernel_dtype(dtype, jnp.asarray(self.c).dtype, False)

    def _infer_tree(self, s: Tree) -> Tree:
        return map_structs(
            lambda o: jax.ShapeDtypeStruct(o.shape, self._dtype(o.dtype)), self.op._infer_tree(s)
        )

    def _apply(self, x: Any) -> Any:
        c = self.value if self.weak else self.c

        def times(y: jax.Array) -> jax.Array:
            dt = self._dtype(y.dtype)
            return y.astype(dt) * jnp.asarray(c).astype(dt)

        return jax.tree_util.tree_map(times, self.op._apply(x))

    def _ir(self, s: Tree) -> ir.IR:
        body = self.op._ir(s)
        if self.weak:
            return ir.Mul(body=body, value=self.value)
        return ir.Mul(body=body, c=self.c)

    def _channels(self):
        return self.op._channels()

    def _fixed_in(self):
        return self.op._fixed_in()


def scale(c: Any, op: Operator) -> Operator:
    """``c * op`` for a scalar ``c``: a Python number is weak and static, an array a leaf."""
    if isinstance(c, numbers.Number) and not hasattr(c, "dtype"):
        if isinstance(c, bool):
            raise TypeError(f"scale: c * A needs a number, got the bool {c!r}")
        return Scale(None, op, c)
    if not hasattr(c, "dtype") or getattr(c, "ndim", None) != 0:
        raise TypeError(
            f"scale: c * A needs a scalar c (a number or a 0-d array), got {type(c).__name__}"
            f"{'' if not hasattr(c, 'shape') else ' of shape ' + str(getattr(c, 'shape', ()))}"
        )
    return Scale(c, op)


@node(data=("op",))
class Bound(TreeOp):
    """``op`` bound to inputs of one structure (shape and dtype, a tuple of them for several
    inputs); enables ``.T`` and ``.H``."""

    op: Operator
    struct: Tree

    @property
    def shape(self) -> Any:
        """The bound input shape (a tuple of shapes for several inputs)."""
        return tree_shapes(self.struct)

    @property
    def dtype(self) -> Any:
        """The bound input dtype (a tuple of dtypes for several inputs)."""
        return map_structs(lambda a: np.dtype(a.dtype), self.struct)

    def _label(self) -> str:
        dt = map_structs(lambda a: np.dtype(a.dtype).name, self.struct)
        return f"{self.op!r}.on({self.shape}, {dt})"

    def _sym(self, x: str) -> str:
        return self.op._sym(x)

    def _infer_tree(self, s: Tree) -> Tree:
        if not same_shapes(s, self.struct):
            raise ValueError(
                f"{self!r}: bound to inputs of shape {self.shape}, got shape {tree_shapes(s)}"
            )
        return self.op._infer_tree(s)

    def _apply(self, x: Any) -> Any:
        return self.op._apply(x)

    def _ir(self, s: Tree) -> ir.IR:
        return self.op._ir(s)

    def _channels(self):
        return self.op._channels()

    def _fixed_in(self):
        return self.struct


# ---- pinned lowering --------------------------------------------------------------------------
@node(data=("op",))
class Pinned(TreeOp):
    """``op`` evaluated with a forced strategy and/or a measured plan (see :func:`lower`)."""

    op: Operator
    strategy: str | None
    plan: Plan | None

    def _label(self) -> str:
        return f"lower({self.op!r}, strategy={self.strategy!r})"

    def _sym(self, x: str) -> str:
        return self.op._sym(x)

    def _infer_tree(self, s: Tree) -> Tree:
        return self.op._infer_tree(s)

    def _apply(self, x: Any) -> Any:
        return self.op._apply(x)

    def _ir(self, s: Tree) -> ir.IR:
        # a pin on an expression with no convolution is a no-op (what a pipeline that pins
        # every stage wants): the pin only ever chooses how convolutions run
        return ir.Pin(body=self.op._ir(s), strategy=self.strategy, plan=self.plan)

    def _channels(self):
        return self.op._channels()

    def _fixed_in(self):
        return self.op._fixed_in()


def lower(op: Operator, strategy: str | None = None, plan: Plan | None = None) -> Operator:
    """``op`` with its lowering pinned: a strategy forced, or a measured plan used.

    ``A(x)`` is already lowered with the cost model's choice; ``lower`` lets you force one of
    ``"lax"`` (``lax.conv_general_dilated``: window strides, ``rhs_dilation``, polyphase
    sub-convolutions), ``"shift"`` (shifted multiply-adds / per-tap matmuls) or ``"fft"``, or use
    a :class:`Plan` measured by :func:`measure`. The pin is part of the operator's static
    structure, hence of every jit cache key: no global state decides how ``A(x)`` runs.

    Args:
      op: an operator expression.
      strategy: one of ``ca.STRATEGIES`` or ``None`` (cost model / plan).
      plan: a :class:`Plan` of measured choices.

    Returns:
      An operator equal to ``op`` (same values, shapes, dtypes, transposes).

    A pinned strategy acts on the convolutions of ``op``; on an expression with none (``↓2 ↑2``)
    it is a no-op, so a pipeline may pin every stage.

    Raises:
      ValueError: for an unknown strategy (when called); when applied, for a strategy that
        cannot run the data's dtype (FFT in bfloat16/float16).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> A = ca.lower(ca.down(2) @ ca.corr(jnp.ones(3)), strategy="shift")
      >>> A(jnp.arange(6.0)).tolist()
      [0.0, 3.0, 9.0, 9.0]
    """
    if strategy is not None and strategy not in STRATEGIES:
        raise ValueError(f"lower: unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if plan is not None and not isinstance(plan, Plan):
        raise TypeError(f"lower: plan must be a ca.Plan, got {type(plan).__name__}")
    return Pinned(op, strategy, plan)


def as_written(op: Operator) -> Callable[[jax.typing.ArrayLike], jax.Array]:
    """A function evaluating ``op`` exactly as written (no rewrites, no strategies).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.as_written(ca.down(2) @ ca.corr(jnp.ones(2)))(jnp.arange(4.0)).tolist()
      [0.0, 3.0, 3.0]
    """

    @functools.wraps(op.__call__)
    def run(x: Any) -> Any:
        x = as_inputs(f"as_written({op!r})", x)
        op._infer_tree(struct_of(x))
        return op._apply(x)

    return run


def notation(op: Operator, x: str = "x") -> str:
    """The expression of ``op`` applied to ``x`` in the DSP notation, e.g. ``'↓2 (q ⋆ x)'``."""
    return op.notation(x)
