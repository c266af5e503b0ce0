"""Rational resampling ``↓Q (w ⋆) ↑P`` that computes only the kept samples (the "poly" strategy).

A 1-D :class:`~.ir.Conv` that is both up- and down-sampled, ``y[t] = sum_j w[j] v[s t + ps + j]``
with ``v = pad(↑u,pu x, lo, hi)``, reads for output ``t`` one phase of ``w``: with
``c(t) = s t + ps - lo - pu``, ``i0(t) = ceil(c(t) / u)`` and ``e(t) = u i0(t) - c(t)``,

    ``y[t] = sum_m w[e(t) + u m] x[i0(t) + m]``  (about ``len(w) / u`` taps).

With ``g = gcd(u, s)``, ``P = u / g`` and ``Q = s / g``, the outputs ``t = P q + a`` of one
residue ``a`` share the phase ``e(a)`` and their windows advance by ``Q``. Two programs, both
without an intermediate of ``u`` times the signal; the cost model (``estimate``, from
``cost.TUNING[platform]["rational"]``) picks one per node, shape and dtype:

* **block** (``G = 0``): ``x`` *is* a ``(rows, Q)`` matrix (a reshape, no copy, where ``Q``
  divides ``n``; else ``x`` completed with zeros) and the output a ``(rows, P)`` one, so one
  ``(rows, Q) @ (Q, P)`` product computes every output in its final layout; the taps that
  reach the previous or next row are two small products added in one pass. ``Q`` multiply-adds
  per output (``Q / taps`` times the kept work, at the product's full rate): the choice when
  many channels make every copy expensive (16 x 441000 at 160/147, 160/441).
* **chunks** (``G`` dividing ``P``): the residues cut into ``G`` contiguous chunks, whose
  windows lie within ``L ≈ Q / G + len(w) / u`` samples; per chunk one fusion writes its
  windows ``(rows, L)`` from ``x`` and one ``(rows, L) @ (L, P / G)`` product computes its
  outputs, and one fusion interleaves the ``G`` results into the output. ``L`` multiply-adds
  per output; memory ``(1 + G len(w) / (u Q))`` times ``x`` for the windows.

The transpose is again such a node (``u`` and ``s`` swap), so ``Aᵀ`` and gradients run these
programs too (:func:`fast.fast_linear`); ``jax.linear_transpose`` of an eager call transposes
the forward program itself, which holds only products, pads, slices, reshapes and adds (their
double transposes are the same program). The alternatives measured (2-core CPU, jax 0.10.2,
160/147 on 1 x 441000): one strided convolution with ``P`` output channels (window
``Q + len(w)/u``) ran 1.1-7x slower in float32 and 30x in float64 (XLA:CPU's float64
convolutions are not vectorised); ``P`` separate strided convolutions 100x (compile 7-14 s); a
gather of windows times the phase kernels 4-15x; the chunks' windows stacked into one batched
product 3x slower windows; the block form's row-crossing taps added in place
(``dynamic_update_slice``) a faster forward, but JAX's transpose of it copied the output twice.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._static.shapes import out_length
from .._static.structs import Kind
from . import cost
from .ir import Conv


@dataclasses.dataclass(frozen=True)
class RationalPlan:
    """The integer bookkeeping of one rational node on inputs of ``n`` samples."""

    n: int
    P: int  # residues (u / gcd)
    Q: int  # window advance per row (s / gcd)
    T: int  # outputs
    rows: int  # ceil(T / P)
    G: int  # chunks (divides P)
    L: int  # window per chunk
    left: int  # zero samples before x (negative: samples cropped)
    nb: int  # block rows of the padded signal
    starts: tuple[int, ...]  # per chunk: first sample of its window in the padded signal
    e: tuple[int, ...]  # per residue: the phase (first tap) of w
    taps: tuple[int, ...]  # per residue: taps
    off: tuple[int, ...]  # per residue: offset of its taps in its chunk's window


def applies(c: Conv) -> bool:
    """Whether ``c`` is a 1-D single-channel rational resampler this module runs."""
    return (
        c.ndim == 1
        and c.kind is Kind.SINGLE
        and c.wrap is None
        and c.groups == 1
        and c.dilation == (1,)
        and c.up[0] > 1
        and c.down[0] > 1
        and c.down[0] % c.up[0] != 0
    )


def residues(c: Conv, n: int) -> tuple[int, int, int, list[tuple[int, int, int]]]:
    """``(P, Q, T, [(e, taps, i0) per residue])`` of ``c`` (dilation 1) on ``n`` samples."""
    k = c.taps[0]
    u, s = c.up[0], c.down[0]
    lo, hi = c.pads[0]
    g = math.gcd(u, s)
    P, Q = u // g, s // g
    T = out_length(n, c.taps[0], c.dilation[0], lo, hi, u, s, c.down_phase[0])
    out = []
    for a in range(P):
        ca = s * a + c.down_phase[0] - lo - c.up_phase[0]
        i0 = -((-ca) // u)
        e = u * i0 - ca
        out.append((e, max(0, -(-(k - e) // u)), i0))
    return P, Q, T, out


def plan(c: Conv, n: int, G: int) -> RationalPlan:
    """The plan of ``c`` on ``n`` samples with ``G`` chunks (``G`` divides ``P``)."""
    P, Q, T, res = residues(c, n)
    assert P % G == 0, (P, G)
    rows = max(1, -(-T // P))
    pg = P // G
    bases, tops = [], []
    for g in range(G):
        live = [(e, t, i0) for e, t, i0 in res[g * pg : (g + 1) * pg] if t > 0]
        if not live:
            live = [(0, 0, res[g * pg][2])]
        bases.append(min(i0 for _, _, i0 in live))
        tops.append(max(i0 + t for _, t, i0 in live))
    L = max(1, max(t - b for b, t in zip(bases, tops)))
    xmin = min(bases)
    starts = tuple(b - xmin for b in bases)
    nb = max(s0 + Q * (rows - 1 + -(-L // Q)) for s0 in starts)
    nb = -(-nb // Q)
    off = tuple((i0 - bases[a // pg]) if t > 0 else 0 for a, (_, t, i0) in enumerate(res))
    return RationalPlan(
        n=n, P=P, Q=Q, T=T, rows=rows, G=G, L=L, left=-xmin, nb=nb, starts=starts,
        e=tuple(e for e, _, _ in res), taps=tuple(t for _, t, _ in res), off=off,
    )  # fmt: skip


def divisors(p: int) -> list[int]:
    return [d for d in range(1, p + 1) if p % d == 0]


def _kernel_matrix(w: jax.Array, p: RationalPlan, u: int) -> jax.Array:
    """``(G, L, P / G)``: column ``a`` holds residue ``a``'s taps at its offset in the window."""
    pg = p.P // p.G
    idx = np.zeros((p.G, p.L, pg), np.int64)
    mask = np.zeros((p.G, p.L, pg), bool)
    for a in range(p.P):
        g, j = divmod(a, pg)
        m = np.arange(p.taps[a])
        idx[g, p.off[a] + m, j] = p.e[a] + u * m
        mask[g, p.off[a] + m, j] = True
    taken = jnp.take(w, jnp.asarray(idx.reshape(-1)), axis=0).reshape(idx.shape)
    return jnp.where(jnp.asarray(mask), taken, jnp.zeros((), w.dtype))


def _windows(x: jax.Array, p: RationalPlan) -> list[jax.Array]:
    """Per chunk ``g``, ``(b, rows, L)``: ``out[g][b, q, l] = x_padded[b, Q q + starts[g] + l]``.

    Per chunk (and per ``Q`` samples of its window when ``L > Q``): ``x`` padded (or cropped)
    so that the window starts at sample 0, viewed as rows of ``Q`` samples, the first ``L`` of
    each: one fusion per chunk reading ``x`` itself (no padded copy of ``x``). The chunks stay
    separate arrays: stacked into one ``(G, b, rows, L)`` operand, XLA:CPU's fusion selected
    the chunk per element and ran 3x slower (16 x 441000 float32, 160/147, G = 4: 43 ms
    against 15 ms).
    """
    b = x.shape[0]
    z = jnp.zeros((), x.dtype)
    nd = -(-p.L // p.Q)
    chunks = []
    for s0 in p.starts:
        parts = []
        for d in range(nd):
            a = s0 + d * p.Q - p.left  # the window's first sample, relative to x
            cfg = [(0, 0, 0), (-a, a + p.Q * p.rows - p.n, 0)]
            rows = lax.pad(x, z, cfg).reshape(b, p.rows, p.Q)
            parts.append(rows[:, :, : min(p.Q, p.L - d * p.Q)])
        chunks.append(parts[0] if nd == 1 else jnp.concatenate(parts, axis=2))
    return chunks


def forward(c: Conv, x: jax.Array, w: jax.Array, G: int, precision: Any = None) -> jax.Array:
    """``c`` on ``x`` (``(..., n)``) with the dense correlation kernel ``w``: ``G`` chunks, or
    the block form (``G = 0``, :func:`block_plan`)."""
    lead, n = x.shape[:-1], x.shape[-1]
    prec = lax.Precision.HIGHEST if precision is None else precision
    if G == 0:
        bp = block_plan(c, n)
        assert bp is not None
        return _block(c, x, w, bp, prec)
    p = plan(c, n, G)
    xb = x.reshape((math.prod(lead), n))
    wm = _kernel_matrix(w, p, c.up[0]).astype(x.dtype)
    dims = (((2,), (0,)), ((), ()))
    ys = [lax.dot_general(v, wm[g], dims, precision=prec) for g, v in enumerate(_windows(xb, p))]
    # G x (b, rows, P/G) -> (b, rows, G, P/G): the residues in order, rows of P outputs (one
    # fusion, with the crop to T outputs)
    y = jnp.stack(ys, axis=2).reshape((xb.shape[0], p.rows * p.P))
    return y[:, : p.T].reshape((*lead, p.T))


@dataclasses.dataclass(frozen=True)
class BlockPlan:
    """The "block" form: ``x`` viewed as ``R`` rows of ``Q`` samples (a reshape, no copy, where
    ``Q`` divides ``n``; else ``x`` padded with zeros to ``R Q``), output rows of ``P`` (the
    output's own layout; cropped to ``T`` where ``T < R P``). Row ``r`` of the output is
    ``X[r] @ K[0]`` plus, for the residues whose taps reach the previous (next) row,
    ``X[r - 1, jm:] @ K[-1][jm:, :am]`` (``X[r + 1, :jp] @ K[1][:jp, ap:]``)."""

    n: int
    T: int
    P: int
    Q: int
    R: int
    jm: int  # first sample of the previous row that any residue reads (Q: none)
    am: int  # residues [0, am) read the previous row
    jp: int  # samples [0, jp) of the next row are read (0: none)
    ap: int  # residues [ap, P) read the next row


def block_plan(c: Conv, n: int) -> BlockPlan | None:
    """The block plan of ``c`` on ``n`` samples, or ``None`` where it does not apply."""
    P, Q, T, res = residues(c, n)
    R = max(-(-n // Q), -(-T // P))
    if R < 2:
        return None
    jm, am, jp, ap = Q, 0, 0, P
    for a, (_, t, i0) in enumerate(res):
        if t == 0:
            continue
        if i0 < -Q or i0 + t > 2 * Q:
            return None  # taps beyond the neighbouring rows
        if i0 < 0:
            jm, am = min(jm, Q + i0), a + 1
        if i0 + t > Q:
            jp, ap = max(jp, i0 + t - Q), min(ap, a)
    return BlockPlan(n=n, T=T, P=P, Q=Q, R=R, jm=jm, am=am, jp=jp, ap=ap)


def _block_kernels(w: jax.Array, c: Conv, n: int) -> jax.Array:
    """``(3, Q, P)``: ``K[d + 1][j, a]`` is the tap of residue ``a`` on sample ``j`` of row
    ``r + d`` (``d`` in -1, 0, 1)."""
    P, Q, _, res = residues(c, n)
    u = c.up[0]
    idx = np.zeros((3, Q, P), np.int64)
    mask = np.zeros((3, Q, P), bool)
    for a, (e, t, i0) in enumerate(res):
        o = i0 + np.arange(t)
        idx[o // Q + 1, o % Q, a] = e + u * np.arange(t)
        mask[o // Q + 1, o % Q, a] = True
    taken = jnp.take(w, jnp.asarray(idx.reshape(-1)), axis=0).reshape(idx.shape)
    return jnp.where(jnp.asarray(mask), taken, jnp.zeros((), w.dtype))


def _block(c: Conv, x: jax.Array, w: jax.Array, bp: BlockPlan, prec: Any) -> jax.Array:
    """The "block" program: one product over the row view, plus the row-crossing products
    padded to the output's rows and added in one fused pass. (Added in place instead, with
    ``dynamic_update_slice``, the forward saved that pass, but JAX's transpose of it, which
    ``jax.linear_transpose`` of an eager call differentiates, copied the output twice more.)"""
    lead = x.shape[:-1]
    b, R, P, Q = math.prod(lead), bp.R, bp.P, bp.Q
    z = jnp.zeros((), x.dtype)
    if R * Q != bp.n:  # the last row completed with zeros (one copy of x)
        x = lax.pad(x, z, [(0, 0, 0)] * (x.ndim - 1) + [(0, R * Q - bp.n, 0)])
    X = x.reshape(b, R, Q)
    K = _block_kernels(w, c, bp.n).astype(x.dtype)
    dims = (((2,), (0,)), ((), ()))
    y = lax.dot_general(X, K[1], dims, precision=prec)  # (b, R, P)
    if bp.am:  # rows 1.. read the end of the previous row
        part = lax.dot_general(X[:, : R - 1, bp.jm :], K[0, bp.jm :, : bp.am], dims, precision=prec)
        y = y + lax.pad(part, z, [(0, 0, 0), (1, 0, 0), (0, P - bp.am, 0)])
    if bp.jp:  # rows ..R-2 read the start of the next row
        part = lax.dot_general(X[:, 1:, : bp.jp], K[2, : bp.jp, bp.ap :], dims, precision=prec)
        y = y + lax.pad(part, z, [(0, 0, 0), (0, 1, 0), (bp.ap, 0, 0)])
    return y.reshape((b, R * P))[:, : bp.T].reshape((*lead, bp.T))


def _rate(t: dict[str, Any], dtype: Any, k: int, n: int) -> float:
    """Flops/s of a ``(m, k) @ (k, n)`` product: TUNING's peak for the dtype, less for short
    contractions (``k / (k + k_half)``) and narrow outputs (``sqrt(n / n_full)``)."""
    wide = np.dtype(dtype).itemsize > 4
    peak, k_half = (t["rate_f64"], t["k_half_f64"]) if wide else (t["rate"], t["k_half"])
    return peak * k / (k + k_half) * min(1.0, (n / t["n_full"]) ** 0.5)


def estimate(c: Conv, in_shape: tuple[int, ...], G: int, platform: str, dtype: Any = None) -> float:
    """Estimated seconds of :func:`forward` with ``G`` chunks, or of the block form (``G = 0``):
    the product's flops at :func:`_rate`, plus the samples the chunked form writes and reads
    again (its windows, ``window`` + ``window_per_chunk`` G seconds each; the interleave,
    ``interleave`` each), scaled by the itemsize and, when the program's arrays fit in
    ``cache_bytes``, by ``in_cache`` (``cost.TUNING[platform]["rational"]``). The block form
    makes one pass over the output (the row-crossing products, ``interleave`` per sample)."""
    t = cost.tuning(platform)["rational"]
    dtype = np.dtype(dtype if dtype is not None else c.kernel.dtype)
    n, batch = in_shape[-1], math.prod(in_shape[:-1])
    overhead = cost.OVERHEAD + cost.COMPILE_PER_OP / cost.AMORTIZE
    scale = dtype.itemsize / 4
    if G == 0:
        bp = block_plan(c, n)
        assert bp is not None
        flops = 2.0 * batch * bp.R * bp.P * bp.Q
        out = batch * bp.R * bp.P
        padded = 0 if bp.R * bp.Q == n else batch * bp.R * bp.Q  # x completed to whole rows
        if (batch * n + padded + 2 * out) * dtype.itemsize <= t["cache_bytes"]:
            scale *= t["in_cache"]
        moved = (out + padded) * t["interleave"]
        return flops / _rate(t, dtype, bp.Q, bp.P) + moved * scale + 10 * overhead
    p = plan(c, n, G)
    pg = p.P // p.G
    flops = 2.0 * batch * p.rows * p.P * p.L
    windows = batch * p.rows * p.G * p.L
    out = batch * p.rows * p.P
    if (batch * n + windows + 2 * out) * dtype.itemsize <= t["cache_bytes"]:
        scale *= t["in_cache"]
    # one chunk of whole rows: the product is the output (no interleave, no crop)
    inter = 0 if p.G == 1 and p.rows * p.P == p.T else out * t["interleave"]
    moved = windows * (t["window"] + t["window_per_chunk"] * p.G) + inter
    return flops / _rate(t, dtype, p.L, pg) + moved * scale + (p.G * 3 + 4) * overhead


def _window_size(p: RationalPlan) -> int:
    return p.rows * p.G * p.L


def choose_chunks(
    c: Conv, in_shape: tuple[int, ...], platform: str, dtype: Any = None
) -> tuple[int, float]:
    """The cheapest form: ``G`` chunks (a divisor of ``P`` up to ``TUNING``'s ``max_chunks``)
    or the block form (``G = 0``, where :func:`block_plan` applies), and its cost."""
    n = in_shape[-1]
    P, _, T, _ = residues(c, n)
    t = cost.tuning(platform)["rational"]
    fits = [g for g in divisors(P) if g <= t["max_chunks"]]
    # memory: the windows at most max_windows x (input + output), unless no G fits
    small = [g for g in fits if _window_size(plan(c, n, g)) <= t["max_windows"] * (n + T)]
    forms = ([0] if block_plan(c, n) is not None else []) + (small or fits[:1])
    best = min((estimate(c, in_shape, g, platform, dtype), g) for g in forms)
    return best[1], best[0]


def costs(c: Conv, in_shape: tuple[int, ...], platform: str) -> dict[str, float]:
    """``{"poly": seconds}`` for a rational node this module runs, else ``{}``."""
    if not applies(c) or in_shape[-1] == 0:
        return {}
    return {"poly": choose_chunks(c, in_shape, platform)[1]}


def emit(c: Conv, x: jax.Array, w: jax.Array, *, linear: bool, precision: Any) -> jax.Array:
    """The "poly" program of ``c`` on ``x`` (correlation kernel ``w``), with fast transposes.

    The transpose (``u`` and ``s`` swapped) runs :func:`forward` too, with its own chunks, so
    ``ca.transpose``, ``jax.linear_transpose`` and ``jax.grad`` keep the kept-work property.
    """
    from .conv import _kernel_t, transpose_conv
    from .fast import fast_linear

    platform = jax.default_backend()  # the chunks are the cost model's, as for every node
    n = x.shape[-1]
    G = choose_chunks(c, x.shape, platform, x.dtype)[0]

    def fwd(x: jax.Array, w: jax.Array) -> jax.Array:
        return forward(c, x, w, G, precision)

    def transposed(ct: jax.Array, w: jax.Array) -> jax.Array:
        wt = _kernel_t(w, Kind.SINGLE, 1).astype(ct.dtype)
        t = transpose_conv(c, (n,), wt)
        gt = choose_chunks(t, ct.shape, platform, ct.dtype)[0]
        return forward(t, ct, wt, gt, precision)

    return fast_linear(fwd, transposed, fwd, x, w, linear)
