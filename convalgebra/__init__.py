"""convalgebra: the algebra of convolutions in JAX.

Compose up-sampling, down-sampling and convolution as operators, derive their transposes
automatically, see them as matrices, and let XLA compile the result.
"""

from . import nn as nn
from . import testing as testing
from ._algebra import Bound as Bound
from ._algebra import Compose as Compose
from ._algebra import Scale as Scale
from ._algebra import Sum as Sum
from ._algebra import matrix as matrix
from ._base import Operator as Operator
from ._ops import Crop as Crop
from ._ops import Filter as Filter
from ._ops import Identity as Identity
from ._ops import Linear as Linear
from ._ops import Pad as Pad
from ._ops import Resample as Resample
from ._ops import conv as conv
from ._ops import corr as corr
from ._ops import crop as crop
from ._ops import down as down
from ._ops import identity as identity
from ._ops import linear as linear
from ._ops import pad as pad
from ._ops import up as up
from ._transpose import Transposed as Transposed
from ._transpose import adjoint as adjoint
from ._transpose import transpose as transpose

__version__ = "0.1.0"


def notation(op: Operator, x: str = "x") -> str:
    """The expression of ``op`` applied to ``x`` in the DSP notation, e.g. ``'↓2 (q ⋆ x)'``."""
    return op.notation(x)


# ---- the lowering engine (rewrites, strategies, plans, explain, optimize) ----
from . import _lower  # noqa: E402
from ._explain import explain as explain  # noqa: E402
from ._lower import STRATEGIES as STRATEGIES  # noqa: E402
from ._lower import Plan as Plan  # noqa: E402
from ._lower import as_written as as_written  # noqa: E402
from ._lower import lower as lower  # noqa: E402
from ._lower import use_plan as use_plan  # noqa: E402
from ._optimize import optimize as optimize  # noqa: E402
from ._rules import dilate as dilate  # noqa: E402

_lower.install()  # A(x) runs the lowered program; ca.as_written(A) evaluates as written
