"""``python -m convalgebra``: the tour of the DSP view, verified, with a quick benchmark."""

import sys

from ._tour import main

sys.exit(main())
