"""Recursive (IIR) filters: ``lfilter``, ``sosfilt``, ``filtfilt`` as SciPy, and as operators.

A causal recursive filter is linear: a convolution with an infinite impulse response, whose matrix
on ``N`` samples is the lower-triangular Toeplitz matrix of that response. Every filter here is run
in its state-space form, the transposed direct form II of SciPy (so ``zi``/``zf`` are SciPy's
states): ``s[t+1] = A s[t] + B x[t]``, ``y[t] = C s[t] + D x[t]``. A cascade of second-order
sections is one state-space system whose state is the sections' states, stacked.

The recurrence is associative. It runs blocked: the signal is cut into blocks of ``L`` samples;
the state each block leaves from rest is one product with an ``L x d`` matrix; the ``N / L``
block states are carried by a ``lax.scan`` over blocks or by ``lax.associative_scan``
(logarithmic depth); the output is one product of ``[block | start state]`` with the ``L x L``
Toeplitz matrix of the impulse response stacked on the free responses ``C A^i``, so almost all
the work is one large matrix multiplication. The cost model (``TUNING["recurrence"]`` in
``_lower/cost.py``) picks ``L`` and the carry. The transposes are those JAX derives
(``ca.transpose``): the same recursion run backwards in time, the anti-causal filter. Filters
from rest with real coefficients have their own gradient rule (:func:`fast_grad_filter`: an
anti-causal all-pole run in the same blocks and lagged dot products).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.core
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
from convalgebra._expr.node import wrap_sym
from convalgebra._lower import cost, ir
from convalgebra._static.structs import kernel_dtype, node

from ._extend import Extend

RECURRENCES = ("auto", "sequential", "blocked", "toeplitz", "associative")
INITIAL = ("zero", "step")
PADTYPES = ("odd", "even", "constant", None)
_PAD_MODE = {"odd": "antireflect", "even": "reflect", "constant": "edge"}


# ---- validation ----------------------------------------------------------------------------------
def _concrete(v: Any) -> bool:
    return not isinstance(v, jax.core.Tracer)


def _weak(v: Any) -> bool:
    """A Python number or list is weak: it takes the data's precision."""
    return not hasattr(v, "dtype")


def _coef_array(fn: str, name: str, v: Any) -> Any:
    if isinstance(v, jax.Array):
        arr = v
    else:
        try:
            arr = np.asarray(v)
        except ValueError as e:
            raise ValueError(f"{fn}: {name} must be a 1-D array of numbers: {e}") from None
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"{fn}: {name} must be numbers, got dtype {arr.dtype}")
        if arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
    return arr


def _check_finite(fn: str, name: str, arr: Any) -> None:
    if _concrete(arr) and not bool(np.all(np.isfinite(np.asarray(arr)))):
        raise ValueError(f"{fn}: {name} must be finite, got {np.asarray(arr).tolist()}")


def _ba(fn: str, b: Any, a: Any) -> tuple[Any, Any]:
    b, a = _coef_array(fn, "b", b), _coef_array(fn, "a", a)
    for name, v in (("b", b), ("a", a)):
        if v.ndim != 1 or v.shape[0] == 0:
            raise ValueError(f"{fn}: {name} must be a non-empty 1-D array, got shape {v.shape}")
        _check_finite(fn, name, v)
    if _concrete(a) and complex(np.asarray(a)[0]) == 0:
        raise ValueError(f"{fn}: a[0] must be nonzero (the filter is normalised by it), got 0")
    return b, a


def _sos(fn: str, sos: Any) -> Any:
    sos = _coef_array(fn, "sos", sos)
    if sos.ndim != 2 or sos.shape[1] != 6 or sos.shape[0] == 0:
        raise ValueError(
            f"{fn}: sos must have shape (n_sections, 6) with n_sections >= 1, got {sos.shape}"
        )
    _check_finite(fn, "sos", sos)
    if _concrete(sos) and bool(np.any(np.asarray(sos)[:, 3] == 0)):
        raise ValueError(
            f"{fn}: sos[:, 3] (each section's a0) must be nonzero, got "
            f"{np.asarray(sos)[:, 3].tolist()}"
        )
    return sos


def _axis(fn: str, axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{fn}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{fn}: axis {axis} is out of range for an input of {ndim} dimensions")
    return int(axis) % ndim


def _data(fn: str, x: Any) -> jax.Array:
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{fn}: x must be an array of numbers, got {type(x).__name__}")
    x = x if isinstance(x, jax.Array) else jnp.asarray(np.asarray(x))
    if x.ndim == 0:
        raise ValueError(f"{fn}: x must have at least one axis, got a scalar")
    return x


def _cast(c: Any, dt: np.dtype, *others: Any) -> jax.Array:
    """Coefficients in the compute dtype: real ones (with real ``others``) stay real, so complex
    data runs as two real filters."""
    c = jnp.asarray(c)
    if not any(jnp.iscomplexobj(v) for v in (c, *others)):
        dt = np.dtype(jnp.finfo(dt).dtype)
    return c.astype(dt)


def _result_dtype(x_dtype: Any, coefs: list[Any], weak: bool) -> np.dtype:
    xd = np.dtype(x_dtype)
    if not jnp.issubdtype(xd, jnp.inexact):
        xd = np.dtype(jnp.zeros((), float).dtype)
    out = xd
    for c in coefs:
        out = kernel_dtype(out, np.dtype(c.dtype), weak)
    return np.dtype(jax.dtypes.canonicalize_dtype(out))  # float64 is float32 without x64


# ---- state-space forms -----------------------------------------------------------------------
def _ss_tf(b: jax.Array, a: jax.Array):
    """``(A, B, C, D)`` of ``b/a`` in SciPy's transposed direct form II (order ``K - 1``)."""
    k = max(b.shape[0], a.shape[0])
    b = jnp.pad(b, (0, k - b.shape[0])) / a[0]
    a = jnp.pad(a, (0, k - a.shape[0])) / a[0]
    d = k - 1
    if d == 0:  # a gain
        empty = jnp.zeros((0,), b.dtype)
        return jnp.zeros((0, 0), b.dtype), empty, empty, b[0]
    A = jnp.zeros((d, d), b.dtype).at[:, 0].set(-a[1:])
    if d > 1:
        A = A + jnp.eye(d, k=1, dtype=b.dtype)
    B = b[1:] - a[1:] * b[0]
    C = jnp.zeros((d,), b.dtype).at[0].set(1) if d else jnp.zeros((0,), b.dtype)
    return A, B, C, b[0]


def _ss_sos(sos: jax.Array):
    """``(A, B, C, D)`` of a cascade of sections: the state is the sections' states, stacked."""
    sos = sos / sos[:, 3:4]
    A = B = C = None
    D = jnp.ones((), sos.dtype)
    for s in sos:
        b0, b1, b2, _, a1, a2 = (s[i] for i in range(6))
        Ak = jnp.stack([jnp.stack([-a1, jnp.ones_like(a1)]), jnp.stack([-a2, jnp.zeros_like(a2)])])
        Bk = jnp.stack([b1 - a1 * b0, b2 - a2 * b0])
        Ck = jnp.stack([jnp.ones_like(a1), jnp.zeros_like(a1)])
        if A is None:
            A, B, C, D = Ak, Bk, Ck, b0
            continue
        assert B is not None and C is not None
        d = A.shape[0]
        # the section's input is the cascade's output so far: y = C s + D u
        A = jnp.block([[A, jnp.zeros((d, 2), A.dtype)], [jnp.outer(Bk, C), Ak]])
        B = jnp.concatenate([B, Bk * D])
        C = jnp.concatenate([b0 * C, Ck])
        D = b0 * D
    assert A is not None and B is not None and C is not None
    return A, B, C, D


def _zi_tf(b: jax.Array, a: jax.Array) -> jax.Array:
    """The state a unit step settles into: ``(I - A) z = B`` (``scipy.signal.lfilter_zi``)."""
    A, B, _, _ = _ss_tf(b, a)
    d = A.shape[0]
    if d == 0:
        return jnp.zeros((0,), A.dtype)
    return jnp.linalg.solve(jnp.eye(d, dtype=A.dtype) - A, B)


def _zi_sos(sos: jax.Array) -> jax.Array:
    """``scipy.signal.sosfilt_zi``: each section's step state, times the gain before it."""
    sos = sos / sos[:, 3:4]
    out, scale = [], jnp.ones((), sos.dtype)
    for s in sos:
        b0, b1, b2, _, a1, a2 = (s[i] for i in range(6))
        B0, B1 = b1 - a1 * b0, b2 - a2 * b0
        z0 = (B0 + B1) / (1 + a1 + a2)
        out.append(scale * jnp.stack([z0, B1 - a2 * z0]))
        scale = scale * (b0 + b1 + b2) / (1 + a1 + a2)
    return jnp.stack(out)


# ---- the recurrence --------------------------------------------------------------------------
def _tf_step(b: jax.Array, a: jax.Array):
    """One sample of ``b/a`` in transposed direct form II on a tuple of state arrays."""
    k = max(b.shape[0], a.shape[0])
    b = jnp.pad(b, (0, k - b.shape[0])) / a[0]
    a = jnp.pad(a, (0, k - a.shape[0])) / a[0]
    d = k - 1

    def step(z, u):
        y = b[0] * u + z[0]
        new = tuple(b[i + 1] * u - a[i + 1] * y + (z[i + 1] if i + 1 < d else 0) for i in range(d))
        return new, y

    return step


def _sos_step(sos: jax.Array):
    """One sample of a cascade of sections (SciPy's ``sosfilt`` arithmetic, section by section)."""
    sos = sos / sos[:, 3:4]
    rows = [tuple(sos[i, j] for j in range(6)) for i in range(sos.shape[0])]

    def step(z, u):
        new = []
        for i, (b0, b1, b2, _, a1, a2) in enumerate(rows):
            y = b0 * u + z[2 * i]
            new += [b1 * u - a1 * y + z[2 * i + 1], b2 * u - a2 * y]
            u = y
        return tuple(new), u

    return step


def system(b: Any = None, a: Any = None, sos: Any = None):
    """``(A, B, C, D, step)``: the dense state-space matrices and the per-sample update."""
    if sos is not None:
        return (*_ss_sos(sos), _sos_step(sos))
    return (*_ss_tf(b, a), _tf_step(b, a))


def _powers(A: jax.Array, n: int) -> jax.Array:
    """``A^0, ..., A^(n-1)`` stacked, ``(n, d, d)``, one product at a time: rounding errors then
    grow as the recursion's own do (repeated squaring amplified them by ``|A^(n/2)|``, which made
    a float32 block carry of a low-cut-off 4th-order ``b/a`` diverge)."""
    d = A.shape[0]
    eye = jnp.eye(d, dtype=A.dtype)

    def step(p, _):
        return A @ p, p

    _, P = jax.lax.scan(step, eye, None, length=n)
    return P


def _sequential(x, sys_, s0):
    """The recursion one sample at a time (the definition; ``ca.as_written``)."""
    A, _, _, _, step = sys_
    d = A.shape[0]
    z0 = jnp.zeros((*x.shape[:-1], d), x.dtype) if s0 is None else s0
    z, y = jax.lax.scan(step, tuple(z0[..., i] for i in range(d)), jnp.moveaxis(x, -1, 0))
    return jnp.moveaxis(y, 0, -1), jnp.stack(z, axis=-1)


def _carry_scan(U, P, s0, reverse: bool = False):
    """Block start states ``S[k+1] = P S[k] + U[k]`` by ``lax.scan`` over the blocks (with
    ``reverse``, from the last block: ``S[k-1] = P S[k] + U[k]``)."""
    Ut = jnp.moveaxis(U, -2, 0)
    init = jnp.zeros(Ut.shape[1:], U.dtype) if s0 is None else s0

    def step(s, u):
        return s @ P.T + u, s

    s_end, starts = jax.lax.scan(step, init, Ut, reverse=reverse)
    return jnp.moveaxis(starts, 0, -2), s_end


def _carry_assoc(U, P, s0, reverse: bool = False):
    """Block start states by ``lax.associative_scan`` of the affine maps ``s -> P s + u``."""
    if reverse:
        starts, s_end = _carry_assoc(jnp.flip(U, -2), P, s0)
        return jnp.flip(starts, -2), s_end
    Ut = jnp.moveaxis(U, -2, 0)
    if s0 is not None:
        Ut = jnp.concatenate([Ut[:1] + (s0 @ P.T)[None], Ut[1:]])
    k, d = Ut.shape[0], P.shape[0]
    M = jnp.broadcast_to(P, (k, d, d))

    def combine(e1, e2):
        (M1, v1), (M2, v2) = e1, e2
        return M2 @ M1, jnp.einsum("kij,k...j->k...i", M2, v1) + v2

    _, ends = jax.lax.associative_scan(combine, (M, Ut))
    first = jnp.zeros_like(Ut[:1]) if s0 is None else s0[None]
    starts = jnp.concatenate([first, ends[:-1]])
    return jnp.moveaxis(starts, 0, -2), ends[-1]


_CARRIES = {"scan": _carry_scan, "assoc": _carry_assoc}


def _state_product(X: jax.Array, S: jax.Array, W: jax.Array) -> jax.Array:
    """``[X | S] @ W`` row by row: blocks ``(..., k, L)``, their states ``(..., k, d)``.

    With ``TUNING["recurrence"]["chunk_bytes"]`` (CPU), a ``lax.map`` over chunks of rows whose
    ``[X | S]`` fits in cache: the concatenation is then never written to memory (16 x 2^20
    float32, L = 64: 105 against 124 ms unchunked, 36 KB chunks, loaded 2-core EPYC).
    """
    lead, (k, L), d = X.shape[:-2], X.shape[-2:], S.shape[-1]
    S = S.astype(X.dtype)
    t = cost.tuning(jax.default_backend()).get("recurrence") or {}
    rows = math.prod(lead) * k
    want = int(t.get("chunk_bytes", 0) // ((L + d) * X.dtype.itemsize))
    size = next((c for c in range(min(want, rows), 0, -1) if rows % c == 0), 0)
    if want < 2 or size < max(8, want // 4) or size == rows:
        return jnp.concatenate([X, S], axis=-1) @ W
    Xc = X.reshape(rows // size, size, L)
    Sc = S.reshape(rows // size, size, d)
    Y = jax.lax.map(lambda c: jnp.concatenate([c[0], c[1]], axis=-1) @ W, (Xc, Sc))
    return Y.reshape(*lead, k, W.shape[-1])


def _blocked(x, sys_, s0, inner: str, L: int, carry: str):
    """The recurrence in blocks of ``L`` samples.

    Every block's response from rest (and the state it leaves) is computed at once: by a
    ``lax.scan`` over the ``L`` positions of all blocks together (``inner="scan"``: few, wide
    steps), or by one product with the block's Toeplitz matrix (``inner="toeplitz"``). The block
    start states are then carried (``carry``) and their free response ``C A^i S`` added.
    """
    A, B, C, D, step = sys_
    n, d = x.shape[-1], A.shape[0]
    batch = x.shape[:-1]
    Pw = _powers(A, L + 1)  # A^0 .. A^L
    CA = jnp.einsum("j,ijk->ik", C, Pw[:L])  # (L, d): C A^i, the free response
    k, r = divmod(n, L)
    X = x[..., : k * L].reshape(*batch, k, L)
    if inner == "scan":
        z0 = tuple(jnp.zeros((*batch, k), x.dtype) for _ in range(d))
        z, Yt = jax.lax.scan(step, z0, jnp.moveaxis(X, -1, 0))  # Yt: (L, *batch, k)
        U = jnp.stack(z, axis=-1)
        starts, s_end = _CARRIES[carry](U, Pw[L], s0)
        for j in range(d):  # d multiply-adds per sample, fused with the transpose back
            Yt = Yt + CA[:, j].reshape(L, *([1] * (len(batch) + 1))) * starts[..., j]
        y = jnp.moveaxis(Yt, 0, -1).reshape(*batch, k * L)
    else:
        AB = Pw[:L] @ B  # (L, d): A^i B
        h = jnp.concatenate([D[None], CA[: L - 1] @ B])  # impulse response h[0..L-1]
        lag = np.arange(L)[:, None] - np.arange(L)[None, :]
        T = jnp.where(jnp.asarray(lag >= 0), h[np.clip(lag, 0, None)], jnp.zeros((), h.dtype))
        G = AB[::-1].T  # (d, L): column j is A^(L-1-j) B
        U = X @ G.T  # the state each block leaves from rest
        starts, s_end = _CARRIES[carry](U, Pw[L], s0)
        if s0 is None:
            # the zero-state response and the free response of the start state in one product
            # of [block | start state] (L + d wide): 1.3x faster on XLA:CPU than a separate pass
            # of d multiply-adds per sample over the product
            W = jnp.concatenate([T.T, CA.T])
            y = _state_product(X, starts, W).reshape(*batch, k * L)
        else:
            # started in a state (zi; filtfilt's step state): the separate pass fuses with what
            # follows (filtfilt's reversals: 1.6x faster there than the one product)
            Y = X @ T.T
            for j in range(d):  # d multiply-adds per sample in one fusion (a (rows, d) @ (d, L)
                Y = Y + starts[..., j : j + 1] * CA[:, j]  # product ran ~8x slower on XLA:CPU)
            y = Y.reshape(*batch, k * L)
    if r:
        yr, s_end = _sequential(x[..., k * L :], sys_, s_end)
        y = jnp.concatenate([y, yr], axis=-1)
    return y, s_end


def plan(batch: int, n: int, d: int, recurrence: str = "auto", platform: str | None = None):
    """``(inner, block, carry)`` for ``batch`` signals of ``n`` samples and a state of ``d``.

    ``inner`` is "sequential" (one sample at a time), "scan" (a ``lax.scan`` over the positions
    of all blocks at once) or "toeplitz" (one product with each block's Toeplitz matrix);
    ``carry`` ("scan" or "assoc") carries the block states. The constants are
    ``TUNING[platform]["recurrence"]`` in ``_lower/cost.py``: loop steps cost ``scan_step`` each
    plus ``lane`` per state element, the Toeplitz products ``2 (L + d)`` flops per sample at
    ``gemm_rate``, the associative scan ``2 log2(blocks)`` passes over the block states.
    """
    platform = platform or jax.default_backend()
    t = cost.tuning(platform).get("recurrence") or cost.TUNING["default"]["recurrence"]
    if recurrence == "sequential" or n <= 2:
        return "sequential", 0, "scan"
    best: tuple[float, str, int, str] | None = None
    inners = {"auto": ("scan", "toeplitz"), "blocked": ("scan",), "toeplitz": ("toeplitz",)}
    carries = ("assoc",) if recurrence == "associative" else ("scan", "assoc")
    for inner in inners.get(recurrence, ("scan", "toeplitz")):
        for L in t["blocks"][inner]:
            L = min(L, n)
            k = n // L
            work = batch * n * d * t["lane"]
            if inner == "scan":
                body = L * t["scan_step"] + work + 2 * batch * n * t["transpose"]
            else:
                body = 2.0 * batch * n * (L + 2 * d) / t["gemm_rate"] + work
            state = batch * k * d * d * t["lane"]
            for c in carries:
                if c == "scan":
                    total = body + k * t["scan_step"] + state
                else:
                    total = body + 2 * math.log2(max(k, 2)) * (t["assoc_level"] + state)
                if best is None or total < best[0]:
                    best = (total, inner, L, c)
    assert best is not None
    return best[1], best[2], best[3]


def run_ss(x, sys_, s0=None, recurrence: str = "auto"):
    """``(y, s_end)`` of the recursion ``sys_`` (:func:`system`) along the last axis of ``x``."""
    with jax.default_matmul_precision("highest"):  # no TF32/bfloat16 passes on accelerators
        return _run_ss(x, sys_, s0, recurrence)


def _run_ss(x, sys_, s0, recurrence):
    A, D = sys_[0], sys_[3]
    n, d = x.shape[-1], A.shape[0]
    if d == 0:
        return D.astype(x.dtype) * x, jnp.zeros((*x.shape[:-1], 0), x.dtype)
    if n == 0:
        return x, jnp.zeros((*x.shape[:-1], d), x.dtype) if s0 is None else s0
    if jnp.iscomplexobj(x) and not jnp.iscomplexobj(A):  # two real filters, one program
        s = None if s0 is None else jnp.stack([s0.real, s0.imag])
        y, s_end = _run_ss(jnp.stack([x.real, x.imag]), sys_, s, recurrence)
        return jax.lax.complex(y[0], y[1]), jax.lax.complex(s_end[0], s_end[1])
    inner, L, carry = plan(math.prod(x.shape[:-1]), n, d, recurrence)
    if inner == "sequential":
        return _sequential(x, sys_, s0)
    return _blocked(x, sys_, s0, inner, L, carry)


def anticausal(x, sys_, fir: jax.Array | None = None, recurrence: str = "auto"):
    """``g = Hᵀ x`` (the filter run backwards in time) and, with ``fir``, ``Σ_m fir[m] g[n + m]``.

    In Toeplitz blocks, without reversing the signal: a block's response from rest is one product
    with the reversed-index Toeplitz matrix, the block states are carried from the last block to
    the first, and the FIR of the result is applied to the block products (shifted reads of one
    materialized array) and, in closed form, to the free responses of this block's and the next
    block's states (``2 d`` multiply-adds per sample). Returns ``(g, fir_of_g)`` (the second
    ``None`` without ``fir``).
    """
    with jax.default_matmul_precision("highest"):
        return _anticausal(x, sys_, fir, recurrence)


def _anticausal(x, sys_, fir, recurrence):
    A, B, C, D, _ = sys_
    n, d = x.shape[-1], A.shape[0]
    batch = x.shape[:-1]
    inner, L, carry = (
        plan(math.prod(batch), n, d, recurrence) if d and n > 2 else ("sequential", 0, "")
    )
    if inner != "toeplitz" or n % L:  # the reversed program
        g = jnp.flip(run_ss(jnp.flip(x, -1), sys_, None, recurrence)[0], -1)
        return g, None if fir is None else _fir_transpose(fir, g)
    Pw = _powers(A, L + 1)
    CA = jnp.einsum("j,ijk->ik", C, Pw[:L])  # (L, d)
    AB = Pw[:L] @ B
    h = jnp.concatenate([D[None], CA[: L - 1] @ B])
    lag = np.arange(L)[:, None] - np.arange(L)[None, :]
    T = jnp.where(jnp.asarray(lag >= 0), h[np.clip(lag, 0, None)], jnp.zeros((), h.dtype))
    k = n // L
    X = x.reshape(*batch, k, L)
    U = X @ AB  # the state a block leaves at its start, run backwards from rest
    starts, _ = _CARRIES[carry](U, Pw[L], None, reverse=True)
    # the block products and the free responses of the entering states in one product, so that
    # g is one materialized array (its FIR's shifted reads and the lag products then read it; a
    # fused free response was recomputed by each of them)
    g = _state_product(X, starts, jnp.concatenate([T, CA[::-1].T])).reshape(*batch, n)
    return g, None if fir is None else _fir_transpose(fir, g)


# ---- gradients from the filter's own fast forms ------------------------------------------------
#
# For ``y = (B/A) x`` (``A[0]`` not necessarily 1) and a cotangent ``c`` of ``y``, let
# ``g = (1/A)ᵀ c`` be the anti-causal all-pole filter of ``c`` (the fast forward program run on
# the reversed signal). Then
#
#     ∂L/∂x = Bᵀ g                       (the anti-causal FIR of ``g`` by ``B``),
#     ∂L/∂B[m] = Σ_n g[n] x[n - m],      ∂L/∂A[m] = -Σ_n g[n] y[n - m],
#
# a few lagged dot products of length N instead of JAX's per-block ``Xᵀ dY`` products. A cascade
# of sections is ``B = Π b_i``, ``A = Π a_i`` (polynomial products, differentiated by JAX), and
# its all-pole part runs as sections ``[1, 0, 0, a_i]``. The gradient is a ``jax.custom_jvp``
# whose tangent is the transpose of that pullback (as ``_lower/fast.py`` does for convolutions):
# ``jax.vjp`` transposes it back into the pullback, and ``jax.linear_transpose`` (which inlines
# ``custom_jvp`` functions) still derives the transpose of the forward program.


def _is_zero(t: object) -> bool:
    return isinstance(t, jax.custom_derivatives.SymbolicZero)


def _polys(sos: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The numerator and denominator of a cascade, ``Π b_i`` and ``Π a_i`` (``2 n + 1`` each)."""
    B, A = sos[0, :3], sos[0, 3:]
    for s in sos[1:]:
        B, A = jnp.convolve(B, s[:3]), jnp.convolve(A, s[3:])
    return B, A


def _lag_dots(g: jax.Array, vs: tuple[jax.Array, ...], k: int) -> jax.Array:
    """``[[Σ g[..., n] v[..., n - m] for m < k] for v in vs]``, summed over every axis.

    The time axis is cut into rows of ``P >= k - 1`` samples (a free reshape): the products of
    ``g``'s rows and of the next rows with ``v``'s rows (``(2P x R) (R x P)``) hold every lag up
    to ``P``, within a row and across one row boundary. XLA:CPU ran shifted reductions ~10x
    slower than these products (and a concatenation of the two ``g`` row sets ~2x slower).
    """
    n = g.shape[-1]
    P = max(8, -(-(k - 1) // 8) * 8)
    pad = (-n) % P
    widths = [(0, 0)] * (g.ndim - 1)
    if pad:
        g = jnp.pad(g, [*widths, (0, pad)])
        vs = tuple(jnp.pad(v, [*widths, (0, pad)]) for v in vs)
    nxt = jnp.pad(g[..., P:], [*widths, (0, P)])  # each signal's next row (zeros after its end)

    def rows_dot(a, b):  # Σ_r a[r, i] b[r, j]
        a, b = a.reshape(-1, P), b.reshape(-1, P)
        dims = (((0,), (0,)), ((), ()))
        return jax.lax.dot_general(a, b, dims, precision=jax.lax.Precision.HIGHEST)

    i = np.arange(P)[:, None]
    j = np.arange(P)[None, :]
    same = np.stack([(i - j == m) for m in range(k)]).astype(np.float64)  # (k, P, P)
    cross = np.stack([(P + i - j == m) for m in range(k)]).astype(np.float64)
    out = []
    for v in vs:
        M0, M1 = rows_dot(g, v), rows_dot(nxt, v)
        out.append(
            jnp.einsum("ab,mab->m", M0, jnp.asarray(same, M0.dtype))
            + jnp.einsum("ab,mab->m", M1, jnp.asarray(cross, M1.dtype))
        )
    return jnp.stack(out)


def _fir_transpose(B: jax.Array, g: jax.Array) -> jax.Array:
    """``Σ_m B[m] g[..., n + m]`` (``g`` zero after its end): the transpose of the FIR ``B``."""
    n = g.shape[-1]
    out = B[0] * g
    for m in range(1, B.shape[0]):
        if m >= n:
            break
        out = out + B[m] * jnp.pad(g[..., m:], [(0, 0)] * (g.ndim - 1) + [(0, m)])
    return out


def _coef_system(kind: str, c: tuple[jax.Array, ...]):
    return system(sos=c[0]) if kind == "sos" else system(c[0], c[1])


def _pullback(kind, recurrence, c, x, y, ct, want_c: bool, want_x: bool):
    """``(∂L/∂c, ∂L/∂x)`` (``None`` where not wanted) for the cotangent ``ct`` of ``y``."""
    if kind == "sos":
        (s,) = c
        B, A = _polys(s)
        one = jnp.ones_like(s[:, :1])
        allpole = system(sos=jnp.concatenate([one, 0 * one, 0 * one, s[:, 3:]], axis=1))
    else:
        B, A = c
        allpole = system(jnp.ones_like(A[:1]), A)
    g, ct_x = anticausal(ct, allpole, B if want_x else None, recurrence)  # (1/A)ᵀ ct, Bᵀ g
    ct_c = None
    if want_c:
        d = _lag_dots(g, (x, y), A.shape[0])
        dB, dA = d[0], -d[1]
        ct_c = jax.vjp(_polys, c[0])[1]((dB, dA)) if kind == "sos" else (dB, dA)
    return ct_c, ct_x


def fast_grad_filter(kind: str, c: tuple[jax.Array, ...], x: jax.Array, recurrence: str):
    """``y`` of the filter ``c`` (``kind`` "tf": ``(b, a)`` of equal lengths; "sos": ``(sos,)``)
    on real ``x`` along its last axis from rest, with the gradient of :func:`_pullback`."""

    @jax.custom_jvp
    def f(c, x):
        return run_ss(x, _coef_system(kind, c), None, recurrence)[0]

    def jvp(primals, tangents):
        c, x = primals
        dc, dx = tangents
        y = f(c, x)
        want_c = not all(_is_zero(t) for t in dc)
        want_x = not _is_zero(dx)
        if not (want_c or want_x):
            return y, jnp.zeros_like(y)
        struct = jax.ShapeDtypeStruct(y.shape, y.dtype)

        def pull(ct):
            ct_c, ct_x = _pullback(kind, recurrence, c, x, y, ct, want_c, want_x)
            return (ct_c if want_c else ()), (ct_x if want_x else ())

        dc_ = tuple(jnp.zeros_like(ci) if _is_zero(t) else t for ci, t in zip(c, dc))
        args = (dc_ if want_c else ()), (dx if want_x else ())
        (t,) = jax.linear_transpose(pull, struct)(args)
        return y, t

    f.defjvp(jvp, symbolic_zeros=True)
    return f(tuple(c), x)


def filter_from_rest(x, b=None, a=None, sos=None, recurrence: str = "auto") -> jax.Array:
    """``y`` of ``b/a`` or ``sos`` (in ``x``'s dtype) along the last axis of ``x`` from rest.

    Real coefficients take :func:`fast_grad_filter` (complex data as two real filters);
    complex ones and ``recurrence="sequential"`` (the definition) JAX's derived gradient.
    """
    coefs = (sos,) if sos is not None else (b, a)
    if recurrence == "sequential" or any(jnp.iscomplexobj(v) for v in coefs) or x.shape[-1] < 2:
        return run_ss(x, system(b, a, sos), None, recurrence)[0]
    if jnp.iscomplexobj(x):
        y = filter_from_rest(jnp.stack([x.real, x.imag]), b, a, sos, recurrence)
        return jax.lax.complex(y[0], y[1])
    if sos is not None:
        return fast_grad_filter("sos", (sos / sos[:, 3:4],), x, recurrence)
    assert b is not None and a is not None
    k = max(b.shape[0], a.shape[0])
    bn = jnp.pad(b, (0, k - b.shape[0])) / a[0]
    an = jnp.pad(a, (0, k - a.shape[0])) / a[0]
    return fast_grad_filter("tf", (bn, an), x, recurrence)


# ---- operators -------------------------------------------------------------------------------
@node(data=("b", "a", "sos"))
class Recursive(ca.Operator):
    """A causal recursive filter along ``axis``: ``b/a`` (``lfilter``) or a cascade ``sos``.

    ``(..., N, ...) -> (..., N, ...)``. With ``initial="step"`` the filter starts in the state a
    step of height ``x[0]`` settles into (``lfilter_zi(b, a) * x[0]``, what ``filtfilt`` does),
    which is still linear in ``x``.
    """

    b: Any
    a: Any
    sos: Any
    axis: int
    initial: str
    recurrence: str
    weak: bool

    def _label(self) -> str:
        extra = "" if self.initial == "zero" else f", initial={self.initial!r}"
        extra += "" if self.axis == -1 else f", axis={self.axis}"
        if self.sos is not None:
            return f"sosfilt_op(<{self.sos.shape[0]} sections>{extra})"
        return f"lfilter_op(<{self.b.shape[0]}>, <{self.a.shape[0]}>{extra})"

    def _sym(self, x: str) -> str:
        name = f"sos{self.sos.shape[0]}" if self.sos is not None else "(b/a)"
        op = "*" if self.initial == "zero" else "*[step]"
        return f"{name} {op} {wrap_sym(x)}"

    def _coefs(self) -> list[Any]:
        return [self.sos] if self.sos is not None else [self.b, self.a]

    def _infer(self, shape, dtype):
        fn = "sosfilt_op" if self.sos is not None else "lfilter_op"
        _axis(fn, self.axis, len(shape))
        return tuple(shape), _result_dtype(dtype, self._coefs(), self.weak)

    def _system(self, dtype):
        if self.sos is not None:
            sos = _cast(self.sos, dtype)
            sys_ = system(sos=sos)
            zi = _zi_sos(sos).reshape(-1) if self.initial == "step" else None
        else:
            b, a = _cast(self.b, dtype, self.a), _cast(self.a, dtype, self.b)
            sys_ = system(b, a)
            zi = _zi_tf(b, a) if self.initial == "step" else None
        return sys_, zi

    def _filter(self, x: jax.Array, recurrence: str) -> jax.Array:
        _, dt = self._infer(x.shape, x.dtype)
        ax = self.axis % x.ndim
        xm = jnp.moveaxis(x.astype(dt), ax, -1)
        if self.initial == "zero":
            if self.sos is not None:
                y = filter_from_rest(xm, sos=_cast(self.sos, dt), recurrence=recurrence)
            else:
                b, a = _cast(self.b, dt, self.a), _cast(self.a, dt, self.b)
                y = filter_from_rest(xm, b, a, recurrence=recurrence)
            return jnp.moveaxis(y, -1, ax)
        sys_, zi = self._system(dt)
        s0 = None if zi is None else zi.astype(xm.dtype) * xm[..., :1]
        y, _ = run_ss(xm, sys_, s0, recurrence)
        return jnp.moveaxis(y, -1, ax)

    def _apply(self, x: jax.Array) -> jax.Array:
        return self._filter(x, "sequential")

    def to_ir(self, shape, dtype):
        fn = functools.partial(self._filter, recurrence=self.recurrence)
        return ir.Apply(fn=fn, label_=self._label(), sym=self._sym)


@node()
class Reverse(ca.Operator):
    """Time reversal of the last axis, ``(..., N) -> (..., N)`` (its own transpose)."""

    def _label(self) -> str:
        return "reverse()"

    def _sym(self, x: str) -> str:
        return f"rev {wrap_sym(x)}"

    def _infer(self, shape, dtype):
        if len(shape) < 1:
            raise ValueError(f"reverse: needs at least one axis, got shape {shape}")
        return tuple(shape), np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        return jnp.flip(x, -1)


def _options(fn: str, axis: Any, initial: str, recurrence: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{fn}: axis must be an int, got {axis!r}")
    if initial not in INITIAL:
        raise ValueError(f"{fn}: initial must be one of {INITIAL}, got {initial!r}")
    if recurrence not in RECURRENCES:
        raise ValueError(f"{fn}: recurrence must be one of {RECURRENCES}, got {recurrence!r}")
    return int(axis)


def lfilter_op(
    b: jax.typing.ArrayLike,
    a: jax.typing.ArrayLike,
    *,
    axis: int = -1,
    initial: str = "zero",
    recurrence: str = "auto",
) -> ca.Operator:
    """The recursive filter ``b/a`` along ``axis``, as a linear operator (``lfilter`` with no
    ``zi``).

    ``y[n] = (sum_k b[k] x[n-k] - sum_{k>=1} a[k] y[n-k]) / a[0]``; ``(..., N) -> (..., N)``
    along ``axis``. The output length equals the input length, so no ``in_size=`` is needed.
    ``ca.matrix`` is the lower-triangular Toeplitz matrix of the impulse response; the transposes
    that ``ca.transpose`` derives (both methods) are the anti-causal filter (the recursion run
    backwards in time). ``b`` and ``a`` are pytree leaves: ``jax.grad`` reaches them.

    Args:
      b, a: 1-D numerator and denominator coefficients (``a[0] != 0``). Python lists are weak
        (they take the data's precision); arrays promote as NumPy does.
      axis: the time axis of the input (default -1).
      initial: "zero" (a filter at rest, SciPy's default) or "step" (started in the state a step
        of height ``x[0]`` settles into, ``lfilter_zi(b, a) * x[0]``, as ``filtfilt`` does).
      recurrence: "auto" (the cost model's choice), "blocked" (Toeplitz blocks and a
        ``lax.scan`` over blocks), "associative" (``lax.associative_scan``), "sequential".

    Returns:
      The operator.

    Raises:
      ValueError: coefficients that are not 1-D, ``a[0] == 0``, non-finite coefficients.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.lfilter_op([1.0], [1.0, -0.5])(jnp.array([1.0, 0.0, 0.0])).tolist()
      [1.0, 0.5, 0.25]
    """
    b_, a_ = _ba("lfilter_op", b, a)
    ax = _options("lfilter_op", axis, initial, recurrence)
    weak = _weak(b) and _weak(a)
    return Recursive(b_, a_, None, ax, initial, recurrence, weak)


def sosfilt_op(
    sos: jax.typing.ArrayLike,
    *,
    axis: int = -1,
    initial: str = "zero",
    recurrence: str = "auto",
) -> ca.Operator:
    """A cascade of second-order sections along ``axis``, as a linear operator (``sosfilt``).

    ``sos`` has shape ``(n_sections, 6)``, rows ``[b0, b1, b2, a0, a1, a2]`` (each section is
    divided by its ``a0``; SciPy requires ``a0 == 1``). Everything else as :func:`lfilter_op`.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> op = cs.sosfilt_op([[1.0, 0.0, 0.0, 1.0, -0.5, 0.0]])
      >>> op(jnp.array([1.0, 0.0, 0.0])).tolist()
      [1.0, 0.5, 0.25]
    """
    s = _sos("sosfilt_op", sos)
    ax = _options("sosfilt_op", axis, initial, recurrence)
    return Recursive(None, None, s, ax, initial, recurrence, _weak(sos))


# ---- SciPy's functions -----------------------------------------------------------------------
def lfilter_zi(b: jax.typing.ArrayLike, a: jax.typing.ArrayLike) -> jax.Array:
    """The steady state of ``lfilter`` for a unit step, as ``scipy.signal.lfilter_zi``.

    Solves ``(I - A) z = B`` for the transposed-direct-form state; scale it by the first sample
    (``zi * x[0]``) to start a filter in its step response.

    Args:
      b, a: 1-D coefficients (``a[0] != 0``).

    Returns:
      ``z``, shape ``(max(len(a), len(b)) - 1,)``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.lfilter_zi([0.5], [1.0, -0.5]).tolist()
      [0.5]
    """
    b_, a_ = _ba("lfilter_zi", b, a)
    dt = _result_dtype(np.result_type(b_.dtype, a_.dtype), [], False)
    return _zi_tf(jnp.asarray(b_).astype(dt), jnp.asarray(a_).astype(dt))


def sosfilt_zi(sos: jax.typing.ArrayLike) -> jax.Array:
    """The steady state of ``sosfilt`` for a unit step, as ``scipy.signal.sosfilt_zi``.

    Returns:
      ``zi``, shape ``(n_sections, 2)``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.sosfilt_zi([[0.5, 0.0, 0.0, 1.0, -0.5, 0.0]]).tolist()
      [[0.5, 0.0]]
    """
    s = _sos("sosfilt_zi", sos)
    dt = _result_dtype(s.dtype, [], False)
    return _zi_sos(jnp.asarray(s).astype(dt))


@functools.partial(jax.jit, static_argnames=("weak", "axis"))
def _run_tf(b, a, x, zi, *, weak, axis):
    dt = _result_dtype(x.dtype, [b, a], weak)
    xm = jnp.moveaxis(x.astype(dt), axis, -1)
    bc, ac = _cast(b, dt, a), _cast(a, dt, b)
    if zi is None:
        return jnp.moveaxis(filter_from_rest(xm, bc, ac), -1, axis)
    sys_ = system(bc, ac)
    s0 = jnp.broadcast_to(jnp.moveaxis(zi.astype(dt), axis, -1), (*xm.shape[:-1], sys_[0].shape[0]))
    y, zf = run_ss(xm, sys_, s0)
    return jnp.moveaxis(y, -1, axis), jnp.moveaxis(zf, -1, axis)


@functools.partial(jax.jit, static_argnames=("weak", "axis"))
def _run_sos(sos, x, zi, *, weak, axis):
    dt = _result_dtype(x.dtype, [sos], weak)
    xm = jnp.moveaxis(x.astype(dt), axis, -1)
    sc = _cast(sos, dt)
    if zi is None:
        return jnp.moveaxis(filter_from_rest(xm, sos=sc), -1, axis)
    sys_ = system(sos=sc)
    n = sos.shape[0]
    z = jnp.moveaxis(zi.astype(dt), axis + 1, -1)  # (n, ..., 2)
    s0 = jnp.moveaxis(z, 0, -2).reshape(*xm.shape[:-1], 2 * n)
    y, zf = run_ss(xm, sys_, s0)
    zf = jnp.moveaxis(zf.reshape(*xm.shape[:-1], n, 2), -2, 0)
    return jnp.moveaxis(y, -1, axis), jnp.moveaxis(zf, -1, axis + 1)


def lfilter(
    b: jax.typing.ArrayLike,
    a: jax.typing.ArrayLike,
    x: jax.typing.ArrayLike,
    axis: int = -1,
    zi: jax.typing.ArrayLike | None = None,
) -> Any:
    """A recursive (IIR or FIR) filter along one axis, as ``scipy.signal.lfilter``.

    ``a[0] y[n] = sum_k b[k] x[n-k] - sum_{k>=1} a[k] y[n-k]`` in SciPy's transposed direct form
    II, so ``zi``/``zf`` are SciPy's states. Values agree with SciPy to about ``1e-12``
    (relative, float64) on stable filters; a high-order ``b/a`` is as ill-conditioned here as in
    SciPy (use :func:`sosfilt`). An unstable filter grows as SciPy's does (nothing is clipped).
    Runs blocked (Toeplitz products, a carry over block states), jit-able, differentiable in
    ``b``, ``a``, ``x`` and ``zi``.

    Args:
      b, a: 1-D numerator and denominator, ``a[0] != 0``.
      x: the input, any number of axes, real or complex.
      axis: the time axis (default -1).
      zi: initial states, shaped like ``x`` with ``axis`` of length ``max(len(a), len(b)) - 1``
        (other axes may be 1, broadcast as SciPy allows).

    Returns:
      ``y`` shaped like ``x``; ``(y, zf)`` when ``zi`` is given (``zf`` shaped like ``zi``'s full
      shape).

    Raises:
      ValueError: bad coefficients (not 1-D, ``a[0] == 0``, non-finite), axis or ``zi`` shape.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.lfilter([1.0], [1.0, -0.5], jnp.ones(3)).tolist()
      [1.0, 1.5, 1.75]
    """
    b_, a_ = _ba("lfilter", b, a)
    xj = _data("lfilter", x)
    ax = _axis("lfilter", axis, xj.ndim)
    weak = _weak(b) and _weak(a)
    if zi is None:
        return _run_tf(b_, a_, xj, None, weak=weak, axis=ax)
    k = max(b_.shape[0], a_.shape[0]) - 1
    z = jnp.asarray(zi)
    want = list(xj.shape)
    want[ax] = k
    ok = z.ndim == xj.ndim and all(
        zs == ws or (i != ax and zs == 1) for i, (zs, ws) in enumerate(zip(z.shape, want))
    )
    if not ok:
        raise ValueError(
            f"lfilter: zi must have shape {tuple(want)} (x's shape with axis {ax} of length "
            f"max(len(a), len(b)) - 1 = {k}; other axes may be 1), got {tuple(z.shape)}"
        )
    if z.dtype.kind in "biu":
        z = z.astype(jnp.zeros((), float).dtype)
    return _run_tf(b_, a_, xj, z, weak=weak, axis=ax)


def sosfilt(
    sos: jax.typing.ArrayLike,
    x: jax.typing.ArrayLike,
    axis: int = -1,
    zi: jax.typing.ArrayLike | None = None,
) -> Any:
    """A cascade of second-order sections along one axis, as ``scipy.signal.sosfilt``.

    Values agree with SciPy to about ``1e-12`` (relative, float64) on stable filters up to order
    16 and beyond; an unstable cascade grows as SciPy's does (nothing is clipped).

    Args:
      sos: ``(n_sections, 6)`` rows ``[b0, b1, b2, a0, a1, a2]`` (``a0 != 0``).
      x: the input, any number of axes, real or complex.
      axis: the time axis (default -1).
      zi: initial states, shape ``(n_sections, *x.shape)`` with ``axis`` replaced by 2.

    Returns:
      ``y`` shaped like ``x``; ``(y, zf)`` when ``zi`` is given (``zf`` shaped like ``zi``).

    Raises:
      ValueError: ``sos`` not ``(n, 6)``, a zero ``a0``, non-finite coefficients, bad axis or
        ``zi`` shape.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> cs.sosfilt([[1.0, 0.0, 0.0, 1.0, -0.5, 0.0]], jnp.ones(3)).tolist()
      [1.0, 1.5, 1.75]
    """
    s = _sos("sosfilt", sos)
    xj = _data("sosfilt", x)
    ax = _axis("sosfilt", axis, xj.ndim)
    if zi is None:
        return _run_sos(s, xj, None, weak=_weak(sos), axis=ax)
    z = jnp.asarray(zi)
    want = list(xj.shape)
    want[ax] = 2
    want = (s.shape[0], *want)
    if tuple(z.shape) != want:
        raise ValueError(
            f"sosfilt: zi must have shape {want} (n_sections, then x's shape with axis {ax} "
            f"replaced by 2), got {tuple(z.shape)}"
        )
    if z.dtype.kind in "biu":
        z = z.astype(jnp.zeros((), float).dtype)
    return _run_sos(s, xj, z, weak=_weak(sos), axis=ax)


def _edge(fn: str, padtype: Any, padlen: Any, n: int, ntaps: int) -> int:
    if padtype not in PADTYPES:
        raise ValueError(f"{fn}: padtype must be one of {PADTYPES}, got {padtype!r}")
    if padtype is None:
        return 0
    edge = 3 * ntaps if padlen is None else int(padlen)
    if edge < 0:
        raise ValueError(f"{fn}: padlen must be >= 0, got {padlen}")
    if n <= edge:
        raise ValueError(
            f"{fn}: the input length along axis ({n}) must be greater than padlen ({edge})"
        )
    return edge


def filtfilt_operator(f: Recursive, edge: int, padtype: Any) -> ca.Operator:
    """``crop ∘ rev ∘ f ∘ rev ∘ f ∘ ext`` on the last axis (``f`` started in its step state)."""
    op = Reverse() @ f @ Reverse() @ f
    if edge:
        op = ca.crop((edge, edge)) @ op @ Extend(edge, edge, _PAD_MODE[padtype])
    return op


@functools.partial(jax.jit, static_argnames=("weak", "edge", "padtype"))
def _filtfilt(b, a, sos, x, *, weak, edge, padtype):
    f = Recursive(b, a, sos, -1, "step", "auto", weak)
    return filtfilt_operator(f, edge, padtype)(x)


def filtfilt(
    b: jax.typing.ArrayLike,
    a: jax.typing.ArrayLike,
    x: jax.typing.ArrayLike,
    axis: int = -1,
    padtype: str | None = "odd",
    padlen: int | None = None,
    method: str = "pad",
    irlen: int | None = None,
) -> jax.Array:
    """Forward-backward (zero-phase) filtering, as ``scipy.signal.filtfilt`` (``method="pad"``).

    The composition ``crop ∘ rev ∘ F ∘ rev ∘ F ∘ ext`` of the algebra: the signal is extended by
    ``padlen`` samples each side (``padtype`` "odd": ``2 x[0] - x[m]``, "even": mirrored,
    "constant": the edge sample), filtered by ``F`` = :func:`lfilter_op` started in its step state
    (``lfilter_zi(b, a) * x[0]``), reversed, filtered again, reversed back and cropped.

    Args:
      b, a: 1-D coefficients.
      x: the input; filtered along ``axis``.
      axis: the time axis (default -1).
      padtype: "odd" (default), "even", "constant" or None (no extension).
      padlen: the extension length, default ``3 * max(len(a), len(b))``; must be < the input
        length along ``axis``.
      method: "pad" only (Gustafsson's method is not provided: a ``ValueError`` says so).
      irlen: unused (Gustafsson's method).

    Returns:
      An array shaped like ``x``.

    Raises:
      ValueError: bad coefficients, axis, padtype, padlen or method.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> [round(v, 6) for v in cs.filtfilt([0.5], [1.0, -0.5], jnp.ones(8)).tolist()][:2]
      [1.0, 1.0]
    """
    del irlen
    b_, a_ = _ba("filtfilt", b, a)
    if method != "pad":
        raise ValueError(f"filtfilt: only method='pad' is provided, got {method!r}")
    xj = _data("filtfilt", x)
    ax = _axis("filtfilt", axis, xj.ndim)
    edge = _edge("filtfilt", padtype, padlen, xj.shape[ax], max(b_.shape[0], a_.shape[0]))
    xm = jnp.moveaxis(xj, ax, -1)
    weak = _weak(b) and _weak(a)
    y = _filtfilt(b_, a_, None, xm, weak=weak, edge=edge, padtype=padtype)
    return jnp.moveaxis(y, -1, ax)


def sosfiltfilt(
    sos: jax.typing.ArrayLike,
    x: jax.typing.ArrayLike,
    axis: int = -1,
    padtype: str | None = "odd",
    padlen: int | None = None,
) -> jax.Array:
    """Forward-backward filtering with second-order sections, as ``scipy.signal.sosfiltfilt``.

    As :func:`filtfilt` with :func:`sosfilt_op`; the default ``padlen`` is SciPy's, ``3 (2 n + 1
    - min(#b2 == 0, #a2 == 0))`` for ``n`` sections (under tracing the sections are taken as full
    second-order ones: pass ``padlen`` when some are first-order).

    Returns:
      An array shaped like ``x``.

    Raises:
      ValueError: bad ``sos``, axis, padtype or padlen.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> sos = [[0.5, 0.0, 0.0, 1.0, -0.5, 0.0]]
      >>> [round(v, 6) for v in cs.sosfiltfilt(sos, jnp.ones(8)).tolist()][:2]
      [1.0, 1.0]
    """
    s = _sos("sosfiltfilt", sos)
    xj = _data("sosfiltfilt", x)
    ax = _axis("sosfiltfilt", axis, xj.ndim)
    ntaps = 2 * s.shape[0] + 1
    if _concrete(s):
        sn = np.asarray(s)
        ntaps -= int(min((sn[:, 2] == 0).sum(), (sn[:, 5] == 0).sum()))
    edge = _edge("sosfiltfilt", padtype, padlen, xj.shape[ax], ntaps)
    xm = jnp.moveaxis(xj, ax, -1)
    y = _filtfilt(None, None, s, xm, weak=_weak(sos), edge=edge, padtype=padtype)
    return jnp.moveaxis(y, -1, ax)
