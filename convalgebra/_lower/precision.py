"""``precision=`` and ``preferred_element_type=``: checked once, static, resolved per platform.

Both arguments have ``lax.conv_general_dilated``'s meaning and are static structure of an
operator (part of its treedef, hence of every jit cache key):

* ``precision``: ``None`` (the platform default, below), a ``lax.Precision`` or its name
  (``"default"``, ``"high"``, ``"highest"``, and lax's other names), a pair of them (one per
  operand), or a ``lax.DotAlgorithmPreset`` (or its name) or ``lax.DotAlgorithm``;
* ``preferred_element_type``: ``None`` (the computation dtype) or an inexact dtype in which to
  accumulate and return the result (bfloat16 data with ``float32``: float32 accumulation and a
  float32 result, as lax gives).

``None`` is resolved where the program is emitted (:func:`resolve`): JAX's
``jax_default_matmul_precision`` when the user has set it (lax's own rule), otherwise
``TUNING[platform]["precision"]`` (``cost.py``), ``"highest"`` on every platform: true float32
products (on XLA:CPU DEFAULT and HIGHEST compute the same bits; on NVIDIA GPUs since Ampere
DEFAULT rounds float32 operands to TF32, 10 mantissa bits).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax import lax

from . import cost

#: lax's precision names (``lax.Precision`` values and the names it accepts for them)
NAMES = ("default", "high", "highest", "bfloat16", "tensorfloat32", "float32", "bfloat16_3x",
         "fastest")  # fmt: skip
INEXACT = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")


def canonical_precision(fn: str, precision: Any) -> Any:
    """``precision`` in lax's canonical form (``None``, a pair of ``lax.Precision``, a preset or
    an algorithm), hashable.

    Raises:
      ValueError: one line naming ``fn`` and the choices.
    """
    if precision is None:
        return None
    try:
        return lax_canonical(precision)
    except (ValueError, TypeError):
        raise ValueError(
            f"{fn}: precision must be None, one of {NAMES} (or a lax.Precision), a pair of them, "
            f"a lax.DotAlgorithmPreset or its name, or a lax.DotAlgorithm; got {precision!r}"
        ) from None


def lax_canonical(precision: Any) -> Any:
    """lax's canonical form of a non-``None`` precision (raises ``ValueError`` if unknown)."""
    if isinstance(precision, str):
        if precision.lower() in NAMES:
            p = lax.Precision(precision.lower())
            return (p, p)
        if precision in lax.DotAlgorithmPreset.__members__:
            return lax.DotAlgorithmPreset[precision]
    elif isinstance(precision, lax.Precision):
        return (precision, precision)
    elif isinstance(precision, (lax.DotAlgorithmPreset, lax.DotAlgorithm)):
        return precision
    elif isinstance(precision, (tuple, list)) and len(precision) == 2:
        ok = (str, lax.Precision)
        a, b = (lax_canonical(p) if isinstance(p, ok) else None for p in precision)
        if isinstance(a, tuple) and isinstance(b, tuple):
            return (a[0], b[0])
    raise ValueError(f"unknown precision {precision!r}")


def canonical_element_type(fn: str, dtype: Any) -> str | None:
    """``preferred_element_type`` as a dtype NAME (``None`` stays ``None``).

    A name, not a ``np.dtype``: static fields are compared with ``==`` in jit cache keys, and
    ``np.dtype("float64") == None`` is true (NumPy reads ``None`` as its default dtype).

    Raises:
      ValueError: one line naming ``fn`` and the choices (the inexact dtypes).
    """
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in INEXACT:
        raise ValueError(
            f"{fn}: preferred_element_type must be None or one of {INEXACT}; got {dtype!r}"
        )
    return dt.name


def result_dtype(fn: str, dtype: Any, element_type: str | None) -> np.dtype:
    """The dtype of a convolution computed in ``dtype`` with ``preferred_element_type``.

    lax's rule: the preferred type, which must be of the same kind (real or complex) and not
    narrower than ``dtype``; with x64 disabled a 64-bit preference is JAX's 32-bit type.

    Raises:
      ValueError: naming ``fn``, the computation dtype and the preference.
    """
    dtype = np.dtype(dtype)
    if element_type is None:
        return dtype
    pet = np.dtype(jax.dtypes.canonicalize_dtype(element_type))
    cplx = np.issubdtype(dtype, np.complexfloating)
    if cplx != np.issubdtype(pet, np.complexfloating) or pet.itemsize < dtype.itemsize:
        raise ValueError(
            f"{fn}: preferred_element_type={pet.name} cannot hold a {dtype.name} convolution "
            f"(lax needs the same kind, real or complex, and at least as wide)"
        )
    return pet


def resolve(precision: Any, platform: str) -> Any:
    """The precision handed to lax on ``platform`` (``None`` resolved; see the module)."""
    if precision is not None:
        return precision
    if getattr(jax.config, "jax_default_matmul_precision", None) is not None:
        return None  # lax applies the user's jax_default_matmul_precision
    return lax_canonical(cost.tuning(platform).get("precision", "highest"))


def describe(precision: Any) -> str:
    """A short name of a canonical precision, for labels."""
    if isinstance(precision, tuple) and len(precision) == 2 and precision[0] == precision[1]:
        precision = precision[0]
    if isinstance(precision, lax.Precision):
        return precision.name.lower()
    if isinstance(precision, tuple):
        return "(" + ", ".join(describe(p) for p in precision) + ")"
    return getattr(precision, "name", str(precision))
