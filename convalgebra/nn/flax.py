"""Flax NNX modules that run the algebra: ``Conv``, ``ConvTranspose``, ``Upsample``,
``UpsampleConv``.

``Conv`` and ``ConvTranspose`` *are* ``flax.nnx.Conv`` and ``flax.nnx.ConvTranspose``
(subclasses): the same constructor arguments, defaults and parameters (``kernel``
``(*K, in_features/feature_group_count, out_features)``, ``bias`` ``(out_features,)``, both
``nnx.Param``), the same initialisation (``lecun_normal`` kernel, zero bias: the same values for
the same ``rngs``), channels-last data ``(*batch, *S, C)``; only the forward pass differs: it is
:func:`convalgebra.nn.conv` / :func:`convalgebra.nn.conv_transpose` with
``data_format="channels_last"``, so a Flax model switches by changing one import::

    from flax import nnx                        # before: nnx.Conv(3, 8, (3, 3), rngs=rngs)
    from convalgebra.nn import flax as cnn      # after:  cnn.Conv(3, 8, (3, 3), rngs=rngs)

Every padding Flax takes is taken (``'SAME'``, ``'VALID'``, ``'CIRCULAR'``, ``'REFLECT'``,
``'CAUSAL'``, ints and ``(lo, hi)`` pairs), with Flax's output sizes, ``ConvTranspose``'s
``lax.conv_transpose`` padding rule and ``transpose_kernel``. Differences, each an error rather
than a different answer: negative padding (a crop) and a custom ``conv_general_dilated`` are
refused, and ``out_sharding`` must be None. Needs the ``flax`` extra
(``pip install "convalgebra[flax]"``); ``import convalgebra`` does not import Flax.

Examples:
  >>> import jax.numpy as jnp
  >>> from flax import nnx
  >>> from convalgebra.nn import flax as cnn
  >>> layer = cnn.Conv(3, 8, (3, 3), strides=2, rngs=nnx.Rngs(0))
  >>> layer.kernel.shape, layer(jnp.zeros((2, 16, 16, 3))).shape
  ((3, 3, 3, 8), (2, 8, 8, 8))
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

try:
    from flax import nnx
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "convalgebra.nn.flax needs Flax, the 'flax' extra: pip install 'convalgebra[flax]'"
    ) from e

from . import _args, _modules, _native
from ._conv import _precision_kw
from ._resample import upsample_conv_fused

__all__ = ["Conv", "ConvTranspose", "Upsample", "UpsampleConv"]

_KERNEL_INIT = nnx.initializers.lecun_normal()  # Flax's defaults for Conv
_BIAS_INIT = nnx.initializers.zeros_init()


def _check_hooks(op: str, kwargs: dict[str, Any]) -> None:
    """Construction-time checks: the precision arguments, and no custom convolution function."""
    _precision_kw(op, kwargs.get("precision"), kwargs.get("preferred_element_type"))
    fn = kwargs.get("conv_general_dilated", lax.conv_general_dilated)
    if fn is not lax.conv_general_dilated:
        raise ValueError(
            f"{op}: conv_general_dilated={fn!r} is not supported (the layer computes with "
            "convalgebra.nn.conv); use flax.nnx.Conv for a custom convolution function"
        )


def _no_sharding(op: str, out_sharding: Any) -> None:
    if out_sharding is not None:
        raise ValueError(f"{op}: out_sharding is not supported, got out_sharding={out_sharding!r}")


def _params(m: Any, inputs: Any) -> tuple[jax.Array, jax.Array, jax.Array | None]:
    """Input, (masked) kernel and bias after the module's ``promote_dtype``, as Flax does."""
    kernel = m.kernel[...]
    if m.mask is not None:
        if m.mask.shape != kernel.shape:
            raise ValueError(
                f"{type(m).__name__}: mask must have the kernel's shape {tuple(kernel.shape)}, "
                f"got {tuple(m.mask.shape)}"
            )
        kernel = kernel * m.mask
    bias = m.bias[...] if m.bias is not None else None
    return m.promote_dtype((jnp.asarray(inputs), kernel, bias), dtype=m.dtype)


class Conv(nnx.Conv):
    """``flax.nnx.Conv``, computed by :func:`convalgebra.nn.conv`: ``y = ↓s ((↑d w) ⋆ pad(x)) + b``.

    Args:
      in_features, out_features, kernel_size, strides, padding, input_dilation,
        kernel_dilation, feature_group_count, use_bias, mask, dtype, param_dtype, precision,
        kernel_init, bias_init, promote_dtype, preferred_element_type, rngs, kernel_metadata,
        bias_metadata: as ``flax.nnx.Conv`` (the same signature and defaults; ``padding``
        defaults to ``'SAME'``, the kernel is ``(*K, in_features/groups, out_features)``).

    Raises:
      ValueError: a ``conv_general_dilated`` other than ``jax.lax``'s; at call, negative
        padding, an input of the wrong rank or channel count.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convalgebra.nn import flax as cnn
      >>> cnn.Conv(2, 4, 3, padding="VALID", rngs=nnx.Rngs(0))(jnp.ones((1, 9, 2))).shape
      (1, 7, 4)
    """

    def __init__(self, *args: Any, **kwargs: Any):
        _check_hooks("Conv", kwargs)
        super().__init__(*args, **kwargs)

    def __call__(self, inputs: jax.Array, out_sharding: Any = None) -> jax.Array:
        """The convolution of channels-last ``inputs`` ``(*batch, *S, C_in)``."""
        _no_sharding("Conv", out_sharding)
        x, kernel, bias = _params(self, inputs)
        return _native.flax_conv(
            x, kernel, bias, strides=self.strides, padding=self.padding,
            input_dilation=self.input_dilation, kernel_dilation=self.kernel_dilation,
            groups=self.feature_group_count, precision=self.precision,
            preferred_element_type=self.preferred_element_type, op="Conv",
        )  # fmt: skip


Conv.__init__.__signature__ = inspect.signature(nnx.Conv.__init__)  # type: ignore[attr-defined]


class ConvTranspose(nnx.ConvTranspose):
    """``flax.nnx.ConvTranspose``, computed by :func:`convalgebra.nn.conv_transpose`.

    ``lax.conv_transpose``'s semantics: the kernel ``(*K, in_features, out_features)`` is a
    correlation kernel on the zero-inserted input (``(*K, out_features, in_features)``, flipped,
    with ``transpose_kernel=True``: then the layer is the transpose of a ``Conv`` with that
    kernel), ``padding`` is the padding of the zero-inserted input (``'SAME'``: ``n·s`` outputs,
    ``'VALID'``: ``n·s + max(k_eff - s, 0)``), ``'CIRCULAR'`` folds the result periodically.

    Args:
      in_features, out_features, kernel_size, strides, padding, kernel_dilation, use_bias,
        mask, dtype, param_dtype, precision, kernel_init, bias_init, transpose_kernel,
        promote_dtype, preferred_element_type, rngs, kernel_metadata, bias_metadata: as
        ``flax.nnx.ConvTranspose`` (same signature and defaults).

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convalgebra.nn import flax as cnn
      >>> layer = cnn.ConvTranspose(3, 4, (3, 3), strides=2, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((1, 5, 5, 3))).shape
      (1, 10, 10, 4)
    """

    def __init__(self, *args: Any, **kwargs: Any):
        _check_hooks("ConvTranspose", kwargs)
        super().__init__(*args, **kwargs)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """The transposed convolution of channels-last ``inputs`` ``(*batch, *S, C_in)``."""
        x, kernel, bias = _params(self, inputs)
        return _native.flax_conv_transpose(
            x, kernel, bias, strides=self.strides, padding=self.padding,
            kernel_dilation=self.kernel_dilation, transpose_kernel=self.transpose_kernel,
            precision=self.precision, preferred_element_type=self.preferred_element_type,
            op="ConvTranspose",
        )  # fmt: skip


ConvTranspose.__init__.__signature__ = inspect.signature(nnx.ConvTranspose.__init__)  # type: ignore[attr-defined]


class Upsample(nnx.Module):
    """``torch.nn.Upsample``'s arguments on channels-last data (:func:`convalgebra.nn.interpolate`).

    Flax has no up-sampling module; this one takes ``(*S, C)`` or ``(N, *S, C)`` (Flax's layout)
    by default, no parameters.

    Args:
      size, scale_factor, mode, align_corners, recompute_scale_factor: as ``torch.nn.Upsample``.
      ndim: spatial axes (default: the mode's, or the length of a tuple size / factor, else 2).
      data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convalgebra.nn import flax as cnn
      >>> cnn.Upsample(scale_factor=2, mode="bilinear")(jnp.ones((1, 4, 4, 3))).shape
      (1, 8, 8, 3)
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
        data_format: str = "channels_last",
    ):
        self.spec = _modules.upsample_spec(
            "Upsample", size, scale_factor, mode, align_corners, recompute_scale_factor, ndim,
            data_format,
        )  # fmt: skip

    def __call__(self, x: jax.Array) -> jax.Array:
        """``x`` ``(N, *S, C)`` or ``(*S, C)`` resampled."""
        return self.spec.apply(x)


class UpsampleConv(nnx.Conv):
    """Nearest up-sampling by ``scale_factor`` then a stride-1 ``Conv``, as one transposed conv.

    Equal to ``Upsample(scale_factor=f)`` followed by ``nnx.Conv(in_features, out_features,
    kernel_size, padding=padding, feature_group_count=g)`` with the same ``kernel`` and ``bias``
    (Flax's names, shapes and initialisation), computed by
    :func:`convalgebra.nn.upsample_conv_fused`: the ``f``-times larger image is never formed.

    Args:
      in_features, out_features, kernel_size: the convolution's.
      scale_factor: positive int, or one per spatial axis (default 2).
      padding: the convolution's (``'SAME'`` default, ``'VALID'``, ints or pairs; at most
        ``kernel_size - 1`` on each side).
      feature_group_count, use_bias, dtype, param_dtype, precision, kernel_init, bias_init,
        promote_dtype, preferred_element_type, rngs: as ``flax.nnx.Conv``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convalgebra.nn import flax as cnn
      >>> cnn.UpsampleConv(3, 4, (3, 3), rngs=nnx.Rngs(0))(jnp.ones((1, 5, 5, 3))).shape
      (1, 10, 10, 4)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: int | Sequence[int],
        scale_factor: int | Sequence[int] = 2,
        *,
        padding: Any = "SAME",
        feature_group_count: int = 1,
        use_bias: bool = True,
        dtype: Any = None,
        param_dtype: Any = jnp.float32,
        precision: Any = None,
        kernel_init: Any = _KERNEL_INIT,
        bias_init: Any = _BIAS_INIT,
        promote_dtype: Any = None,
        preferred_element_type: Any = None,
        rngs: nnx.Rngs,
    ):
        _precision_kw("UpsampleConv", precision, preferred_element_type)
        extra = {} if promote_dtype is None else {"promote_dtype": promote_dtype}
        super().__init__(
            in_features, out_features, kernel_size, 1, padding=padding,
            feature_group_count=feature_group_count, use_bias=use_bias, dtype=dtype,
            param_dtype=param_dtype, precision=precision, kernel_init=kernel_init,
            bias_init=bias_init, preferred_element_type=preferred_element_type, rngs=rngs,
            **extra,
        )  # fmt: skip
        k = self.kernel.shape[:-2]
        f = scale_factor
        if isinstance(f, float) and f.is_integer():
            f = int(f)
        self.scale_factor = _args.ints("UpsampleConv", "scale_factor", f, len(k), 1)
        self._pads = _upsample_conv_pads(padding, k)

    def __call__(self, inputs: jax.Array, out_sharding: Any = None) -> jax.Array:
        """``(*batch, *S, C_in) -> (*batch, *(f·S'), C_out)``."""
        _no_sharding("UpsampleConv", out_sharding)
        x, kernel, bias = _params(self, inputs)
        nd = kernel.ndim - 2
        batch = x.shape[: x.ndim - nd - 1]
        x = x.reshape((-1, *x.shape[x.ndim - nd - 1 :]))
        w = jnp.transpose(kernel, (nd + 1, nd, *range(nd)))
        kw = _native.prec_kwargs(
            "UpsampleConv", upsample_conv_fused, self.precision, self.preferred_element_type
        )
        a = upsample_conv_fused(w, self.scale_factor, self._pads, self.feature_group_count,
                                data_format="channels_last", **kw)  # fmt: skip
        y = a(x)
        if bias is not None:
            y = y + bias
        return y.reshape((*batch, *y.shape[1:]))


def _upsample_conv_pads(padding: Any, k: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """The stride-1 convolution's pads (Flax's rule), checked for the fusion (``<= k - 1``)."""
    nd = len(k)
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "SAME_LOWER", "VALID"):
            raise ValueError(
                f"UpsampleConv: padding must be 'SAME', 'SAME_LOWER', 'VALID', an int or pairs, "
                f"got {padding!r}"
            )
        pads = tuple(tuple(p) for p in lax.padtype_to_pads(k, k, (1,) * nd, padding.upper()))
    else:
        pads = _native.explicit_pads("UpsampleConv", padding, nd)
    if any(min(p) < 0 or max(p) > kk - 1 for p, kk in zip(pads, k)):
        raise ValueError(
            f"UpsampleConv: the fusion needs 0 <= padding <= kernel_size - 1 on each side, got "
            f"padding={padding!r} for kernel_size={tuple(k)}"
        )
    return pads  # type: ignore[return-value]
