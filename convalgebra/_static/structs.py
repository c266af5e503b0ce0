"""Static structures: the pytree node decorator, input structures and dtype rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
import sys
from typing import TypeVar

import jax

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10 has no typing.dataclass_transform

    def dataclass_transform(**_kw):
        return lambda f: f

T = TypeVar("T", bound=type)
Shape = tuple[int, ...]


@dataclass_transform(frozen_default=True, eq_default=False)
def node(data: tuple[str, ...] = ()) -> Callable[[T], T]:
    """Class decorator: a frozen dataclass registered as a pytree with ``data`` as leaves.

    Fields named in ``data`` are pytree children (arrays, sub-operators); every other field is
    static metadata (hashable: ints, tuples, strings, enums) and part of the treedef.
    """

    def wrap(cls: T) -> T:
        cls = dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        meta = [n for n in names if n not in data]
        jax.tree_util.register_dataclass(cls, data_fields=list(data), meta_fields=meta)
        return cls

    return wrap
