"""THE interpreter: one function, :func:`run`, evaluates an IR tree with lax.

Every node type of :mod:`.ir` is handled here and nowhere else. The context says what was pinned
(a strategy, a plan), the platform's tuning, whether the program is being emitted for
``jax.linear_transpose``, and where to record the choices made (``explain`` and ``measure`` read
that record: they report what ran, not a re-derivation).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._static.structs import Shape, common_dtype, kernel_dtype
from . import conv as conv_mod
from . import cost, precision
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


@dataclasses.dataclass(frozen=True)
class Record:
    """One convolution as it was emitted."""

    conv: Conv
    in_shape: Shape
    strategy: str
    costs: dict[str, float]
    transposed: int  # how many Pullbacks enclose it
    how: str  # "pinned", "plan" or "cost model"


@dataclasses.dataclass(frozen=True)
class Ctx:
    """What the interpreter needs besides the IR; immutable (``record`` is an output list)."""

    strategy: str | None = None
    plan: Any = None
    platform: str = "cpu"
    linear: bool = False
    depth: int = 0
    record: list[Record] | None = None

    @staticmethod
    def default(record: list[Record] | None = None) -> Ctx:
        return Ctx(platform=jax.default_backend(), record=record)


def _choose(c: Conv, x: jax.Array, ctx: Ctx) -> str:
    out = conv_mod.out_shape(c, x.shape)
    costs = cost.costs_of(c, x.shape, out, ctx.platform)
    how, strategy = "cost model", None
    if ctx.strategy is not None:
        how, strategy = "pinned", ctx.strategy
        if not cost.allowed(strategy, c.kernel.dtype, c.groups):
            why = "grouped kernels run on lax" if c.groups != 1 else "XLA's FFTs take float32/64"
            raise ValueError(
                f"lower: strategy {strategy!r} cannot run {c.label()} in "
                f"{np.dtype(c.kernel.dtype).name} ({why})"
            )
    elif ctx.plan is not None:
        got = ctx.plan.lookup(c, x.shape, ctx.platform)
        if got is not None and cost.allowed(got, c.kernel.dtype, c.groups):
            how, strategy = "plan", got
    if strategy is None:
        strategy = cost.choose(costs)
    if strategy != "lax" and conv_mod.spatially_sharded(x, c.ndim):
        # an explicitly sharded spatial axis: "fft" needs the whole axis, and "fft" and "shift"
        # pad it to lengths JAX's sharding types refuse; "lax" keeps it (halo exchange)
        if how == "pinned":
            raise ValueError(
                f"lower: strategy {strategy!r} cannot run {c.label()} on an input whose spatial "
                f"axes are sharded ({jax.typeof(x).sharding.spec}); pin 'lax' or shard the batch"
            )
        how, strategy = f"sharded spatial axis ({how} chose {strategy!r})", "lax"
    elif strategy == "fft" and any(conv_mod.sharded_axes(x)):
        # XLA's SPMD partitioner all-gathers the operand of an FFT, even over batch axes
        # (measured on 8 CPU host devices, jax 0.10.2): never chosen for a sharded input
        if how == "pinned":
            warnings.warn(
                f"lower: strategy 'fft' on a sharded input ({jax.typeof(x).sharding.spec}): "
                "XLA all-gathers the operand of every FFT; pin 'lax' or 'shift' to keep it "
                "sharded",
                stacklevel=2,
            )
        else:
            rest = {s: t for s, t in costs.items() if s != "fft"}
            how, strategy = f"sharded input ({how} chose 'fft')", cost.choose(rest)
    conv_mod.check_halos(c, x)  # a sharded axis each of whose pieces needs the whole axis
    if ctx.record is not None:
        ctx.record.append(Record(c, tuple(x.shape), strategy, costs, ctx.depth, how))
    return strategy


def _sum(ys: list[jax.Array]) -> jax.Array:
    dt = common_dtype(*[y.dtype for y in ys])
    out = ys[0].astype(dt)
    for y in ys[1:]:
        out = out + y.astype(dt)
    return out


def _scaled(y: jax.Array, m: Mul) -> jax.Array:
    if m.c is None:
        dt = kernel_dtype(y.dtype, np.asarray(m.value).dtype, True)
        return y.astype(dt) * jnp.asarray(m.value, dt)
    c = jnp.asarray(m.c)
    dt = kernel_dtype(y.dtype, c.dtype, False)
    return y.astype(dt) * c.astype(dt)


def run(ir: IR, x: Any, ctx: Ctx) -> Any:
    """Evaluates ``ir`` on ``x`` (an array, or a tuple of them for several inputs)."""
    if isinstance(ir, Conv):
        x = x.astype(kernel_dtype(x.dtype, ir.kernel.dtype, False))
        strategy = _choose(ir, x, ctx)
        guard = bool(cost.tuning(ctx.platform)["ynnpack_guard"])
        prec = precision.resolve(ir.precision, ctx.platform)  # None: TUNING's default
        return conv_mod.emit_conv(ir, x, strategy, linear=ctx.linear, guard=guard, precision=prec)
    if isinstance(ir, Sampling):
        return _resample(ir, x)
    if isinstance(ir, Window):
        nd = len(ir.pads)
        cfg = [(0, 0, 0)] * (x.ndim - nd) + [(lo, hi, 0) for lo, hi in ir.pads]
        return lax.pad(x, jnp.zeros((), x.dtype), cfg)
    if isinstance(ir, Permute):
        return jnp.transpose(x, ir.perm)
    if isinstance(ir, Apply):
        return ir.fn(x)
    if isinstance(ir, Seq):
        for step in ir.steps:
            x = run(step, x, ctx)
        return x
    if isinstance(ir, Add):
        return jax.tree_util.tree_map(
            lambda *ys: _sum(list(ys)), *[run(t, x, ctx) for t in ir.terms]
        )
    if isinstance(ir, Mul):
        return jax.tree_util.tree_map(lambda y: _scaled(y, ir), run(ir.body, x, ctx))
    if isinstance(ir, Branch):
        return tuple(run(t, x, ctx) for t in ir.terms)
    if isinstance(ir, Join):
        return _sum([run(t, xi, ctx) for t, xi in zip(ir.terms, x)])
    if isinstance(ir, Parallel):
        return tuple(run(t, xi, ctx) for t, xi in zip(ir.terms, x))
    if isinstance(ir, Pullback):
        return _pullback(ir, x, ctx)
    if isinstance(ir, Pin):
        return run(ir.body, x, dataclasses.replace(ctx, strategy=ir.strategy, plan=ir.plan))
    raise TypeError(f"run: not an IR node: {ir!r}")


def _resample(r: Sampling, x: jax.Array) -> jax.Array:
    nd = len(r.factors)
    lead = [(0, 0, 0)] * (x.ndim - nd)
    if r.up:
        cfg = [
            (p, k - 1 - p, k - 1) if n else (0, 0, 0)
            for k, p, n in zip(r.factors, r.phases, x.shape[-nd:])
        ]
        return lax.pad(x, jnp.zeros((), x.dtype), lead + cfg)
    idx = (Ellipsis, *(slice(p, None, k) for k, p in zip(r.factors, r.phases)))
    return x[idx]


def _is_struct(n: Any) -> bool:
    return isinstance(n, jax.ShapeDtypeStruct)


def _pullback(p: Pullback, y: Any, ctx: Ctx) -> Any:
    """``Aᵀ y`` (``Aᴴ y``) of the lowered body, by ``jax.linear_transpose`` or ``jax.vjp``.

    ``y`` and the result are arrays, or tuples of them when the body has several outputs or
    inputs (``Branch``, ``Join``, ``Parallel``).
    """
    tmap = jax.tree_util.tree_map
    inner = dataclasses.replace(ctx, depth=ctx.depth + 1)
    ys = jax.tree_util.tree_leaves(y)
    struct = tmap(
        lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=_in_sharding(s.shape, ys)),
        p.in_struct, is_leaf=_is_struct,
    )  # fmt: skip
    y = tmap(lambda a, d: a.astype(d), y, p.out_dtypes)
    if p.conj:
        y = tmap(jnp.conj, y)
    if any(s.sharding is not None for s in jax.tree_util.tree_leaves(struct)):
        # explicit sharding: the cotangent must have the type of the body's output
        quiet = dataclasses.replace(inner, record=None)
        want = jax.eval_shape(lambda z: run(p.body, z, quiet), struct)
        y = tmap(_reshard_like, y, want)
    if p.method == "linear_transpose":
        lin = dataclasses.replace(inner, linear=True)
        out = jax.linear_transpose(lambda z: run(p.body, z, lin), struct)(y)[0]
    else:
        zeros = tmap(
            lambda s: jnp.zeros(s.shape, s.dtype, out_sharding=s.sharding), struct,
            is_leaf=_is_struct,
        )  # fmt: skip
        out = jax.vjp(lambda z: run(p.body, z, inner), zeros)[1](y)[0]
    return tmap(jnp.conj, out) if p.conj else out


def _reshard_like(a: jax.Array, want: jax.ShapeDtypeStruct) -> jax.Array:
    if want.sharding is not None and want.sharding.spec != jax.typeof(a).sharding.spec:
        return jax.sharding.reshard(a, want.sharding.spec)
    return a


def _in_sharding(in_shape: Shape, ys: list[jax.Array]) -> Any:
    """The explicit sharding of a pullback's result: ``y``'s, axis by axis (``None``: none).

    ``ys`` are the cotangent's arrays; the first of the result's rank that is sharded decides
    (a bank's outputs are sharded alike).

    Under explicit mesh axes (``jax.sharding.AxisType.Explicit``) an array's sharding is part of
    its type, and ``Aᵀ y`` needs the type of ``A``'s input. Operators keep the rank and act on
    trailing axes, so each axis of ``y`` sharded over mesh axes that divide the input's length
    there is sharded the same way in the input (batch in, batch out; a sharded spatial axis
    stays sharded); other axes are replicated.
    """
    same_rank = [a for a in ys if a.ndim == len(in_shape)]
    sharded = [a for a in same_rank if _explicit_spec(a)]
    if not sharded:
        return None
    sh = jax.typeof(sharded[0]).sharding
    spec = tuple(sh.spec)
    out = []
    for n, s in zip(in_shape, spec):
        names = () if s is None else (s if isinstance(s, tuple) else (s,))
        size = int(np.prod([sh.mesh.shape[a] for a in names])) if names else 1
        out.append(s if names and n % size == 0 else None)
    if not any(s is not None for s in out):
        return None
    return jax.sharding.NamedSharding(sh.mesh, jax.sharding.PartitionSpec(*out))


def _explicit_spec(a: jax.Array) -> bool:
    sh = jax.typeof(a).sharding
    return sh is not None and any(s is not None for s in tuple(sh.spec))
