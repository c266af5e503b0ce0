"""Pictures of the algebra (``ca.plot``): operator matrices, the sliding convolution, checkerboards.

Every function returns a matplotlib ``Figure``, or, when ``path`` is given, writes the file and
returns its path. matplotlib is the ``plot`` extra (``pip install convalgebra[plot]``); it is
imported only when a function here is called, so ``import convalgebra`` never imports it.

- :func:`matrix_figure`: the matrix of ``A`` next to the matrix of its derived transpose ``Aᵀ``.
- :func:`sliding`: the signals-and-systems picture: a kernel slides over a signal, the product
  is shaded, the output is traced; convolution (flipped) next to correlation (not flipped),
  continuous or discrete, one channel or two summed; a GIF when the path ends in ``.gif``.
- :func:`overlap_figure`: how often a transposed convolution writes each output sample
  (``Aᵀ 1``), in 1-D and 2-D: the checkerboard of kernel 3 / stride 2 next to the even
  kernel 4 / stride 2.
- :func:`benchmark`: the ratio of each formulation to the fastest, from benchmark JSON rows.
- :func:`save`: writes the named figures of the tour (:data:`FIGURES`) into a directory.
"""

from ._figures import FIGURES as FIGURES
from ._figures import benchmark as benchmark
from ._figures import matrix_figure as matrix_figure
from ._figures import overlap_figure as overlap_figure
from ._figures import save as save
from ._figures import sliding as sliding

__all__ = ["FIGURES", "benchmark", "matrix_figure", "overlap_figure", "save", "sliding"]
