"""Deconvolution proper versus the "deconvolution layer" (a transposed convolution).

A test image x is blurred by a Gaussian (circular boundary), down-sampled by 2 and perturbed by
noise: ``y = ↓2 (h * x) + n``. The transposed convolution ``Aᵀ y`` (times the 4 samples per
low-resolution pixel), which deep-learning papers call a deconvolution, only puts ``y`` back on
the fine grid. Deconvolution solves ``min ‖A x − y‖² + λ‖L x‖²``: in closed form (ca.solve
recognises ``↓2 ∘ circular convolution`` and uses the aliasing formula of Zhao et al. 2016) or
by conjugate gradients on the normal equations, with ``L = I`` and with ``L = ∇`` (the two
forward differences as ONE two-output operator, ``ca.branch(Dh, Dv)``: the penalty
``‖Dh x‖² + ‖Dv x‖²``, which ``Dh + Dv`` is not). The PSF is centred (``ca.conv(h,
"circular")`` equals ``scipy.ndimage.convolve(x, h, mode="wrap")``). The script prints a PSNR
table and, if
matplotlib is installed, saves the four images (default ``deconvolution.png``).

Run:  python examples/deconvolution.py [out.png]
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
from convalgebra.deconv import solve

N = 128  # image side
SIGMA_BLUR, SIGMA_NOISE = 1.2, 0.01


def test_image(n: int = N) -> np.ndarray:
    """A synthetic n × n image in [0, 1]: a disk, a square, a chirp grating and a ramp."""
    i, j = np.mgrid[0:n, 0:n] / n
    img = 0.2 + 0.3 * j  # ramp
    img = img + 0.4 * (((i - 0.3) ** 2 + (j - 0.3) ** 2) < 0.15**2)  # disk
    img = img + 0.3 * ((abs(i - 0.7) < 0.12) & (abs(j - 0.3) < 0.12))  # square
    chirp = 0.5 + 0.5 * np.sin(2 * np.pi * (4 + 10 * j) * j)
    img = np.where((i > 0.55) & (j > 0.5), chirp, img)  # grating, finer to the right
    return np.clip(img, 0, 1).astype(np.float32)


def gaussian(sigma: float, size: int = 7) -> np.ndarray:
    t = np.arange(size) - size // 2
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma**2))
    return (g / g.sum()).astype(np.float32)


def psnr(a, ref) -> float:
    mse = float(np.mean((np.asarray(a) - np.asarray(ref)) ** 2))
    return 10 * np.log10(1.0 / mse)


def main(argv: list[str]) -> dict[str, float]:
    x = jnp.asarray(test_image())
    h = jnp.asarray(gaussian(SIGMA_BLUR))
    A = ca.down(2, ndim=2) @ ca.conv(h, "circular")  # y = ↓2 (h * x)
    noise = SIGMA_NOISE * jax.random.normal(jax.random.key(0), (N // 2, N // 2), jnp.float32)
    y = A(x) + noise
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)

    transposed = 4.0 * ca.transpose(A, xs)(y)  # the "deconvolution layer": Aᵀ y, gain 4

    t0 = time.perf_counter()
    closed = jax.jit(lambda A, y, lam: solve(A, y, xs, reg=lam))
    closed(A, y, 1e-3)[0].block_until_ready()
    compile_s = time.perf_counter() - t0
    # λ by a small sweep, scored against the truth (an oracle choice, the same for every method)
    lams = (3e-4, 1e-3, 3e-3, 1e-2)
    scores = {lam: psnr(closed(A, y, lam)[0], x) for lam in lams}
    lam = max(scores, key=scores.get)
    x_closed, info_closed = closed(A, y, lam)

    x_cg, info_cg = jax.jit(
        lambda A, y: solve(A, y, xs, reg=lam, method="cg", tol=1e-5, maxiter=500)
    )(A, y)
    # forward differences x[n+1] - x[n] (origin -1: the kernel starts at the output sample)
    dh = ca.corr(jnp.array([[-1.0, 1.0]]), "circular", origin=(0, -1))
    dv = ca.corr(jnp.array([[-1.0], [1.0]]), "circular", origin=(-1, 0))
    L = ca.branch(dh, dv)  # ∇: ‖L x‖² = ‖Dh x‖² + ‖Dv x‖²
    x_tvc, info_tvc = jax.jit(lambda A, y: solve(A, y, xs, reg=lam, L=L))(A, y)
    x_tv, info_tv = jax.jit(
        lambda A, y: solve(A, y, xs, reg=lam, L=L, method="cg", tol=1e-5, maxiter=500)
    )(A, y)

    rows = [  # (table name, figure title, image, iterations)
        ("transposed conv 4·Aᵀy ('deconvolution layer')", "transposed conv", transposed, "-"),
        (f"closed form ({info_closed.method}), λ={lam:g}", "closed form", x_closed, "0"),
        (f"CG on the normal equations, λ={lam:g}", "CG", x_cg, "≤ 500"),
        (f"closed form ({info_tvc.method}), L = ∇, λ={lam:g}", "closed form, L = ∇", x_tvc, "0"),
        (f"CG, L = ∇ (finite differences), λ={lam:g}", "CG, L = ∇", x_tv, "≤ 500"),
    ]
    print(f"y = ↓2 (h * x) + n: {N}×{N} image, Gaussian blur σ={SIGMA_BLUR}, noise σ={SIGMA_NOISE}")
    print(f"closed form: first call (trace + compile + run) {compile_s:.2f} s")
    print(f"{'method':<56} {'PSNR dB':>8}  iterations")
    out = {}
    for name, _, img, its in rows:
        out[name] = psnr(img, x)
        print(f"{name:<56} {out[name]:8.2f}  {its}")
    rel = float(jnp.linalg.norm(x_cg - x_closed) / jnp.linalg.norm(x_closed))
    res = float(info_cg.residual)
    print(f"CG vs closed form: relative difference {rel:.1e}, CG residual {res:.1e}")
    assert info_closed.method == "aliasing"
    assert rel < 1e-3, rel
    assert out[rows[1][0]] > out[rows[0][0]] + 1.0  # deconvolution beats the transpose
    assert bool(info_tv.converged) and info_tvc.method == "aliasing"
    assert float(jnp.linalg.norm(x_tv - x_tvc) / jnp.linalg.norm(x_tvc)) < 1e-3

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no PNG (pip install 'convalgebra[plot]')")
        return out
    path = argv[0] if argv else "deconvolution.png"
    imgs = [("truth x", x), ("data y (↓2, blurred, noisy)", y)] + [
        (f"{title}\n{out[name]:.1f} dB", img) for name, title, img, _ in rows
    ]
    fig, axes = plt.subplots(1, len(imgs), figsize=(3.2 * len(imgs), 4.0))
    for ax, (title, img) in zip(axes, imgs):
        ax.imshow(np.asarray(img), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"saved {path}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
