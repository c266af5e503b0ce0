"""The Flax NNX and Equinox modules' forward passes, as ``ca.nn`` layers (no framework import).

Each function takes the framework's own parameter layout and hyper-parameters, converts them to
the PyTorch-layout weights of :func:`convalgebra.nn.conv` / :func:`convalgebra.nn.conv_transpose`
(a transpose, and for the transposed convolutions a flip of the kernel, which XLA folds into the
convolution), and runs the algebra. Padding rules are the frameworks' (``lax.padtype_to_pads``
for the forward ``"SAME"``/``"VALID"``, ``lax.conv_transpose``'s for Flax's transposed ones,
Equinox's for its transposed ones), so every output size and value is the framework's.

A transposed convolution is written with *signed* pads ``(lo, hi)`` of the forward convolution
it transposes (``nn/_args.py``): ``out = (n - 1)·s + k_eff - lo - hi``, a negative pad appends
zeros. ``lax.conv_general_dilated`` with ``lhs_dilation=s`` and pads ``(a, b)`` on a correlation
kernel is the same map with ``lo = k_eff - 1 - a`` and ``hi = k_eff - 1 - b``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._expr import primitives as _ops
from . import _args, _layout
from ._build import chain
from ._conv import conv, conv_op, conv_transpose

Pairs = tuple[tuple[int, int], ...]


def prec_kwargs(op: str, fn: Any, precision: Any, preferred_element_type: Any) -> dict[str, Any]:
    """``precision=`` / ``preferred_element_type=`` for ``fn``, those given (and ``fn`` takes)."""
    out: dict[str, Any] = {}
    params = inspect.signature(fn).parameters
    for name, v in (("precision", precision), ("preferred_element_type", preferred_element_type)):
        if v is None:
            continue
        if name not in params:
            raise ValueError(f"{op}: {name}={v!r} is not supported by this version of ca.nn")
        out[name] = v
    return out


def tup(v: Any, nd: int) -> tuple[int, ...]:
    """``None`` (1), an int or a sequence of ints as ``nd`` ints (the frameworks' broadcasting)."""
    if v is None:
        v = 1
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    return tuple(int(e) for e in v)


def explicit_pads(op: str, padding: Any, nd: int) -> Pairs:
    """An int, or ``nd`` ints / ``(lo, hi)`` pairs, as pairs (Flax's and Equinox's rule)."""
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * nd
    entries = list(padding)
    if len(entries) != nd:
        raise ValueError(
            f"{op}: padding must be a string, an int, or a sequence of {nd} ints or (lo, hi) "
            f"pairs, got padding={padding!r}"
        )
    out = []
    for e in entries:
        if isinstance(e, (int, np.integer)):
            out.append((int(e), int(e)))
        elif isinstance(e, (tuple, list)) and len(e) == 2:
            out.append((int(e[0]), int(e[1])))
        else:
            raise ValueError(
                f"{op}: each padding entry must be an int or a (lo, hi) pair, got padding="
                f"{padding!r}"
            )
    return tuple(out)


def _channels(op: str, got: int, want: int, shape: tuple[int, ...]) -> None:
    if got != want:
        raise ValueError(
            f"{op}: the input has {got} channels, the layer expects {want}; got input shape "
            f"{tuple(shape)}"
        )


def _non_negative(op: str, pads: Pairs, padding: Any) -> Pairs:
    if any(p < 0 for pr in pads for p in pr):
        raise ValueError(
            f"{op}: negative padding (a crop) is not supported, got padding={padding!r}"
        )
    return pads


# ---- Flax NNX ------------------------------------------------------------------------------------
def flax_conv(
    x: jax.Array,
    kernel: jax.Array,
    bias: jax.Array | None,
    *,
    strides: Any,
    padding: Any,
    input_dilation: Any,
    kernel_dilation: Any,
    groups: int,
    precision: Any = None,
    preferred_element_type: Any = None,
    op: str = "Conv",
) -> jax.Array:
    """``nnx.Conv``'s forward pass on channels-last ``x`` ``(*batch, *S, C_in)`` (any number of
    batch axes, none included) with ``kernel`` ``(*K, C_in/groups, C_out)``."""
    nd = kernel.ndim - 2
    if x.ndim < nd + 1:
        raise ValueError(
            f"{op}: a {nd}-D convolution needs an input (*batch, *S, C) with {nd} spatial axes, "
            f"got shape {tuple(x.shape)}"
        )
    _channels(op, x.shape[-1], kernel.shape[-2] * groups, x.shape)
    batch = x.shape[: x.ndim - nd - 1]
    x = x.reshape((-1, *x.shape[x.ndim - nd - 1 :]))
    k = tuple(kernel.shape[:nd])
    s, ldil, kd = tup(strides, nd), tup(input_dilation, nd), tup(kernel_dilation, nd)
    k_eff = _args.effective(k, kd)
    mode = "zeros"
    if isinstance(padding, str) and any(v > 1 for v in ldil):
        raise ValueError(  # lax.conv_general_dilated (so nnx.Conv) refuses it too
            f"{op}: padding={padding!r} with input_dilation={input_dilation!r} is not defined "
            "(lax refuses string padding with an input dilation); give explicit pads"
        )
    if isinstance(padding, str):
        p = padding.upper()
        if p in ("CIRCULAR", "REFLECT"):
            pads: Pairs = tuple(((e - 1) // 2, e // 2) for e in k_eff)
            mode = "circular" if p == "CIRCULAR" else "reflect"
        elif p == "CAUSAL":
            if nd != 1:
                raise ValueError(f"{op}: padding='CAUSAL' is for 1-D convolutions, got {nd}-D")
            pads = ((k_eff[0] - 1, 0),)
        elif p in ("SAME", "SAME_LOWER", "VALID"):
            pads = tuple(tuple(pr) for pr in lax.padtype_to_pads(x.shape[1:-1], k_eff, s, p))  # type: ignore[misc]
        else:
            raise ValueError(
                f"{op}: padding must be 'SAME', 'SAME_LOWER', 'VALID', 'CIRCULAR', 'REFLECT', "
                f"'CAUSAL', an int or a sequence of ints or (lo, hi) pairs, got {padding!r}"
            )
    else:
        pads = explicit_pads(op, padding, nd)
    pads = _non_negative(op, pads, padding)
    w = jnp.transpose(kernel, (nd + 1, nd, *range(nd)))  # (C_out, C_in/g, *K)
    if all(v == 1 for v in ldil):
        kw = prec_kwargs(op, conv, precision, preferred_element_type)
        y = conv(x, w, None, s, pads, kd, groups, padding_mode=mode, data_format="channels_last",
                 **kw)  # fmt: skip
    else:
        # lhs dilation: ↑r then drop the r - 1 trailing zeros (lax's (n - 1)·r + 1 samples)
        pre = chain(_ops.crop(tuple((0, r - 1) for r in ldil)), _ops.up(ldil))
        kw = prec_kwargs(op, conv_op, precision, preferred_element_type)
        a = conv_op(w, s, pads, kd, groups, data_format="channels_last", **kw)
        y = (a @ _layout.spatial_op(pre, nd, True))(x)
    if bias is not None:
        y = y + bias
    return y.reshape((*batch, *y.shape[1:]))


def transpose_padding(k_eff: int, s: int, padding: str) -> tuple[int, int]:
    """``lax.conv_transpose``'s pads ``(a, b)`` of the dilated input for "SAME" / "VALID"."""
    if padding == "SAME":
        total = k_eff + s - 2
        a = k_eff - 1 if s > k_eff - 1 else -(-total // 2)
    else:
        total = k_eff + s - 2 + max(k_eff - s, 0)
        a = k_eff - 1
    return a, total - a


def transposed(
    op: str,
    x: jax.Array,
    w: jax.Array,
    stride: Sequence[int],
    dilation: Sequence[int],
    signed: Pairs,
    groups: int,
    last: bool,
    prec: dict[str, Any],
) -> jax.Array:
    """``crop((↑d w) * (↑s x))`` with signed pads (PyTorch-layout ``w``), through
    :func:`convalgebra.nn.conv_transpose` plus the zeros a negative pad appends."""
    nd = w.ndim - 2
    cut = tuple((max(lo, 0), max(hi, 0)) for lo, hi in signed)
    y = conv_transpose(x, w, None, tuple(stride), cut, 0, groups, tuple(dilation),
                       data_format="channels_last" if last else "channels_first",
                       **prec)  # fmt: skip
    add = tuple((max(-lo, 0), max(-hi, 0)) for lo, hi in signed)
    if any(map(any, add)):
        lead = y.ndim - nd - (1 if last else 0)
        widths = [(0, 0)] * y.ndim
        for i, pr in enumerate(add):
            widths[lead + i] = pr
        y = jnp.pad(y, widths)
    return y


def flax_conv_transpose(
    x: jax.Array,
    kernel: jax.Array,
    bias: jax.Array | None,
    *,
    strides: Any,
    padding: Any,
    kernel_dilation: Any,
    transpose_kernel: bool,
    precision: Any = None,
    preferred_element_type: Any = None,
    op: str = "ConvTranspose",
) -> jax.Array:
    """``nnx.ConvTranspose``'s forward pass (``lax.conv_transpose`` semantics) on channels-last
    ``x`` ``(*batch, *S, C_in)``; ``kernel`` ``(*K, C_in, C_out)`` (``(*K, C_out, C_in)`` with
    ``transpose_kernel``)."""
    nd = kernel.ndim - 2
    if x.ndim < nd + 1:
        raise ValueError(
            f"{op}: a {nd}-D transposed convolution needs an input (*batch, *S, C) with {nd} "
            f"spatial axes, got shape {tuple(x.shape)}"
        )
    _channels(op, x.shape[-1], kernel.shape[-1 if transpose_kernel else -2], x.shape)
    batch = x.shape[: x.ndim - nd - 1]
    x = x.reshape((-1, *x.shape[x.ndim - nd - 1 :]))
    n = tuple(x.shape[1:-1])
    k = tuple(kernel.shape[:nd])
    s, kd = tup(strides, nd), tup(kernel_dilation, nd)
    k_eff = _args.effective(k, kd)
    circular = isinstance(padding, str) and padding.upper() == "CIRCULAR"
    if isinstance(padding, str):
        p = padding.upper()
        if p == "CIRCULAR":
            p = "VALID"
        if p not in ("SAME", "VALID"):
            raise ValueError(
                f"{op}: padding must be 'SAME', 'VALID', 'CIRCULAR', an int or a sequence of ints "
                f"or (lo, hi) pairs, got {padding!r}"
            )
        lax_pads = tuple(transpose_padding(e, si, p) for e, si in zip(k_eff, s))
    else:
        lax_pads = explicit_pads(op, padding, nd)
    signed = tuple((e - 1 - a, e - 1 - b) for e, (a, b) in zip(k_eff, lax_pads))
    if transpose_kernel:  # (*K, C_out, C_in): lax flips it and swaps the channels
        w = jnp.transpose(kernel, (nd + 1, nd, *range(nd)))
    else:  # (*K, C_in, C_out) correlation kernel: PyTorch's (C_in, C_out, *K) flipped
        w = jnp.flip(jnp.transpose(kernel, (nd, nd + 1, *range(nd))), tuple(range(2, nd + 2)))
    prec = prec_kwargs(op, conv_transpose, precision, preferred_element_type)
    y = transposed(op, x, w, s, kd, signed, 1, True, prec)
    if circular:  # Flax's periodic fold of the VALID result onto n·s samples
        period = [ni * si for ni, si in zip(n, s)]
        diffs = [-(yi - pi) % (2 * pi) for yi, pi in zip(y.shape[1:-1], period)]
        extra = [(d // 2, (d + 1) // 2) if transpose_kernel else ((d + 1) // 2, d // 2)
                 for d in diffs]  # fmt: skip
        y = jnp.pad(y, [(0, 0), *extra, (0, 0)])
        for i in range(1, nd + 1):
            y = y.reshape(y.shape[:i] + (-1, period[i - 1]) + y.shape[i + 1 :]).sum(axis=i)
    if bias is not None:
        y = y + bias
    return y.reshape((*batch, *y.shape[1:]))


# ---- Equinox -------------------------------------------------------------------------------------
_EQX_MODES = {
    "ZEROS": "zeros", "REFLECT": "reflect", "REPLICATE": "replicate", "CIRCULAR": "circular"
}  # fmt: skip


def _unbatched(op: str, x: Any, nd: int) -> jax.Array:
    x = jnp.asarray(x)
    if x.ndim != nd + 1:
        raise ValueError(
            f"{op}: the input must be unbatched (C, *S) with {nd} spatial axes (rank {nd + 1}; "
            f"jax.vmap over a batch, as in Equinox), got shape {tuple(x.shape)}"
        )
    return x


def _eqx_pads(op: str, padding: Any, n, k_eff, s) -> Pairs:
    if isinstance(padding, str):
        return tuple(tuple(p) for p in lax.padtype_to_pads(n, k_eff, s, padding))  # type: ignore[misc]
    return tuple((int(a), int(b)) for a, b in padding)


def eqx_conv(
    x: Any,
    weight: jax.Array,
    bias: jax.Array | None,
    *,
    stride: Sequence[int],
    padding: Any,
    dilation: Sequence[int],
    groups: int,
    padding_mode: str,
    op: str = "Conv",
) -> jax.Array:
    """``eqx.nn.Conv``'s forward pass: unbatched ``x`` ``(C_in, *S)``, ``weight``
    ``(C_out, C_in/groups, *K)``, ``bias`` ``(C_out, 1, ..., 1)``; ``padding`` as Equinox stores
    it (a string or ``(lo, hi)`` pairs)."""
    nd = weight.ndim - 2
    x = _unbatched(op, x, nd)
    _channels(op, x.shape[0], weight.shape[1] * groups, x.shape)
    k_eff = _args.effective(weight.shape[2:], dilation)
    pads = _non_negative(op, _eqx_pads(op, padding, x.shape[1:], k_eff, stride), padding)
    y = conv(x, weight, None, tuple(stride), pads, tuple(dilation), groups,
             padding_mode=_EQX_MODES[padding_mode])  # fmt: skip
    return y if bias is None else y + bias


def eqx_transpose_pads(kernel_size, stride, dilation, padding, output_padding) -> Pairs:
    """Equinox's transposed-convolution geometry as signed pads ``(lo, hi)`` (module docstring)."""
    out = []
    for i, (k, s, d, a) in enumerate(zip(kernel_size, stride, dilation, output_padding)):
        if isinstance(padding, str):
            if padding == "VALID":
                p0 = p1 = 0
            else:
                total = d * (k - 1) - s + a + 1
                a = max(-total, 0)
                total = max(total, 0)
                p0 = (total + (1 if padding == "SAME_LOWER" else 0)) // 2
                p1 = total - p0
        else:
            p0, p1 = padding[i]
        out.append((p0, p1 - a))
    return tuple(out)


def eqx_conv_transpose(
    x: Any,
    weight: jax.Array,
    bias: jax.Array | None,
    *,
    stride: Sequence[int],
    padding: Any,
    output_padding: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    padding_mode: str,
    op: str = "ConvTranspose",
) -> jax.Array:
    """``eqx.nn.ConvTranspose``'s forward pass: unbatched ``x`` ``(C_in, *S)``; ``weight``
    ``(C_out, C_in/groups, *K)`` is Equinox's correlation kernel on the zero-inserted input."""
    nd = weight.ndim - 2
    x = _unbatched(op, x, nd)
    _channels(op, x.shape[0], weight.shape[1] * groups, x.shape)
    k, g = tuple(weight.shape[2:]), groups
    signed = eqx_transpose_pads(k, stride, dilation, padding, output_padding)
    c_out, c_in_g = weight.shape[:2]
    # PyTorch's (C_in, C_out/g, *K): swap the channels within each group, flip the taps
    w = weight.reshape((g, c_out // g, c_in_g, *k)).swapaxes(1, 2)
    w = w.reshape((g * c_in_g, c_out // g, *k))
    w = jnp.flip(w, tuple(range(2, nd + 2)))
    if padding_mode == "CIRCULAR":  # Equinox: wrap the input by whole strides first
        k_eff = _args.effective(k, dilation)
        pt = [(e - 1 - lo, e - 1 - hi) for e, (lo, hi) in zip(k_eff, signed)]
        wrap = [(a // si, b // si) for (a, b), si in zip(pt, stride)]
        x = jnp.pad(x, [(0, 0), *wrap], mode="wrap")
        signed = tuple((e - 1 - a % si, e - 1 - b % si) for e, (a, b), si in zip(k_eff, pt, stride))
    y = transposed(op, x, w, stride, dilation, signed, g, False, {})
    return y if bias is None else y + bias
