"""``norm`` (the largest singular value) and ``normal`` (the operator ``AᴴA + λLᴴL``)."""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from .._lower import structure as _s
from ._solve import _check_reg, _complex_dtype, _real_dtype, _struct


def norm(
    A: ca.Operator, x_like: Any, *, method: str = "auto", maxiter: int = 100, key: int = 0
) -> jax.Array:
    """The operator 2-norm ``‖A‖₂`` (largest singular value), e.g. for gradient step sizes.

    Exact from the structure (read from the lowered IR, as :func:`solve` reads it) where
    ``solve`` has a closed form: ``√c`` for ``AᴴA = cI`` or ``AAᴴ = cI``;
    ``max √(Σᵢ |Ĥᵢ|²)`` for circular terms (the largest singular value of the per-frequency
    matrix where channels mix); the largest eigenvalue of the ``K × K`` aliasing blocks for
    ``↓k ∘`` circular terms (1 for a Parseval frame). Otherwise ``maxiter`` steps of power
    iteration on ``AᴴA`` from a random start (an estimate from below that converges at the
    rate ``(σ₂/σ₁)²``).

    Args:
      A: the operator.
      x_like: an array, ``jax.ShapeDtypeStruct`` or shape tuple: the input structure.
      method: ``"auto"`` (structure first) or ``"power"`` (always power iteration).
      maxiter: power-iteration steps, >= 1.
      key: seed of the random start.

    Returns:
      A real scalar array.

    Raises:
      ValueError: an unknown method or ``maxiter < 1``.

    Examples:
      >>> import jax, convalgebra as ca
      >>> from convalgebra.deconv import norm
      >>> float(norm(ca.conv([1.0, 1.0], "circular"), jax.ShapeDtypeStruct((8,), "float32")))
      2.0
    """
    xs = _struct("norm", x_like)
    A.out_struct(xs)
    if method not in ("auto", "power"):
        raise ValueError(f"norm: method must be 'auto' or 'power', got {method!r}")
    if isinstance(maxiter, bool) or not isinstance(maxiter, numbers.Integral) or maxiter < 1:
        raise ValueError(f"norm: maxiter must be an int >= 1, got {maxiter!r}")
    rd = _real_dtype(xs.dtype)
    if method == "auto":
        iso = _s.tight(_s.lowered(A, xs), xs)
        if iso is not None and not iso.checks:  # (checks: traced kernels, unproven)
            return jnp.sqrt(jnp.asarray(iso.c).astype(rd))
        p, _ = _s.plan(A, None, xs)
        if p is not None:
            return _spectral_norm(p, xs).astype(rd)
    At = ca.adjoint(A, xs)
    v = ca.testing.random_like(xs, key)
    v = v / jnp.linalg.norm(v)

    def step(_, carry):
        v, _s = carry
        w = At(A(v)).astype(xs.dtype)
        n = jnp.linalg.norm(w)
        return jnp.where(n > 0, w / jnp.where(n > 0, n, 1), w), n

    _, s = jax.lax.fori_loop(0, int(maxiter), step, (v, jnp.zeros((), rd)))
    return jnp.sqrt(s).astype(rd)


def _spectral_norm(p: _s.Plan, xs: jax.ShapeDtypeStruct) -> jax.Array:
    """``√λ_max(AᴴA)`` from the symbols."""
    cd = _complex_dtype(xs.dtype)
    shape = tuple(xs.shape)
    real = not jnp.issubdtype(xs.dtype, jnp.complexfloating) and p.factors is None
    ctx = p.ctx(xs, real, cd)
    terms = p.a.flat()
    if p.half:  # the DCT-II eigenvalues: the first N bins of the doubled period
        P: Any = 0
        for t in terms:
            h = p.dct_symbol(t.build(ctx).a, xs)
            P = P + h * h
        return jnp.sqrt(jnp.max(P))
    if p.mixing:
        chan = p.chan
        assert chan is not None
        N: Any = 0
        for t in terms:
            s = t.build(ctx)
            H = s.a if s.matrix else _s._to_matrix(s, chan, t.shape[chan]).a
            N = N + jnp.einsum("ki...,kj...->ij...", jnp.conj(H), H)
        N = jnp.moveaxis(N, (0, 1), (-2, -1))
        return jnp.sqrt(jnp.max(jnp.linalg.eigvalsh(N)))
    if p.factors is None:
        P = 0
        for t in terms:
            H = t.build(ctx).a
            P = P + (H.real**2 + H.imag**2)
        return jnp.sqrt(jnp.max(P))
    K = int(np.prod(p.factors))
    M: Any = 0
    for t in terms:
        H = jnp.broadcast_to(t.build(ctx).a, shape)
        if t.decimated:
            h = _s.group(H, p.factors)
            M = M + jnp.conj(h)[..., :, None] * h[..., None, :] / K
        else:
            M = M + jnp.eye(K, dtype=cd) * _s.group(H.real**2 + H.imag**2, p.factors)[..., None, :]
    return jnp.sqrt(jnp.max(jnp.linalg.eigvalsh(M)))


def normal(
    A: ca.Operator, x_like: Any, *, reg: jax.typing.ArrayLike = 0.0, L: ca.Operator | None = None
) -> ca.Operator:
    """The normal operator ``AᴴA + λ LᴴL`` of ``solve``'s problem, as an operator.

    Simplified from the structure: ``c·I`` when ``AᴴA = cI`` (and ``L`` is absent); ONE
    circular convolution, whose kernel is the impulse response of ``AᴴA + λLᴴL`` (the
    kernel's circular autocorrelation, one period long), when ``A`` and ``L`` are circular;
    otherwise ``ca.adjoint(A, x_like) @ A`` (plus ``reg * ca.adjoint(L, x_like) @ L``).

    Args:
      A: the operator.
      x_like: an array, ``jax.ShapeDtypeStruct`` or shape tuple: the input structure.
      reg: λ >= 0.
      L: the regularisation operator (default: the identity).

    Returns:
      An operator from ``x_like``'s shape to itself.

    Examples:
      >>> import jax, convalgebra as ca
      >>> from convalgebra.deconv import normal
      >>> N = normal(ca.conv([1.0, 1.0], "circular"), jax.ShapeDtypeStruct((4,), "float32"))
      >>> N.notation(), N(jax.numpy.array([1.0, 0.0, 0.0, 0.0])).tolist()
      ('q *[circular] x', [2.0, 1.0, 0.0, 1.0])
    """
    xs = _struct("normal", x_like)
    A.out_struct(xs)
    _check_reg("normal", reg)
    if L is not None:
        L.out_struct(xs)
    iso = _s.tight(_s.lowered(A, xs), xs)
    if iso is not None and "iso" in iso.kinds and L is None and not iso.checks:
        return (iso.c + reg) * ca.identity()
    l_tight = _s.tight(_s.lowered(L, xs), xs) if L is not None else None
    if l_tight is not None and ("iso" not in l_tight.kinds or l_tight.checks):
        l_tight = None
    p, _ = _s.plan(A, L, xs, l_tight)
    n = len(xs.shape)
    nd = len(p.axes) if p is not None else 0
    if (
        p is not None
        and p.factors is None
        and not p.mixing
        and not p.half
        and nd > 0
        and p.axes == tuple(range(n - nd, n))
        and (p.chan is None or p.chan == n - nd - 1)
    ):
        # the impulse response of AᴴA + λLᴴL over one period: ONE circular kernel
        real = not jnp.issubdtype(xs.dtype, jnp.complexfloating)
        ctx = _s.Ctx(tuple(xs.shape), p.axes, real, _complex_dtype(xs.dtype))
        lam = jnp.asarray(reg).astype(_real_dtype(xs.dtype))
        P: Any = 0
        for t in p.a.flat():
            H = t.build(ctx).a
            P = P + (H.real**2 + H.imag**2)
        if p.l is not None:
            for t in p.l.flat():
                G = t.build(ctx).a
                P = P + lam * (G.real**2 + G.imag**2)
        elif not (isinstance(reg, (int, float)) and reg == 0):
            P = P + lam * jnp.asarray(p.l_scale).astype(lam.dtype)  # LᴴL = cI (L = I: 1)
        spatial = tuple(xs.shape[-nd:])
        k = ctx.inv(P.astype(ctx.cdtype), tuple(xs.shape)[: n - nd] + spatial)
        lead = k.shape[: k.ndim - nd]
        keep = (xs.shape[p.chan],) if p.chan is not None and lead[p.chan] > 1 else ()
        k = k.reshape(keep + spatial) if keep else k.reshape(spatial)
        origin = tuple(-(m // 2) for m in spatial)  # the response starts at index 0
        return ca.conv(k.astype(xs.dtype), "circular", ndim=nd, origin=origin)
    N = ca.adjoint(A, xs) @ A
    if L is not None:
        return N + reg * (ca.adjoint(L, xs) @ L)
    if isinstance(reg, (int, float)) and reg == 0:
        return N
    return N + reg * ca.identity()
