"""PyWavelets' signal-extension mode names, their aliases, and the ``Extend`` mode each
maps to."""

from __future__ import annotations

from typing import Any

import numpy as np

#: PyWavelets' signal-extension modes (``periodization`` is handled by the transforms).
PYWT_MODES = (
    "zero",
    "constant",
    "symmetric",
    "periodic",
    "smooth",
    "periodization",
    "reflect",
    "antisymmetric",
    "antireflect",
)
#: ``scipy.signal.upfirdn``'s modes (``constant`` there means a constant value, ``cval``).
SCIPY_MODES = (
    "constant",
    "symmetric",
    "reflect",
    "edge",
    "wrap",
    "smooth",
    "antisymmetric",
    "antireflect",
    "line",
)


_MODE_TO_EXT = {
    "zero": "zero",
    "constant": "edge",
    "symmetric": "symmetric",
    "periodic": "periodic",
    "smooth": "smooth",
    "reflect": "reflect",
    "antisymmetric": "antisymmetric",
    "antireflect": "antireflect",
    "periodization": "periodization",
}
_MODE_ALIASES = {
    "sym": "symmetric",
    "per": "periodization",
    "ppd": "periodic",
    "zpd": "zero",
    "cpd": "constant",
    "sp1": "smooth",
    "asym": "antisymmetric",
    "reflect": "reflect",
    "symw": "reflect",
    "asymw": "antireflect",
}


#: ``pywt.Modes.<name>`` values (ints in PyWavelets) -> names.
_PYWT_MODE_INTS = {
    0: "zero",
    1: "symmetric",
    2: "constant",
    3: "smooth",
    4: "periodic",
    5: "periodization",
    6: "reflect",
    7: "antisymmetric",
    8: "antireflect",
}


def _mode(fn: str, mode: Any) -> str:
    if isinstance(mode, str):
        mode = _MODE_ALIASES.get(mode, mode)
    elif isinstance(mode, (int, np.integer)) and not isinstance(mode, bool):
        mode = _PYWT_MODE_INTS.get(int(mode), mode)  # pywt.Modes.symmetric is the int 1
    else:
        raise TypeError(
            f"{fn}: mode must be a mode name or a pywt.Modes value, got {type(mode).__name__}"
        )
    if mode not in PYWT_MODES:
        raise ValueError(f"{fn}: unknown mode {mode!r}; choose one of {PYWT_MODES}")
    return mode
