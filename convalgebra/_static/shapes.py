"""Pure-integer shape and padding arithmetic (no JAX here): the canonicalisers and every length.

Every function takes and returns plain Python ints and tuples, so it can run before any tracing
and be tested on its own. Conventions used throughout convalgebra:

* An operator acts on its ``ndim`` trailing *spatial* axes; every axis in front of them is batch
  (or, for channel kernels, the channel axis followed by batch axes).
* A 1-D correlation of a signal of length ``n`` with a kernel of length ``k`` is
  ``y[i] = sum_j w[j] * xpad[i + j]`` where ``xpad`` is the signal padded by ``(lo, hi)``; its
  length is ``n + lo + hi - k + 1``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

MODES = ("full", "same", "valid", "circular")
PAD_MODES = ("zero", "reflect", "edge", "wrap")


def as_int(name: str, what: str, value: object, message: str | None = None) -> int:
    """Returns ``value`` as an int, raising ``TypeError`` if it is not integral.

    Args:
      name: the operation, for the error message.
      what: the argument, for the error message.
      value: the value to convert (a bool is refused).
      message: the whole error message instead of the default one (callers that check an
        entry of a larger argument name that argument).
    """
    if isinstance(value, bool):
        raise TypeError(message or f"{name}: {what} must be an int, got the bool {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            message
            or f"{name}: {what} must be an int, got {value!r} of type {type(value).__name__}"
        ) from None


def int_at_least(
    name: str, what: str, value: object, low: int = 1, *, type_error: type[Exception] = TypeError
) -> int:
    """``value`` as an int ``>= low`` (a bool is refused), for the public function ``name``.

    A value that is not integral raises ``type_error`` (``TypeError``; SciPy's ``firwin`` and
    ``resample_poly`` raise ``ValueError``), one below ``low`` ``ValueError``; both messages
    say "``name``: ``what`` must be a positive int" (``low`` 1) or "a non-negative int" (0).
    """
    kind = (
        "a positive int" if low == 1 else "a non-negative int" if low == 0 else f"an int >= {low}"
    )
    if isinstance(value, (bool, np.bool_)):
        raise type_error(f"{name}: {what} must be {kind}, got {value!r}")
    try:
        v = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise type_error(f"{name}: {what} must be {kind}, got {value!r}") from None
    if v < low:
        raise ValueError(f"{name}: {what} must be {kind} (>= {low}), got {v}")
    return v


def factors(name: str, k: object, ndim: int | None) -> tuple[int, ...]:
    """Canonicalises a resampling factor into one positive int per trailing axis.

    Args:
      name: the operation, for error messages (``"up"``, ``"down"``).
      k: an int or a tuple of ints.
      ndim: the number of trailing axes, or ``None`` (1 for an int, ``len(k)`` for a tuple).

    Returns:
      A tuple of positive ints of length ``ndim``.

    Raises:
      TypeError: if a factor is not an int.
      ValueError: if a factor is not positive or the tuple length contradicts ``ndim``.
    """
    if isinstance(k, (tuple, list)):
        ks = tuple(as_int(name, "factor", v) for v in k)
        if ndim is not None and ndim != len(ks):
            raise ValueError(
                f"{name}: a tuple of factors gives one factor per axis, so its length must equal "
                f"ndim; got factors {ks} (length {len(ks)}) and ndim={ndim}"
            )
        if not ks:
            raise ValueError(f"{name}: factor tuple must not be empty")
    else:
        nd = 1 if ndim is None else check_ndim(name, ndim)
        ks = (as_int(name, "factor", k),) * nd
    for v in ks:
        if v < 1:
            raise ValueError(f"{name}: factor must be a positive int, got {k!r}")
    return ks


def phases(name: str, phase: object, ks: tuple[int, ...]) -> tuple[int, ...]:
    """Canonicalises a resampling phase: one int ``0 <= p < k`` per axis."""
    if isinstance(phase, (tuple, list)):
        ps = tuple(as_int(name, "phase", v) for v in phase)
        if len(ps) != len(ks):
            raise ValueError(
                f"{name}: phase must give one value per axis ({len(ks)}), got {tuple(phase)}"
            )
    else:
        ps = (as_int(name, "phase", phase),) * len(ks)
    for p, k in zip(ps, ks):
        if not 0 <= p < k:
            raise ValueError(
                f"{name}: phase must satisfy 0 <= phase < factor, got phase={p} for factor={k}"
            )
    return ps


def check_ndim(name: str, ndim: object) -> int:
    nd = as_int(name, "ndim", ndim)
    if nd < 1:
        raise ValueError(f"{name}: ndim must be a positive int, got {ndim!r}")
    return nd


def _is_int(v: object) -> bool:
    if isinstance(v, bool):
        return False
    try:
        operator.index(v)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


def widths(name: str, w: object) -> tuple[tuple[int, int], ...]:
    """Canonicalises pad/crop widths: one non-negative ``(before, after)`` pair per axis.

    An int ``n`` means ``((n, n),)`` (last axis); a single pair ``(a, b)`` means ``((a, b),)``.
    """
    if _is_int(w):
        pairs: tuple = ((w, w),)
    elif (
        isinstance(w, (tuple, list))
        and len(w) == 2
        and all(not isinstance(v, (tuple, list)) for v in w)
    ):
        pairs = (tuple(w),)
    elif isinstance(w, (tuple, list)):
        pairs = tuple(w)
    else:
        raise TypeError(
            f"{name}: widths must be an int, a (before, after) pair or a tuple of pairs, got {w!r}"
        )
    out = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(
                f"{name}: widths must be one (before, after) pair per trailing axis, got {w!r}"
            )
        a, b = (as_int(name, "width", v) for v in pair)
        if a < 0 or b < 0:
            raise ValueError(f"{name}: widths must be non-negative, got {w!r}")
        out.append((a, b))
    if not out:
        raise ValueError(f"{name}: widths must name at least one axis, got {w!r}")
    return tuple(out)


def down_length(n: int, k: int, p: int) -> int:
    """Samples kept by ``↓k`` with phase ``p`` from ``n``: ``ceil((n - p) / k)``, at least 0."""
    return max(0, -(-(n - p) // k))


def up_length(n: int, k: int) -> int:
    """Length of ``↑k`` applied to ``n`` samples: ``k * n``."""
    return k * n


def corr_padding(mode: str, k: int, flip: bool) -> tuple[int, int]:
    """Padding ``(lo, hi)`` of the signal for a correlation with a ``k``-tap kernel.

    ``flip`` says the operator is a true convolution (the correlation kernel is the flipped
    kernel). Modes follow NumPy/SciPy: "full" (``n + k - 1`` outputs), "same" (``n`` outputs,
    SciPy's centring), "valid" (``n - k + 1``) and "circular" (``n``, the signal wrapped).
    """
    if mode == "full":
        return (k - 1, k - 1)
    if mode == "same":
        # SciPy takes full[(k - 1) // 2 : ... + n] of the full convolution; for the flipped
        # correlation kernel that is a left pad of k // 2 (same for correlate, which flips twice).
        return (k // 2, (k - 1) // 2)
    if mode == "valid":
        return (0, 0)
    if mode == "circular":
        return (k - 1, 0) if flip else (0, k - 1)
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def filter_length(name: str, mode: str, n: int, k: int, flip: bool) -> int:
    """Output length of a 1-D convolution/correlation, validating the mode's constraints."""
    if mode == "valid" and k > n:
        raise ValueError(
            f"{name}: mode 'valid' needs a kernel no longer than the signal, got kernel length "
            f"{k} for signal length {n}"
        )
    if mode == "circular" and k > n:
        raise ValueError(
            f"{name}: mode 'circular' needs a kernel no longer than the signal period, got "
            f"kernel length {k} for signal length {n}"
        )
    lo, hi = corr_padding(mode, k, flip)
    return out_length(n, k, 1, lo, hi, 1, 1, 0)


def size(shape: Sequence[int]) -> int:
    return math.prod(shape)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def out_length(n: int, k: int, r: int, lo: int, hi: int, u: int, s: int, ps: int) -> int:
    """Length of ``↓s,ps (w ⋆ pad(↑u x, lo, hi))``: ``n`` samples, ``k`` taps ``r`` apart.

    THE output-length formula of the library: every other length (filter modes, polyphase
    plans, transposes, the jaxpr optimizer) is this one with some arguments fixed.
    """
    m = u * n + lo + hi - ((k - 1) * r + 1) + 1
    return max(0, ceil_div(m - ps, s))


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
