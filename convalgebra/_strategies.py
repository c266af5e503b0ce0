"""Lowering strategies for one VALID strided correlation, and the cost model that picks one.

Every strategy computes ``y[..., t] = sum_j w[j] x[..., g t + r j]`` (per spatial axis; ``x``
already padded) for the three kernel kinds (single, depthwise ``(C, *K)``, mixing
``(C_out, C_in, *K)``):

* ``"lax"``: one ``lax.conv_general_dilated`` (window strides, ``rhs_dilation``; feature groups
  for depthwise kernels);
* ``"shift"``: shifted multiply-adds, one strided slice per tap (per-tap matmuls for mixing
  kernels) — fast for per-channel and short kernels, where grouped convolutions crawl;
* ``"fft"``: products of FFTs, for long kernels.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

STRATEGIES = ("lax", "shift", "fft")
_HI = lax.Precision.HIGHEST


def _split(x: jax.Array, kind: str, nd: int):
    lead = x.shape[: x.ndim - nd - (0 if kind == "single" else 1)]
    return lead, math.prod(lead)


def corr_lax(x, w, kind, nd, strides, rdil, pads):
    """``lax.conv_general_dilated`` in the NC* layout; ``pads`` is the conv's own padding."""
    lead, b = _split(x, kind, nd)
    spatial, taps = x.shape[-nd:], w.shape[-nd:]
    if kind == "single":
        xb, wb, groups = x.reshape((b, 1, *spatial)), w.reshape((1, 1, *taps)), 1
    else:
        c = x.shape[-nd - 1]
        xb = x.reshape((b, c, *spatial))
        groups = c if kind == "depthwise" else 1
        wb = w.reshape((c, 1, *taps)) if kind == "depthwise" else w
    y = lax.conv_general_dilated(
        xb, wb, strides, pads, rhs_dilation=rdil, feature_group_count=groups, precision=_HI
    )
    chan = () if kind == "single" else (y.shape[1],)
    return y.reshape(lead + chan + y.shape[2:])


def _padded(x, nd, pads):
    if not any(p != (0, 0) for p in pads):
        return x
    cfg = [(0, 0, 0)] * (x.ndim - nd) + [(lo, hi, 0) for lo, hi in pads]
    return lax.pad(x, jnp.zeros((), x.dtype), cfg)


def _counts(x, w, nd, strides, rdil):
    return [
        (n - ((k - 1) * r + 1)) // g + 1
        for n, k, r, g in zip(x.shape[-nd:], w.shape[-nd:], rdil, strides)
    ]


def corr_shift(x, w, kind, nd, strides, rdil, pads):
    """Shifted multiply-adds: ``sum_j w[j] · x[g t + r j]`` with one strided slice per tap."""
    x = _padded(x, nd, pads)
    counts = _counts(x, w, nd, strides, rdil)
    lead = x.ndim - nd
    letters = "xyz"[:nd] if nd <= 3 else "".join(chr(ord("a") + i) for i in range(nd))
    acc = None
    for idx in np.ndindex(*w.shape[-nd:]):
        start = [0] * lead + [i * r for i, r in zip(idx, rdil)]
        stop = [*x.shape[:lead]] + [
            s + g * (c - 1) + 1 for s, g, c in zip(start[lead:], strides, counts)
        ]
        sl = lax.slice(x, start, stop, [1] * lead + list(strides))
        tap = w[(..., *idx)]
        if kind == "single":
            term = sl * tap
        elif kind == "depthwise":
            term = sl * tap.reshape(tap.shape + (1,) * nd)
        else:
            term = jnp.einsum(f"oi,...i{letters}->...o{letters}", tap, sl, precision=_HI)
        acc = term if acc is None else acc + term
    return acc


def corr_fft(x, w, kind, nd, strides, rdil, pads):
    """Correlation by FFT: the periodic correlation over the padded length, VALID part kept."""
    x = _padded(x, nd, pads)
    if any(r > 1 for r in rdil):
        cfg = [(0, 0, 0)] * (w.ndim - nd) + [(0, 0, r - 1) for r in rdil]
        w = lax.pad(w, jnp.zeros((), w.dtype), cfg)
    counts = _counts(x, w, nd, (1,) * nd, (1,) * nd)
    n = x.shape[-nd:]
    xa, wa = tuple(range(x.ndim - nd, x.ndim)), tuple(range(w.ndim - nd, w.ndim))
    wp = jnp.pad(w, [(0, 0)] * (w.ndim - nd) + [(0, m - k) for m, k in zip(n, w.shape[-nd:])])
    wr = jnp.roll(jnp.flip(wp, wa), 1, wa)  # wr[k] = w[-k mod n]: correlation as convolution
    real = not jnp.issubdtype(x.dtype, jnp.complexfloating)
    fwd, inv = (jnp.fft.rfftn, jnp.fft.irfftn) if real else (jnp.fft.fftn, jnp.fft.ifftn)
    xf, wf = fwd(x, axes=xa), fwd(wr, axes=wa)
    if kind == "mixing":
        letters = "xyz"[:nd]
        yf = jnp.einsum(f"...i{letters},oi{letters}->...o{letters}", xf, wf, precision=_HI)
    else:
        yf = xf * wf
    y = inv(yf, s=n, axes=xa) if real else inv(yf, axes=xa)
    y = y.astype(x.dtype)
    lead = y.ndim - nd
    stop = [*y.shape[:lead]] + [g * ((c - 1) // g) + 1 for g, c in zip(strides, counts)]
    return lax.slice(y, [0] * y.ndim, stop, [1] * lead + list(strides))


IMPLS = {"lax": corr_lax, "shift": corr_shift, "fft": corr_fft}


# ---- the cost model ----------------------------------------------------------------------------
# Rough sustained rates on a CPU (measured on a 2-core machine, jax 0.10.2): XLA's convolution
# reaches tens of GFLOP/s with channel mixing but only ~1 GFLOP/s with feature groups; shifted
# multiply-adds are memory-bound elementwise work; FFTs cost ~5 n log2 n flops per transform.
RATES = {
    ("lax", "mixing"): 50e9,
    ("lax", "depthwise"): 1.2e9,
    ("lax", "single"): 1.5e9,
    ("shift", "mixing"): 15e9,
    ("shift", "depthwise"): 4e9,
    ("shift", "single"): 4e9,
    ("fft", "mixing"): 4e9,
    ("fft", "depthwise"): 4e9,
    ("fft", "single"): 4e9,
}


def estimate(
    strategy: str, kind: str, batch: int, cin: int, cout: int, n_in: int, n_out: int, taps: int
) -> float:
    """Estimated seconds of one correlation with ``strategy`` (a cost model, not a promise)."""
    per_out = taps * (cin if kind == "mixing" else 1)
    direct = 2.0 * batch * cout * n_out * per_out
    if strategy == "fft":
        nlog = n_in * max(1.0, math.log2(max(n_in, 2)))
        flops = 5.0 * batch * (cin + cout) * nlog + 8.0 * batch * n_in * (
            cin * cout if kind == "mixing" else cout
        )
        return flops / RATES[("fft", kind)]
    return direct / RATES[(strategy, kind)]
