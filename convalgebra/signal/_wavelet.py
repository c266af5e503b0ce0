"""Wavelets: the four filters (:class:`Wavelet`), parsing a name, a ``pywt.Wavelet`` or four
arrays (:func:`wavelet`), and the lengths a transform takes (``dwt_length``, ``dwt_max_level``)."""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class Wavelet:
    """The four filters of a (bi)orthogonal two-channel wavelet, as PyWavelets defines them.

    ``dec_lo``/``dec_hi`` analyse (convolved, then every other sample kept); ``rec_lo``/``rec_hi``
    synthesise. All four have the same even length ``F``.
    """

    name: str
    dec_lo: np.ndarray
    dec_hi: np.ndarray
    rec_lo: np.ndarray
    rec_hi: np.ndarray

    def __post_init__(self) -> None:
        for name in ("dec_lo", "dec_hi", "rec_lo", "rec_hi"):
            f = getattr(self, name)
            if isinstance(f, (list, tuple)):
                object.__setattr__(self, name, np.asarray(f, dtype=float))

    @property
    def dec_len(self) -> int:
        return int(self.dec_lo.shape[0])

    @property
    def filter_bank(self) -> tuple[np.ndarray, ...]:
        return (self.dec_lo, self.dec_hi, self.rec_lo, self.rec_hi)

    def __repr__(self) -> str:
        return f"Wavelet({self.name!r}, F={self.dec_len})"


# a pytree: the filters are leaves, so transforms jit with the wavelet as an argument
jax.tree_util.register_dataclass(
    Wavelet, data_fields=["dec_lo", "dec_hi", "rec_lo", "rec_hi"], meta_fields=["name"]
)


def wavelet(w: Any, fn: str = "wavelet") -> Wavelet:
    """Canonicalises a wavelet: a :class:`Wavelet`, a ``pywt.Wavelet``, a name (needs
    PyWavelets) or the four filters ``(dec_lo, dec_hi, rec_lo, rec_hi)``.

    Raises:
      ImportError: a name given without PyWavelets installed (the ``signal`` extra).
      ValueError: an unknown name, or filters of different or zero lengths, or not 1-D.
    """
    if isinstance(w, Wavelet):
        return w
    if isinstance(w, str):
        return _named(w, fn)
    return _wavelet(w, fn)


@functools.lru_cache(maxsize=256)
def _named(w: str, fn: str) -> Wavelet:
    """:func:`wavelet` of a name, once per name (an eager transform asks for it on every call)."""
    return _wavelet(w, fn)


def _wavelet(w: Any, fn: str) -> Wavelet:
    name = "custom"
    if isinstance(w, str):
        try:
            import pywt
        except ImportError:
            raise ImportError(
                f"{fn}: the wavelet name {w!r} needs PyWavelets (pip install "
                "'convalgebra[signal]'); or pass the filters as arrays "
                "(dec_lo, dec_hi, rec_lo, rec_hi)"
            ) from None
        if w in pywt.wavelist(kind="continuous"):  # pyright: ignore[reportAttributeAccessIssue]
            raise ValueError(
                f"{fn}: {w!r} is a continuous wavelet; the discrete transforms need a discrete "
                "wavelet of pywt.wavelist(kind='discrete'), e.g. 'db2', 'sym4', 'bior2.2'"
            )
        try:
            w = pywt.Wavelet(w)  # pyright: ignore[reportAttributeAccessIssue]  # compiled, no stub
        except ValueError:
            raise ValueError(
                f"{fn}: unknown wavelet {w!r}; choose a discrete wavelet of pywt.wavelist("
                "kind='discrete'), e.g. 'db2', 'sym4', 'coif1', 'bior2.2', 'rbio3.1', 'haar'"
            ) from None
    if type(w).__name__ == "ContinuousWavelet":
        raise ValueError(
            f"{fn}: {getattr(w, 'name', w)!r} is a continuous wavelet; the discrete transforms "
            "need a discrete wavelet of pywt.wavelist(kind='discrete')"
        )
    if hasattr(w, "filter_bank"):
        name = str(getattr(w, "name", "custom"))
        bank = w.filter_bank
    else:
        bank = w
    try:
        filters = [np.asarray(f, dtype=float) for f in bank]
    except (TypeError, ValueError):
        raise ValueError(
            f"{fn}: a wavelet must be a name, a pywt.Wavelet or four filters "
            f"(dec_lo, dec_hi, rec_lo, rec_hi); got {w!r}"
        ) from None
    if len(filters) != 4 or any(f.ndim != 1 for f in filters):
        raise ValueError(
            f"{fn}: a wavelet needs four 1-D filters (dec_lo, dec_hi, rec_lo, rec_hi), got "
            f"{len(filters)} arrays of shapes {[f.shape for f in filters]}"
        )
    lens = {f.shape[0] for f in filters}
    if len(lens) != 1 or min(lens) < 2:
        raise ValueError(
            f"{fn}: the four filters must have one common length >= 2 (pad the shorter with "
            f"zeros), got lengths {[f.shape[0] for f in filters]}"
        )
    return Wavelet(name, *filters)


_wav = wavelet


def _size(fn: str, n: Any) -> int:
    """``in_size=`` of one axis: a positive int."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{fn}: in_size must be a positive int (the input length), got {n!r}")
    return int(n)


def _real(dtype: Any) -> np.dtype:
    # float64 only where x64 is enabled (the default dtype of the session otherwise)
    return np.dtype(jax.dtypes.canonicalize_dtype(np.finfo(np.dtype(dtype)).dtype))


def _inexact(x: jax.Array) -> jax.Array:
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x.astype(jnp.zeros((), float).dtype)
    if x.dtype == jnp.float16:  # PyWavelets computes half precision in float32
        return x.astype(jnp.float32)
    return x


def dwt_length(n: int, filter_len: int, mode: str) -> int:
    """The number of coefficients of one level: ``floor((n + F - 1) / 2)``, or ``ceil(n / 2)``
    in periodization mode (``pywt.dwt_coeff_len``)."""
    if mode == "periodization":
        return -(-n // 2)
    return (n + filter_len - 1) // 2


def dwt_max_level(data_len: int, filter_len: Any) -> int:
    """The deepest useful level, ``floor(log2(n / (F - 1)))`` (``pywt.dwt_max_level``)."""
    if not isinstance(filter_len, (int, np.integer)):
        filter_len = wavelet(filter_len, "dwt_max_level").dec_len
    if filter_len < 2 or data_len < filter_len - 1:
        return 0
    return math.floor(math.log2(data_len / (filter_len - 1)))
