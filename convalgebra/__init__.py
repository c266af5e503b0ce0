"""convalgebra: the algebra of convolutions in JAX.

Compose up-sampling, down-sampling and convolution as operators, derive their transposes
automatically, see them as matrices, and let XLA compile the result.

Layers, each importing only those below it: ``_static`` (shapes, polyphase plans, dtype rules),
``_lower`` (the compiler: IR, rules, cost model, strategies, ONE interpreter, plans), ``_expr``
(operators and their algebra), then ``nn``, ``signal``, ``deconv``, ``plot`` and ``testing``,
then ``bench`` and the tour.
"""

from . import nn as nn
from . import testing as testing
from ._expr.axes import OnAxes as OnAxes
from ._expr.axes import on_axes as on_axes
from ._expr.explain import explain as explain
from ._expr.explain import measure as measure
from ._expr.matrix import matrix as matrix
from ._expr.multi import Branch as Branch
from ._expr.multi import Join as Join
from ._expr.multi import Parallel as Parallel
from ._expr.multi import branch as branch
from ._expr.multi import join as join
from ._expr.multi import parallel as parallel
from ._expr.node import Bound as Bound
from ._expr.node import Compose as Compose
from ._expr.node import Operator as Operator
from ._expr.node import Pinned as Pinned
from ._expr.node import Scale as Scale
from ._expr.node import Sum as Sum
from ._expr.node import as_written as as_written
from ._expr.node import chain as chain
from ._expr.node import lower as lower
from ._expr.node import notation as notation
from ._expr.primitives import Crop as Crop
from ._expr.primitives import Filter as Filter
from ._expr.primitives import Identity as Identity
from ._expr.primitives import Linear as Linear
from ._expr.primitives import Pad as Pad
from ._expr.primitives import Resample as Resample
from ._expr.primitives import conv as conv
from ._expr.primitives import corr as corr
from ._expr.primitives import crop as crop
from ._expr.primitives import dilate as dilate
from ._expr.primitives import down as down
from ._expr.primitives import identity as identity
from ._expr.primitives import linear as linear
from ._expr.primitives import pad as pad
from ._expr.primitives import up as up
from ._expr.transpose import Transposed as Transposed
from ._expr.transpose import adjoint as adjoint
from ._expr.transpose import transpose as transpose
from ._lower.cost import STRATEGIES as STRATEGIES
from ._lower.cost import compiler_options as compiler_options
from ._lower.optimize import optimize as optimize
from ._lower.plan import Plan as Plan
from ._static.structs import node as node

# isort: split
# Floor 4 packages written with the public API (``import convalgebra as ca``): after the core.
from . import deconv as deconv
from . import plot as plot
from . import signal as signal
from .deconv import SolveInfo as SolveInfo
from .deconv import norm as norm
from .deconv import normal as normal
from .deconv import solve as solve
from .deconv import solve_method as solve_method

__version__ = "0.1.0"

__all__ = [
    "STRATEGIES",
    "Bound",
    "Branch",
    "Compose",
    "Crop",
    "Filter",
    "Identity",
    "Join",
    "Linear",
    "OnAxes",
    "Operator",
    "Pad",
    "Parallel",
    "Pinned",
    "Plan",
    "Resample",
    "Scale",
    "SolveInfo",
    "Sum",
    "Transposed",
    "adjoint",
    "as_written",
    "branch",
    "chain",
    "compiler_options",
    "conv",
    "corr",
    "crop",
    "deconv",
    "dilate",
    "down",
    "explain",
    "identity",
    "join",
    "linear",
    "lower",
    "matrix",
    "measure",
    "nn",
    "node",
    "norm",
    "normal",
    "notation",
    "on_axes",
    "optimize",
    "pad",
    "parallel",
    "plot",
    "signal",
    "solve",
    "solve_method",
    "testing",
    "transpose",
    "up",
]
