"""What the rewritten IR says about an operator's spectrum: the ONE place that reads structure.

``deconv.solve`` and ``deconv.norm`` ask three questions of an operator's lowered and rewritten
IR (:func:`lowered`), never of the expression classes, so every operator the algebra builds is
seen (pinned, ``axis=``, transposed, several outputs, ``nn`` and ``signal`` operators):

* :func:`spectral`: is the operator a list of *terms* ``A_i = ↓k_i ∘ C_i`` (``k_i = 1``: no
  decimation) with ``C_i`` circular (shift-invariant on a period)? Each term carries a builder
  of its transfer function (one value per frequency, or a ``C_out × C_in`` matrix per
  frequency for channel mixing), computed from the kernels held in the IR's ``Conv`` nodes
  (a real FFT for real data), never by pushing impulses through the operator. Compositions
  (products), sums and scalings (sums and multiples), transposes and adjoints (conjugates),
  ``axis=`` (permutes), pins, ``Branch``/``Parallel``/``Join`` (several terms, term-wise
  products, sums) and the stacked form of a filter bank are read. A boundary extension (an
  opaque node) is read from the fields of the operator it lowers (:func:`extension`): a
  periodic one followed by a valid filter is circular (``ca.pad(..., "wrap")``, ``nn``'s
  circular padding, ``signal``'s periodic and even periodization modes); a centred
  half-sample symmetric one followed by a symmetric filter is diagonal in the DCT-II basis
  (``Term.half``: the symbol on the doubled period).
* :func:`tight`: is ``AᴴA = cI`` or ``AAᴴ = cI``? ``↑k``, ``↓k``, zero pads, crops, scalings
  and their compositions, and Parseval frames: runs of steps that read as ``↓k ∘`` circular
  terms, certified on their filters by :func:`certify` (orthogonal periodization wavelet
  banks, 1-D and N-D, and their multilevel cascades).
* :func:`plan`: the spectral closed form of ``min ‖Ax − y‖² + λ‖Lx‖²`` (``L`` circular,
  symmetric, or a Parseval frame).

Everything reads static fields (modes, wraps, factors, phases, ranks, node and callable
types); the builders use the kernels as traced arrays, so it runs under ``jit``, ``vmap`` and
``grad``. The two checks on kernel *values* (orthogonality, symmetry) run on concrete kernels
while the method is chosen; a later trace trusts what was checked (``trusted``); kernels
already traced at choice time get the check compiled into the program (``Tight.checks``,
``Plan.sym_runtime``: the solve branches to CG where it fails).
"""

from __future__ import annotations

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
    walk,
)
from .rules import ChannelAxis, SplitChannels, corr_kernel

Pairs = tuple[tuple[int, int], ...]


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
    # an extension not yet consumed by a valid filter: (original axis, before, after, kind);
    # ``shape`` is then the extended shape
    pend: tuple[tuple[int, int, int, str], ...] = ()
    # original axes on which the filters act on the half-sample symmetric extension: the
    # symbol is that of a circular filter on the doubled period 2N (DCT-II eigenvalues: its
    # first N bins); their kernels must be symmetric (checked by ``plan``)
    half: frozenset[int] = frozenset()
    sym_kernels: tuple[tuple[Any, int], ...] = ()  # (kernel, ndim) to check for symmetry

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
        inner.pend,
        outer.half | inner.half,
        inner.sym_kernels + outer.sym_kernels,
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
        half=a.half | b.half,
        sym_kernels=a.sym_kernels + b.sym_kernels,
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


# ---- opaque nodes, read from their fields (never from labels) ---------------------------------
def extension(node: IR, shape: tuple[int, ...]) -> tuple[str, Pairs] | None:
    """The boundary extension an opaque node runs: ``(kind, widths)`` over its trailing axes.

    ``kind`` is ``"periodic"``, ``"half"`` (half-sample symmetric: PyWavelets' ``symmetric``,
    ``scipy.ndimage``'s ``reflect``) or ``"whole"`` (whole-sample symmetric: NumPy's and
    PyWavelets' ``reflect``, ``scipy.ndimage``'s ``mirror``). Read from the static fields of the
    operator the node lowers (``ca.pad(mode=...)``, ``ca.signal.extend_op``: the node's ``fn``
    is that operator's bound ``_apply``), so a renamed label changes nothing.
    """
    if not isinstance(node, Apply):
        return None
    from .._expr.primitives import Pad  # the expression layer imports this module's package
    from ..signal._extend import Extend

    src = getattr(node.fn, "__self__", None)
    if isinstance(src, Pad):
        kind = {"wrap": "periodic", "reflect": "whole"}.get(src.mode)
        return (kind, tuple(src.widths)) if kind else None
    if isinstance(src, Extend):
        mode = src.mode
        if mode == "periodization" and shape and shape[-1] % 2 == 0:
            mode = "periodic"  # an even signal: plain periodic (odd: the last sample repeated)
        kind = {"periodic": "periodic", "symmetric": "half", "reflect": "whole"}.get(mode)
        return (kind, ((src.before, src.after),)) if kind else None
    return None


def _unstack(steps: tuple[IR, ...]) -> tuple[IR, ...]:
    """The stacked form of a filter bank (rule ``stack_branches``: ``ChannelAxis``, one
    convolution with one input channel, ``SplitChannels``) read back as a ``Branch`` of its
    filters, recognised by the node types and the callables' types."""
    out: list[IR] = []
    i = 0
    while i < len(steps):
        a, c, b = (tuple(steps[i : i + 3]) + (None, None))[:3]
        if (
            isinstance(a, Apply)
            and isinstance(a.fn, ChannelAxis)
            and isinstance(c, Conv)
            and isinstance(b, Apply)
            and isinstance(b.fn, SplitChannels)
            and c.kind is Kind.MIXING
            and c.kernel.shape[1] == 1
            and b.fn.n == c.kernel.shape[0]
            and a.fn.nd == b.fn.nd == c.ndim
        ):
            k = c.kernel
            convs = tuple(
                dataclasses.replace(c, kernel=k[j, 0], name=f"{c.name}[{j}]")
                for j in range(k.shape[0])
            )
            out.append(Branch(terms=convs))
            i += 3
            continue
        out.append(steps[i])
        i += 1
    return tuple(out)


def _extend(res: Term, kind: str, widths: Pairs) -> Term:
    """``ext ∘ res``: a periodic or half-sample symmetric extension of the trailing axes,
    pending until a valid convolution consumes it (then that convolution is circular on the
    period, or on the doubled period of the symmetric signal)."""
    if kind not in ("periodic", "half"):
        raise NotSpectral(f"a {kind}-sample symmetric extension is not read in closed form")
    if res.decimated:
        raise NotSpectral("an extension after ↓k (a multirate cascade) is not read in closed form")
    n, m = len(res.shape), len(widths)
    pend = {a: (lo, hi, k) for a, lo, hi, k in res.pend}
    shape = list(res.shape)
    for i, (lo, hi) in enumerate(widths):
        cur = n - m + i
        a = res.lay[cur]
        if a in pend or a in res.half:
            raise NotSpectral("two extensions of one axis before a convolution")
        pend[a] = (lo, hi, kind)
        shape[cur] += lo + hi
    return dataclasses.replace(
        res, shape=tuple(shape), pend=tuple((a, *v) for a, v in sorted(pend.items()))
    )


def _consume(c: Conv, res: Term) -> Result:
    """``(w ⋆ valid) ∘ ext ∘ res``: the convolution circular on the period when it consumes
    exactly a periodic extension on each of its axes (``nn``'s ``padding_mode="circular"``,
    ``ca.pad(..., "wrap")``, ``signal``'s periodic and even periodization modes); on the
    doubled period 2N when it consumes a centred half-sample symmetric one (``signal``'s
    ``symmetric``, ``scipy.ndimage``'s ``reflect``: diagonal in the DCT-II basis when the
    kernel is symmetric, which ``plan`` checks)."""
    if c.wrap is not None or any(p != (0, 0) for p in c.pads) or any(u > 1 for u in c.up):
        raise NotSpectral(f"{c.label()} after an extension is not a valid convolution")
    n, nd = len(res.shape), c.ndim
    pend = {a: (lo, hi, k) for a, lo, hi, k in res.pend}
    wrap, shape, period_shape, half = [], list(res.shape), list(res.shape), set()
    for i, cur in enumerate(range(n - nd, n)):
        a = res.lay[cur]
        if a not in pend:
            raise NotSpectral(f"{c.label()} is not circular on axis {a} (no periodic extension)")
        lo, hi, kind = pend.pop(a)
        period = shape[cur] - lo - hi
        span = c.dilation[i] * (c.taps[i] - 1)
        if kind == "half":
            if lo != hi or lo + hi != span or c.down[i] != 1 or lo > period:
                raise NotSpectral(
                    f"{c.label()} is not a centred filter on the symmetric extension {(lo, hi)}"
                )
            wrap.append((lo, hi))
            half.add(a)
            shape[cur], period_shape[cur] = period, 2 * period
            continue
        # d samples short of a full period: the last d outputs of the circular filter are
        # missing, which ↓s never reads when it keeps as many samples (periodization mode)
        d = span - lo - hi
        s, p = c.down[i], c.down_phase[i]
        if d < 0 or (d > 0 and len(range(p, period - d, s)) != len(range(p, period, s))):
            raise NotSpectral(
                f"{c.label()} does not keep the period (extension {(lo, hi)} on axis {a})"
            )
        wrap.append((lo, hi + d))
        shape[cur] = period_shape[cur] = period
    if pend:
        raise NotSpectral(f"an extension of axes {sorted(pend)} not consumed by {c.label()}")
    if half and (len(half) != nd or c.kind is Kind.MIXING):
        raise NotSpectral(f"{c.label()}: a symmetric boundary with periodic axes or mixing")
    base = dataclasses.replace(res, shape=tuple(shape), pend=())
    conv = _conv(dataclasses.replace(c, wrap=tuple(wrap)), tuple(period_shape), base.lay,
                 base.in_shape)  # fmt: skip
    if half:
        conv = dataclasses.replace(
            conv,
            shape=tuple(shape),
            half=frozenset(half),
            sym_kernels=((corr_kernel(c), c.ndim),),
        )
    return _compose(conv, base)


def _leaf(ir: IR, shape: tuple[int, ...], lay: tuple[int, ...]) -> Result:
    """The terms of a node without sub-steps applied to arrays of ``shape``, layout ``lay``."""
    in_shape = _orig(shape, lay)
    if isinstance(ir, Conv):
        return _conv(ir, shape, lay, in_shape)
    if isinstance(ir, Permute):
        new_shape = tuple(shape[i] for i in ir.perm)
        new_lay = tuple(lay[i] for i in ir.perm)
        return _identity(new_shape, new_lay, in_shape)
    if isinstance(ir, Pullback):
        if not isinstance(ir.in_struct, jax.ShapeDtypeStruct):
            raise NotSpectral("the transpose of an operator with several inputs")
        body = _analyse(ir.body, tuple(ir.in_struct.shape), lay)
        if isinstance(body, tuple) or body.factors is not None or body.lay != lay or body.pend:
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


def _analyse(ir: IR, shape: tuple[int, ...], lay: tuple[int, ...]) -> Result:
    """The terms of ``ir`` applied to arrays of current ``shape`` and layout ``lay``."""
    return _then(ir, _identity(shape, lay, _orig(shape, lay)))


def _map(fn: Callable[[Term], Term], res: Result) -> Result:
    if isinstance(res, tuple):
        return tuple(_map(fn, r) for r in res)
    return fn(res)


def _add_all(terms: list, what: str) -> Any:
    """The sum of one-output spectral terms (``NotSpectral(what)`` if any has several)."""
    if any(isinstance(t, tuple) for t in terms):
        raise NotSpectral(what)
    out = terms[0]
    for t in terms[1:]:
        out = _add(out, t)
    return out


def _then(step: IR, res: Result) -> Result:
    """``step ∘ res``."""
    if isinstance(step, Seq):
        for s in _unstack(step.steps):
            res = _then(s, res)
        return res
    if isinstance(step, Pin):
        return _then(step.body, res)
    if isinstance(res, tuple):
        if isinstance(step, (Parallel, Join)) and len(step.terms) == len(res):
            outs = [_then(t, r) for t, r in zip(step.terms, res)]
            if isinstance(step, Parallel):
                return tuple(outs)
            return _add_all(outs, "a join of several-output operators")
        raise NotSpectral(f"{type(step).__name__} after several outputs")
    if isinstance(step, Branch):
        return tuple(_then(t, res) for t in step.terms)
    if isinstance(step, Mul):
        return _map(lambda t: _scale(t, step.value, step.c), _then(step.body, res))
    if isinstance(step, Add):
        return _add_all([_then(t, res) for t in step.terms], "a sum of several-output operators")
    if isinstance(step, (Parallel, Join)):
        raise NotSpectral(f"{type(step).__name__} after one output")
    ext = extension(step, res.shape)
    if ext is not None:
        return _extend(res, *ext)
    if res.pend:
        if isinstance(step, Conv):
            return _consume(step, res)
        if not isinstance(step, Permute):
            raise NotSpectral(
                f"{type(step).__name__} after a periodic extension (not a valid convolution)"
            )
    if isinstance(step, Conv) and step.wrap is None and not res.decimated:
        # a valid filter whose missing outputs ↓s never reads (Haar periodization: no
        # extension at all) is circular too
        try:
            return _consume(step, _extend(res, "periodic", ((0, 0),) * step.ndim))
        except NotSpectral:
            pass
    if isinstance(step, Sampling) and not step.up:
        return _down(step, res)
    shape = res.out_shape if res.decimated else res.shape
    nxt = _leaf(step, shape, res.lay)
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
            if t.pend:
                raise NotSpectral("a periodic extension not consumed by a valid convolution")
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


# ---- AᴴA = cI and AAᴴ = cI: isometries and Parseval frames -------------------------------------
ISO = frozenset({"iso"})  # AᴴA = cI
COISO = frozenset({"coiso"})  # AAᴴ = cI
BOTH = ISO | COISO  # square: c^{-1/2} A is unitary

Path = tuple[Any, ...]  # where a certificate applies: child indices ("i:j" for a run of steps)
Trusted = dict[Path, tuple[float, frozenset[str], float]]  # path -> (c, kinds, tol)


@dataclasses.dataclass(frozen=True)
class Tight:
    """``AᴴA = cI`` (``"iso"`` in ``kinds``) and/or ``AAᴴ = cI`` (``"coiso"``).

    ``certs`` are the value certificates it rests on (a filter bank's orthogonality, checked on
    its kernels): ``(path, c, kinds, tol)``, static, so a trace can trust what was checked outside.
    """

    kinds: frozenset[str]
    c: Any  # a Python float, or a 0-d array (a traced scale)
    certs: tuple[tuple[Path, float, frozenset[str], float], ...] = ()
    tol: float = 0.0  # the relative accuracy of ``c`` (a certificate's tolerance; exact: 0)
    # traced booleans that must hold when the program runs (certificates on traced kernels)
    checks: tuple[Any, ...] = ()


def _chain(outer: Tight | None, inner: Tight | None) -> Tight | None:
    """``outer ∘ inner``: ``(BA)ᴴ(BA) = c_B AᴴA`` needs both iso, ``BA(BA)ᴴ`` both co-iso."""
    if outer is None or inner is None or not (outer.kinds & inner.kinds):
        return None
    return Tight(
        outer.kinds & inner.kinds, outer.c * inner.c, inner.certs + outer.certs,
        outer.tol + inner.tol, inner.checks + outer.checks,
    )  # fmt: skip


def _static(c: Any) -> float | None:
    try:
        return float(c)
    except (TypeError, jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        return None


def _out_struct(steps: tuple[IR, ...], s: Any) -> Any:
    from .emit import Ctx as EmitCtx
    from .emit import run

    seq = Seq(steps=steps)
    return jax.eval_shape(lambda v: run(seq, v, EmitCtx.default()), s)


def _span(ir: IR) -> int:
    """An upper bound on the support of every circular term's symbol product (in samples)."""
    out = 1
    for node in walk(ir):
        if isinstance(node, Conv):
            out += max(r * (k - 1) for r, k in zip(node.dilation, node.taps))
    return out


def certify(ir: IR, s: jax.ShapeDtypeStruct) -> Tight | None:
    """``AᴴA = cI`` / ``AAᴴ = cI`` for ``↓k ∘`` circular terms (a filter bank), from the kernels.

    Per group of aliased frequencies, ``AᴴA`` is the ``K × K`` matrix ``Σᵢ conj(hᵢ)hᵢᵀ/K`` and
    ``AAᴴ`` the Gram matrix ``hᵢᴴhⱼ/K`` (Zhao et al.). Their entries are trigonometric
    polynomials of degree below the filters' total support ``S``, so checking them on a period
    ``N' ≥ 2S`` (a multiple of ``k``) proves the identity on every period that ``k`` divides:
    an exact check on the coefficients (to ``max(64·eps, 1e-10)`` for the kernels' dtype:
    tabulated filters are orthogonal to about 1e-11), not a probe.
    Needs concrete kernels (``None`` when traced).
    """
    shape = tuple(s.shape)
    sp, _ = spectral(ir, shape)
    if sp is None:
        return None
    terms = sp.flat()
    if any(t.mixing or t.cplx or t.half for t in terms):
        return None
    dec = {t.factors for t in terms if t.decimated}
    if len(dec) > 1:
        return None
    n = len(shape)
    factors = dec.pop() if dec else (1,) * n
    assert factors is not None
    small = list(shape)
    span = _span(ir)
    for a in sp.axes:
        step = int(np.lcm(factors[a], 2))
        small[a] = min(shape[a], -(-max(2 * span, step) // step) * step)
    sp2, _ = spectral(ir, tuple(small))
    if sp2 is None:
        return None
    cd = np.complex128 if jax.config.jax_enable_x64 else np.complex64  # pyright: ignore
    ctx = Ctx(tuple(small), sp.axes, False, jnp.dtype(cd))
    K = int(np.prod(factors))
    # the kernels' own rounding (64 eps of the least precise one), and at least 1e-10:
    # PyWavelets' tabulated filters are orthogonal to 1.4e-11 (sym20; dmey only to 2e-3)
    eps = max(
        (float(jnp.finfo(n.kernel.dtype).eps) for n in walk(ir) if isinstance(n, Conv)),
        default=float(np.finfo(np.float64).eps),
    )
    tol = max(64 * eps, 1e-10)
    hs = []
    try:
        with jax.ensure_compile_time_eval():
            for t in sp2.flat():
                h = phase(ctx, t, t.build(ctx).a)
                hs.append(np.broadcast_to(np.asarray(h, np.complex128), tuple(small)))
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        n_in = int(np.prod(shape))
        n_out = sum(int(np.prod(t.out_shape)) for t in terms)
        return _certify_traced(sp2, ctx, factors, tol, n_in, n_out)
    gs = [group(h, factors) for h in hs]  # (..., M..., K), NumPy
    kinds: set[str] = set()
    M = sum(np.conj(g)[..., :, None] * g[..., None, :] for g in gs) / K
    c = float(np.mean(np.real(np.diagonal(M, axis1=-2, axis2=-1))))
    if not (c > 0 and np.isfinite(c)):
        return None
    eye = np.eye(K)
    if np.max(np.abs(M - c * eye)) <= tol * c:
        kinds.add("iso")
    G = np.stack([np.stack([np.sum(gi * np.conj(gj), -1) / K for gj in gs], -1) for gi in gs], -1)
    cg = float(np.mean(np.real(np.diagonal(G, axis1=-2, axis2=-1))))
    if np.max(np.abs(G - cg * np.eye(len(gs)))) <= tol * cg and abs(cg - c) <= tol * c:
        kinds.add("coiso")
    return Tight(frozenset(kinds), c, tol=tol) if kinds else None


def _certify_traced(
    sp: Spectral, ctx: Ctx, factors: tuple[int, ...], tol: float, n_in: int, n_out: int
) -> Tight | None:
    """:func:`certify` for kernels traced at choice time: the same check, as a traced boolean
    the solve branches on when the program runs (``Tight.checks``). The kind is read from the
    sizes: ``AᴴA = cI`` is claimed (and ``AAᴴ`` too when square), checked by ``M = cI``."""
    terms = sp.flat()
    if n_out < n_in or len(terms) < 2 or not all(t.decimated for t in terms):
        return None  # only filter banks (a plain circular filter is read spectrally)
    K = int(np.prod(factors))
    gs = [group(jnp.broadcast_to(phase(ctx, t, t.build(ctx).a), ctx.shape), factors)
          for t in sp.flat()]  # fmt: skip
    M: Any = 0
    for g in gs:
        M = M + jnp.conj(g)[..., :, None] * g[..., None, :] / K
    c = jnp.mean(jnp.real(jnp.diagonal(M, axis1=-2, axis2=-1)))
    eye = jnp.eye(K, dtype=M.dtype) * c.astype(M.dtype)
    ok = (c > 0) & (jnp.max(jnp.abs(M - eye)) <= tol * c)
    kinds = BOTH if n_out == n_in else ISO
    return Tight(kinds, c, tol=tol, checks=(ok,))


def tight(ir: IR, s: Any, trusted: Trusted | None = None) -> Tight | None:
    """Whether ``AᴴA = cI`` or ``AAᴴ = cI``, read from the IR, compositionally.

    ``↑k``, zero pads (iso); ``↓k``, crops (co-iso); permutes (both); scalings (``|c|²``);
    compositions (both factors alike), ``Parallel`` (equal constants), ``Branch`` of isometries
    (``Σcᵢ``), ``Join`` of co-isometries, transposes (iso and co-iso swap); and runs of steps
    that read as ``↓k ∘`` circular terms with a :func:`certify` certificate: orthogonal
    periodization filter banks (1-D, N-D), their multilevel cascades (a cascade of Parseval
    frames is one). ``↓k ∘ ↑k`` has been cancelled by the rewrite rule ``down_up_identity``.

    ``trusted``: under a trace, the certificates found outside it (kernels are traced there);
    ``None``: check kernels where concrete.
    """
    return _tight(ir, s, (), trusted)


def _cert(ir: IR, s: Any, path: Path, trusted: Trusted | None) -> Tight | None:
    if not isinstance(s, jax.ShapeDtypeStruct):
        return None
    if trusted is not None:
        if path not in trusted:
            return None
        c, kinds, tol = trusted[path]
        return Tight(kinds, c, ((path, c, kinds, tol),), tol)
    t = certify(ir, s)
    if t is None:
        return None
    if t.checks:  # traced kernels: checked when the program runs, nothing to trust later
        return t
    return Tight(t.kinds, t.c, ((path, float(t.c), t.kinds, t.tol),), t.tol)


def _tight(node: IR, s: Any, path: Path, trusted: Trusted | None) -> Tight | None:
    if isinstance(node, Pin):
        return _tight(node.body, s, (*path, 0), trusted)
    if isinstance(node, Permute):
        return Tight(BOTH, 1.0)
    if isinstance(node, Sampling):
        return Tight(ISO if node.up else COISO, 1.0)
    if isinstance(node, Window):
        if all(a >= 0 and b >= 0 for a, b in node.pads):
            return Tight(ISO, 1.0)
        if all(a <= 0 and b <= 0 for a, b in node.pads):
            return Tight(COISO, 1.0)
        return None
    if isinstance(node, Mul):
        t = _tight(node.body, s, (*path, 0), trusted)
        if t is None:
            return None
        if node.c is not None:
            m: Any = jnp.abs(jnp.asarray(node.c)) ** 2
        elif node.value is not None:
            m = abs(node.value) ** 2
        else:
            return None
        return Tight(t.kinds, t.c * m, t.certs, t.tol, t.checks)
    if isinstance(node, Seq):
        return _tight_seq(node, s, path, trusted)
    if isinstance(node, Parallel):
        ts = [_tight(t, si, (*path, i), trusted) for i, (t, si) in enumerate(zip(node.terms, s))]
        if any(t is None for t in ts):
            return None
        tt = [t for t in ts if t is not None]
        kinds = frozenset.intersection(*(t.kinds for t in tt))
        if not kinds:
            return None
        cs = [_static(t.c) for t in tt]
        tol = max(t.tol for t in tt)
        checks = sum((t.checks for t in tt), ())
        certs = sum((t.certs for t in tt), ())
        if any(c is None for c in cs):  # traced constants: equal when the program runs
            if not checks:
                return None
            c0t = jnp.asarray(tt[0].c)
            same = [jnp.abs(t.c - c0t) <= (2 * tol + 1e-12) * jnp.abs(c0t) for t in tt]
            return Tight(kinds, tt[0].c, certs, tol, (*checks, *same))
        c0 = cs[0]
        assert c0 is not None
        # equal constants (certified ones agree to the certificates' tolerance)
        if any(abs(c - c0) > (2 * tol + 1e-12) * abs(c0) for c in cs if c is not None):
            return None
        return Tight(kinds, tt[0].c, certs, tol, checks)
    if isinstance(node, (Branch, Join)):
        want = "iso" if isinstance(node, Branch) else "coiso"
        ins = [s] * len(node.terms) if isinstance(node, Branch) else list(s)
        ts = [_tight(t, si, (*path, i), trusted) for i, (t, si) in enumerate(zip(node.terms, ins))]
        if all(t is not None and want in t.kinds for t in ts):
            tt = [t for t in ts if t is not None]
            total: Any = 0.0
            for t in tt:
                total = total + t.c
            tol = max(t.tol for t in tt)
            checks = sum((t.checks for t in tt), ())
            return Tight(frozenset({want}), total, sum((t.certs for t in tt), ()), tol, checks)
        return _cert(node, s, path, trusted)
    if isinstance(node, Pullback):
        t = _tight(node.body, node.in_struct, (*path, 0), trusted)
        if t is None:
            return None
        swap = frozenset({"iso": "coiso", "coiso": "iso"}[k] for k in t.kinds)
        return Tight(swap, t.c, t.certs, t.tol, t.checks)
    if isinstance(node, (Conv, Add)):
        return _cert(node, s, path, trusted)
    return None


def _tight_seq(node: Seq, s: Any, path: Path, trusted: Trusted | None) -> Tight | None:
    """Step by step; a step that is not tight on its own (a boundary extension) starts the
    shortest run of steps that reads as ``↓k ∘`` circular terms, certified as a whole."""
    steps = _unstack(node.steps)
    acc: Tight | None = Tight(BOTH, 1.0)
    cur, i = s, 0
    while i < len(steps):
        t = _tight(steps[i], cur, (*path, i), trusted)
        j = i + 1
        if t is None and isinstance(cur, jax.ShapeDtypeStruct):
            for j in range(i + 2, len(steps) + 1):
                run = Seq(steps=steps[i:j])
                if spectral(run, tuple(cur.shape))[0] is not None:
                    t = _cert(run, cur, (*path, f"{i}:{j}"), trusted)
                    break
        acc = _chain(t, acc)
        if acc is None:
            return None
        cur = _out_struct(steps[i:j], cur)
        i = j
    return acc


def phase(ctx: Ctx, t: Term, H: jax.Array) -> jax.Array:
    """``↓k,p`` keeps ``x[k·m + p]``: a circular shift by ``p`` first (a phase ramp)."""
    if t.phases is None or not any(t.phases):
        return H
    for a, p in enumerate(t.phases):
        if p:
            n = ctx.shape[a]
            f = jnp.arange(n, dtype=jnp.finfo(H.dtype).dtype)
            f = f.reshape([n if i == a else 1 for i in range(len(ctx.shape))])
            ang = (2 * np.pi * p / n) * f
            H = H * jax.lax.complex(jnp.cos(ang), jnp.sin(ang)).astype(H.dtype)
    return H


def group(a: Any, factors: tuple[int, ...]) -> Any:
    """``(..., N_0, ..., N_{n-1}) -> (..., M_0, ..., M_{n-1}, K)``: the ``K = prod(factors)``
    frequencies ``f = j·M + m`` that ``↓factors`` aliases onto each other (over the trailing
    ``len(factors)`` axes; a factor 1 leaves its axis alone)."""
    nd = len(factors)
    lead = a.shape[: a.ndim - nd]
    ms = tuple(n // k for n, k in zip(a.shape[-nd:], factors))
    a = a.reshape(lead + tuple(v for k, m in zip(factors, ms) for v in (k, m)))
    nl = len(lead)
    xp = np if isinstance(a, np.ndarray) else jnp
    a = xp.moveaxis(a, [nl + 2 * i for i in range(nd)], list(range(a.ndim - nd, a.ndim)))
    return a.reshape((*lead, *ms, int(np.prod(factors))))


def ungroup(a: jax.Array, factors: tuple[int, ...]) -> jax.Array:
    """The inverse of :func:`group`."""
    nd = len(factors)
    lead, ms = a.shape[: a.ndim - nd - 1], a.shape[a.ndim - nd - 1 : -1]
    a = a.reshape((*lead, *ms, *factors))
    nl = len(lead)
    a = jnp.moveaxis(a, list(range(a.ndim - nd, a.ndim)), [nl + 2 * i for i in range(nd)])
    return a.reshape((*lead, *(k * m for k, m in zip(factors, ms))))


# ---- the questions solve and norm ask of operators --------------------------------------------
def lowered(op: Any, xs: jax.ShapeDtypeStruct) -> IR:
    """The rewritten IR of the operator ``op`` on inputs like ``xs`` (what the lowering runs)."""
    from .._expr.node import lowered_ir

    return lowered_ir(op, xs)


@dataclasses.dataclass(frozen=True)
class Plan:
    """A spectral closed form for ``A`` (and ``L``): the terms, the Fourier axes, the common
    decimation (``None``: none, the plain Fourier form), whether channels mix; ``l_scale``:
    ``LᴴL = l_scale·I`` (``L`` absent: 1; ``L`` a Parseval frame: its constant), else ``l``;
    ``half``: the axes with a half-sample symmetric boundary (the DCT-II form: every filtered
    axis is one of them), ``sym_checked``: whose kernels were checked symmetric (``"A"``,
    ``"L"``)."""

    a: Spectral
    l: Spectral | None
    axes: tuple[int, ...]
    factors: tuple[int, ...] | None
    mixing: bool
    chan: int | None
    l_scale: Any = 1.0
    half: frozenset[int] = frozenset()
    sym_checked: tuple[str, ...] = ()
    # traced kernels whose symmetry is checked when the program runs (``(kernel, ndim)``):
    # the solve branches (``lax.cond``) to CG where one is not symmetric
    sym_runtime: tuple[tuple[Any, int], ...] = ()
    checks: tuple[Any, ...] = ()  # a Parseval L's run-time certificate (traced kernels)

    def ctx(self, xs: jax.ShapeDtypeStruct, real: bool, cdtype: Any) -> Ctx:
        """Where the symbols are evaluated: the doubled period on the ``half`` axes."""
        shape = tuple(2 * n if a in self.half else n for a, n in enumerate(xs.shape))
        return Ctx(shape, self.axes, real, cdtype)

    def dct_symbol(self, a: jax.Array, xs: jax.ShapeDtypeStruct) -> jax.Array:
        """The DCT-II eigenvalues from a symbol on the doubled period: its first ``N`` bins
        (real: the kernels are symmetric)."""
        idx = tuple(
            slice(0, xs.shape[i]) if i in self.half and a.shape[i] > 1 else slice(None)
            for i in range(a.ndim)
        )
        return jnp.real(a[idx])


def symmetric_kernels(terms: list[Term]) -> bool | None:
    """Every kernel a symmetric boundary needs symmetric is (``w = flip(w)`` on its spatial
    axes, to 4 eps); ``None`` when a kernel is traced (unknown)."""
    for k, nd in (kn for t in terms for kn in t.sym_kernels):
        try:
            with jax.ensure_compile_time_eval():
                w = np.asarray(k)
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            return None
        axes = tuple(range(w.ndim - nd, w.ndim))
        scale = float(np.max(np.abs(w))) if w.size else 0.0
        eps = float(np.finfo(w.dtype).eps) if np.issubdtype(w.dtype, np.inexact) else 0.0
        if float(np.max(np.abs(w - np.flip(w, axes)), initial=0.0)) > 4 * eps * scale:
            return False
    return True


def symmetric_traced(kernels: tuple[tuple[Any, int], ...]) -> jax.Array:
    """:func:`symmetric_kernels` as a traced boolean (for kernels traced at choice time)."""
    ok = jnp.asarray(True)
    for k, nd in kernels:
        axes = tuple(range(k.ndim - nd, k.ndim))
        eps = jnp.finfo(k.dtype).eps
        ok = ok & (jnp.max(jnp.abs(k - jnp.flip(k, axes))) <= 4 * eps * jnp.max(jnp.abs(k)))
    return ok


def plan(
    A: Any,
    L: Any,
    xs: jax.ShapeDtypeStruct,
    l_tight: Tight | None = None,
    sym_trusted: tuple[str, ...] | None = None,
) -> tuple[Plan | None, str]:
    """The spectral closed form of ``min ‖Ax − y‖² + λ‖Lx‖²``, or why there is none.

    ``l_tight``: ``LᴴL = cI`` (found by :func:`tight`): ``L`` adds ``λc`` to the diagonal and
    need not be circular (e.g. an orthogonal wavelet analysis). ``sym_trusted``: inside a
    trace, the operators whose kernels were checked symmetric outside it (``None``: check).
    """
    sa, why = spectral(lowered(A, xs), tuple(xs.shape))
    if sa is None:
        return None, f"A: {why}"
    sl = None
    l_scale: Any = 1.0
    l_checks: tuple[Any, ...] = ()
    if L is not None and l_tight is not None and "iso" in l_tight.kinds:
        l_scale, l_checks = l_tight.c, l_tight.checks
    elif L is not None:
        sl, why = spectral(lowered(L, xs), tuple(xs.shape))
        if sl is None:
            return None, f"L: {why}"
    terms = sa.flat() + (sl.flat() if sl is not None else [])
    real_x = not jnp.issubdtype(xs.dtype, jnp.complexfloating)
    if real_x and any(t.cplx for t in terms):
        return None, "a complex kernel with a real x (the real-constrained problem)"
    axes = tuple(sorted(set(sa.axes) | set(sl.axes if sl is not None else ())))
    dec = {t.factors for t in terms if t.decimated and t.factors is not None}
    if len(dec) > 1:
        return None, f"terms decimated by different factors {sorted(dec)}"
    factors = dec.pop() if dec else None
    chans = {t.chan for t in terms if t.chan is not None}
    if len(chans) > 1:
        return None, f"filters with channels along different axes {sorted(chans)}"
    chan = chans.pop() if chans else None
    mixing = any(t.mixing for t in terms)
    if mixing and factors is not None:
        return None, "channel mixing before ↓k is not implemented in closed form"
    half: frozenset[int] = frozenset().union(*(t.half for t in terms))
    checked: tuple[str, ...] = ()
    runtime: tuple[tuple[Any, int], ...] = ()
    if half:
        if factors is not None or mixing or not real_x or any(t.cplx for t in terms):
            return None, "a symmetric boundary with ↓k, channel mixing or complex values"
        if any(t.half != t.axes for t in terms):
            return None, "a filter with a periodic or zero boundary next to a symmetric one"
        for which, sp in (("A", sa), ("L", sl)):
            ts = sp.flat() if sp is not None else []
            if not any(t.sym_kernels for t in ts):
                continue
            if sym_trusted is not None:
                ok = which in sym_trusted
            else:
                ok = symmetric_kernels(ts)
            if ok is None:  # traced kernels: checked when the program runs
                runtime += tuple(kn for t in ts for kn in t.sym_kernels)
                continue
            if not ok:
                return None, (
                    f"{which}: a kernel after a symmetric boundary is not symmetric "
                    "(w ≠ flip(w)): not diagonal in the DCT basis"
                )
            checked += (which,)
    return Plan(sa, sl, axes, factors, mixing, chan, l_scale, half, checked, runtime, l_checks), ""


def has_opaque_linear(op: Any, xs: jax.ShapeDtypeStruct) -> bool:
    """Whether the IR holds a user function (``ca.linear``), whose linearity is a promise."""
    from .._expr.primitives import Linear

    return any(
        isinstance(n, Apply) and isinstance(getattr(n.fn, "__self__", None), Linear)
        for n in walk(lowered(op, xs))
    )
