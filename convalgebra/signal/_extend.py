"""Signal extension (boundary handling) as a linear operator on the last axis.

Every mode is linear in the signal: each extended sample is a fixed combination of at most
three input samples. Each side is built from runs of the signal's border, read as contiguous
slices, reversed slices or one sample broadcast (times constant weights), concatenated with the
signal: no gather, so the transpose JAX derives is slices, pads and adds (a gather would transpose
to a scatter-add into a zero signal).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
from convalgebra._static.structs import node

from ._modes import PYWT_MODES as PYWT_MODES
from ._modes import SCIPY_MODES as SCIPY_MODES

#: The modes of :class:`Extend`.
MODES = (
    "zero",
    "edge",
    "symmetric",
    "reflect",
    "periodic",
    "smooth",
    "antisymmetric",
    "antireflect",
    "line",
    "periodization",
)


def _terms(mode: str, n: int, m: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``ext[m] = sum_t w_t * x[i_t]`` for the (integer) positions ``m`` outside ``[0, n)``.

    Returns a list of ``(i_t, w_t)`` pairs of arrays shaped like ``m``.
    """
    m = np.asarray(m, dtype=np.int64)
    ones = np.ones(m.shape)
    first, last = np.zeros_like(m), np.full_like(m, n - 1)
    left = m < 0
    if mode == "zero":
        return []
    if mode == "edge" or (n == 1 and mode in ("reflect", "smooth", "antireflect", "line")):
        return [(np.where(left, first, last), ones)]
    if mode == "periodic":
        return [(np.mod(m, n), ones)]
    if mode == "periodization":  # an odd signal gets its last sample repeated, then periodic
        return [(np.minimum(np.mod(m, n + n % 2), n - 1), ones)]
    if mode in ("symmetric", "antisymmetric"):
        r = np.mod(m, 2 * n)
        mirrored = r >= n
        idx = np.where(mirrored, 2 * n - 1 - r, r)
        if mode == "symmetric":
            return [(idx, ones)]
        # "antisymmetric": f(-1 - m) = -f(m), half-sample antisymmetric, period 2n
        return [(idx, np.where(mirrored, -1.0, 1.0))]
    if mode == "reflect":
        p = 2 * (n - 1)
        r = np.mod(m, p)
        return [(np.where(r >= n, p - r, r), ones)]
    if mode == "antireflect":  # f(-m) = 2 f(0) - f(m); f(m + 2(n-1)) = f(m) + 2 (f(n-1) - f(0))
        p = 2 * (n - 1)
        q, r = np.divmod(m, p)
        mirrored = r >= n
        idx = np.where(mirrored, p - r, r)
        sign = np.where(mirrored, -1.0, 1.0)
        w_last = 2.0 * q + np.where(mirrored, 2.0, 0.0)
        return [(idx, sign), (first, -2.0 * q), (last, w_last)]
    if mode == "smooth":  # first-order extrapolation from the two edge samples
        k = np.where(left, -m, m - (n - 1)).astype(float)
        return [
            (np.where(left, first, last), 1.0 + k),
            (np.where(left, first + 1, last - 1), -k),
        ]
    if mode == "line":  # the line through the first and last samples
        t = m / (n - 1)
        return [(first, 1.0 - t), (last, t)]
    raise ValueError(f"extend: unknown mode {mode!r}; choose one of {MODES}")


def _runs(idx: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Splits ``idx`` into maximal runs ``(i, j, lo, step)``: ``idx[i:j]`` is ``lo, lo + 1, ...``
    (``step`` 1), ``..., lo + 1, lo`` (``step`` -1) or ``lo`` repeated (``step`` 0)."""
    runs, i, size = [], 0, idx.size
    while i < size:
        step = int(idx[i + 1] - idx[i]) if i + 1 < size else 0
        step = step if step in (-1, 0, 1) else 0
        j = i + 1
        while j < size and idx[j] - idx[j - 1] == step:
            j += 1
        runs.append((i, j, int(min(idx[i], idx[j - 1])), step))
        i = j
    return runs


def _border_terms(mode: str, n: int, m: np.ndarray) -> tuple[list, int, int]:
    """``_terms`` without the all-zero ones, and the window ``[lo, hi)`` of ``x`` they read."""
    terms = []
    for idx, w in _terms(mode, n, m):
        w = np.broadcast_to(np.asarray(w, dtype=float), idx.shape)
        if not np.all(w == 0):
            terms.append((np.asarray(idx, dtype=np.int64), w))
    if not terms:
        return [], 0, 0
    lo = min(int(idx.min()) for idx, _ in terms)
    hi = max(int(idx.max()) for idx, _ in terms) + 1
    return terms, lo, hi


def _side(border: jax.Array, lo: int, terms: list, size: int) -> jax.Array:
    """The extension ``sum_t w_t x[i_t]`` read from ``border = x[..., lo:hi]`` by runs."""
    batch = border.shape[:-1]
    if not terms:
        return jnp.zeros((*batch, size), border.dtype)
    out = None
    for idx, w in terms:
        pieces = []
        for i, j, start, step in _runs(idx - lo):
            if step == 0:
                piece = jnp.broadcast_to(border[..., start : start + 1], (*batch, j - i))
            else:
                piece = border[..., start : start + j - i]
                if step < 0:
                    piece = piece[..., ::-1]
            wr = w[i:j]
            if np.all(wr == wr[0]):
                if wr[0] != 1:
                    piece = piece * jnp.asarray(wr[0], dtype=border.dtype)
            else:
                piece = piece * jnp.asarray(wr, dtype=border.dtype)
            pieces.append(piece)
        part = pieces[0] if len(pieces) == 1 else jnp.concatenate(pieces, axis=-1)
        out = part if out is None else out + part
    assert out is not None
    return out


def extend_last(x: jax.Array, before: int, after: int, mode: str) -> jax.Array:
    """Extends the last axis of ``x`` by ``before``/``after`` samples in ``mode``.

    Each side reads only the window ``x[..., lo:hi]`` its samples combine (one slice), so the
    transpose folds each side onto that window and pads it once.
    """
    if before == 0 and after == 0:
        return x
    n = x.shape[-1]
    if mode == "zero":
        cfg = [(0, 0)] * (x.ndim - 1) + [(before, after)]
        return jnp.pad(x, cfg)

    def side(m: np.ndarray) -> jax.Array:
        terms, lo, hi = _border_terms(mode, n, m)
        border = x if (lo, hi) == (0, n) or not terms else x[..., lo:hi]
        return _side(border, lo, terms, m.size)

    parts = []
    if before:
        parts.append(side(np.arange(-before, 0)))
    parts.append(x)
    if after:
        parts.append(side(np.arange(n, n + after)))
    return jnp.concatenate(parts, axis=-1)


@node()
class Extend(ca.Operator):
    """Extends the last axis by ``(before, after)`` samples in a boundary ``mode``.

    ``(..., N) -> (..., before + N + after)``. Linear in every mode, so ``ca.transpose`` derives
    its transpose (the borders folded back onto the signal).
    """

    before: int
    after: int
    mode: str

    def _label(self) -> str:
        return f"extend(({self.before}, {self.after}), {self.mode!r})"

    def _sym(self, x: str) -> str:
        return f"ext[{self.mode}; {self.before},{self.after}] {_wrap(x)}"

    def _infer(self, shape, dtype):
        if len(shape) < 1 or shape[-1] < 1:
            raise ValueError(f"{self._label()}: needs a non-empty last axis, got shape {shape}")
        return tuple(shape[:-1]) + (shape[-1] + self.before + self.after,), np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        return extend_last(x, self.before, self.after, self.mode)


def _wrap(s: str) -> str:
    return f"({s})" if " " in s else s


def extend_op(widths: tuple[int, int], mode: str) -> ca.Operator:
    """The extension operator; zero mode is ``ca.pad`` (which the lowering folds into convs)."""
    before, after = (int(w) for w in widths)
    if before < 0 or after < 0:
        raise ValueError(f"extend_op: widths must be >= 0, got {widths}")
    if mode not in MODES:
        raise ValueError(f"extend_op: unknown mode {mode!r}; choose one of {MODES}")
    if before == 0 and after == 0:
        return ca.identity()
    if mode == "zero":
        return ca.pad((before, after))
    return Extend(before, after, mode)


#: the library's own name for :func:`extend_op` (the boundary extension of the transforms)
extend = extend_op
