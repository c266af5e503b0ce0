"""Two-channel multirate filter banks (wavelets): the polyphase strategy and its choice.

One analysis level is ``↓2 ([h̃_lo; h̃_hi] ⋆ ext(x))`` along the last axis, one synthesis level
``[g_lo, g_hi] * ↑2 c`` cropped. Besides the general lowering of those operators (``emit``: an
``Extend`` node, then the strided 1 -> 2 channel convolution by a strategy of ``strategies.py``),
this module runs them as a *polyphase schedule*:

* the extension is built from slices (forward, reversed, one sample repeated; no gather, whose
  transpose is a scatter-add into a zero signal) and materialised once;
* analysis reads the two polyphase components of the extended signal (one reshape) and sums
  contiguous slices of them times scalar taps, for each filter: only the kept samples are
  computed;
* synthesis computes its two output phases as "valid" convolutions of the coefficients and
  interleaves them in one pass (periodization: the outputs that wrap around are written into
  the others in place, with no periodically extended copy of the coefficients);
* the analysis is one primitive, ``wavelet_bank``, whose transpose (for ``jax.linear_transpose``
  and ``jax.vjp``) is the matched synthesis program, not JAX's transpose of the slices.

Which of the two runs a bank is the cost model's choice (:func:`strategy`, from
``cost.TUNING[platform]["multirate"]``); the transforms in ``convalgebra.signal`` ask it and
carry no platform knowledge. :func:`eager_max` is the size below which an eager call runs the
NumPy form of the same algebra (:func:`analysis_numpy`, :func:`synthesis_numpy`) instead of
compiling a program for each new length, mode and wavelet.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import ShapedArray
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

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
    """Samples per call up to which eager transforms run the NumPy forms (no compile)."""
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
    ``Extend`` mode, ``before`` the extended samples before ``x[0]``. One ``bank`` primitive
    (below): its transpose in ``x`` is the matched polyphase synthesis program, for
    ``jax.linear_transpose`` and ``jax.vjp`` alike.
    """
    a, d = _bank_p.bind(x, lo, hi, kind="analysis", mode=mode, before=before, size=count)
    return a, d


def _analysis_values(
    x: jax.Array, lo: jax.Array, hi: jax.Array, mode: str, before: int, count: int
) -> tuple[jax.Array, jax.Array]:
    """:func:`analysis` as plain ``jax.numpy`` (the primitive's implementation)."""
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
    inplace: bool = False,
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
    if periodic and inplace:  # the outputs that wrap around written in place (1-D: faster)
        return _periodic_synthesis(a, d, taps, shifts, length)
    if periodic:  # one materialised periodic window (the N-D transforms' moved axes: faster)
        return _phase_block(a, d, taps, shifts, 0, length, True)
    phases = []
    for (g_lo, g_hi), sh in zip(taps, shifts):
        o = sh - h + 1
        phases.append(
            valid(a[..., o : o + length + h - 1], g_lo, length)
            + valid(d[..., o : o + length + h - 1], g_hi, length)
        )
    return jnp.stack(phases, axis=-1).reshape(*a.shape[:-1], 2 * length)


def _phase_block(
    a: jax.Array, d: jax.Array, taps: list, shifts: list[int], q0: int, q1: int, wrap: bool
) -> jax.Array:
    """Outputs ``x[2q + r]``, ``q0 <= q < q1``, interleaved: ``sum_i g_r[i] c[q + shifts[r] -
    i]`` with ``c`` read periodically (``wrap``: a materialised periodic window of ``c``)."""
    h = taps[0][0].shape[0]
    src, stop = q0 + min(shifts) - h + 1, q1 + max(shifts)
    if 0 <= src and stop <= a.shape[-1]:
        a, d = a[..., src:stop], d[..., src:stop]
    elif wrap:
        a, d = (_periodic(c, src, stop) for c in (a, d))
    else:
        a, d = (window(c, src, stop, "periodic") for c in (a, d))
    count, phases = q1 - q0, []
    for (g_lo, g_hi), sh in zip(taps, shifts):
        o = q0 + sh - h + 1 - src
        phases.append(
            valid(a[..., o : o + count + h - 1], g_lo, count)
            + valid(d[..., o : o + count + h - 1], g_hi, count)
        )
    return jnp.stack(phases, axis=-1).reshape(*a.shape[:-1], 2 * count)


def _periodic_synthesis(
    a: jax.Array, d: jax.Array, taps: list, shifts: list[int], length: int
) -> jax.Array:
    """:func:`synthesis` of periodic coefficients: the outputs whose taps read no wrapped
    coefficient straight from ``a`` and ``d`` (no extended copy of them: that copy cost as much
    as the synthesis itself on 16 x 2^20), padded to full length, and the few border outputs
    written into it (in place)."""
    h, m = taps[0][0].shape[0], a.shape[-1]
    q0, q1 = max(0, h - 1 - min(shifts)), min(length, m - max(shifts))
    if q1 - q0 < 4 * (length - (q1 - q0)):  # short: one materialised periodic window
        return _phase_block(a, d, taps, shifts, 0, length, True)
    mid = _phase_block(a, d, taps, shifts, q0, q1, False)
    out = jnp.pad(mid, [(0, 0)] * (a.ndim - 1) + [(2 * q0, 2 * (length - q1))])
    if q0:
        head = _phase_block(a, d, taps, shifts, 0, q0, False)
        out = jax.lax.dynamic_update_slice_in_dim(out, head, 0, axis=-1)
    if q1 < length:
        tail = _phase_block(a, d, taps, shifts, q1, length, False)
        out = jax.lax.dynamic_update_slice_in_dim(out, tail, 2 * q1, axis=-1)
    return out


# ---- the analysis bank as one primitive: its transpose is the matched synthesis ------------
#
# JAX derives the transpose of :func:`strided` as one edge pad of a polyphase view per tap,
# summed, then the transpose of the extension (a full-size array per tap and a layout change):
# 2-3x the time of the synthesis program, which computes the same adjoint directly. A
# ``jax.custom_vjp`` would fix ``jax.vjp`` only (``jax.linear_transpose`` cannot transpose it),
# so the bank is a primitive, ``wavelet_bank``, of two kinds that are each other's transposes:
#
# * ``analysis``: ``(x, lo, hi) -> (a, d)``, the values of :func:`_analysis_values`;
# * ``adjoint``: ``(a, d, lo, hi) -> x``, its transpose in ``x``: ``ext^T(lo * ↑2 a + hi * ↑2 d)``
#   (:func:`_adjoint_values`; periodization reads the coefficients periodically, as the
#   synthesis of an orthogonal periodization bank does, and folds nothing but the repeated last
#   sample of an odd signal).
#
# Both lower to their ``jax.numpy`` programs (``mlir.lower_fun``). Tangents in the filters are
# the plain program (its transpose in the filters is the kernel gradient JAX derives: one
# reduction per tap); under ``vmap`` the signal's batch axis moves first (the bank batches over
# leading axes) and batched filters run the plain program.


def adjoint(
    a: jax.Array, d: jax.Array, lo: jax.Array, hi: jax.Array, mode: str, before: int, n: int
) -> jax.Array:
    """The transpose of :func:`analysis` in ``x`` (``n`` samples): ``ext^T (lo * ↑2 a + hi *
    ↑2 d)``, the matched polyphase synthesis (for an orthogonal periodization bank, the
    inverse)."""
    (x,) = _bank_p.bind(a, d, lo, hi, kind="adjoint", mode=mode, before=before, size=n)
    return x


def _upsampled(a: jax.Array, d: jax.Array, lo: jax.Array, hi: jax.Array, size: int) -> jax.Array:
    """``(lo * ↑2 a + hi * ↑2 d)[:size]`` (a full convolution), as two interleaved phases:
    ``y[2q + r] = sum_i lo[2i + r] a[q - i] + hi[2i + r] d[q - i]``."""
    f = lo.shape[0]
    half = -(-f // 2)
    width = -(-size // 2)
    cfg = [(0, 0)] * (a.ndim - 1) + [(half - 1, half - 1 + max(0, width + half - 1 - a.shape[-1]))]
    ap, dp = jnp.pad(a, cfg), jnp.pad(d, cfg)
    phases = []
    for r in (0, 1):
        g_lo, g_hi = lo[r::2], hi[r::2]
        o = half - g_lo.shape[0]
        phases.append(valid(ap[..., o:], g_lo, width) + valid(dp[..., o:], g_hi, width))
    y = jnp.stack(phases, axis=-1).reshape(*a.shape[:-1], 2 * width)
    return y[..., :size]


def _adjoint_values(
    a: jax.Array, d: jax.Array, lo: jax.Array, hi: jax.Array, mode: str, before: int, n: int
) -> jax.Array:
    """:func:`adjoint` as plain ``jax.numpy`` (the primitive's implementation)."""
    f, count = lo.shape[0], a.shape[-1]
    if mode == "periodization" and 2 * count == n + n % 2 and f >= 2:
        if f % 2:  # a zero tap at the end changes no value
            lo, hi = (jnp.pad(v, (0, 1)) for v in (lo, hi))
            f += 1
        b = -(-(f - 1 - before) // 2)  # x[t] = sum_k lo[t + before - 2k] a[k mod count] + ...
        y = synthesis(a, d, lo, hi, before + 2 * b, b, count, True, inplace=True)
        if n % 2:  # the repeated last sample folds back onto x[n - 1]
            y = jnp.concatenate([y[..., : n - 1], y[..., n - 1 : n] + y[..., n : n + 1]], -1)
        return y
    size = 2 * (count - 1) + f
    ye = _upsampled(a, d, lo, hi, size)
    like = jax.ShapeDtypeStruct((*a.shape[:-1], n), a.dtype)
    (x,) = jax.linear_transpose(lambda v: window(v, -before, size - before, mode), like)(ye)
    return x


def _bank_values(*args: jax.Array, kind: str, mode: str, before: int, size: int) -> list:
    if kind == "analysis":
        x, lo, hi = args
        return list(_analysis_values(x, lo, hi, mode, before, size))
    a, d, lo, hi = args
    return [_adjoint_values(a, d, lo, hi, mode, before, size)]


def _signals(kind: str) -> int:
    """How many leading arguments of the bank are signals (the rest are the two filters)."""
    return 1 if kind == "analysis" else 2


def _bank_abstract(*args: Any, kind: str, mode: str, before: int, size: int) -> list:
    x = args[0]
    out = ShapedArray((*x.shape[:-1], size), x.dtype)
    return [out, out] if kind == "analysis" else [out]


@functools.cache
def _bank_jitted(kind: str, mode: str, before: int, size: int) -> Any:
    return jax.jit(functools.partial(_bank_p.bind, kind=kind, mode=mode, before=before, size=size))


def _bank_jvp(primals: Any, tangents: Any, **params: Any) -> tuple[list, list]:
    out = _bank_p.bind(*primals, **params)
    k = _signals(params["kind"])
    terms = []
    if any(type(t) is not ad.Zero for t in tangents[:k]):  # linear in the signals
        lin = [ad.instantiate_zeros(t) for t in tangents[:k]]
        terms.append(_bank_p.bind(*lin, *primals[k:], **params))
    if any(type(t) is not ad.Zero for t in tangents[k:]):  # linear in the filters
        taps = [ad.instantiate_zeros(t) for t in tangents[k:]]
        terms.append(_bank_values(*primals[:k], *taps, **params))
    if not terms:
        return out, [ad.Zero(jax.typeof(o).to_tangent_aval()) for o in out]
    tan = terms[0] if len(terms) == 1 else [u + v for u, v in zip(*terms)]
    return out, list(tan)


def _bank_transpose(cts: Any, *args: Any, kind: str, mode: str, before: int, size: int) -> list:
    params: dict[str, Any] = dict(kind=kind, mode=mode, before=before, size=size)
    k = _signals(kind)
    sig, taps = args[:k], args[k:]
    if any(ad.is_undefined_primal(t) for t in taps):  # linear in the filters (signals fixed)
        if any(ad.is_undefined_primal(v) for v in sig):
            raise NotImplementedError("wavelet_bank: transposed in the signal and the filters")
        zeros = [jnp.zeros(t.aval.shape, t.aval.dtype) for t in taps]
        _, pull = jax.vjp(lambda *fs: _bank_values(*sig, *fs, **params), *zeros)
        return [None] * k + list(pull([ad.instantiate_zeros(c) for c in cts]))
    cts = [ad.instantiate_zeros(c) for c in cts]
    if kind == "analysis":
        n = sig[0].aval.shape[-1]
        (x,) = _bank_p.bind(*cts, *taps, kind="adjoint", mode=mode, before=before, size=n)
        return [x, None, None]
    count = sig[0].aval.shape[-1]
    a, d = _bank_p.bind(cts[0], *taps, kind="analysis", mode=mode, before=before, size=count)
    return [a, d, None, None]


def _bank_batch(args: Any, dims: Any, **params: Any) -> tuple[list, list]:
    k = _signals(params["kind"])
    if all(dim is None for dim in dims[k:]):  # batched signals: the batch axis first
        width = next(v.shape[dim] for v, dim in zip(args, dims) if dim is not None)
        sig = [
            jnp.moveaxis(v, dim, 0) if dim is not None else jnp.broadcast_to(v, (width, *v.shape))
            for v, dim in zip(args[:k], dims[:k])
        ]
        out = _bank_p.bind(*sig, *args[k:], **params)
    else:  # batched filters: the plain program, vectorised by JAX
        out = jax.vmap(functools.partial(_bank_values, **params), in_axes=tuple(dims))(*args)
    return list(out), [0] * len(out)


_bank_p = Primitive("wavelet_bank")
_bank_p.multiple_results = True
_bank_p.def_impl(lambda *args, **params: _bank_jitted(**params)(*args))
_bank_p.def_abstract_eval(_bank_abstract)
mlir.register_lowering(_bank_p, mlir.lower_fun(_bank_values, multiple_results=True))
ad.primitive_jvps[_bank_p] = _bank_jvp
ad.primitive_transposes[_bank_p] = _bank_transpose
batching.primitive_batchers[_bank_p] = _bank_batch


# ---- eager calls on small inputs: the same algebra in NumPy ----------------------------------
#
# An eager transform would compile one XLA program per (filter length, mode, length); a program
# serving a bucket of lengths still paid a dispatch, a pad and a gather per call (40-70x
# PyWavelets' time on small signals). Below :func:`eager_max` samples the transforms run these
# NumPy forms of the same polyphase algebra instead: no compile at all, the extension's index
# table (from ``Extend``'s definition) cached per (mode, length), each level one matrix product
# of the strided windows of the extended signal (analysis) or one weighted gather (synthesis).


@functools.lru_cache(maxsize=512)
def ext_table(mode: str, n: int, before: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The extended samples ``-before .. size - before - 1`` of a length-``n`` signal as
    ``ext[p] = sum_t w[t, p] x[idx[t, p]]`` (``t`` over the terms the mode needs, ``n >= 2``)."""
    from ..signal._extend import _terms  # the extension's definition (one place)

    p = np.arange(size) - before
    idx = np.zeros((3, size), np.intp)
    wts = np.zeros((3, size))
    inside = (p >= 0) & (p < n)
    idx[0, inside], wts[0, inside] = p[inside], 1.0
    out = p[~inside]
    for t, (i, w) in enumerate(_terms(mode, n, out)):
        idx[t, ~inside] = i
        wts[t, ~inside] = np.broadcast_to(w, out.shape)
    used = [t for t in range(3) if t == 0 or np.any(wts[t] != 0)]
    return idx[used], wts[used]


def _real(dtype: np.dtype) -> np.dtype:
    """The real dtype of ``dtype`` (complex64 -> float32)."""
    return np.finfo(dtype).dtype if np.dtype(dtype).kind in "fc" else np.dtype(float)


def _windows(
    x: np.ndarray, width: int, count: int, step: int, offset: int = 0, spacing: int = 1
) -> np.ndarray:
    """The view ``w[..., k, j] = x[..., offset + step * k + spacing * j]``, ``k < count``,
    ``j < width`` (no copy of a contiguous ``x``)."""
    x = np.ascontiguousarray(x)
    s = x.strides[-1]
    return np.lib.stride_tricks.as_strided(
        x[..., offset:],
        shape=(*x.shape[:-1], count, width),
        strides=(*x.strides[:-1], step * s, spacing * s),
        writeable=False,
    )


def analysis_numpy(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, mode: str, before: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`analysis` in NumPy (``x`` float or complex, ``n >= 2``; the result in its dtype)."""
    f = lo.shape[0]
    idx, wts = ext_table(mode, x.shape[-1], before, 2 * (count - 1) + f)
    rd = _real(x.dtype)
    xe = x[..., idx[0]]
    if not np.all(wts[0] == 1):
        xe = xe * wts[0].astype(rd)
    for t in range(1, idx.shape[0]):
        xe = xe + x[..., idx[t]] * wts[t].astype(rd)
    win = _windows(xe, f, count, 2)
    y = win @ np.stack([lo, hi], axis=-1).astype(rd)  # (..., count, 2)
    return y[..., 0], y[..., 1]


def synthesis_numpy(
    a: np.ndarray,
    d: np.ndarray,
    rec_lo: np.ndarray,
    rec_hi: np.ndarray,
    start: int,
    before: int,
    length: int,
    periodic: bool,
) -> np.ndarray:
    """:func:`synthesis` in NumPy: ``2 * length`` outputs of the coefficients ``a``, ``d``, each
    output phase one matrix product of the sliding windows of the coefficients."""
    rd = _real(np.result_type(a.dtype, d.dtype))
    rec_lo, rec_hi = (np.asarray(v, rd) for v in (rec_lo, rec_hi))
    if rec_lo.shape[0] % 2:  # a zero tap at the end changes no value
        rec_lo, rec_hi = (np.pad(v, (0, 1)) for v in (rec_lo, rec_hi))
    h, m = rec_lo.shape[0] // 2, a.shape[-1]
    taps, shifts = [], []
    for r in (0, 1):
        p = (r + start) % 2
        taps.append((rec_lo[p::2][::-1], rec_hi[p::2][::-1]))
        shifts.append((r + start) // 2 - before)  # x[2q + r] reads c[q + shift - i], i < h
    src, stop = min(shifts) - h + 1, length + max(shifts)
    if src < 0 or stop > m:
        pos = np.arange(src, stop)
        if periodic:
            a, d = a[..., pos % m], d[..., pos % m]
        else:
            keep = ((pos >= 0) & (pos < m)).astype(rd)
            a, d = a[..., np.clip(pos, 0, m - 1)] * keep, d[..., np.clip(pos, 0, m - 1)] * keep
    else:
        a, d = a[..., src:stop], d[..., src:stop]
    out = np.empty((*a.shape[:-1], 2 * length), np.result_type(a.dtype, d.dtype))
    for r, ((g_lo, g_hi), sh) in enumerate(zip(taps, shifts)):
        o = sh - h + 1 - src
        out[..., r::2] = _windows(a, h, length, 1, o) @ g_lo + _windows(d, h, length, 1, o) @ g_hi
    return out


def stationary_numpy(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, dilation: int
) -> tuple[np.ndarray, np.ndarray]:
    """One stationary (à trous) level in NumPy: ``(lo ⋆ ↑dilation, hi ⋆ ↑dilation)`` on the
    periodic signal, ``n`` outputs each (``lo``/``hi`` the correlation taps)."""
    n, f = x.shape[-1], lo.shape[0]
    before = dilation * (f // 2 - 1)
    xe = x[..., np.arange(-before, n - before + dilation * (f - 1)) % n]
    win = _windows(xe, f, n, 1, spacing=dilation)
    y = win @ np.stack([lo, hi], axis=-1).astype(_real(x.dtype))
    return y[..., 0], y[..., 1]
