"""Equinox modules over ``ca.nn``: ``Conv``, ``ConvTranspose``, ``Upsample``, ``UpsampleConv``.

Drop-in replacements for ``eqx.nn.Conv`` / ``ConvTranspose`` (and PyTorch's layers) in an
Equinox model: PyTorch's argument order and weight layouts (``weight``:
``(C_out, C_in/groups, *K)``, transposed ``(C_in, C_out/groups, *K)``; ``bias``: ``(C_out,)``,
not Equinox's ``(C_out, 1, ..., 1)``), PyTorch's default initialisation (``init="flax"`` for
Flax's), and inputs ``(C, *S)`` as Equinox passes them (``(N, C, *S)`` works too, no ``vmap``
needed; ``data_format="channels_last"`` takes ``(*S, C)``). Needs the ``equinox`` extra
(``pip install "convalgebra[equinox]"``); ``import convalgebra`` does not import Equinox.

Example:
  >>> import jax, jax.numpy as jnp
  >>> from convalgebra.nn import equinox as cnn
  >>> layer = cnn.Conv(3, 8, 3, stride=2, padding=1, key=jax.random.key(0))
  >>> layer.weight.shape, layer(jnp.zeros((3, 16, 16))).shape
  ((8, 3, 3, 3), (8, 8, 8))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    import equinox as eqx
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "convalgebra.nn.equinox needs Equinox, the 'equinox' extra: "
        "pip install 'convalgebra[equinox]'"
    ) from e
import jax

from . import _modules


class _Linear(eqx.Module):
    """Shared fields and forward pass of the layers with a weight and an optional bias."""

    weight: jax.Array
    bias: jax.Array | None
    spec: _modules.ConvSpec | _modules.UpsampleConvSpec = eqx.field(static=True)
    dtype: Any = eqx.field(static=True)

    def _setup(self, spec, dtype: Any, param_dtype: Any, key: jax.Array) -> None:
        self.spec = spec
        self.dtype = dtype
        self.weight, self.bias = _modules.init(spec, key, param_dtype)

    def __call__(self, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        return self.spec.apply(x, self.weight, self.bias, self.dtype)


class Conv(_Linear):
    """``torch.nn.Conv{1,2,3}d``: ``y = ↓s ((↑d w) ⋆ pad(x)) + b`` (:func:`convalgebra.nn.conv`).

    Args:
      in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
        padding_mode: as ``torch.nn.Conv2d`` (``bias`` a bool).
      ndim: spatial axes for an int ``kernel_size`` (default 2; a tuple sets it).
      data_format: ``"channels_first"`` (default: ``(N, C, *S)``, PyTorch's) or
        ``"channels_last"`` (``(N, *S, C)``); the parameters keep PyTorch's layout either way.
      init: ``"torch"`` (default) or ``"flax"``.
      dtype: the computation dtype; default the input's (bfloat16 in, bfloat16 out).
      param_dtype: the parameters' dtype (default float32).
      key: a ``jax.random`` key.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | str | Sequence[Any] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        ndim: int | None = None,
        data_format: str = "channels_first",
        init: str = "torch",
        dtype: Any = None,
        param_dtype: Any = None,
        key: jax.Array,
    ):
        spec = _modules.conv_spec(
            "Conv", in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
            bias, padding_mode, ndim, init, data_format,
        )  # fmt: skip
        self._setup(spec, dtype, param_dtype, key)


class ConvTranspose(_Linear):
    """``torch.nn.ConvTranspose{1,2,3}d``: ``y = crop((↑d w) * (↑s x)) + b``.

    Args:
      in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
        dilation: as ``torch.nn.ConvTranspose2d``.
      ndim, data_format, init, dtype, param_dtype, key: as :class:`Conv`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | str | Sequence[Any] = 0,
        output_padding: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Sequence[int] = 1,
        *,
        ndim: int | None = None,
        data_format: str = "channels_first",
        init: str = "torch",
        dtype: Any = None,
        param_dtype: Any = None,
        key: jax.Array,
    ):
        spec = _modules.conv_transpose_spec(
            "ConvTranspose", in_channels, out_channels, kernel_size, stride, padding,
            output_padding, groups, bias, dilation, ndim, init, data_format,
        )  # fmt: skip
        self._setup(spec, dtype, param_dtype, key)


class Upsample(eqx.Module):
    """``torch.nn.Upsample`` (:func:`convalgebra.nn.interpolate` with fixed arguments).

    Args:
      size, scale_factor, mode, align_corners, recompute_scale_factor: as ``torch.nn.Upsample``.
      ndim: spatial axes (default: the mode's, or the length of a tuple size / factor, else 2).
      data_format: ``"channels_first"`` (default) or ``"channels_last"`` (``(*S, C)``).
    """

    spec: _modules.UpsampleSpec = eqx.field(static=True)

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
        *,
        ndim: int | None = None,
        data_format: str = "channels_first",
    ):
        self.spec = _modules.upsample_spec(
            "Upsample", size, scale_factor, mode, align_corners, recompute_scale_factor, ndim,
            data_format,
        )  # fmt: skip

    def __call__(self, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        return self.spec.apply(x)


class UpsampleConv(_Linear):
    """Nearest up-sampling by ``scale_factor`` then a ``Conv``, as one transposed convolution.

    Equal to ``Upsample(scale_factor=f)`` followed by ``Conv(in, out, k, padding=p)`` with the
    same ``weight`` ``(C_out, C_in/groups, *K)`` and ``bias``, computed by
    :func:`convalgebra.nn.upsample_conv_fused`.

    Args:
      in_channels, out_channels, kernel_size, scale_factor, padding, groups, bias, ndim,
        data_format, init, dtype, param_dtype, key: as the Flax ``UpsampleConv`` and
        :class:`Conv`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        scale_factor: int | Sequence[int] = 2,
        padding: int | str | Sequence[Any] = 0,
        groups: int = 1,
        bias: bool = True,
        *,
        ndim: int | None = None,
        data_format: str = "channels_first",
        init: str = "torch",
        dtype: Any = None,
        param_dtype: Any = None,
        key: jax.Array,
    ):
        spec = _modules.upsample_conv_spec(
            "UpsampleConv", in_channels, out_channels, kernel_size, scale_factor, padding,
            groups, bias, ndim, init, data_format,
        )  # fmt: skip
        self._setup(spec, dtype, param_dtype, key)


__all__ = ["Conv", "ConvTranspose", "Upsample", "UpsampleConv"]
