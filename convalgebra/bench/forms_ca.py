"""convalgebra formulations: every case written in the algebra, as a user would write it.

One *algebra family* is one way of running the same expression: ``"convalgebra"`` runs it the
way a user does (``A(x)``, ``ca.transpose(A, x_like)``, ``jax.vjp`` for the kernel gradient).
When a lowering engine is installed (``ca.as_written`` exists and ``A(x)`` runs the lowered
program), the rows split into ``"convalgebra as written"`` (``ca.as_written(A)``, its
``jax.linear_transpose`` and ``jax.vjp``) and ``"convalgebra lowered"`` (``A(x)``,
``ca.transpose``). Any other way of running the expressions is one call, e.g.::

    register_algebra("convalgebra fft", apply=lambda A, x: ca.lower(A, strategy="fft")(x))

and every case of every suite gets the new rows, cross-checked against all other formulations.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from .cases import KINDS, Case
from .registry import register


def expression(case: Case, ws) -> ca.Operator:
    """The operator of ``case`` with kernels ``ws``, written in convalgebra's notation."""
    nd, s = case.ndim, case.factor
    if case.kind == "strided":  # ↓s (w ⋆ x)
        return ca.down(s, ndim=nd) @ ca.corr(ws[0], "same", ndim=nd)
    if case.kind == "transposed":  # w ⋆ (↑s x)
        return ca.corr(ws[0], "same", ndim=nd) @ ca.up(s, ndim=nd)
    if case.kind == "dilated":  # (↑r w) ⋆ x, "same" for the r(K-1)+1 taps from first to last
        # structural: ↑r w has rK taps, the last r - 1 zero
        lo, hi = case.pads
        pad = ca.pad(((lo, hi + s - 1),) * nd)
        return ca.dilate(ca.corr(ws[0], "valid", ndim=nd), s) @ pad
    if case.kind == "nearest":  # w ⋆ nearest(x), nearest(x) = crop(box * ↑s x)
        box = np.ones((s,) * nd, np.float32)
        nearest = ca.crop(((0, s - 1),) * nd) @ ca.conv(box, "full", ndim=nd) @ ca.up(s, ndim=nd)
        return ca.corr(ws[0], "same", ndim=nd) @ nearest
    if case.kind == "fusion":  # w2 ⋆ (w1 ⋆ x)
        return ca.corr(ws[1], "valid", ndim=nd) @ ca.corr(ws[0], "valid", ndim=nd)
    if case.kind == "depthwise":  # one filter per channel
        return ca.corr(ws[0], "same", ndim=nd)
    if case.kind == "fir":  # one filter for every signal, then ↓s
        a = ca.corr(ws[0], "same", ndim=nd)
        return ca.down(s, ndim=nd) @ a if s > 1 else a
    raise ValueError(f"expression: unknown kind {case.kind!r}")


def _apply(op: ca.Operator, x: jax.Array) -> jax.Array:
    return op(x)


def register_algebra(
    name: str,
    *,
    apply: Callable[[ca.Operator, jax.Array], jax.Array] = _apply,
    transpose: Callable[
        [ca.Operator, jax.ShapeDtypeStruct], Callable[[jax.Array], jax.Array]
    ] = ca.transpose,
) -> None:
    """Registers the formulation ``name`` of every kind, built from :func:`expression`.

    Args:
      name: the formulation's name, e.g. ``"convalgebra lowered"``.
      apply: evaluates an operator on an array (forward, and inside the training step).
      transpose: ``(A, x_like) -> Aᵀ``, an operator applied to the cotangent.
    """

    @register(KINDS, name, family="convalgebra")
    def build(case: Case, direction: str):
        xs = jax.ShapeDtypeStruct(case.x_shape, jnp.float32)
        if direction == "forward":
            return lambda ws, x: apply(expression(case, ws), x)
        if direction == "transpose":
            return lambda ws, g: transpose(expression(case, ws), xs)(g)

        def step(ws, x, g):
            y, pull = jax.vjp(lambda ws: apply(expression(case, ws), x), ws)
            return y, pull(g)[0]

        return step


def _as_written(op: ca.Operator, x: jax.Array) -> jax.Array:
    return ca.as_written(op)(x)


def _as_written_t(
    op: ca.Operator, x_like: jax.ShapeDtypeStruct
) -> Callable[[jax.Array], jax.Array]:
    """What ``ca.transpose`` derives from the expression as written: its ``linear_transpose``."""
    t = jax.linear_transpose(ca.as_written(op), x_like)
    return lambda g: t(g)[0]


register_algebra("convalgebra as written", apply=_as_written, transpose=_as_written_t)
register_algebra("convalgebra lowered")
