"""Rational resampling ``↓Q (w ⋆) ↑P`` that computes only the kept samples (the "poly" strategy).

A 1-D :class:`~.ir.Conv` that is both up- and down-sampled, ``y[t] = sum_j w[j] v[s t + ps + j]``
with ``v = pad(↑u,pu x, lo, hi)``, reads for output ``t`` one phase of ``w``: with
``c(t) = s t + ps - lo - pu``, ``i0(t) = ceil(c(t) / u)`` and ``e(t) = u i0(t) - c(t)``,

    ``y[t] = sum_m w[e(t) + u m] x[i0(t) + m]``  (about ``len(w) / u`` taps).

With ``g = gcd(u, s)``, ``P = u / g`` and ``Q = s / g``, the outputs ``t = P q + a`` of one
residue ``a`` share the phase ``e(a)`` and their windows advance by ``Q``: each residue is a
strided correlation. The residues are cut into ``G`` contiguous chunks (``G`` divides ``P``);
the windows of one chunk lie within ``L ≈ Q / G + len(w) / u`` samples, so each chunk is a dense
``(rows, L) @ (L, P / G)`` product on windows read from a block view of ``x`` (``x`` reshaped to
rows of ``Q`` samples; slices and one concatenation, no gather of ``x``). One batched
``dot_general`` computes every chunk; its output ``(rows, G, P / G)`` is already interleaved.

Work is ``L`` multiply-adds per output, memory ``x``'s windows (``(1 + G len(w) / (u Q))``
times ``x``) and the output: no intermediate of ``u`` times the signal. The transpose is again
such a node (``u`` and ``s`` swap), so ``Aᵀ`` and gradients run the same program
(:func:`fast.fast_linear`). ``G`` and whether this form runs at all are the cost model's
(``cost.TUNING[platform]["rational"]``). The alternatives measured (2-core CPU, jax 0.10.2,
160/147 on 1 x 441000): one strided convolution with ``P`` output channels (window ``Q + len(w)/u``)
ran 1.1-7x slower in float32 and 30x in float64 (XLA:CPU's float64 convolutions are not
vectorised); ``P`` separate strided convolutions 100x (compile 7-14 s); a gather of windows times
the phase kernels 4-15x.
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


def _windows(x: jax.Array, p: RationalPlan) -> jax.Array:
    """``(G, b, rows, L)``: ``out[g, b, q, l] = x_padded[b, Q q + starts[g] + l]``.

    Per chunk: rows of ``Q`` samples from its start (a slice and a reshape), the first ``L``
    of each (and of the next rows when ``L > Q``): XLA fuses the slices into the one
    fusion that writes the windows.
    """
    b = x.shape[0]
    hi = p.nb * p.Q - p.n - p.left
    xp = lax.pad(x, jnp.zeros((), x.dtype), [(0, 0, 0), (p.left, hi, 0)])
    chunks = []
    for s0 in p.starts:
        nd = -(-p.L // p.Q)
        parts = []
        for d in range(nd):
            a = s0 + d * p.Q
            rowsd = lax.slice_in_dim(xp, a, a + p.Q * p.rows, axis=1).reshape(b, p.rows, p.Q)
            parts.append(rowsd[:, :, : min(p.Q, p.L - d * p.Q)])
        chunks.append(parts[0] if nd == 1 else jnp.concatenate(parts, axis=2))
    return jnp.stack(chunks, axis=0)


def forward(c: Conv, x: jax.Array, w: jax.Array, G: int, precision: Any = None) -> jax.Array:
    """``c`` on ``x`` (``(..., n)``) with the dense correlation kernel ``w``, ``G`` chunks."""
    lead, n = x.shape[:-1], x.shape[-1]
    p = plan(c, n, G)
    xb = x.reshape((math.prod(lead), n))
    wm = _kernel_matrix(w, p, c.up[0]).astype(x.dtype)
    prec = lax.Precision.HIGHEST if precision is None else precision
    y = lax.dot_general(_windows(xb, p), wm, (((3,), (1,)), ((0,), (0,))), precision=prec)
    # (G, b, rows, P/G) -> (b, rows, G, P/G): the residues in order, rows of P outputs
    y = jnp.transpose(y, (1, 2, 0, 3)).reshape((xb.shape[0], p.rows * p.P))
    return y[:, : p.T].reshape((*lead, p.T))


def estimate(c: Conv, in_shape: tuple[int, ...], G: int, platform: str) -> float:
    """Estimated seconds of :func:`forward` with ``G`` chunks (``cost.TUNING``'s "rational")."""
    t = cost.tuning(platform)["rational"]
    p = plan(c, in_shape[-1], G)
    batch = math.prod(in_shape[:-1])
    pg = p.P // p.G
    flops = 2.0 * batch * p.rows * p.P * p.L
    rate = t["rate"] * min(1.0, (p.L * pg) ** 0.5 / t["full_width"])
    moved = batch * (p.rows * p.G * p.L + 2 * p.rows * p.P)  # windows, product, interleave
    ops = p.G * 3 + 4
    return flops / rate + moved * t["per_sample"] + ops * (cost.OVERHEAD + cost.COMPILE_PER_OP
                                                          / cost.AMORTIZE)  # fmt: skip


def _window_size(p: RationalPlan) -> int:
    return p.rows * p.G * p.L


def choose_chunks(c: Conv, in_shape: tuple[int, ...], platform: str) -> tuple[int, float]:
    """The cheapest ``G`` (a divisor of ``P`` up to ``TUNING``'s ``max_chunks``) and its cost."""
    n = in_shape[-1]
    P, _, T, _ = residues(c, n)
    t = cost.tuning(platform)["rational"]
    fits = [g for g in divisors(P) if g <= t["max_chunks"]]
    # memory: the windows at most max_windows x (input + output), unless no G fits
    small = [g for g in fits if _window_size(plan(c, n, g)) <= t["max_windows"] * (n + T)]
    best = min((estimate(c, in_shape, g, platform), g) for g in small or fits[:1])
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
    G = choose_chunks(c, x.shape, platform)[0]

    def fwd(x: jax.Array, w: jax.Array) -> jax.Array:
        return forward(c, x, w, G, precision)

    def transposed(ct: jax.Array, w: jax.Array) -> jax.Array:
        wt = _kernel_t(w, Kind.SINGLE, 1).astype(ct.dtype)
        t = transpose_conv(c, (n,), wt)
        gt = choose_chunks(t, ct.shape, platform)[0]
        return forward(t, ct, wt, gt, precision)

    return fast_linear(fwd, transposed, fwd, x, w, linear)
