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

import functools
import itertools
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


def _shift_valid(x, w, kind, nd, strides, rdil):
    """The VALID strided correlation as shifted multiply-adds (``x`` already padded)."""
    counts = _counts(x, w, nd, strides, rdil)
    lead = x.ndim - nd
    letters = _letters(nd)
    acc = None
    for idx in np.ndindex(*w.shape[-nd:]):
        start = [0] * lead + [i * r for i, r in zip(idx, rdil)]
        stop = [*x.shape[:lead]] + [
            s + g * (c - 1) + 1 for s, g, c in zip(start[lead:], strides, counts)
        ]
        sl = lax.slice(x, start, stop, [1] * lead + list(strides))
        term = _tap_term(sl, w[(..., *idx)], kind, nd, letters, "oi,...i{l}->...o{l}")
        acc = term if acc is None else acc + term
    return acc


def _letters(nd):
    return "xyz"[:nd] if nd <= 3 else "".join(chr(ord("a") + i) for i in range(nd))


def _tap_term(sl, tap, kind, nd, letters, spec):
    if kind == "single":
        return sl * tap
    if kind == "depthwise":
        return sl * tap.reshape(tap.shape + (1,) * nd)
    return jnp.einsum(spec.format(l=letters), tap, sl, precision=_HI)


def _shift_valid_t(ct, w, kind, nd, strides, rdil, spatial):
    """The transpose (in ``x``) of :func:`_shift_valid`, again as shifted multiply-adds.

    Polyphase: output sample ``g q + p`` of an axis gathers the taps ``j`` with
    ``r j = p (mod g)``, at ``ct[q - (r j - p) / g]``; each phase is a stride-1 sum of shifted
    slices, and the phases are interleaved by a reshape (no zero insertion, no ``lax.pad`` of
    every tap to the full length, which is what JAX derives from the strided slices).
    """
    letters = _letters(nd)
    taps = w.shape[-nd:]
    cnts = ct.shape[-nd:]
    lead_ax = ct.ndim - nd
    qs = [-(-n // g) for n, g in zip(spatial, strides)]
    axes_d = [((k - 1) * r) // g for k, r, g in zip(taps, rdil, strides)]
    pad_cfg = [(0, 0, 0)] * lead_ax + [(d, max(0, q - c), 0) for d, q, c in zip(axes_d, qs, cnts)]
    ctp = lax.pad(ct, jnp.zeros((), ct.dtype), pad_cfg)
    lead = ct.shape[:lead_ax]
    if kind == "mixing":
        lead = (*ct.shape[: lead_ax - 1], w.shape[1])
    phases = []
    for ps in np.ndindex(*strides):
        per_axis = [
            [(j, (r * j - p) // g) for j in range(k) if (r * j - p) % g == 0]
            for p, k, r, g in zip(ps, taps, rdil, strides)
        ]
        acc = None
        for combo in itertools.product(*per_axis):
            idx = tuple(j for j, _ in combo)
            start = [0] * lead_ax + [dd - d for dd, (_, d) in zip(axes_d, combo)]
            stop = [*ctp.shape[:lead_ax]] + [s + q for s, q in zip(start[lead_ax:], qs)]
            sl = lax.slice(ctp, start, stop)
            term = _tap_term(sl, w[(..., *idx)], kind, nd, letters, "oi,...o{l}->...i{l}")
            acc = term if acc is None else acc + term
        if acc is None:
            acc = jnp.zeros((*lead, *qs), ct.dtype)
        phases.append(acc)
    if all(g == 1 for g in strides):
        y = phases[0]
    else:
        y = jnp.stack(phases, axis=0).reshape((*strides, *phases[0].shape))
        nl = y.ndim - 2 * nd  # (*G, *lead, *Q) -> (*lead, Q1, G1, Q2, G2, ...)
        perm = [nd + i for i in range(nl)]
        for a in range(nd):
            perm += [nd + nl + a, a]
        y = jnp.transpose(y, perm)
        y = y.reshape((*y.shape[:nl], *[q * g for q, g in zip(qs, strides)]))
    if tuple(y.shape[-nd:]) != tuple(spatial):
        y = lax.slice(y, [0] * y.ndim, [*y.shape[:-nd], *spatial])
    return y


def _is_zero(t):
    return isinstance(t, jax.custom_derivatives.SymbolicZero)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3, 4, 5))
def _shift_fast(x, w, kind, nd, strides, rdil):
    return _shift_valid(x, w, kind, nd, strides, rdil)


def _shift_fast_jvp(kind, nd, strides, rdil, primals, tangents):
    """Tangents written so that JAX's transpose of them is again shifted multiply-adds."""
    x, w = primals
    dx, dw = tangents
    y = _shift_fast(x, w, kind, nd, strides, rdil)
    out = []
    if not _is_zero(dx):
        spatial = x.shape[-nd:]
        g = lambda c: _shift_valid_t(c, w, kind, nd, strides, rdil, spatial)  # noqa: E731
        out.append(jax.linear_transpose(g, jax.ShapeDtypeStruct(y.shape, y.dtype))(dx)[0])
    if not _is_zero(dw):
        out.append(_kernel_tangent(x, dw, kind, nd, strides, rdil))
    t = out[0] if out else jnp.zeros_like(y)
    for o in out[1:]:
        t = t + o
    return y, t


_shift_fast.defjvp(_shift_fast_jvp, symbolic_zeros=True)


def _kernel_tangent(x, dw, kind, nd, strides, rdil):
    """``y(x, dw)``, linear in ``dw``: its transpose is the kernel gradient.

    The value is the same whichever way it is computed, so the program is picked for the speed
    of its *transpose*: per-tap reductions (the transpose of shifted multiply-adds) run at
    ~2 GFLOP/s, XLA's kernel-gradient convolution of a single-channel stride-1 correlation at
    ~13, and the FFT's transpose is three FFTs whatever the number of taps.
    """
    how = kernel_grad_strategy(kind, x.shape, dw.shape, nd, strides)
    if how == "lax":  # stride 1, then decimated: its transpose is a stride-1 kernel gradient
        y = corr_lax(x, dw, kind, nd, (1,) * nd, rdil, [(0, 0)] * nd)
        if any(g > 1 for g in strides):
            counts = _counts(x, dw, nd, strides, rdil)
            lead = y.ndim - nd
            stop = [*y.shape[:lead]] + [g * (c - 1) + 1 for g, c in zip(strides, counts)]
            y = lax.slice(y, [0] * y.ndim, stop, [1] * lead + list(strides))
        return y
    if how == "fft":
        return corr_fft(x, dw, kind, nd, strides, rdil, [(0, 0)] * nd)
    return _shift_valid(x, dw, kind, nd, strides, rdil)


def kernel_grad_strategy(kind, x_shape, w_shape, nd, strides) -> str:
    """The program whose transpose computes the kernel gradient of a shift-lowered correlation."""
    if kind == "mixing":  # per-tap matmuls transpose into per-tap matmuls
        return "shift"
    cout = w_shape[0] if kind == "depthwise" else 1
    batch = math.prod(x_shape[: len(x_shape) - nd - (0 if kind == "single" else 1)])
    n_in = math.prod(x_shape[-nd:])
    taps = math.prod(w_shape[-nd:])
    n_out = math.prod(n // g for n, g in zip(x_shape[-nd:], strides))
    work = batch * cout * n_out * taps
    costs = {
        "shift": work * KGRAD["shift"] + _OVERHEAD * taps,  # one reduction per tap
        "fft": estimate("fft", kind, batch, cout, cout, n_in, n_in, taps),
    }
    if kind == "single":  # strided: the stride-1 kernel gradient of the zero-inserted cotangent
        costs["lax"] = work * math.prod(strides) * KGRAD["lax"]
    return min(costs, key=costs.get)


def corr_shift(x, w, kind, nd, strides, rdil, pads):
    """Shifted multiply-adds: ``sum_j w[j] · x[g t + r j]`` with one strided slice per tap.

    Its transpose (``jax.vjp``, ``jax.linear_transpose``) is again shifted multiply-adds, in
    polyphase form (see :func:`_shift_valid_t`).
    """
    x = _padded(x, nd, pads)
    return _shift_fast(x, w, kind, nd, tuple(strides), tuple(rdil))


def corr_fft(x, w, kind, nd, strides, rdil, pads):
    """Correlation by FFT: the periodic correlation over the padded length, VALID part kept."""
    x = _padded(x, nd, pads)
    if any(r > 1 for r in rdil):
        cfg = [(0, 0, 0)] * (w.ndim - nd) + [(0, 0, r - 1) for r in rdil]
        w = lax.pad(w, jnp.zeros((), w.dtype), cfg)
    counts = _counts(x, w, nd, (1,) * nd, (1,) * nd)
    # a periodic correlation over any length >= the padded length keeps the VALID part exact;
    # pad to a 2^a 3^b 5^c length (2^20 + 1023 samples took ~10x a 2^20·(5/4) FFT)
    n = tuple(fast_len(m) for m in x.shape[-nd:])
    if n != x.shape[-nd:]:
        x = _padded(x, nd, [(0, m - k) for m, k in zip(n, x.shape[-nd:])])
    xa, wa = tuple(range(x.ndim - nd, x.ndim)), tuple(range(w.ndim - nd, w.ndim))
    wp = jnp.pad(w, [(0, 0)] * (w.ndim - nd) + [(0, m - k) for m, k in zip(n, w.shape[-nd:])])
    real = not jnp.issubdtype(x.dtype, jnp.complexfloating)
    fwd, inv = (jnp.fft.rfftn, jnp.fft.irfftn) if real else (jnp.fft.fftn, jnp.fft.ifftn)
    xf = fwd(x, axes=xa)
    if real and not jnp.issubdtype(w.dtype, jnp.complexfloating):
        wf = jnp.conj(fwd(wp, axes=wa))  # real w: DFT(w[-k mod n]) = conj(DFT(w))
    else:
        wr = jnp.roll(jnp.flip(wp, wa), 1, wa)  # wr[k] = w[-k mod n]: correlation as convolution
        wf = fwd(wr, axes=wa)
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


def fast_len(n: int) -> int:
    """The smallest ``2^a 3^b 5^c >= n``: an FFT length the FFT libraries handle fast."""
    best = 1
    while best < n:
        best *= 2
    p5 = 1
    while p5 < best:
        p3 = p5
        while p3 < best:
            m = p3
            while m < n:
                m *= 2
            best = min(best, m)
            p3 *= 3
        p5 *= 5
    return best


IMPLS = {"lax": corr_lax, "shift": corr_shift, "fft": corr_fft}


# ---- the cost model ----------------------------------------------------------------------------
# Measured on a 2-core CPU, jax 0.10.2, float32 (medians of jitted calls):
# * XLA's convolution: ~50 GFLOP/s with channel mixing, ~10-20 single-channel, ~1 with feature
#   groups (depthwise);
# * shifted multiply-adds are memory-bound: ~1-3 ns per output sample plus ~0.04 ns per tap while
#   XLA keeps the taps in one fusion (measured up to 64 taps: 2.5 ms for 2^20 outputs); 1024
#   taps ran at ~0.5 ns per tap (517 ms for 2^20 outputs, 27x an FFT);
# * FFTs: ~4 ns per sample per transform at length ~2^14, growing with log2(length);
# * kernel gradients: the transpose of shifted multiply-adds is one reduction per tap,
#   ~1.3 ns per tap and output; XLA's kernel-gradient convolution of a single-channel stride-1
#   correlation ~0.15 ns per tap and output.
RATES = {
    ("lax", "mixing"): 50e9,
    ("lax", "depthwise"): 1.2e9,
    ("lax", "single"): 12e9,
    ("shift", "mixing"): 15e9,
    ("fft", "mixing"): 50e9,  # the per-frequency channel mixing (complex matmuls)
}
SHIFT_PER_OUT = 1.5e-9  # 0.6 ns measured on an idle machine, 3 ns under memory contention
SHIFT_PER_TAP = 0.04e-9
SHIFT_PER_TAP_LONG = 0.5e-9
SHIFT_LONG = 128  # taps beyond which shifted multiply-adds are no longer one fast fusion
FFT_PER_SAMPLE = 4e-9 / 14  # seconds per sample per log2(length) of one transform
KGRAD = {"shift": 1.3e-9, "lax": 0.15e-9}  # seconds per tap and output, kernel gradient
_OVERHEAD = 2e-6  # seconds per emitted operation (a launch, a pass over a small array)


def estimate(
    strategy: str, kind: str, batch: int, cin: int, cout: int, n_in: int, n_out: int, taps: int
) -> float:
    """Estimated seconds of one correlation with ``strategy`` (a cost model, not a promise).

    ``batch`` counts the leading (batch) positions only; ``cin``/``cout`` are the channels
    (``cin = cout = C`` for depthwise kernels, 1 for single ones). ``n_in`` is the number of
    input samples per signal (after up-sampling), ``n_out`` the outputs computed per signal.
    The transposes of every strategy are the same kind of program (shifted multiply-adds
    transpose into polyphase shifted multiply-adds, FFTs into FFTs, convolutions into
    convolutions), so the forward cost ranks transposes too; kernel gradients of shifted
    multiply-adds use the cheaper of their own transpose and an FFT (:func:`kernel_grad_strategy`).
    """
    per_out = taps * (cin if kind == "mixing" else 1)
    direct = 2.0 * batch * cout * n_out * per_out
    if strategy == "fft":
        length = fast_len(max(n_in, 1))
        per = FFT_PER_SAMPLE * length * max(1.0, math.log2(max(length, 2)))
        sig_in = batch * (cin if kind != "single" else 1)
        kern = cin * cout if kind == "mixing" else cout
        t = per * (sig_in + batch * cout + kern)
        if kind == "mixing":
            t += 4.0 * batch * length * cin * cout / RATES[("fft", "mixing")]
        return t + 5 * _OVERHEAD  # pads, three transforms, a product
    if strategy == "shift" and kind != "mixing":
        per_tap = SHIFT_PER_TAP if taps <= SHIFT_LONG else SHIFT_PER_TAP_LONG
        return batch * cout * n_out * (SHIFT_PER_OUT + taps * per_tap) + _OVERHEAD  # one fusion
    t = direct / RATES[(strategy, kind)] + _OVERHEAD * (taps if strategy == "shift" else 1)
    if kind != "mixing":  # the same memory-bound floor per output as shifted multiply-adds
        t += batch * cout * n_out * SHIFT_PER_OUT
    return t
