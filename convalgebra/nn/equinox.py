"""Equinox modules that run the algebra: ``Conv``, ``Conv1d/2d/3d``, ``ConvTranspose``,
``ConvTranspose1d/2d/3d``, ``Upsample``, ``UpsampleConv``.

The convolution classes *are* Equinox's (subclasses of ``eqx.nn.Conv``, ``eqx.nn.Conv2d``, ...):
the same constructor, argument order and defaults (``Conv``/``ConvTranspose`` take
``num_spatial_dims`` first; ``ConvTranspose1d/2d/3d`` put ``output_padding`` *before*
``padding``, ``ConvTranspose`` after it), the same fields (``weight`` ``(C_out, C_in/groups,
*K)``, ``bias`` ``(C_out, 1, ..., 1)``, the rest static), the same initialisation (the same
values for the same ``key``) and unbatched input ``(C, *S)`` (``jax.vmap`` over a batch). Only
the forward pass differs: :func:`convalgebra.nn.conv` / :func:`convalgebra.nn.conv_transpose`.
An Equinox model switches by changing one import::

    import equinox as eqx                         # before: eqx.nn.Conv2d(3, 8, 3, key=key)
    from convalgebra.nn import equinox as cnn     # after:  cnn.Conv2d(3, 8, 3, key=key)

Differences, each an error rather than a different answer: negative padding (a crop) is
refused. Needs the ``equinox`` extra (``pip install "convalgebra[equinox]"``);
``import convalgebra`` does not import Equinox.

Examples:
  >>> import jax, jax.numpy as jnp
  >>> from convalgebra.nn import equinox as cnn
  >>> layer = cnn.Conv2d(3, 8, 3, stride=2, padding=1, key=jax.random.key(0))
  >>> layer.weight.shape, layer.bias.shape, layer(jnp.zeros((3, 16, 16))).shape
  ((8, 3, 3, 3), (8, 1, 1), (8, 8, 8))
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
import jax.numpy as jnp
from jax import lax

from . import _args, _modules, _native
from ._resample import upsample_conv_fused

__all__ = [
    "Conv",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Upsample",
    "UpsampleConv",
]


class _ConvCall:
    """The forward pass shared by ``Conv`` and ``Conv1d/2d/3d``."""

    def __call__(self: Any, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        """``(C_in, *S) -> (C_out, *S')``; ``key`` is ignored (Equinox's API)."""
        return _native.eqx_conv(
            x, self.weight, self.bias, stride=self.stride, padding=self.padding,
            dilation=self.dilation, groups=self.groups, padding_mode=self.padding_mode,
            op=type(self).__name__,
        )  # fmt: skip


class _ConvTransposeCall:
    """The forward pass shared by ``ConvTranspose`` and ``ConvTranspose1d/2d/3d``."""

    def __call__(self: Any, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        """``(C_in, *S) -> (C_out, *S')``; ``key`` is ignored (Equinox's API)."""
        return _native.eqx_conv_transpose(
            x, self.weight, self.bias, stride=self.stride, padding=self.padding,
            output_padding=self.output_padding, dilation=self.dilation, groups=self.groups,
            padding_mode=self.padding_mode, op=type(self).__name__,
        )  # fmt: skip


class Conv(_ConvCall, eqx.nn.Conv):
    """``eqx.nn.Conv`` computed by :func:`convalgebra.nn.conv`: ``y = ↓s ((↑d w) ⋆ pad(x)) + b``.

    Args:
      num_spatial_dims, in_channels, out_channels, kernel_size, stride, padding, dilation,
        groups, use_bias, padding_mode, dtype, key: as ``eqx.nn.Conv`` (same order and
        defaults; ``padding`` an int, ints, ``(lo, hi)`` pairs, ``'SAME'``, ``'SAME_LOWER'`` or
        ``'VALID'``; ``padding_mode`` ``'ZEROS'``, ``'REFLECT'``, ``'REPLICATE'`` or
        ``'CIRCULAR'``).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from convalgebra.nn import equinox as cnn
      >>> cnn.Conv(1, 2, 4, 3, key=jax.random.key(0))(jnp.ones((2, 9))).shape
      (4, 7)
    """


class Conv1d(_ConvCall, eqx.nn.Conv1d):
    """``eqx.nn.Conv1d`` (:class:`Conv` with ``num_spatial_dims=1``): input ``(C_in, L)``."""


class Conv2d(_ConvCall, eqx.nn.Conv2d):
    """``eqx.nn.Conv2d`` (:class:`Conv` with ``num_spatial_dims=2``): input ``(C_in, H, W)``."""


class Conv3d(_ConvCall, eqx.nn.Conv3d):
    """``eqx.nn.Conv3d`` (:class:`Conv` with ``num_spatial_dims=3``): input ``(C_in, D, H, W)``."""


class ConvTranspose(_ConvTransposeCall, eqx.nn.ConvTranspose):
    """``eqx.nn.ConvTranspose`` computed by :func:`convalgebra.nn.conv_transpose`.

    Equinox's semantics: ``weight`` ``(C_out, C_in/groups, *K)`` is a correlation kernel on the
    zero-inserted input (PyTorch's weight with its channels swapped per group and its taps
    flipped); ``stride``, ``padding``, ``dilation`` are those of the forward ``Conv`` it
    mirrors, ``output_padding < stride`` adds samples after (``'SAME'``: ``n·s -
    output_padding`` outputs). Argument order: ``padding`` before ``output_padding`` here, after
    it in ``ConvTranspose1d/2d/3d``, as in Equinox.

    Args:
      num_spatial_dims, in_channels, out_channels, kernel_size, stride, padding,
        output_padding, dilation, groups, use_bias, padding_mode, dtype, key: as
        ``eqx.nn.ConvTranspose``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from convalgebra.nn import equinox as cnn
      >>> layer = cnn.ConvTranspose(2, 1, 4, 3, 2, key=jax.random.key(0))
      >>> layer(jnp.ones((1, 5, 5))).shape
      (4, 11, 11)
    """


class ConvTranspose1d(_ConvTransposeCall, eqx.nn.ConvTranspose1d):
    """``eqx.nn.ConvTranspose1d``: ``(in, out, kernel, stride, output_padding, padding, ...)``."""


class ConvTranspose2d(_ConvTransposeCall, eqx.nn.ConvTranspose2d):
    """``eqx.nn.ConvTranspose2d``: ``(in, out, kernel_size, stride, output_padding, padding, ...)``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from convalgebra.nn import equinox as cnn
      >>> layer = cnn.ConvTranspose2d(1, 4, 3, 3, key=jax.random.key(0))
      >>> layer(jnp.ones((1, 4, 4))).shape
      (4, 12, 12)
    """


class ConvTranspose3d(_ConvTransposeCall, eqx.nn.ConvTranspose3d):
    """``eqx.nn.ConvTranspose3d``: ``(in, out, kernel, stride, output_padding, padding, ...)``."""


class Upsample(eqx.Module):
    """``torch.nn.Upsample``'s arguments on an unbatched ``(C, *S)`` input, as Equinox takes it.

    Equinox has no up-sampling module; this one computes :func:`convalgebra.nn.interpolate`
    (no parameters). ``jax.vmap`` it over a batch.

    Args:
      size, scale_factor, mode, align_corners, recompute_scale_factor: as ``torch.nn.Upsample``.
      ndim: spatial axes (default: the mode's, or the length of a tuple size / factor, else 2).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convalgebra.nn import equinox as cnn
      >>> cnn.Upsample(scale_factor=2, mode="bilinear")(jnp.ones((3, 4, 4))).shape
      (3, 8, 8)
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
    ):
        self.spec = _modules.upsample_spec(
            "Upsample", size, scale_factor, mode, align_corners, recompute_scale_factor, ndim,
        )  # fmt: skip

    def __call__(self, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        """``x`` ``(C, *S)`` resampled; ``key`` is ignored."""
        x = _native._unbatched("Upsample", x, self.spec.ndim)
        return self.spec.apply(x)


class UpsampleConv(eqx.nn.Conv):
    """Nearest up-sampling by ``scale_factor`` then a stride-1 ``Conv``, as one transposed conv.

    Equal to ``Upsample(scale_factor=f)`` followed by ``eqx.nn.Conv(num_spatial_dims, in, out,
    k, padding=p, groups=g)`` with the same ``weight`` and ``bias`` (Equinox's fields, shapes
    and initialisation: it is an ``eqx.nn.Conv``), computed by
    :func:`convalgebra.nn.upsample_conv_fused`: the ``f``-times larger image is never formed.

    Args:
      num_spatial_dims, in_channels, out_channels, kernel_size: the convolution's.
      scale_factor: positive int, or one per spatial axis (default 2).
      padding: the convolution's (an int, ints, pairs, ``'SAME'``, ``'SAME_LOWER'`` or
        ``'VALID'``; at most ``kernel_size - 1`` per side).
      groups, use_bias, dtype, key: as ``eqx.nn.Conv``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from convalgebra.nn import equinox as cnn
      >>> cnn.UpsampleConv(2, 3, 4, 3, padding=1, key=jax.random.key(0))(jnp.ones((3, 5, 5))).shape
      (4, 10, 10)
    """

    scale_factor: tuple[int, ...] = eqx.field(static=True)
    fused_padding: tuple[tuple[int, int], ...] = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        scale_factor: int | Sequence[int] = 2,
        padding: int | Sequence[int] | Sequence[tuple[int, int]] = 0,
        groups: int = 1,
        use_bias: bool = True,
        dtype: Any = None,
        *,
        key: jax.Array,
    ):
        super().__init__(num_spatial_dims, in_channels, out_channels, kernel_size, 1, padding, 1,
                         groups, use_bias, "ZEROS", dtype, key=key)  # fmt: skip
        f = scale_factor
        if isinstance(f, float) and f.is_integer():
            f = int(f)
        self.scale_factor = _args.ints("UpsampleConv", "scale_factor", f, num_spatial_dims, 1)
        k = self.kernel_size
        pads = self.padding
        if isinstance(pads, str):  # stride 1: the pads do not depend on the input size
            pads = tuple(tuple(p) for p in lax.padtype_to_pads(k, k, (1,) * len(k), pads))
        if any(min(p) < 0 or max(p) > kk - 1 for p, kk in zip(pads, k)):
            raise ValueError(
                f"UpsampleConv: the fusion needs 0 <= padding <= kernel_size - 1 on each side, "
                f"got padding={padding!r} for kernel_size={k}"
            )
        self.fused_padding = tuple((int(a), int(b)) for a, b in pads)

    def __call__(self, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        """``(C_in, *S) -> (C_out, *(f·S'))``; ``key`` is ignored."""
        nd = self.num_spatial_dims
        x = _native._unbatched("UpsampleConv", x, nd)
        dt = jnp.result_type(x.dtype, self.weight.dtype)
        a = upsample_conv_fused(self.weight.astype(dt), self.scale_factor, self.fused_padding,
                                self.groups)  # fmt: skip
        y = a(x.astype(dt))
        return y if self.bias is None else y + self.bias
