"""The registry of formulations: for each kind of case, a list of named builders.

A builder turns ``(case, direction)`` into a function, or returns ``None`` when it has no
formulation of that direction. JAX builders return a pure function of the canonical data; the
harness jits it, measures its compile time and times the compiled executable:

* ``forward``: ``fn(ws, x) -> y``
* ``transpose``: ``fn(ws, g) -> x̂`` (``Aᵀ g``, shaped like ``x``)
* ``grad``: ``fn(ws, x, g) -> (y, dws)`` (a training step: forward and the kernel gradient of
  ``⟨A_w x, g⟩``, ``dws`` a tuple shaped like ``ws``)

``ws`` is the tuple of kernels (one, or two for ``fusion``). With ``layout="channels_last"`` the
harness hands the function ``x``/``g`` (and reads back ``y``/``x̂``) with the channel axis last,
converting outside the timed region.

Torch builders (``backend="torch"``) get the canonical NumPy data and the torch device and return
``(fn, args, unpack)``: ``fn(*args)`` is timed (after a warm-up, with device synchronisation) and
``unpack(out)`` gives the canonical NumPy result for the numerical cross-check.

Adding a formulation is one decorated function::

    @register("strided", "lax stride", family="lax")
    def _(case, direction):
        ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from .cases import KINDS

FAMILIES = ("convalgebra", "lax", "auto", "reference", "torch")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered formulation of one kind of case.

    Attributes:
      name: the formulation's name in tables and JSON (unique within a kind).
      family: ``"convalgebra"`` (the library), ``"lax"`` (a hand-written lax primitive),
        ``"auto"`` (JAX's own ``linear_transpose``/``vjp`` of a lax forward), ``"reference"``
        (a hand-written fast form: polyphase, shifted multiply-adds, FFT) or ``"torch"``.
      backend: ``"jax"`` or ``"torch"``.
      layout: ``"channels_first"`` or ``"channels_last"`` (JAX builders only).
      build: the builder (see the module docstring).
    """

    name: str
    family: str
    backend: str
    layout: str
    build: Callable


class NotApplicable(Exception):
    """Raised by a formulation that cannot express a case exactly (the row is skipped)."""


_REGISTRY: dict[str, list[Entry]] = {k: [] for k in KINDS}
_LOADED: list[bool] = []


def register(
    kinds: str | Iterable[str],
    name: str,
    *,
    family: str,
    backend: str = "jax",
    layout: str = "channels_first",
) -> Callable[[Callable], Callable]:
    """Decorator: registers ``build`` as formulation ``name`` of every kind in ``kinds``.

    Registering a name again (same family, backend and layout) adds to it: the builders are
    tried in order, so a formulation's forward and transpose can be registered separately.

    Raises:
      ValueError: for an unknown kind, family, backend or layout, or a name reused across
        families.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if family not in FAMILIES:
        raise ValueError(f"register: family must be one of {FAMILIES}, got {family!r}")
    if backend not in ("jax", "torch"):
        raise ValueError(f"register: backend must be 'jax' or 'torch', got {backend!r}")
    if layout not in ("channels_first", "channels_last"):
        raise ValueError(f"register: unknown layout {layout!r}")

    def wrap(build: Callable) -> Callable:
        for kind in kinds:
            if kind not in _REGISTRY:
                raise ValueError(f"register: unknown kind {kind!r}; kinds are {KINDS}")
            entry = Entry(name, family, backend, layout, build)
            same = [i for i, e in enumerate(_REGISTRY[kind]) if e.name == name]
            if not same:
                _REGISTRY[kind].append(entry)
                continue
            old = _REGISTRY[kind][same[0]]
            if (old.family, old.backend, old.layout) != (family, backend, layout):
                raise ValueError(
                    f"register: {kind!r} already has a formulation {name!r} of another family, "
                    f"backend or layout ({old.family}, {old.backend}, {old.layout})"
                )
            _REGISTRY[kind][same[0]] = dataclasses.replace(old, build=_chain(old.build, build))
        return build

    return wrap


def _chain(first: Callable, second: Callable) -> Callable:
    """A builder trying ``first``, then ``second`` (one formulation registered in pieces)."""

    def build(*args):
        out = first(*args)
        return second(*args) if out is None else out

    return build


def load_all() -> list[str]:
    """Imports the formulation modules once; returns notes on the families that are missing."""
    notes: list[str] = []
    if _LOADED:
        return notes
    _LOADED.append(True)
    from . import forms_lax  # noqa: F401

    try:
        from . import forms_ca  # noqa: F401
    except ImportError as e:  # the library itself failed to import
        notes.append(f"convalgebra formulations skipped: {e}")
    return notes


def entries(kind: str) -> list[Entry]:
    """The formulations registered for ``kind``, in registration order (library first)."""
    order = {f: i for i, f in enumerate(FAMILIES)}
    return sorted(_REGISTRY[kind], key=lambda e: order[e.family])
