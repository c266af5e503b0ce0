"""ONE helper for transposes that stay fast: used by every strategy that needs it.

JAX derives the transpose of a strided convolution as a convolution with ``lhs_dilation`` (slow)
and of shifted strided slices as pads of every tap to full length. The algebra knows a fast form
of each transpose (polyphase for strided, strided for polyphase), so a forward program is
wrapped such that *both* transpose routes produce that form:

* ``jax.vjp`` / ``jax.grad``: a ``custom_jvp`` whose tangent in ``x`` is the transpose of the
  fast transposed program, so JAX's transpose of the tangent is the fast program itself; the
  tangent in ``w`` is a program chosen for the speed of *its* transpose (the kernel gradient);
* ``jax.linear_transpose`` (``linear=True``): ``linear_transpose`` does not run JVP rules (it
  inlines ``custom_jvp`` functions), so the forward is emitted directly as the transpose of the
  fast transposed program; transposing it back yields that program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

Fn = Callable[[Any, Any], Any]


def _is_zero(t: object) -> bool:
    return isinstance(t, jax.custom_derivatives.SymbolicZero)


def _kernel_tangent(kernel_tangent: Fn, x: jax.Array, dw: jax.Array) -> jax.Array:
    """``kernel_tangent(x, dw)``; under explicit mesh axes, traced with auto axes.

    JAX's transpose rule of ``conv_general_dilated`` in its kernel sets no ``out_sharding``, so
    the kernel gradient of a convolution of an explicitly sharded input fails
    (``ShardingTypeError``); inside :func:`jax.sharding.auto_axes` XLA's partitioner places the
    kernel gradient instead (an all-reduce over the batch shards), and the tangent comes back
    with the explicit type it has outside. Unsharded inputs take the plain call (same program).
    """
    sharding = getattr(jax.typeof(x), "sharding", None)
    spec = tuple(getattr(sharding, "spec", ()) or ())
    if not any(s is not None for s in spec):
        return kernel_tangent(x, dw)
    want = jax.eval_shape(kernel_tangent, x, dw).sharding.spec
    auto: Any = jax.sharding.auto_axes(kernel_tangent, out_sharding=want)  # typed 1-argument
    return auto(x, dw)


def fast_linear(
    forward: Fn, transposed: Fn, kernel_tangent: Fn, x: jax.Array, w: jax.Array, linear: bool
) -> jax.Array:
    """``forward(x, w)`` (bilinear) with fast transposes in ``x`` and fast kernel gradients.

    Args:
      forward: ``(x, w) -> y``, linear in each argument.
      transposed: ``(ct, w) -> x``-shaped, the transpose of ``forward`` in ``x``, a fast program;
        its result is cast to ``x``'s dtype (with a ``preferred_element_type`` the cotangent is
        wider than ``x``: the transpose computes in the cotangent's dtype, as lax's does).
      kernel_tangent: ``(x, dw) -> forward(x, dw)`` computed by a program whose transpose in
        ``dw`` is a fast kernel gradient.
      x, w: the arguments.
      linear: emit for ``jax.linear_transpose`` (see the module docstring).
    """
    y_struct = jax.eval_shape(forward, x, w)
    x_dtype = x.dtype

    def pull(ct: jax.Array, w: jax.Array) -> jax.Array:
        return jax.linear_transpose(lambda c: transposed(c, w).astype(x_dtype), y_struct)(ct)[0]

    if linear:
        return pull(x, w)

    @jax.custom_jvp
    def f(x: jax.Array, w: jax.Array) -> jax.Array:
        return forward(x, w)

    def jvp(primals, tangents):
        x, w = primals
        dx, dw = tangents
        y = f(x, w)
        out = []
        if not _is_zero(dx):
            out.append(pull(dx, w))
        if not _is_zero(dw):
            out.append(_kernel_tangent(kernel_tangent, x, dw))
        t = out[0] if out else jnp.zeros_like(y)
        for o in out[1:]:
            t = t + o
        return y, t

    f.defjvp(jvp, symbolic_zeros=True)
    return f(x, w)
