"""``interpolate`` (every PyTorch mode) and adaptive pooling, as separable per-axis resamplers.

Each spatial axis is resampled by a linear map ``y[j] = Σ_t w[j, t] · x[idx[j, t]]`` whose
taps ``idx`` and weights ``w`` are computed once, in NumPy, from PyTorch's source-coordinate
rules (float32 index arithmetic where PyTorch uses it, so that nearest neighbours land on the
same samples). The N-D resampler is the composition of the 1-D ones (they act on different
axes and commute). Integer factors with ``align_corners=False`` take the algebra's polyphase
forms instead (``upsample_nearest_op``, ``upsample_bilinear_op``, ``avg_pool_op``).

Source coordinate of output ``j`` (``scale = 1/scale_factor`` when a factor is given, else
``n_in/n_out``):

* ``nearest``        ``floor(j·scale)``
* ``nearest-exact``  ``floor((j + 1/2)·scale)``
* linear / cubic     ``(j + 1/2)·scale - 1/2`` (``align_corners=False``; linear clamps at 0) or
  ``j·(n_in - 1)/(n_out - 1)`` (``align_corners=True``)
* ``area``           the adaptive-average window ``[floor(j·n_in/n_out), ceil((j+1)·n_in/n_out))``
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from . import _args
from ._build import as_array

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic", "area")
_RANKS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75


# ---- per-axis tables (NumPy, trace time) ---------------------------------------------------
def _opmath(dtype: np.dtype) -> type:
    """PyTorch's accumulation type for index arithmetic: float64 for float64, else float32."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _scale(n_in: int, n_out: int, factor: float | None, om: type):
    """``compute_scales_value``: ``1/scale_factor`` (computed in double) or ``n_in/n_out``."""
    if factor is not None and factor > 0:
        return om(1.0 / factor)
    return om(n_in) / om(n_out)


def nearest_table(
    n_in: int, n_out: int, factor: float | None, exact: bool, dtype, nd: int
) -> np.ndarray:
    """Source index of every output sample (``(n_out,)`` ints) for nearest / nearest-exact.

    PyTorch's 2-D CPU kernel for ``nearest`` short-cuts ``n_out = n_in`` (identity) and
    ``n_out = 2·n_in`` (``j // 2``) whatever the scale factor; its 1-D and 3-D kernels do not
    (``floor(j·scale)`` in float32 can differ from both).
    """
    j = np.arange(n_out)
    if not exact and nd == 2 and n_out == n_in:
        return j
    if not exact and nd == 2 and n_out == 2 * n_in:
        return j >> 1
    om = _opmath(dtype)
    s = _scale(n_in, n_out, factor, om)
    if exact:
        src = (s * (j.astype(om) + om(0.5)) - om(0.5)).astype(om)
        src = np.maximum(src, om(0))
        idx = np.floor((src + om(0.5)).astype(om))
    else:
        idx = np.floor((j.astype(om) * s).astype(om))
    return np.minimum(idx.astype(np.int64), n_in - 1)


def _source(n_in, n_out, factor, align_corners, cubic):
    """Continuous source coordinates (float64) of the linear and cubic modes."""
    j = np.arange(n_out, dtype=np.float64)
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return s * j
    s = 1.0 / factor if factor is not None and factor > 0 else n_in / n_out
    src = s * (j + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def linear_table(n_in, n_out, factor, align_corners):
    """``(idx, w)`` of shape ``(n_out, 2)``: the two neighbours and their weights."""
    src = _source(n_in, n_out, factor, align_corners, False)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    return np.stack([i0, i1], 1), np.stack([1.0 - lam, lam], 1)


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """Keys' cubic-convolution weights (``A = -0.75``) of the taps at ``-1, 0, 1, 2``."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)


def cubic_table(n_in, n_out, factor, align_corners):
    """``(idx, w)`` of shape ``(n_out, 4)``; taps beyond the border read the edge sample."""
    src = _source(n_in, n_out, factor, align_corners, True)
    i0 = np.floor(src).astype(np.int64)
    idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, n_in - 1)
    return idx, _cubic_weights(src - i0)


def window_bounds(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive-pooling windows ``[floor(j·n/m), ceil((j+1)·n/m))`` (exact integer arithmetic)."""
    j = np.arange(n_out)
    start = (j * n_in) // n_out
    end = -((-(j + 1) * n_in) // n_out)
    return start, end


def area_table(n_in: int, n_out: int):
    """``(idx, w, valid)`` of shape ``(n_out, L)``: each adaptive window, padded to length L."""
    start, end = window_bounds(n_in, n_out)
    length = end - start
    taps = int(length.max())
    t = np.arange(taps)[None, :]
    valid = t < length[:, None]
    idx = np.where(valid, start[:, None] + t, start[:, None])
    w = np.where(valid, 1.0 / length[:, None], 0.0)
    return idx, w, valid


# ---- applying tables ---------------------------------------------------------------------------
def gather_axis(x: jax.Array, idx: np.ndarray, axis: int) -> jax.Array:
    """``x`` with ``axis`` replaced by the two axes of ``idx`` (``x[..., idx, ...]``)."""
    out = jnp.take(x, jnp.asarray(idx.reshape(-1)), axis=axis)
    axis %= x.ndim
    return out.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1 :])


def weigh_axis(x: jax.Array, idx: np.ndarray, w: np.ndarray, axis: int) -> jax.Array:
    """``y[..., j, ...] = Σ_t w[j, t] · x[..., idx[j, t], ...]``."""
    g = gather_axis(x, idx, axis)
    ax = axis % x.ndim
    shape = [1] * g.ndim
    shape[ax], shape[ax + 1] = w.shape
    wt = jnp.asarray(w, dtype=x.dtype).reshape(shape)
    return jnp.sum(g * wt, axis=ax + 1)


# ---- arguments -------------------------------------------------------------------------------
def _factor(op: str, value: Any, nd: int) -> tuple[float, ...]:
    """``scale_factor`` as one positive float per axis (ints, floats and Fractions accepted)."""
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(vals) != nd:
        raise ValueError(
            f"{op}: scale_factor must be a number or a tuple of {nd} numbers (one per spatial "
            f"axis), got scale_factor={value!r}"
        )
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float, Fraction, np.number)):
            raise TypeError(f"{op}: scale_factor must be a positive number, got {value!r}")
        f = float(v)
        if not (f > 0 and math.isfinite(f)):
            raise ValueError(f"{op}: scale_factor must be positive, got scale_factor={value!r}")
        out.append(f)
    return tuple(out)


def _integer_factor(n_in: int, n_out: int, f: float | None) -> int | None:
    """The integer up-sampling factor ``k`` when ``n_out = k·n_in`` and the scale is ``1/k``."""
    if n_out % n_in:
        return None
    k = n_out // n_in
    return k if f is None or f == k else None


def interpolate(
    x: jax.typing.ArrayLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> jax.Array:
    """``torch.nn.functional.interpolate``: resampling by a size or a (rational) scale factor.

    Every mode is a separable linear map (``area`` is adaptive average pooling); its taps and
    weights follow PyTorch's source-coordinate rules exactly, borders included. Integer
    up-sampling factors with ``align_corners=False`` in the ``nearest`` and linear modes are the
    algebra's polyphase forms ``crop(box_k * (↑k x))`` and ``crop(tri_k * (↑k pad_edge(x)))``;
    other sizes gather the 1, 2 (linear), 4 (cubic) or ``ceil(n_in/n_out) + 1`` (area) source
    samples of each output along each axis.

    Args:
      x: ``(N, C, *S)`` with 1, 2 or 3 spatial axes.
      size: the output's spatial size (an int for every axis, or one per axis).
      scale_factor: a positive number (int, float or ``fractions.Fraction``), or one per axis;
        the output size is ``floor(n · scale_factor)`` and, unless ``recompute_scale_factor``,
        the source coordinates use ``1 / scale_factor`` (as PyTorch).
      mode: ``"nearest"``, ``"nearest-exact"``, ``"linear"`` (1-D), ``"bilinear"`` (2-D),
        ``"bicubic"`` (2-D), ``"trilinear"`` (3-D) or ``"area"``.
      align_corners: linear and cubic modes only: map the corner samples onto each other
        (``j·(n_in - 1)/(n_out - 1)``) instead of the half-pixel centres.
      recompute_scale_factor: use ``n_in/n_out`` rather than ``1/scale_factor``.
      antialias: must be ``False`` (no anti-aliasing filter).

    Returns:
      ``(N, C, *S')`` in the input's dtype.

    Raises:
      ValueError: both or neither of ``size`` and ``scale_factor``, an unknown mode, a mode for
        another number of spatial axes, ``align_corners`` with a non-interpolating mode,
        non-positive sizes or factors, an output size of zero.

    Example:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> x = jnp.array([[[0.0, 3.0, 6.0]]])
      >>> ca.nn.interpolate(x, size=5, mode="linear", align_corners=True).tolist()
      [[[0.0, 1.5, 3.0, 4.5, 6.0]]]
      >>> ca.nn.interpolate(x, scale_factor=1.5, mode="nearest").tolist()
      [[[0.0, 0.0, 3.0, 6.0]]]
    """
    op = "interpolate"
    x = as_array(op, "input", x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"{op}: input must be real floating, got {x.dtype}")
    nd = x.ndim - 2
    if nd < 1:
        raise ValueError(f"{op}: input must be (N, C, *S), got shape {tuple(x.shape)}")
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got mode={mode!r}")
    if mode in _RANKS and _RANKS[mode] != nd:
        raise ValueError(
            f"{op}: mode={mode!r} needs {_RANKS[mode]} spatial axes (input of rank "
            f"{_RANKS[mode] + 2}), got input shape {tuple(x.shape)}"
        )
    interpolating = mode in _RANKS
    if align_corners is not None and not interpolating:
        raise ValueError(
            f"{op}: align_corners can only be set with the interpolating modes linear, "
            f"bilinear, bicubic and trilinear, got mode={mode!r}, align_corners={align_corners!r}"
        )
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported, got antialias={antialias!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
            f"scale_factor={scale_factor!r}"
        )
    n = tuple(x.shape[2:])
    if size is not None:
        out = _args.ints(op, "size", size, nd, 1)
        factors: tuple[float | None, ...] = (None,) * nd
    else:
        fs = _factor(op, scale_factor, nd)
        out = tuple(math.floor(ni * f) for ni, f in zip(n, fs))
        if any(o < 1 for o in out):
            raise ValueError(
                f"{op}: scale_factor={scale_factor!r} leaves no output sample for input size "
                f"{n} (output size floor(n·scale_factor) = {out})"
            )
        factors = (None,) * nd if recompute_scale_factor else fs
    align = bool(align_corners)

    fast = _polyphase(x, n, out, factors, mode, align)
    if fast is not None:
        return fast.astype(x.dtype)  # bfloat16 stays bfloat16 (see nn/_resample.py, _keep)
    y = x
    for i in range(nd):
        ax = 2 + i
        ni, oi, fi = n[i], out[i], factors[i]
        if mode in ("nearest", "nearest-exact"):
            idx = nearest_table(ni, oi, fi, mode == "nearest-exact", x.dtype, nd)
            if oi != ni or not np.array_equal(idx, np.arange(oi)):
                y = gather_axis(y, idx, ax)
        elif mode == "area":
            if ni == oi:
                continue
            idx, w, _ = area_table(ni, oi)
            y = weigh_axis(y, idx, w, ax)
        elif mode == "bicubic":
            idx, w = cubic_table(ni, oi, fi, align)
            y = weigh_axis(y, idx, w, ax)
        else:
            idx, w = linear_table(ni, oi, fi, align)
            y = weigh_axis(y, idx, w, ax)
    return y


def _polyphase(x, n, out, factors, mode, align) -> jax.Array | None:
    """The algebra's forms for integer factors (nearest, linear modes, area down-sampling)."""
    from ._pool import avg_pool_op
    from ._resample import upsample_bilinear_op, upsample_nearest_op

    nd = len(n)
    if mode == "area":
        if all(ni % oi == 0 for ni, oi in zip(n, out)) and n != out:
            k = tuple(ni // oi for ni, oi in zip(n, out))
            return avg_pool_op(k, ndim=nd)(x)
        return None
    if align or mode not in ("nearest", "linear", "bilinear", "trilinear"):
        return None
    ks = [_integer_factor(ni, oi, fi) for ni, oi, fi in zip(n, out, factors)]
    if None in ks or all(k == 1 for k in ks):
        return None
    factor = cast("tuple[int, ...]", tuple(ks))  # no None, checked above
    if mode == "nearest":
        for ni, oi, fi, k in zip(n, out, factors, ks):
            want = np.arange(oi) // k
            if not np.array_equal(nearest_table(ni, oi, fi, False, x.dtype, nd), want):
                return None  # PyTorch's float32 index rounding differs from ⌊j/k⌋ here
        return upsample_nearest_op(factor)(x)
    return upsample_bilinear_op(factor)(x)


__all__ = ["interpolate"]
