"""The benchmark harness: ``python -m convalgebra.bench`` times every formulation side by side.

Each *case* (a strided, transposed, dilated, nearest-upsampling, fused, per-channel or audio
convolution at a realistic size) is run in three *directions* (forward, transpose, kernel
gradient) by every registered *formulation*: convalgebra as written, the hand-written lax
primitive, ``jax.linear_transpose`` / ``jax.vjp`` of it, fast hand-written references
(polyphase, fused kernels, shifted multiply-adds, FFT) and PyTorch eager. All formulations are
cross-checked numerically, then timed interleaved in one process.

Your own formulations are timed side by side with :func:`compare` (``compare({"mine": f,
"theirs": g}, *args)``: jitted, cross-checked, timed interleaved; :func:`table` prints the
rows). New formulations of the built-in cases are registered with :func:`register` (any kind) or
:func:`register_algebra` (a new way of running convalgebra expressions, for every kind).
"""

__all__ = [
    "DIRECTIONS",
    "KINDS",
    "SUITES",
    "Case",
    "NotApplicable",
    "Timing",
    "all_cases",
    "compare",
    "main",
    "register",
    "register_algebra",
    "table",
]

from ._compare import Timing as Timing
from ._compare import compare as compare
from ._compare import table as table
from .cases import DIRECTIONS as DIRECTIONS
from .cases import KINDS as KINDS
from .cases import SUITES as SUITES
from .cases import Case as Case
from .cases import all_cases as all_cases
from .cli import main as main
from .registry import NotApplicable as NotApplicable
from .registry import register as register


def register_algebra(name, **kwargs):
    """Registers a convalgebra family for every kind; see :func:`.forms_ca.register_algebra`."""
    from .forms_ca import register_algebra as _register

    _register(name, **kwargs)
