"""Pooling: average pooling is linear (a box filter then ``↓s``), max pooling is not.

* ``avg_pool``: ``y = c ⊙ ↓s (1_k ⋆ pad(x))`` with ``c = 1/|k|`` (or PyTorch's per-window
  divisor near the borders): an operator of the algebra, transposable like any other.
* ``max_pool``: ``y = ↓s max_k(pad_{-∞}(x))``, a non-linear down-sampler. It is an operator node
  so that it composes and differentiates (``jax.grad``), but ``ca.transpose`` refuses it.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from functools import reduce
from typing import Any, cast

import jax
import jax.core
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._expr import primitives as _ops
from .._expr.node import Operator, wrap_sym
from .._static.structs import Shape
from .._static.structs import node as pytree_node
from . import _args, _layout
from ._build import as_array, chain


def _geometry(op, kernel_size, stride, padding, dilation, ndim):
    if isinstance(kernel_size, (tuple, list)):
        nd = len(kernel_size)
    elif ndim is None:
        raise ValueError(f"{op}: an int kernel_size needs ndim (the number of spatial axes)")
    else:
        (nd,) = _args.ints(op, "ndim", ndim, 1, 1)
    if isinstance(kernel_size, (tuple, list)) and ndim is not None and ndim != nd:
        raise ValueError(f"{op}: kernel_size={tuple(kernel_size)} has {nd} axes but ndim={ndim}")
    k = _args.ints(op, "kernel_size", kernel_size, nd, 1)
    s = k if stride is None else _args.ints(op, "stride", stride, nd, 1)
    p = _args.ints(op, "padding", padding, nd, 0)
    d = _args.ints(op, "dilation", dilation, nd, 1)
    k_eff = _args.effective(k, d)
    _args.pool_pad_limit(op, p, k_eff, k)
    return nd, k, s, p, d, k_eff


def _pool_input(op: str, x: Any, nd: int | None, kernel_size: Any) -> tuple[jax.Array, int]:
    x = as_array(op, "input", x)
    if nd is None:
        nd = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else int(x.ndim) - 2
    if nd < 1 or x.ndim < nd:
        raise ValueError(
            f"{op}: input of shape {tuple(x.shape)} has no room for {nd} spatial axes; pass "
            "(N, C, *S) or give ndim"
        )
    return x, nd


def _ceil_extra(n, k_eff, s, p, out):
    """Extra samples after the right padding that the last ceil-mode window reaches."""
    return tuple(
        max((o - 1) * si + ki - (ni + 2 * pi), 0) for ni, ki, si, pi, o in zip(n, k_eff, s, p, out)
    )


def avg_pool_op(
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    ndim: int | None = None,
    in_size: Sequence[int] | None = None,
    data_format: str = "channels_first",
) -> Operator:
    """Average pooling as an operator: ``c ⊙ ↓s (1_k ⋆ pad(x))``.

    Args:
      kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as for
        :func:`avg_pool`.
      ndim: number of spatial axes, for an int ``kernel_size``.
      in_size: the input's spatial size; needed when the divisor varies over the output
        (``ceil_mode=True``, or ``count_include_pad=False`` with padding).
      data_format: ``"channels_first"`` (the operator acts on the trailing ``ndim`` axes) or
        ``"channels_last"`` (on the ``ndim`` axes before the last).

    Returns:
      A linear operator on the spatial axes.

    Examples:
      >>> import convalgebra as ca
      >>> ca.notation(ca.nn.avg_pool_op(2, ndim=1))
      '0.5·(↓2 (q ⋆[valid] x))'
    """
    op = "avg_pool_op"
    last = _layout.channels_last(op, data_format)
    nd, k, s, p, _, _ = _geometry(op, kernel_size, stride, padding, 1, ndim)
    return _layout.spatial_op(
        _avg_pool_op(op, nd, k, s, p, ceil_mode, count_include_pad, divisor_override, in_size),
        nd,
        last,
    )


def _avg_pool_op(op, nd, k, s, p, ceil_mode, count_include_pad, divisor_override, in_size):
    """The channels-first :func:`avg_pool_op` from its canonical geometry."""
    div = None
    if divisor_override is not None:
        (div,) = _args.ints(op, "divisor_override", divisor_override, 1, 1)
    if in_size is None:
        if ceil_mode or (div is None and not count_include_pad and any(p)):
            raise ValueError(
                f"{op}: with ceil_mode={ceil_mode}, count_include_pad={count_include_pad} and "
                f"padding={p} the windows depend on the input size; pass in_size="
            )
        n = out = None
        extra = (0,) * nd
    else:
        n = _args.ints(op, "in_size", in_size, nd, 1)
        out = _args.pool_out(op, n, k, s, p, ceil_mode)
        extra = _ceil_extra(n, k, s, p, out)
    pads = tuple((pi, pi + e) for pi, e in zip(p, extra))
    box = np.ones(k).tolist()  # weak: adopts the input's dtype
    total = chain(
        _ops.down(s) if any(si > 1 for si in s) else None,
        _ops.corr(box, "valid", ndim=nd),
        _ops.pad(pads) if any(map(any, pads)) else None,
    )
    if div is not None:
        return (1.0 / div) * total
    if n is None:
        return (1.0 / math.prod(k)) * total
    assert out is not None  # set with n
    counts = [
        np.asarray(_args.pool_counts(ni, ki, si, pi, oi, count_include_pad), dtype=np.float64)
        for ni, ki, si, pi, oi in zip(n, k, s, p, out)
    ]
    divisor = reduce(np.multiply.outer, counts)
    if np.all(divisor == divisor.flat[0]):
        return (1.0 / float(divisor.flat[0])) * total

    def divide_by_count(y: jax.Array) -> jax.Array:
        return y / jnp.asarray(divisor, dtype=y.dtype)

    return _ops.linear(divide_by_count) @ total


def avg_pool(
    x: jax.typing.ArrayLike,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    ndim: int | None = None,
    data_format: str = "channels_first",
) -> jax.Array:
    """Average pooling, exactly ``torch.nn.functional.avg_pool{1,2,3}d``; linear.

    ``y = c ⊙ ↓s (1_k ⋆ pad(x))``: a box filter of ones, every ``s``-th sample, divided by the
    window size (PyTorch's divisor: with ``count_include_pad=False`` the padded samples are not
    counted; a ceil-mode window hanging past the padding counts only what it covers).

    Args:
      x: ``(N, C, *S)`` (any leading axes).
      kernel_size: positive int or one per spatial axis.
      stride: default ``kernel_size``.
      padding: zeros on both sides, at most half the kernel size.
      ceil_mode: round the output size up (a last, partial window), as PyTorch.
      count_include_pad: count padded zeros in the divisor.
      divisor_override: divide by this instead.
      ndim: number of spatial axes (default ``len(kernel_size)`` or ``x.ndim - 2``).
      data_format: ``"channels_first"`` (``(N, C, *S)``, PyTorch's) or ``"channels_last"``
        (``(N, *S, C)``).

    Returns:
      ``(N, C, *S')``, ``S' = (S + 2p - k) // s + 1`` (rounded up with ``ceil_mode``);
      ``(N, *S', C)`` channels-last.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.avg_pool(jnp.array([[[1.0, 3.0, 5.0, 7.0]]]), 2).tolist()
      [[[2.0, 6.0]]]
    """
    op = "avg_pool"
    last = _layout.channels_last(op, data_format)
    x, nd = _pool_input(op, x, ndim, kernel_size)
    x = _layout.to_first(op, x, nd, last)
    _, k, s, p, _, _ = _geometry(op, kernel_size, stride, padding, 1, nd)
    n = tuple(x.shape[-nd:])
    _args.pool_out(op, n, k, s, p, ceil_mode)
    a = avg_pool_op(
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        ndim=nd,
        in_size=n,
    )
    y = a(x).astype(x.dtype)  # bfloat16 stays bfloat16 (see nn/_resample.py, _keep)
    return _layout.to_last(y, nd, last)


@pytree_node()
class MaxPool(Operator):
    """``↓s max_k(pad_{-∞}(x))`` on the trailing axes: a non-linear down-sampler."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool

    def _label(self) -> str:
        return (
            f"max_pool({self.kernel}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode})"
        )

    def _sym(self, x: str) -> str:
        s = self.stride[0] if len(set(self.stride)) == 1 else self.stride
        k = self.kernel[0] if len(set(self.kernel)) == 1 else self.kernel
        return f"↓{s} max{k} {wrap_sym(x)}"

    def _out(self, shape: Shape) -> tuple[int, ...]:
        nd = len(self.kernel)
        k_eff = _args.effective(self.kernel, self.dilation)
        return _args.pool_out(
            self._label(), shape[-nd:], k_eff, self.stride, self.padding, self.ceil_mode
        )

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        nd = len(self.kernel)
        if len(shape) < nd:
            raise ValueError(f"{self._label()}: acts on {nd} trailing axes, got shape {shape}")
        if not jnp.issubdtype(dtype, jnp.floating):  # bfloat16 included
            raise TypeError(f"{self._label()}: needs a real floating input, got {dtype}")
        return tuple(shape[:-nd]) + self._out(shape), np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        nd, lead = len(self.kernel), x.ndim - len(self.kernel)
        n = x.shape[-nd:]
        out = self._out(x.shape)
        k_eff = _args.effective(self.kernel, self.dilation)
        extra = _ceil_extra(n, k_eff, self.stride, self.padding, out)
        pads = [(p, p + e) for p, e in zip(self.padding, extra)]
        ninf = np.array(-np.inf, x.dtype)  # concrete, so JAX sees the max monoid
        if all(d == 1 for d in self.dilation):
            return lax.reduce_window(
                x,
                ninf,
                lax.max,
                (1,) * lead + self.kernel,
                (1,) * lead + self.stride,
                [(0, 0)] * lead + pads,
            )
        # JAX has no reverse-mode rule for a dilated reduce_window max: take the maximum of the
        # strided slices, one per tap (the same function, differentiable everywhere).
        xp = lax.pad(x, ninf, [(0, 0, 0)] * lead + [(a, b, 0) for a, b in pads])
        taps = []
        for t in itertools.product(*(range(k) for k in self.kernel)):
            idx = tuple(
                slice(ti * di, ti * di + (oi - 1) * si + 1, si)
                for ti, di, oi, si in zip(t, self.dilation, out, self.stride)
            )
            taps.append(xp[(Ellipsis, *idx)])
        return reduce(jnp.maximum, taps)


def max_pool_op(
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    *,
    ndim: int | None = None,
    data_format: str = "channels_first",
) -> Operator:
    """Max pooling as an operator node (non-linear: ``ca.transpose`` refuses it).

    Arguments as for :func:`max_pool`; ``ndim`` is needed for an int ``kernel_size``. The node
    is a :class:`MaxPool` on the trailing axes (channels-first), or its ``axis=`` form on the
    axes before the last (``data_format="channels_last"``).

    Examples:
      >>> import convalgebra as ca
      >>> ca.notation(ca.nn.max_pool_op(2, ndim=2))
      '↓2 max2 x'
    """
    op = "max_pool_op"
    last = _layout.channels_last(op, data_format)
    nd, k, s, p, d, _ = _geometry(op, kernel_size, stride, padding, dilation, ndim)
    return _layout.spatial_op(MaxPool(k, s, p, d, bool(ceil_mode)), nd, last)


def max_pool(
    x: jax.typing.ArrayLike,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    ndim: int | None = None,
    data_format: str = "channels_first",
) -> jax.Array | tuple[jax.Array, jax.Array]:
    """Max pooling, exactly ``torch.nn.functional.max_pool{1,2,3}d``.

    ``y = ↓s max_k(pad_{-∞}(x))``: the maximum over each (dilated) window, every ``s``-th
    window. Not linear, so it has no transpose; ``jax.grad`` routes the gradient to the
    maximum of each window, as PyTorch's autograd does.

    Args:
      x: ``(N, C, *S)`` (any leading axes), real floating.
      kernel_size: positive int or one per spatial axis.
      stride: default ``kernel_size``.
      padding: ``-inf`` on both sides, at most half the effective window.
      dilation: spacing of the window's taps.
      ceil_mode: round the output size up, as PyTorch.
      return_indices: also return where each maximum came from: its flat index within its
        ``(N, C)`` plane of the input (row-major over the spatial axes), the first maximum of
        the window on ties, as PyTorch; :func:`max_unpool` puts the values back.
      ndim: number of spatial axes (default ``len(kernel_size)`` or ``x.ndim - 2``).
      data_format: ``"channels_first"`` (``(N, C, *S)``, PyTorch's) or ``"channels_last"``
        (``(N, *S, C)``). The indices are PyTorch's (row-major over the spatial
        axes of each channel), laid out like the values.

    Returns:
      ``(N, C, *S')``, ``S' = (S + 2p - d·(k - 1) - 1) // s + 1`` (rounded up with
      ``ceil_mode``); with ``return_indices`` also the integer indices of the same shape (int64
      with x64 enabled, else int32). ``(N, *S', C)`` channels-last.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.max_pool(jnp.array([[[1.0, 3.0, 5.0, 2.0]]]), 2).tolist()
      [[[3.0, 5.0]]]
    """
    op = "max_pool"
    last = _layout.channels_last(op, data_format)
    x, nd = _pool_input(op, x, ndim, kernel_size)
    x = _layout.to_first(op, x, nd, last)
    _, k, s, p, d, _ = _geometry(op, kernel_size, stride, padding, dilation, nd)
    pool = MaxPool(k, s, p, d, bool(ceil_mode))
    if not return_indices:
        return _layout.to_last(pool(x), nd, last)
    pool._infer(tuple(x.shape), np.dtype(x.dtype))  # the checks of the operator form
    values, index = _max_pool_indices(x, pool)
    return _layout.to_last(values, nd, last), _layout.to_last(index, nd, last)


# ---- max pooling with indices, and its inverse ---------------------------------------------------
def _flat_strides(n: Sequence[int]) -> tuple[int, ...]:
    """Row-major strides of a spatial block of size ``n`` (PyTorch's flat index per plane)."""
    return tuple(math.prod(n[i + 1 :]) for i in range(len(n)))


def _argmax_taps(taps: jax.Array, positions: np.ndarray) -> tuple[jax.Array, jax.Array]:
    """Maximum over axis ``-nd - 1`` of ``taps`` (the first one on ties, as PyTorch) and its
    flat input index read from ``positions`` (same shape as ``taps`` minus the leading axes).

    The value is gathered at the argmax, so its gradient goes to that one sample.
    """
    ax = taps.ndim - positions.ndim
    arg = jnp.expand_dims(jnp.argmax(taps, axis=ax), ax)
    values = jnp.take_along_axis(taps, arg, axis=ax)
    table = jnp.broadcast_to(jnp.asarray(positions), taps.shape[:ax] + positions.shape)
    index = jnp.take_along_axis(table, arg.astype(table.dtype), axis=ax)
    return jnp.squeeze(values, ax), jnp.squeeze(index, ax)


def _max_pool_indices(x: jax.Array, pool: MaxPool) -> tuple[jax.Array, jax.Array]:
    nd, lead = len(pool.kernel), x.ndim - len(pool.kernel)
    n = tuple(x.shape[-nd:])
    out = pool._out(x.shape)
    k_eff = _args.effective(pool.kernel, pool.dilation)
    extra = _ceil_extra(n, k_eff, pool.stride, pool.padding, out)
    pads = [(p, p + e) for p, e in zip(pool.padding, extra)]
    ninf = np.array(-np.inf, x.dtype)
    xp = lax.pad(x, ninf, [(0, 0, 0)] * lead + [(a, b, 0) for a, b in pads])
    strides = _flat_strides(n)
    taps, positions = [], []
    for t in itertools.product(*(range(k) for k in pool.kernel)):
        idx = tuple(
            slice(ti * di, ti * di + (oi - 1) * si + 1, si)
            for ti, di, oi, si in zip(t, pool.dilation, out, pool.stride)
        )
        taps.append(xp[(Ellipsis, *idx)])
        pos = np.zeros(out, np.int64)
        for i, (ti, di, oi, si, pi) in enumerate(
            zip(t, pool.dilation, out, pool.stride, pool.padding)
        ):
            shape = [1] * nd
            shape[i] = oi
            pos = pos + ((np.arange(oi) * si - pi + ti * di) * strides[i]).reshape(shape)
        positions.append(pos)
    return _argmax_taps(jnp.stack(taps, axis=lead), np.stack(positions))


def _unpool_scatter_fwd(x2, idx2, size):
    rows = jnp.arange(x2.shape[0])[:, None]
    return jnp.zeros((x2.shape[0], size), x2.dtype).at[rows, idx2].set(x2, mode="drop")


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _unpool_scatter(x2, idx2, size):
    return _unpool_scatter_fwd(x2, idx2, size)


def _unpool_fwd(x2, idx2, size):
    return _unpool_scatter_fwd(x2, idx2, size), idx2


def _unpool_bwd(size, idx2, g):
    # PyTorch's backward: every input reads the gradient at its index (a gather), duplicates too.
    gx = jnp.take_along_axis(g, idx2, axis=1, mode="fill", fill_value=0)
    return gx, np.zeros(idx2.shape, jax.dtypes.float0)


_unpool_scatter.defvjp(_unpool_fwd, _unpool_bwd)


def max_unpool(
    x: jax.typing.ArrayLike,
    indices: jax.typing.ArrayLike,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
    *,
    ndim: int | None = None,
    data_format: str = "channels_first",
) -> jax.Array:
    """``torch.nn.functional.max_unpool{1,2,3}d``: the maxima put back where they came from.

    ``y = Pᵀ x``, ``P`` the selection of the samples that :func:`max_pool` with
    ``return_indices=True`` picked: a zero output of the pooled input's size with ``x`` written
    at ``indices`` (flat positions within each ``(N, C)`` plane), the SegNet up-sampler. Linear in
    ``x``; its gradient reads the output gradient at ``indices``, as PyTorch's.

    Args:
      x: ``(N, C, *S)`` (any leading axes), the pooled values.
      indices: integer array of ``x``'s shape, from ``max_pool(..., return_indices=True)``.
      kernel_size, stride, padding: those of the pooling.
      output_size: the spatial size to restore (default ``(S - 1)·s - 2p + k``; PyTorch allows
        sizes strictly within ``stride`` of it, to undo a floor). A full shape
        (``(N, C, *S)``, or ``(N, *S, C)`` channels-last) is accepted too.
      ndim: number of spatial axes (default ``len(kernel_size)`` or ``x.ndim - 2``).
      data_format: ``"channels_first"`` or ``"channels_last"`` (``x``, ``indices`` and the
        output ``(N, *S, C)``; the index values are the same in both layouts).

    Returns:
      ``(N, C, *output_size)`` (``(N, *output_size, C)`` channels-last) in ``x``'s dtype.
      Indices outside the output are dropped (a concrete ``indices`` array is checked instead).

    Raises:
      ValueError: indices of another shape than ``x``, a non-integer indices dtype, an
        ``output_size`` too far from the default, indices outside the output.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> y, i = ca.nn.max_pool(jnp.array([[[1.0, 3.0, 5.0, 2.0]]]), 2, return_indices=True)
      >>> ca.nn.max_unpool(y, i, 2).tolist()
      [[[0.0, 3.0, 5.0, 0.0]]]
    """
    op = "max_unpool"
    last = _layout.channels_last(op, data_format)
    x, nd = _pool_input(op, x, ndim, kernel_size)
    _, k, s, p, _, _ = _geometry(op, kernel_size, stride, padding, 1, nd)
    idx = jnp.asarray(indices)
    if tuple(idx.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: indices must have the input's shape {tuple(x.shape)}, got shape "
            f"{tuple(idx.shape)}"
        )
    x, idx = _layout.to_first(op, x, nd, last), _layout.to_first(op, idx, nd, last)
    if not jnp.issubdtype(idx.dtype, jnp.integer):
        raise ValueError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    n = tuple(x.shape[-nd:])
    default = tuple((ni - 1) * si - 2 * pi + ki for ni, si, pi, ki in zip(n, s, p, k))
    if output_size is None:
        size = default
    else:
        given = tuple(output_size)
        if len(given) == nd + 2:
            given = given[1:-1] if last else given[2:]
        size = _args.ints(op, "output_size", given, nd, 1)
        for o, dflt, si in zip(size, default, s):
            if not dflt - si < o < dflt + si:
                raise ValueError(
                    f"{op}: output_size must be within stride of the default size {default} "
                    f"(stride {s}), got output_size={tuple(output_size)}"
                )
    total = math.prod(size)
    if not isinstance(idx, jax.core.Tracer) and idx.size:
        lo, hi = int(jnp.min(idx)), int(jnp.max(idx))
        if lo < 0 or hi >= total:
            raise ValueError(
                f"{op}: indices must lie in [0, {total}) for output_size {size}, got values "
                f"from {lo} to {hi}"
            )
    lead = x.shape[:-nd]
    x2 = x.reshape((math.prod(lead), -1))
    idx2 = idx.reshape(x2.shape)
    y2 = cast(jax.Array, _unpool_scatter(x2, idx2, total))  # custom_vjp loses the type
    return _layout.to_last(y2.reshape(lead + size), nd, last)


# ---- adaptive pooling --------------------------------------------------------------------------
def _adaptive_geometry(op, x, output_size, ndim, last):
    x, nd = _pool_input(op, x, ndim, output_size)
    x = _layout.to_first(op, x, nd, last)
    n = tuple(x.shape[-nd:])
    vals = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(vals) != nd:
        raise ValueError(
            f"{op}: output_size must be an int or a tuple of {nd} entries, got "
            f"output_size={output_size!r}"
        )
    vals = tuple(ni if v is None else v for v, ni in zip(vals, n))
    return x, nd, n, _args.ints(op, "output_size", vals, nd, 1)


def adaptive_avg_pool(
    x: jax.typing.ArrayLike,
    output_size: int | Sequence[int | None] | None,
    *,
    ndim: int | None = None,
    data_format: str = "channels_first",
) -> jax.Array:
    """``torch.nn.functional.adaptive_avg_pool{1,2,3}d``: averages over adaptive windows.

    Output ``j`` averages the input window ``[floor(j·n/m), ceil((j+1)·n/m))`` on each axis;
    linear and separable. When ``m`` divides ``n`` on every axis this is
    ``(1/k) ↓k (1_k ⋆ x)`` (:func:`avg_pool_op`, ``k = n/m``).

    Args:
      x: ``(N, C, *S)`` (any leading axes).
      output_size: an int, or one per spatial axis (``None`` keeps that axis's size).
      ndim: number of spatial axes (default ``len(output_size)`` or ``x.ndim - 2``).
      data_format: ``"channels_first"`` (``(N, C, *S)``, PyTorch's) or ``"channels_last"``
        (``(N, *S, C)``).

    Returns:
      ``(N, C, *output_size)`` (``(N, *output_size, C)`` channels-last) in ``x``'s dtype.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.adaptive_avg_pool(jnp.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).round(12).tolist()
      [[[2.0, 4.0]]]
    """
    from ._interp import area_table, weigh_axis

    op = "adaptive_avg_pool"
    last = _layout.channels_last(op, data_format)
    x, nd, n, m = _adaptive_geometry(op, x, output_size, ndim, last)
    if all(ni % mi == 0 for ni, mi in zip(n, m)):
        if n == m:
            return _layout.to_last(x, nd, last)
        k = tuple(ni // mi for ni, mi in zip(n, m))
        return _layout.to_last(avg_pool_op(k, ndim=nd)(x).astype(x.dtype), nd, last)
    y = x
    for i, (ni, mi) in enumerate(zip(n, m)):
        if ni != mi:
            idx, w, _ = area_table(ni, mi)
            y = weigh_axis(y, idx, w, x.ndim - nd + i)
    return _layout.to_last(y, nd, last)


def adaptive_max_pool(
    x: jax.typing.ArrayLike,
    output_size: int | Sequence[int | None] | None,
    return_indices: bool = False,
    *,
    ndim: int | None = None,
    data_format: str = "channels_first",
) -> jax.Array | tuple[jax.Array, jax.Array]:
    """``torch.nn.functional.adaptive_max_pool{1,2,3}d``: maxima over adaptive windows.

    The windows are those of :func:`adaptive_avg_pool`; the gradient goes to each window's
    (first) maximum, as PyTorch's.

    Args:
      x: ``(N, C, *S)`` (any leading axes), real floating.
      output_size: an int, or one per spatial axis (``None`` keeps that axis's size).
      return_indices: also return the flat index of each maximum within its ``(N, C)`` plane
        (for :func:`max_unpool`).
      ndim: number of spatial axes (default ``len(output_size)`` or ``x.ndim - 2``).
      data_format: ``"channels_first"`` (``(N, C, *S)``, PyTorch's) or ``"channels_last"``
        (``(N, *S, C)``).

    Returns:
      ``(N, C, *output_size)`` (``(N, *output_size, C)`` channels-last) in ``x``'s dtype, and
      the indices (same layout) when asked.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.nn.adaptive_max_pool(jnp.array([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2).tolist()
      [[[5.0, 4.0]]]
    """
    from ._interp import area_table, gather_axis

    op = "adaptive_max_pool"
    last = _layout.channels_last(op, data_format)
    x, nd, n, m = _adaptive_geometry(op, x, output_size, ndim, last)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"{op}: needs a real floating input, got {x.dtype}")
    lead = x.ndim - nd
    strides = _flat_strides(n)
    g = x
    valid = np.ones((), bool)
    pos = np.zeros((), np.int64)
    for i, (ni, mi) in enumerate(zip(n, m)):
        idx, _, ok = area_table(ni, mi)
        g = gather_axis(g, idx, lead + 2 * i)  # (..., m0, L0, ..., m_i, L_i, n_{i+1}, ...)
        valid = np.multiply.outer(valid, ok)
        pos = np.add.outer(pos, idx * strides[i])
    # axes (m0, L0, m1, L1, ...) -> (L0, L1, ..., m0, m1, ...), then flatten the L axes
    order = [2 * i + 1 for i in range(nd)] + [2 * i for i in range(nd)]
    g = jnp.transpose(g, tuple(range(lead)) + tuple(lead + a for a in order))
    taps = math.prod(g.shape[lead : lead + nd])
    g = g.reshape(g.shape[:lead] + (taps, *m))
    valid = np.transpose(valid, order).reshape((taps, *m))
    pos = np.transpose(pos, order).reshape((taps, *m))
    g = jnp.where(jnp.asarray(valid), g, np.array(-np.inf, x.dtype))
    values, index = _argmax_taps(g, pos)
    values, index = _layout.to_last(values, nd, last), _layout.to_last(index, nd, last)
    return (values, index) if return_indices else values
