"""The parameter-free ``Upsample`` module's spec, shared by the Flax NNX and Equinox modules.

No Flax or Equinox import here. A spec is a frozen dataclass of canonical hyper-parameters
(checked once, when the module is built); ``apply`` runs :func:`convalgebra.nn.interpolate`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from . import _layout
from ._interp import MODES, interpolate


def _data_format(op: str, data_format: Any) -> str:
    _layout.channels_last(op, data_format)  # raises on anything but the two names
    return data_format


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
