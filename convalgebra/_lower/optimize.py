"""``ca.optimize``: the lowering's rewrites applied to the jaxpr of any JAX function.

The function is traced to a jaxpr and re-evaluated equation by equation; two patterns are
rewritten, everything else is bound as it was:

* ``conv_general_dilated`` with ``lhs_dilation`` (what ``jax.linear_transpose``, ``jax.vjp`` and
  ``lax.conv_transpose`` produce) → polyphase: VALID stride-1 convolutions with explicit padding,
  interleaved;
* ``conv_general_dilated`` followed by a strided ``slice`` of its spatial axes → one convolution
  with window strides.

Both become the lowering's convolution node, so their own transposes and gradients are fast too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.extend import core as jcore

from .conv import emit_conv, out_shape
from .cost import choose, costs_of, tuning
from .ir import Conv


def _conv_node(eqn, w: jax.Array, sl=None) -> Conv | None:
    """The LConv equal to a conv equation (canonical NC*/OI* layouts), optionally + a slice."""
    p = eqn.params
    if p["batch_group_count"] != 1 or p["feature_group_count"] != 1:
        return None
    if p.get("preferred_element_type") is not None:
        return None
    nd = len(p["window_strides"])
    u, r, s = p["lhs_dilation"], p["rhs_dilation"], p["window_strides"]
    n_in = eqn.invars[0].aval.shape
    lhs_spec = p["dimension_numbers"].lhs_spec
    pads, down, dph = [], [], []
    for a in range(nd):
        lo, hi = p["padding"][a]
        hi -= u[a] - 1  # lhs_dilation has (n - 1)u + 1 samples, ↑u has u·n
        k = w.shape[2 + a]
        n = n_in[lhs_spec[2 + a]]
        m = u[a] * n + lo + hi - ((k - 1) * r[a] + 1) + 1
        stride, phase = s[a], 0
        if sl is not None:
            start, limit, step = sl[a]
            phase, stride = s[a] * start, s[a] * step
            m_keep = s[a] * (limit - 1) + 1 if limit > 0 else 0
            hi -= m - m_keep
        pads.append((lo, hi))
        down.append(stride)
        dph.append(phase)
    return Conv(
        kernel=w, ndim=nd, flip=False, dilation=tuple(r), pads=tuple(pads), wrap=None,
        up=tuple(u), up_phase=(0,) * nd, down=tuple(down), down_phase=tuple(dph),
    )  # fmt: skip


def _spatial_slice(conv_eqn, slice_eqn):
    """``(start, limit, step)`` per spatial axis if the slice only touches spatial axes."""
    out_spec = conv_eqn.params["dimension_numbers"].out_spec
    shape = conv_eqn.outvars[0].aval.shape
    st, lim = slice_eqn.params["start_indices"], slice_eqn.params["limit_indices"]
    steps = slice_eqn.params["strides"] or (1,) * len(shape)
    for d in out_spec[:2]:
        if st[d] != 0 or lim[d] != shape[d] or steps[d] != 1:
            return None
    if all(steps[d] == 1 for d in out_spec[2:]):
        return None
    return [(st[d], lim[d], steps[d]) for d in out_spec[2:]]


def _lowered_conv(eqn, x, w, sl=None):
    dn = eqn.params["dimension_numbers"]
    xc = jnp.transpose(x, dn.lhs_spec)
    dt = jnp.promote_types(x.dtype, w.dtype)
    wc = jnp.transpose(w, dn.rhs_spec).astype(dt)
    node = _conv_node(eqn, wc, sl)
    if node is None:
        return None
    platform = jax.default_backend()
    strategy = choose(costs_of(node, xc.shape, out_shape(node, xc.shape), platform))
    guard = bool(tuning(platform)["ynnpack_guard"])
    # the user's own precision (None: lax's default, as in the program being optimised)
    prec = eqn.params.get("precision")
    y = emit_conv(node, xc.astype(dt), strategy, linear=False, guard=guard, precision=prec)
    inv = [0] * y.ndim
    for i, d in enumerate(dn.out_spec):
        inv[d] = i
    return jnp.transpose(y, inv)


def _uses(jaxpr) -> dict:
    count: dict = {}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if isinstance(v, jcore.Var):
                count[v] = count.get(v, 0) + 1
    for v in jaxpr.outvars:
        if isinstance(v, jcore.Var):
            count[v] = count.get(v, 0) + 1
    return count


def _eval(jaxpr, consts, args, fired: list[str]):
    env: dict = {}

    def read(v):
        return v.val if isinstance(v, jcore.Literal) else env[v]

    for v, c in zip(jaxpr.constvars, consts):
        env[v] = c
    for v, a in zip(jaxpr.invars, args):
        env[v] = a
    uses = _uses(jaxpr)
    consumer = {}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if isinstance(v, jcore.Var):
                consumer[v] = eqn
    skip = set()
    for eqn in jaxpr.eqns:
        if id(eqn) in skip:
            continue
        invals = [read(v) for v in eqn.invars]
        name = eqn.primitive.name
        outs = None
        if name in ("pjit", "jit") and "jaxpr" in eqn.params:
            inner = eqn.params["jaxpr"]
            outs = _eval(inner.jaxpr, inner.consts, invals, fired)
        elif name == "conv_general_dilated":
            o = eqn.outvars[0]
            nxt = consumer.get(o)
            sl = None
            if uses.get(o) == 1 and nxt is not None and nxt.primitive.name == "slice":
                sl = _spatial_slice(eqn, nxt)
            if sl is not None:
                y = _lowered_conv(eqn, invals[0], invals[1], sl)
                if y is not None:
                    fired.append("conv_slice_to_strided")
                    skip.add(id(nxt))
                    env[nxt.outvars[0]] = y  # type: ignore[union-attr]
                    continue
            if any(d > 1 for d in eqn.params["lhs_dilation"]):
                y = _lowered_conv(eqn, *invals)
                if y is not None:
                    fired.append("lhs_dilation_to_polyphase")
                    outs = [y]
        if outs is None:
            bound = eqn.primitive.get_bind_params(eqn.params)
            if isinstance(bound, tuple):  # older JAX: (subfuns, params)
                outs = eqn.primitive.bind(*bound[0], *invals, **bound[1])
            else:
                outs = eqn.primitive.bind(*invals, **bound)
            if not eqn.primitive.multiple_results:
                outs = [outs]
        for v, val in zip(eqn.outvars, outs):
            env[v] = val
    return [read(v) for v in jaxpr.outvars]


def optimize(fn: Callable, report: list[str] | None = None) -> Callable:
    """Rewrites the jaxpr of ``fn`` with the lowering's rules; same signature and results.

    Args:
      fn: a JAX-traceable function of arrays (pytrees allowed).
      report: if given, the names of the rewrites applied are appended to it at each call.

    Returns:
      A function with ``fn``'s signature returning the same values (up to rounding).

    Raises:
      ValueError: when called, if ``fn`` cannot be traced by ``jax.make_jaxpr`` with the given
        arguments (non-array arguments, Python control flow on traced values, ...).

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> from jax import lax
      >>> def f(x, w):
      ...     return lax.conv_transpose(x, w, (2,), "SAME", dimension_numbers=("NCH", "OIH", "NCH"))
      >>> x, w = jnp.ones((1, 2, 8)), jnp.ones((3, 2, 4))
      >>> bool(jnp.allclose(ca.optimize(f)(x, w), f(x, w)))
      True
    """
    name = getattr(fn, "__name__", repr(fn))

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any):
        leaves, tree = jax.tree_util.tree_flatten((args, kwargs))

        def flat(*xs):
            a, k = jax.tree_util.tree_unflatten(tree, xs)
            return fn(*a, **k)

        try:
            closed, out_shape = jax.make_jaxpr(flat, return_shape=True)(*leaves)
        except Exception as e:  # JAX raises many types here; all mean "cannot trace"
            raise ValueError(
                f"optimize: cannot trace {name} with these arguments "
                f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            ) from e
        fired: list[str] = []
        outs = _eval(closed.jaxpr, closed.consts, leaves, fired)
        if report is not None:
            report.extend(fired)
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out_shape), outs)

    return run
