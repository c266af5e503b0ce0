"""Signal extension (boundary handling) as a linear operator on the last axis.

Every mode is linear in the signal: each extended sample is a fixed combination of at most
three input samples, so the extension is a small gather on each side concatenated with the
signal, and JAX transposes it (a scatter-add of the borders onto the signal).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
from convalgebra._static.structs import node

#: PyWavelets' signal-extension modes (``periodization`` is handled by the transforms).
PYWT_MODES = (
    "zero",
    "constant",
    "symmetric",
    "periodic",
    "smooth",
    "periodization",
    "reflect",
    "antisymmetric",
    "antireflect",
)
#: ``scipy.signal.upfirdn``'s modes (``constant`` there means a constant value, ``cval``).
SCIPY_MODES = (
    "constant",
    "symmetric",
    "reflect",
    "edge",
    "wrap",
    "smooth",
    "antisymmetric",
    "antireflect",
    "line",
)
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


def _side(x: jax.Array, mode: str, m: np.ndarray) -> jax.Array:
    n = x.shape[-1]
    out = None
    for idx, w in _terms(mode, n, m):
        if np.all(w == 0):
            continue
        part = jnp.take(x, jnp.asarray(idx), axis=-1)
        if not np.all(w == 1):
            part = part * jnp.asarray(w, dtype=x.dtype)
        out = part if out is None else out + part
    if out is None:
        out = jnp.zeros(x.shape[:-1] + m.shape, x.dtype)
    return out


def extend_last(x: jax.Array, before: int, after: int, mode: str) -> jax.Array:
    """Extends the last axis of ``x`` by ``before``/``after`` samples in ``mode``."""
    if before == 0 and after == 0:
        return x
    n = x.shape[-1]
    if mode == "zero":
        cfg = [(0, 0)] * (x.ndim - 1) + [(before, after)]
        return jnp.pad(x, cfg)
    parts = []
    if before:
        parts.append(_side(x, mode, np.arange(-before, 0)))
    parts.append(x)
    if after:
        parts.append(_side(x, mode, np.arange(n, n + after)))
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


def extend(widths: tuple[int, int], mode: str) -> ca.Operator:
    """The extension operator; zero mode is ``ca.pad`` (which the lowering folds into convs)."""
    before, after = (int(w) for w in widths)
    if before < 0 or after < 0:
        raise ValueError(f"extend: widths must be >= 0, got {widths}")
    if mode not in MODES:
        raise ValueError(f"extend: unknown mode {mode!r}; choose one of {MODES}")
    if before == 0 and after == 0:
        return ca.identity()
    if mode == "zero":
        return ca.pad((before, after))
    return Extend(before, after, mode)
