"""Lowering: operator expressions to fast lax programs, installed as the evaluator of ``A(x)``.

``A(x)`` rewrites ``A`` (see ``_rules.py``) and emits each lowered convolution with a strategy
(``_strategies.py``) chosen by a cost model, a measured :class:`Plan`, or the user
(``ca.lower(A, strategy=...)``). ``ca.as_written(A)`` keeps evaluation as written reachable.

Transposes and gradients stay automatic, and fast: a strided or polyphase convolution is a
``jax.custom_jvp`` whose tangent is written so that JAX's *transpose* of it is again one of the
algebra's fast forms — ``jax.vjp`` (hence ``jax.grad``, ``ca.transpose`` and ``A.T``) of a strided
convolution runs a polyphase program, and of a polyphase one a strided convolution, never a
convolution with ``lhs_dilation``; kernel gradients are those of VALID convolutions.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _base, _plan, _rules, _strategies
from ._algebra import Bound, Compose, Scale, Sum
from ._base import Operator, Shape, as_struct, pytree_node
from ._ops import kernel_dtype
from ._transpose import Transposed

STRATEGIES = _strategies.STRATEGIES


@dataclasses.dataclass(frozen=True)
class _Ctx:
    strategy: str | None = None
    plan: Plan | None = None


# ---- one lowered convolution --------------------------------------------------------------------
def _sub_kernel(w: jax.Array, plans, combo, nd: int) -> tuple[jax.Array, tuple[int, ...]]:
    rsub = []
    for a, (p, i) in enumerate(zip(plans, combo)):
        ph = p.phases[i]
        ax = w.ndim - nd + a
        if ph.sub[0] in ("slice", "dense"):
            _, e, u = ph.sub
            if (e, u) != (0, 1):
                w = lax.slice_in_dim(w, e, w.shape[ax], u, axis=ax)
        rsub.append(ph.rsub)
    return w, tuple(rsub)


def _dense_axes(w: jax.Array, node: _rules.LConv, plans) -> jax.Array:
    """Materialises the dilation on axes whose plan needs the dense kernel."""
    nd = node.ndim
    cfg = [(0, 0, 0)] * (w.ndim - nd)
    need = False
    for a, p in enumerate(plans):
        dense = any(ph.sub[0] == "dense" for ph in p.phases)
        need |= dense
        cfg.append((0, 0, node.dil[a] - 1 if dense else 0))
    return lax.pad(w, jnp.zeros((), w.dtype), cfg) if need else w


def _lead_shape(x: jax.Array, w: jax.Array, kind: str, nd: int) -> Shape:
    if kind == "single":
        return x.shape[:-nd]
    return (*x.shape[: -nd - 1], w.shape[0])


def _forward(node: _rules.LConv, x: jax.Array, w: jax.Array, strategy: str) -> jax.Array:
    """The lowered program of ``node`` on ``x`` (wrap-padded already), correlation kernel ``w``."""
    nd, kind = node.ndim, node.kind
    spatial = x.shape[-nd:]
    plans = [
        _plan.axis_plan(
            n,
            node.taps[a],
            node.dil[a],
            *node.pads[a],
            node.up[a],
            node.up_phase[a],
            node.down[a],
            node.down_phase[a],
        )
        for a, n in enumerate(spatial)
    ]
    wd = _dense_axes(w, node, plans)
    lead = _lead_shape(x, w, kind, nd)
    if strategy == "lax" and any(p.interleave > 1 for p in plans):
        y = _stacked(node, plans, x, wd)
        if y is not None:
            return y
    impl = _strategies.IMPLS[strategy]
    outs = {}
    for combo in itertools.product(*[range(len(p.phases)) for p in plans]):
        phs = [p.phases[i] for p, i in zip(plans, combo)]
        counts = tuple(ph.count for ph in phs)
        if any(ph.sub == ("zero",) for ph in phs) or 0 in counts:
            outs[combo] = jnp.zeros(lead + counts, x.dtype)
            continue
        wsub, rsub = _sub_kernel(wd, plans, combo, nd)
        pads = [(ph.lo, ph.hi) for ph in phs]
        own = strategy == "lax" and all(u == 1 for u in node.up)  # strided: the conv pads
        if own:
            xp = _strategies._padded(x, nd, [(min(lo, 0), min(hi, 0)) for lo, hi in pads])
            cpads = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
        else:  # polyphase: explicit pad before a VALID conv keeps kernel gradients fast
            xp, cpads = _strategies._padded(x, nd, pads), [(0, 0)] * nd
        strides = tuple(ph.stride for ph in phs)
        outs[combo] = impl(xp, wsub, kind, nd, strides, rsub, cpads)
    return _assemble(outs, plans, nd, 0, ())


def _grow_output(n_in, taps, cpads, strides, rsubs, counts):
    """Pads one axis so that the convolution has one more output than input samples.

    Measured on XLA:CPU (jax 0.10.2, 2 cores): 2-D convolutions with more than 16 features are
    routed to a YNNPACK path unless an output axis is longer than its input; for the stacked
    polyphase convolution that path ran 1.7-1.9x slower, and the kernel gradient of a training
    step 3x slower, than XLA's own convolution. One extra output row (cropped in depth-to-space)
    costs ~1/n of the work and keeps the convolution on XLA's path.
    """
    outs = [
        (n + lo + hi - (k - 1) * r - 1) // g + 1
        for n, k, (lo, hi), g, r in zip(n_in, taps, cpads, strides, rsubs)
    ]
    if any(o > n for o, n in zip(outs, n_in)):
        return cpads, counts
    extra = [n - o + 1 for o, n in zip(outs, n_in)]
    cost = [e * int(np.prod(outs)) // max(o, 1) for e, o in zip(extra, outs)]
    a = int(np.argmin(cost))
    cpads = list(cpads)
    cpads[a] = (cpads[a][0], cpads[a][1] + strides[a] * extra[a])
    counts = list(counts)
    counts[a] += extra[a]
    return cpads, counts


def _stacked(node: _rules.LConv, plans, x: jax.Array, wd: jax.Array) -> jax.Array | None:
    """Polyphase as ONE convolution: every phase's sub-kernel is an output channel.

    The sub-kernels of an axis's phases are zero-padded onto a common window (their offsets
    into ``x`` differ by at most the kernel length), so a single VALID stride-1 convolution of
    the explicitly padded ``x`` computes all phases at once (``u^d · C_out`` output channels);
    a depth-to-space reshape/transpose interleaves them. Phases that are identically zero are
    left out of the convolution and inserted as zeros. ``None`` when no phase is nonzero.
    """
    nd, kind = node.ndim, node.kind
    spatial = x.shape[-nd:]
    live, shifts, pads, strides, rsubs, counts = [], [], [], [], [], []
    for p, n in zip(plans, spatial):
        idx = [i for i, ph in enumerate(p.phases) if ph.sub != ("zero",) and ph.count > 0]
        if not idx:
            return None
        phs = [p.phases[i] for i in idx]
        count = max(ph.count for ph in p.phases)
        if len(idx) == 1:  # one sub-kernel on this axis: keep its sub-dilation and stride
            ph = phs[0]
            length, sh, base = ph.taps, [0], -ph.lo
            rsub, stride = ph.rsub, ph.stride
            span = (length - 1) * rsub + 1
        else:  # several phases (stride 1, dense sub-kernels): a common window
            assert all(ph.rsub == 1 and ph.stride == 1 for ph in phs), phs
            base = min(-ph.lo for ph in phs)
            length = max(-ph.lo - base + ph.taps for ph in phs)
            sh = [-ph.lo - base for ph in phs]
            rsub, stride, span = 1, 1, length
        lo = -base
        hi = stride * (count - 1) + span - n - lo
        live.append(idx)
        shifts.append([(a, length - a - ph.taps) for a, ph in zip(sh, phs)])
        pads.append((lo, hi))
        strides.append(stride)
        rsubs.append(rsub)
        counts.append(count)
    subs = []
    for combo in itertools.product(*[range(len(i)) for i in live]):
        full = tuple(live[a][j] for a, j in enumerate(combo))
        wsub, _ = _sub_kernel(wd, plans, full, nd)
        cfg = [(0, 0, 0)] * (wsub.ndim - nd) + [(*shifts[a][j], 0) for a, j in enumerate(combo)]
        subs.append(lax.pad(wsub, jnp.zeros((), wsub.dtype), cfg))
    nph = len(subs)
    zs = tuple(len(i) for i in live)
    taps = subs[0].shape[-nd:]
    # explicit pad before a VALID conv: kernel gradients stay fast (measured: with the conv's
    # own padding the training step of a 2-D transposed conv ran 2x slower, 75x off YNNPACK)
    xp, cpads = _strategies._padded(x, nd, pads), [(0, 0)] * nd
    lead, b = _strategies._split(xp, kind, nd)
    cin = 1 if kind == "single" else xp.shape[-nd - 1]
    cout = nph * (wd.shape[0] if kind != "single" else 1)
    if nd == 2 and max(cin, cout) > 16 and jax.default_backend() == "cpu":
        cpads, counts = _grow_output(xp.shape[-nd:], taps, cpads, strides, rsubs, counts)
    if kind == "mixing":  # (C_out, P, C_in, *L) -> (C_out·P, C_in, *L): channel-major
        c = wd.shape[0]
        ws = jnp.stack(subs, 1).reshape((c * nph, cin, *taps))
    elif kind == "depthwise":  # (C, P, *L) -> (C·P, 1, *L): P outputs per channel group
        c = wd.shape[0]
        ws = jnp.stack(subs, 1).reshape((c * nph, 1, *taps))
    else:  # single: the phases are the output channels of a 1-channel convolution
        c, ws = 1, jnp.stack(subs).reshape((nph, 1, *taps))
    y = lax.conv_general_dilated(
        xp.reshape((b, cin, *xp.shape[-nd:])),
        ws,
        tuple(strides),
        cpads,
        rhs_dilation=tuple(rsubs),
        feature_group_count=cin if kind == "depthwise" else 1,
        precision=_strategies._HI,
    )
    chan = () if kind == "single" else (c,)
    y = y.reshape((*lead, *chan, *zs, *y.shape[-nd:]))  # (..., C, *Z, *count)
    return _depth_to_space(y, plans, live, counts, nd)


def _depth_to_space(y: jax.Array, plans, live, counts, nd: int) -> jax.Array:
    """``(..., *Z, *count)`` phase-major outputs → the interleaved, decimated result."""
    lead = y.ndim - 2 * nd
    for a, p in enumerate(plans):  # zero phases back in, so each axis has all its phases
        if len(live[a]) < len(p.phases):
            ax = lead + a
            zero = jnp.zeros((*y.shape[:ax], 1, *y.shape[ax + 1 :]), y.dtype)
            parts = [zero] * len(p.phases)
            for j, i in enumerate(live[a]):
                parts[i] = lax.slice_in_dim(y, j, j + 1, axis=ax)
            y = jnp.concatenate(parts, axis=ax)
    perm = list(range(lead))
    for a in range(nd):
        perm += [lead + nd + a, lead + a]
    y = jnp.transpose(y, perm)
    y = y.reshape((*y.shape[:lead], *[c * len(p.phases) for c, p in zip(counts, plans)]))
    for a, p in enumerate(plans):
        ax = lead + a
        if p.interleave == 1:
            if y.shape[ax] > p.out_len:
                y = lax.slice_in_dim(y, 0, p.out_len, axis=ax)
            continue
        if p.out_len == 0:
            y = lax.slice_in_dim(y, 0, 0, axis=ax)
        else:
            stop = p.phase + p.stride * (p.out_len - 1) + 1
            y = lax.slice_in_dim(y, p.phase, stop, p.stride, axis=ax)
    return y


def _assemble(outs, plans, nd: int, axis: int, prefix: tuple) -> jax.Array:
    if axis == nd:
        return outs[prefix]
    p = plans[axis]
    parts = [_assemble(outs, plans, nd, axis + 1, (*prefix, i)) for i in range(len(p.phases))]
    if p.interleave == 1:
        return parts[0]
    ax = parts[0].ndim - nd + axis
    a0 = max(q.shape[ax] for q in parts)
    parts = [
        lax.pad(
            q,
            jnp.zeros((), q.dtype),
            [(0, 0, 0)] * ax + [(0, a0 - q.shape[ax], 0)] + [(0, 0, 0)] * (q.ndim - ax - 1),
        )
        for q in parts
    ]
    v = jnp.stack(parts, axis=ax + 1)
    v = v.reshape((*v.shape[:ax], a0 * p.interleave, *v.shape[ax + 2 :]))
    if p.out_len == 0:
        return lax.slice_in_dim(v, 0, 0, axis=ax)
    stop = p.phase + p.stride * (p.out_len - 1) + 1
    return lax.slice_in_dim(v, p.phase, stop, p.stride, axis=ax)


def transpose_node(node: _rules.LConv, spatial: Shape, w_t: jax.Array) -> _rules.LConv:
    """The LConv of ``Aᵀ`` for ``A = node`` on inputs with ``spatial`` trailing lengths.

    ``(↓s,ps (w ⋆) pad(lo, hi) ↑u,pu)ᵀ = ↓u,pu (flip(w) ⋆) pad(Lc-1-lo, Lc-1-hi + M - sT) ↑s,ps``
    (``M`` samples before decimation, ``T`` after): the transpose is the same kind of node, so
    it lowers with the same machinery. ``w_t`` is the transposed correlation kernel.
    """
    pads = []
    for a, n in enumerate(spatial):
        k, r, (lo, hi) = node.taps[a], node.dil[a], node.pads[a]
        u, s, ps = node.up[a], node.down[a], node.down_phase[a]
        lc = (k - 1) * r + 1
        m = u * n + lo + hi - lc + 1
        t = _plan.out_length(n, k, r, lo, hi, u, s, ps)
        pads.append((lc - 1 - lo, lc - 1 - hi + m - s * t))
    return _rules.LConv(
        w_t,
        node.ndim,
        False,
        False,
        node.dil,
        tuple(pads),
        None,
        node.down,
        node.down_phase,
        node.up,
        node.up_phase,
    )


def _kernel_t(w: jax.Array, kind: str, nd: int) -> jax.Array:
    if kind == "mixing":
        w = jnp.swapaxes(w, 0, 1)
    return jnp.flip(w, tuple(range(w.ndim - nd, w.ndim)))


def _is_zero(t: Any) -> bool:
    return isinstance(t, jax.custom_derivatives.SymbolicZero)


def _with_fast_transpose(node, x, w, strategy):
    """``_forward`` as a ``custom_jvp`` whose tangent transposes into the algebra's fast forms."""
    nd = node.ndim

    @jax.custom_jvp
    def f(x, w):
        return _forward(node, x, w, strategy)

    def jvp(primals, tangents):
        x, w = primals
        dx, dw = tangents
        y = f(x, w)
        out = []
        if not _is_zero(dx):
            tnode = transpose_node(node, x.shape[-nd:], _kernel_t(w, node.kind, nd))
            g = lambda v: _forward(tnode, v, tnode.kernel, strategy)  # noqa: E731
            out.append(jax.linear_transpose(g, jax.ShapeDtypeStruct(y.shape, y.dtype))(dx)[0])
        if not _is_zero(dw):
            out.append(_forward(node, x, dw, strategy))
        t = out[0] if out else jnp.zeros_like(y)
        for o in out[1:]:
            t = t + o
        return y, t

    f.defjvp(jvp, symbolic_zeros=True)
    return f(x, w)


def choose(node: _rules.LConv, in_shape: Shape, ctx: _Ctx) -> str:
    """The strategy for ``node``: forced, else from the plan, else the cost model."""
    if ctx.strategy is not None:
        return ctx.strategy
    if ctx.plan is not None:
        got = ctx.plan.lookup(node, in_shape)
        if got is not None:
            return got
    costs = {s: node_cost(node, in_shape, s) for s in STRATEGIES}
    return min(costs, key=costs.get)


def node_cost(node: _rules.LConv, in_shape: Shape, strategy: str) -> float:
    nd, kind = node.ndim, node.kind
    out_shape, _ = node._infer(tuple(in_shape), np.dtype(np.float32))
    ks = node.kernel.shape
    cout = ks[0] if kind != "single" else 1
    cin = {"mixing": ks[1] if len(ks) > 1 else 1, "depthwise": cout}.get(kind, 1)
    batch = int(np.prod(in_shape[: len(in_shape) - nd - (0 if kind == "single" else 1)]))
    n_in = int(np.prod([u * n for u, n in zip(node.up, in_shape[-nd:])]))
    n_out = int(np.prod(out_shape[-nd:]))
    taps = int(np.prod(node.taps))
    if strategy == "fft":
        n_out = int(np.prod(out_shape[-nd:]) * np.prod(node.down))  # computes every output
    return _strategies.estimate(strategy, kind, batch, cin, cout, n_in, n_out, taps)


def emit_lconv(node: _rules.LConv, x: jax.Array, ctx: _Ctx | None) -> jax.Array:
    """Emits the lax program of one lowered convolution node."""
    ctx = ctx or _Ctx()
    nd = node.ndim
    dtype = kernel_dtype(x.dtype, node.kernel.dtype, node.weak)
    strategy = choose(node, x.shape, ctx)
    if strategy not in STRATEGIES:
        raise ValueError(f"lower: unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    x, w = x.astype(dtype), node.corr_kernel().astype(dtype)
    if node.wrap:
        x = jnp.pad(x, [(0, 0)] * (x.ndim - nd) + list(node.wrap), mode="wrap")
    resampled = any(u > 1 for u in node.up) or any(s > 1 for s in node.down)
    if strategy == "lax" and resampled and node.wrap is None:
        return _with_fast_transpose(node, x, w, strategy)
    return _forward(node, x, w, strategy)


# ---- whole expressions -----------------------------------------------------------------------
def emit(op: Operator, x: jax.Array, ctx: _Ctx) -> jax.Array:
    """Evaluates a rewritten expression with lowered nodes."""
    if isinstance(op, _rules.LConv):
        return emit_lconv(op, x, ctx)
    if isinstance(op, Compose):
        return emit(op.outer, emit(op.inner, x, ctx), ctx)
    if isinstance(op, Bound):
        return emit(op.op, x, ctx)
    if isinstance(op, Sum):
        a, b = emit(op.left, x, ctx), emit(op.right, x, ctx)
        dt = np.result_type(a.dtype, b.dtype)
        return a.astype(dt) + b.astype(dt)
    if isinstance(op, Scale):
        y = emit(op.op, x, ctx)
        dt = op._dtype(y.dtype)
        return y.astype(dt) * jnp.asarray(op.c).astype(dt)
    if isinstance(op, Lowered):
        return emit(_rules.rewrite(op.op), x, _Ctx(op.strategy, op.plan or ctx.plan))
    if isinstance(op, Transposed):
        return _emit_transposed(op, x, ctx)
    return op._apply(x)


def _emit_transposed(op: Transposed, y: jax.Array, ctx: _Ctx) -> jax.Array:
    """``Aᵀ y`` as the pullback of the lowered ``A`` (``jax.vjp``: fast by the custom JVPs)."""
    struct = op.bound._fixed_in()
    y = y.astype(op._in_struct().dtype)
    inner = _rules.rewrite(op.bound.op)
    _, pull = jax.vjp(lambda z: emit(inner, z, ctx), jnp.zeros(struct.shape, struct.dtype))
    if op.conj:
        return jnp.conj(pull(jnp.conj(y))[0])
    return pull(y)[0]


def _evaluate(op: Operator, x: jax.Array) -> jax.Array:
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return op._apply(x)  # integer inputs: evaluation as written decides the dtype rules
    return emit(_rules.rewrite(op), x, _Ctx(None, _ACTIVE_PLAN[0] if _ACTIVE_PLAN else None))


_ACTIVE_PLAN: list[Plan] = []


@pytree_node(data=("op",))
class Lowered(Operator):
    """``op`` evaluated with a forced strategy and/or a plan (see :func:`lower`)."""

    op: Operator
    strategy: str | None
    plan: Plan | None

    def _label(self) -> str:
        return f"lower({self.op!r}, strategy={self.strategy!r})"

    def _sym(self, x: str) -> str:
        return self.op._sym(x)

    def _infer(self, shape, dtype):
        return self.op._infer(shape, dtype)

    def _channels(self):
        return self.op._channels()

    def _fixed_in(self):
        return self.op._fixed_in()

    def _apply(self, x: jax.Array) -> jax.Array:
        return emit(self, x, _Ctx())


def _check_strategy(op: Operator, strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"lower: unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    convs = [f for f in _walk(_rules.rewrite(op)) if isinstance(f, _rules.LConv)]
    if not convs:
        raise ValueError(
            f"lower: strategy {strategy!r} cannot express {op!r}: it contains no convolution "
            "to lower (it is evaluated as written)"
        )
    if strategy == "fft":
        for c in convs:
            if jnp.issubdtype(c.kernel.dtype, jnp.integer):
                raise ValueError(f"lower: strategy 'fft' cannot express {c!r}: integer kernel")


def _walk(op: Operator):
    yield op
    for name in ("outer", "inner", "left", "right", "op", "bound"):
        child = getattr(op, name, None)
        if isinstance(child, Operator):
            yield from _walk(child)


def lower(op: Operator, strategy: str | None = None, plan: Plan | None = None) -> Operator:
    """``op`` with its lowering pinned: a strategy forced, or a measured plan used.

    ``A(x)`` is already lowered with the cost model's choice; ``lower`` lets you force one of
    ``"lax"`` (``lax.conv_general_dilated``: window strides, ``rhs_dilation``, polyphase
    sub-convolutions), ``"shift"`` (shifted multiply-adds / per-tap matmuls) or ``"fft"``.

    Args:
      op: an operator expression.
      strategy: one of ``ca.STRATEGIES`` or ``None`` (cost model / plan).
      plan: a :class:`Plan` of measured choices.

    Returns:
      An operator equal to ``op`` (same values, shapes, dtypes, transposes).

    Raises:
      ValueError: for an unknown strategy, or one that cannot express ``op``.

    Example:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> A = ca.lower(ca.down(2) @ ca.corr(jnp.ones(3)), strategy="shift")
      >>> A(jnp.arange(6.0)).tolist()
      [0.0, 3.0, 9.0, 9.0]
    """
    if strategy is not None:
        _check_strategy(op, strategy)
    if plan is not None and not isinstance(plan, Plan):
        raise TypeError(f"lower: plan must be a ca.Plan, got {type(plan).__name__}")
    return Lowered(op, strategy, plan)


def as_written(op: Operator) -> Callable[[jax.typing.ArrayLike], jax.Array]:
    """A function evaluating ``op`` exactly as written (no rewrites, no strategies).

    Example:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.as_written(ca.down(2) @ ca.corr(jnp.ones(2)))(jnp.arange(4.0)).tolist()
      [0.0, 3.0, 3.0]
    """

    def run(x: jax.typing.ArrayLike) -> jax.Array:
        x = jnp.asarray(x)
        op._infer(tuple(x.shape), np.dtype(x.dtype))
        return op._apply(x)

    return run


# ---- measured plans ("wisdom") ------------------------------------------------------------------
def _key(node: _rules.LConv, in_shape: Shape) -> str:
    return "|".join(
        [
            node.kind,
            str(tuple(node.kernel.shape)),
            str(node.dil),
            str(node.pads),
            str(node.wrap),
            str(node.up),
            str(node.up_phase),
            str(node.down),
            str(node.down_phase),
            str(tuple(in_shape)),
            jax.default_backend(),
        ]
    )


class Plan:
    """Measured strategy choices, saved and reloaded as JSON (like FFTW's wisdom).

    Example:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> A = ca.down(2) @ ca.corr(jnp.ones((4, 4, 3)), "same")
      >>> plan = ca.Plan().measure(A, jax.ShapeDtypeStruct((2, 4, 16), "float32"), repeats=1)
      >>> ca.Plan.from_json(plan.to_json()).entries == plan.entries
      True
    """

    VERSION = 1

    def __init__(self, entries: dict[str, str] | None = None):
        self.entries: dict[str, str] = dict(entries or {})

    def lookup(self, node: _rules.LConv, in_shape: Shape) -> str | None:
        return self.entries.get(_key(node, in_shape))

    def measure(self, op: Operator, x_like: Any, strategies=STRATEGIES, repeats: int = 5) -> Plan:
        """Times ``op`` under each strategy (medians, interleaved) and records the fastest."""
        import time

        s = as_struct(x_like)
        x = jnp.ones(s.shape, s.dtype)
        fns = {st: jax.jit(lower(op, strategy=st).__call__) for st in strategies}
        times: dict[str, list[float]] = {st: [] for st in strategies}
        for f in fns.values():
            jax.block_until_ready(f(x))
        for _ in range(max(1, repeats)):
            for st, f in fns.items():
                t0 = time.perf_counter()
                jax.block_until_ready(f(x))
                times[st].append(time.perf_counter() - t0)
        best = min(strategies, key=lambda st: float(np.median(times[st])))
        for node, shape in _conv_inputs(op, s):
            self.entries[_key(node, shape)] = best
        return self

    def to_json(self) -> str:
        return json.dumps({"convalgebra_plan": self.VERSION, "entries": self.entries}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parses a saved plan; raises ``ValueError`` if it is malformed."""
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as e:
            raise ValueError(f"Plan.from_json: not valid JSON: {e}") from e
        if not isinstance(data, dict) or data.get("convalgebra_plan") != cls.VERSION:
            raise ValueError(
                f"Plan.from_json: expected an object with 'convalgebra_plan': {cls.VERSION}, "
                f"got {str(data)[:80]!r}"
            )
        entries = data.get("entries")
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and v in STRATEGIES for k, v in entries.items()
        ):
            raise ValueError(
                "Plan.from_json: 'entries' must map strings to one of "
                f"{STRATEGIES}, got {str(entries)[:80]!r}"
            )
        return cls(entries)

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            f.write(self.to_json())

    @classmethod
    def load(cls, path: str) -> Plan:
        with open(path) as f:
            return cls.from_json(f.read())


def _conv_inputs(op: Operator, s: jax.ShapeDtypeStruct):
    """``(LConv node, its input shape)`` for the convolutions of the rewritten ``op``."""
    found = []

    def visit(o, shape):
        if isinstance(o, _rules.LConv):
            found.append((o, shape))
        if isinstance(o, Compose):
            visit(o.inner, shape)
            visit(o.outer, o.inner.out_struct(jax.ShapeDtypeStruct(shape, s.dtype)).shape)
        elif isinstance(o, (Sum,)):
            visit(o.left, shape)
            visit(o.right, shape)
        elif isinstance(o, (Scale, Bound)):
            visit(o.op, shape)

    visit(_rules.rewrite(op), tuple(s.shape))
    return found


def use_plan(plan: Plan | None) -> None:
    """Makes ``plan`` the default for every ``A(x)`` (``None`` returns to the cost model)."""
    _ACTIVE_PLAN.clear()
    if plan is not None:
        _ACTIVE_PLAN.append(plan)


def install() -> None:
    """Installs the lowered evaluator as the default of ``A(x)``."""
    _base.set_evaluator(_evaluate)
