"""Measured strategy choices ("wisdom"): frozen, hashable, saved and reloaded as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from .._static.structs import Shape
from .cost import STRATEGIES
from .ir import Conv


def key(c: Conv, in_shape: Shape, platform: str) -> str:
    """The plan key of a convolution node on an input shape and platform."""
    return "|".join(
        [
            c.kind.value,
            str(tuple(c.kernel.shape)),
            str(c.dilation),
            str(c.pads),
            str(c.wrap),
            str(c.up),
            str(c.up_phase),
            str(c.down),
            str(c.down_phase),
            str(c.groups),
            str(tuple(in_shape)),
            platform,
        ]
    )


class Plan:
    """Measured strategy choices, an immutable mapping from node keys to strategies.

    A plan is pinned explicitly, ``ca.lower(A, plan=p)``; being frozen and hashable, it is part
    of the operator's static structure and so of every jit cache key. ``ca.measure`` (or
    :meth:`measure`) returns a new plan.

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> A = ca.down(2) @ ca.corr(jnp.ones((4, 4, 3)), "same", ndim=1)
      >>> plan = ca.measure(A, jax.ShapeDtypeStruct((2, 4, 16), "float32"), repeats=1)
      >>> ca.Plan.from_json(plan.to_json()) == plan
      True
    """

    VERSION = 1
    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[str, str] | Iterable[tuple[str, str]] = ()):
        items = dict(entries.items() if isinstance(entries, Mapping) else entries)
        for k, v in items.items():
            if not isinstance(k, str) or v not in STRATEGIES:
                raise ValueError(
                    f"Plan: entries must map strings to one of {STRATEGIES}, got {k!r}: {v!r}"
                )
        object.__setattr__(self, "_entries", tuple(sorted(items.items())))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Plan is immutable: ca.measure and Plan.merge return new plans")

    @property
    def entries(self) -> dict[str, str]:
        """A copy of the entries as a dict."""
        return dict(self._entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plan) and self._entries == other._entries

    def __hash__(self) -> int:
        return hash(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Plan({len(self._entries)} entries)"

    def lookup(self, c: Conv, in_shape: Shape, platform: str) -> str | None:
        return dict(self._entries).get(key(c, in_shape, platform))

    def merge(self, other: Plan | Mapping[str, str]) -> Plan:
        """A new plan with ``other``'s entries added (they win on equal keys)."""
        more = other.entries if isinstance(other, Plan) else dict(other)
        return Plan({**self.entries, **more})

    def to_json(self) -> str:
        return json.dumps({"convalgebra_plan": self.VERSION, "entries": self.entries}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parses a saved plan; raises ``ValueError`` if it is malformed."""
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as e:
            raise ValueError(f"Plan.from_json: not valid JSON: {e}") from e
        if not isinstance(data, dict) or data.get("convalgebra_plan") != cls.VERSION:
            raise ValueError(
                f"Plan.from_json: expected an object with 'convalgebra_plan': {cls.VERSION}, "
                f"got {str(data)[:80]!r}"
            )
        entries = data.get("entries")
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and v in STRATEGIES for k, v in entries.items()
        ):
            raise ValueError(
                "Plan.from_json: 'entries' must map strings to one of "
                f"{STRATEGIES}, got {str(entries)[:80]!r}"
            )
        return cls(entries)

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            f.write(self.to_json())

    @classmethod
    def load(cls, path: str) -> Plan:
        with open(path) as f:
            return cls.from_json(f.read())
