"""Structure for ``solve`` and ``norm``, read from the lowered and rewritten IR.

Nothing here looks at expression classes: the operator is lowered (``lowered_ir``: the IR
after the rewrite rules) and :mod:`convalgebra._lower.structure` reads the IR, so pinned,
``axis=``, transposed, several-output (``branch``/``join``/``parallel``), ``nn`` and ``signal``
operators are all seen. The closed forms themselves (in :mod:`._solve`) work on the symbols.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from .._expr.node import lowered_ir
from .._lower import ir as _ir
from .._lower import structure as _s

Spectral = _s.Spectral
Term = _s.Term
Ctx = _s.Ctx


def lowered(op: ca.Operator, xs: jax.ShapeDtypeStruct) -> Any:
    """The rewritten IR of ``op`` on inputs like ``xs``."""
    return lowered_ir(op, xs)


def spectral(op: ca.Operator, xs: jax.ShapeDtypeStruct) -> tuple[Spectral | None, str]:
    """``op`` as circular (possibly decimated) terms, or why not."""
    return _s.spectral(lowered(op, xs), tuple(xs.shape))


def isometry(op: ca.Operator, xs: jax.ShapeDtypeStruct) -> tuple[str, Any] | None:
    """``("iso", c)`` (``AᴴA = cI``), ``("coiso", c)`` (``AAᴴ = cI``) or ``None``."""
    return _s.isometry(lowered(op, xs))


@dataclasses.dataclass(frozen=True)
class Plan:
    """A spectral closed form for ``A`` (and ``L``): the terms, the Fourier axes, the common
    decimation (``None``: none, the plain Fourier form), whether channels mix."""

    a: Spectral
    l: Spectral | None
    axes: tuple[int, ...]
    factors: tuple[int, ...] | None
    mixing: bool
    chan: int | None


def plan(
    A: ca.Operator, L: ca.Operator | None, xs: jax.ShapeDtypeStruct
) -> tuple[Plan | None, str]:
    """The spectral closed form of ``min ‖Ax − y‖² + λ‖Lx‖²``, or why there is none."""
    sa, why = spectral(A, xs)
    if sa is None:
        return None, f"A: {why}"
    sl = None
    if L is not None:
        sl, why = spectral(L, xs)
        if sl is None:
            return None, f"L: {why}"
    terms = sa.flat() + (sl.flat() if sl is not None else [])
    real_x = not jnp.issubdtype(xs.dtype, jnp.complexfloating)
    if real_x and any(t.cplx for t in terms):
        return None, "a complex kernel with a real x (the real-constrained problem)"
    axes = tuple(sorted(set(sa.axes) | set(sl.axes if sl is not None else ())))
    dec = {t.factors for t in terms if t.decimated and t.factors is not None}
    if len(dec) > 1:
        return None, f"terms decimated by different factors {sorted(dec)}"
    factors = dec.pop() if dec else None
    chans = {t.chan for t in terms if t.chan is not None}
    if len(chans) > 1:
        return None, f"filters with channels along different axes {sorted(chans)}"
    chan = chans.pop() if chans else None
    mixing = any(t.mixing for t in terms)
    if mixing and factors is not None:
        return None, "channel mixing before ↓k is not implemented in closed form"
    return Plan(sa, sl, axes, factors, mixing, chan), ""


def has_opaque_linear(op: ca.Operator, xs: jax.ShapeDtypeStruct) -> bool:
    """Whether the IR holds a user function (``ca.linear``), whose linearity is a promise."""
    return any(
        isinstance(n, _ir.Apply) and n.label_.startswith("linear(")
        for n in _ir.walk(lowered(op, xs))
    )


def np_dtype(x: Any) -> np.dtype:
    return np.dtype(x.dtype)
