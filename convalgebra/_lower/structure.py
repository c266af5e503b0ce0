"""What the rewritten IR says about an operator's spectrum: the ONE place that reads structure.

``deconv.solve`` and ``deconv.norm`` ask two questions of an operator's lowered and rewritten
IR (``lowered_ir``), never of the expression classes, so every operator the algebra builds is
seen (pinned, ``axis=``, transposed, several outputs, ``nn`` and ``signal`` operators):

* :func:`spectral`: is the operator a list of *terms* ``A_i = ↓k_i ∘ C_i`` (``k_i = 1``: no
  decimation) with ``C_i`` circular (shift-invariant on a period)? Each term carries a builder
  of its transfer function (one value per frequency, or a ``C_out × C_in`` matrix per
  frequency for channel mixing), computed from the kernels held in the IR's ``Conv`` nodes
  (a real FFT for real data), never by pushing impulses through the operator. Compositions
  (products), sums and scalings (sums and multiples), transposes and adjoints (conjugates),
  ``axis=`` (permutes), pins, ``Branch``/``Parallel``/``Join`` (several terms, term-wise
  products, sums) and the stacked form of a filter bank are read.
* :func:`isometry`: is ``AᴴA = cI`` or ``AAᴴ = cI`` (``↑k``, ``↓k``, zero pad, crop, scaled)?
  ``↓k ∘ ↑k`` has already been cancelled by the rewrite rule ``down_up_identity``.

Everything reads static fields (modes, wraps, factors, phases, ranks); the builders use the
kernels as traced arrays, so it runs under ``jit``, ``vmap`` and ``grad``.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._static.structs import Kind
from .ir import (
    IR,
    Add,
    Apply,
    Branch,
    Conv,
    Join,
    Mul,
    Parallel,
    Permute,
    Pin,
    Pullback,
    Sampling,
    Seq,
    Window,
)
from .rules import corr_kernel


class NotSpectral(Exception):
    """The operator has no spectral closed form; the message says which node and why."""


@dataclasses.dataclass(frozen=True)
class Ctx:
    """Where symbols are evaluated: the input ``shape``, the Fourier ``axes``, ``real``: a real
    FFT along the last of them, ``cdtype`` the complex dtype."""

    shape: tuple[int, ...]
    axes: tuple[int, ...]
    real: bool
    cdtype: Any

    def fwd(self, v: jax.Array, lead: int = 0) -> jax.Array:
        """The transform of ``v`` (``lead`` extra leading axes) over the Fourier axes."""
        axes = tuple(lead + a for a in self.axes)
        if not axes:
            return v.astype(self.cdtype)
        if self.real:
            return jnp.fft.rfftn(v, axes=axes)
        return jnp.fft.fftn(v.astype(self.cdtype), axes=axes)

    def inv(self, v: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        if not self.axes:
            return v
        if self.real:
            return jnp.fft.irfftn(v, s=[shape[a] for a in self.axes], axes=self.axes)
        return jnp.fft.ifftn(v, axes=self.axes)


@dataclasses.dataclass(frozen=True)
class Sym:
    """A transfer function on the input spectrum: ``diag`` (rank ``n``, broadcasting over it,
    channel axis of size ``C`` or 1) or a matrix ``(C_out, C_in, *rank n)`` (channel axis 1)."""

    a: jax.Array
    matrix: bool


@dataclasses.dataclass(frozen=True)
class Term:
    """One output: ``↓factors,phases ∘ C`` with ``C`` circular; ``build(ctx)`` its symbol."""

    in_shape: tuple[int, ...]  # in the original layout
    shape: tuple[int, ...]  # current shape (current layout), before the decimation
    lay: tuple[int, ...]  # current axis i is original axis lay[i]
    build: Callable[[Ctx], Sym]
    axes: frozenset[int]  # original axes the circular parts act on
    chan: int | None  # original channel axis (per-channel or mixing filters), if any
    cplx: bool  # a complex kernel or scale
    factors: tuple[int, ...] | None = None  # per original axis, after C; None: no ↓
    phases: tuple[int, ...] | None = None
    mixing: bool = False  # a channel-mixing filter: the symbol is a matrix per frequency

    @property
    def decimated(self) -> bool:
        return self.factors is not None and any(k > 1 for k in self.factors)

    @property
    def out_shape(self) -> tuple[int, ...]:
        if self.factors is None:
            return self.shape
        return tuple(n // k for n, k in zip(self.shape, self.factors))


Result = Any  # a Term, or a tuple of Results (several outputs)


def _ones(n: int, ctx: Ctx) -> Sym:
    return Sym(jnp.ones((1,) * n, ctx.cdtype), False)


def _to_matrix(s: Sym, chan: int, c: int) -> Sym:
    if s.matrix:
        return s
    v = jnp.moveaxis(s.a, chan, 0)
    v = jnp.expand_dims(v, 1 + chan)  # (c or 1, *rank n with the channel axis 1)
    v = jnp.broadcast_to(v, (c, *v.shape[1:]))
    eye = jnp.eye(c, dtype=v.dtype).reshape((c, c) + (1,) * (v.ndim - 1))
    return Sym(eye * v[:, None], True)


def _product(outer: Sym, inner: Sym, chan: int | None, c_mid: int) -> Sym:
    if not outer.matrix and not inner.matrix:
        return Sym(outer.a * inner.a, False)
    assert chan is not None
    o, i = _to_matrix(outer, chan, c_mid), _to_matrix(inner, chan, c_mid)
    return Sym(jnp.einsum("ok...,ki...->oi...", o.a, i.a), True)


def _sum(a: Sym, b: Sym, chan: int | None, c_out: int, c_in: int) -> Sym:
    if not a.matrix and not b.matrix:
        return Sym(a.a + b.a, False)
    assert chan is not None
    if c_out != c_in and not (a.matrix and b.matrix):
        raise NotSpectral("a sum of channel-mixing and per-channel terms")
    return Sym(_to_matrix(a, chan, c_in).a + _to_matrix(b, chan, c_in).a, True)


def _merge_chan(a: int | None, b: int | None) -> int | None:
    if a is not None and b is not None and a != b:
        raise NotSpectral(f"filters mix channels along different axes ({a} and {b})")
    return a if a is not None else b


def _identity(shape: tuple[int, ...], lay: tuple[int, ...], in_shape) -> Term:
    n = len(shape)
    return Term(in_shape, shape, lay, lambda ctx: _ones(n, ctx), frozenset(), None, False)


def _orig(shape: tuple[int, ...], lay: tuple[int, ...]) -> tuple[int, ...]:
    out = [0] * len(shape)
    for i, a in enumerate(lay):
        out[a] = shape[i]
    return tuple(out)


def _compose(outer: Term, inner: Term) -> Term:
    """``outer ∘ inner`` for terms analysed in sequence (``outer`` starts where ``inner`` ends)."""
    if inner.decimated:
        if outer.axes or outer.chan is not None:
            raise NotSpectral("a filter after ↓k (a multirate cascade) is not read in closed form")
        # only scalings after ↓k
        b_in, b_out = inner.build, outer.build

        def build_scaled(ctx: Ctx) -> Sym:
            s, t = b_in(ctx), b_out(ctx)
            return Sym(s.a * t.a.reshape(()) if t.a.size == 1 else s.a * t.a, s.matrix)

        return dataclasses.replace(inner, build=build_scaled, cplx=inner.cplx or outer.cplx)
    chan = _merge_chan(outer.chan, inner.chan)
    c_mid = _orig(inner.shape, inner.lay)[chan] if chan is not None else 1
    bo, bi = outer.build, inner.build
    return Term(
        inner.in_shape,
        outer.shape,
        outer.lay,
        lambda ctx: _product(bo(ctx), bi(ctx), chan, c_mid),
        outer.axes | inner.axes,
        chan,
        outer.cplx or inner.cplx,
        outer.factors,
        outer.phases,
        outer.mixing or inner.mixing,
    )


def _add(a: Term, b: Term) -> Term:
    if a.decimated or b.decimated or a.factors != b.factors:
        raise NotSpectral("a sum of decimated terms (↓k ∘ ... + ...)")
    if a.shape != b.shape or a.lay != b.lay:
        raise NotSpectral(f"a sum of terms of shapes {a.shape} and {b.shape}")
    chan = _merge_chan(a.chan, b.chan)
    c_out = _orig(a.shape, a.lay)[chan] if chan is not None else 1
    c_in = a.in_shape[chan] if chan is not None else 1
    ba, bb = a.build, b.build
    return dataclasses.replace(
        a,
        build=lambda ctx: _sum(ba(ctx), bb(ctx), chan, c_out, c_in),
        axes=a.axes | b.axes,
        chan=chan,
        cplx=a.cplx or b.cplx,
        mixing=a.mixing or b.mixing,
    )


def _scale(t: Term, value: Any, c: Any) -> Term:
    b = t.build
    cplx = isinstance(value, complex) or (
        c is not None and jnp.issubdtype(jnp.asarray(c).dtype, jnp.complexfloating)
    )

    def build(ctx: Ctx) -> Sym:
        s = b(ctx)
        if c is None:
            return Sym(s.a * value, s.matrix)  # a Python scalar: weak, keeps the dtype
        return Sym(s.a * jnp.asarray(c).astype(ctx.cdtype), s.matrix)

    return dataclasses.replace(t, build=build, cplx=t.cplx or cplx)


def _conv_kernel_d(c: Conv, spatial: tuple[int, ...]) -> jax.Array:
    """The impulse response of the circular node over one period: ``(*chan, *spatial)``.

    The node computes ``y[n] = sum_j w[j] x[(n + r·j - lo) mod N]`` (``w`` its correlation
    kernel, ``lo`` its left wrap), so the response to an impulse at 0 holds ``w[j]`` at
    ``(lo - r·j) mod N``: the dilated kernel flipped, zero-padded to ``N``, rolled.
    """
    nd = c.ndim
    assert c.wrap is not None
    w = corr_kernel(c)
    lead = w.ndim - nd
    if any(r > 1 for r in c.dilation):
        cfg = [(0, 0, 0)] * lead + [(0, 0, r - 1) for r in c.dilation]
        w = jax.lax.pad(w, jnp.zeros((), w.dtype), cfg)
    ke = w.shape[lead:]
    w = jnp.flip(w, tuple(range(lead, w.ndim)))
    w = jnp.pad(w, [(0, 0)] * lead + [(0, n - k) for n, k in zip(spatial, ke)])
    shift = tuple(lo - k + 1 for (lo, _), k in zip(c.wrap, ke))
    return jnp.roll(w, shift, tuple(range(lead, w.ndim)))


def _conv(c: Conv, shape: tuple[int, ...], lay: tuple[int, ...], in_shape) -> Term:
    if c.wrap is None:
        raise NotSpectral(f"{c.label()} is not circular (its boundary is not periodic)")
    if any(p != (0, 0) for p in c.pads) or any(u > 1 for u in c.up) or c.groups != 1:
        raise NotSpectral(f"{c.label()}: a circular convolution with a crop, ↑k or groups")
    n, nd = len(shape), c.ndim
    kind = c.kind
    spatial = shape[n - nd :]
    cur_axes = tuple(range(n - nd, n))
    chan_cur = n - nd - 1 if kind is not Kind.SINGLE else None
    chan = lay[chan_cur] if chan_cur is not None else None
    perm = tuple(lay.index(a) for a in range(n))  # current -> original layout
    if kind is Kind.MIXING:
        out_shape = (*shape[: n - nd - 1], c.kernel.shape[0], *spatial)
    else:
        out_shape = shape

    def build(ctx: Ctx) -> Sym:
        d = _conv_kernel_d(c, spatial).astype(ctx.cdtype if not ctx.real else c.kernel.dtype)
        if kind is Kind.SINGLE:
            d = d.reshape((1,) * (n - nd) + spatial)
            return Sym(ctx.fwd(jnp.transpose(d, perm)).astype(ctx.cdtype), False)
        if kind is Kind.DEPTHWISE:
            d = d.reshape((1,) * (n - nd - 1) + d.shape)
            return Sym(ctx.fwd(jnp.transpose(d, perm)).astype(ctx.cdtype), False)
        co, ci = d.shape[:2]
        d = d.reshape((co, ci) + (1,) * (n - nd) + spatial)
        d = jnp.transpose(d, (0, 1, *(2 + p for p in perm)))
        return Sym(ctx.fwd(d, lead=2).astype(ctx.cdtype), True)

    factors = None
    phases = None
    if any(s > 1 for s in c.down):
        f, p = [1] * n, [0] * n
        for i, a in enumerate(cur_axes):
            f[lay[a]], p[lay[a]] = c.down[i], c.down_phase[i]
        factors, phases = tuple(f), tuple(p)
    cplx = bool(jnp.issubdtype(c.kernel.dtype, jnp.complexfloating))
    axes = frozenset(lay[a] for a in cur_axes)
    mixing = kind is Kind.MIXING
    return Term(in_shape, out_shape, lay, build, axes, chan, cplx, factors, phases, mixing)


def _down(r: Sampling, t: Term) -> Term:
    """``↓k ∘ t``: the decimation recorded on the term (phases: a circular shift first)."""
    if t.factors is not None:
        raise NotSpectral("↓k twice (compose the factors into one ↓)")
    n, m = len(t.shape), len(r.factors)
    f, p = [1] * n, [0] * n
    for i in range(m):
        a = t.lay[n - m + i]
        f[a], p[a] = r.factors[i], r.phases[i]
    return dataclasses.replace(t, factors=tuple(f), phases=tuple(p))


def _stacked(steps: tuple[IR, ...]) -> Conv | None:
    """The stacked form of a filter bank (rule ``stack_branches``): expand, conv, split."""
    if len(steps) != 3:
        return None
    a, c, b = steps
    if (
        isinstance(c, Conv)
        and isinstance(a, Apply)
        and isinstance(b, Apply)
        and a.label_ == "channel axis"
        and b.label_.startswith("split(")
        and c.kind is Kind.MIXING
        and c.kernel.shape[1] == 1
    ):
        return c
    return None


def _wrap_widths(a: IR) -> tuple[tuple[int, int], ...] | None:
    """The widths of a periodic pad (``ca.pad(..., "wrap")``, an opaque step in the IR)."""
    if not (isinstance(a, Apply) and a.label_.startswith("pad(") and a.label_.endswith("'wrap')")):
        return None
    try:
        widths = ast.literal_eval(a.label_[len("pad(") : -len(", 'wrap')")])
    except (ValueError, SyntaxError):
        return None
    return tuple((int(lo), int(hi)) for lo, hi in widths)


def _fold_wrap_pads(steps: tuple[IR, ...]) -> tuple[IR, ...]:
    """``(w ⋆ valid) ∘ pad(wrap)`` is a circular filter (``nn``'s ``padding_mode="circular"``):
    the pad becomes the node's periodic wrap when the output keeps the period."""
    out: list[IR] = []
    for step in steps:
        w = _wrap_widths(out[-1]) if out else None
        if (
            w is not None
            and isinstance(step, Conv)
            and step.wrap is None
            and len(w) == step.ndim
            and all(p == (0, 0) for p in step.pads)
            and all(u == 1 for u in step.up)
            and all(lo + hi == r * (k - 1) for (lo, hi), k, r in zip(w, step.taps, step.dilation))
        ):
            out[-1] = dataclasses.replace(step, wrap=w)
            continue
        out.append(step)
    return tuple(out)


def _analyse(ir: IR, shape: tuple[int, ...], lay: tuple[int, ...]) -> Result:
    """The terms of ``ir`` applied to arrays of current ``shape`` and layout ``lay``."""
    in_shape = _orig(shape, lay)
    if isinstance(ir, Seq):
        stacked = _stacked(ir.steps)
        if stacked is not None:
            k = stacked.kernel
            convs = [
                dataclasses.replace(stacked, kernel=k[i, 0], name=f"{stacked.name}[{i}]")
                for i in range(k.shape[0])
            ]
            return tuple(_conv(c, shape, lay, in_shape) for c in convs)
        res: Result = _identity(shape, lay, in_shape)
        for step in _fold_wrap_pads(ir.steps):
            res = _then(step, res)
        return res
    if isinstance(ir, Pin):
        return _analyse(ir.body, shape, lay)
    if isinstance(ir, Conv):
        return _conv(ir, shape, lay, in_shape)
    if isinstance(ir, Permute):
        new_shape = tuple(shape[i] for i in ir.perm)
        new_lay = tuple(lay[i] for i in ir.perm)
        return _identity(new_shape, new_lay, in_shape)
    if isinstance(ir, Mul):
        body = _analyse(ir.body, shape, lay)
        return _map(lambda t: _scale(t, ir.value, ir.c), body)
    if isinstance(ir, Add):
        terms = [_analyse(t, shape, lay) for t in ir.terms]
        if any(isinstance(t, tuple) for t in terms):
            raise NotSpectral("a sum of several-output operators")
        out = terms[0]
        for t in terms[1:]:
            out = _add(out, t)
        return out
    if isinstance(ir, Branch):
        return tuple(_analyse(t, shape, lay) for t in ir.terms)
    if isinstance(ir, Pullback):
        if not isinstance(ir.in_struct, jax.ShapeDtypeStruct):
            raise NotSpectral("the transpose of an operator with several inputs")
        body = _analyse(ir.body, tuple(ir.in_struct.shape), lay)
        if isinstance(body, tuple) or body.factors is not None or body.lay != lay:
            raise NotSpectral("the transpose of a decimating or several-output operator")
        if body.cplx and not ir.conj:
            raise NotSpectral("the transpose (not the adjoint) of a complex circular filter")
        b = body.build

        def build(ctx: Ctx) -> Sym:
            s = b(ctx)
            return Sym(jnp.conj(jnp.swapaxes(s.a, 0, 1) if s.matrix else s.a), s.matrix)

        return dataclasses.replace(
            body, build=build, shape=tuple(ir.in_struct.shape), in_shape=in_shape
        )
    if isinstance(ir, Sampling):
        raise NotSpectral(f"{ir.label()} on its own (not after a circular filter)")
    if isinstance(ir, Window):
        raise NotSpectral(f"{ir.label()} (a zero pad or crop is not circular)")
    if isinstance(ir, Apply):
        raise NotSpectral(f"{ir.label()} is an opaque function (not a circular convolution)")
    raise NotSpectral(f"{type(ir).__name__} nodes are not read in closed form")


def _map(fn: Callable[[Term], Term], res: Result) -> Result:
    if isinstance(res, tuple):
        return tuple(_map(fn, r) for r in res)
    return fn(res)


def _then(step: IR, res: Result) -> Result:
    """``step ∘ res``."""
    if isinstance(res, tuple):
        if isinstance(step, (Parallel, Join)) and len(step.terms) == len(res):
            outs = [_then(t, r) for t, r in zip(step.terms, res)]
            if isinstance(step, Parallel):
                return tuple(outs)
            if any(isinstance(o, tuple) for o in outs):
                raise NotSpectral("a join of several-output operators")
            out = outs[0]
            for o in outs[1:]:
                out = _add(out, o)
            return out
        if isinstance(step, Pin):
            return _then(step.body, res)
        if isinstance(step, Seq):
            for s in step.steps:
                res = _then(s, res)
            return res
        raise NotSpectral(f"{type(step).__name__} after several outputs")
    if isinstance(step, Sampling) and not step.up:
        return _down(step, res)
    if isinstance(step, Seq):
        for s in step.steps:
            res = _then(s, res)
        return res
    if isinstance(step, Pin):
        return _then(step.body, res)
    if isinstance(step, (Parallel, Join)):
        raise NotSpectral(f"{type(step).__name__} after one output")
    shape = res.out_shape if res.decimated else res.shape
    nxt = _analyse(step, shape, res.lay)
    return _map(lambda t: _compose(t, res), nxt)


@dataclasses.dataclass(frozen=True)
class Spectral:
    """An operator read as terms ``A_i = ↓k_i ∘ C_i`` (``terms`` nested as its outputs)."""

    terms: Result
    shape: tuple[int, ...]

    def flat(self) -> list[Term]:
        return list(_leaves(self.terms))

    @property
    def axes(self) -> tuple[int, ...]:
        out: set[int] = set()
        for t in self.flat():
            out |= t.axes
            if t.factors is not None:
                out |= {a for a, k in enumerate(t.factors) if k > 1}
        return tuple(sorted(out))


def _leaves(res: Result):
    if isinstance(res, tuple):
        for r in res:
            yield from _leaves(r)
    else:
        yield res


def spectral(ir: IR, shape: tuple[int, ...]) -> tuple[Spectral | None, str]:
    """Reads ``ir`` (on inputs of ``shape``) as circular terms, or says why it cannot."""
    n = len(shape)
    try:
        res = _analyse(ir, shape, tuple(range(n)))
        for t in _leaves(res):
            if t.lay != tuple(range(n)):
                raise NotSpectral("the axes end permuted")
            if t.factors is not None:
                for a, (k, m) in enumerate(zip(t.factors, t.shape)):
                    if m % k:
                        raise NotSpectral(
                            f"axis {a} of length {m} is not a multiple of the factor {k} "
                            "(the aliasing closed form needs whole periods)"
                        )
    except NotSpectral as e:
        return None, str(e)
    return Spectral(res, shape), ""


def isometry(ir: IR) -> tuple[str, Any] | None:
    """``("iso", c)`` if ``AᴴA = cI``, ``("coiso", c)`` if ``AAᴴ = cI``, else ``None``.

    Reads a chain of ``↑k`` (iso), ``↓k`` (co-iso), zero pads (iso), crops (co-iso), permutes
    and scalings (``c = |product of scales|²``); ``↓k ∘ ↑k`` has been cancelled by the rewrite.
    """
    kinds: set[str] = set()
    scales: list[Any] = []

    def visit(node: IR) -> bool:
        if isinstance(node, Seq):
            return all(visit(s) for s in node.steps)
        if isinstance(node, Pin):
            return visit(node.body)
        if isinstance(node, Mul):
            scales.append(node.value if node.c is None else node.c)
            return visit(node.body)
        if isinstance(node, Permute):
            return True
        if isinstance(node, Sampling):
            kinds.add("iso" if node.up else "coiso")
            return True
        if isinstance(node, Window):
            if all(a >= 0 and b >= 0 for a, b in node.pads):
                kinds.add("iso")
                return True
            if all(a <= 0 and b <= 0 for a, b in node.pads):
                kinds.add("coiso")
                return True
        return False

    if not visit(ir) or len(kinds) > 1:
        return None
    c: Any = 1.0
    for s in scales:
        c = c * jnp.abs(jnp.asarray(s)) ** 2
    return (kinds.pop() if kinds else "iso"), c


def group(a: jax.Array, factors: tuple[int, ...]) -> jax.Array:
    """``(..., N_0, ..., N_{n-1}) -> (..., M_0, ..., M_{n-1}, K)``: the ``K = prod(factors)``
    frequencies ``f = j·M + m`` that ``↓factors`` aliases onto each other (over the trailing
    ``len(factors)`` axes; a factor 1 leaves its axis alone)."""
    nd = len(factors)
    lead = a.shape[: a.ndim - nd]
    ms = tuple(n // k for n, k in zip(a.shape[-nd:], factors))
    a = a.reshape(lead + tuple(v for k, m in zip(factors, ms) for v in (k, m)))
    nl = len(lead)
    a = jnp.moveaxis(a, [nl + 2 * i for i in range(nd)], list(range(a.ndim - nd, a.ndim)))
    return a.reshape((*lead, *ms, int(np.prod(factors))))


def ungroup(a: jax.Array, factors: tuple[int, ...]) -> jax.Array:
    """The inverse of :func:`group`."""
    nd = len(factors)
    lead, ms = a.shape[: a.ndim - nd - 1], a.shape[a.ndim - nd - 1 : -1]
    a = a.reshape((*lead, *ms, *factors))
    nl = len(lead)
    a = jnp.moveaxis(a, list(range(a.ndim - nd, a.ndim)), [nl + 2 * i for i in range(nd)])
    return a.reshape((*lead, *(k * m for k, m in zip(factors, ms))))
