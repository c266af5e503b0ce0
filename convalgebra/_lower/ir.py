"""The lowering's IR: a CLOSED set of node types, the only thing the compiler passes see.

The expression layer (``_expr``) turns every operator into these nodes (``Operator.to_ir``);
rewrite rules, the cost model, the interpreter, ``explain`` and plans know nothing else:

* :class:`Conv`: per spatial axis ``↓s,ps (w ⋆ pad(↑u,pu wrap(x), lo, hi))``, ``w`` dilated by
  ``r`` — every convolution, correlation, strided, dilated, polyphase and circular form;
* :class:`Sampling`: ``↑k``/``↓k`` on their own (rules fold them into a neighbouring ``Conv``);
* :class:`Window`: a zero pad (positive widths) or a crop (negative widths), one ``lax.pad``;
* :class:`Permute`: axes moved (``axis=``);
* :class:`Apply`: an opaque linear function (reflect/edge/wrap pads, user functions, pooling);
* :class:`Seq`, :class:`Add`, :class:`Mul`: composition, sums and scalings;
* :class:`Branch`, :class:`Join`, :class:`Parallel`: several outputs (one input, each term
  applied to it), several inputs (term ``i`` applied to input ``i``, results added) and both
  (term ``i`` applied to input ``i``, results kept apart);
* :class:`Pullback`: the transpose (or adjoint) of a body, by ``jax.linear_transpose`` or
  ``jax.vjp``;
* :class:`Pin`: a body run with a forced strategy or a measured plan.

Nodes are frozen dataclasses with keyword-only fields, built inside a trace and consumed there;
they are never jit arguments. Kernels arrive already in the computation dtype of their input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Union

import jax

from .._static.structs import Kind

Pairs = tuple[tuple[int, int], ...]


def _fmt(t: tuple[int, ...]) -> str:
    return str(t[0]) if len(set(t)) == 1 else "(" + ",".join(map(str, t)) + ")"


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Conv:
    """One lowered convolution: per axis ``↓s,ps (w ⋆ pad(↑u,pu wrap(x), lo, hi))``.

    ``kernel`` is in the computation dtype; ``w`` is ``kernel`` flipped on its spatial axes when
    ``flip``, with taps ``dilation`` apart. ``wrap`` is a periodic pre-padding (circular modes).
    ``pads`` may be negative (crop). ``name`` is the kernel's name in the notation.
    ``precision`` (canonical, ``None``: the platform's default) and ``preferred_element_type``
    (``None``: the kernel's dtype; a dtype name) are lax's, static (``_lower/precision.py``).
    """

    kernel: jax.Array
    ndim: int
    flip: bool = False
    dilation: tuple[int, ...]
    pads: Pairs
    wrap: Pairs | None = None
    up: tuple[int, ...]
    up_phase: tuple[int, ...]
    down: tuple[int, ...]
    down_phase: tuple[int, ...]
    name: str = "q"
    groups: int = 1  # mixing kernels (C_out, C_in/groups, *K): a grouped convolution
    precision: Any = None
    preferred_element_type: str | None = None

    @staticmethod
    def plain(
        kernel: jax.Array,
        ndim: int,
        *,
        flip: bool,
        dilation: tuple[int, ...],
        pads: Pairs,
        wrap: Pairs | None = None,
        name: str = "q",
        groups: int = 1,
        precision: Any = None,
        preferred_element_type: Any = None,
    ) -> Conv:
        one, zero = (1,) * ndim, (0,) * ndim
        return Conv(kernel=kernel, ndim=ndim, flip=flip, dilation=dilation, pads=pads, wrap=wrap,
                    up=one, up_phase=zero, down=one, down_phase=zero, name=name,
                    groups=groups, precision=precision,
                    preferred_element_type=preferred_element_type)  # fmt: skip

    @property
    def kind(self) -> Kind:
        return Kind.of(self.kernel.ndim, self.ndim)

    @property
    def taps(self) -> tuple[int, ...]:
        return tuple(self.kernel.shape[-self.ndim :])

    @property
    def resampled(self) -> bool:
        return any(u > 1 for u in self.up) or any(s > 1 for s in self.down)

    @property
    def resampled_both(self) -> bool:
        """Up- and down-sampled (a rational rate ``p/q``): its transpose is again such a node."""
        return any(u > 1 for u in self.up) and any(s > 1 for s in self.down)

    @property
    def plain_stride1(self) -> bool:
        one = (1,) * self.ndim
        return self.wrap is None and self.up == one and self.down == one and self.dilation == one

    def label(self) -> str:
        parts = [f"{self.name}{tuple(self.kernel.shape)}"]
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if any(s > 1 for s in self.down):
            parts.append(
                f"stride={self.down}" + (f"@{self.down_phase}" if any(self.down_phase) else "")
            )
        if any(u > 1 for u in self.up):
            parts.append(f"up={self.up}" + (f"@{self.up_phase}" if any(self.up_phase) else ""))
        if any(r > 1 for r in self.dilation):
            parts.append(f"dilation={self.dilation}")
        parts.append(f"pads={self.pads}" + (f", wrap={self.wrap}" if self.wrap else ""))
        if self.precision is not None:
            from .precision import describe

            parts.append(f"precision={describe(self.precision)}")
        if self.preferred_element_type is not None:
            parts.append(f"preferred_element_type={self.preferred_element_type}")
        return f"conv({', '.join(parts)})"

    def notation(self, x: str) -> str:
        s = x
        if any(u > 1 for u in self.up):
            s = Sampling(factors=self.up, phases=self.up_phase, up=True).notation(s)
        q = (
            self.name
            if not any(r > 1 for r in self.dilation)
            else f"(↑{_fmt(self.dilation)} {self.name})"
        )
        s = f"{q} {'*' if self.flip else '⋆'} {_wrap(s)}"
        if any(k > 1 for k in self.down):
            s = Sampling(factors=self.down, phases=self.down_phase, up=False).notation(s)
        return s


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Sampling:
    """``↑k`` (zero insertion) or ``↓k`` (decimation) with phases, on the trailing axes."""

    factors: tuple[int, ...]
    phases: tuple[int, ...]
    up: bool

    def label(self) -> str:
        k = self.factors[0] if len(self.factors) == 1 else self.factors
        ph = "" if not any(self.phases) else f", phase={self.phases}"
        return f"{'up' if self.up else 'down'}({k}{ph})"

    def notation(self, x: str) -> str:
        ph = ""
        if any(self.phases):
            ph = ",".join(map(str, self.phases)).translate(SUPERSCRIPT)
        ks = self.factors
        k = str(ks[0]) if len(ks) == 1 else "(" + ",".join(map(str, ks)) + ")"
        return f"{'↑' if self.up else '↓'}{k}{ph} {_wrap(x)}"


SUPERSCRIPT = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹˒")


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Window:
    """Zero padding (positive widths) and cropping (negative widths) of the trailing axes."""

    pads: Pairs

    def label(self) -> str:
        if all(a <= 0 and b <= 0 for a, b in self.pads):
            return f"crop({tuple((-a, -b) for a, b in self.pads)})"
        return f"pad({self.pads}, 'zero')"

    def notation(self, x: str) -> str:
        if all(a <= 0 and b <= 0 for a, b in self.pads):
            return f"crop{[(-a, -b) for a, b in self.pads]} {_wrap(x)}"
        return f"pad{list(self.pads)} {_wrap(x)}"


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Permute:
    """``jnp.transpose(x, perm)``: moves axes (``axis=``); adjacent permutes compose."""

    perm: tuple[int, ...]

    def label(self) -> str:
        return f"permute{self.perm}"

    def notation(self, x: str) -> str:
        return x


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Apply:
    """An opaque function of one array (linear by the caller's promise), which may return
    several (a tuple)."""

    fn: Callable[[jax.Array], Any]
    label_: str
    sym: Callable[[str], str]

    def label(self) -> str:
        return self.label_

    def notation(self, x: str) -> str:
        return self.sym(x)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Seq:
    """Composition: ``steps`` applied in order (innermost first); empty is the identity."""

    steps: tuple[IR, ...]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Add:
    """The sum of ``terms``, all applied to the same input (results promoted, then added)."""

    terms: tuple[IR, ...]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Mul:
    """``c · body``: ``value`` a static Python scalar (weak), else ``c`` a 0-d array."""

    body: IR
    value: complex | float | int | None = None
    c: jax.Array | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Branch:
    """Several outputs: ``x -> (t_0 x, ..., t_{n-1} x)``."""

    terms: tuple[IR, ...]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Join:
    """Several inputs: ``(x_0, ..., x_{n-1}) -> t_0 x_0 + ... + t_{n-1} x_{n-1}``."""

    terms: tuple[IR, ...]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Parallel:
    """Block-diagonal: ``(x_0, ..., x_{n-1}) -> (t_0 x_0, ..., t_{n-1} x_{n-1})``."""

    terms: tuple[IR, ...]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Pullback:
    """The transpose (``conj``: the adjoint) of ``body`` on inputs of structure ``in_struct``.

    ``in_struct`` is a ``jax.ShapeDtypeStruct`` (a tuple of them for several inputs);
    ``method`` is ``"linear_transpose"`` (``jax.linear_transpose`` of the lowered body) or
    ``"vjp"`` (the pullback of ``jax.vjp``); ``out_dtypes`` are the body's output dtypes (nested
    as its outputs), which the cotangent is cast to.
    """

    body: IR
    in_struct: Any
    out_dtypes: Any
    method: str
    conj: bool


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Pin:
    """``body`` lowered with a forced ``strategy`` and/or a measured ``plan``."""

    body: IR
    strategy: str | None = None
    plan: Any = None


IR = Union[  # noqa: UP007
    Conv, Sampling, Window, Permute, Apply, Seq, Add, Mul, Branch, Join, Parallel, Pullback, Pin
]
MULTI = (Branch, Join, Parallel)


def children(ir: IR) -> tuple[IR, ...]:
    """The sub-nodes of ``ir``: the ONE place that knows which node types have children."""
    if isinstance(ir, Seq):
        return ir.steps
    if isinstance(ir, (Add, Branch, Join, Parallel)):
        return ir.terms
    if isinstance(ir, (Mul, Pullback, Pin)):
        return (ir.body,)
    return ()


def rebuild(ir: IR, kids: tuple[IR, ...]) -> IR:
    """``ir`` with its children replaced (same order as :func:`children`)."""
    if isinstance(ir, Seq):
        return Seq(steps=kids)
    if isinstance(ir, (Add, Branch, Join, Parallel)):
        return type(ir)(terms=kids)
    if isinstance(ir, (Mul, Pullback, Pin)):
        return dataclasses.replace(ir, body=kids[0])
    return ir


def walk(ir: IR):
    """Every node of ``ir``, pre-order."""
    yield ir
    for k in children(ir):
        yield from walk(k)


def _wrap(s: str) -> str:
    return f"({s})" if " " in s and not isinstance(s, Parts) else s


SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class Parts(str):
    """The notation of several outputs, ``(a, b)``, remembering each part (``parts``) so that
    an operator taking several inputs writes each of them, not the tuple."""

    parts: tuple[str, ...]

    def __new__(cls, parts: Any) -> Parts:
        parts = tuple(parts)
        out = super().__new__(cls, "(" + ", ".join(parts) + ")")
        out.parts = parts
        return out


def parts_of(x: str, n: int) -> tuple[str, ...]:
    """The notations of ``n`` inputs: the parts of a :class:`Parts`, else ``x₀, x₁, ...``."""
    if isinstance(x, Parts) and len(x.parts) == n:
        return x.parts
    return tuple(f"{x}{str(i).translate(SUBSCRIPT)}" for i in range(n))


def notation(ir: IR, x: str = "x") -> str:
    """``ir`` applied to ``x`` in the DSP notation."""
    if isinstance(ir, (Conv, Sampling, Window, Permute, Apply)):
        return ir.notation(x)
    if isinstance(ir, Seq):
        for s in ir.steps:
            x = notation(s, x)
        return x
    if isinstance(ir, Add):
        return "(" + " + ".join(notation(t, x) for t in ir.terms) + ")"
    if isinstance(ir, Branch):
        return Parts(notation(t, x) for t in ir.terms)
    if isinstance(ir, (Join, Parallel)):
        xs = parts_of(x, len(ir.terms))
        ys = [notation(t, xi) for t, xi in zip(ir.terms, xs)]
        return "(" + " + ".join(ys) + ")" if isinstance(ir, Join) else Parts(ys)
    if isinstance(ir, Mul):
        c = ir.value if ir.c is None else "c"
        return f"{c}·{_wrap(notation(ir.body, x))}"
    if isinstance(ir, Pullback):
        return f"({notation(ir.body, '·')}){'ᴴ' if ir.conj else 'ᵀ'} {_wrap(x)}"
    return notation(ir.body, x)  # Pin
