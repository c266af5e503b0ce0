"""Discrete wavelet transforms (PyWavelets' conventions) built from the algebra.

One level of analysis is one operator on a channel axis: both filters (reversed, as output
channels) in one strided correlation after the boundary extension,
``↓2 ([h̃; g̃] ⋆ ext(x))`` (``(..., 1, n) -> (..., 2, m)``). Synthesis is
``crop([h', g'] * ↑2 c)``: one polyphase convolution summing the two channels. Multi-dimensional
transforms apply the 1-D bank along each axis; the stationary transform uses the à-trous
(dilated) filters ``↑2^j h``.
"""

from __future__ import annotations

from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from numpy.exceptions import AxisError

import convalgebra as ca

from ._extend import _terms, extend
from ._modes import _MODE_TO_EXT, _mode
from ._run import run
from ._wavelet import Wavelet, _inexact, _real, _wav, dwt_length


def extension(fn: str, f: int, n: int, mode: str) -> ca.Operator:
    """The boundary extension before a ``valid`` correlation with ``f`` taps (PyWavelets'):
    ``F - 2`` samples before and ``F - 1`` after (periodization: ``F/2 - 1`` on each side of the
    even-length periodic signal)."""
    if mode in ("reflect", "antireflect") and n < 2:
        raise ValueError(
            f"{fn}: {mode!r} mode needs at least 2 samples along the transformed axis, got {n} "
            "(as PyWavelets)"
        )
    if mode == "periodization":
        half = f // 2 - 1
        return extend((half, half + n % 2), "periodization")
    return extend((f - 2, f - 1), _MODE_TO_EXT[mode])


def analysis_op(w: Wavelet, n: int, mode: str, dtype: Any = float) -> ca.Operator:
    """One level of analysis as one operator, ``(..., 1, n) -> (..., 2, m)``.

    ``↓2 ([rev(dec_lo); rev(dec_hi)] ⋆ ext(x))``: the two filters are the output channels of one
    "valid" correlation; the extension puts ``F - 2`` samples before and ``F - 1`` after the
    signal (periodization: ``F/2 - 1`` on each side of the even-length periodic signal).
    """
    k = jnp.stack([w.dec_lo[::-1], w.dec_hi[::-1]])[:, None, :].astype(_real(dtype))
    return ca.down(2) @ ca.corr(k, "valid", ndim=1) @ extension("dwt", w.dec_len, n, mode)


def _synthesis_tail(f: int, m: int, mode: str) -> tuple[ca.Operator, ca.Operator]:
    """``(crop, pre)`` around ``q * ↑2``: the output window and the coefficient extension."""
    if mode == "periodization":
        s = f // 2 - 1
        before, after = -(-(f - 1 - s) // 2), -(-s // 2)
        full = 2 * (m + before + after) + f - 1
        start = s + 2 * before
        return ca.crop((start, full - start - 2 * m)), extend((before, after), "periodic")
    n = 2 * m - f + 2
    if n < 1:
        raise ValueError(
            f"idwt: {m} coefficients are too few for a filter of length {f} (the result would "
            f"have 2*{m} - {f} + 2 = {n} samples)"
        )
    return ca.crop((f - 2, f - 1)), ca.identity()


def synthesis_op(w: Wavelet, m: int, mode: str, dtype: Any = float) -> ca.Operator:
    """One level of synthesis as one operator, ``(..., 2, m) -> (..., 1, n)``.

    ``crop([rec_lo, rec_hi] * ↑2 c)``, a polyphase convolution summing both channels;
    ``n = 2m - F + 2`` (periodization: ``2m``, the coefficients extended periodically first).
    """
    k = jnp.stack([w.rec_lo, w.rec_hi])[None, :, :].astype(_real(dtype))
    crop, pre = _synthesis_tail(w.dec_len, m, mode)
    return crop @ ca.conv(k, "full", ndim=1) @ ca.up(2) @ pre


def synthesis_ops(
    w: Wavelet, m: int, mode: str, dtype: Any = float
) -> tuple[ca.Operator, ca.Operator]:
    """The two branches of synthesis, ``(..., m) -> (..., n)`` each: ``x = S_lo a + S_hi d``.

    ``S_c = crop(rec_c * ↑2 pre(c))``: single-filter operators, which the ``"shift"`` strategy
    runs as polyphase multiply-adds (on CPU about 4x faster than the stacked 2 -> 1 channel
    convolution of :func:`synthesis_op`, the same values).
    """
    crop, pre = _synthesis_tail(w.dec_len, m, mode)
    rd = _real(dtype)
    return cast(
        "tuple[ca.Operator, ca.Operator]",
        tuple(crop @ ca.conv(f.astype(rd), "full") @ ca.up(2) @ pre for f in (w.rec_lo, w.rec_hi)),
    )


def _last(fn: str, x: jax.Array, axis: int) -> tuple[jax.Array, int]:
    if x.ndim == 0:
        raise ValueError(f"{fn}: data must have at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise AxisError(  # a ValueError (and IndexError), as PyWavelets'
            f"{fn}: axis {axis} is out of range for data of shape {x.shape}"
        )
    return jnp.moveaxis(x, axis, -1), axis % x.ndim


#: The convolution strategy of the stationary transform's own calls (``swt``). The filters of a
#: level are a 1 -> 2 channel convolution: on CPU, shifted multiply-adds beat XLA's convolution
#: by 5-20x at these channel counts. The operators themselves (``analysis_op``, ``dwt_bank``)
#: keep the cost model's choice.
STRATEGY = "shift"


def _fast(op: ca.Operator) -> ca.Operator:
    return ca.lower(op, strategy=STRATEGY) if STRATEGY else op


# ---- the decimated transforms' kernels ----------------------------------------------------------
#
# ``dwt``/``idwt``/``wavedec``/``waverec`` (and the N-D forms, one axis at a time) compute the
# values of :func:`analysis_op` / :func:`synthesis_op` in a polyphase schedule written for XLA's
# CPU loop emitter (measured against those operators lowered by the "shift" strategy, 16 x 2^20
# float32 samples, db4; README, signal benchmarks): the extension is built from slices (no
# gather, whose transpose is a scatter-add into a zero signal) and materialised once; each filter
# is a sum of contiguous slices of the two polyphase components times scalar taps (no 1-channel
# ``dot_general`` and relayout; the transpose is edge pads, not interior-padded arrays); synthesis
# writes its two output phases interleaved in one pass. Only the kept samples are computed.
# Splitting off the border outputs instead of materialising the extension measured slower (XLA
# fuses the re-assembly into the next level's taps).


def _window(x: jax.Array, start: int, stop: int, mode: str) -> jax.Array:
    """Samples ``start .. stop - 1`` of ``x`` extended along its last axis in ``mode``
    (positions relative to ``x[..., 0]``; an ``_extend`` mode name)."""
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
    """The extension at positions ``pos`` outside ``[0, n)``: ``_extend``'s terms, each read as
    runs of slices (forward, reversed or one sample repeated) rather than a gather, so that the
    transpose is pads (a gather transposes to a scatter-add into a zero signal)."""
    out = None
    for idx, wts in _terms(mode, x.shape[-1], pos):
        wts = np.broadcast_to(np.asarray(wts, dtype=float), idx.shape)
        if np.all(wts == 0):
            continue
        pieces, i = [], 0
        while i < idx.size:
            step = int(idx[i + 1] - idx[i]) if i + 1 < idx.size else 0
            step = step if step in (-1, 0, 1) else 0
            j = i + 1
            while j < idx.size and idx[j] - idx[j - 1] == step:
                j += 1
            lo, hi = int(min(idx[i], idx[j - 1])), int(max(idx[i], idx[j - 1]))
            if step == 0:
                piece = jnp.broadcast_to(x[..., lo : lo + 1], (*x.shape[:-1], j - i))
            else:
                piece = x[..., lo : hi + 1]
                if step < 0:
                    piece = jnp.flip(piece, axis=-1)
            if not np.all(wts[i:j] == 1):
                piece = piece * jnp.asarray(wts[i:j], dtype=x.dtype)
            pieces.append(piece)
            i = j
        part = pieces[0] if len(pieces) == 1 else jnp.concatenate(pieces, axis=-1)
        out = part if out is None else out + part
    return jnp.zeros((*x.shape[:-1], pos.size), x.dtype) if out is None else out


def _strided(xe: jax.Array, h: jax.Array, count: int) -> jax.Array:
    """``y[k] = sum_j h[j] xe[2k + j]`` for ``k < count`` (a stride-2 "valid" correlation).

    Read through the polyphase view ``xe[2p + r] = xr[p, r]`` (a reshape): every tap is a
    contiguous slice of one phase, and the transpose (``jax.linear_transpose`` / ``vjp``) is a
    sum of edge pads of that view, not of interior-padded (dilated) arrays.
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
    return sum(h[j] * phase[j % 2][..., j // 2 : j // 2 + count] for j in range(f))  # pyright: ignore[reportReturnType]


def _valid(c: jax.Array, g: jax.Array, count: int) -> jax.Array:
    """``y[q] = sum_i g[i] c[q + len(g) - 1 - i]`` for ``q < count`` (a "valid" convolution)."""
    h = g.shape[0]
    return sum(g[i] * c[..., h - 1 - i : h - 1 - i + count] for i in range(h))  # pyright: ignore[reportReturnType]


def _analysis(x: jax.Array, w: Wavelet, mode: str) -> tuple[jax.Array, jax.Array]:
    """One level of analysis on the last axis: the values of :func:`analysis_op`."""
    n, f = x.shape[-1], w.dec_len
    if mode in ("reflect", "antireflect") and n < 2:
        raise ValueError(
            f"dwt: {mode!r} mode needs at least 2 samples along the transformed axis, got {n} "
            "(as PyWavelets)"
        )
    h_lo = jnp.asarray(w.dec_lo)[::-1].astype(x.dtype)  # complex signals: complex taps
    h_hi = jnp.asarray(w.dec_hi)[::-1].astype(x.dtype)
    ext = _MODE_TO_EXT[mode]
    b = f // 2 - 1 if mode == "periodization" else f - 2  # extended samples before x[0]
    m = dwt_length(n, f, mode)

    # the extended signal, materialised (one copy; the taps then read contiguous phases)
    xe = _window(x, -b, 2 * (m - 1) - b + f, ext)
    return _strided(xe, h_lo, m), _strided(xe, h_hi, m)


def _synthesis(a: jax.Array, d: jax.Array, w: Wavelet, mode: str) -> jax.Array:
    """One level of synthesis on the last axis: the values of :func:`synthesis_op`.

    The output phase ``r`` is ``x[2q + r] = sum_i (lo[2i + p] a[q + s - i] + hi[2i + p] d[...])``
    (``p``, ``s`` fixed per phase): two "valid" convolutions of the coefficients (periodic in
    periodization mode), interleaved.
    """
    m, f = a.shape[-1], w.dec_len
    h = f // 2
    if mode == "periodization":
        s0 = f // 2 - 1
        before = -(-(f - 1 - s0) // 2)  # the periodic coefficient extension of synthesis_op
        start, length = s0 + 2 * before, m
    else:
        length = m - h + 1
        if length < 1:
            raise ValueError(
                f"idwt: {m} coefficients are too few for a filter of length {f} (the result "
                f"would have 2*{m} - {f} + 2 = {2 * length} samples)"
            )
        before, start = 0, f - 2
    rec_lo = jnp.asarray(w.rec_lo).astype(a.dtype)
    rec_hi = jnp.asarray(w.rec_hi).astype(a.dtype)
    taps, shifts = [], []
    for r in (0, 1):
        t0 = r + start
        p = t0 % 2
        taps.append((rec_lo[p::2], rec_hi[p::2]))
        shifts.append(t0 // 2 - before)  # x[2q + r] reads c[q + shift - i], i < h

    def interleaved(ca_: jax.Array, cd: jax.Array, q_a: int, q_b: int, src: int) -> jax.Array:
        """``x[2 q_a : 2 q_b]`` from coefficient arrays starting at position ``src``."""
        phases = []
        for (g_lo, g_hi), sh in zip(taps, shifts):
            o = q_a + sh - h + 1 - src
            n_q = q_b - q_a
            phases.append(
                _valid(ca_[..., o : o + n_q + h - 1], g_lo, n_q)
                + _valid(cd[..., o : o + n_q + h - 1], g_hi, n_q)
            )
        return jnp.stack(phases, axis=-1).reshape(*ca_.shape[:-1], 2 * (q_b - q_a))

    if mode != "periodization":  # every output reads inside the coefficients
        return interleaved(a, d, 0, length, 0)
    lo_, hi_ = min(shifts) - h + 1, length + max(shifts)
    wa, wd = (_window(c, lo_, hi_, "periodic") for c in (a, d))
    return interleaved(wa, wd, 0, length, lo_)


_dwt_last = jax.jit(_analysis, static_argnames="mode")


def _dwt_lowered(x: jax.Array, w: Wavelet, mode: str) -> tuple[jax.Array, jax.Array]:
    """One level as :func:`analysis_op` lowered with :data:`STRATEGY`: the N-D transforms keep
    it (their gradient with respect to the filters measured 1.7x faster than through
    :func:`_analysis` on 8 x 1024^2, the forward the same)."""
    y = run(_fast(analysis_op(w, x.shape[-1], mode, x.dtype)), x[..., None, :])
    return y[..., 0, :], y[..., 1, :]


_idwt_last = jax.jit(_synthesis, static_argnames="mode")


def dwt(
    data: jax.typing.ArrayLike, wavelet: Any, mode: str = "symmetric", axis: int = -1
) -> tuple[jax.Array, jax.Array]:
    """One level of the discrete wavelet transform, as ``pywt.dwt``.

    Args:
      data: the signal; transformed along ``axis`` (length ``n``), batched over the others.
      wavelet: a name ("db2", "sym4", "bior2.2", ...; needs PyWavelets), a ``pywt.Wavelet``, a
        :class:`Wavelet` or four filters ``(dec_lo, dec_hi, rec_lo, rec_hi)``.
      mode: a PyWavelets signal-extension mode: "zero", "constant", "symmetric", "periodic",
        "smooth", "periodization", "reflect", "antisymmetric", "antireflect".
      axis: the axis to transform.

    Returns:
      ``(cA, cD)``, each with ``axis`` of length ``floor((n + F - 1) / 2)`` (periodization:
      ``ceil(n / 2)``).

    Raises:
      ValueError: an unknown mode or wavelet, a bad axis.

    Example:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> f = 0.5**0.5
      >>> cA, cD = cs.dwt(jnp.array([1.0, 3.0]), ([f, f], [-f, f], [f, f], [f, -f]), "zero")
      >>> [round(float(v), 6) for v in cA]
      [2.828427]
    """
    w = _wav(wavelet, "dwt")
    mode = _mode("dwt", mode)
    x, ax = _last("dwt", _inexact(jnp.asarray(data)), axis)
    a, d = _dwt_last(x, w, mode)
    return jnp.moveaxis(a, -1, ax), jnp.moveaxis(d, -1, ax)


def _pair(fn: str, ca_: Any, cd: Any) -> tuple[jax.Array, jax.Array]:
    if ca_ is None and cd is None:
        raise ValueError(f"{fn}: at least one of cA and cD must be given, got both None")
    a = None if ca_ is None else _inexact(jnp.asarray(ca_))
    d = None if cd is None else _inexact(jnp.asarray(cd))
    if a is None:
        assert d is not None  # one of them is given
        a = jnp.zeros_like(d)
    if d is None:
        d = jnp.zeros_like(a)
    if a.shape != d.shape:
        raise ValueError(f"{fn}: cA and cD must have the same shape, got {a.shape} and {d.shape}")
    dt = jnp.result_type(a.dtype, d.dtype) if a.dtype != d.dtype else a.dtype
    return a.astype(dt), d.astype(dt)


def idwt(cA: Any, cD: Any, wavelet: Any, mode: str = "symmetric", axis: int = -1) -> jax.Array:
    """One level of the inverse DWT, as ``pywt.idwt`` (``None`` for a missing band).

    Returns:
      An array with ``axis`` of length ``2m - F + 2`` (periodization: ``2m``) for ``m``
      coefficients.

    Raises:
      ValueError: cA and cD of different shapes, an unknown mode or wavelet, too few
        coefficients for the filter.
    """
    w = _wav(wavelet, "idwt")
    mode = _mode("idwt", mode)
    a, d = _pair("idwt", cA, cD)
    a, ax = _last("idwt", a, axis)
    d = jnp.moveaxis(d, axis, -1)
    return jnp.moveaxis(_idwt_last(a, d, w, mode), -1, ax)
