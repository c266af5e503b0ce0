"""The rewrite layer: a lowered convolution node and a registry of small rewrite rules.

Every convolution-like operator is lifted into :class:`LConv`, the single node the lowering
understands: ``↓s,ps (w ⋆ pad(↑u,pu x, lo, hi))`` per spatial axis, with ``w`` dilated by ``r``
(and an optional periodic pre-padding for circular modes). Rules then merge neighbouring factors of
a composition into it (``down ∘ corr`` → window strides, ``corr ∘ up`` → polyphase, ...). Each rule
is a small registered function; each is exact (modes, phases and channel kinds are checked) or
does not fire. Rules only look at static structure; kernels are combined with traced array ops.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _plan, _shapes
from ._algebra import Bound, Compose, Scale, Sum
from ._base import Operator, Shape, pytree_node, wrap_sym
from ._ops import Crop, Filter, Identity, Pad, Resample, kernel_dtype

Pairs = tuple[tuple[int, int], ...]


def _dilate_kernel(q: jax.Array, rates: tuple[int, ...], nd: int) -> jax.Array:
    """``↑r q`` on the trailing ``nd`` axes, keeping the ``r - 1`` trailing zeros (like ``up``)."""
    cfg = [(0, 0, 0)] * (q.ndim - nd) + [(0, r - 1, r - 1) for r in rates]
    return lax.pad(q, jnp.zeros((), q.dtype), cfg)


@pytree_node(data=("kernel",))
class Dilated(Operator):
    """``corr(↑r q)`` / ``conv(↑r q)`` with the zero-insertion of the kernel kept structural."""

    kernel: jax.Array
    rates: tuple[int, ...]
    mode: str
    ndim: int
    flip: bool
    weak: bool = False

    def _dense(self) -> Filter:
        return Filter(
            _dilate_kernel(self.kernel, self.rates, self.ndim),
            self.mode,
            self.ndim,
            self.flip,
            self.weak,
        )

    def _label(self) -> str:
        name = "conv" if self.flip else "corr"
        return f"{name}(up({self.rates})(q{tuple(self.kernel.shape)}), {self.mode!r})"

    def _sym(self, x: str) -> str:
        r = (
            self.rates[0]
            if len(set(self.rates)) == 1
            else "(" + ",".join(map(str, self.rates)) + ")"
        )
        return f"(↑{r} q) {'*' if self.flip else '⋆'} {wrap_sym(x)}"

    def _channels(self):
        return self._dense()._channels()

    def _infer(self, shape: Shape, dtype: np.dtype):
        k = tuple(self.kernel.shape)
        dense = k[: -self.ndim] + tuple(r * n for r, n in zip(self.rates, k[-self.ndim :]))
        return Filter(
            jax.ShapeDtypeStruct(dense, self.kernel.dtype),
            self.mode,
            self.ndim,
            self.flip,
            self.weak,
        )._infer(shape, dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        return self._dense()._apply(x)


def dilate(op: Filter, rate: int | tuple[int, ...]) -> Dilated:
    """``op`` with its kernel zero-inserted by ``rate``: ``corr(↑r q)``, kept structural.

    ``ca.dilate(ca.corr(q, mode), r)`` equals ``ca.corr(ca.up(r, ndim=nd)(q), mode)`` (the kernel
    ``↑r q`` has ``r·K`` taps, the last ``r - 1`` zero), but lowers to ``rhs_dilation`` instead of a
    convolution with mostly-zero taps.

    Raises:
      TypeError: if ``op`` is not a ``conv``/``corr`` operator; ValueError for a bad rate.

    Example:
      >>> import convalgebra as ca
      >>> ca.dilate(ca.corr([1.0, 2.0]), 2)([1.0, 0.0, 0.0]).tolist()
      [0.0, 2.0, 0.0, 1.0, 0.0, 0.0]
    """
    if not isinstance(op, Filter):
        raise TypeError(f"dilate: needs a conv/corr operator, got {op!r}")
    rates = _shapes.factors("dilate", rate, op.ndim)
    return Dilated(op.kernel, rates, op.mode, op.ndim, op.flip, op.weak)


@pytree_node(data=("kernel",))
class LConv(Operator):
    """The lowering's convolution node: per axis ``↓s,ps (w ⋆ pad(↑u,pu wrap(x), lo, hi))``.

    ``w`` is ``kernel`` (flipped on its spatial axes when ``flip``) with taps ``r`` apart; ``wrap``
    is a periodic pre-padding (circular modes) or ``None``. ``pads`` may be negative (crop).
    """

    kernel: jax.Array
    ndim: int
    flip: bool
    weak: bool
    dil: tuple[int, ...]
    pads: Pairs
    wrap: Pairs | None
    up: tuple[int, ...]
    up_phase: tuple[int, ...]
    down: tuple[int, ...]
    down_phase: tuple[int, ...]

    @property
    def kind(self) -> str:
        return ("single", "depthwise", "mixing")[self.kernel.ndim - self.ndim]

    @property
    def taps(self) -> tuple[int, ...]:
        return tuple(self.kernel.shape[-self.ndim :])

    def corr_kernel(self) -> jax.Array:
        nd = self.ndim
        return (
            jnp.flip(self.kernel, tuple(range(self.kernel.ndim - nd, self.kernel.ndim)))
            if (self.flip)
            else self.kernel
        )

    def _label(self) -> str:
        parts = [f"q{tuple(self.kernel.shape)}"]
        if any(s > 1 for s in self.down):
            parts.append(
                f"stride={self.down}" + (f"@{self.down_phase}" if any(self.down_phase) else "")
            )
        if any(u > 1 for u in self.up):
            parts.append(f"up={self.up}" + (f"@{self.up_phase}" if any(self.up_phase) else ""))
        if any(r > 1 for r in self.dil):
            parts.append(f"dilation={self.dil}")
        parts.append(f"pads={self.pads}" + (f", wrap={self.wrap}" if self.wrap else ""))
        return f"lconv({', '.join(parts)})"

    def _sym(self, x: str) -> str:
        s = x
        if any(u > 1 for u in self.up):
            s = Resample(self.up, self.up_phase, True)._sym(s)
        q = "q" if not any(r > 1 for r in self.dil) else f"(↑{_fmt(self.dil)} q)"
        s = f"{q} {'*' if self.flip else '⋆'} {wrap_sym(s)}"
        if any(k > 1 for k in self.down):
            s = Resample(self.down, self.down_phase, False)._sym(s)
        return s

    def _channels(self):
        return Filter(self.kernel, "full", self.ndim, self.flip)._channels()

    def axis_plans(self, spatial: Shape) -> list[_plan.AxisPlan]:
        out = []
        for i, n in enumerate(spatial):
            if self.wrap:
                n = n + sum(self.wrap[i])
            lo, hi = self.pads[i]
            out.append(
                _plan.axis_plan(
                    n,
                    self.taps[i],
                    self.dil[i],
                    lo,
                    hi,
                    self.up[i],
                    self.up_phase[i],
                    self.down[i],
                    self.down_phase[i],
                )
            )
        return out

    def _infer(self, shape: Shape, dtype: np.dtype):
        nd, kind = self.ndim, self.kind
        lead_n = nd + (0 if kind == "single" else 1)
        if len(shape) < lead_n:
            raise ValueError(f"{self._label()}: input needs {lead_n} axes, got shape {shape}")
        if kind != "single":
            cin = self.kernel.shape[1] if kind == "mixing" else self.kernel.shape[0]
            if shape[-nd - 1] != cin:
                raise ValueError(f"{self._label()}: expects {cin} channels, got shape {shape}")
        spatial = tuple(p.out_len for p in self.axis_plans(shape[-nd:]))
        chan = () if kind == "single" else (self.kernel.shape[0],)
        return shape[:-lead_n] + chan + spatial, kernel_dtype(dtype, self.kernel.dtype, self.weak)

    def _apply(self, x: jax.Array) -> jax.Array:
        from ._lower import emit_lconv

        return emit_lconv(self, x, None)


def _fmt(t: tuple[int, ...]) -> str:
    return str(t[0]) if len(set(t)) == 1 else "(" + ",".join(map(str, t)) + ")"


def lift(op: Filter | Dilated) -> LConv:
    """A ``Filter``/``Dilated`` as the equivalent :class:`LConv`."""
    nd = op.ndim
    rates = op.rates if isinstance(op, Dilated) else (1,) * nd
    taps = op.kernel.shape[-nd:]
    pads, wrap = [], []
    for k, r in zip(taps, rates):
        lo, hi = _shapes.corr_padding(op.mode, r * k, op.flip)  # of the dense kernel ↑r q
        if op.mode == "circular":
            wrap.append((lo, hi))
            lo, hi = 0, 0
        # the dense ↑r q has r-1 trailing zeros; flipped, they lead
        pads.append((lo - (r - 1), hi) if op.flip else (lo, hi - (r - 1)))
    one = (1,) * nd
    return LConv(
        op.kernel,
        nd,
        op.flip,
        op.weak,
        tuple(rates),
        tuple(pads),
        tuple(wrap) if op.mode == "circular" else None,
        one,
        (0,) * nd,
        one,
        (0,) * nd,
    )


def _replace(c: LConv, **kw) -> LConv:
    f = {n: getattr(c, n) for n in LConv.__dataclass_fields__}
    f.update(kw)
    return LConv(**f)


# ---- the registry -------------------------------------------------------------------------------
PairRule = Callable[[Operator, Operator], "list[Operator] | None"]
RULES: dict[str, PairRule] = {}


def rule(name: str) -> Callable[[PairRule], PairRule]:
    """Registers a pair rule ``(outer, inner) -> replacement factors (inner first) | None``."""

    def reg(fn: PairRule) -> PairRule:
        RULES[name] = fn
        return fn

    return reg


def _is(op: Operator, up: bool) -> bool:
    return isinstance(op, Resample) and op.up == up


@rule("down_down")
def _down_down(outer, inner):
    if _is(outer, False) and _is(inner, False) and len(outer.factors) == len(inner.factors):
        ks = tuple(a * b for a, b in zip(outer.factors, inner.factors))
        ps = tuple(k2 * p1 + p2 for k2, p1, p2 in zip(inner.factors, outer.phases, inner.phases))
        return [Resample(ks, ps, False)]
    return None


@rule("up_up")
def _up_up(outer, inner):
    if _is(outer, True) and _is(inner, True) and len(outer.factors) == len(inner.factors):
        ks = tuple(a * b for a, b in zip(outer.factors, inner.factors))
        ps = tuple(k1 * p2 + p1 for k1, p1, p2 in zip(outer.factors, outer.phases, inner.phases))
        return [Resample(ks, ps, True)]
    return None


@rule("down_up_identity")
def _down_up(outer, inner):
    """``↓k,p ∘ ↑k,p = I`` (with different phases the product is zero: not rewritten)."""
    if _is(outer, False) and _is(inner, True) and outer.factors == inner.factors:
        if outer.phases == inner.phases:
            return []
    return None


@rule("strided_conv")
def _down_conv(outer, inner):
    """``↓k ∘ (w ⋆)`` → window strides (phases compose: ``↓k,p ∘ ↓s,ps = ↓ks, ps + s·p``)."""
    if _is(outer, False) and isinstance(inner, LConv) and len(outer.factors) == inner.ndim:
        ks = tuple(k * s for k, s in zip(outer.factors, inner.down))
        ps = tuple(q + s * p for s, p, q in zip(inner.down, outer.phases, inner.down_phase))
        return [_replace(inner, down=ks, down_phase=ps)]
    return None


@rule("polyphase")
def _conv_up(outer, inner):
    """``(w ⋆) ∘ ↑k`` → polyphase (phases compose: ``↑u,pu ∘ ↑k,p = ↑uk, u·p + pu``)."""
    if isinstance(outer, LConv) and _is(inner, True) and len(inner.factors) == outer.ndim:
        if outer.wrap is None:
            ks = tuple(u * k for u, k in zip(outer.up, inner.factors))
            ps = tuple(u * p + q for u, p, q in zip(outer.up, inner.phases, outer.up_phase))
            return [_replace(outer, up=ks, up_phase=ps)]
    return None


@rule("crop_into_pads")
def _crop_conv(outer, inner):
    """``crop(a, b) ∘ (w ⋆)`` → the correlation's padding reduced by ``(a, b)`` (stride 1 only)."""
    if isinstance(outer, Crop) and isinstance(inner, LConv) and len(outer.widths) == inner.ndim:
        if all(s == 1 for s in inner.down):
            pads = tuple((lo - a, hi - b) for (lo, hi), (a, b) in zip(inner.pads, outer.widths))
            return [_replace(inner, pads=pads)]
    return None


@rule("zero_pad_into_pads")
def _conv_pad(outer, inner):
    """``(w ⋆) ∘ pad(a, b)`` (zero padding) → the correlation's padding grown by ``u·(a, b)``."""
    if isinstance(outer, LConv) and isinstance(inner, Pad) and inner.mode == "zero":
        if len(inner.widths) == outer.ndim and outer.wrap is None:
            pads = tuple(
                (lo + u * a, hi + u * b)
                for (lo, hi), (a, b), u in zip(outer.pads, inner.widths, outer.up)
            )
            return [_replace(outer, pads=pads)]
    return None


def _plain(c: LConv) -> bool:
    one = (1,) * c.ndim
    return c.wrap is None and c.up == one and c.down == one and c.dil == one


def merge_cost(outer: LConv, inner: LConv) -> tuple[float, float]:
    """(separate, merged) multiply-adds per output sample: the cost model of ``conv_conv``."""
    k1, k2 = np.prod(inner.taps), np.prod(outer.taps)
    km = np.prod([a + b - 1 for a, b in zip(inner.taps, outer.taps)])
    if inner.kind == "mixing":
        co, cm, ci = outer.kernel.shape[0], inner.kernel.shape[0], inner.kernel.shape[1]
        sep, merged = cm * ci * k1 + co * cm * k2, co * ci * km
        if inner.ndim > 1:  # measured: merged 2-D kernels run 1.4-1.9x slower in XLA:CPU
            merged *= 2.0
        return float(sep), float(merged)
    return float(k1 + k2), float(km)


@rule("conv_conv")
def _conv_conv(outer, inner):
    """``(w2 ⋆) ∘ (w1 ⋆)`` → one correlation with ``w2 ∗ w1`` when the cost model says cheaper.

    Exact only if zero-padding the inner output equals padding the input more: on each side the
    outer pad is 0 or the inner one is "full" (``lo1 >= L1 - 1``).
    """
    if not (isinstance(outer, LConv) and isinstance(inner, LConv)):
        return None
    if not (_plain(outer) and _plain(inner) and outer.ndim == inner.ndim):
        return None
    if outer.kind != inner.kind or outer.kernel.dtype != inner.kernel.dtype:
        return None
    if outer.weak != inner.weak:
        return None
    for (lo1, hi1), (lo2, hi2), k1 in zip(inner.pads, outer.pads, inner.taps):
        if not ((lo2 == 0 or lo1 >= k1 - 1) and (hi2 == 0 or hi1 >= k1 - 1)):
            return None
    sep, merged = merge_cost(outer, inner)
    if merged > sep:
        return None
    w = combine_kernels(outer.corr_kernel(), inner.corr_kernel(), outer.kind, outer.ndim)
    pads = tuple((a + c, b + d) for (a, b), (c, d) in zip(inner.pads, outer.pads))
    return [_replace(inner, kernel=w, flip=False, pads=pads)]


def combine_kernels(w2: jax.Array, w1: jax.Array, kind: str, nd: int) -> jax.Array:
    """The correlation kernel of ``(w2 ⋆) ∘ (w1 ⋆)``: ``w[j] = sum_i w2[i] w1[j - i]``."""
    t2, t1 = w2.shape[-nd:], w1.shape[-nd:]
    full = tuple(a + b - 1 for a, b in zip(t1, t2))
    lead = (w2.shape[0], w1.shape[1]) if kind == "mixing" else w1.shape[:-nd]
    out = jnp.zeros(lead + full, jnp.result_type(w1, w2))
    for idx in np.ndindex(*t2):
        tap = w2[(..., *idx)]
        term = (
            jnp.einsum("om,mi...->oi...", tap, w1)
            if kind == "mixing"
            else (tap.reshape(tap.shape + (1,) * nd) * w1)
        )
        sl = tuple(slice(i, i + t) for i, t in zip(idx, t1))
        out = out.at[(..., *sl)].add(term)
    return out


# ---- driving the rules --------------------------------------------------------------------------
def flatten(op: Operator) -> list[Operator]:
    """The factors of a composition, innermost first (``Bound`` wrappers dropped)."""
    if isinstance(op, Compose):
        return flatten(op.inner) + flatten(op.outer)
    if isinstance(op, Bound):
        return flatten(op.op)
    return [op]


def _fold_scale(c, chain: list[Operator]) -> list[Operator] | None:
    """``c·(... (w ⋆) ...)`` → the scalar folded into the kernel (weak real scalars only)."""
    for i, f in enumerate(chain):
        if isinstance(f, LConv):
            return [*chain[:i], _replace(f, kernel=f.kernel * c), *chain[i + 1 :]]
    return None


def rewrite(op: Operator, fired: list[str] | None = None) -> Operator:
    """Rewrites ``op`` bottom-up with the registered rules until none fires.

    Args:
      op: an operator expression.
      fired: if given, the names of the rules that fired are appended to it.

    Returns:
      An equivalent operator (same shapes, dtypes and values) built of lowering nodes.
    """
    fired = [] if fired is None else fired
    if isinstance(op, (Filter, Dilated)):
        fired.append("lift")
        return lift(op)
    if isinstance(op, Sum):
        return Sum(rewrite(op.left, fired), rewrite(op.right, fired))
    if isinstance(op, Scale):
        inner = flatten(rewrite(op.op, fired))
        if op.weak and isinstance(op.c, (int, float)) and not isinstance(op.c, bool):
            folded = _fold_scale(op.c, inner)
            if folded is not None:
                fired.append("fold_scale")
                return _build(folded)
        return Scale(op.c, _build(inner), op.weak)
    if not isinstance(op, (Compose, Bound)):
        return op
    chain = []
    for f in flatten(op):
        chain.extend(flatten(rewrite(f, fired)))
    changed = True
    while changed:
        changed = False
        chain = [f for f in chain if not isinstance(f, Identity)]
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
    return _build(chain)


def _build(chain: list[Operator]) -> Operator:
    if not chain:
        return Identity()
    out = chain[0]
    for f in chain[1:]:
        out = Compose(f, out)
    return out
