"""Hand-written lax building blocks for the reference formulations.

Everything here is plain JAX (no convalgebra), so the references stay independent of the
library they measure. Conventions: ``w`` is a correlation kernel ``(O, I, *K)``; ``x`` is
channels-first ``(B, C, *S)`` unless ``cl=True`` (channels-last ``(B, *S, C)``); pads are one
``(lo, hi)`` pair per spatial axis. All convolutions run at ``Precision.HIGHEST`` (true float32
on every backend, as convalgebra's own filters do).
"""

from __future__ import annotations

import itertools
import math
from typing import cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._static.shapes import fast_len

HIGHEST = lax.Precision.HIGHEST


def dimension_numbers(nd: int, cl: bool = False) -> tuple[str, str, str]:
    """``conv_general_dilated`` dimension numbers for ``nd`` spatial axes."""
    sp = "DHW"[3 - nd :] if nd <= 3 else None
    if sp is None:
        raise ValueError(f"dimension_numbers: at most 3 spatial axes, got {nd}")
    lhs = f"N{sp}C" if cl else f"NC{sp}"
    return (lhs, f"OI{sp}", lhs)


def conv(x, w, pads, *, stride=1, lhs_dilation=1, rhs_dilation=1, groups=1, cl=False):
    """``lax.conv_general_dilated`` with isotropic factors."""
    nd = w.ndim - 2
    return lax.conv_general_dilated(
        x,
        w,
        (stride,) * nd,
        [tuple(p) for p in pads],
        lhs_dilation=(lhs_dilation,) * nd,
        rhs_dilation=(rhs_dilation,) * nd,
        dimension_numbers=dimension_numbers(nd, cl),
        feature_group_count=groups,
        precision=HIGHEST,
    )


def flip_swap(w):
    """The kernel of the transposed correlation: spatial axes flipped, ``O`` and ``I`` swapped."""
    nd = w.ndim - 2
    return jnp.flip(w, axis=tuple(range(2, 2 + nd))).swapaxes(0, 1)


def spatial_axes(x, nd: int, cl: bool = False) -> tuple[int, ...]:
    first = 1 if cl else x.ndim - nd
    return tuple(range(first, first + nd))


def _up_pads(m: int, k: int, s: int, lo: int, out: int) -> tuple[int, int]:
    """Padding of the ``lhs_dilation=s`` input so that ``w ⋆ (↑s x)`` has ``out`` samples."""
    return (lo, out - (s * (m - 1) + 1) - lo + k - 1)


def corr_up(x, w, s: int, lo: int, out: tuple[int, ...], *, cl=False, api=False):
    """``y[n] = sum_k w[k] u[n + k - lo]`` with ``u = ↑s x``, by one ``lhs_dilation`` conv.

    With ``api=True`` the same program is written with ``lax.conv_transpose`` (which builds
    exactly this ``lhs_dilation`` convolution).
    """
    nd = w.ndim - 2
    ms = [x.shape[a] for a in spatial_axes(x, nd, cl)]
    pads = [_up_pads(m, k, s, lo, o) for m, k, o in zip(ms, w.shape[2:], out)]
    if api:
        return lax.conv_transpose(
            x, w, (s,) * nd, pads, dimension_numbers=dimension_numbers(nd, cl), precision=HIGHEST
        )
    return conv(x, w, pads, lhs_dilation=s, cl=cl)


def corr_up_polyphase(x, w, s: int, lo: int, out: tuple[int, ...], *, cl=False):
    """The same as :func:`corr_up`, as ``s^d`` small VALID convolutions interleaved.

    Output phase ``r`` (``n = s·q + r``) only meets the taps ``k ≡ lo - r (mod s)``; each phase
    is a stride-1 correlation of ``x`` (explicitly padded with ``lax.pad``, no ``lhs_dilation``,
    no conv padding) with the sub-kernel ``w[..., k0::s]``. The phases are stacked and
    interleaved with one transpose + reshape.
    """
    nd = w.ndim - 2
    axes = spatial_axes(x, nd, cl)
    ms = [x.shape[a] for a in axes]
    qs = [-(-o // s) for o in out]
    phases = []
    for r in itertools.product(range(s), repeat=nd):
        sub, cfg, empty = [slice(None), slice(None)], [(0, 0, 0)] * x.ndim, False
        for a, (ra, k, m, q) in enumerate(zip(r, w.shape[2:], ms, qs)):
            k0 = (lo - ra) % s
            taps = -(-(k - k0) // s)
            empty |= taps <= 0
            d = (ra + k0 - lo) // s  # phase offset in input samples
            sub.append(slice(k0, None, s))
            cfg[axes[a]] = (-d, q + taps - 1 + d - m, 0)
        if empty:
            shape = list(x.shape)
            for a, q in zip(axes, qs):
                shape[a] = q
            shape[-1 if cl else 1] = w.shape[0]
            phases.append(jnp.zeros(shape, x.dtype))
            continue
        xp = lax.pad(x, jnp.zeros((), x.dtype), cfg)
        phases.append(conv(xp, w[tuple(sub)], [(0, 0)] * nd, cl=cl))
    y = jnp.stack(phases).reshape((s,) * nd + phases[0].shape)
    # (s.., B, C, Q..) -> (B, C, Q1, s, Q2, s, ...)   [channels-last: (B, Q1, s, ..., C)]
    lead = [nd, nd + 1] if not cl else [nd]
    first_q = nd + (2 if not cl else 1)
    inter = [i for a in range(nd) for i in (first_q + a, a)]
    tail = [] if not cl else [2 * nd + 1]
    y = y.transpose(lead + inter + tail)
    b = y.shape[0]
    c = w.shape[0]
    shape = [b] + ([] if cl else [c]) + [q * s for q in qs] + ([c] if cl else [])
    y = y.reshape(shape)
    idx = [slice(None)] * y.ndim
    for a, o in zip(spatial_axes(y, nd, cl), out):
        idx[a] = slice(0, o)
    return y[tuple(idx)]


def compose_kernels(w2, w1):
    """The kernel of ``w2 ⋆ (w1 ⋆ x)`` (both "valid"): ``W[o,i,t] = Σ_m Σ_{j+k=t} w2 w1``."""
    nd = w1.ndim - 2
    full = [(k - 1, k - 1) for k in w2.shape[2:]]
    lhs = w1.swapaxes(0, 1)  # (I, M, *K): batch I, features M
    rhs = jnp.flip(w2, axis=tuple(range(2, 2 + nd)))
    return conv(lhs, rhs, full).swapaxes(0, 1)


def box_kernel(w, s: int, nd: int):
    """``w`` convolved ("full") with an ``s``-tap box on each of the last ``nd`` axes.

    ``w ⋆ nearest_s(x) = box_kernel(w) ⋆ (↑s x)`` with the left padding grown by ``s - 1``.
    """
    for a in range(w.ndim - nd, w.ndim):
        cfg = [(0, 0)] * w.ndim
        cfg[a] = (s - 1, s - 1)
        wp = jnp.pad(w, cfg)
        n = w.shape[a] + s - 1
        w = cast(jax.Array, sum(lax.slice_in_dim(wp, j, j + n, axis=a) for j in range(s)))
    return w


def shifted_mad(x, w, pads, nd: int, stride: int = 1):
    """``y = Σ_k w[..., k] · xpad[..., s·n + k]``: a correlation as shifted multiply-adds.

    ``w`` is ``(C, *K)`` (one filter per channel of ``x``, ``(B, C, *S)``) or ``(*K)`` (one
    filter for every signal). Decimation by ``stride`` is folded into the slices.
    """
    cfg = [(0, 0)] * (x.ndim - nd) + [tuple(p) for p in pads]
    xp = jnp.pad(x, cfg)
    ks = w.shape[-nd:]
    outs = [(xp.shape[x.ndim - nd + a] - k) // stride + 1 for a, k in enumerate(ks)]
    per_channel = w.ndim == nd + 1
    y = None
    for tap in itertools.product(*(range(k) for k in ks)):
        idx = (Ellipsis, *(slice(t, t + stride * (o - 1) + 1, stride) for t, o in zip(tap, outs)))
        coef = w[(Ellipsis, *tap)]
        if per_channel:
            coef = coef.reshape(coef.shape + (1,) * nd)
        term = coef * xp[idx]
        y = term if y is None else y + term
    return y


def fft_corr(x, w, pads, nd: int, stride: int = 1):
    """A "same"-style correlation ``y[n] = Σ_k w[k] x[n + k - lo]`` (then ``↓stride``) by FFT."""
    ns = x.shape[-nd:]
    ks = w.shape[-nd:]
    lens = [fast_len(n + k - 1) for n, k in zip(ns, ks)]
    axes = tuple(range(-nd, 0))
    cfg = [(0, 0)] * (x.ndim - nd) + [(lo, 0) for lo, _ in pads]
    xf = jnp.fft.rfftn(jnp.pad(x, cfg), s=lens, axes=axes)
    wf = jnp.fft.rfftn(w, s=lens, axes=axes)
    y = jnp.fft.irfftn(xf * jnp.conj(wf), s=lens, axes=axes)
    outs = [n + lo + hi - k + 1 for n, k, (lo, hi) in zip(ns, ks, pads)]
    idx = (Ellipsis, *(slice(0, stride * (-(-o // stride) - 1) + 1, stride) for o in outs))
    return y[idx].astype(x.dtype)


def fft_corr_t(g, w, pads, nd: int, in_shape: tuple[int, ...], stride: int = 1):
    """The transpose of :func:`fft_corr`: ``x'[m] = Σ_k w[k] u[m + lo - k]``, ``u = ↑stride g``."""
    if stride > 1:
        z = jnp.zeros(g.shape + (stride - 1,), g.dtype)
        g = jnp.concatenate([g[..., None], z], axis=-1).reshape(g.shape[:-1] + (-1,))
    ns, ks = in_shape, w.shape[-nd:]
    lens = [fast_len(max(n, m) + k - 1) for n, m, k in zip(ns, g.shape[-nd:], ks)]
    axes = tuple(range(-nd, 0))
    y = jnp.fft.irfftn(
        jnp.fft.rfftn(g, s=lens, axes=axes) * jnp.fft.rfftn(w, s=lens, axes=axes),
        s=lens,
        axes=axes,
    )
    idx = (Ellipsis, *(slice(lo, lo + n) for n, (lo, _) in zip(ns, pads)))
    return y[idx].astype(g.dtype)


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error ``‖a - b‖ / max(‖b‖, tiny)`` in float64."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape:
        return math.inf
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def gemm(a, b):
    """A float32 matmul at ``Precision.HIGHEST`` (the GEMM peak probe)."""
    return jnp.matmul(a, b, precision=HIGHEST)
