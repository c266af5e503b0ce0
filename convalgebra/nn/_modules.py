"""What the Flax NNX and Equinox modules share: layer specs, initialisers and forward passes.

No Flax or Equinox import here. A spec is a frozen dataclass of canonical hyper-parameters
(checked once, when the module is built); ``init`` draws the parameters; ``apply`` runs the
``ca.nn`` function. The module files only store parameters in their framework's containers.

Initialisation (``init="torch"``, the default) is PyTorch's for ``Conv{1,2,3}d`` and
``ConvTranspose{1,2,3}d``: ``kaiming_uniform_(a=√5)``, i.e. weight and bias both uniform in
``±1/√fan_in`` with ``fan_in = weight.shape[1]·prod(K)``. ``init="flax"`` is Flax's
``lecun_normal`` kernel (truncated normal of variance ``1/fan_in``, ``fan_in`` = input channels
per group times the kernel size) and zero bias.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _args, _layout
from ._conv import conv, conv_transpose
from ._interp import MODES, interpolate
from ._resample import upsample_conv_fused

INITS = ("torch", "flax")


def _nd(op: str, kernel_size: Any, ndim: int | None) -> int:
    if isinstance(kernel_size, (tuple, list)):
        if ndim is not None and ndim != len(kernel_size):
            raise ValueError(f"{op}: kernel_size={tuple(kernel_size)} has {len(kernel_size)} "
                             f"axes but ndim={ndim}")  # fmt: skip
        return len(kernel_size)
    (nd,) = _args.ints(op, "ndim", 2 if ndim is None else ndim, 1, 1)
    return nd


def _channels(op: str, in_channels: Any, out_channels: Any, groups: Any) -> tuple[int, int, int]:
    (c_in,) = _args.ints(op, "in_channels", in_channels, 1, 1)
    (c_out,) = _args.ints(op, "out_channels", out_channels, 1, 1)
    (g,) = _args.ints(op, "groups", groups, 1, 1)
    if c_in % g or c_out % g:
        raise ValueError(
            f"{op}: groups must divide in_channels and out_channels, got groups={g}, "
            f"in_channels={c_in}, out_channels={c_out}"
        )
    return c_in, c_out, g


def _init_name(op: str, init: str) -> str:
    if init not in INITS:
        raise ValueError(f"{op}: init must be one of {INITS}, got init={init!r}")
    return init


@dataclasses.dataclass(frozen=True)
class ConvSpec:
    """A convolution (``transposed=False``) or transposed convolution layer's hyper-parameters."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: Any
    dilation: tuple[int, ...]
    groups: int
    bias: bool
    padding_mode: str = "zeros"
    output_padding: tuple[int, ...] = ()
    transposed: bool = False
    init: str = "torch"
    data_format: str = "channels_first"

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(C_out, C_in/g, *K)`` (conv) or ``(C_in, C_out/g, *K)`` (transposed), as PyTorch."""
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def init_params(self, key: jax.Array, dtype: Any) -> tuple[jax.Array, jax.Array | None]:
        """``(weight, bias)`` drawn as PyTorch (``init="torch"``) or Flax (``"flax"``) do."""
        shape = self.weight_shape
        kw, kb = jax.random.split(key)
        if self.init == "torch":
            bound = 1.0 / math.sqrt(shape[1] * math.prod(self.kernel_size))
            w = jax.random.uniform(kw, shape, dtype, -bound, bound)
            b = jax.random.uniform(kb, (self.out_channels,), dtype, -bound, bound)
        else:
            fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
            std = math.sqrt(1.0 / fan_in) / 0.87962566103423978  # truncated at ±2 std
            w = (std * jax.random.truncated_normal(kw, -2.0, 2.0, shape)).astype(dtype)
            b = jnp.zeros((self.out_channels,), dtype)
        return w, (b if self.bias else None)

    def apply(self, x: jax.Array, w: jax.Array, b: jax.Array | None, dtype: Any) -> jax.Array:
        """The layer on ``x`` (``(N, C_in, *S)`` or ``(C_in, *S)``; channels-last ``(N, *S,
        C_in)`` or ``(*S, C_in)``), computed in ``dtype`` or, when ``dtype`` is None, in ``x``'s
        floating dtype (bfloat16 in, bfloat16 out)."""
        x, w, b = cast(x, w, b, dtype)
        if self.transposed:
            return conv_transpose(x, w, b, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation,
                                  data_format=self.data_format)  # fmt: skip
        return conv(x, w, b, self.stride, self.padding, self.dilation, self.groups,
                    padding_mode=self.padding_mode, data_format=self.data_format)  # fmt: skip


def cast(x: Any, w: jax.Array, b: jax.Array | None, dtype: Any):
    """Input and parameters in one dtype: ``dtype``, or the input's when it is floating."""
    x = jnp.asarray(x)
    if dtype is None:
        dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.inexact) else w.dtype
    return x.astype(dtype), w.astype(dtype), None if b is None else b.astype(dtype)


def _conv_args(op: str, in_channels, out_channels, kernel_size, stride, dilation, groups, ndim):
    """``(nd, c_in, c_out, groups, kernel_size, stride, dilation)``, checked and canonical."""
    nd = _nd(op, kernel_size, ndim)
    c_in, c_out, g = _channels(op, in_channels, out_channels, groups)
    k = _args.ints(op, "kernel_size", kernel_size, nd, 1)
    s = _args.ints(op, "stride", stride, nd, 1)
    d = _args.ints(op, "dilation", dilation, nd, 1)
    return nd, c_in, c_out, g, k, s, d


def _data_format(op: str, data_format: Any) -> str:
    _layout.channels_last(op, data_format)  # raises on anything but the two names
    return data_format


def conv_spec(op: str, in_channels, out_channels, kernel_size, stride, padding, dilation,
              groups, bias, padding_mode, ndim, init,
              data_format="channels_first") -> ConvSpec:  # fmt: skip
    nd, c_in, c_out, g, k, s, d = _conv_args(
        op, in_channels, out_channels, kernel_size, stride, dilation, groups, ndim
    )
    pad = _args.padding(op, padding, nd)
    if pad == "same" and any(si > 1 for si in s):
        raise ValueError(
            f"{op}: padding='same' with stride={s} depends on the input size; the layer accepts "
            "it for stride 1 only (as PyTorch), give explicit padding"
        )
    modes = ("zeros", "reflect", "replicate", "circular")
    if padding_mode not in modes:
        raise ValueError(f"{op}: padding_mode must be one of {modes}, got {padding_mode!r}")
    return ConvSpec(c_in, c_out, k, s, padding, d, g, bool(bias), padding_mode,
                    init=_init_name(op, init),
                    data_format=_data_format(op, data_format))  # fmt: skip


def conv_transpose_spec(op: str, in_channels, out_channels, kernel_size, stride, padding,
                        output_padding, groups, bias, dilation, ndim, init,
                        data_format="channels_first") -> ConvSpec:  # fmt: skip
    nd, c_in, c_out, g, k, s, d = _conv_args(
        op, in_channels, out_channels, kernel_size, stride, dilation, groups, ndim
    )
    o = _args.ints(op, "output_padding", output_padding, nd, 0)
    _args.transpose_pads(op, _args.padding(op, padding, nd), o, _args.effective(k, d), s, d)
    return ConvSpec(c_in, c_out, k, s, padding, d, g, bool(bias), output_padding=o,
                    transposed=True, init=_init_name(op, init),
                    data_format=_data_format(op, data_format))  # fmt: skip


@dataclasses.dataclass(frozen=True)
class UpsampleSpec:
    """``torch.nn.Upsample``: ``interpolate`` with fixed arguments (no parameters)."""

    size: Any
    scale_factor: Any
    mode: str
    align_corners: bool | None
    recompute_scale_factor: bool | None
    ndim: int
    data_format: str = "channels_first"

    def apply(self, x: jax.Array) -> jax.Array:
        x = jnp.asarray(x)
        if x.ndim not in (self.ndim + 1, self.ndim + 2):
            want = "(N, *S, C) or (*S, C)" if self.data_format == "channels_last" else (
                "(N, C, *S) or (C, *S)")  # fmt: skip
            raise ValueError(
                f"Upsample: a {self.ndim}-D layer needs an input {want}, got shape {tuple(x.shape)}"
            )
        unbatched = x.ndim == self.ndim + 1  # as Equinox passes it
        y = interpolate(x[None] if unbatched else x, self.size, self.scale_factor, self.mode,
                        self.align_corners, self.recompute_scale_factor,
                        data_format=self.data_format)  # fmt: skip
        return y[0] if unbatched else y


_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def upsample_spec(op, size, scale_factor, mode, align_corners, recompute_scale_factor, ndim,
                  data_format="channels_first"):  # fmt: skip
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
            f"scale_factor={scale_factor!r}"
        )
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got mode={mode!r}")
    if align_corners is not None and mode not in _RANK:
        raise ValueError(
            f"{op}: align_corners can only be set with the interpolating modes linear, "
            f"bilinear, bicubic and trilinear, got mode={mode!r}, align_corners={align_corners!r}"
        )
    size = tuple(size) if isinstance(size, (list, tuple)) else size
    if isinstance(scale_factor, (list, tuple)):
        scale_factor = tuple(scale_factor)
    given = size if size is not None else scale_factor
    nd = ndim or _RANK.get(mode) or (len(given) if isinstance(given, tuple) else 2)
    if (mode in _RANK and nd != _RANK[mode]) or (isinstance(given, tuple) and len(given) != nd):
        raise ValueError(
            f"{op}: mode={mode!r}, size={size!r}, scale_factor={scale_factor!r} and "
            f"ndim={ndim!r} disagree on the number of spatial axes"
        )
    return UpsampleSpec(size, scale_factor, mode, align_corners, recompute_scale_factor, nd,
                        _data_format(op, data_format))  # fmt: skip


@dataclasses.dataclass(frozen=True)
class UpsampleConvSpec:
    """Nearest ``↑f`` then a convolution, fused into one transposed convolution."""

    conv: ConvSpec
    factor: tuple[int, ...]

    def init_params(self, key: jax.Array, dtype: Any) -> tuple[jax.Array, jax.Array | None]:
        """The convolution's ``(weight, bias)``: see :meth:`ConvSpec.init_params`."""
        return self.conv.init_params(key, dtype)

    def apply(self, x: jax.Array, w: jax.Array, b: jax.Array | None, dtype: Any) -> jax.Array:
        from ._conv import add_bias

        x, w, b = cast(x, w, b, dtype)
        c = self.conv
        nd = len(c.kernel_size)
        last = c.data_format == "channels_last"
        x = _layout.to_first("UpsampleConv", x, nd, last, (nd + 1, nd + 2))
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"UpsampleConv: a {nd}-D layer needs an input (N, C, *S) or (C, *S), got shape "
                f"{tuple(x.shape)}"
            )
        if x.shape[-len(c.kernel_size) - 1] != c.in_channels:
            raise ValueError(
                f"UpsampleConv: the input has {x.shape[-len(c.kernel_size) - 1]} channels, the "
                f"layer expects in_channels={c.in_channels}"
            )
        a = upsample_conv_fused(w, self.factor, c.padding, c.groups)
        return _layout.to_last(add_bias(a(x), b, nd), nd, last)


def upsample_conv_spec(
    op, in_channels, out_channels, kernel_size, scale_factor, padding, groups, bias, ndim, init,
    data_format="channels_first",
) -> UpsampleConvSpec:  # fmt: skip
    c = conv_spec(op, in_channels, out_channels, kernel_size, 1, padding, 1, groups, bias,
                  "zeros", ndim, init, data_format)  # fmt: skip
    nd = len(c.kernel_size)
    f = scale_factor
    if isinstance(f, float) and f.is_integer():
        f = int(f)
    factor = _args.ints(op, "scale_factor", f, nd, 1)
    pads = _args.conv_pads(op, _args.padding(op, padding, nd), c.kernel_size, (1,) * nd, None)
    if any(max(p) > k - 1 for p, k in zip(pads, c.kernel_size)):
        raise ValueError(
            f"{op}: the fusion needs padding <= kernel_size - 1 on each side, got "
            f"padding={padding!r} for kernel_size={c.kernel_size}"
        )
    return UpsampleConvSpec(c, factor)


def default_dtype(param_dtype: Any) -> np.dtype:
    return np.dtype(jnp.float32 if param_dtype is None else param_dtype)


def init(
    spec: ConvSpec | UpsampleConvSpec, key: jax.Array, param_dtype: Any
) -> tuple[jax.Array, jax.Array | None]:
    """A layer's ``(weight, bias)`` (bias None without one) in ``param_dtype`` (default float32)."""
    return spec.init_params(key, default_dtype(param_dtype))
