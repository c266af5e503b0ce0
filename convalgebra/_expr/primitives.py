"""Primitive operators: convolution, correlation, dilation, up/down-sampling, padding, cropping.

Each primitive has its shape rule (``_infer``), its reference semantics (``_apply``), its
notation and its IR (``to_ir``) side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._lower import ir
from .._lower import precision as _precision
from .._static import shapes as _shapes
from .._static.structs import Kind, Shape, default_float, inexact, kernel_dtype, node
from .axes import canonical_axes, on_axes
from .node import Operator, kernel_name, wrap_sym


def _fmt_factors(ks: tuple[int, ...]) -> str:
    return str(ks[0]) if len(ks) == 1 else "(" + ",".join(map(str, ks)) + ")"


def _canonical_kernel(name: str, q: Any) -> tuple[jax.Array, bool]:
    weak = not hasattr(q, "dtype")
    if q is None or isinstance(q, (str, bytes, dict, set)):
        raise TypeError(f"{name}: the kernel must be an array of numbers, got {type(q).__name__}")
    try:
        arr = jnp.asarray(q if hasattr(q, "dtype") else np.asarray(q))
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{name}: the kernel must be a rectangular array of numbers, got {q!r}"
        ) from e
    if not inexact(arr.dtype):
        if not jnp.issubdtype(arr.dtype, jnp.integer) and arr.dtype != jnp.bool_:
            raise TypeError(f"{name}: the kernel must hold numbers, got dtype {arr.dtype}")
        arr = arr.astype(default_float())  # int/bool kernels become floating
        weak = True
    if arr.ndim == 0:
        raise ValueError(f"{name}: kernel must have at least one axis, got a scalar {q!r}")
    if 0 in arr.shape:
        raise ValueError(f"{name}: kernel must not be empty, got shape {arr.shape}")
    return arr, weak


@node(data=("kernel",))
class Filter(Operator):
    """Convolution (``flip=True``) or cross-correlation (``flip=False``) with ``kernel``.

    The kernel's rank relative to ``ndim`` says what it is: rank ``ndim`` one filter for every
    slice, ``ndim + 1`` one filter per channel ``(C, *K)``, ``ndim + 2`` channel mixing
    ``(C_out, C_in, *K)``. ``dilation`` (``None``: 1 on every axis) is the seed's ``↑r q``:
    the kernel zero-inserted by ``r`` (``r·K`` taps, the last ``r - 1`` zero), kept structural.
    """

    kernel: jax.Array
    mode: str
    ndim: int
    flip: bool
    weak: bool = False
    dilation: tuple[int, ...] | None = None
    name: str | None = None
    groups: int = 1
    origin: tuple[int, ...] | None = None  # circular only: scipy.ndimage's origin (0: centred)
    precision: Any = None  # lax's, canonical (_lower/precision.py); None: the platform default
    preferred_element_type: str | None = None  # lax's: accumulate and return in this dtype

    @property
    def kind(self) -> Kind:
        return Kind.of(self.kernel.ndim, self.ndim)

    @property
    def rates(self) -> tuple[int, ...]:
        return self.dilation or (1,) * self.ndim

    @property
    def op_name(self) -> str:
        return "conv" if self.flip else "corr"

    def _dense_taps(self) -> tuple[int, ...]:
        return tuple(r * k for r, k in zip(self.rates, self.kernel.shape[-self.ndim :]))

    def _label(self) -> str:
        q = f"{self.name or 'q'}{tuple(self.kernel.shape)}"
        if self.dilation and any(r > 1 for r in self.dilation):
            q = f"up({_fmt_factors(self.dilation)})({q})"
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        if self.precision is not None:
            groups += f", precision={_precision.describe(self.precision)}"
        if self.preferred_element_type is not None:
            groups += f", preferred_element_type={self.preferred_element_type}"
        return f"{self.op_name}({q}, {self.mode!r}{groups})"

    def _sym(self, x: str) -> str:
        op = "*" if self.flip else "⋆"
        q = self.name or kernel_name(self)
        if self.dilation and any(r > 1 for r in self.dilation):
            q = f"(↑{_fmt_factors(self.dilation)} {q})"
        mode = "" if self.mode == "full" else f"[{self.mode}]"
        return f"{q} {op}{mode} {wrap_sym(x)}"

    def _channels(self):
        if self.kind is Kind.DEPTHWISE:
            c = (-self.ndim - 1, self.kernel.shape[0])
            return c, c
        if self.kind is Kind.MIXING:
            a = -self.ndim - 1
            return (a, self.kernel.shape[1] * self.groups), (a, self.kernel.shape[0])
        return None, None

    def _infer(self, shape: Shape, dtype: np.dtype) -> tuple[Shape, np.dtype]:
        nd, kshape = self.ndim, tuple(self.kernel.shape)
        need = nd + (0 if self.kind is Kind.SINGLE else 1)
        if len(shape) < need:
            raise ValueError(
                f"{self._label()}: input must have at least {need} axes ({nd} spatial"
                f"{' + 1 channel' if need > nd else ''}), got shape {shape}"
            )
        if self.kind is not Kind.SINGLE:
            cin = kshape[1] * self.groups if self.kind is Kind.MIXING else kshape[0]
            if shape[-nd - 1] != cin:
                raise ValueError(
                    f"{self._label()}: channel mismatch: the kernel {kshape} expects "
                    f"{cin} channels at axis {-nd - 1}, the input of shape {shape} has "
                    f"{shape[-nd - 1]}"
                )
        spatial = tuple(
            _shapes.filter_length(self._label(), self.mode, n, k, self.flip)
            for n, k in zip(shape[-nd:], self._dense_taps())
        )
        lead = shape[: -nd - 1] if self.kind is not Kind.SINGLE else shape[:-nd]
        chan = () if self.kind is Kind.SINGLE else (kshape[0],)
        return lead + chan + spatial, self._out_dtype(dtype)

    def _out_dtype(self, dtype: Any) -> np.dtype:
        """The result dtype: the computation dtype, or ``preferred_element_type`` (lax's rule)."""
        compute = kernel_dtype(dtype, self.kernel.dtype, self.weak)
        return _precision.result_dtype(self._label(), compute, self.preferred_element_type)

    def _apply(self, x: jax.Array) -> jax.Array:
        """As written: the dense kernel ``↑r q`` (flipped for ``conv``), one lax correlation."""
        nd = self.ndim
        dtype = kernel_dtype(x.dtype, self.kernel.dtype, self.weak)
        if x.size == 0:
            out, _ = self._infer(tuple(x.shape), np.dtype(x.dtype))
            return jnp.zeros(out, self._out_dtype(x.dtype))
        x, w = x.astype(dtype), self.kernel.astype(dtype)
        if any(r > 1 for r in self.rates):
            cfg = [(0, 0, 0)] * (w.ndim - nd) + [(0, r - 1, r - 1) for r in self.rates]
            w = lax.pad(w, jnp.zeros((), w.dtype), cfg)
        if self.flip:
            w = jnp.flip(w, axis=tuple(range(w.ndim - nd, w.ndim)))
        ksz = w.shape[-nd:]
        spatial = x.shape[-nd:]
        if self.kind is Kind.SINGLE:
            lead = x.shape[:-nd]
            xb = x.reshape((-1, 1, *spatial))
            wb = w.reshape((1, 1, *ksz))
            groups = 1
        else:
            lead = x.shape[: -nd - 1]
            c = x.shape[-nd - 1]
            xb = x.reshape((-1, c, *spatial))
            groups = c if self.kind is Kind.DEPTHWISE else self.groups
            wb = w.reshape((c, 1, *ksz)) if self.kind is Kind.DEPTHWISE else w
        pads = [_shapes.corr_padding(self.mode, k, self.flip) for k in ksz]
        if self.mode == "circular":
            eff = self._effective_taps()  # the dense kernel without its r - 1 trailing zeros
            lo = [k - e if self.flip else 0 for k, e in zip(ksz, eff)]
            wb = wb[(..., *(slice(a, a + e) for a, e in zip(lo, eff)))]
            xb = jnp.pad(xb, [(0, 0), (0, 0), *self._wrap()], mode="wrap")
            pads = [(0, 0)] * nd
        y = lax.conv_general_dilated(
            xb, wb, (1,) * nd, pads, feature_group_count=groups,
            precision=_precision.resolve(self.precision, jax.default_backend()),
            preferred_element_type=self._pet(dtype),
        )  # fmt: skip
        chan = () if self.kind is Kind.SINGLE else (y.shape[1],)
        return y.reshape(lead + chan + y.shape[2:])

    def _pet(self, compute: Any) -> str | None:
        """``preferred_element_type`` for lax (checked, canonical for x64) by name, or ``None``."""
        if self.preferred_element_type is None:
            return None
        return _precision.result_dtype(self._label(), compute, self.preferred_element_type).name

    def _effective_taps(self) -> tuple[int, ...]:
        """The span of the dilated kernel, ``r·(k - 1) + 1`` per axis."""
        return tuple(r * (k - 1) + 1 for k, r in zip(self.kernel.shape[-self.ndim :], self.rates))

    def _wrap(self) -> tuple[tuple[int, int], ...]:
        """Circular mode: the periodic pre-padding ``(lo, hi)`` of each axis for the origin."""
        origin = self.origin or (0,) * self.ndim
        return tuple(
            circular_wrap(self.op_name, e, o, self.flip)
            for e, o in zip(self._effective_taps(), origin)
        )

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        nd, rates = self.ndim, self.rates
        pads, wrap = [], []
        for k, r in zip(self.kernel.shape[-nd:], rates):
            if self.mode == "circular":
                pads.append((0, 0))  # the wrap (below) holds the whole window
                continue
            lo, hi = _shapes.corr_padding(self.mode, r * k, self.flip)  # of the dense ↑r q
            # the dense ↑r q has r-1 trailing zeros; flipped, they lead
            pads.append((lo - (r - 1), hi) if self.flip else (lo, hi - (r - 1)))
        if self.mode == "circular":
            wrap = list(self._wrap())
        compute = kernel_dtype(dtype, self.kernel.dtype, self.weak)
        return ir.Conv.plain(
            self.kernel.astype(compute), nd, flip=self.flip, dilation=tuple(rates),
            pads=tuple(pads), wrap=tuple(wrap) if self.mode == "circular" else None,
            name=self.name or kernel_name(self), groups=self.groups,
            precision=self.precision, preferred_element_type=self._pet(compute),
        )  # fmt: skip


def circular_wrap(name: str, k: int, origin: int, flip: bool) -> tuple[int, int]:
    """The periodic pre-padding ``(lo, hi)`` of a circular filter spanning ``k`` samples.

    ``origin`` is ``scipy.ndimage``'s: 0 centres the kernel (tap ``k // 2`` of a correlation
    kernel, ``(k - 1) // 2`` of a convolution kernel, lands on the output sample), so
    ``conv(h, "circular")(x) == scipy.ndimage.convolve(x, h, mode="wrap")`` and
    ``corr(h, "circular")(x) == scipy.ndimage.correlate(x, h, mode="wrap")``;
    ``origin = -(k // 2)`` is the uncentred cyclic convolution ``y[n] = sum_j h[j] x[n - j]``.
    """
    if not -(k // 2) <= origin <= (k - 1) // 2:
        raise ValueError(
            f"{name}: origin must lie in [-(k // 2), (k - 1) // 2] = [{-(k // 2)}, {(k - 1) // 2}] "
            f"for a kernel spanning k={k} samples (as scipy.ndimage), got {origin}"
        )
    lo = (k - 1) // 2 - origin if flip else k // 2 + origin
    return lo, k - 1 - lo


def _with_axis(name: str, op: Operator, axis: Any, nd: int) -> Operator:
    if axis is None:
        return op
    axes = canonical_axes(name, axis)
    if len(axes) != nd:
        raise ValueError(f"{name}: axis={axis!r} names {len(axes)} axes, the operator acts on {nd}")
    return on_axes(op, axes)


def _filter(
    name: str,
    q: Any,
    mode: str,
    ndim: int | None,
    flip: bool,
    label: str | None,
    axis: Any,
    groups: Any = 1,
    origin: Any = 0,
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    prec = _precision.canonical_precision(name, precision)
    pet = _precision.canonical_element_type(name, preferred_element_type)
    kernel, weak = _canonical_kernel(name, q)
    if axis is not None:
        n_ax = len(canonical_axes(name, axis))
        if ndim is not None and ndim != n_ax:
            raise ValueError(f"{name}: axis={axis!r} names {n_ax} axes but ndim={ndim}")
        if kernel.ndim != n_ax:
            raise ValueError(
                f"{name}: axis= takes a filter of rank len(axis) ({n_ax}), got a kernel of shape "
                f"{tuple(kernel.shape)}; kernels with channels act on (..., C, *S) inputs"
            )
        ndim = n_ax
    if mode not in _shapes.MODES:
        raise ValueError(f"{name}: mode must be one of {_shapes.MODES}, got {mode!r}")
    if ndim is None:
        if kernel.ndim > 2:
            raise ValueError(
                f"{name}: a kernel of shape {tuple(kernel.shape)} (rank {kernel.ndim}) is "
                f"ambiguous without ndim: a {kernel.ndim}-D filter (ndim={kernel.ndim}), one "
                f"{kernel.ndim - 1}-D filter per channel (ndim={kernel.ndim - 1}), or a "
                f"{kernel.ndim - 2}-D channel-mixing (C_out, C_in, *K) kernel "
                f"(ndim={kernel.ndim - 2}); pass ndim"
            )
        nd = kernel.ndim
    else:
        nd = _shapes.check_ndim(name, ndim)
    if not nd <= kernel.ndim <= nd + 2:
        raise ValueError(
            f"{name}: kernel rank must be ndim ({nd}: one filter), ndim+1 ({nd + 1}: one filter "
            f"per channel, (C, *K)) or ndim+2 ({nd + 2}: channel mixing, (C_out, C_in, *K)); "
            f"got a kernel of shape {tuple(kernel.shape)} (rank {kernel.ndim}) with ndim={nd}"
        )
    if label is not None and not isinstance(label, str):
        raise TypeError(f"{name}: name must be a string, got {label!r}")
    g = _shapes.as_int(name, "groups", groups)
    if g != 1:
        if kernel.ndim != nd + 2 or g < 1 or kernel.shape[0] % g:
            raise ValueError(
                f"{name}: groups={groups!r} needs a channel-mixing kernel (C_out, C_in/groups, "
                f"*K) with C_out divisible by groups, got a kernel of shape "
                f"{tuple(kernel.shape)} with ndim={nd}"
            )
    filt = Filter(kernel, mode, nd, flip, weak, None, label, g, precision=prec,
                  preferred_element_type=pet)  # fmt: skip
    origins = _origins(name, origin, mode, nd)
    if origins is not None:
        filt = dataclasses.replace(filt, origin=origins)
        filt._wrap()  # checks the range of each origin against the kernel's span
    return _with_axis(name, filt, axis, nd)


def _origins(name: str, origin: Any, mode: str, nd: int) -> tuple[int, ...] | None:
    """``origin=`` canonicalised to one int per spatial axis (``None`` for modes other than
    "circular", where only 0 is accepted)."""
    vals = origin if isinstance(origin, (tuple, list)) else (origin,) * nd
    if len(vals) != nd or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals
    ):
        raise ValueError(
            f"{name}: origin must be an int or a tuple of {nd} ints (one per spatial axis), "
            f"got {origin!r}"
        )
    out = tuple(int(v) for v in vals)
    if mode != "circular":
        if any(out):
            raise ValueError(
                f"{name}: origin={origin!r} applies to mode 'circular' only (mode {mode!r} "
                "fixes the output window); got a non-zero origin"
            )
        return None
    return out


def conv(
    q: Any,
    mode: str = "full",
    ndim: int | None = None,
    name: str | None = None,
    axis: int | tuple[int, ...] | None = None,
    groups: int = 1,
    origin: int | tuple[int, ...] = 0,
    *,
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    """True convolution ``q * x``: ``y[n] = sum_k q[n - k] x[k]`` on the trailing axes.

    Args:
      q: the kernel. Rank ``ndim``: one filter for every leading slice, ``(*S) -> (*S')``;
        rank ``ndim + 1``, shape ``(C, *K)``: one filter per channel,
        ``(..., C, *S) -> (..., C, *S')``; rank ``ndim + 2``, shape ``(C_out, C_in, *K)``:
        channel mixing summed over input channels, ``(..., C_in, *S) -> (..., C_out, *S')``.
        A Python list or an int kernel is *weak*: it adopts the input's floating dtype.
      mode: ``"full"`` (``n + k - 1`` outputs), ``"same"`` (``n`` outputs, centred as in
        ``numpy.convolve``/``scipy.signal.convolve``), ``"valid"`` (``n - k + 1``) or
        ``"circular"`` (``n`` outputs, cyclic convolution of period ``n``, the kernel centred
        as in ``scipy.ndimage``: see ``origin``).
      ndim: the number of trailing spatial axes. May be left out for kernels of rank 1 or 2
        (a 1-D or 2-D filter, as in SciPy); required for rank 3 and more, where a
        deep-learning weight ``(C_out, C_in, K)`` and a 3-D filter would be indistinguishable.
      name: the kernel's name in the notation (default: ``q``, ``w``, ``h``, ``g``, ... by
        position in the expression, left to right).
      axis: the axes to act on instead of the trailing ones (an int or a tuple, one per
        spatial axis; single filters only), as in SciPy's ``axis=``.
      groups: for a mixing kernel of shape ``(C_out, C_in/groups, *K)``: the input and output
        channels split into ``groups`` groups, each mixed on its own (PyTorch's ``groups``);
        lowered to one grouped convolution, no block-diagonal zeros.
      origin: "circular" mode only: where the kernel sits, ``scipy.ndimage``'s ``origin``
        (an int or one per spatial axis, ``-(k // 2) <= origin <= (k - 1) // 2`` for a kernel
        spanning ``k`` samples). The default 0 centres it: ``conv(h, "circular")(x) ==
        scipy.ndimage.convolve(x, h, mode="wrap")``, as a point-spread function is centred in
        SciPy, scikit-image and deepinv. ``origin=-(k // 2)`` gives the uncentred cyclic
        convolution ``y[n] = sum_j h[j] x[(n - j) mod N]`` (the DFT product ``ifft(fft(h) ·
        fft(x))`` with ``h`` zero-padded at the start). Other modes accept only 0.
      precision: ``lax.conv_general_dilated``'s: ``None`` (the platform's default,
        ``"highest"``: true float32 products; see docs/lowering.md), ``"default"``, ``"high"``,
        ``"highest"``, a ``lax.Precision``, a pair of them, or a ``lax.DotAlgorithmPreset``.
        Static: it reaches every convolution and ``dot_general`` of the lowered program, its
        transposes and kernel gradients.
      preferred_element_type: ``lax.conv_general_dilated``'s: ``None``, or a dtype to
        accumulate and return in (``jnp.float32`` with bfloat16/float16 data: float32
        accumulation and a float32 result, as lax gives). Static.

    Returns:
      The operator. Output dtype is JAX's promotion of the input and kernel dtypes (a real
      input with a complex kernel gives a complex result); nothing is downcast; with
      ``preferred_element_type``, that dtype.

    Raises:
      ValueError: for a bad mode, a kernel of the wrong rank, a rank-3+ kernel without
        ``ndim``, and (when applied) a channel mismatch or a "valid"/"circular" kernel longer
        than the signal; an unknown ``precision`` or ``preferred_element_type``, and (when
        applied) a ``preferred_element_type`` narrower than the data or of another kind.
        TypeError: a kernel that is not an array of numbers.

    Examples:
      >>> import convalgebra as ca
      >>> ca.conv([1.0, 1.0])([1.0, 2.0, 3.0]).tolist()
      [1.0, 3.0, 5.0, 3.0]
    """
    return _filter("conv", q, mode, ndim, True, name, axis, groups, origin, precision,
                   preferred_element_type)  # fmt: skip


def corr(
    q: Any,
    mode: str = "full",
    ndim: int | None = None,
    name: str | None = None,
    axis: int | tuple[int, ...] | None = None,
    groups: int = 1,
    origin: int | tuple[int, ...] = 0,
    *,
    precision: Any = None,
    preferred_element_type: Any = None,
) -> Operator:
    """Cross-correlation ``q ⋆ x``, the deep-learning "convolution": ``y[n] = sum_k q[k] x[n+k]``.

    The kernel is neither flipped nor conjugated (as in ``lax.conv_general_dilated`` and
    PyTorch), so ``corr(q, mode)(x) == scipy.signal.correlate(x, conj(q), mode)``.
    Arguments, kernel ranks, modes and dtypes are as for :func:`conv`. In "circular" mode
    ``corr(q, "circular", origin=o)(x) == scipy.ndimage.correlate(x, q, mode="wrap",
    origin=o)`` (centred by default), the transpose of ``conv(q, "circular", origin=o)``;
    ``origin=-(k // 2)`` gives ``y[n] = sum_j q[j] x[(n + j) mod N]``.

    Examples:
      >>> import convalgebra as ca
      >>> ca.corr([1.0, 2.0], "valid")([1.0, 0.0, 0.0]).tolist()
      [1.0, 0.0]
    """
    return _filter("corr", q, mode, ndim, False, name, axis, groups, origin, precision,
                   preferred_element_type)  # fmt: skip


def dilate(op: Operator, rate: int | tuple[int, ...]) -> Filter:
    """``op`` with its kernel zero-inserted by ``rate``: ``corr(↑r q)``, kept structural.

    ``ca.dilate(ca.corr(q, mode), r)`` equals ``ca.corr(ca.up(r, ndim=nd)(q), mode)`` (the kernel
    ``↑r q`` has ``r·K`` taps, the last ``r - 1`` zero), but lowers to ``rhs_dilation`` instead of a
    convolution with mostly-zero taps.

    Raises:
      TypeError: if ``op`` is not a ``conv``/``corr`` operator; ValueError for a bad rate.

    Examples:
      >>> import convalgebra as ca
      >>> ca.dilate(ca.corr([1.0, 2.0]), 2)([1.0, 0.0, 0.0]).tolist()
      [0.0, 2.0, 0.0, 1.0, 0.0, 0.0]
    """
    if not isinstance(op, Filter):
        raise TypeError(f"dilate: needs a conv/corr operator, got {op!r}")
    rates = _shapes.factors("dilate", rate, op.ndim)
    rates = tuple(a * b for a, b in zip(rates, op.rates))
    return dataclasses.replace(op, dilation=rates)


@node()
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
            ph = ",".join(map(str, self.phases)).translate(ir.SUPERSCRIPT)
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
            cfg = [
                (p, k - 1 - p, k - 1) if n else (0, 0, 0)  # an empty axis stays empty
                for k, p, n in zip(self.factors, self.phases, x.shape[-nd:])
            ]
            return lax.pad(x, jnp.zeros((), x.dtype), lead + cfg)
        idx = (Ellipsis, *(slice(p, None, k) for k, p in zip(self.factors, self.phases)))
        return x[idx]

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        return ir.Sampling(factors=self.factors, phases=self.phases, up=self.up)


def up(
    k: int | tuple[int, ...],
    phase: int | tuple[int, ...] = 0,
    ndim: int | None = None,
    axis: int | tuple[int, ...] | None = None,
) -> Operator:
    """Up-sampling ``↑k``: inserts ``k - 1`` zeros after every sample, ``n -> k·n``.

    ``y[k·i + phase] = x[i]``, all other samples zero. ``up(k)`` is the transpose of ``down(k)``
    on ``k·n`` samples.

    Args:
      k: an int factor (acting on the last axis, or on the last ``ndim`` axes), or a tuple with
        one factor per trailing axis.
      phase: where each sample lands within its block of ``k``; ``0 <= phase < k``; an int or a
        tuple like ``k``.
      ndim: the number of trailing axes (only with an int ``k``).
      axis: the axes to act on instead of the trailing ones (an int or a tuple).

    Raises:
      TypeError, ValueError: a non-integer or non-positive factor, ``phase >= k``.

    Examples:
      >>> import convalgebra as ca
      >>> ca.up(2)([1.0, 2.0]).tolist()
      [1.0, 0.0, 2.0, 0.0]
    """
    ks = _shapes.factors("up", k, _axis_ndim("up", ndim, axis))
    return _with_axis("up", Resample(ks, _shapes.phases("up", phase, ks), True), axis, len(ks))


def down(
    k: int | tuple[int, ...],
    phase: int | tuple[int, ...] = 0,
    ndim: int | None = None,
    axis: int | tuple[int, ...] | None = None,
) -> Operator:
    """Down-sampling ``↓k``: keeps samples ``phase, phase + k, ...``: ``n -> ceil((n - phase)/k)``.

    Arguments as for :func:`up`.

    Examples:
      >>> import convalgebra as ca
      >>> ca.down(2)([0.0, 1.0, 2.0, 3.0, 4.0]).tolist()
      [0.0, 2.0, 4.0]
    """
    ks = _shapes.factors("down", k, _axis_ndim("down", ndim, axis))
    return _with_axis("down", Resample(ks, _shapes.phases("down", phase, ks), False), axis, len(ks))


_NP_PAD = {"zero": "constant", "reflect": "reflect", "edge": "edge", "wrap": "wrap"}


@node()
class Pad(Operator):
    """Pads the trailing axes (zero, reflect, edge or wrap); crop is the transpose of zero pad."""

    widths: tuple[tuple[int, int], ...]
    mode: str

    def _label(self) -> str:
        return f"pad({self.widths}, {self.mode!r})"

    def _sym(self, x: str) -> str:
        mode = "" if self.mode == "zero" else f"[{self.mode}]"
        return f"pad{mode}{list(self.widths)} {wrap_sym(x)}"

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

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        if self.mode == "zero":
            return ir.Window(pads=self.widths)
        return super().to_ir(shape, dtype)


def _axis_ndim(name: str, ndim: int | None, axis: Any) -> int | None:
    if axis is None:
        return ndim
    n = len(canonical_axes(name, axis))
    if ndim is not None and ndim != n:
        raise ValueError(f"{name}: axis={axis!r} names {n} axes but ndim={ndim}")
    return n


def _widths_on(name: str, widths: Any, axis: Any) -> tuple[tuple[int, int], ...]:
    w = _shapes.widths(name, widths)
    if axis is not None and len(w) == 1:
        w = w * len(canonical_axes(name, axis))  # one pair for every named axis
    return w


def pad(widths: Any, mode: str = "zero", axis: int | tuple[int, ...] | None = None) -> Operator:
    """Pads the trailing axes.

    Args:
      widths: one ``(before, after)`` pair per trailing axis (an int ``n`` or a single pair
        act on the last axis).
      mode: ``"zero"``, ``"reflect"`` (mirror without repeating the edge, as ``numpy.pad``),
        ``"edge"`` (repeat the edge sample) or ``"wrap"`` (periodic).

    Examples:
      >>> import convalgebra as ca
      >>> ca.pad((1, 2), "edge")([1.0, 2.0]).tolist()
      [1.0, 1.0, 2.0, 2.0, 2.0]
    """
    w = _widths_on("pad", widths, axis)
    if mode not in _NP_PAD:
        raise ValueError(f"pad: mode must be one of {tuple(_NP_PAD)}, got {mode!r}")
    return _with_axis("pad", Pad(w, mode), axis, len(w))


@node()
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

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        return ir.Window(pads=tuple((-a, -b) for a, b in self.widths))


def crop(widths: Any, axis: int | tuple[int, ...] | None = None) -> Operator:
    """Removes ``(before, after)`` samples from each trailing axis (widths as for :func:`pad`).

    Examples:
      >>> import convalgebra as ca
      >>> ca.crop((0, 1))([1.0, 2.0, 3.0]).tolist()
      [1.0, 2.0]
    """
    w = _widths_on("crop", widths, axis)
    return _with_axis("crop", Crop(w), axis, len(w))


@node()
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

    def to_ir(self, shape: Shape, dtype: np.dtype) -> ir.IR:
        return ir.Seq(steps=())


def identity() -> Identity:
    """The identity operator ``I``: ``identity()(x) == x``."""
    return Identity()


@node()
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

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
      >>> ca.linear(jnp.cumsum)(jnp.array([1.0, 2.0])).tolist()
      [1.0, 3.0]
    """
    if not callable(fn):
        raise TypeError(f"linear: fn must be callable, got {type(fn).__name__}")
    return Linear(fn, name or getattr(fn, "__name__", "f"))
