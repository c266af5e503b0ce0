"""``ca.explain`` and ``ca.measure``: both read ONE recorded run of the interpreter.

The interpreter records every convolution it emits (the node, its input shape, the strategy and
why: pinned, plan or cost model, and the estimated costs), so what is explained and what is
measured is what ran, transposes, sums, scalings and pinned sub-expressions included.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._lower import emit, ir
from .._lower.cost import STRATEGIES
from .._lower.plan import Plan, key
from .._static.structs import as_struct_tree
from .node import Operator, lower, lowered_ir, map_structs


def lax_ops(jaxpr: Any) -> list[tuple[str, dict]]:
    """Every primitive of a (closed) jaxpr, nested jaxprs included, with convolution params."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    out = []
    for eqn in jaxpr.eqns:
        subs = [v for v in eqn.params.values() if hasattr(v, "eqns") or hasattr(v, "jaxpr")]
        if subs:
            for s in subs:
                out.extend(lax_ops(s))
            continue
        params = {}
        if eqn.primitive.name == "conv_general_dilated":
            params = {
                k: eqn.params[k]
                for k in ("window_strides", "lhs_dilation", "rhs_dilation", "feature_group_count")
            }
        out.append((eqn.primitive.name, params))
    return out


def recorded(op: Operator, x_like: Any) -> tuple[Any, list[str], list[emit.Record], Any]:
    """``(rewritten IR, rules fired, records, jaxpr)`` of one traced run of ``op`` on ``x_like``."""
    s = as_struct_tree(x_like)
    op.out_struct(s)
    fired: list[str] = []
    tree = lowered_ir(op, s, fired)
    records: list[emit.Record] = []
    ctx = emit.Ctx.default(records)
    jaxpr = jax.make_jaxpr(lambda x: emit.run(tree, x, ctx))(s)
    return tree, fired, records, jaxpr


def explain(op: Operator, x_like: Any = None) -> str:
    """Describes how ``op`` is lowered, and returns the description (print it yourself).

    Args:
      op: an operator expression.
      x_like: the input (array or ``jax.ShapeDtypeStruct``); with it the expression is lowered
        for that shape and the description is read from one recorded run: the rewritten form,
        the rules that fired, each convolution with the strategy the interpreter chose (and why)
        and the lax operations emitted. Without it, only the notation is shown.

    Returns:
      The description, several lines of text.

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> A = ca.down(2) @ ca.corr(jnp.ones((8, 8, 3)), "same", ndim=1)
      >>> text = ca.explain(A, jax.ShapeDtypeStruct((1, 8, 32), "float32"))
      >>> print(text.splitlines()[0])
      expression:  ↓2 (q ⋆[same] x)
    """
    lines = [f"expression:  {op.notation()}"]
    if x_like is None:
        lines.append("lowering:    depends on the input shape: call ca.explain(A, x_like)")
    else:
        tree, fired, records, jaxpr = recorded(op, x_like)
        lines += [
            f"rewritten:   {ir.notation(tree)}",
            f"rules fired: {', '.join(fired) if fired else '(none)'}",
        ]
        for r in records:
            est = ", ".join(f"{k} {v * 1e3:.3g} ms" for k, v in r.costs.items())
            where = " (inside a transpose)" if r.transposed else ""
            lines.append(f"conv node:   {r.conv.label()} on {r.in_shape}{where}")
            lines.append(f"  strategy:  {r.strategy} by {r.how}   (cost model: {est})")
        ops = lax_ops(jaxpr)
        counts = Counter(name for name, _ in ops)
        lines.append("lax ops:     " + ", ".join(f"{n} x{c}" for n, c in sorted(counts.items())))
        for name, params in ops:
            if params:
                lines.append(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    return "\n".join(lines)


def measure(
    op: Operator, x_like: Any, strategies: tuple[str, ...] = STRATEGIES, repeats: int = 5
) -> Plan:
    """Times ``op`` under each strategy (medians, interleaved) and returns a :class:`Plan`.

    Every convolution the interpreter emits for ``op`` on ``x_like`` (transposes included) gets
    the strategy of the fastest whole program. Pin it with ``ca.lower(op, plan=plan)``.

    Raises:
      ValueError: an unknown strategy, or one that cannot express ``op``.
    """
    s = as_struct_tree(x_like)
    _, _, records, _ = recorded(op, s)
    if not records:
        raise ValueError(f"measure: {op!r} contains no convolution to measure")
    x = map_structs(lambda a: jnp.ones(a.shape, a.dtype), s)
    fns = {st: jax.jit(lower(op, strategy=st).__call__) for st in strategies}
    times: dict[str, list[float]] = {st: [] for st in strategies}
    for f in fns.values():
        jax.block_until_ready(f(x))
    order = list(fns.items())
    for i in range(max(1, repeats)):
        for st, f in order if i % 2 == 0 else order[::-1]:
            t0 = time.perf_counter()
            jax.block_until_ready(f(x))
            times[st].append(time.perf_counter() - t0)
    best = min(strategies, key=lambda st: float(np.median(times[st])))
    platform = jax.default_backend()
    return Plan({key(r.conv, r.in_shape, platform): best for r in records})
