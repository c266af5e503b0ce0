"""Filter banks as core multi-output operators: ``ca.branch`` of the filters after the extension.

One level is ``branch(↓2 (h̃ ⋆ ·), ↓2 (g̃ ⋆ ·)) @ ext``, ``x -> (a, d)``; the lowering's
``stack_branches`` rule runs both filters as one strided convolution with two output channels.
A cascade puts the next level on the low branch: ``parallel(bank₂, None) @ bank₁`` gives
``((a₂, d₂), d₁)``, and ``jax.tree.leaves`` of the output is PyWavelets' ``[a_L, d_L, ..., d_1]``.
Being ordinary operators, banks and cascades take ``ca.transpose`` (the synthesis, derived),
``ca.matrix``, ``ca.explain`` and ``ca.testing.check_adjoint`` directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from ._dwt import extension
from ._modes import _mode
from ._multilevel import _level
from ._wavelet import _real, _size, _wav, dwt_length


def dwt_op(
    wavelet: Any, mode: str = "symmetric", *, in_size: int, dtype: Any = float
) -> ca.Operator:
    """One level of the DWT on ``(..., n)`` inputs as ONE two-output operator, ``x -> (a, d)``.

    ``ca.branch(↓2 (h̃ ⋆ ·), ↓2 (g̃ ⋆ ·)) @ ext``, with ``h̃``, ``g̃`` the reversed
    decomposition filters: ``pywt.dwt``'s values in every mode. ``ca.transpose(bank, x)`` is
    the derived synthesis (for orthogonal wavelets in periodization mode, exactly :func:`idwt`;
    for biorthogonal ones, the transpose of the dual analysis).

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca, convalgebra.signal as cs
      >>> s = 0.5**0.5
      >>> haar = cs.Wavelet("haar", *(jnp.array(f) for f in ([s, s], [-s, s], [s, s], [s, -s])))
      >>> bank = cs.dwt_op(haar, "periodization", in_size=4)
      >>> a, d = bank(jnp.array([1.0, 1.0, 2.0, 0.0]))
      >>> [round(float(v), 6) for v in a]
      [1.414214, 1.414214]
      >>> [round(float(v), 6) for v in ca.transpose(bank, jnp.zeros(4))((a, d))]
      [1.0, 1.0, 2.0, 0.0]
    """
    w = _wav(wavelet, "dwt_op")
    mode = _mode("dwt_op", mode)
    n = _size("dwt_op", in_size)
    rd = _real(dtype)
    lo, hi = (jnp.asarray(f[::-1]).astype(rd) for f in (w.dec_lo, w.dec_hi))
    filters = ca.branch(
        ca.down(2) @ ca.corr(lo, "valid", name="h̃"), ca.down(2) @ ca.corr(hi, "valid", name="g̃")
    )
    return filters @ extension("dwt_op", w.dec_len, n, mode)


def dwt2_op(
    wavelet: Any, mode: str = "symmetric", *, in_size: tuple[int, int], dtype: Any = float
) -> ca.Operator:
    """One level of the 2-D DWT on ``(..., n0, n1)`` inputs as ONE four-output operator.

    ``x -> (cA, cH, cV, cD)`` as ``pywt.dwt2`` (``cH``: detail along axis -2, approximation
    along -1; ``cV`` the other way): ``ca.branch`` of the four separable filters
    ``↓(2,2) ((f ⊗ g) ⋆ ·)`` after the extension of both axes. The lowering runs the four as one
    strided 2-D convolution with four output channels; the transpose is the derived synthesis.
    """
    w = _wav(wavelet, "dwt2_op")
    mode = _mode("dwt2_op", mode)
    if isinstance(in_size, (int, np.integer)) or len(tuple(in_size)) != 2:
        raise ValueError(f"dwt2_op: in_size must be (n0, n1), got {in_size!r}")
    shape = tuple(_size("dwt2_op", n) for n in in_size)
    rd = _real(dtype)
    lo, hi = (jnp.asarray(f[::-1]).astype(rd) for f in (w.dec_lo, w.dec_hi))
    ext = ca.on_axes(extension("dwt2_op", w.dec_len, shape[0], mode), -2) @ extension(
        "dwt2_op", w.dec_len, shape[1], mode
    )
    names = {"a": lo, "d": hi}
    parts = [
        ca.down((2, 2)) @ ca.corr(jnp.outer(names[r], names[c]), "valid", ndim=2, name=r + c)
        for r, c in ("aa", "da", "ad", "dd")
    ]
    return ca.branch(*parts) @ ext


def on_low(op: ca.Operator, depth: int) -> ca.Operator:
    """``op`` applied to the approximation of a ``depth``-level cascade's nested output."""
    for _ in range(depth):
        op = ca.parallel(op, None)
    return op


def cascade(banks: Sequence[ca.Operator]) -> ca.Operator:
    """``banks[j]`` applied to the approximation of level ``j``: ``x -> ((.., d_2), d_1)``.

    ``jax.tree.leaves`` of the output is PyWavelets' order ``[a_L, d_L, ..., d_1]``; give the
    transpose its input nested the same way (:func:`nest` does it from a flat list).
    """
    if not banks:
        raise ValueError("cascade: needs at least one bank")
    out = banks[0]
    for depth, bank in enumerate(banks[1:], start=1):
        out = on_low(bank, depth) @ out
    return out


def wavedec_op(
    wavelet: Any,
    mode: str = "symmetric",
    level: int | None = None,
    *,
    in_size: int,
    dtype: Any = float,
) -> ca.Operator:
    """``wavedec`` on ``(..., n)`` inputs as ONE operator: :func:`dwt_op` cascaded ``level``
    times on the low branch (``level=None``: PyWavelets' maximum, its warning above it).

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca, convalgebra.signal as cs
      >>> s = 0.5**0.5
      >>> haar = cs.Wavelet("haar", *(jnp.array(f) for f in ([s, s], [-s, s], [s, s], [s, -s])))
      >>> op = cs.wavedec_op(haar, "periodization", level=2, in_size=8)
      >>> [c.shape for c in jax.tree.leaves(op(jnp.arange(8.0)))]
      [(2,), (2,), (4,)]
    """
    w = _wav(wavelet, "wavedec_op")
    mode = _mode("wavedec_op", mode)
    n = _size("wavedec_op", in_size)
    level = _level("wavedec_op", n, w.dec_len, level)
    if level == 0:
        return ca.identity()
    banks = []
    for _ in range(level):
        banks.append(dwt_op(w, mode, in_size=n, dtype=dtype))
        n = dwt_length(n, w.dec_len, mode)
    return cascade(banks)


def nest(op: ca.Operator, x_like: Any, flat: Sequence[Any]) -> Any:
    """A flat list of coefficient arrays (PyWavelets' order) nested as ``op``'s output."""
    tree = jax.tree.structure(op.out_struct(x_like))
    if tree.num_leaves != len(flat):
        raise ValueError(
            f"nest: {op!r} has {tree.num_leaves} outputs, got {len(flat)} coefficient arrays"
        )
    return jax.tree.unflatten(tree, [jnp.asarray(c) for c in flat])
