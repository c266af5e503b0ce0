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


def channels_last_operator(case: Case, ws) -> ca.Operator:
    """The operator of ``case`` on channels-last data ``(B, *S, C)``, written with ``ca.nn``.

    ``ca.nn.conv_op(..., data_format="channels_last")`` for the strided and dilated kinds,
    ``ca.nn.conv_transpose_op`` for the transposed kind (its weight is the flipped, swapped
    kernel of the strided correlation whose transpose it is); the same linear map as
    :func:`expression` with the channel axis last.
    """
    nd, s, (lo, hi) = case.ndim, case.factor, case.pads
    cl = "channels_last"
    if case.kind == "strided":
        return ca.nn.conv_op(ws[0], stride=s, padding=((lo, hi),) * nd, data_format=cl)
    if case.kind == "dilated":
        return ca.nn.conv_op(ws[0], dilation=s, padding=((lo, hi),) * nd, data_format=cl)
    if case.kind == "transposed":  # w ⋆ (↑s x) = (↓s (flip_swap(w) ⋆ ·) padded (k-1-lo, lo))ᵀ
        w = jnp.flip(ws[0], axis=tuple(range(2, 2 + nd))).swapaxes(0, 1)
        k = case.kernel
        return ca.nn.conv_transpose_op(
            w, stride=s, padding=((k - 1 - lo, lo),) * nd, output_padding=s - 1, data_format=cl
        )
    raise ValueError(f"channels_last_operator: no channels-last form of kind {case.kind!r}")


LAYOUT_KINDS = ("strided", "transposed", "dilated")


def register_algebra_channels_last(
    name: str,
    *,
    apply: Callable[[ca.Operator, jax.Array], jax.Array] = _apply,
    transpose: Callable[
        [ca.Operator, jax.ShapeDtypeStruct], Callable[[jax.Array], jax.Array]
    ] = ca.transpose,
) -> None:
    """Registers ``name`` on channels-last data for the kinds with both layouts."""

    @register(LAYOUT_KINDS, name, family="convalgebra", layout="channels_last")
    def build(case: Case, direction: str):
        b, c, *sp = case.x_shape
        xs = jax.ShapeDtypeStruct((b, *sp, c), jnp.float32)
        if direction == "forward":
            return lambda ws, x: apply(channels_last_operator(case, ws), x)
        if direction == "transpose":
            return lambda ws, g: transpose(channels_last_operator(case, ws), xs)(g)

        def step(ws, x, g):
            y, pull = jax.vjp(lambda ws: apply(channels_last_operator(case, ws), x), ws)
            return y, pull(g)[0]

        return step


register_algebra("convalgebra as written", apply=_as_written, transpose=_as_written_t)
register_algebra("convalgebra lowered")
register_algebra_channels_last(
    "convalgebra as written c-last", apply=_as_written, transpose=_as_written_t
)
register_algebra_channels_last("convalgebra lowered c-last")
