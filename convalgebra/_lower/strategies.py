"""The three ways to run one VALID strided correlation, behind one signature.

Every strategy computes ``y[..., t] = sum_j w[j] x[..., g t + r j]`` (per spatial axis, ``x``
padded by ``pads`` first) for the three kernel kinds (single, depthwise ``(C, *K)``, mixing
``(C_out, C_in, *K)``), channels-first:

* ``"lax"``: one ``lax.conv_general_dilated`` (window strides, ``rhs_dilation``; feature groups
  for depthwise kernels);
* ``"shift"``: shifted multiply-adds, one strided slice per tap (per-tap matmuls for mixing
  kernels) — fast for per-channel and short kernels, where grouped convolutions crawl; its
  transposes are again shifted multiply-adds in polyphase form (:func:`fast.fast_linear`);
* ``"fft"``: products of FFTs, for long kernels. IEEE special values do not stay local: one
  ``inf`` or ``nan`` in the input or the kernel spreads to every output of the FFT. Pin another
  strategy (``ca.lower(A, strategy="lax")``) where that matters.

Every strategy takes lax's ``precision`` (already resolved for the platform) and
``preferred_element_type`` (``pet``): ``"lax"`` hands both to every ``conv_general_dilated``;
``"shift"`` to every per-tap ``dot_general`` (mixing kernels), and for single and depthwise
kernels multiplies and accumulates in ``pet`` (elementwise products are exact IEEE operations,
so ``precision`` has nothing to choose there); ``"fft"`` applies ``precision`` to the
per-frequency channel-mixing ``dot_general`` and runs its transforms in ``pet`` (the data cast
first), as XLA's FFTs have no precision setting.

:data:`REGISTRY` maps each name to its implementation; the cost model (``cost.py``) picks one.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._static.shapes import fast_len
from .._static.structs import Kind
from . import cost
from .fast import fast_linear


def _split(x: jax.Array, kind: str, nd: int):
    lead = x.shape[: x.ndim - nd - (0 if kind is Kind.SINGLE else 1)]
    return lead, math.prod(lead)


def corr_lax(x, w, kind, nd, strides, rdil, pads, linear=False, groups=1, *, precision=None,
             pet=None):  # fmt: skip
    """``lax.conv_general_dilated`` in the NC* layout; ``pads`` is the conv's own padding.

    ``groups > 1`` (mixing kernels ``(C_out, C_in/groups, *K)``): one grouped convolution.
    """
    lead, b = _split(x, kind, nd)
    spatial, taps = x.shape[-nd:], w.shape[-nd:]
    if kind is Kind.SINGLE:
        # one axis split or merged per reshape: what explicit sharding accepts
        xb, wb, groups = x.reshape((b, *spatial))[:, None], w.reshape((1, 1, *taps)), 1
    else:
        c = x.shape[-nd - 1]
        xb = x.reshape((b, c, *spatial))
        groups = c if kind is Kind.DEPTHWISE else groups
        wb = w.reshape((c, 1, *taps)) if kind is Kind.DEPTHWISE else w
    y = lax.conv_general_dilated(
        xb, wb, strides, pads, rhs_dilation=rdil, feature_group_count=groups,
        precision=precision, preferred_element_type=pet,
    )  # fmt: skip
    if kind is Kind.SINGLE:
        return y[:, 0].reshape(lead + y.shape[2:])
    return y.reshape(lead + y.shape[1:])


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


def _shift_valid(x, w, kind, nd, strides, rdil, precision=None, pet=None):
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
        term = _tap_term(sl, w[(..., *idx)], kind, nd, letters, "oi,...i{l}->...o{l}",
                         precision, pet)  # fmt: skip
        acc = term if acc is None else acc + term
    return acc


def _letters(nd):
    return "xyz"[:nd] if nd <= 3 else "".join(chr(ord("a") + i) for i in range(nd))


def _tap_term(sl, tap, kind, nd, letters, spec, precision, pet):
    if pet is not None and kind is not Kind.MIXING:  # products exact in pet, sums in pet
        sl, tap = sl.astype(pet), tap.astype(pet)
    if kind is Kind.SINGLE:
        return sl * tap
    if kind is Kind.DEPTHWISE:
        return sl * tap.reshape(tap.shape + (1,) * nd)
    return jnp.einsum(
        spec.format(l=letters), tap, sl, precision=precision, preferred_element_type=pet
    )


def _shift_valid_t(ct, w, kind, nd, strides, rdil, spatial, precision=None, pet=None):
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
    if kind is Kind.MIXING:
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
            term = _tap_term(sl, w[(..., *idx)], kind, nd, letters, "oi,...o{l}->...i{l}",
                             precision, pet)  # fmt: skip
            acc = term if acc is None else acc + term
        if acc is None:
            acc = jnp.zeros((*lead, *qs), pet or ct.dtype)
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
        for a in range(nd):  # one merge per reshape (explicit sharding)
            ax = nl + a
            y = y.reshape((*y.shape[:ax], y.shape[ax] * y.shape[ax + 1], *y.shape[ax + 2 :]))
    if tuple(y.shape[-nd:]) != tuple(spatial):
        y = lax.slice(y, [0] * y.ndim, [*y.shape[:-nd], *spatial])
    return y


def kernel_tangent(x, dw, kind, nd, strides, rdil, how=None, precision=None, pet=None):
    """``y(x, dw)``, linear in ``dw``: its transpose is the kernel gradient.

    The value is the same whichever way it is computed, so the program is picked for the speed
    of its *transpose*: ``how`` (``"lax"``, ``"fft"``, ``"shift"``), by default the cost model's
    :func:`cost.kernel_grad_strategy`.
    """
    if how is None:
        how = cost.kernel_grad_strategy(kind, x.shape, dw.shape, nd, strides, x.dtype)
    if how == "lax":  # stride 1, then decimated: its transpose is a stride-1 kernel gradient
        y = corr_lax(x, dw, kind, nd, (1,) * nd, rdil, [(0, 0)] * nd, precision=precision,
                     pet=pet)  # fmt: skip
        if any(g > 1 for g in strides):
            counts = _counts(x, dw, nd, strides, rdil)
            lead = y.ndim - nd
            stop = [*y.shape[:lead]] + [g * (c - 1) + 1 for g, c in zip(strides, counts)]
            y = lax.slice(y, [0] * y.ndim, stop, [1] * lead + list(strides))
        return y
    if how == "fft":
        return corr_fft(x, dw, kind, nd, strides, rdil, [(0, 0)] * nd, precision=precision, pet=pet)
    return _shift_valid(x, dw, kind, nd, strides, rdil, precision, pet)


def corr_shift(x, w, kind, nd, strides, rdil, pads, linear=False, groups=1, *, precision=None,
               pet=None):  # fmt: skip
    """Shifted multiply-adds: ``sum_j w[j] · x[g t + r j]`` with one strided slice per tap.

    Its transposes (``jax.vjp``, ``jax.linear_transpose``) are again shifted multiply-adds, in
    polyphase form (see :func:`_shift_valid_t`).
    """
    if groups != 1:
        raise ValueError("corr_shift: grouped kernels run as one grouped lax convolution")
    x = _padded(x, nd, pads)
    strides, rdil = tuple(strides), tuple(rdil)
    spatial = x.shape[-nd:]
    return fast_linear(
        lambda x, w: _shift_valid(x, w, kind, nd, strides, rdil, precision, pet),
        # the transpose computes in the cotangent's dtype, as lax's transpose rules do
        lambda c, w: _shift_valid_t(
            c, w.astype(c.dtype), kind, nd, strides, rdil, spatial, precision, pet
        ),
        lambda x, dw: kernel_tangent(x, dw, kind, nd, strides, rdil, None, precision, pet),
        x,
        w,
        linear,
    )


def corr_fft(x, w, kind, nd, strides, rdil, pads, linear=False, groups=1, *, precision=None,
             pet=None):  # fmt: skip
    """Correlation by FFT: the periodic correlation over the padded length, VALID part kept.

    ``precision`` applies to the per-frequency channel mixing (a ``dot_general``); with ``pet``
    the data and kernel are cast to it first, so the transforms run in ``pet``.
    """
    if groups != 1:
        raise ValueError("corr_fft: grouped kernels run as one grouped lax convolution")
    if pet is not None:
        x, w = x.astype(pet), w.astype(pet)
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
    if kind is Kind.MIXING:
        letters = "xyz"[:nd]
        yf = jnp.einsum(f"...i{letters},oi{letters}->...o{letters}", xf, wf, precision=precision)
    else:
        yf = xf * wf
    y = inv(yf, s=n, axes=xa) if real else inv(yf, axes=xa)
    y = y.astype(x.dtype)
    lead = y.ndim - nd
    stop = [*y.shape[:lead]] + [g * ((c - 1) // g) + 1 for g, c in zip(strides, counts)]
    return lax.slice(y, [0] * y.ndim, stop, [1] * lead + list(strides))


REGISTRY = {"lax": corr_lax, "shift": corr_shift, "fft": corr_fft}
