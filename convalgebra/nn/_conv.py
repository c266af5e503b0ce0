"""Strided, dilated, grouped and transposed convolutions, built from the algebra.

In the DSP notation (``⋆`` correlation, ``*`` convolution, ``↓s``/``↑s`` down/up-sampling,
``↑d w`` the kernel with ``d - 1`` zeros between its taps):

* ``conv``            ``y = ↓s ((↑d w) ⋆ pad(x))``
* ``conv_transpose``  ``y = (↓s ∘ (↑d w)⋆ ∘ pad)ᵀ x = crop((↑d w) * (↑s x))``

The transposed convolution is literally the transpose of the forward one with the same weights
(``ca.transpose(conv_op(w, ...), x_like)``); the operator returned by :func:`conv_transpose_op`
is the equivalent explicit form (zero insertion, then a "full" convolution, then a crop), which
needs no input shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._expr import primitives as _ops
from .._expr.node import Operator
from .._expr.transpose import transpose
from .._lower import precision as _precision
from . import _args, _layout
from ._build import (
    as_array,
    chain,
    common_dtype,
    default_float,
    filter_op,
    forward_op,
    grouped_kernel,
    trim,
)

_PADDING_MODES = {"zeros": "zero", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# ---- validation ------------------------------------------------------------------------------
def _weight(op: str, w: Any) -> tuple[jax.Array, int]:
    w = as_array(op, "weight", w)
    if w.ndim < 3:
        raise ValueError(
            f"{op}: weight must have rank 3, 4 or 5 ((C_out, C_in/groups, *K) for 1-, 2- or 3-D), "
            f"got shape {tuple(w.shape)}"
        )
    if 0 in w.shape:
        raise ValueError(f"{op}: weight must not be empty, got shape {tuple(w.shape)}")
    return w, w.ndim - 2


def _groups(op: str, groups: Any, **channels: int) -> int:
    """``groups`` as a positive int dividing every named channel count."""
    if isinstance(groups, (tuple, list)):
        raise TypeError(f"{op}: groups must be a positive int, got {groups!r}")
    (g,) = _args.ints(op, "groups", groups, 1, 1)
    for what, c in channels.items():
        if c % g:
            raise ValueError(
                f"{op}: groups must divide the {what.replace('_', ' ')}, got groups={g} and "
                f"{c} {what.replace('_', ' ')}"
            )
    return g


def _input(op: str, x: Any, nd: int, w_shape: tuple[int, ...]) -> jax.Array:
    x = as_array(op, "input", x)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"{op}: a weight of rank {nd + 2} (shape {w_shape}) is a {nd}-D convolution, so the "
            f"input must have rank {nd + 2} (N, C, *S) or {nd + 1} (C, *S); got input shape "
            f"{tuple(x.shape)}"
        )
    return x


def _bias(op: str, b: Any, c_out: int) -> jax.Array | None:
    """``None`` or a ``(C_out,)`` inexact vector."""
    if b is None:
        return None
    if np.shape(b) != (c_out,):
        hint = " (stride is the fourth argument, as in PyTorch)" if np.ndim(b) == 0 else ""
        raise ValueError(
            f"{op}: bias must be None or have shape (C_out,) = ({c_out},), one value per output "
            f"channel, got shape {np.shape(b)}{hint}"
        )
    return as_array(op, "bias", b)


def add_bias(y: jax.Array, b: jax.Array | None, nd: int) -> jax.Array:
    """``y + b`` with ``b`` broadcast over the ``nd`` spatial axes (channels at ``-nd - 1``)."""
    if b is None:
        return y
    return y + b.astype(y.dtype).reshape((-1,) + (1,) * nd)


def _promote(x: jax.Array, w: jax.Array, b: jax.Array | None):
    """Explicit promotion of input, weight and bias to one dtype (bfloat16 stays bfloat16)."""
    if b is None:
        return (*common_dtype("", x, w), None)
    dt = np.result_type(x.dtype, w.dtype, b.dtype)
    return x.astype(dt), w.astype(dt), b.astype(dt)


def _padding_mode(op: str, mode: str) -> str:
    if mode not in _PADDING_MODES:
        raise ValueError(f"{op}: padding_mode must be one of {tuple(_PADDING_MODES)}, got {mode!r}")
    return _PADDING_MODES[mode]


def _precision_kw(op: str, precision: Any, preferred_element_type: Any) -> dict[str, Any]:
    """``precision=`` and ``preferred_element_type=`` checked (errors name ``op``), canonical."""
    return {
        "precision": _precision.canonical_precision(op, precision),
        "preferred_element_type": _precision.canonical_element_type(op, preferred_element_type),
    }


# ---- convolution -----------------------------------------------------------------------------
def conv_op(
    w: jax.typing.ArrayLike,
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[Any] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    *,
    padding_mode: str = "zeros",
    in_size: Sequence[int] | None = None,
    data_format: str = "channels_first",
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    """The strided, dilated, grouped convolution ``A = ↓s ∘ (↑d w)⋆ ∘ pad`` as an operator.

    ``A(x)`` equals :func:`conv` ``(x, w, ...)``; it composes with the rest of the algebra and
    ``ca.transpose(A, x_like)`` is :func:`conv_transpose` with the same weights.

    Args:
      w: weight ``(C_out, C_in/groups, *K)``, ``len(K)`` = 1, 2 or 3 spatial axes.
      stride, padding, dilation, groups, padding_mode: as for :func:`conv`.
      in_size: the input's spatial size; needed only for ``padding="same"`` with a stride > 1.
      data_format: ``"channels_first"`` or ``"channels_last"``, as for :func:`conv`.
      precision, preferred_element_type: as for :func:`conv`.

    Returns:
      An operator ``(..., C_in, *S) -> (..., C_out, *S')`` (``(..., *S, C_in) ->
      (..., *S', C_out)`` channels-last: the core's ``axis=`` form of the same operator).

    Raises:
      ValueError: as for :func:`conv`.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> A = ca.nn.conv_op(jnp.ones((1, 1, 3)), stride=2, padding=1)
      >>> ca.notation(A)
      '↓2 (q ⋆[valid] (pad[(1, 1)] x))'
    """
    op = "conv_op"
    prec = _precision_kw(op, precision, preferred_element_type)
    w, nd = _weight(op, w)
    last = _layout.channels_last(op, data_format)
    s = _args.ints(op, "stride", stride, nd, 1)
    d = _args.ints(op, "dilation", dilation, nd, 1)
    g = _groups(op, groups, output_channels=w.shape[0])
    pmode = _padding_mode(op, padding_mode)
    k_eff = _args.effective(w.shape[2:], d)
    size = None if in_size is None else _args.ints(op, "in_size", in_size, nd, 1)
    pads = _args.conv_pads(op, _args.padding(op, padding, nd), k_eff, s, size)
    if size is not None:
        _args.conv_out(op, size, k_eff, s, pads)
    a = forward_op(grouped_kernel(w, g, nd), nd, s, pads, d, pmode, **prec)
    return _layout.channel_op(a, nd, last)


def conv(
    x: jax.typing.ArrayLike,
    w: jax.typing.ArrayLike,
    bias: jax.typing.ArrayLike | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[Any] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    *,
    padding_mode: str = "zeros",
    data_format: str = "channels_first",
    precision: Any = None,
    preferred_element_type: Any = None,
) -> jax.Array:
    """The deep-learning convolution, exactly ``torch.nn.functional.conv{1,2,3}d``.

    ``y = ↓s ((↑d w) ⋆ pad(x)) + b``: pad, correlate with the dilated kernel, keep every
    ``s``-th sample, add the bias per output channel. The arguments are in PyTorch's order, so
    ``conv(x, w, b, 2, 1)`` is ``F.conv2d(x, w, b, 2, 1)``. Output size per axis
    ``(n + lo + hi - d·(k - 1) - 1) // s + 1``.

    Args:
      x: input ``(N, C_in, *S)`` or unbatched ``(C_in, *S)``.
      w: weight ``(C_out, C_in/groups, *K)``.
      bias: ``None`` or ``(C_out,)``, added to every output sample of its channel.
      stride: positive int or one per spatial axis.
      padding: non-negative int, a tuple with one int (symmetric) or ``(lo, hi)`` pair per axis,
        or ``"valid"``/``"same"``. ``"same"`` follows TensorFlow (``ceil(n / stride)`` outputs,
        the odd padding sample after; equal to PyTorch's ``"same"`` for stride 1).
      dilation: positive int or one per axis.
      groups: divides ``C_in`` and ``C_out``; input channel group ``j`` feeds output group ``j``.
      padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``, as
        ``torch.nn.Conv{1,2,3}d``.
      data_format: ``"channels_first"`` (``(N, C, *S)``, PyTorch's) or ``"channels_last"``
        (``(N, *S, C)``, Flax's and TensorFlow's); the weight layout is PyTorch's either way.
      precision: ``lax.conv_general_dilated``'s (``None``: the platform's default,
        ``"highest"``, true float32 products; ``"default"`` allows TF32 on NVIDIA GPUs), on
        every convolution of the program, its transpose and kernel gradient.
      preferred_element_type: ``lax.conv_general_dilated``'s: ``None`` or the dtype to
        accumulate and return in (``jnp.float32`` with bfloat16 data: float32 accumulation and
        a float32 result, as lax gives; the bias is added in that dtype).

    Returns:
      ``(N, C_out, *S')`` (``(C_out, *S')`` for an unbatched input), in the promoted dtype
      (``preferred_element_type`` when given); ``(N, *S', C_out)`` with
      ``data_format="channels_last"``.

    Raises:
      ValueError: a bias not of shape ``(C_out,)``, weight rank not matching the input,
        channels not matching ``C_in/groups``,
        ``groups`` not dividing the channels, non-positive stride or dilation, negative padding,
        a kernel longer than the padded input, an unknown ``precision`` or
        ``preferred_element_type`` (each names the argument and values).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> x = jnp.arange(5.0).reshape(1, 1, 5)
      >>> ca.nn.conv(x, jnp.ones((1, 1, 3)), stride=2, padding=1).tolist()
      [[[1.0, 6.0, 7.0]]]
    """
    op = "conv"
    prec = _precision_kw(op, precision, preferred_element_type)
    w, nd = _weight(op, w)
    last = _layout.channels_last(op, data_format)
    x = _input(op, _layout.to_first(op, x, nd, last, (nd + 1, nd + 2)), nd, tuple(w.shape))
    c_in = x.shape[-nd - 1]
    g = _groups(op, groups, input_channels=c_in, output_channels=w.shape[0])
    if w.shape[1] * g != c_in:
        raise ValueError(
            f"conv: the input has {c_in} channels but the weight {tuple(w.shape)} with "
            f"groups={g} expects C_in = weight.shape[1]·groups = {w.shape[1] * g}"
        )
    s = _args.ints(op, "stride", stride, nd, 1)
    d = _args.ints(op, "dilation", dilation, nd, 1)
    pmode = _padding_mode(op, padding_mode)
    k_eff = _args.effective(w.shape[2:], d)
    n = tuple(x.shape[-nd:])
    pads = _args.conv_pads(op, _args.padding(op, padding, nd), k_eff, s, n)
    _args.conv_out(op, n, k_eff, s, pads)
    b = _bias(op, bias, w.shape[0])
    x, w, b = _promote(x, w, b)
    y = add_bias(forward_op(grouped_kernel(w, g, nd), nd, s, pads, d, pmode, **prec)(x), b, nd)
    return _layout.to_last(y, nd, last)


# ---- transposed convolution ------------------------------------------------------------------
def _transposed_kernel(w: jax.Array, groups: int, nd: int) -> tuple[jax.Array, int]:
    """``(C_in, C_out/g, *K)`` as the core kernel of ``(↑d w) *`` mapping C_in to C_out, with
    its core ``groups`` (the channels swapped within each group)."""
    k, g = grouped_kernel(w, groups, nd)  # the forward conv C_out -> C_in
    if k.ndim == nd + 1:
        return k, 1
    ci, co_g, taps = k.shape[0], k.shape[1], k.shape[2:]
    k = k.reshape((g, ci // g, co_g, *taps))
    return jnp.swapaxes(k, 1, 2).reshape((g * co_g, ci // g, *taps)), g


def _transpose_geometry(op, w, nd, stride, padding, output_padding, dilation):
    s = _args.ints(op, "stride", stride, nd, 1)
    d = _args.ints(op, "dilation", dilation, nd, 1)
    o = _args.ints(op, "output_padding", output_padding, nd, 0)
    k_eff = _args.effective(w.shape[2:], d)
    pads = _args.transpose_pads(op, _args.padding(op, padding, nd), o, k_eff, s, d)
    return s, d, k_eff, pads


def _scatter_op(w, nd, s, d, pads, groups, **prec) -> Operator:
    """``crop((↑d w) * (↑s x))``: the explicit form of the transposed convolution."""
    kernel, g = _transposed_kernel(w, groups, nd)
    # ↑s x has s·n samples and ↑d w has d·K taps (the last d - 1 zero), so the full convolution
    # has s·n + d·K - 1 samples; keep (n - 1)·s + d·(K - 1) + 1 - lo - hi of them.
    cut = tuple((lo, si - 1 + di - 1 + hi) for si, di, (lo, hi) in zip(s, d, pads))
    up = _ops.up(tuple(s)) if any(si > 1 for si in s) else None
    return chain(trim(cut), filter_op(kernel, nd, d, "full", True, g, **prec), up)


def conv_transpose_op(
    w: jax.typing.ArrayLike,
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[Any] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
    *,
    data_format: str = "channels_first",
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    """The transposed convolution as an operator: ``crop((↑d w) * (↑s x))``.

    This is ``(↓s ∘ (↑d w)⋆ ∘ pad)ᵀ``, the transpose of :func:`conv_op` with the same weights,
    written in its explicit form (zero insertion ``↑s``, a "full" true convolution with the
    channel-transposed dilated kernel, then a crop of the padding), so it needs no input shape.

    Args:
      w: weight ``(C_in, C_out/groups, *K)`` (PyTorch's ``ConvTranspose`` layout).
      stride, padding, output_padding, groups, dilation, data_format, precision,
        preferred_element_type: as for :func:`conv_transpose`.

    Returns:
      An operator ``(..., C_in, *S) -> (..., C_out, *S')`` (``(..., *S, C_in) ->
      (..., *S', C_out)`` channels-last).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.notation(ca.nn.conv_transpose_op(jnp.ones((1, 1, 3)), stride=2, padding=1))
      'crop[(1, 2)] (q * (↑2 x))'
    """
    op = "conv_transpose_op"
    prec = _precision_kw(op, precision, preferred_element_type)
    w, nd = _weight(op, w)
    last = _layout.channels_last(op, data_format)
    g = _groups(op, groups, input_channels=w.shape[0])
    s, d, _, pads = _transpose_geometry(op, w, nd, stride, padding, output_padding, dilation)
    return _layout.channel_op(_scatter_op(w, nd, s, d, pads, g, **prec), nd, last)


def conv_transpose(
    x: jax.typing.ArrayLike,
    w: jax.typing.ArrayLike,
    bias: jax.typing.ArrayLike | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[Any] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
    *,
    data_format: str = "channels_first",
    precision: Any = None,
    preferred_element_type: Any = None,
) -> jax.Array:
    """The transposed ("deconvolution") layer: ``torch.nn.functional.conv_transpose{1,2,3}d``.

    ``y = (↓s ∘ (↑d w)⋆ ∘ pad)ᵀ x + b = crop((↑d w) * (↑s x)) + b``: the transpose of
    :func:`conv` with the same weight, which maps the output size back to the input size, plus
    the bias. The arguments are in PyTorch's order (``conv_transpose(x, w, b, stride, padding,
    output_padding, groups, dilation)``). Output size per axis
    ``(n - 1)·s - 2·padding + d·(k - 1) + 1 + output_padding``.

    Args:
      x: input ``(N, C_in, *S)`` or unbatched ``(C_in, *S)``.
      w: weight ``(C_in, C_out/groups, *K)``.
      bias: ``None`` or ``(C_out,)`` with ``C_out = weight.shape[1]·groups``.
      stride: positive int or one per spatial axis.
      padding: non-negative int, a tuple with one int or ``(lo, hi)`` pair per axis (removed from
        the output), or ``"same"``/``"valid"`` with TensorFlow's ``conv_transpose`` semantics:
        ``n·s`` outputs for "same", ``n·s + max(d·(k - 1) + 1 - s, 0)`` for "valid".
      output_padding: extra samples after the output, ``0 <= output_padding < max(s, d)``.
      groups: divides ``C_in`` and ``C_out``.
      dilation: positive int or one per axis.
      data_format: ``"channels_first"`` (``(N, C, *S)``) or ``"channels_last"``
        (``(N, *S, C)``); the weight layout is PyTorch's either way.
      precision, preferred_element_type: ``lax.conv_general_dilated``'s, as for :func:`conv`.

    Returns:
      ``(N, C_out, *S')`` (``(C_out, *S')`` unbatched), in the promoted dtype
      (``preferred_element_type`` when given);
      ``(N, *S', C_out)`` with ``data_format="channels_last"``.

    Raises:
      ValueError: a bias not of shape ``(C_out,)``, weight rank or channels not matching the
        input, ``groups`` not dividing the channels, ``output_padding`` not smaller than stride
        or dilation, negative padding, ``output_padding`` with a string padding, or padding
        that leaves no output.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> x = jnp.array([[[[1.0, 2.0], [3.0, 4.0]]]])
      >>> ca.nn.conv_transpose(x, jnp.ones((1, 1, 3, 3)), stride=2, padding="same")[0, 0].tolist()
      [[1.0, 1.0, 3.0, 2.0], [1.0, 1.0, 3.0, 2.0], [4.0, 4.0, 10.0, 6.0], [3.0, 3.0, 7.0, 4.0]]
    """
    op = "conv_transpose"
    prec = _precision_kw(op, precision, preferred_element_type)
    w, nd = _weight(op, w)
    last = _layout.channels_last(op, data_format)
    x = _input(op, _layout.to_first(op, x, nd, last, (nd + 1, nd + 2)), nd, tuple(w.shape))
    c_in = x.shape[-nd - 1]
    if w.shape[0] != c_in:
        raise ValueError(
            f"conv_transpose: the input has {c_in} channels but the weight {tuple(w.shape)} "
            f"expects C_in = weight.shape[0] = {w.shape[0]}"
        )
    g = _groups(op, groups, input_channels=c_in)
    s, d, k_eff, pads = _transpose_geometry(op, w, nd, stride, padding, output_padding, dilation)
    _args.transpose_out(op, tuple(x.shape[-nd:]), k_eff, s, pads)
    b = _bias(op, bias, w.shape[1] * g)
    x, w, b = _promote(x, w, b)
    y = add_bias(_scatter_op(w, nd, s, d, pads, g, **prec)(x), b, nd)
    return _layout.to_last(y, nd, last)


def transpose_of_conv(
    w: jax.typing.ArrayLike,
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[Any] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
    *,
    data_format: str = "channels_first",
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    """The forward convolution ``A`` whose transpose is :func:`conv_transpose` (same arguments).

    ``A = ↓s ∘ (↑d w)⋆ ∘ pad`` with the signed pads of ``conv_transpose`` (a negative pad crops):
    ``ca.transpose(A, x_like)`` equals ``conv_transpose_op(w, stride, padding, output_padding,
    groups, dilation)`` where ``x_like`` has the transposed convolution's *output* size
    ``(n - 1)·s - 2·padding + d·(k - 1) + 1 + output_padding`` (``conv_transpose_op(w,
    ...).out_struct(y_like)`` computes it). No input size is needed: the pads do not depend on
    it.

    Args:
      w: weight ``(C_in, C_out/groups, *K)`` (PyTorch's ``ConvTranspose`` layout).
      stride, padding, output_padding, groups, dilation, data_format, precision,
        preferred_element_type: as for :func:`conv_transpose`.

    Returns:
      An operator ``(..., C_out, *S') -> (..., C_in, *S)`` (channels-last ``(..., *S', C_out)
      -> (..., *S, C_in)``).

    Raises:
      ValueError: as :func:`conv_transpose_op`, naming ``transpose_of_conv``.

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> w = jnp.ones((1, 1, 3))
      >>> a = ca.nn.transpose_of_conv(w, stride=2, padding=1)
      >>> at = ca.transpose(a, jax.ShapeDtypeStruct((1, 7), jnp.float32))
      >>> direct = ca.nn.conv_transpose_op(w, 2, 1)
      >>> at(jnp.ones((1, 4))).tolist() == direct(jnp.ones((1, 4))).tolist()
      True
    """
    op = "transpose_of_conv"
    prec = _precision_kw(op, precision, preferred_element_type)
    w, nd = _weight(op, w)
    last = _layout.channels_last(op, data_format)
    g = _groups(op, groups, input_channels=w.shape[0])
    s, d, _, pads = _transpose_geometry(op, w, nd, stride, padding, output_padding, dilation)
    a = forward_op(grouped_kernel(w, g, nd), nd, s, pads, d, **prec)
    return _layout.channel_op(a, nd, last)


def overlap(
    in_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[Any] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> jax.Array:
    """How many times each output sample of a transposed convolution is written: ``Aᵀ 1``.

    ``A = ↓s ∘ (↑d 1_k)⋆ ∘ pad`` is the forward convolution with a kernel of ones; its transpose
    applied to an input of ones counts, for every output sample, the (input, tap) pairs that
    write to it. Where ``k`` is not a multiple of ``s`` the count alternates: the checkerboard
    pattern that a transposed convolution imprints on its output.

    Args:
      in_size: spatial size of the transposed convolution's input (an int for 1-D).
      kernel_size, stride, padding, output_padding, dilation: as for :func:`conv_transpose`.

    Returns:
      An int32 array of the output's spatial size.

    Examples:
      >>> import convalgebra as ca
      >>> ca.nn.overlap(4, 3, stride=2).tolist()
      [1, 1, 2, 1, 2, 1, 2, 1, 1]
    """
    op = "overlap"
    nd = (
        len(kernel_size)
        if isinstance(kernel_size, (tuple, list))
        else (len(in_size) if isinstance(in_size, (tuple, list)) else 1)
    )
    k = _args.ints(op, "kernel_size", kernel_size, nd, 1)
    n = _args.ints(op, "in_size", in_size, nd, 1)
    dtype = default_float()
    w = np.ones((1, 1, *k), dtype)
    a = transpose_of_conv(w, stride, padding, output_padding, 1, dilation)
    _, _, k_eff, pads = _transpose_geometry(op, w, nd, stride, padding, output_padding, dilation)
    out = _args.transpose_out(op, n, k_eff, _args.ints(op, "stride", stride, nd, 1), pads)
    at = transpose(a, jax.ShapeDtypeStruct((1, *out), dtype))
    count = jax.jit(lambda ones: jnp.round(at(ones)[0]).astype(jnp.int32))  # one compile
    return count(np.ones((1, *n), dtype))


__all__ = [
    "conv",
    "conv_op",
    "conv_transpose",
    "conv_transpose_op",
    "overlap",
    "transpose_of_conv",
]
