"""Deep-learning layers built from the algebra, exact to PyTorch (and TensorFlow's "same").

Every function here is a composition of the core operators, and its docstring gives the formula
in the DSP notation (``⋆`` correlation, ``*`` convolution, ``↓s``/``↑s`` down/up-sampling):

* ``conv``: ``↓s ((↑d w) ⋆ pad(x))``; ``conv_transpose``: its transpose ``crop((↑d w) * (↑s x))``
* ``upsample_nearest`` / ``upsample_bilinear``: PyTorch's functions of those names (by size or
  scale factor; bilinear aligns the corners); integer factors with half-pixel centres:
  ``upsample_nearest_op`` ``box_k * (↑k x)``, ``upsample_linear`` ``tri_k * (↑k pad_edge(x))``
* ``avg_pool``: ``(1/|k|) ↓s (1_k ⋆ pad(x))``; ``max_pool``: a non-linear down-sampler
  (``return_indices=True`` and its inverse ``max_unpool``); adaptive average / max pooling
* ``interpolate``: every PyTorch mode, by size or (rational) scale factor, ``antialias``,
  ``uint8`` images in the nearest modes; ``interpolate_op``: rational scales ``p/q`` as
  ``↓Q crop(h * (↑P pad_edge(x)))``
* ``overlap``: ``Aᵀ 1``, the write count behind checkerboard artifacts

The ``*_op`` variants return the operator itself, to compose, transpose and inspect. Data is
channels-first ``(N, C, *S)`` by default; every layer and operator form with a channel axis takes
``data_format="channels_last"`` (``(N, *S, C)``; weights keep PyTorch's layout).

Modules native to their framework live in ``convalgebra.nn.flax`` (Flax NNX: ``Conv`` and
``ConvTranspose`` are ``nnx.Conv``/``nnx.ConvTranspose`` with the algebra's forward pass,
channels-last) and ``convalgebra.nn.equinox`` (Equinox: ``Conv``, ``Conv1d/2d/3d``,
``ConvTranspose``, ``ConvTranspose1d/2d/3d``, unbatched channels-first), plus ``Upsample`` and
``UpsampleConv`` in each. They are imported on first use (``ca.nn.flax``), so
``import convalgebra`` imports neither framework; they are not in ``__all__``.
"""

from ._conv import conv as conv
from ._conv import conv_op as conv_op
from ._conv import conv_transpose as conv_transpose
from ._conv import conv_transpose_op as conv_transpose_op
from ._conv import overlap as overlap
from ._conv import transpose_of_conv as transpose_of_conv
from ._interp import interpolate as interpolate
from ._interp import interpolate_op as interpolate_op
from ._pool import MaxPool as MaxPool
from ._pool import adaptive_avg_pool as adaptive_avg_pool
from ._pool import adaptive_max_pool as adaptive_max_pool
from ._pool import avg_pool as avg_pool
from ._pool import avg_pool_op as avg_pool_op
from ._pool import max_pool as max_pool
from ._pool import max_pool_op as max_pool_op
from ._pool import max_unpool as max_unpool
from ._resample import bilinear_kernel as bilinear_kernel
from ._resample import triangle as triangle
from ._resample import upsample_bilinear as upsample_bilinear
from ._resample import upsample_conv_fused as upsample_conv_fused
from ._resample import upsample_conv_kernel as upsample_conv_kernel
from ._resample import upsample_linear as upsample_linear
from ._resample import upsample_linear_op as upsample_linear_op
from ._resample import upsample_nearest as upsample_nearest
from ._resample import upsample_nearest_op as upsample_nearest_op


def __getattr__(name: str):
    """``ca.nn.flax`` and ``ca.nn.equinox``: the optional module files, imported on first use."""
    if name in ("flax", "equinox"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MaxPool",
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "avg_pool",
    "avg_pool_op",
    "bilinear_kernel",
    "conv",
    "conv_op",
    "conv_transpose",
    "conv_transpose_op",
    "interpolate",
    "interpolate_op",
    "max_pool",
    "max_pool_op",
    "max_unpool",
    "overlap",
    "transpose_of_conv",
    "triangle",
    "upsample_bilinear",
    "upsample_conv_fused",
    "upsample_conv_kernel",
    "upsample_linear",
    "upsample_linear_op",
    "upsample_nearest",
    "upsample_nearest_op",
]
