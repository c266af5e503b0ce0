"""Primitive operators: convolution, correlation, up/down-sampling, padding, cropping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _shapes
from ._base import Operator, Shape, pytree_node, wrap_sym

_SUPERSCRIPT = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹˒")


def _fmt_factors(ks: tuple[int, ...]) -> str:
    return str(ks[0]) if len(set(ks)) == 1 and len(ks) == 1 else "(" + ",".join(map(str, ks)) + ")"


def kernel_dtype(x_dtype: np.dtype, k_dtype: np.dtype, weak: bool) -> np.dtype:
    """The dtype of ``kernel * x``: NumPy promotion, nothing downcast.

    A *weak* kernel (given as a Python list or scalar) adopts the precision of the input, as a
    Python scalar does in JAX: float32 input with a weak ``[0.5, 0.5]`` stays float32, and a weak
    complex kernel makes the result complex of the input's precision.
    """
    x_dtype, k_dtype = np.dtype(x_dtype), np.dtype(k_dtype)
    if weak and np.issubdtype(x_dtype, np.inexact):
        if np.issubdtype(k_dtype, np.complexfloating):
            return np.result_type(x_dtype, np.complex64)
        return x_dtype
    return np.result_type(x_dtype, k_dtype)


def _canonical_kernel(name: str, q: Any) -> tuple[jax.Array, bool]:
    weak = not hasattr(q, "dtype")
    arr = jnp.asarray(q)
    if not (jnp.issubdtype(arr.dtype, jnp.inexact)):
        arr = arr.astype(jnp.zeros((), float).dtype)  # int/bool kernels become floating
        weak = True
    if arr.ndim == 0:
        raise ValueError(f"{name}: kernel must have at least one axis, got a scalar {q!r}")
    if 0 in arr.shape:
        raise ValueError(f"{name}: kernel must not be empty, got shape {arr.shape}")
    return arr, weak


@pytree_node(data=("kernel",))
class Filter(Operator):
    """Convolution (``flip=True``) or cross-correlation (``flip=False``) with ``kernel``.

    The kernel's rank relative to ``ndim`` says what it is: rank ``ndim`` one filter for every
    slice, ``ndim + 1`` one filter per channel ``(C, *K)``, ``ndim + 2`` channel mixing
    ``(C_out, C_in, *K)``.
    """

    kernel: jax.Array
    mode: str
    ndim: int
    flip: bool
    weak: bool = False

    @property
    def kind(self) -> str:
        return ("single", "depthwise", "mixing")[self.kernel.ndim - self.ndim]

    @property
    def name(self) -> str:
        return "conv" if self.flip else "corr"

    def _label(self) -> str:
        return f"{self.name}(q{tuple(self.kernel.shape)}, {self.mode!r})"

    def _sym(self, x: str) -> str:
        op = "*" if self.flip else "⋆"
        return f"q {op} {wrap_sym(x)}"

    def _channels(self):
        if self.kind == "depthwise":
            c = (-self.ndim - 1, self.kernel.shape[0])
            return c, c
        if self.kind == "mixing":
            a = -self.ndim - 1
            return (a, self.kernel.shape[1]), (a, self.kernel.shape[0])
        return None, None

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        nd, kshape = self.ndim, tuple(self.kernel.shape)
        need = nd + (0 if self.kind == "single" else 1)
        if len(shape) < need:
            raise ValueError(
                f"{self._label()}: input must have at least {need} axes ({nd} spatial"
                f"{' + 1 channel' if need > nd else ''}), got shape {shape}"
            )
        if self.kind != "single":
            cin = kshape[1] if self.kind == "mixing" else kshape[0]
            if shape[-nd - 1] != cin:
                raise ValueError(
                    f"{self._label()}: channel mismatch: the kernel {kshape} expects "
                    f"{cin} channels at axis {-nd - 1}, the input of shape {shape} has "
                    f"{shape[-nd - 1]}"
                )
        spatial = tuple(
            _shapes.filter_length(self._label(), self.mode, n, k, self.flip)
            for n, k in zip(shape[-nd:], kshape[-nd:])
        )
        lead = shape[: -nd - 1] if self.kind != "single" else shape[:-nd]
        chan = () if self.kind == "single" else (kshape[0],)
        return lead + chan + spatial, kernel_dtype(dtype, self.kernel.dtype, self.weak)

    def _apply(self, x: jax.Array) -> jax.Array:
        nd = self.ndim
        dtype = kernel_dtype(x.dtype, self.kernel.dtype, self.weak)
        x, w = x.astype(dtype), self.kernel.astype(dtype)
        if self.flip:
            w = jnp.flip(w, axis=tuple(range(w.ndim - nd, w.ndim)))
        ksz = w.shape[-nd:]
        spatial = x.shape[-nd:]
        if self.kind == "single":
            lead = x.shape[:-nd]
            xb = x.reshape((-1, 1, *spatial))
            wb = w.reshape((1, 1, *ksz))
            groups = 1
        else:
            lead = x.shape[: -nd - 1]
            c = x.shape[-nd - 1]
            xb = x.reshape((-1, c, *spatial))
            groups = c if self.kind == "depthwise" else 1
            wb = w.reshape((c, 1, *ksz)) if self.kind == "depthwise" else w
        pads = [_shapes.corr_padding(self.mode, k, self.flip) for k in ksz]
        if self.mode == "circular":
            xb = jnp.pad(xb, [(0, 0), (0, 0), *pads], mode="wrap")
            pads = [(0, 0)] * nd
        y = lax.conv_general_dilated(
            xb, wb, (1,) * nd, pads, feature_group_count=groups, precision=lax.Precision.HIGHEST
        )
        chan = () if self.kind == "single" else (y.shape[1],)
        return y.reshape(lead + chan + y.shape[2:])


def _filter(name: str, q: Any, mode: str, ndim: int | None, flip: bool) -> Filter:
    kernel, weak = _canonical_kernel(name, q)
    if mode not in _shapes.MODES:
        raise ValueError(f"{name}: mode must be one of {_shapes.MODES}, got {mode!r}")
    nd = kernel.ndim if ndim is None else _shapes.check_ndim(name, ndim)
    if not nd <= kernel.ndim <= nd + 2:
        raise ValueError(
            f"{name}: kernel rank must be ndim ({nd}: one filter), ndim+1 ({nd + 1}: one filter "
            f"per channel, (C, *K)) or ndim+2 ({nd + 2}: channel mixing, (C_out, C_in, *K)); "
            f"got a kernel of shape {tuple(kernel.shape)} (rank {kernel.ndim}) with ndim={nd}"
        )
    return Filter(kernel, mode, nd, flip, weak)


def conv(q: jax.typing.ArrayLike, mode: str = "full", ndim: int | None = None) -> Filter:
    """True convolution ``q * x``: ``y[n] = sum_k q[n - k] x[k]`` on the trailing axes.

    Args:
      q: the kernel. Rank ``ndim``: one filter for every leading slice, ``(*S) -> (*S')``;
        rank ``ndim + 1``, shape ``(C, *K)``: one filter per channel,
        ``(..., C, *S) -> (..., C, *S')``; rank ``ndim + 2``, shape ``(C_out, C_in, *K)``:
        channel mixing summed over input channels, ``(..., C_in, *S) -> (..., C_out, *S')``.
        A Python list or an int kernel is *weak*: it adopts the input's floating dtype.
      mode: ``"full"`` (``n + k - 1`` outputs), ``"same"`` (``n`` outputs, centred as in
        ``numpy.convolve``/``scipy.signal.convolve``), ``"valid"`` (``n - k + 1``) or
        ``"circular"`` (``n`` outputs, cyclic convolution of period ``n``).
      ndim: the number of trailing spatial axes; defaults to ``q.ndim``.

    Returns:
      The operator. Output dtype is NumPy's promotion of the input and kernel dtypes (a real
      input with a complex kernel gives a complex result); nothing is downcast.

    Raises:
      ValueError: for a bad mode, a kernel of the wrong rank, and (when applied) a channel
        mismatch or a "valid"/"circular" kernel longer than the signal.

    Example:
      >>> import convalgebra as ca
      >>> ca.conv([1.0, 1.0])([1.0, 2.0, 3.0]).tolist()
      [1.0, 3.0, 5.0, 3.0]
    """
    return _filter("conv", q, mode, ndim, True)


def corr(q: jax.typing.ArrayLike, mode: str = "full", ndim: int | None = None) -> Filter:
    """Cross-correlation ``q ⋆ x``, the deep-learning "convolution": ``y[n] = sum_k q[k] x[n+k]``.

    The kernel is neither flipped nor conjugated (as in ``lax.conv_general_dilated`` and
    PyTorch), so ``corr(q, mode)(x) == scipy.signal.correlate(x, conj(q), mode)``.
    Arguments, kernel ranks, modes and dtypes are as for :func:`conv`. In "circular" mode
    ``y[n] = sum_k q[k] x[(n + k) mod N]``, the transpose of circular ``conv(q)``.

    Example:
      >>> import convalgebra as ca
      >>> ca.corr([1.0, 2.0], "valid")([1.0, 0.0, 0.0]).tolist()
      [1.0, 0.0]
    """
    return _filter("corr", q, mode, ndim, False)


@pytree_node()
class Resample(Operator):
    """``↑k`` (zero insertion, ``up=True``) or ``↓k`` (decimation) on the trailing axes."""

    factors: tuple[int, ...]
    phases: tuple[int, ...]
    up: bool

    def _label(self) -> str:
        k = self.factors[0] if len(self.factors) == 1 else self.factors
        ph = "" if not any(self.phases) else f", phase={self.phases}"
        return f"{'up' if self.up else 'down'}({k}{ph})"

    def _sym(self, x: str) -> str:
        ph = ""
        if any(self.phases):
            ph = ",".join(map(str, self.phases)).translate(_SUPERSCRIPT)
        return f"{'↑' if self.up else '↓'}{_fmt_factors(self.factors)}{ph} {wrap_sym(x)}"

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        nd = len(self.factors)
        if len(shape) < nd:
            raise ValueError(
                f"{self._label()}: acts on {nd} trailing axes, got an input of shape {shape}"
            )
        if self.up:
            tail = tuple(_shapes.up_length(n, k) for n, k in zip(shape[-nd:], self.factors))
        else:
            tail = tuple(
                _shapes.down_length(n, k, p)
                for n, k, p in zip(shape[-nd:], self.factors, self.phases)
            )
        return shape[:-nd] + tail, np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        nd = len(self.factors)
        lead = [(0, 0, 0)] * (x.ndim - nd)
        if self.up:
            cfg = [(p, k - 1 - p, k - 1) for k, p in zip(self.factors, self.phases)]
            return lax.pad(x, jnp.zeros((), x.dtype), lead + cfg)
        idx = (Ellipsis, *(slice(p, None, k) for k, p in zip(self.factors, self.phases)))
        return x[idx]


def up(
    k: int | tuple[int, ...], phase: int | tuple[int, ...] = 0, ndim: int | None = None
) -> Resample:
    """Up-sampling ``↑k``: inserts ``k - 1`` zeros after every sample, ``n -> k·n``.

    ``y[k·i + phase] = x[i]``, all other samples zero. ``up(k)`` is the transpose of ``down(k)``
    on ``k·n`` samples.

    Args:
      k: an int factor (acting on the last axis, or on the last ``ndim`` axes), or a tuple with
        one factor per trailing axis.
      phase: where each sample lands within its block of ``k``; ``0 <= phase < k``; an int or a
        tuple like ``k``.
      ndim: the number of trailing axes (only with an int ``k``).

    Raises:
      TypeError, ValueError: a non-integer or non-positive factor, ``phase >= k``.

    Example:
      >>> import convalgebra as ca
      >>> ca.up(2)([1.0, 2.0]).tolist()
      [1.0, 0.0, 2.0, 0.0]
    """
    ks = _shapes.factors("up", k, ndim)
    return Resample(ks, _shapes.phases("up", phase, ks), True)


def down(
    k: int | tuple[int, ...], phase: int | tuple[int, ...] = 0, ndim: int | None = None
) -> Resample:
    """Down-sampling ``↓k``: keeps samples ``phase, phase + k, ...``: ``n -> ceil((n - phase)/k)``.

    Arguments as for :func:`up`.

    Example:
      >>> import convalgebra as ca
      >>> ca.down(2)([0.0, 1.0, 2.0, 3.0, 4.0]).tolist()
      [0.0, 2.0, 4.0]
    """
    ks = _shapes.factors("down", k, ndim)
    return Resample(ks, _shapes.phases("down", phase, ks), False)


_NP_PAD = {"zero": "constant", "reflect": "reflect", "edge": "edge", "wrap": "wrap"}


@pytree_node()
class Pad(Operator):
    """Pads the trailing axes (zero, reflect, edge or wrap); crop is the transpose of zero pad."""

    widths: tuple[tuple[int, int], ...]
    mode: str

    def _label(self) -> str:
        return f"pad({self.widths}, {self.mode!r})"

    def _sym(self, x: str) -> str:
        return f"pad{list(self.widths)} {wrap_sym(x)}"

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        nd = len(self.widths)
        if len(shape) < nd:
            raise ValueError(f"{self._label()}: pads {nd} trailing axes, got shape {shape}")
        if self.mode in ("reflect", "wrap"):
            for n, (a, b) in zip(shape[-nd:], self.widths):
                limit = n - 1 if self.mode == "reflect" else n
                if max(a, b) > limit:
                    raise ValueError(
                        f"{self._label()}: {self.mode!r} padding needs widths <= {limit} for an "
                        f"axis of length {n}, got {(a, b)}"
                    )
        tail = tuple(n + a + b for n, (a, b) in zip(shape[-nd:], self.widths))
        return shape[:-nd] + tail, np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        cfg = [(0, 0)] * (x.ndim - len(self.widths)) + list(self.widths)
        return jnp.pad(x, cfg, mode=_NP_PAD[self.mode])


def pad(widths: Any, mode: str = "zero") -> Pad:
    """Pads the trailing axes.

    Args:
      widths: one ``(before, after)`` pair per trailing axis (an int ``n`` or a single pair
        act on the last axis).
      mode: ``"zero"``, ``"reflect"`` (mirror without repeating the edge, as ``numpy.pad``),
        ``"edge"`` (repeat the edge sample) or ``"wrap"`` (periodic).

    Example:
      >>> import convalgebra as ca
      >>> ca.pad((1, 2), "edge")([1.0, 2.0]).tolist()
      [1.0, 1.0, 2.0, 2.0, 2.0]
    """
    w = _shapes.widths("pad", widths)
    if mode not in _NP_PAD:
        raise ValueError(f"pad: mode must be one of {tuple(_NP_PAD)}, got {mode!r}")
    return Pad(w, mode)


@pytree_node()
class Crop(Operator):
    """Removes ``(before, after)`` samples from each trailing axis."""

    widths: tuple[tuple[int, int], ...]

    def _label(self) -> str:
        return f"crop({self.widths})"

    def _sym(self, x: str) -> str:
        return f"crop{list(self.widths)} {wrap_sym(x)}"

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        nd = len(self.widths)
        if len(shape) < nd:
            raise ValueError(f"{self._label()}: crops {nd} trailing axes, got shape {shape}")
        for n, (a, b) in zip(shape[-nd:], self.widths):
            if a + b > n:
                raise ValueError(
                    f"{self._label()}: cannot remove {a}+{b} samples from an axis of length {n}"
                )
        tail = tuple(n - a - b for n, (a, b) in zip(shape[-nd:], self.widths))
        return shape[:-nd] + tail, np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        idx = (
            Ellipsis,
            *(slice(a, n - b) for n, (a, b) in zip(x.shape[-len(self.widths) :], self.widths)),
        )
        return x[idx]


def crop(widths: Any) -> Crop:
    """Removes ``(before, after)`` samples from each trailing axis (widths as for :func:`pad`).

    Example:
      >>> import convalgebra as ca
      >>> ca.crop((0, 1))([1.0, 2.0, 3.0]).tolist()
      [1.0, 2.0]
    """
    return Crop(_shapes.widths("crop", widths))


@pytree_node()
class Identity(Operator):
    """The identity operator."""

    def _label(self) -> str:
        return "identity()"

    def _sym(self, x: str) -> str:
        return x

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        return shape, np.dtype(dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        return x


def identity() -> Identity:
    """The identity operator ``I``: ``identity()(x) == x``."""
    return Identity()


@pytree_node()
class Linear(Operator):
    """A user-written JAX function, taken as a linear operator (opaque to rewrites)."""

    fn: Callable[[jax.Array], jax.Array]
    name: str

    def _label(self) -> str:
        return f"linear({self.name})"

    def _sym(self, x: str) -> str:
        return f"{self.name}({x})"

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        try:
            out = jax.eval_shape(self.fn, jax.ShapeDtypeStruct(shape, dtype))
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"{self._label()}: the function failed on an input of shape {shape} and dtype "
                f"{dtype}: {e}"
            ) from e
        if not isinstance(out, jax.ShapeDtypeStruct):
            raise TypeError(f"{self._label()}: the function must return one array, got {out}")
        return tuple(out.shape), np.dtype(out.dtype)

    def _apply(self, x: jax.Array) -> jax.Array:
        return self.fn(x)


def linear(fn: Callable[[jax.Array], jax.Array], name: str | None = None) -> Linear:
    """Wraps a linear JAX function of one array as an operator.

    The function is opaque to rewrites but composes, jits and transposes like any operator.
    Linearity is the caller's promise: a transpose of a function JAX cannot transpose (e.g.
    ``jnp.tanh``) raises ``ValueError``; an affine offset (``x + 1``) is not detected by JAX's
    transposition, but ``ca.testing.check_linear`` catches it.

    Example:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.linear(jnp.cumsum)(jnp.array([1.0, 2.0])).tolist()
      [1.0, 3.0]
    """
    if not callable(fn):
        raise TypeError(f"linear: fn must be callable, got {type(fn).__name__}")
    return Linear(fn, name or getattr(fn, "__name__", "f"))
