"""Rewrite rules over the IR: a registry of small exact rules and ``rewrite``, which applies them.

Pair rules look at two adjacent steps of a :class:`~.ir.Seq` (``outer`` applied after ``inner``)
and return the replacement steps, or ``None``. Node rules look at one node (``fold_scale``).
Each rule is exact (modes, phases and channel kinds are checked) or does not fire; each has an
exactness case in the tests (``tests/lower/test_rules.py`` refuses a rule without one). Rules
look only at static structure; kernels are combined with traced array ops in the computation
dtype (kernels arrive in it), so nothing is rounded to a narrower kernel dtype. Rules fire in
registration order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._static.structs import Kind
from . import cost
from .ir import (
    IR,
    MULTI,
    Add,
    Apply,
    Branch,
    Conv,
    Mul,
    Permute,
    Pin,
    Pullback,
    Sampling,
    Seq,
    Window,
    children,
    rebuild,
)  # fmt: skip

PairRule = Callable[[IR, IR], "list[IR] | None"]
NodeRule = Callable[[IR], "IR | None"]
RULES: dict[str, PairRule] = {}
NODE_RULES: dict[str, NodeRule] = {}


def rule(name: str) -> Callable[[PairRule], PairRule]:
    """Registers a pair rule ``(outer, inner) -> replacement steps (inner first) | None``."""

    def reg(fn: PairRule) -> PairRule:
        RULES[name] = fn
        return fn

    return reg


def node_rule(name: str) -> Callable[[NodeRule], NodeRule]:
    """Registers a node rule ``node -> replacement | None`` (applied after its children)."""

    def reg(fn: NodeRule) -> NodeRule:
        NODE_RULES[name] = fn
        return fn

    return reg


def _is(op: IR, up: bool) -> bool:
    return isinstance(op, Sampling) and op.up == up


@rule("down_down")
def _down_down(outer: IR, inner: IR) -> list[IR] | None:
    if isinstance(outer, Sampling) and isinstance(inner, Sampling) and not outer.up:
        if not inner.up and len(outer.factors) == len(inner.factors):
            ks = tuple(a * b for a, b in zip(outer.factors, inner.factors))
            ps = tuple(
                k2 * p1 + p2 for k2, p1, p2 in zip(inner.factors, outer.phases, inner.phases)
            )
            return [Sampling(factors=ks, phases=ps, up=False)]
    return None


@rule("up_up")
def _up_up(outer: IR, inner: IR) -> list[IR] | None:
    if isinstance(outer, Sampling) and isinstance(inner, Sampling) and outer.up and inner.up:
        if len(outer.factors) == len(inner.factors):
            ks = tuple(a * b for a, b in zip(outer.factors, inner.factors))
            ps = tuple(
                k1 * p2 + p1 for k1, p1, p2 in zip(outer.factors, outer.phases, inner.phases)
            )
            return [Sampling(factors=ks, phases=ps, up=True)]
    return None


@rule("down_up_identity")
def _down_up(outer: IR, inner: IR) -> list[IR] | None:
    """``↓k,p ∘ ↑k,p = I`` (with different phases the product is zero: not rewritten)."""
    if isinstance(outer, Sampling) and isinstance(inner, Sampling) and not outer.up and inner.up:
        if outer.factors == inner.factors and outer.phases == inner.phases:
            return []
    return None


@rule("strided_conv")
def _down_conv(outer: IR, inner: IR) -> list[IR] | None:
    """``↓k ∘ (w ⋆)`` → window strides (phases compose: ``↓k,p ∘ ↓s,ps = ↓ks, ps + s·p``)."""
    if _is(outer, False) and isinstance(inner, Conv):
        assert isinstance(outer, Sampling)
        if len(outer.factors) == inner.ndim:
            ks = tuple(k * s for k, s in zip(outer.factors, inner.down))
            ps = tuple(q + s * p for s, p, q in zip(inner.down, outer.phases, inner.down_phase))
            return [dataclasses.replace(inner, down=ks, down_phase=ps)]
    return None


@rule("polyphase")
def _conv_up(outer: IR, inner: IR) -> list[IR] | None:
    """``(w ⋆) ∘ ↑k`` → polyphase (phases compose: ``↑u,pu ∘ ↑k,p = ↑uk, u·p + pu``)."""
    if isinstance(outer, Conv) and _is(inner, True) and outer.wrap is None:
        assert isinstance(inner, Sampling)
        if len(inner.factors) == outer.ndim:
            ks = tuple(u * k for u, k in zip(outer.up, inner.factors))
            ps = tuple(u * p + q for u, p, q in zip(outer.up, inner.phases, outer.up_phase))
            return [dataclasses.replace(outer, up=ks, up_phase=ps)]
    return None


@rule("permute_permute")
def _permute_permute(outer: IR, inner: IR) -> list[IR] | None:
    """Two axis moves are one; moving back and forth is nothing (``axis=`` chains fuse)."""
    if isinstance(outer, Permute) and isinstance(inner, Permute):
        perm = tuple(inner.perm[i] for i in outer.perm)
        return [] if perm == tuple(range(len(perm))) else [Permute(perm=perm)]
    return None


def _crop(w: IR) -> bool:
    return isinstance(w, Window) and all(a <= 0 and b <= 0 for a, b in w.pads)


def _zero_pad(w: IR) -> bool:
    return isinstance(w, Window) and all(a >= 0 and b >= 0 for a, b in w.pads)


@rule("crop_into_pads")
def _crop_conv(outer: IR, inner: IR) -> list[IR] | None:
    """``crop(a, b) ∘ (w ⋆)`` → the correlation's padding reduced by ``(a, b)`` (stride 1 only)."""
    if _crop(outer) and isinstance(inner, Conv) and all(s == 1 for s in inner.down):
        assert isinstance(outer, Window)
        if len(outer.pads) == inner.ndim:
            pads = tuple((lo + a, hi + b) for (lo, hi), (a, b) in zip(inner.pads, outer.pads))
            return [dataclasses.replace(inner, pads=pads)]
    return None


@rule("zero_pad_into_pads")
def _conv_pad(outer: IR, inner: IR) -> list[IR] | None:
    """``(w ⋆) ∘ pad(a, b)`` (zero padding) → the correlation's padding grown by ``u·(a, b)``."""
    if isinstance(outer, Conv) and _zero_pad(inner) and outer.wrap is None:
        assert isinstance(inner, Window)
        if len(inner.pads) == outer.ndim:
            pads = tuple(
                (lo + u * a, hi + u * b)
                for (lo, hi), (a, b), u in zip(outer.pads, inner.pads, outer.up)
            )
            return [dataclasses.replace(outer, pads=pads)]
    return None


def corr_kernel(c: Conv) -> jax.Array:
    """The correlation kernel of ``c``: its kernel, flipped on the spatial axes for convolutions."""
    if not c.flip:
        return c.kernel
    return jnp.flip(c.kernel, tuple(range(c.kernel.ndim - c.ndim, c.kernel.ndim)))


@rule("conv_conv")
def _conv_conv(outer: IR, inner: IR) -> list[IR] | None:
    """``(w2 ⋆) ∘ (w1 ⋆)`` → one correlation with ``w2 ∗ w1`` when the cost model says cheaper.

    Exact only if zero-padding the inner output equals padding the input more: on each side the
    outer pad is 0 or the inner one is "full" (``lo1 >= L1 - 1``).
    """
    if not (isinstance(outer, Conv) and isinstance(inner, Conv)):
        return None
    if not (outer.plain_stride1 and inner.plain_stride1 and outer.ndim == inner.ndim):
        return None
    if outer.kind != inner.kind or outer.kernel.dtype != inner.kernel.dtype:
        return None
    if outer.groups != 1 or inner.groups != 1:
        return None
    if outer.precision != inner.precision or outer.preferred_element_type is not None:
        return None  # a preferred type changes the dtype between the two: not one kernel
    if inner.preferred_element_type is not None:
        return None
    for (lo1, hi1), (lo2, hi2), k1 in zip(inner.pads, outer.pads, inner.taps):
        if not ((lo2 == 0 or lo1 >= k1 - 1) and (hi2 == 0 or hi1 >= k1 - 1)):
            return None
    sep, merged = cost.merge_cost(outer, inner)
    if merged > sep:
        return None
    w = combine_kernels(corr_kernel(outer), corr_kernel(inner), outer.kind, outer.ndim)
    pads = tuple((a + c, b + d) for (a, b), (c, d) in zip(inner.pads, outer.pads))
    name = f"({outer.name}∗{inner.name})"
    return [dataclasses.replace(inner, kernel=w, flip=False, pads=pads, name=name)]


def combine_kernels(w2: jax.Array, w1: jax.Array, kind: Kind, nd: int) -> jax.Array:
    """The correlation kernel of ``(w2 ⋆) ∘ (w1 ⋆)``: ``w[j] = sum_i w2[i] w1[j - i]``.

    Built by padding and summing shifted copies (no ``.at[].add``: that scatter followed by a
    flip aborted XLA:CPU's compiler, jax 0.10.2).
    """
    t2, t1 = w2.shape[-nd:], w1.shape[-nd:]
    full = tuple(a + b - 1 for a, b in zip(t1, t2))
    out = None
    for idx in np.ndindex(*t2):
        tap = w2[(..., *idx)]
        term = (
            jnp.einsum("om,mi...->oi...", tap, w1)
            if kind is Kind.MIXING
            else (tap.reshape(tap.shape + (1,) * nd) * w1)
        )
        cfg = [(0, 0)] * (term.ndim - nd) + [(i, f - i - t) for i, f, t in zip(idx, full, t1)]
        term = jnp.pad(term, cfg)
        out = term if out is None else out + term
    assert out is not None
    return out


@node_rule("fold_scale")
def _fold_scale(ir: IR) -> IR | None:
    """``c·(... (w ⋆) ...)`` → the (static, real) scalar folded into the first kernel."""
    if not isinstance(ir, Mul) or ir.c is not None or isinstance(ir.value, complex):
        return None
    steps = ir.body.steps if isinstance(ir.body, Seq) else (ir.body,)
    for i, f in enumerate(steps):
        if isinstance(f, Conv):
            folded = dataclasses.replace(
                f, kernel=f.kernel * jnp.asarray(ir.value, f.kernel.dtype),
                name=f"{_num(ir.value)}{f.name}",
            )  # fmt: skip
            new = (*steps[:i], folded, *steps[i + 1 :])
            return new[0] if len(new) == 1 else Seq(steps=new)
    return None


@node_rule("transpose_transpose")
def _transpose_transpose(ir: IR) -> IR | None:
    """``(Aᵀ)ᵀ = A`` and ``(Aᴴ)ᴴ = A``: nested transposes do not grow the program."""
    if isinstance(ir, Pullback) and isinstance(ir.body, Pullback) and ir.conj == ir.body.conj:
        return ir.body.body
    return None


def _stackable(terms: tuple[IR, ...]) -> bool:
    first = terms[0]
    if not isinstance(first, Conv) or first.kind is not Kind.SINGLE:
        return False
    same = ("ndim", "flip", "dilation", "pads", "wrap", "up", "up_phase", "down", "down_phase",
            "precision", "preferred_element_type")  # fmt: skip
    return all(
        isinstance(t, Conv)
        and t.kernel.shape == first.kernel.shape
        and t.kernel.dtype == first.kernel.dtype
        and all(getattr(t, f) == getattr(first, f) for f in same)
        for t in terms[1:]
    )


@dataclasses.dataclass(frozen=True)
class ChannelAxis:
    """``x -> x`` with a channel axis of 1 before its ``nd`` spatial axes (``stack_branches``:
    a structured callable, so readers of the IR recognise the stacked form by type)."""

    nd: int

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.expand_dims(x, x.ndim - self.nd)


@dataclasses.dataclass(frozen=True)
class SplitChannels:
    """``y -> (y[.., 0, *S], ..., y[.., n-1, *S])``: the stacked bank's outputs split again."""

    n: int
    nd: int

    def __call__(self, y: jax.Array) -> tuple[jax.Array, ...]:
        axis = y.ndim - self.nd - 1
        return tuple(jax.lax.index_in_dim(y, i, axis, keepdims=False) for i in range(self.n))


@node_rule("stack_branches")
def _stack_branches(ir: IR) -> IR | None:
    """``(q₀ ⋆ x, q₁ ⋆ x, ...)`` with the same geometry: ONE convolution whose output channels
    are the branches (``x`` gets a channel axis of 1, the result is split along it).

    A filter bank's filters then run as one strided (or polyphase) program, and so do its
    transpose (one Pullback of the stacked convolution) and its kernel gradients.
    """
    if not isinstance(ir, Branch) or len(ir.terms) < 2 or not _stackable(ir.terms):
        return None
    convs = [t for t in ir.terms if isinstance(t, Conv)]
    c, nd, n = convs[0], convs[0].ndim, len(convs)
    kernel = jnp.stack([t.kernel for t in convs])[:, None]  # (C_out, 1, *K): a mixing kernel
    stacked = dataclasses.replace(
        c, kernel=kernel, name="[" + ",".join(t.name for t in convs) + "]"
    )

    return Seq(steps=(
        Apply(fn=ChannelAxis(nd), label_="channel axis", sym=lambda x: x),
        stacked,
        Apply(fn=SplitChannels(n, nd), label_=f"split({n})", sym=lambda x: x),
    ))  # fmt: skip


def _num(v: object) -> str:
    return "-" if v == -1 else f"{v}·"


# ---- driving the rules --------------------------------------------------------------------------
def _flat(ir: IR) -> list[IR]:
    if isinstance(ir, Seq):
        return [s for step in ir.steps for s in _flat(step)]
    return [ir]


def rewrite(ir: IR, fired: list[str] | None = None) -> IR:
    """Rewrites ``ir`` bottom-up with the registered rules until none fires.

    Sees every node: compositions, sums, scalings, pullbacks (transposes) and pins.

    Args:
      ir: an IR tree.
      fired: if given, the names of the rules that fired are appended to it.

    Returns:
      An equivalent IR tree (same shapes, dtypes and values).
    """
    fired = [] if fired is None else fired
    if isinstance(ir, Seq):
        chain = [s for step in ir.steps for s in _flat(rewrite(step, fired))]
        changed = True
        while changed:
            changed = False
            for i in range(len(chain) - 1):
                for name, fn in RULES.items():
                    new = fn(chain[i + 1], chain[i])
                    if new is not None:
                        fired.append(name)
                        chain[i : i + 2] = new
                        changed = True
                        break
                if changed:
                    break
        out: IR = chain[0] if len(chain) == 1 else Seq(steps=tuple(chain))
    elif isinstance(ir, (Add, Mul, Pullback, Pin, *MULTI)):
        out = rebuild(ir, tuple(rewrite(k, fired) for k in children(ir)))
    else:
        return ir
    for name, fn in NODE_RULES.items():
        new_node = fn(out)
        if new_node is not None:
            fired.append(name)
            out = new_node
    return out
