"""Structure detection for ``solve``: which closed form, if any, an operator admits.

Everything here reads only static fields of the expression (modes, ranks, factors, phases,
dtypes), never kernel values, so it runs unchanged under ``jax.jit`` and ``jax.vmap``.

Three structures are recognised:

* **circular**: a composition, sum or scaling of circular ``conv``/``corr`` filters (one filter,
  one per channel, or channel mixing) and identities. Such an operator is shift-invariant on
  the period, hence (block-)diagonal in the Fourier basis; its transfer function is the DFT of
  its impulse response (one impulse per input channel where channels mix).
* **aliasing** (Zhao et al. 2016): ``↓k`` after a circular operator, every axis length a
  multiple of its factor. ``AᴴA`` couples the ``k^d`` frequencies that alias onto each other,
  with a rank-one coupling that the Sherman-Morrison-Woodbury identity inverts in closed form.
* **scaled isometry / co-isometry**: ``AᴴA = cI`` (``↑k``, zero padding, ``↓k ↑k``) or
  ``AAᴴ = cI`` (``↓k``, cropping), composed and scaled. Then ``x = Aᴴy / (c + λ)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca


@dataclasses.dataclass(frozen=True)
class Circular:
    """A circular shift-invariant operator on ``ndim`` trailing axes (``None``: any, identity)."""

    ndim: int | None
    channels: int | None  # per-channel filters: the channel count, else None
    complex_kernel: bool
    mixing: bool = False  # a filter mixes channels: the Fourier symbol is a matrix


def _merge(a: Circular | None, b: Circular | None) -> Circular | None:
    if a is None or b is None:
        return None
    if a.ndim is not None and b.ndim is not None and a.ndim != b.ndim:
        return None
    mixing = a.mixing or b.mixing  # channel counts are then checked by shape inference
    if not mixing and a.channels is not None and b.channels is not None:
        if a.channels != b.channels:
            return None
    return Circular(
        a.ndim if a.ndim is not None else b.ndim,
        None if mixing else (a.channels if a.channels is not None else b.channels),
        a.complex_kernel or b.complex_kernel,
        mixing,
    )


def circular(op: ca.Operator) -> Circular | None:
    """``Circular`` if ``op`` is built from circular single / per-channel filters, else ``None``."""
    if isinstance(op, ca.Filter):
        if op.mode != "circular":
            return None
        cplx = bool(jnp.issubdtype(op.kernel.dtype, jnp.complexfloating))
        if op.kernel.ndim == op.ndim + 2:
            return Circular(op.ndim, None, cplx, mixing=True)
        chans = op.kernel.shape[0] if op.kernel.ndim == op.ndim + 1 else None
        return Circular(op.ndim, chans, cplx)
    if isinstance(op, ca.Identity):
        return Circular(None, None, False)
    if isinstance(op, ca.Scale):
        inner = circular(op.op)
        if inner is None:
            return None
        cplx = bool(jnp.issubdtype(jnp.asarray(op.factor).dtype, jnp.complexfloating))
        return dataclasses.replace(inner, complex_kernel=inner.complex_kernel or cplx)
    if isinstance(op, ca.Bound):
        return circular(op.op)
    if isinstance(op, ca.Compose):
        return _merge(circular(op.outer), circular(op.inner))
    if isinstance(op, ca.Sum):
        return _merge(circular(op.left), circular(op.right))
    return None


def missing_circular(op: ca.Operator) -> str:
    """Names the first node that keeps ``op`` from being circular (for error messages)."""
    if isinstance(op, ca.Filter):
        if op.mode != "circular":
            return f"{op!r} has mode {op.mode!r}, not 'circular'"
        return ""
    if isinstance(op, ca.Identity):
        return ""
    if isinstance(op, (ca.Scale, ca.Bound)):
        return missing_circular(op.op)
    if isinstance(op, ca.Compose):
        return (
            missing_circular(op.outer)
            or missing_circular(op.inner)
            or (f"{op!r} composes circular operators on different axes or channel counts")
        )
    if isinstance(op, ca.Sum):
        return (
            missing_circular(op.left)
            or missing_circular(op.right)
            or (f"{op!r} adds circular operators on different axes or channel counts")
        )
    return f"{op!r} is not a circular convolution"


def _chain(op: ca.Operator) -> tuple[list[Any], list[ca.Operator]]:
    """Flattens compositions: (scale factors, operators in application order)."""
    if isinstance(op, ca.Bound):
        return _chain(op.op)
    if isinstance(op, ca.Scale):
        cs, ops = _chain(op.op)
        return [op.factor, *cs], ops
    if isinstance(op, ca.Compose):
        ci, oi = _chain(op.inner)
        co, oo = _chain(op.outer)
        return ci + co, oi + oo
    return [], [op]


@dataclasses.dataclass(frozen=True)
class Aliasing:
    """``c · ↓k(phase) ∘ inner`` with ``inner`` circular (``None`` inner: the identity)."""

    factors: tuple[int, ...]
    phases: tuple[int, ...]
    scales: tuple[Any, ...]
    inner: tuple[ca.Operator, ...]
    circ: Circular


def aliasing(op: ca.Operator, shape: tuple[int, ...]) -> tuple[Aliasing | None, str]:
    """Recognises ``↓k ∘ circular`` on inputs of ``shape``; returns (structure, why not)."""
    scales, ops = _chain(op)
    if not ops or not (isinstance(ops[-1], ca.Resample) and not ops[-1].up):
        return None, "the last operation is not a down-sampling ↓k"
    down, inner = ops[-1], ops[:-1]
    nd = len(down.factors)
    circ = Circular(nd, None, False)
    for o in inner:
        circ = _merge(circ, circular(o))
        if circ is None:
            return None, (
                f"the operator before ↓k is not circular on the same {nd} axes: "
                f"{missing_circular(o) or repr(o)}"
            )
    for c in scales:
        if jnp.issubdtype(jnp.asarray(c).dtype, jnp.complexfloating):
            circ = dataclasses.replace(circ, complex_kernel=True)
    spatial = shape[-nd:]
    if any(n % k for n, k in zip(spatial, down.factors)):
        return None, (
            f"the axis lengths {spatial} are not multiples of the factors {down.factors} "
            "(the aliasing closed form needs whole periods)"
        )
    return Aliasing(down.factors, down.phases, tuple(scales), tuple(inner), circ), ""


def _product(values: list[Any]) -> Any:
    out: Any = 1.0
    for v in values:
        out = out * v
    return out


def isometry(op: ca.Operator) -> tuple[str, Any] | None:
    """``("iso", c)`` if ``AᴴA = cI``, ``("coiso", c)`` if ``AAᴴ = cI``, else ``None``.

    ``c`` is a Python float or a (possibly traced) scalar array: ``|product of scales|²``.
    """
    scales, ops = _chain(op)
    # cancel ↓k ∘ ↑k with equal factors and phases: the identity
    stack: list[ca.Operator] = []
    for o in ops:
        if (
            stack
            and isinstance(o, ca.Resample)
            and not o.up
            and isinstance(stack[-1], ca.Resample)
            and stack[-1].up
            and stack[-1].factors == o.factors
            and stack[-1].phases == o.phases
        ):
            stack.pop()
            continue
        if isinstance(o, ca.Identity):
            continue
        stack.append(o)
    kinds = set()
    for o in stack:
        if isinstance(o, ca.Resample):
            kinds.add("iso" if o.up else "coiso")
        elif isinstance(o, ca.Pad) and o.mode == "zero":
            kinds.add("iso")
        elif isinstance(o, ca.Crop):
            kinds.add("coiso")
        else:
            return None
    if len(kinds) > 1:
        return None
    kind = kinds.pop() if kinds else "iso"
    c = _product([jnp.abs(jnp.asarray(s)) ** 2 for s in scales]) if scales else 1.0
    return kind, c


def impulse(
    ops: tuple[ca.Operator, ...] | ca.Operator,
    x_like: jax.ShapeDtypeStruct,
    circ: Circular,
    ndim: int,
) -> jax.Array:
    """The impulse response of a circular operator: shape ``(C, *S)`` or ``(*S)``."""
    spatial = tuple(x_like.shape[-ndim:])
    shape = ((circ.channels,) if circ.channels is not None else ()) + spatial
    dtype = x_like.dtype
    if circ.complex_kernel and not jnp.issubdtype(dtype, jnp.complexfloating):
        dtype = np.complex64 if np.dtype(dtype) == np.float32 else np.complex128
    h = jnp.zeros(shape, dtype).at[(..., *(0,) * ndim)].set(1)
    for o in ops if isinstance(ops, tuple) else (ops,):
        h = o(h)
    return h


def impulse_matrix(
    ops: tuple[ca.Operator, ...] | ca.Operator,
    x_like: jax.ShapeDtypeStruct,
    circ: Circular,
    ndim: int,
) -> jax.Array:
    """The responses to an impulse in each input channel: shape ``(C_in, C_out, *S)``."""
    cin = x_like.shape[-ndim - 1]
    spatial = tuple(x_like.shape[-ndim:])
    dtype = x_like.dtype
    if circ.complex_kernel and not jnp.issubdtype(dtype, jnp.complexfloating):
        dtype = np.complex64 if np.dtype(dtype) == np.float32 else np.complex128
    d = jnp.zeros(spatial, dtype).at[(0,) * ndim].set(1)
    h = jnp.eye(cin, dtype=dtype).reshape((cin, cin) + (1,) * ndim) * d
    for o in ops if isinstance(ops, tuple) else (ops,):
        h = o(h)
    return h


def spatial_ndim(circ: Circular, x_like: jax.ShapeDtypeStruct) -> int:
    """The number of Fourier axes: the filters' ``ndim`` (all axes for a bare identity)."""
    return circ.ndim if circ.ndim is not None else len(x_like.shape)


def np_dtype(x: Any) -> np.dtype:
    return np.dtype(x.dtype)
