"""``python -m convalgebra.bench``: see :mod:`convalgebra.bench.cli`."""

import os
import sys

# PyTorch's OpenMP workers spin after each call by default and would steal the cores from XLA's
# next call in the interleaved loop; passive waiting keeps the formulations independent. (Set
# before torch is imported; an explicit OMP_WAIT_POLICY in the environment wins.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .cli import main

sys.exit(main())
