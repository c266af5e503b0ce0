"""Deconvolution proper: regularised least squares over convalgebra operators.

``solve(A, y, x_like, reg=λ, L=L)`` minimises ``‖A x − y‖² + λ‖L x‖²``, in closed form where
the expression's structure allows (circular convolutions in Fourier, ``↓k ∘`` circular by the
aliasing formula of Zhao et al. 2016, symmetric boundaries by the DCT, scaled isometries and
Parseval frames by the adjoint), iteratively otherwise.
``norm`` gives ``‖A‖₂``, ``normal`` the operator ``AᴴA + λLᴴL``, ``solve_method`` the choice
``solve`` would make and why.
"""

from ._norm import norm as norm
from ._norm import normal as normal
from ._solve import METHODS as METHODS
from ._solve import SolveInfo as SolveInfo
from ._solve import solve as solve
from ._solve import solve_method as solve_method

__all__ = ["METHODS", "SolveInfo", "norm", "normal", "solve", "solve_method"]
