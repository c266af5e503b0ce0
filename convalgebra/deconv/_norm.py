"""``norm`` (the largest singular value) and ``normal`` (the operator ``AᴴA + λLᴴL``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from . import _structure as st
from ._solve import _check_reg, _complex_dtype, _real_dtype, _struct


def norm(
    A: ca.Operator, x_like: Any, *, method: str = "auto", iters: int = 100, key: int = 0
) -> jax.Array:
    """The operator 2-norm ``‖A‖₂`` (largest singular value), e.g. for gradient step sizes.

    Exact from the structure where ``solve`` has a closed form (``√c`` for ``AᴴA = cI`` or
    ``AAᴴ = cI``; ``max |Ĥ|`` for circular convolutions; ``max √(mean over aliases |Ĥ|²)`` for
    ``↓k ∘`` circular), otherwise by ``iters`` steps of power iteration on ``AᴴA`` from a
    random start (an estimate from below that converges at the rate ``(σ₂/σ₁)²``).

    Args:
      A: the operator.
      x_like: an array, ``jax.ShapeDtypeStruct`` or shape tuple: the input structure.
      method: ``"auto"`` (structure first) or ``"power"`` (always power iteration).
      iters: power-iteration steps.
      key: seed of the random start.

    Returns:
      A real scalar array.

    Raises:
      ValueError: an unknown method or a non-positive ``iters``.

    Example:
      >>> import jax, convalgebra as ca
      >>> from convalgebra.deconv import norm
      >>> float(norm(ca.conv([1.0, 1.0], "circular"), jax.ShapeDtypeStruct((8,), "float32")))
      2.0
    """
    xs = _struct("norm", x_like)
    A.out_struct(xs)
    if method not in ("auto", "power"):
        raise ValueError(f"norm: method must be 'auto' or 'power', got {method!r}")
    if int(iters) < 1:
        raise ValueError(f"norm: iters must be a positive int, got {iters!r}")
    rd = _real_dtype(xs.dtype)
    if method == "auto":
        iso = st.isometry(A)
        if iso is not None:
            return jnp.sqrt(jnp.asarray(iso[1]).astype(rd))
        real_x = not jnp.issubdtype(xs.dtype, jnp.complexfloating)
        circ = st.circular(A)
        if circ is not None and not circ.mixing and not (real_x and circ.complex_kernel):
            nd = st.spatial_ndim(circ, xs)
            h = st.impulse(A, xs, circ, nd).astype(_complex_dtype(xs.dtype))
            return jnp.max(jnp.abs(jnp.fft.fftn(h, axes=tuple(range(-nd, 0))))).astype(rd)
        alias, _ = st.aliasing(A, tuple(xs.shape))
        if (
            alias is not None
            and not alias.circ.mixing
            and not (real_x and alias.circ.complex_kernel)
        ):
            nd = len(alias.factors)
            h = st.impulse(alias.inner, xs, alias.circ, nd).astype(_complex_dtype(xs.dtype))
            for s in alias.scales:
                h = h * jnp.asarray(s).astype(h.dtype)
            P = jnp.abs(jnp.fft.fftn(h, axes=tuple(range(-nd, 0)))) ** 2
            lead = P.shape[: P.ndim - nd]
            split = lead + tuple(
                v for k, n in zip(alias.factors, P.shape[-nd:]) for v in (k, n // k)
            )
            axes = tuple(len(lead) + 2 * i for i in range(nd))
            S = jnp.sum(P.reshape(split), axis=axes) / int(np.prod(alias.factors))
            return jnp.sqrt(jnp.max(S)).astype(rd)
    At = ca.adjoint(A, xs)
    v = ca.testing.random_like(xs, key)
    v = v / jnp.linalg.norm(v)

    def step(_, carry):
        v, _s = carry
        w = At(A(v)).astype(xs.dtype)
        n = jnp.linalg.norm(w)
        return jnp.where(n > 0, w / jnp.where(n > 0, n, 1), w), n

    _, s = jax.lax.fori_loop(0, int(iters), step, (v, jnp.zeros((), rd)))
    return jnp.sqrt(s).astype(rd)


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

    Example:
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
    iso = st.isometry(A)
    if iso is not None and iso[0] == "iso" and L is None:
        return (iso[1] + reg) * ca.identity()
    circ = st.circular(A)
    lc = st.circular(L) if L is not None else st.Circular(None, None, False)
    both = st._merge(circ, lc) if circ is not None and lc is not None else None
    real_x = not jnp.issubdtype(xs.dtype, jnp.complexfloating)
    if (
        both is not None
        and both.ndim is not None
        and not both.mixing
        and not (real_x and both.complex_kernel)
    ):
        nd = both.ndim
        delta = st.impulse((), xs, both, nd)  # one impulse per channel, shape (C, *S) or (*S)
        ds = jax.ShapeDtypeStruct(delta.shape, delta.dtype)
        # the response of AᴴA + λLᴴL to the impulse: one full-period circular kernel
        k = ca.adjoint(A, ds)(A(delta))
        lam = jnp.asarray(reg).astype(_real_dtype(xs.dtype))
        if L is not None:
            p = ca.adjoint(L, ds)(L(delta))
            k = k + lam.astype(p.dtype) * p
        elif not (isinstance(reg, (int, float)) and reg == 0):
            k = k + lam.astype(delta.dtype) * delta
        return ca.conv(k.astype(xs.dtype), "circular", ndim=nd)
    N = ca.adjoint(A, xs) @ A
    if L is not None:
        return N + reg * (ca.adjoint(L, xs) @ L)
    if isinstance(reg, (int, float)) and reg == 0:
        return N
    return N + reg * ca.identity()
