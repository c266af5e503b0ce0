"""Discrete wavelet transforms (PyWavelets' conventions) built from the algebra.

One level of analysis is one operator on a channel axis: both filters (reversed, as output
channels) in one strided correlation after the boundary extension,
``↓2 ([h̃; g̃] ⋆ ext(x))`` (``(..., 1, n) -> (..., 2, m)``). Synthesis is
``crop([h', g'] * ↑2 c)``: one polyphase convolution summing the two channels. Multi-dimensional
transforms apply the 1-D bank along each axis; the stationary transform uses the à-trous
(dilated) filters ``↑2^j h``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import warnings
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from ._extend import PYWT_MODES, _terms, extend
from ._run import run

_MODE_TO_EXT = {
    "zero": "zero",
    "constant": "edge",
    "symmetric": "symmetric",
    "periodic": "periodic",
    "smooth": "smooth",
    "reflect": "reflect",
    "antisymmetric": "antisymmetric",
    "antireflect": "antireflect",
    "periodization": "periodization",
}
_MODE_ALIASES = {
    "sym": "symmetric",
    "per": "periodization",
    "ppd": "periodic",
    "zpd": "zero",
    "cpd": "constant",
    "sp1": "smooth",
    "asym": "antisymmetric",
    "reflect": "reflect",
    "symw": "reflect",
    "asymw": "antireflect",
}


@dataclasses.dataclass(frozen=True, eq=False)
class Wavelet:
    """The four filters of a (bi)orthogonal two-channel wavelet, as PyWavelets defines them.

    ``dec_lo``/``dec_hi`` analyse (convolved, then every other sample kept); ``rec_lo``/``rec_hi``
    synthesise. All four have the same even length ``F``.
    """

    name: str
    dec_lo: np.ndarray
    dec_hi: np.ndarray
    rec_lo: np.ndarray
    rec_hi: np.ndarray

    def __post_init__(self) -> None:
        for name in ("dec_lo", "dec_hi", "rec_lo", "rec_hi"):
            f = getattr(self, name)
            if isinstance(f, (list, tuple)):
                object.__setattr__(self, name, np.asarray(f, dtype=float))

    @property
    def dec_len(self) -> int:
        return int(self.dec_lo.shape[0])

    @property
    def filter_bank(self) -> tuple[np.ndarray, ...]:
        return (self.dec_lo, self.dec_hi, self.rec_lo, self.rec_hi)

    def __repr__(self) -> str:
        return f"Wavelet({self.name!r}, F={self.dec_len})"


# a pytree: the filters are leaves, so transforms jit with the wavelet as an argument
jax.tree_util.register_dataclass(
    Wavelet, data_fields=["dec_lo", "dec_hi", "rec_lo", "rec_hi"], meta_fields=["name"]
)


def wavelet(w: Any, fn: str = "wavelet") -> Wavelet:
    """Canonicalises a wavelet: a :class:`Wavelet`, a ``pywt.Wavelet``, a name (needs
    PyWavelets) or the four filters ``(dec_lo, dec_hi, rec_lo, rec_hi)``.

    Raises:
      ImportError: a name given without PyWavelets installed (the ``signal`` extra).
      ValueError: an unknown name, or filters of different or zero lengths, or not 1-D.
    """
    if isinstance(w, Wavelet):
        return w
    name = "custom"
    if isinstance(w, str):
        try:
            import pywt
        except ImportError:
            raise ImportError(
                f"{fn}: the wavelet name {w!r} needs PyWavelets (pip install "
                "'convalgebra[signal]'); or pass the filters as arrays "
                "(dec_lo, dec_hi, rec_lo, rec_hi)"
            ) from None
        try:
            w = pywt.Wavelet(w)  # pyright: ignore[reportAttributeAccessIssue]  # compiled, no stub
        except ValueError:
            raise ValueError(
                f"{fn}: unknown wavelet {w!r}; choose a discrete wavelet of pywt.wavelist("
                "kind='discrete'), e.g. 'db2', 'sym4', 'coif1', 'bior2.2', 'rbio3.1', 'haar'"
            ) from None
    if hasattr(w, "filter_bank"):
        name = str(getattr(w, "name", "custom"))
        bank = w.filter_bank
    else:
        bank = w
    try:
        filters = [np.asarray(f, dtype=float) for f in bank]
    except (TypeError, ValueError):
        raise ValueError(
            f"{fn}: a wavelet must be a name, a pywt.Wavelet or four filters "
            f"(dec_lo, dec_hi, rec_lo, rec_hi); got {w!r}"
        ) from None
    if len(filters) != 4 or any(f.ndim != 1 for f in filters):
        raise ValueError(
            f"{fn}: a wavelet needs four 1-D filters (dec_lo, dec_hi, rec_lo, rec_hi), got "
            f"{len(filters)} arrays of shapes {[f.shape for f in filters]}"
        )
    lens = {f.shape[0] for f in filters}
    if len(lens) != 1 or min(lens) < 2:
        raise ValueError(
            f"{fn}: the four filters must have one common length >= 2 (pad the shorter with "
            f"zeros), got lengths {[f.shape[0] for f in filters]}"
        )
    return Wavelet(name, *filters)


_wav = wavelet


def _mode(fn: str, mode: Any) -> str:
    if isinstance(mode, str):
        mode = _MODE_ALIASES.get(mode, mode)
    if mode not in PYWT_MODES:
        raise ValueError(f"{fn}: unknown mode {mode!r}; choose one of {PYWT_MODES}")
    return mode


def _real(dtype: Any) -> np.dtype:
    # float64 only where x64 is enabled (the default dtype of the session otherwise)
    return np.dtype(jax.dtypes.canonicalize_dtype(np.finfo(np.dtype(dtype)).dtype))


def _inexact(x: jax.Array) -> jax.Array:
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x.astype(jnp.zeros((), float).dtype)
    return x


def dwt_length(n: int, filter_len: int, mode: str) -> int:
    """The number of coefficients of one level: ``floor((n + F - 1) / 2)``, or ``ceil(n / 2)``
    in periodization mode (``pywt.dwt_coeff_len``)."""
    if mode == "periodization":
        return -(-n // 2)
    return (n + filter_len - 1) // 2


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
        raise ValueError(f"{fn}: axis {axis} is out of range for data of shape {x.shape}")
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


def dwt_max_level(data_len: int, filter_len: Any) -> int:
    """The deepest useful level, ``floor(log2(n / (F - 1)))`` (``pywt.dwt_max_level``)."""
    if not isinstance(filter_len, (int, np.integer)):
        filter_len = wavelet(filter_len, "dwt_max_level").dec_len
    if filter_len < 2 or data_len < filter_len - 1:
        return 0
    return math.floor(math.log2(data_len / (filter_len - 1)))


def _level(fn: str, n: int, f: int, level: Any) -> int:
    top = dwt_max_level(n, f)
    if level is None:
        return top
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"{fn}: level must be an int or None, got {level!r}")
    if level < 0:
        raise ValueError(f"{fn}: level must be >= 0, got {level}")
    if level > top:
        warnings.warn(
            f"Level value of {level} is too high: all coefficients will experience boundary "
            "effects.",
            UserWarning,
            stacklevel=3,
        )
    return int(level)


def wavedec(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    mode: str = "symmetric",
    level: int | None = None,
    axis: int = -1,
) -> list[jax.Array]:
    """Multi-level 1-D decomposition, as ``pywt.wavedec``: ``[cA_n, cD_n, ..., cD_1]``.

    ``level=None`` takes :func:`dwt_max_level`; a deeper level warns as PyWavelets does.
    """
    w = _wav(wavelet, "wavedec")
    mode = _mode("wavedec", mode)
    x, ax = _last("wavedec", _inexact(jnp.asarray(data)), axis)
    level = _level("wavedec", x.shape[-1], w.dec_len, level)
    return [jnp.moveaxis(c, -1, ax) for c in _wavedec_last(x, w, mode, level)]


@functools.partial(jax.jit, static_argnames=("mode", "level"))
def _wavedec_last(x: jax.Array, w: Wavelet, mode: str, level: int) -> list[jax.Array]:
    """All levels as one compiled program (per shape, dtype, mode and level)."""
    out = []
    a = x
    for _ in range(level):
        a, d = _analysis(a, w, mode)
        out.append(d)
    return [a, *out[::-1]]


@functools.partial(jax.jit, static_argnames=("mode",))
def _waverec_last(a: jax.Array, ds: list[jax.Array], w: Wavelet, mode: str) -> jax.Array:
    """All levels as one compiled program; ``ds`` checked by :func:`waverec`."""
    for d in ds:
        if a.shape[-1] == d.shape[-1] + 1:
            a = a[..., :-1]
        dt = jnp.result_type(a.dtype, d.dtype)
        a = _synthesis(a.astype(dt), d.astype(dt), w, mode)
    return a


def waverec(coeffs: Any, wavelet: Any, mode: str = "symmetric", axis: int = -1) -> jax.Array:
    """Multi-level 1-D reconstruction, as ``pywt.waverec``.

    An approximation one sample longer than the next detail is trimmed (odd lengths).

    Raises:
      ValueError: fewer than two coefficient arrays, or lengths that no decomposition gives.
    """
    w = _wav(wavelet, "waverec")
    mode = _mode("waverec", mode)
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) < 1:
        raise ValueError(
            f"waverec: coeffs must be a non-empty list [cA_n, cD_n, ..., cD_1], got {coeffs!r}"
        )
    a = _inexact(jnp.asarray(coeffs[0]))
    if len(coeffs) == 1:
        return a
    a, ax = _last("waverec", a, axis)
    ds = []
    shape = a.shape
    for j, d in enumerate(coeffs[1:], start=1):
        if d is None:
            d = jnp.zeros(shape, a.dtype)
        else:
            d = jnp.moveaxis(_inexact(jnp.asarray(d)), axis, -1)
        if shape[-1] == d.shape[-1] + 1:
            shape = (*shape[:-1], shape[-1] - 1)
        if shape != d.shape:
            raise ValueError(
                f"waverec: coefficient shape mismatch at coeffs[{j}]: the approximation has "
                f"shape {np.moveaxis(np.empty(shape, np.int8), -1, ax).shape}, the detail "
                f"{jnp.moveaxis(d, -1, ax).shape} (lengths must be equal, or the approximation "
                "one longer)"
            )
        ds.append(d)
        m = shape[-1]
        n = 2 * m if mode == "periodization" else 2 * m - w.dec_len + 2
        if n < 1:
            raise ValueError(
                f"idwt: {m} coefficients are too few for a filter of length {w.dec_len} (the "
                f"result would have 2*{m} - {w.dec_len} + 2 = {n} samples)"
            )
        shape = (*shape[:-1], n)
    return jnp.moveaxis(_waverec_last(a, ds, w, mode), -1, ax)


# ---- N-D -----------------------------------------------------------------------------------


def _axes(fn: str, ndim: int, axes: Any) -> tuple[int, ...]:
    axes = tuple(range(ndim)) if axes is None else tuple(np.atleast_1d(axes).tolist())
    if not axes:
        raise ValueError(f"{fn}: axes must not be empty")
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{fn}: axis {a} is out of range for data of {ndim} dimensions")
    canon = tuple(a % ndim for a in axes)
    if len(set(canon)) != len(canon):
        raise ValueError(f"{fn}: axes must be distinct, got {axes}")
    return canon


def dwtn(
    data: jax.typing.ArrayLike, wavelet: Any, mode: str = "symmetric", axes: Any = None
) -> dict[str, jax.Array]:
    """One level of the N-D DWT, as ``pywt.dwtn``: keys like ``"ad"`` (approximation along the
    first axis, detail along the second)."""
    w = _wav(wavelet, "dwtn")
    mode = _mode("dwtn", mode)
    x = _inexact(jnp.asarray(data))
    axes = _axes("dwtn", x.ndim, axes)
    out = {"": x}
    for ax in axes:
        nxt = {}
        for key, v in out.items():
            v = jnp.moveaxis(v, ax, -1)
            a, d = _dwt_lowered(v, w, mode)
            nxt[key + "a"] = jnp.moveaxis(a, -1, ax)
            nxt[key + "d"] = jnp.moveaxis(d, -1, ax)
        out = nxt
    return out


def idwtn(
    coeffs: dict[str, Any], wavelet: Any, mode: str = "symmetric", axes: Any = None
) -> jax.Array:
    """One level of the inverse N-D DWT, as ``pywt.idwtn`` (missing or ``None`` keys are zeros).

    Raises:
      ValueError: keys of different lengths or letters other than a/d, or coefficient arrays of
        different shapes.
    """
    w = _wav(wavelet, "idwtn")
    mode = _mode("idwtn", mode)
    given = {k: v for k, v in dict(coeffs).items() if v is not None}
    if not given:
        raise ValueError("idwtn: coeffs has no array (all None or empty)")
    lens = {len(k) for k in given}
    if len(lens) != 1 or any(set(k) - {"a", "d"} for k in given):
        raise ValueError(
            f"idwtn: keys must be strings of 'a'/'d' of one length, got {sorted(given)}"
        )
    arrs = {k: _inexact(jnp.asarray(v)) for k, v in given.items()}
    shapes = {v.shape for v in arrs.values()}
    if len(shapes) != 1:
        raise ValueError(
            "idwtn: all coefficient arrays must have the same shape, got "
            + ", ".join(f"{k}: {v.shape}" for k, v in sorted(arrs.items()))
        )
    nd = lens.pop()
    shape = shapes.pop()
    axes = _axes("idwtn", len(shape), axes)
    if len(axes) != nd:
        raise ValueError(f"idwtn: keys of length {nd} need {nd} axes, got axes {axes}")
    dt = jnp.result_type(*[v.dtype for v in arrs.values()])
    zero = jnp.zeros(shape, dt)
    cur = {
        "".join(k): arrs.get("".join(k), zero).astype(dt)
        for k in itertools.product("ad", repeat=nd)
    }
    for i in reversed(range(nd)):
        ax = axes[i]
        nxt = {}
        for key in {k[:i] for k in cur}:
            a = jnp.moveaxis(cur[key + "a"], ax, -1)
            d = jnp.moveaxis(cur[key + "d"], ax, -1)
            nxt[key] = jnp.moveaxis(_idwt_last(a, d, w, mode), -1, ax)
        cur = nxt
    return cur[""]


def dwt2(data: Any, wavelet: Any, mode: str = "symmetric", axes: Any = (-2, -1)):
    """One level of the 2-D DWT, as ``pywt.dwt2``: ``(cA, (cH, cV, cD))``."""
    if len(tuple(axes)) != 2:
        raise ValueError(f"dwt2: needs two axes, got {axes}")
    c = dwtn(data, wavelet, mode, axes)
    return c["aa"], (c["da"], c["ad"], c["dd"])


def idwt2(coeffs: Any, wavelet: Any, mode: str = "symmetric", axes: Any = (-2, -1)):
    """One level of the inverse 2-D DWT, as ``pywt.idwt2``; ``coeffs = (cA, (cH, cV, cD))``."""
    if len(tuple(axes)) != 2:
        raise ValueError(f"idwt2: needs two axes, got {axes}")
    try:
        a, (h, v, d) = coeffs
    except (TypeError, ValueError):
        raise ValueError("idwt2: coeffs must be (cA, (cH, cV, cD))") from None
    return idwtn({"aa": a, "da": h, "ad": v, "dd": d}, wavelet, mode, axes)


def wavedec2(
    data: Any,
    wavelet: Any,
    mode: str = "symmetric",
    level: int | None = None,
    axes: Any = (-2, -1),
) -> list[Any]:
    """Multi-level 2-D decomposition, as ``pywt.wavedec2``:
    ``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]``."""
    w = _wav(wavelet, "wavedec2")
    x = _inexact(jnp.asarray(data))
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"wavedec2: needs two axes, got {axes}")
    ax = _axes("wavedec2", x.ndim, axes)
    level = _level("wavedec2", min(x.shape[a] for a in ax), w.dec_len, level)
    out = []
    a = x
    for _ in range(level):
        a, det = dwt2(a, w, mode, axes)
        out.append(det)
    return [a, *out[::-1]]


def waverec2(coeffs: Any, wavelet: Any, mode: str = "symmetric", axes: Any = (-2, -1)):
    """Multi-level 2-D reconstruction, as ``pywt.waverec2`` (approximations trimmed by one
    sample along an axis where they are one longer than the details)."""
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) < 1:
        raise ValueError("waverec2: coeffs must be [cA_n, (cH_n, cV_n, cD_n), ...]")
    a = _inexact(jnp.asarray(coeffs[0]))
    axes = tuple(axes)
    ax = _axes("waverec2", a.ndim, axes)
    for j, det in enumerate(coeffs[1:], start=1):
        ref = next((d for d in det if d is not None), None)
        if ref is not None:
            ref = jnp.asarray(ref)
            sl = [slice(None)] * a.ndim
            for i in ax:
                if a.shape[i] == ref.shape[i] + 1:
                    sl[i] = slice(0, ref.shape[i])
            a = a[tuple(sl)]
            if a.shape != ref.shape:
                raise ValueError(
                    f"waverec2: coefficient shape mismatch at coeffs[{j}]: approximation "
                    f"{a.shape}, details {ref.shape}"
                )
        a = idwt2((a, tuple(det)), wavelet, mode, axes)
    return a


# ---- stationary (undecimated, à trous) ------------------------------------------------------


def swt_max_level(input_len: int) -> int:
    """The number of times ``input_len`` divides by 2 (``pywt.swt_max_level``)."""
    n, k = int(input_len), 0
    while n > 0 and n % 2 == 0:
        n //= 2
        k += 1
    return k


def swt_op(w: Wavelet, dilation: int, dtype: Any = float, norm: bool = False) -> ca.Operator:
    """One stationary level as one operator, ``(..., 1, n) -> (..., 2, n)``: the two reversed
    filters, dilated by ``2^j`` (``ca.dilate``: ``rhs_dilation``), on the periodic signal."""
    f = w.dec_len
    k = jnp.stack([w.dec_lo[::-1], w.dec_hi[::-1]])[:, None, :].astype(_real(dtype))
    if norm:
        k = k / np.sqrt(2.0).astype(k.dtype)
    corr = ca.corr(k, "valid", ndim=1)
    before = dilation * (f // 2 - 1)
    after = dilation * f - 1 - before
    op = corr if dilation == 1 else ca.dilate(cast(ca.Filter, corr), dilation)
    return op @ extend((before, after), "periodic")


def swt(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    level: int | None = None,
    start_level: int = 0,
    axis: int = -1,
    trim_approx: bool = False,
    norm: bool = False,
) -> list[Any]:
    """The stationary wavelet transform, as ``pywt.swt``: ``[(cA_n, cD_n), ..., (cA_1, cD_1)]``
    (``trim_approx``: ``[cA_n, cD_n, ..., cD_1]``), every band as long as the signal.

    Raises:
      ValueError: a level below 1 or above :func:`swt_max_level` (the length must be divisible
        by ``2**level``, as in PyWavelets).
    """
    w = _wav(wavelet, "swt")
    x, ax = _last("swt", _inexact(jnp.asarray(data)), axis)
    n = x.shape[-1]
    top = swt_max_level(n)
    if level is None:
        level = top
    if level < 1:
        raise ValueError(f"swt: level must be >= 1, got {level}")
    if level > top:
        raise ValueError(
            f"swt: level {level} is too high for a signal of length {n}: the length must be "
            f"divisible by 2**level; the maximum level is {top}"
        )
    if start_level < 0 or start_level + level > 64:
        raise ValueError(f"swt: start_level must be >= 0, got {start_level}")
    out = []
    a = x
    for j in range(start_level, start_level + level):
        y = run(_fast(swt_op(w, 2**j, x.dtype, norm)), a[..., None, :])
        a, d = y[..., 0, :], y[..., 1, :]
        out.append((jnp.moveaxis(a, -1, ax), jnp.moveaxis(d, -1, ax)))
    out = out[::-1]
    if trim_approx:
        return [out[0][0], *[d for _, d in out]]
    return out


def iswt(coeffs: Any, wavelet: Any, norm: bool = False, axis: int = -1) -> jax.Array:
    """The inverse stationary transform, as ``pywt.iswt``: at each level the two decimated
    reconstructions (even and odd phases, periodization ``idwt``) are averaged.

    ``coeffs``: ``[(cA_n, cD_n), ..., (cA_1, cD_1)]`` or the ``trim_approx`` form
    ``[cA_n, cD_n, ..., cD_1]``.
    """
    w = _wav(wavelet, "iswt")
    if norm:
        w = Wavelet(w.name, *(f * np.sqrt(2.0) for f in w.filter_bank))
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise ValueError("iswt: coeffs must be a non-empty list from swt")
    if isinstance(coeffs[0], (tuple, list)):
        a = coeffs[0][0]
        details = [c[1] for c in coeffs]
    else:
        a, details = coeffs[0], list(coeffs[1:])
    a, ax = _last("iswt", _inexact(jnp.asarray(a)), axis)
    n = a.shape[-1]
    nlev = len(details)
    if n % (2**nlev):
        raise ValueError(f"iswt: the length {n} must be divisible by 2**levels = {2**nlev}")
    for i, d in enumerate(details):
        d = jnp.moveaxis(_inexact(jnp.asarray(d)), axis, -1)
        if d.shape != a.shape:
            raise ValueError(
                f"iswt: every band must have the approximation's shape {a.shape}, got {d.shape} "
                f"at level {nlev - i}"
            )
        dt = jnp.result_type(a.dtype, d.dtype)
        a, d = a.astype(dt), d.astype(dt)
        step = 2 ** (nlev - 1 - i)
        lead = a.shape[:-1]
        # phase p = samples p, p + step, ...: shape (..., step, n / step)
        ap = jnp.swapaxes(a.reshape(*lead, n // step, step), -1, -2)
        dp = jnp.swapaxes(d.reshape(*lead, n // step, step), -1, -2)
        x1 = _idwt_last(ap[..., 0::2], dp[..., 0::2], w, "periodization")
        x2 = _idwt_last(ap[..., 1::2], dp[..., 1::2], w, "periodization")
        x2 = jnp.roll(x2, 1, axis=-1)
        r = (x1 + x2) / 2
        a = jnp.swapaxes(r, -1, -2).reshape(*lead, n)
    return jnp.moveaxis(a, -1, ax)
