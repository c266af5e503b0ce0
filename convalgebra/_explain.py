"""``ca.explain``: the expression, its rewritten form, the strategies and the lax ops emitted."""

from __future__ import annotations

from collections import Counter
from typing import Any

import jax

from . import _lower, _rules
from ._base import Operator, as_struct


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


def explain(op: Operator, x_like: Any = None, show: bool = True) -> str:
    """Describes how ``op`` is lowered, and returns (and by default prints) the description.

    Args:
      op: an operator expression.
      x_like: optional input (array or ``jax.ShapeDtypeStruct``); with it the strategies are
        resolved for that shape and the lax operations are read from the traced jaxpr.
      show: print the text as well as returning it.

    Returns:
      Lines: the expression in the DSP notation, the rewritten form and the rules that fired,
      each lowered convolution with its strategy, and (with ``x_like``) the lax ops emitted.

    Example:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> A = ca.down(2) @ ca.corr(jnp.ones((8, 8, 3)), "same")
      >>> text = ca.explain(A, jax.ShapeDtypeStruct((1, 8, 32), "float32"), show=False)
      >>> print(text.splitlines()[0])
      expression:  ↓2 (q ⋆ x)
    """
    fired: list[str] = []
    rewritten = _rules.rewrite(op, fired)
    lines = [
        f"expression:  {op.notation()}",
        f"rewritten:   {rewritten.notation()}",
        f"             {rewritten!r}",
        f"rules fired: {', '.join(fired) if fired else '(none)'}",
    ]
    if x_like is None:
        for node in _rules_nodes(rewritten):
            lines.append(f"conv node:   {node!r}: strategy chosen per input shape (give x_like)")
        text = "\n".join(lines)
    else:
        s = as_struct(x_like)
        ctx = _lower._Ctx(None, _lower._ACTIVE_PLAN[0] if _lower._ACTIVE_PLAN else None)
        for node, shape in _lower._conv_inputs(op, s):
            costs = {st: _lower.node_cost(node, shape, st) for st in _lower.STRATEGIES}
            est = ", ".join(f"{k} {v * 1e3:.3g} ms" for k, v in costs.items())
            lines.append(f"conv node:   {node!r} on {tuple(shape)}")
            lines.append(f"  strategy:  {_lower.choose(node, shape, ctx)}   (cost model: {est})")
        ops = lax_ops(jax.make_jaxpr(op.__call__)(jax.ShapeDtypeStruct(s.shape, s.dtype)))
        counts = Counter(name for name, _ in ops)
        lines.append("lax ops:     " + ", ".join(f"{n} x{c}" for n, c in sorted(counts.items())))
        for name, params in ops:
            if params:
                lines.append(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in params.items()))
        text = "\n".join(lines)
    if show:
        print(text)
    return text


def _rules_nodes(op: Operator):
    return [n for n in _lower._walk(op) if isinstance(n, _rules.LConv)]
