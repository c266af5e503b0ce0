"""Building blocks shared by the ``nn`` layers: dtype handling, kernels and signed crops.

Everything here returns core operators or kernels; no layer semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._expr import primitives as _ops
from .._expr.node import Operator
from .._expr.primitives import dilate as dilate_filter
from ._args import Pairs


def as_array(op: str, name: str, v: Any) -> jax.Array:
    """``v`` as a JAX array with an inexact dtype (ints are refused, as PyTorch does)."""
    a = jnp.asarray(v)
    if not jnp.issubdtype(a.dtype, jnp.inexact):
        raise TypeError(f"{op}: {name} must have a floating or complex dtype, got {a.dtype}")
    return a


def default_float() -> np.dtype:
    """JAX's default floating dtype (float64 when x64 is enabled, else float32)."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def common_dtype(op: str, x: jax.Array, w: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Casts ``x`` and ``w`` to their NumPy-promoted dtype, explicitly (strict promotion safe)."""
    dt = np.result_type(x.dtype, w.dtype)
    return x.astype(dt), w.astype(dt)


def trim(pairs: Pairs) -> Operator | None:
    """Removes ``(lo, hi)`` samples per trailing axis; a negative width appends zeros instead."""
    cut = tuple((max(a, 0), max(b, 0)) for a, b in pairs)
    add = tuple((max(-a, 0), max(-b, 0)) for a, b in pairs)
    ops = [_ops.pad(add)] if any(map(any, add)) else []
    if any(map(any, cut)):
        ops.append(_ops.crop(cut))
    if not ops:
        return None
    return ops[0] @ ops[1] if len(ops) == 2 else ops[0]


def chain(*ops: Operator | None) -> Operator:
    """``ops[0] @ ops[1] @ ...`` skipping ``None`` (identity when nothing is left)."""
    kept = [o for o in ops if o is not None]
    if not kept:
        return _ops.identity()
    out = kept[-1]
    for o in reversed(kept[:-1]):
        out = o @ out
    return out


def filter_op(
    kernel: jax.Array, nd: int, dilation: Sequence[int], mode: str, flip: bool, groups: int = 1,
    **precision: Any,
):  # fmt: skip
    """``(↑d kernel) ⋆`` (or ``*`` when ``flip``) with the dilation kept structural.

    ``↑d kernel`` (``ca.dilate``) has ``d·K`` taps, the last ``d - 1`` zero: it lowers to
    ``rhs_dilation`` instead of a convolution with mostly-zero taps. ``groups``: a grouped
    mixing kernel ``(C_out, C_in/groups, *K)``, one grouped convolution. ``precision``:
    ``precision=`` and ``preferred_element_type=`` for the core constructor.
    """
    f = (_ops.conv if flip else _ops.corr)(kernel, mode, ndim=nd, groups=groups, **precision)
    return dilate_filter(f, tuple(dilation)) if any(d > 1 for d in dilation) else f


def grouped_kernel(w: jax.Array, groups: int, nd: int) -> tuple[jax.Array, int]:
    """A grouped weight ``(C_out, C_in/g, *K)`` as a core kernel and its core ``groups``.

    ``groups == 1``: the weight itself (channel mixing). Depthwise (``C_in/g == 1`` and
    ``C_out == g``): the per-channel kernel ``(C, *K)``. Otherwise the weight itself with
    ``groups``: the core's grouped kernel (one grouped convolution, no block-diagonal zeros).
    """
    if groups == 1:
        return w, 1
    c_out, c_in_g = w.shape[:2]
    if c_in_g == 1 and c_out == groups:
        return w[:, 0], 1
    return w, groups


def forward_op(
    kernel: tuple[jax.Array, int],
    nd: int,
    stride: Sequence[int],
    pads: Pairs,
    dilation: Sequence[int],
    mode: str = "zero",
    **precision: Any,
) -> Operator:
    """``↓s ∘ (↑d kernel)⋆ ∘ pad``: the forward convolution. Zero pads may be signed (crop).

    ``↑d kernel`` ends in ``d - 1`` zero taps, so the input gets ``d - 1`` more zeros after it;
    they meet only those zero taps (the outputs are PyTorch's).
    """
    extra = tuple(d - 1 for d in dilation)
    if mode == "zero":
        pre = trim(tuple((-a, -(b + e)) for (a, b), e in zip(pads, extra)))
    else:
        pre = chain(
            _ops.pad(tuple((0, e) for e in extra)) if any(extra) else None,
            _ops.pad(pads, mode) if any(map(any, pads)) else None,
        )
    down = _ops.down(tuple(stride)) if any(s > 1 for s in stride) else None
    w, groups = kernel
    return chain(down, filter_op(w, nd, dilation, "valid", False, groups, **precision), pre)
