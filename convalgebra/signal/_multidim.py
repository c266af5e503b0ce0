"""N-D transforms, one axis at a time: ``dwtn``/``idwtn``, ``dwt2``/``idwt2``,
``wavedec2``/``waverec2`` (PyWavelets')."""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._dwt import _dwt_axis, _dwt_small, _host, _idwt_last, _idwt_small, _out, _small
from ._peraxis import check_level, modes_per_axis, wavelets_per_axis
from ._wavelet import _inexact


def _axes(fn: str, ndim: int, axes: Any, distinct: bool = True) -> tuple[int, ...]:
    axes = tuple(range(ndim)) if axes is None else tuple(np.atleast_1d(axes).tolist())
    if not axes:
        raise ValueError(f"{fn}: axes must not be empty")
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(  # a ValueError (and IndexError), as PyWavelets'
                f"{fn}: axis {a} is out of range for data of {ndim} dimensions"
            )
    canon = tuple(a % ndim for a in axes)
    if distinct and len(set(canon)) != len(canon):
        raise ValueError(f"{fn}: axes must be distinct, got {axes}")
    return canon


def dwtn(
    data: jax.typing.ArrayLike, wavelet: Any, mode: str = "symmetric", axes: Any = None
) -> dict[str, jax.Array]:
    """One level of the N-D DWT, as ``pywt.dwtn``: keys like ``"ad"`` (approximation along the
    first axis, detail along the second)."""
    x = _host(data)  # NumPy when the call can take the eager NumPy path
    axes = _axes("dwtn", x.ndim, axes, distinct=False)  # a repeated axis: transformed again
    ws = wavelets_per_axis("dwtn", wavelet, len(axes))
    modes = modes_per_axis("dwtn", mode, len(axes))
    small = _small(x, w=ws) if isinstance(x, np.ndarray) else None
    if small is not None and all(small[0].shape[a] > 1 for a in axes):  # NumPy, no compile
        cur: dict[str, np.ndarray] = {"": small[0]}
        for ax, w, mode in zip(axes, ws, modes):
            nxt = {}
            for key, v in cur.items():
                a, d = _dwt_small(np.moveaxis(v, ax, -1), w, mode)
                nxt[key + "a"], nxt[key + "d"] = np.moveaxis(a, -1, ax), np.moveaxis(d, -1, ax)
            cur = nxt
        return {k: _out(v) for k, v in cur.items()}
    out = {"": _inexact(jnp.asarray(x))}
    for ax, w, mode in zip(axes, ws, modes):
        nxt = {}
        for key, v in out.items():
            v = jnp.moveaxis(v, ax, -1)
            a, d = _dwt_axis(v, w, mode, len(axes))
            nxt[key + "a"] = jnp.moveaxis(a, -1, ax)
            nxt[key + "d"] = jnp.moveaxis(d, -1, ax)
        out = nxt
    return out


def idwtn(
    coeffs: dict[str, Any], wavelet: Any, mode: str = "symmetric", axes: Any = None
) -> jax.Array:
    """One level of the inverse N-D DWT, as ``pywt.idwtn`` (missing or ``None`` keys are zeros).

    Raises:
      ValueError: keys of different lengths or letters other than a/d, or coefficient arrays of
        different shapes.
    """
    given = {k: v for k, v in dict(coeffs).items() if v is not None}
    if not given:
        raise ValueError("idwtn: coeffs has no array (all None or empty)")
    lens = {len(k) for k in given}
    if len(lens) != 1 or any(set(k) - {"a", "d"} for k in given):
        raise ValueError(
            f"idwtn: keys must be strings of 'a'/'d' of one length, got {sorted(given)}"
        )
    arrs = {k: _host(v) for k, v in given.items()}
    shapes = {v.shape for v in arrs.values()}
    if len(shapes) != 1:
        raise ValueError(
            "idwtn: all coefficient arrays must have the same shape, got "
            + ", ".join(f"{k}: {v.shape}" for k, v in sorted(arrs.items()))
        )
    nd = lens.pop()
    shape = shapes.pop()
    # PyWavelets: axes=None is the first len(key) axes; a repeated axis is inverted again
    axes = _axes("idwtn", len(shape), tuple(range(nd)) if axes is None else axes, distinct=False)
    if len(axes) != nd:
        raise ValueError(f"idwtn: keys of length {nd} need {nd} axes, got axes {axes}")
    ws = wavelets_per_axis("idwtn", wavelet, nd)
    modes = modes_per_axis("idwtn", mode, nd)
    small = _small(*arrs.values(), w=ws)
    if small is not None:  # NumPy, no compile
        got = dict(zip(arrs, small))
        zero_np = np.zeros(shape, small[0].dtype)
        cur_np = {
            "".join(k): got.get("".join(k), zero_np) for k in itertools.product("ad", repeat=nd)
        }
        if all(
            m_ == "periodization" or 2 * shape[axes[i]] - ws[i].dec_len + 2 >= 1
            for i, m_ in enumerate(modes)
        ):
            return _out(_synthesise(cur_np, axes, ws, modes, np.moveaxis, _idwt_small))
    dt = jnp.result_type(*[v.dtype for v in arrs.values()])
    zero = jnp.zeros(shape, dt)
    cur = {
        "".join(k): arrs.get("".join(k), zero).astype(dt)
        for k in itertools.product("ad", repeat=nd)
    }
    return _synthesise(cur, axes, ws, modes, jnp.moveaxis, _idwt_last)


def _synthesise(cur: dict, axes, ws, modes, moveaxis, idwt) -> Any:
    """One N-D inverse level: ``cur`` maps ``"ad.."`` keys to coefficients; the last axis is
    synthesised first, by ``idwt`` on the moved axis (NumPy or JAX, per ``moveaxis``)."""
    for i in reversed(range(len(axes))):
        ax = axes[i]
        nxt = {}
        for key in {k[:i] for k in cur}:
            a = moveaxis(cur[key + "a"], ax, -1)
            d = moveaxis(cur[key + "d"], ax, -1)
            nxt[key] = moveaxis(idwt(a, d, ws[i], modes[i]), -1, ax)
        cur = nxt
    return cur[""]


def dwt2(data: Any, wavelet: Any, mode: str = "symmetric", axes: Any = (-2, -1)):
    """One level of the 2-D DWT, as ``pywt.dwt2``: ``(cA, (cH, cV, cD))``."""
    if len(tuple(axes)) != 2:
        raise ValueError(f"dwt2: needs two axes, got {axes}")
    c = dwtn(data, wavelet, mode, axes)
    return c["aa"], (c["da"], c["ad"], c["dd"])


def idwt2(coeffs: Any, wavelet: Any, mode: str = "symmetric", axes: Any = (-2, -1)):
    """One level of the inverse 2-D DWT, as ``pywt.idwt2``; ``coeffs = (cA, (cH, cV, cD))``."""
    if len(tuple(axes)) != 2:
        raise ValueError(f"idwt2: needs two axes, got {axes}")
    try:
        a, (h, v, d) = coeffs
    except (TypeError, ValueError):
        raise ValueError("idwt2: coeffs must be (cA, (cH, cV, cD))") from None
    return idwtn({"aa": a, "da": h, "ad": v, "dd": d}, wavelet, mode, axes)


def wavedec2(
    data: Any,
    wavelet: Any,
    mode: str = "symmetric",
    level: int | None = None,
    axes: Any = (-2, -1),
) -> list[Any]:
    """Multi-level 2-D decomposition, as ``pywt.wavedec2``:
    ``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]``."""
    x = _host(data)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"wavedec2: needs two axes, got {axes}")
    ax = _axes("wavedec2", x.ndim, axes)
    ws = wavelets_per_axis("wavedec2", wavelet, 2)  # one per axis, or one for both
    level = check_level("wavedec2", [x.shape[a] for a in ax], [v.dec_len for v in ws], level)
    w = ws if ws[0] is not ws[1] else ws[0]
    out = []
    a = x
    for _ in range(level):
        a, det = dwt2(a, w, mode, axes)
        out.append(det)
    return [a, *out[::-1]]


def waverec2(coeffs: Any, wavelet: Any, mode: str = "symmetric", axes: Any = (-2, -1)):
    """Multi-level 2-D reconstruction, as ``pywt.waverec2`` (approximations trimmed by one
    sample along an axis where they are one longer than the details)."""
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) < 1:
        raise ValueError("waverec2: coeffs must be [cA_n, (cH_n, cV_n, cD_n), ...]")
    bad = [type(d).__name__ for d in coeffs[1:] if not isinstance(d, (tuple, list)) or len(d) != 3]
    if bad:
        raise ValueError(
            f"waverec2: Unexpected detail coefficient type: {bad[0]}; each detail level must be "
            "a tuple (cH, cV, cD) as wavedec2 returns"
        )
    a = _host(coeffs[0])
    axes = tuple(axes)
    ax = _axes("waverec2", a.ndim, axes)
    for j, det in enumerate(coeffs[1:], start=1):
        ref = next((d for d in det if d is not None), None)
        if ref is not None:
            ref = _host(ref)
            a = _host(a)  # the previous level's result (NumPy again on the eager path)
            sl = [slice(None)] * a.ndim
            for i in ax:
                if a.shape[i] == ref.shape[i] + 1:
                    sl[i] = slice(0, ref.shape[i])
            a = a[tuple(sl)]
            if a.shape != ref.shape:
                raise ValueError(
                    f"waverec2: coefficient shape mismatch at coeffs[{j}]: approximation "
                    f"{a.shape}, details {ref.shape}"
                )
        a = idwt2((a, tuple(det)), wavelet, mode, axes)
    return a
