"""Why transposed convolutions leave checkerboards: the overlap map Aᵀ 1.

A transposed convolution with stride s writes each input sample through its k-tap kernel into
the output; ``ca.nn.overlap`` counts how many writes each output sample receives. With k = 3 and
s = 2 the count alternates 1, 2, 1, 2 (in 2-D: 1, 2, 4), so even a constant input comes out
striped; with k = 4 and s = 2 (k divisible by s) every interior sample is written equally often.

Run:  python examples/checkerboard.py [out.png]
Prints both maps; if matplotlib is installed (the ``plot`` extra) also saves them side by side
(default ``checkerboard.png`` in the current directory).
"""

from __future__ import annotations

import sys

import numpy as np

import convalgebra as ca

CASES = [
    # (title, kernel, stride, padding, output_padding): both give 2n outputs from n inputs
    ("kernel 3, stride 2", 3, 2, 1, 1),
    ("kernel 4, stride 2", 4, 2, 1, 0),
]


def maps(n: int = 6) -> list[tuple[str, np.ndarray]]:
    """The overlap map of each case for an n × n input."""
    return [(title, np.asarray(ca.nn.overlap((n, n), k, s, p, op))) for title, k, s, p, op in CASES]


def main(argv: list[str]) -> None:
    results = maps()
    for title, m in results:
        print(f"{title}: output {m.shape}, writes per sample {sorted(set(m.ravel().tolist()))}")
        print("\n".join(" ".join(str(v) for v in row) for row in m))
        print()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no PNG (pip install 'convalgebra[plot]')")
        return
    path = argv[0] if argv else "checkerboard.png"
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 4))
    top = max(int(m.max()) for _, m in results)
    for ax, (title, m) in zip(axes, results):
        im = ax.imshow(m, cmap="viridis", vmin=0, vmax=top)
        ax.set_title(f"{title}\noverlap Aᵀ1")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="writes per output sample")
    fig.savefig(path, dpi=100)
    print(f"saved {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
