"""Two-channel multirate filter banks (wavelets): the polyphase strategy and its choice.

One analysis level is ``↓2 ([h̃_lo; h̃_hi] ⋆ ext(x))`` along the last axis, one synthesis level
``[g_lo, g_hi] * ↑2 c`` cropped. Besides the general lowering of those operators (``emit``: an
``Extend`` node, then the strided 1 -> 2 channel convolution by a strategy of ``strategies.py``),
this module runs them as a *polyphase schedule*:

* the extension is built from slices (forward, reversed, one sample repeated; no gather, whose
  transpose is a scatter-add into a zero signal) and materialised once;
* analysis reads the two polyphase components of the extended signal (one reshape) and sums
  contiguous slices of them times scalar taps, for each filter: only the kept samples are
  computed, and the transpose (``jax.linear_transpose`` / ``vjp``) is edge pads of that view,
  not interior-padded arrays;
* synthesis computes its two output phases as "valid" convolutions of the coefficients (periodic
  ones in periodization mode) and interleaves them in one pass.

Which of the two runs a bank is the cost model's choice (:func:`strategy`, from
``cost.TUNING[platform]["multirate"]``); the transforms in ``convalgebra.signal`` ask it and
carry no platform knowledge. :func:`eager_max` is the size below which an eager call runs a
program cached per (filter length, mode, size bucket) instead of compiling for each length.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import cost

STRATEGIES = ("polyphase", "lowered")


def _platform(platform: str | None) -> str:
    return platform or jax.default_backend()


def strategy(ndim: int, taps: int, mode: str = "symmetric", platform: str | None = None) -> str:
    """``"polyphase"`` or ``"lowered"`` for a bank along one axis of an ``ndim``-D transform
    with ``taps``-tap filters in extension ``mode`` (``ndim`` 1: the 1-D transforms; more: one
    axis of ``dwtn``). Wrap-around modes (periodic, periodization) have their own entry."""
    table = cost.tuning(_platform(platform))["multirate"]
    key = "1d" if ndim == 1 else "nd"
    if mode in ("periodic", "periodization"):
        key += "_wrap"
    pick = table.get(key, table["1d" if ndim == 1 else "nd"])
    if pick not in STRATEGIES:
        raise ValueError(f"multirate.strategy: unknown strategy {pick!r} in TUNING")
    return pick


def eager_max(platform: str | None = None) -> int:
    """Samples per call below which eager transforms run the bucketed cached programs."""
    return int(cost.tuning(_platform(platform))["multirate"]["eager_max"])


# ---- the extension, from slices -------------------------------------------------------------


def window(x: jax.Array, start: int, stop: int, mode: str) -> jax.Array:
    """Samples ``start .. stop - 1`` of ``x`` extended along its last axis in ``mode``
    (positions relative to ``x[..., 0]``; an ``Extend`` mode name)."""
    n = x.shape[-1]
    parts = []
    if start < 0:
        parts.append(_outside(x, mode, np.arange(start, min(stop, 0))))
    if start < n and stop > 0:
        parts.append(x[..., max(start, 0) : min(stop, n)])
    if stop > n:
        parts.append(_outside(x, mode, np.arange(max(start, n), stop)))
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=-1)


def _outside(x: jax.Array, mode: str, pos: np.ndarray) -> jax.Array:
    """The extension at positions ``pos`` outside ``[0, n)``: ``Extend``'s terms, each read as
    runs of slices (forward, reversed or one sample repeated) rather than a gather, so that the
    transpose is pads."""
    from ..signal._extend import _runs, _terms  # the extension's definition (one place)

    out = None
    for idx, wts in _terms(mode, x.shape[-1], pos):
        wts = np.broadcast_to(np.asarray(wts, dtype=float), idx.shape)
        if np.all(wts == 0):
            continue
        pieces = []
        for i, j, lo, step in _runs(np.asarray(idx)):
            if step == 0:
                piece = jnp.broadcast_to(x[..., lo : lo + 1], (*x.shape[:-1], j - i))
            else:
                piece = x[..., lo : lo + j - i]
                if step < 0:
                    piece = jax.lax.rev(piece, (piece.ndim - 1,))
            if not np.all(wts[i:j] == 1):
                piece = piece * jnp.asarray(wts[i:j], dtype=x.dtype)
            pieces.append(piece)
        part = pieces[0] if len(pieces) == 1 else jnp.concatenate(pieces, axis=-1)
        out = part if out is None else out + part
    return jnp.zeros((*x.shape[:-1], pos.size), x.dtype) if out is None else out


# ---- the polyphase kernels ------------------------------------------------------------------


def strided(xe: jax.Array, h: jax.Array, count: int) -> jax.Array:
    """``y[k] = sum_j h[j] xe[2k + j]`` for ``k < count`` (a stride-2 "valid" correlation).

    Read through the polyphase view ``xe[2p + r] = xr[p, r]`` (a reshape): every tap is a
    contiguous slice of one phase, and the transpose is a sum of edge pads of that view.
    """
    f = h.shape[0]
    pairs = -(-f // 2)
    need = 2 * (count + pairs - 1)
    if xe.shape[-1] >= need:
        xe = xe[..., :need]
    else:  # at most one sample short: a zero the last tap never weighs
        xe = jnp.pad(xe, [(0, 0)] * (xe.ndim - 1) + [(0, need - xe.shape[-1])])
    xr = xe.reshape(*xe.shape[:-1], need // 2, 2)
    phase = (xr[..., 0], xr[..., 1])  # each deinterleaved once: the taps slice it contiguously
    terms = [h[j] * phase[j % 2][..., j // 2 : j // 2 + count] for j in range(f)]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def valid(c: jax.Array, g: jax.Array, count: int) -> jax.Array:
    """``y[q] = sum_i g[i] c[q + len(g) - 1 - i]`` for ``q < count`` (a "valid" convolution)."""
    h = g.shape[0]
    out = g[0] * c[..., h - 1 : h - 1 + count]
    for i in range(1, h):
        out = out + g[i] * c[..., h - 1 - i : h - 1 - i + count]
    return out


def analysis(
    x: jax.Array, lo: jax.Array, hi: jax.Array, mode: str, before: int, count: int
) -> tuple[jax.Array, jax.Array]:
    """``(↓2 (lo ⋆ ext(x)), ↓2 (hi ⋆ ext(x)))`` along the last axis, ``count`` outputs each.

    ``lo``/``hi`` are the correlation taps (the reversed decomposition filters), ``mode`` the
    ``Extend`` mode, ``before`` the extended samples before ``x[0]``.
    """
    f = lo.shape[0]
    xe = window(x, -before, 2 * (count - 1) - before + f, mode)  # materialised once
    return strided(xe, lo, count), strided(xe, hi, count)


def _periodic(c: jax.Array, start: int, stop: int) -> jax.Array:
    """``c`` extended periodically to positions ``start .. stop - 1``, materialised.

    The barrier keeps XLA from fusing the wrap-around into each tap's read (the fused
    concatenation ran the periodization synthesis 2-3x slower than the symmetric one)."""
    m = c.shape[-1]
    if -start <= m and stop - m <= m:
        ext = jnp.pad(c, [(0, 0)] * (c.ndim - 1) + [(-start, stop - m)], mode="wrap")
    else:
        ext = window(c, start, stop, "periodic")
    return jax.lax.optimization_barrier(ext)


def synthesis(
    a: jax.Array,
    d: jax.Array,
    rec_lo: jax.Array,
    rec_hi: jax.Array,
    start: int,
    before: int,
    length: int,
    periodic: bool,
) -> jax.Array:
    """``crop(rec_lo * ↑2 a' + rec_hi * ↑2 d')`` as two interleaved output phases.

    ``a'``, ``d'`` are the coefficients, extended periodically by ``before`` in front when
    ``periodic``; the crop starts at ``start`` and keeps ``2 * length`` samples. The output phase
    ``r`` is ``x[2q + r] = sum_i (rec_lo[2i + p] a[q + s - i] + rec_hi[2i + p] d[...])``.
    """
    f = rec_lo.shape[0]
    h = f // 2
    taps, shifts = [], []
    for r in (0, 1):
        t0 = r + start
        p = t0 % 2
        taps.append((rec_lo[p::2], rec_hi[p::2]))
        shifts.append(t0 // 2 - before)  # x[2q + r] reads c[q + shift - i], i < h
    src = 0
    if periodic:
        src = min(shifts) - h + 1
        a, d = (_periodic(c, src, length + max(shifts)) for c in (a, d))
    phases = []
    for (g_lo, g_hi), sh in zip(taps, shifts):
        o = sh - h + 1 - src
        phases.append(
            valid(a[..., o : o + length + h - 1], g_lo, length)
            + valid(d[..., o : o + length + h - 1], g_hi, length)
        )
    return jnp.stack(phases, axis=-1).reshape(*a.shape[:-1], 2 * length)


# ---- eager calls on small inputs: one program per size bucket -------------------------------
#
# An eager transform would compile one program per (filter length, mode, length). Below
# :func:`eager_max` samples the signal is zero-padded to a power-of-two bucket and its true
# length passed as a *traced* scalar: the extension reads its samples by index (a gather, cheap
# at these sizes) from positions computed from that length, so one compiled program serves every
# length of the bucket. The caller slices the kept outputs.


def bucket(n: int, least: int = 8) -> int:
    """The power of two at least ``max(n, least)``."""
    return 1 << max(int(n) - 1, least - 1).bit_length()


def ext_table(mode: str, n: int, before: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The extended samples ``-before .. size - before - 1`` of a length-``n`` signal as
    ``ext[p] = sum_t w[t, p] x[idx[t, p]]`` (three terms, NumPy, ``n >= 2``): the bucketed
    program's inputs, so that neither the length nor the mode is part of the program."""
    from ..signal._extend import _terms  # the extension's definition (one place)

    p = np.arange(size) - before
    idx = np.zeros((3, size), np.int32)
    wts = np.zeros((3, size))
    inside = (p >= 0) & (p < n)
    idx[0, inside], wts[0, inside] = p[inside], 1.0
    out = p[~inside]
    for t, (i, w) in enumerate(_terms(mode, n, out)):
        idx[t, ~inside] = i
        wts[t, ~inside] = np.broadcast_to(w, out.shape)
    return idx, wts


@jax.jit(static_argnames=("count",))
def analysis_bucketed(
    x: jax.Array, idx: jax.Array, wts: jax.Array, lo: jax.Array, hi: jax.Array, count: int
) -> tuple[jax.Array, jax.Array]:
    """:func:`analysis` of a zero-padded bucket ``x``, its extension read by :func:`ext_table`
    (traced): one program per bucket shape and filter bucket length."""
    xe = jnp.take(x, idx[0], axis=-1) * wts[0].astype(x.dtype)
    for t in (1, 2):
        xe = xe + jnp.take(x, idx[t], axis=-1) * wts[t].astype(x.dtype)
    return strided(xe, lo, count), strided(xe, hi, count)


def synth_table(
    m: int, start: int, before: int, periodic: bool, length: int, taps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Where output ``t`` reads its ``j``-th tap: ``x[t] = sum_j rec[j] c[ii[t, j]] ok[t, j]``
    (``u[t + start - j]``, ``u`` the up-sampled, periodically extended coefficients)."""
    pos = np.arange(2 * length)[:, None] + start - np.arange(taps)[None, :]
    i = pos // 2 - before
    ok = pos % 2 == 0
    if periodic:
        ii = np.mod(i, m)
    else:
        ok &= (i >= 0) & (i < m)
        ii = np.clip(i, 0, m - 1)
    return ii.astype(np.int32), ok


@jax.jit
def synthesis_bucketed(
    a: jax.Array, d: jax.Array, ii: jax.Array, ok: jax.Array, rec_lo: jax.Array, rec_hi: jax.Array
) -> jax.Array:
    """:func:`synthesis` of zero-padded buckets by the index table of :func:`synth_table`."""
    lo = jnp.where(ok, rec_lo[None, :], 0).astype(a.dtype)
    hi = jnp.where(ok, rec_hi[None, :], 0).astype(a.dtype)
    return jnp.sum(jnp.take(a, ii, axis=-1) * lo + jnp.take(d, ii, axis=-1) * hi, axis=-1)
