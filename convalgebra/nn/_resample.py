"""Up-sampling layers as interpolation kernels after zero insertion, and the nearest+conv fusion.

* nearest:  ``y = crop(box_k * (↑k x))``, ``box_k = (1 … 1)`` (``k`` ones)
* linear (``upsample_linear``, half-pixel centres): ``y = crop(tri_k * (↑k pad_edge(x)))``,
  the triangle of half-width ``k``; the edge padding reproduces PyTorch's border clamping
  (``align_corners=False``) exactly.
* ``upsample_nearest`` / ``upsample_bilinear``: PyTorch's functions of those names (by size
  or scale factor; bilinear with ``align_corners=True``), through ``interpolate``.

N-D kernels are outer products of the 1-D ones (the interpolations are separable).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._expr import primitives as _ops
from .._expr.node import Operator
from . import _args, _layout
from ._build import as_array, chain, default_float
from ._conv import _precision_kw, conv_transpose_op


def _spatial(op: str, factor: Any, ndim: int | None) -> tuple[int, ...]:
    """Factors (one positive int per axis) and so the number of spatial axes."""
    if isinstance(factor, (tuple, list)):
        nd = len(factor)
        if ndim is not None and ndim != nd:
            raise ValueError(
                f"{op}: factor {tuple(factor)} names {nd} axes but ndim={ndim}; give one "
                "factor per spatial axis"
            )
    else:
        nd = 1 if ndim is None else ndim
    if isinstance(factor, float) and not float(factor).is_integer():
        raise ValueError(
            f"{op}: factor must be a positive int (↑k needs an integer k), got factor={factor!r}"
        )
    if isinstance(factor, float):
        factor = int(factor)
    return _args.ints(op, "factor", factor, nd, 1)


def _outer(vectors: Sequence[Sequence[float]]) -> list | float:
    """Outer product of 1-D weight vectors, as a nested list (a *weak* kernel for the core)."""
    out = np.ones(())
    for v in vectors:
        out = np.multiply.outer(out, np.asarray(v, dtype=np.float64))
    return out.tolist()


def triangle(k: int) -> tuple[list[float], int]:
    """The 1-D linear-interpolation kernel of ``↑k`` with half-pixel centres.

    Output ``j`` of a factor-``k`` up-sampler reads input position ``(j + 1/2)/k - 1/2``, so
    input ``i`` contributes to output ``j = i·k + t`` with weight ``1 - |2t + 1 - k| / 2k``.

    Returns:
      ``(weights, t0)``: the non-zero weights for ``t = t0, t0 + 1, ...`` (``t0 = -(k // 2)``).
    """
    ts = range(-k, 2 * k)
    w = {t: 1 - Fraction(abs(2 * t + 1 - k), 2 * k) for t in ts}
    keep = [t for t in ts if w[t] > 0]
    return [float(w[t]) for t in keep], keep[0]


def upsample_nearest_op(
    factor: int | Sequence[int], ndim: int | None = None, *, data_format: str = "channels_first"
) -> Operator:
    """Nearest-neighbour up-sampling ``crop(box_k * (↑k x))`` on the trailing axes.

    Args:
      factor: positive int, or one per trailing axis.
      ndim: number of trailing spatial axes for an int factor (default 1).
      data_format: ``"channels_first"`` (the trailing axes) or ``"channels_last"`` (the
        spatial axes before the last, channel, axis).

    Examples:
      >>> import convalgebra as ca
      >>> ca.notation(ca.nn.upsample_nearest_op(2))
      'crop[(0, 1)] (q * (↑2 x))'
    """
    last = _layout.channels_last("upsample_nearest_op", data_format)
    ks = _spatial("upsample_nearest_op", factor, ndim)
    box = _outer([[1.0] * k for k in ks])
    a = chain(
        _ops.crop(tuple((0, k - 1) for k in ks)),
        _ops.conv(box, "full", ndim=len(ks)),
        _ops.up(ks),
    )
    return _layout.spatial_op(a, len(ks), last)


def upsample_linear_op(
    factor: int | Sequence[int], ndim: int | None = None, *, data_format: str = "channels_first"
) -> Operator:
    """Linear interpolation ``crop(tri_k * (↑k pad_edge(x)))`` on the trailing axes.

    The operator form of :func:`upsample_linear` (half-pixel centres, ``align_corners=False``;
    not PyTorch's ``upsample_bilinear``, which aligns the corners).

    Equals ``torch.nn.functional.interpolate(mode="linear"/"bilinear"/"trilinear",
    align_corners=False, scale_factor=k)``, borders included: PyTorch clamps the source position
    to the first sample, which is what one sample of edge padding does.

    Args:
      factor: positive int, or one per trailing axis.
      ndim: number of trailing spatial axes for an int factor (default 1).
      data_format: as for :func:`upsample_nearest_op`.
    """
    last = _layout.channels_last("upsample_linear_op", data_format)
    ks = _spatial("upsample_linear_op", factor, ndim)
    tris = [triangle(k) for k in ks]
    # y[j] = full[j + k - t0] where the full convolution runs over ↑k of the edge-padded input.
    cut = tuple((k - t0, k + t0 + len(w) - 1) for k, (w, t0) in zip(ks, tris))
    a = chain(
        _ops.crop(cut),
        _ops.conv(_outer([w for w, _ in tris]), "full", ndim=len(ks)),
        _ops.up(ks),
        _ops.pad(tuple((1, 1) for _ in ks), "edge"),
    )
    return _layout.spatial_op(a, len(ks), last)


# _keep: the core's weak kernels (Python lists) adopt the input's dtype only when NumPy calls it
# inexact, which bfloat16 is not: under x64 a bfloat16 input would come out float64. The layer
# functions cast back to the input's dtype (exact here: the results are bfloat16 sums).


def _input(op: str, x: Any) -> jax.Array:
    x = as_array(op, "input", x)
    if x.ndim < 3:
        raise ValueError(
            f"{op}: input must be (N, C, *S) with at least one spatial axis, got shape "
            f"{tuple(x.shape)}"
        )
    return x


def _torch_upsample(op, x, size, scale_factor, mode, align, data_format):
    from ._interp import _interpolate

    return _interpolate(op, x, size, scale_factor, mode, align, None, False, data_format)


def upsample_nearest(
    input: jax.typing.ArrayLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    *,
    data_format: str = "channels_first",
) -> jax.Array:
    """``torch.nn.functional.upsample_nearest``: ``interpolate(input, size, scale_factor,
    mode="nearest")``.

    PyTorch's signature: the second positional argument is the output *size*
    (``upsample_nearest(x, 2)`` gives 2 samples per axis); pass ``scale_factor=`` to multiply.
    Integer factors run the algebra's ``crop(box_k * (↑k x))`` (:func:`upsample_nearest_op`).

    Args:
      input: ``(N, C, *S)`` (1 to 3 spatial axes); ``uint8`` and other integer inputs are
        gathered, keeping their dtype, as PyTorch does for ``uint8``.
      size: the output's spatial size (an int or one per axis).
      scale_factor: a positive number or one per axis (exactly one of ``size``/``scale_factor``).
      data_format: ``"channels_first"`` or ``"channels_last"`` (``(N, *S, C)``).

    Returns:
      ``(N, C, *S')`` in the input's dtype (``(N, *S', C)`` channels-last).

    Raises:
      ValueError: as :func:`interpolate` (the message names ``upsample_nearest``).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.upsample_nearest(jnp.array([[[1.0, 2.0]]]), scale_factor=2).tolist()
      [[[1.0, 1.0, 2.0, 2.0]]]
    """
    return _torch_upsample("upsample_nearest", input, size, scale_factor, "nearest", None,
                           data_format)  # fmt: skip


def upsample_bilinear(
    input: jax.typing.ArrayLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    *,
    data_format: str = "channels_first",
) -> jax.Array:
    """``torch.nn.functional.upsample_bilinear``: ``interpolate(input, size, scale_factor,
    mode="bilinear", align_corners=True)``.

    PyTorch's signature and values: corners aligned (output ``j`` samples the input at
    ``j·(n - 1)/(n' - 1)``), the second positional argument is the output *size*. The
    half-pixel (``align_corners=False``) integer-factor form is :func:`upsample_linear`.

    Args:
      input: ``(N, C, H, W)``.
      size: the output's spatial size (an int or ``(H', W')``).
      scale_factor: a positive number or one per axis (exactly one of ``size``/``scale_factor``).
      data_format: ``"channels_first"`` or ``"channels_last"`` (``(N, H, W, C)``).

    Returns:
      ``(N, C, H', W')`` in the input's dtype (``(N, H', W', C)`` channels-last).

    Raises:
      ValueError: an input that is not 4-D, and as :func:`interpolate` (the message names
        ``upsample_bilinear``).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.upsample_bilinear(jnp.array([[[[0.0, 3.0]]]]), scale_factor=2)[0, 0, 0].tolist()
      [0.0, 1.0, 2.0, 3.0]
    """
    return _torch_upsample("upsample_bilinear", input, size, scale_factor, "bilinear", True,
                           data_format)  # fmt: skip


def upsample_linear(
    x: jax.typing.ArrayLike, factor: int | Sequence[int], *, data_format: str = "channels_first"
) -> jax.Array:
    """Linear (1-D), bilinear (2-D) or trilinear (3-D) up-sampling by an integer factor,
    half-pixel centres.

    ``y = crop(tri_k * (↑k pad_edge(x)))``, exactly ``torch.nn.functional.interpolate(x,
    scale_factor=k, mode="linear"|"bilinear"|"trilinear", align_corners=False)``, borders
    included. (PyTorch's ``upsample_bilinear`` aligns the corners: :func:`upsample_bilinear`.)

    Args:
      x: ``(N, C, *S)``.
      factor: positive int, or one per spatial axis.
      data_format: ``"channels_first"`` or ``"channels_last"`` (``(N, *S, C)``).

    Returns:
      ``(N, C, *(k·S))`` (``(N, *(k·S), C)`` channels-last).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.upsample_linear(jnp.array([[[0.0, 4.0]]]), 2).tolist()
      [[[0.0, 1.0, 3.0, 4.0]]]
    """
    _layout.channels_last("upsample_linear", data_format)
    x = _input("upsample_linear", x)
    factor = _spatial("upsample_linear", factor, x.ndim - 2)  # errors name upsample_linear
    a = upsample_linear_op(factor, x.ndim - 2, data_format=data_format)
    return a(x).astype(x.dtype)  # bfloat16: see _keep


def bilinear_kernel(factor: int, channels: int, ndim: int = 2, dtype: Any = None) -> jax.Array:
    """Weights that make a transposed convolution up-sample bilinearly (FCN initialisation).

    ``conv_transpose(x, bilinear_kernel(f, C), stride=f, padding=f // 2)`` gives ``f·n`` samples
    per axis and equals :func:`upsample_linear` away from the borders (the transposed
    convolution sees zeros beyond the edge, the interpolation repeats the edge sample). The
    kernel has ``2f - f % 2`` taps per axis: the triangle ``1 - |t - c| / f`` centred at
    ``c = (size - 1) / 2``, on the diagonal channel pairs (channel ``i`` to channel ``i``).

    Args:
      factor: positive int up-sampling factor.
      channels: number of channels ``C``.
      ndim: number of spatial axes (2 for images).
      dtype: the weight dtype (default: JAX's default floating dtype).

    Returns:
      ``(C, C, *K)`` with ``K = 2f - f % 2`` on each axis.

    Examples:
      >>> import convalgebra as ca
      >>> ca.nn.bilinear_kernel(2, 1, ndim=1).tolist()
      [[[0.25, 0.75, 0.75, 0.25]]]
    """
    (f,) = _args.ints("bilinear_kernel", "factor", factor, 1, 1)
    (c,) = _args.ints("bilinear_kernel", "channels", channels, 1, 1)
    (nd,) = _args.ints("bilinear_kernel", "ndim", ndim, 1, 1)
    size = 2 * f - f % 2
    centre = Fraction(size - 1, 2)
    tri = [float(1 - abs(t - centre) / f) for t in range(size)]
    filt = np.asarray(_outer([tri] * nd))
    w = np.zeros((c, c, *filt.shape))
    w[np.arange(c), np.arange(c)] = filt
    dt = default_float() if dtype is None else dtype
    return jnp.asarray(w, dtype=dt)


def _fused_geometry(op, w, factor, padding):
    w = as_array(op, "weight", w)
    if w.ndim < 3:
        raise ValueError(
            f"{op}: weight must be (C_out, C_in/groups, *K), got shape {tuple(w.shape)}"
        )
    nd = w.ndim - 2
    ks = _spatial(op, factor, nd)
    k = tuple(w.shape[2:])
    pads = _args.conv_pads(op, _args.padding(op, padding, nd), k, (1,) * nd, None)
    for (lo, hi), kk in zip(pads, k):
        if max(lo, hi) > kk - 1:
            raise ValueError(
                f"{op}: the fusion needs padding <= kernel_size - 1 on each side (the transposed "
                f"convolution's padding is kernel_size - 1 - padding), got padding={padding!r} "
                f"for kernel size {k}"
            )
    return w, nd, ks, pads


def upsample_conv_kernel(
    w: jax.typing.ArrayLike, factor: int | Sequence[int], groups: int = 1
) -> jax.Array:
    """The transposed-convolution weight of nearest up-sampling followed by ``conv(·, w)``.

    ``conv(upsample_nearest(x, f), w) = conv_transpose(x, flip(box_f * w), stride=f, ...)``:
    the two convolutions merge into one kernel of ``K + f - 1`` taps. In 1-D with ``f = 2`` and
    ``w = (q0, q1, q2)`` the merged taps are ``(q0, q0 + q1, q1 + q2, q2)``, flipped because
    PyTorch's ``conv`` correlates while its ``conv_transpose`` convolves.

    Args:
      w: conv weight ``(C_out, C_in/groups, *K)``.
      factor: positive int, or one per spatial axis.
      groups: the convolution's groups.

    Returns:
      ``(C_in, C_out/groups, *(K + f - 1))``, the ``ConvTranspose`` layout.
    """
    op = "upsample_conv_kernel"
    w, nd, ks, _ = _fused_geometry(op, w, factor, 0)
    c_out, c_in_g = w.shape[:2]
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or c_out % groups:
        raise ValueError(
            f"{op}: groups must be a positive int dividing C_out={c_out}, got groups={groups!r}"
        )
    box = _outer([[1.0] * k for k in ks])
    merged = _ops.conv(box, "full", ndim=nd)(w)  # the algebra applied to the kernel itself
    merged = merged.astype(w.dtype)  # sums of taps: exact; keeps bfloat16 (see _keep)
    merged = jnp.flip(merged, axis=tuple(range(2, 2 + nd)))
    g, rest = groups, merged.shape[2:]
    merged = merged.reshape((g, c_out // g, c_in_g, *rest))
    return jnp.swapaxes(merged, 1, 2).reshape((g * c_in_g, c_out // g, *rest))


def upsample_conv_fused(
    w: jax.typing.ArrayLike,
    factor: int | Sequence[int],
    padding: int | str | Sequence[Any] = 0,
    groups: int = 1,
    *,
    data_format: str = "channels_first",
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    """Nearest ``↑f`` then ``conv(·, w, padding)``, fused into one transposed convolution.

    ``conv(upsample_nearest(x, f), w, padding=p, groups=g)`` equals the operator returned here,
    ``conv_transpose_op(upsample_conv_kernel(w, f, g), stride=f, padding=K - 1 - p, groups=g)``
    (the DSP view: ``w ⋆ (box_f * ↑f x) = (flip(box_f * w)) * ↑f x``). The transposed
    convolution has the same "interpolation capacity" with ``f - 1`` more taps per axis and
    never materialises the up-sampled input.

    Args:
      w: conv weight ``(C_out, C_in/groups, *K)``.
      factor: positive int, or one per spatial axis.
      padding: the convolution's padding (int, tuple, pairs, ``"same"``, ``"valid"``); at most
        ``K - 1`` on each side.
      groups: the convolution's groups.
      data_format: ``"channels_first"`` or ``"channels_last"`` (``(..., *S, C_in) ->
        (..., *S', C_out)``); the weight layout is PyTorch's either way.
      precision, preferred_element_type: as for :func:`convalgebra.nn.conv`.

    Returns:
      An operator ``(..., C_in, *S) -> (..., C_out, *S')``.
    """
    op = "upsample_conv_fused"
    _precision_kw(op, precision, preferred_element_type)  # errors name upsample_conv_fused
    last = _layout.channels_last(op, data_format)
    w, _, ks, pads = _fused_geometry(op, w, factor, padding)
    k = tuple(w.shape[2:])
    fused_pads = tuple((kk - 1 - lo, kk - 1 - hi) for kk, (lo, hi) in zip(k, pads))
    a = conv_transpose_op(
        upsample_conv_kernel(w, ks, groups), stride=ks, padding=fused_pads, groups=groups,
        precision=precision, preferred_element_type=preferred_element_type,
    )  # fmt: skip
    return _layout.channel_op(a, len(ks), last)
