"""Pure-integer planning of one lowered convolution axis (no JAX here).

A lowered convolution computes, per spatial axis, ``y = ↓s,ps (w ⋆ pad(↑u,pu x, lo, hi))``
where ``w`` has ``K`` taps placed ``r`` samples apart (``r`` is the dilation, the compact kernel
spans ``Lc = (K - 1) r + 1`` samples). :func:`axis_plan` turns that into *phases*: VALID strided
correlations of the original (not up-sampled) ``x`` with sub-kernels, plus how to interleave them.
This is the polyphase decomposition; with ``u == 1`` it is a single strided correlation and with
``s`` a multiple of ``u`` a single phase survives (``↓k ∘ (w ⋆) ∘ ↑k`` needs one sub-kernel).
"""

from __future__ import annotations

import dataclasses
import enum

from .shapes import ceil_div, out_length


class Taps(enum.Enum):
    """How a phase selects its sub-kernel from the kernel."""

    SLICE = "slice"  # taps start, start+step, ... of the compact kernel (sub-dilation rsub)
    DENSE = "dense"  # taps start, start+step, ... of the materialised dilated kernel
    ZERO = "zero"  # the phase is identically zero


@dataclasses.dataclass(frozen=True)
class SubKernel:
    """The taps ``start, start + step, ...`` of the compact (SLICE) or dilated (DENSE) kernel."""

    how: Taps
    start: int = 0
    step: int = 1

    @property
    def zero(self) -> bool:
        return self.how is Taps.ZERO


ZERO = SubKernel(Taps.ZERO)


@dataclasses.dataclass(frozen=True)
class Phase:
    """One VALID correlation: ``out[t] = sum_j sub[j] x[g t + j - lo]`` for ``t < count``.

    ``sub`` selects the sub-kernel (with sub-dilation ``rsub``, ``taps`` taps). ``lo``/``hi`` pad
    (negative: crop) the input so that the VALID correlation has ``count`` outputs.
    """

    sub: SubKernel
    rsub: int
    taps: int
    lo: int
    hi: int
    stride: int
    count: int


@dataclasses.dataclass(frozen=True)
class AxisPlan:
    phases: tuple[Phase, ...]
    interleave: int  # 1: the single phase is the result; u > 1: interleave the u phases
    v_len: int  # length of the interleaved signal before the final ↓s,ps
    stride: int
    phase: int
    out_len: int


def _sub(k: int, r: int, e: int, u: int) -> tuple[SubKernel, int, int]:
    """The taps of a ``k``-tap kernel dilated by ``r`` at dense positions ``e, e+u, ...``."""
    lc = (k - 1) * r + 1
    if r == 1:
        taps = max(0, ceil_div(k - e, u))
        return (SubKernel(Taps.SLICE, e, u) if taps else ZERO), 1, taps
    if r % u == 0:
        return (SubKernel(Taps.SLICE, 0, 1), r // u, k) if e == 0 else (ZERO, 1, 0)
    taps = max(0, ceil_div(lc - e, u))  # general case: slice the materialised dilated kernel
    return (SubKernel(Taps.DENSE, e, u) if taps else ZERO), 1, taps


def _phase(n: int, k: int, r: int, lo: int, u: int, pu: int, b: int, a0: int, g: int, count: int):
    c = pu + lo - b
    e, d = c % u, c // u
    sub, rsub, taps = _sub(k, r, e, u)
    lox = d - a0
    if taps == 0 or count <= 0:
        return Phase(ZERO, 1, 0, 0, 0, g, max(count, 0))
    span = (taps - 1) * rsub + 1
    hix = g * (count - 1) + span - n - lox
    return Phase(sub, rsub, taps, lox, hix, g, count)


def axis_plan(
    n: int, k: int, r: int, lo: int, hi: int, u: int, pu: int, s: int, ps: int
) -> AxisPlan:
    """Plans one axis; see the module docstring for the meaning of the arguments."""
    m = u * n + lo + hi - ((k - 1) * r + 1) + 1
    t_out = out_length(n, k, r, lo, hi, u, s, ps)
    if s % u == 0:
        ph = _phase(n, k, r, lo, u, pu, ps % u, ps // u, s // u, t_out)
        if u == 1 and not ph.sub.zero and hi >= 0 and ph.hi < hi:
            # keep the mode's own padding when it gives the same outputs (XLA's fast paths
            # are tuned for symmetric "same" padding)
            span = (ph.taps - 1) * ph.rsub + 1
            if (n + ph.lo + hi - span) // s + 1 == t_out:
                ph = dataclasses.replace(ph, hi=hi)
        return AxisPlan((ph,), 1, m, s, ps, t_out)
    phases = tuple(
        _phase(n, k, r, lo, u, pu, b, 0, 1, max(0, ceil_div(m - b, u))) for b in range(u)
    )
    return AxisPlan(phases, u, m, s, ps, t_out)
