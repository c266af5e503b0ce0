"""Wavelet packets (PyWavelets' ``WaveletPacket`` and ``WaveletPacket2D``), functional.

The full packet tree of ``maxlevel`` levels is one operator, :func:`wp_op`: a ``ca.branch`` of
the two (1-D) or four (2-D) filters of one level, with the same level applied on *every* branch
(``ca.parallel``), nested ``maxlevel`` deep; ``jax.tree.leaves`` of its output lists the nodes
in PyWavelets' natural order. ``ca.transpose`` of it is the derived synthesis, which equals the
reconstruction for orthogonal wavelets in periodization mode. :func:`wp_decompose` evaluates it
and names the leaves by their node paths; :func:`wp_reconstruct` runs the inverse DWT up the
tree (every mode, any wavelet, missing nodes as zeros), trimming each node to the size the
decomposition gave it, as PyWavelets does.
"""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp

import convalgebra as ca

from ._dwt import extension, idwt
from ._multidim import idwt2
from ._peraxis import as_called, dwt_coeff_len, dwt_max_level, inexact, mode_name
from ._run import run
from ._wavelet import Wavelet, _real, wavelet

_LETTERS_1D = ("a", "d")
_LETTERS_2D = ("a", "h", "v", "d")
_KEYS_2D = {"a": "aa", "h": "da", "v": "ad", "d": "dd"}  # letter -> (axis -2, axis -1) bands


def _bank1(fn: str, w: Wavelet, n: int, mode: str, dtype: Any) -> ca.Operator:
    rd = _real(dtype)
    lo, hi = (jnp.asarray(f[::-1]).astype(rd) for f in (w.dec_lo, w.dec_hi))
    filters = ca.branch(
        ca.down(2) @ ca.corr(lo, "valid", name="h̃"), ca.down(2) @ ca.corr(hi, "valid", name="g̃")
    )
    return filters @ extension(fn, w.dec_len, n, mode)


def _bank2(fn: str, w: Wavelet, shape: tuple[int, int], mode: str, dtype: Any) -> ca.Operator:
    rd = _real(dtype)
    lo, hi = (jnp.asarray(f[::-1]).astype(rd) for f in (w.dec_lo, w.dec_hi))
    ext = ca.on_axes(extension(fn, w.dec_len, shape[0], mode), -2) @ extension(
        fn, w.dec_len, shape[1], mode
    )
    bands = {"a": lo, "d": hi}
    parts = [
        ca.down((2, 2)) @ ca.corr(jnp.outer(bands[r], bands[c]), "valid", ndim=2, name=r + c)
        for r, c in (_KEYS_2D[k] for k in _LETTERS_2D)
    ]
    return ca.branch(*parts) @ ext


def _tree(fn: str, w: Wavelet, size: tuple[int, ...], mode: str, level: int, dtype: Any):
    if level == 0:
        return ca.identity()
    if len(size) == 1:
        bank = _bank1(fn, w, size[0], mode, dtype)
    else:
        bank = _bank2(fn, w, (size[0], size[1]), mode, dtype)
    if level == 1:
        return bank
    sub = tuple(dwt_coeff_len(n, w.dec_len, mode) for n in size)
    child = _tree(fn, w, sub, mode, level - 1, dtype)
    return ca.parallel(*[child] * (2 if len(size) == 1 else 4)) @ bank


def _levels(fn: str, size: tuple[int, ...], w: Wavelet, maxlevel: Any) -> int:
    if maxlevel is None:
        return dwt_max_level(min(size), w.dec_len)
    if isinstance(maxlevel, bool) or not isinstance(maxlevel, int) or maxlevel < 0:
        raise ValueError(f"{fn}: maxlevel must be an int >= 0 or None, got {maxlevel!r}")
    return maxlevel


def _size(fn: str, in_size: Any) -> tuple[int, ...]:
    size = (in_size,) if isinstance(in_size, int) else tuple(int(s) for s in in_size)
    if len(size) not in (1, 2) or any(s < 1 for s in size):
        raise ValueError(
            f"{fn}: in_size must be one length (1-D packets) or two (2-D), each >= 1, got "
            f"{in_size!r}"
        )
    return size


def wp_paths(maxlevel: int, ndim: int = 1) -> list[str]:
    """The node paths of a packet tree's level ``maxlevel``, in PyWavelets' natural order.

    Args:
      maxlevel: the level (path length).
      ndim: 1 (letters ``a``, ``d``) or 2 (``a``, ``h``, ``v``, ``d``).

    Returns:
      The paths, e.g. ``['aa', 'ad', 'da', 'dd']``.

    Examples:
      >>> import convalgebra.signal as cs
      >>> cs.wp_paths(2)
      ['aa', 'ad', 'da', 'dd']
    """
    letters = _LETTERS_1D if ndim == 1 else _LETTERS_2D
    return ["".join(p) for p in itertools.product(letters, repeat=maxlevel)]


@as_called("wp_op")
def wp_op(
    wavelet: Any,
    *,
    in_size: Any,
    mode: Any = "symmetric",
    maxlevel: int | None = None,
    dtype: Any = float,
) -> ca.Operator:
    """The full wavelet packet decomposition as ONE operator (a ``ca.branch`` tree).

    Args:
      wavelet: a name, ``pywt.Wavelet``, :class:`Wavelet` or four filters.
      in_size: the input length (1-D packets on ``(..., n)``) or shape ``(n0, n1)`` (2-D
        packets on ``(..., n0, n1)``).
      mode: the signal-extension mode.
      maxlevel: the depth (``None``: :func:`dwt_max_level` of the smallest size).
      dtype: the filters' dtype (their real precision).

    Returns:
      An operator whose output nests 2 (1-D) or 4 (2-D) branches per level;
      ``jax.tree.leaves`` gives the nodes of level ``maxlevel`` in natural order
      (:func:`wp_paths`). ``ca.transpose(op, x_like)`` is its derived synthesis (the
      reconstruction for orthogonal wavelets in periodization mode).

    Raises:
      ValueError: a bad ``in_size``, a negative ``maxlevel``, an unknown wavelet or mode.

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca, convalgebra.signal as cs
      >>> op = cs.wp_op("haar", in_size=8, mode="periodization", maxlevel=2)
      >>> [c.shape for c in jax.tree.leaves(op(jnp.arange(8.0)))]
      [(2,), (2,), (2,), (2,)]
    """
    w = wavelet_(wavelet, "wp_op")
    m = mode_name("wp_op", mode)
    size = _size("wp_op", in_size)
    return _tree("wp_op", w, size, m, _levels("wp_op", size, w, maxlevel), dtype)


wavelet_ = wavelet


def _decompose(
    fn: str, data: Any, wavelet: Any, mode: Any, maxlevel: Any, axes: tuple[int, ...]
) -> dict[str, jax.Array]:
    w = wavelet_(wavelet, fn)
    m = mode_name(fn, mode)
    x = inexact(data)
    if x.ndim < len(axes):
        raise ValueError(f"{fn}: data needs at least {len(axes)} axes, got shape {x.shape}")
    for a in axes:
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"{fn}: axis {a} is out of range for data of shape {x.shape}")
    canon = tuple(a % x.ndim for a in axes)
    if len(set(canon)) != len(canon):
        raise ValueError(f"{fn}: the axes must be distinct, got {axes}")
    last = tuple(range(x.ndim - len(axes), x.ndim))
    xt = jnp.moveaxis(x, canon, last)
    size = tuple(xt.shape[-len(axes) :])
    level = _levels(fn, size, w, maxlevel)
    if level == 0:
        return {"": x}
    if jnp.iscomplexobj(xt):  # the filters are real: the two parts separately
        re = run(_tree(fn, w, size, m, level, xt.real.dtype), xt.real)
        im = run(_tree(fn, w, size, m, level, xt.real.dtype), xt.imag)
        leaves = [r + 1j * i for r, i in zip(jax.tree.leaves(re), jax.tree.leaves(im))]
    else:
        leaves = jax.tree.leaves(run(_tree(fn, w, size, m, level, xt.dtype), xt))
    paths = wp_paths(level, len(axes))
    return {p: jnp.moveaxis(c, last, canon) for p, c in zip(paths, leaves)}


@as_called("wp_decompose")
def wp_decompose(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    mode: Any = "symmetric",
    maxlevel: int | None = None,
    axis: int = -1,
) -> dict[str, jax.Array]:
    """The 1-D wavelet packet decomposition: the nodes of level ``maxlevel``, as
    ``{node.path: node.data for node in pywt.WaveletPacket(...).get_level(maxlevel)}``.

    Args:
      data: the signal; transformed along ``axis``, batched over the others.
      wavelet: a name, ``pywt.Wavelet``, :class:`Wavelet` or four filters.
      mode: the signal-extension mode.
      maxlevel: the depth (``None``: :func:`dwt_max_level`, PyWavelets' default).
      axis: the axis transformed.

    Returns:
      ``{path: coefficients}`` in natural order (``'aa', 'ad', 'da', 'dd'`` at level 2);
      ``{'': data}`` at level 0.

    Raises:
      ValueError: a bad axis or level, an unknown wavelet or mode.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> c = cs.wp_decompose(jnp.arange(8.0), "haar", "periodization", maxlevel=2)
      >>> list(c), [round(float(v), 4) for v in c["aa"]]
      (['aa', 'ad', 'da', 'dd'], [3.0, 11.0])
    """
    return _decompose("wp_decompose", data, wavelet, mode, maxlevel, (axis,))


@as_called("wp_decompose2")
def wp_decompose2(
    data: jax.typing.ArrayLike,
    wavelet: Any,
    mode: Any = "symmetric",
    maxlevel: int | None = None,
    axes: Any = (-2, -1),
) -> dict[str, jax.Array]:
    """The 2-D wavelet packet decomposition, as ``pywt.WaveletPacket2D(...).get_level``.

    Args:
      data: an array with at least two axes.
      wavelet: a name, ``pywt.Wavelet``, :class:`Wavelet` or four filters.
      mode: the signal-extension mode.
      maxlevel: the depth (``None``: :func:`dwt_max_level` of the smaller axis).
      axes: the two axes transformed.

    Returns:
      ``{path: coefficients}`` with paths over ``a``, ``h``, ``v``, ``d`` (``dwt2``'s cA, cH,
      cV, cD) in natural order.

    Raises:
      ValueError: not two distinct axes, a bad level, an unknown wavelet or mode.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> c = cs.wp_decompose2(jnp.ones((4, 4)), "haar", maxlevel=1)
      >>> list(c), c["a"].shape
      (['a', 'h', 'v', 'd'], (2, 2))
    """
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"wp_decompose2: needs two axes, got {axes}")
    return _decompose("wp_decompose2", data, wavelet, mode, maxlevel, axes)


def _reconstruct(
    fn: str,
    coeffs: Any,
    wavelet: Any,
    mode: Any,
    in_size: Any,
    axes: tuple[int, ...],
) -> jax.Array:
    w = wavelet_(wavelet, fn)
    m = mode_name(fn, mode)
    letters = _LETTERS_1D if len(axes) == 1 else _LETTERS_2D
    if not isinstance(coeffs, dict) or not coeffs:
        raise ValueError(f"{fn}: coeffs must be a non-empty dict {{path: coefficients}}")
    given = {k: v for k, v in coeffs.items() if v is not None}
    bad = [k for k in coeffs if not isinstance(k, str) or set(k) - set(letters)]
    if bad:
        raise ValueError(f"{fn}: invalid node paths {bad}; paths are strings over {letters}")
    if not given:
        raise ValueError(f"{fn}: all coefficients are None")
    if "" in given:
        return inexact(given[""])
    depth = max(len(k) for k in given)
    sizes: dict[str, tuple[int, ...]] = {}
    if in_size is not None:
        size = (in_size,) if isinstance(in_size, int) else tuple(int(s) for s in in_size)
        if len(size) != len(axes):
            raise ValueError(f"{fn}: in_size needs {len(axes)} lengths, got {in_size!r}")
        for lev in range(depth + 1):
            for p in itertools.product(letters, repeat=lev):
                sizes["".join(p)] = (
                    size
                    if lev == 0
                    else tuple(dwt_coeff_len(n, w.dec_len, m) for n in sizes["".join(p)[:-1]])
                )

    def rec(path: str) -> jax.Array | None:
        if path in given:
            return inexact(given[path])
        if not any(k.startswith(path) for k in given):
            return None
        kids = [rec(path + c) for c in letters]
        if len(axes) == 1:
            out = idwt(kids[0], kids[1], w, m, axis=axes[0])
        else:
            out = idwt2((kids[0], tuple(kids[1:])), w, m, axes=axes)
        if path in sizes:
            sl = [slice(None)] * out.ndim
            for a, n in zip(axes, sizes[path]):
                sl[a] = slice(0, n)
            out = out[tuple(sl)]
        return out

    out = rec("")
    assert out is not None
    return out


@as_called("wp_reconstruct")
def wp_reconstruct(
    coeffs: dict[str, Any],
    wavelet: Any,
    mode: Any = "symmetric",
    in_size: int | None = None,
    axis: int = -1,
) -> jax.Array:
    """The 1-D wavelet packet reconstruction, as ``pywt.WaveletPacket.reconstruct``.

    Args:
      coeffs: ``{path: coefficients}``, e.g. :func:`wp_decompose`'s output, possibly of mixed
        depths (a node given is used as is; a missing or ``None`` node is zeros).
      wavelet: the wavelet of the decomposition.
      mode: its mode.
      in_size: the decomposed signal's length: each node is trimmed to the length the
        decomposition gave it, as PyWavelets does (``None``: untrimmed, as a packet built
        without data).
      axis: the axis transformed.

    Returns:
      The signal.

    Raises:
      ValueError: paths over letters other than ``a``/``d``, no coefficients.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(7.0)
      >>> c = cs.wp_decompose(x, "db2", maxlevel=2)
      >>> bool(jnp.allclose(cs.wp_reconstruct(c, "db2", in_size=7), x, atol=1e-5))
      True
    """
    return _reconstruct("wp_reconstruct", coeffs, wavelet, mode, in_size, (axis,))


@as_called("wp_reconstruct2")
def wp_reconstruct2(
    coeffs: dict[str, Any],
    wavelet: Any,
    mode: Any = "symmetric",
    in_size: tuple[int, int] | None = None,
    axes: Any = (-2, -1),
) -> jax.Array:
    """The 2-D wavelet packet reconstruction, as ``pywt.WaveletPacket2D.reconstruct``.

    Args:
      coeffs: ``{path: coefficients}`` over ``a``, ``h``, ``v``, ``d``.
      wavelet: the wavelet of the decomposition.
      mode: its mode.
      in_size: the decomposed shape along ``axes`` (``None``: untrimmed).
      axes: the two axes transformed.

    Returns:
      The reconstructed array.

    Raises:
      ValueError: bad paths, no coefficients, not two axes.

    Examples:
      >>> import jax.numpy as jnp, convalgebra.signal as cs
      >>> x = jnp.arange(16.0).reshape(4, 4)
      >>> c = cs.wp_decompose2(x, "haar", maxlevel=2)
      >>> bool(jnp.allclose(cs.wp_reconstruct2(c, "haar", in_size=(4, 4)), x, atol=1e-5))
      True
    """
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"wp_reconstruct2: needs two axes, got {axes}")
    return _reconstruct("wp_reconstruct2", coeffs, wavelet, mode, in_size, axes)
