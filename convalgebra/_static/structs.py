"""Static structures: the pytree node decorator, input structures, kernel kinds and dtype rules."""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:  # type checkers know typing_extensions; it is no runtime dependency
    from typing_extensions import dataclass_transform
elif sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10 has no typing.dataclass_transform

    def dataclass_transform(**_kw: Any) -> Callable[[Any], Any]:
        return lambda f: f


T = TypeVar("T", bound=type)
Shape = tuple[int, ...]


@dataclass_transform(frozen_default=True, eq_default=False)
def node(data: tuple[str, ...] = ()) -> Callable[[T], T]:
    """Class decorator: a frozen dataclass registered as a pytree with ``data`` as leaves.

    Fields named in ``data`` are pytree children (arrays, sub-operators); every other field is
    static metadata (hashable: ints, tuples, strings, enums) and part of the treedef, so it is
    part of every jit cache key.
    """

    def wrap(cls: T) -> T:
        cls = dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        meta = [n for n in names if n not in data]
        jax.tree_util.register_dataclass(cls, data_fields=list(data), meta_fields=meta)
        return cls

    return wrap


def is_multi(x: Any) -> bool:
    """Whether ``x`` is several inputs: a non-empty tuple or list of arrays/structs (or of such
    tuples). A list of numbers is one array, as in NumPy."""
    return (
        isinstance(x, (tuple, list))
        and len(x) > 0
        and all((hasattr(e, "shape") and hasattr(e, "dtype")) or is_multi(e) for e in x)
    )


def as_struct_tree(x_like: Any) -> Any:
    """:func:`as_struct` of one input, or a tuple of them for several (see :func:`is_multi`)."""
    if is_multi(x_like):
        return tuple(as_struct_tree(e) for e in x_like)
    return as_struct(x_like)


def struct_leaves(s: Any) -> list[jax.ShapeDtypeStruct]:
    """The ``jax.ShapeDtypeStruct`` leaves of a structure tree, in order."""
    if isinstance(s, jax.ShapeDtypeStruct):
        return [s]
    return [a for e in s for a in struct_leaves(e)]


def tree_shapes(s: Any) -> Any:
    """The shapes of a structure tree, nested as the tree (for messages and comparisons)."""
    if isinstance(s, jax.ShapeDtypeStruct):
        return tuple(s.shape)
    return tuple(tree_shapes(e) for e in s)


def as_struct(x_like: Any) -> jax.ShapeDtypeStruct:
    """Canonicalises an input description into a ``jax.ShapeDtypeStruct``.

    Accepts an array, a ``jax.ShapeDtypeStruct`` (anything with ``shape`` and ``dtype``), or a
    plain shape tuple (then the default floating dtype is used).
    """
    if hasattr(x_like, "shape") and hasattr(x_like, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x_like.shape), np.dtype(x_like.dtype))
    if isinstance(x_like, (tuple, list)) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in x_like
    ):
        return jax.ShapeDtypeStruct(tuple(int(n) for n in x_like), default_float())
    raise TypeError(
        "x_like must be an array, a jax.ShapeDtypeStruct or a shape tuple, "
        f"got {type(x_like).__name__}"
    )


def default_float() -> np.dtype:
    """JAX's default floating dtype (float64 with ``jax_enable_x64``, else float32)."""
    return np.dtype(jnp.zeros((), float).dtype)


class Kind(str, enum.Enum):
    """What a kernel of rank ``ndim + i`` is: one filter, one per channel, channel mixing."""

    SINGLE = "single"  # rank ndim: the same filter for every leading slice
    DEPTHWISE = "depthwise"  # rank ndim + 1, (C, *K): one filter per channel
    MIXING = "mixing"  # rank ndim + 2, (C_out, C_in, *K): summed over input channels

    @staticmethod
    def of(kernel_ndim: int, ndim: int) -> Kind:
        return (Kind.SINGLE, Kind.DEPTHWISE, Kind.MIXING)[kernel_ndim - ndim]


def inexact(dtype: Any) -> bool:
    """Floating or complex, bfloat16 and float16 included (``np.issubdtype`` misses bfloat16)."""
    return bool(jnp.issubdtype(np.dtype(dtype), jnp.inexact))


def complex_(dtype: Any) -> bool:
    return bool(jnp.issubdtype(np.dtype(dtype), jnp.complexfloating))


def kernel_dtype(x_dtype: Any, k_dtype: Any, weak: bool) -> np.dtype:
    """The dtype of ``kernel * x``: JAX's promotion, nothing downcast.

    A *weak* kernel (given as a Python list or scalar) adopts the precision of the input, as a
    Python scalar does in JAX: float32 (or bfloat16) input with a weak ``[0.5, 0.5]`` stays in
    that dtype, and a weak complex kernel makes the result complex of the input's precision.
    """
    x_dtype, k_dtype = np.dtype(x_dtype), np.dtype(k_dtype)
    if weak and inexact(x_dtype):
        if complex_(k_dtype) and not complex_(x_dtype):
            return promote(x_dtype, np.complex64)
        return x_dtype
    return promote(x_dtype, k_dtype)


def promote(a: Any, b: Any) -> np.dtype:
    """NumPy's promotion of two dtypes; JAX's for the types NumPy lacks (bfloat16: + float32 is
    float32, not float64). Independent of ``jax_numpy_dtype_promotion``."""
    a, b = np.dtype(a), np.dtype(b)
    if a.kind != "V" and b.kind != "V":  # ml_dtypes (bfloat16, float8) have kind 'V'
        return np.result_type(a, b)
    with jax.numpy_dtype_promotion("standard"):
        return np.dtype(jnp.promote_types(a, b))


def common_dtype(*dtypes: Any) -> np.dtype:
    """The promotion of several dtypes (see :func:`promote`)."""
    out = np.dtype(dtypes[0])
    for d in dtypes[1:]:
        out = promote(out, d)
    return out


FFT_DTYPES = tuple(np.dtype(d) for d in ("float32", "float64", "complex64", "complex128"))
