"""Flax NNX modules over ``ca.nn``: ``Conv``, ``ConvTranspose``, ``Upsample``, ``UpsampleConv``.

Drop-in replacements for ``torch.nn.Conv{1,2,3}d`` / ``ConvTranspose{1,2,3}d`` / ``Upsample``
inside a Flax NNX model: PyTorch's argument order, weight layouts (``weight``:
``(C_out, C_in/groups, *K)``, transposed ``(C_in, C_out/groups, *K)``; ``bias``: ``(C_out,)``,
both ``nnx.Param``), default initialisation (``init="flax"`` for Flax's) and channels-first data
``(N, C, *S)`` (or unbatched ``(C, *S)``); ``data_format="channels_last"`` takes Flax's
``(N, *S, C)`` instead. Needs the ``flax`` extra
(``pip install "convalgebra[flax]"``); ``import convalgebra`` does not import Flax.

Example:
  >>> import jax.numpy as jnp
  >>> from flax import nnx
  >>> from convalgebra.nn import flax as cnn
  >>> layer = cnn.Conv(3, 8, 3, stride=2, padding=1, rngs=nnx.Rngs(0))
  >>> layer.weight.shape, layer(jnp.zeros((2, 3, 16, 16))).shape
  ((8, 3, 3, 3), (2, 8, 8, 8))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

try:
    from flax import nnx
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "convalgebra.nn.flax needs Flax, the 'flax' extra: pip install 'convalgebra[flax]'"
    ) from e

from . import _modules


class _Linear(nnx.Module):
    """Shared parameter handling of the layers with a weight and an optional bias."""

    def _setup(self, spec, dtype: Any, param_dtype: Any, rngs: nnx.Rngs) -> None:
        self.spec = spec
        self.dtype = dtype
        w, b = _modules.init(spec, rngs.params(), param_dtype)
        self.weight = nnx.Param(w)
        self.bias = None if b is None else nnx.Param(b)

    def __call__(self, x: jax.Array) -> jax.Array:
        b = None if self.bias is None else self.bias[...]
        return self.spec.apply(x, self.weight[...], b, self.dtype)


class Conv(_Linear):
    """``torch.nn.Conv{1,2,3}d``: ``y = ↓s ((↑d w) ⋆ pad(x)) + b`` (:func:`convalgebra.nn.conv`).

    Args:
      in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
        padding_mode: as ``torch.nn.Conv2d`` (``bias`` is a bool; ``padding`` also takes
        ``(lo, hi)`` pairs and ``"valid"``/``"same"``, the latter with stride 1).
      ndim: spatial axes for an int ``kernel_size`` (default 2; a tuple sets it).
      data_format: ``"channels_first"`` (default: ``(N, C, *S)``, PyTorch's) or
        ``"channels_last"`` (``(N, *S, C)``); the parameters keep PyTorch's layout either way.
      init: ``"torch"`` (default: weight and bias uniform in ``±1/√fan_in``) or ``"flax"``
        (``lecun_normal`` weight, zero bias).
      dtype: the computation dtype; default the input's (bfloat16 in, bfloat16 out).
      param_dtype: the parameters' dtype (default float32).
      rngs: ``nnx.Rngs`` with a ``params`` stream.
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
        rngs: nnx.Rngs,
    ):
        spec = _modules.conv_spec(
            "Conv", in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
            bias, padding_mode, ndim, init, data_format,
        )  # fmt: skip
        self._setup(spec, dtype, param_dtype, rngs)


class ConvTranspose(_Linear):
    """``torch.nn.ConvTranspose{1,2,3}d``: ``y = crop((↑d w) * (↑s x)) + b``.

    Args:
      in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
        dilation: as ``torch.nn.ConvTranspose2d`` (``bias`` a bool); ``padding`` also takes
        ``"same"``/``"valid"`` (TensorFlow's transposed-convolution sizes).
      ndim, data_format, init, dtype, param_dtype, rngs: as :class:`Conv`.
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
        rngs: nnx.Rngs,
    ):
        spec = _modules.conv_transpose_spec(
            "ConvTranspose", in_channels, out_channels, kernel_size, stride, padding,
            output_padding, groups, bias, dilation, ndim, init, data_format,
        )  # fmt: skip
        self._setup(spec, dtype, param_dtype, rngs)


class Upsample(nnx.Module):
    """``torch.nn.Upsample`` (:func:`convalgebra.nn.interpolate` with fixed arguments).

    Args:
      size, scale_factor, mode, align_corners, recompute_scale_factor: as ``torch.nn.Upsample``.
      ndim: spatial axes (default: the mode's, or the length of a tuple size / factor, else 2);
        an input with ``ndim + 1`` axes is taken as unbatched ``(C, *S)``.
      data_format: ``"channels_first"`` (default) or ``"channels_last"`` (``(N, *S, C)``).
    """

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

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.spec.apply(x)


class UpsampleConv(_Linear):
    """Nearest up-sampling by ``scale_factor`` then a ``Conv``, as one transposed convolution.

    Equal to ``Sequential(Upsample(scale_factor=f), Conv(in, out, k, padding=p))`` with the same
    parameters (``weight`` ``(C_out, C_in/groups, *K)``, ``bias``; load a PyTorch ``Conv``'s
    state into it), computed by :func:`convalgebra.nn.upsample_conv_fused`: the ``f``-times
    larger intermediate image is never formed.

    Args:
      in_channels, out_channels, kernel_size: the convolution's.
      scale_factor: positive int, or one per axis (default 2).
      padding: the convolution's (at most ``kernel_size - 1``; ``"same"`` allowed).
      groups, bias, ndim, data_format, init, dtype, param_dtype, rngs: as :class:`Conv`.
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
        rngs: nnx.Rngs,
    ):
        spec = _modules.upsample_conv_spec(
            "UpsampleConv", in_channels, out_channels, kernel_size, scale_factor, padding,
            groups, bias, ndim, init, data_format,
        )  # fmt: skip
        self._setup(spec, dtype, param_dtype, rngs)


__all__ = ["Conv", "ConvTranspose", "Upsample", "UpsampleConv"]
