"""ℓ1-wavelet deblurring (FISTA) and plug-and-play (HQS with ``solve(z=)``) against Tikhonov.

scikit-image's camera (512 × 512, in [0, 1]) is blurred by a centred 9 × 9 Gaussian PSF with
a periodic boundary and perturbed by noise σ = 0.01: ``y = h * x + n`` with
``A = ca.conv(h, "circular")`` (equal to ``scipy.ndimage.convolve(x, h, mode="wrap")``).

* Tikhonov: ``ca.solve(A, y, x, reg=λ)``, the Fourier closed form (λ by a small sweep).
* FISTA on ``½‖A x − y‖² + τ‖W x‖₁`` (details only, from the Tikhonov solution), ``W`` a
  4-level orthogonal
  periodization db2 transform built from ``ca.signal.dwt2_op`` banks (``ca.parallel`` on the
  approximation);
  its synthesis ``Wᵀ`` and ``Aᵀ`` are derived by ``ca.transpose``; the step ``1/‖A‖²`` from
  ``ca.norm`` (closed form). The loop is written here (no optimisation library).
* Plug-and-play half-quadratic splitting: ``x ← argmin ‖A x − y‖² + μ‖x − v‖²`` by
  ``ca.solve(..., z=v)`` (the prox, in closed form), then ``v ← Wᵀ soft(W x)`` averaged
  over 16 circular shifts (a cycle-spun wavelet shrinkage denoiser).

Measured (camera): y 26.50 dB, Tikhonov 28.34 dB, FISTA ℓ1-wavelet 27.95 dB (the decimated
orthogonal transform's blocking costs more than the sparsity gains here), plug-and-play HQS
28.92 dB.

Prints the PSNRs (dB). Needs scikit-image (``pip install 'convalgebra[deblur]'``); without it,
a synthetic image is used.

Run:  python examples/ista_wavelet_deblur.py
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
import convalgebra.signal as cs

LEVELS = 4
ITERS = 40  # FISTA, from the Tikhonov solution
SHIFTS = [(i, j) for i in range(4) for j in range(4)]  # cycle spinning of the denoiser
HQS_ITERS = 8


def image() -> tuple[np.ndarray, str]:
    try:
        from skimage import data
    except ImportError:
        n = 256
        i, j = np.mgrid[0:n, 0:n] / n
        img = 0.2 + 0.5 * (((i - 0.5) ** 2 + (j - 0.4) ** 2) < 0.1) + 0.2 * np.sin(40 * i * j)
        return np.clip(img, 0, 1).astype(np.float32), "synthetic (scikit-image not installed)"
    return (data.camera() / 255.0).astype(np.float32), "scikit-image camera"


def gaussian(size: int = 9, sigma: float = 1.6) -> np.ndarray:
    t = np.arange(size) - size // 2
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma**2))
    return (g / g.sum()).astype(np.float32)


def psnr(a, ref) -> float:
    mse = float(np.mean((np.asarray(a) - np.asarray(ref)) ** 2))
    return 10 * np.log10(1.0 / mse)


def wavelet_transform(n: int) -> ca.Operator:
    """``W``: a LEVELS-level orthogonal periodization db2 transform on ``n × n`` images."""
    banks = [
        cs.dwt2_op("db2", "periodization", in_size=(n >> j, n >> j), dtype=jnp.float32)
        for j in range(LEVELS)
    ]
    W = banks[0]  # x -> (cA, cH, cV, cD); the next level acts on cA
    for depth, bank in enumerate(banks[1:], start=1):
        for _ in range(depth):
            bank = ca.parallel(bank, None, None, None)
        W = bank @ W
    return W


def soft_details(c, t):
    """Soft-thresholds every detail band by ``t``; the coarsest approximation is kept."""
    leaves, tree = jax.tree.flatten(c)
    out = [leaves[0]] + [jnp.sign(v) * jnp.maximum(jnp.abs(v) - t, 0) for v in leaves[1:]]
    return jax.tree.unflatten(tree, out)


def denoise(W: ca.Operator, Wt: ca.Operator, v: jax.Array, t: float) -> jax.Array:
    """Cycle-spun wavelet shrinkage: ``Wᵀ soft(W v)`` averaged over circular shifts of ``v``
    (a translation-invariant denoiser for plug-and-play)."""
    acc = jnp.zeros_like(v)
    for s in SHIFTS:
        d = Wt(soft_details(W(jnp.roll(v, s, (0, 1))), t))
        acc = acc + jnp.roll(d, (-s[0], -s[1]), (0, 1))
    return acc / len(SHIFTS)


def main() -> dict[str, float]:
    x, source = image()
    n = x.shape[0]
    h = gaussian()
    A = ca.conv(h, "circular")
    key = jax.random.key(0)
    x = jnp.asarray(x)
    y = A(x) + 0.01 * jax.random.normal(key, x.shape, jnp.float32)
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    out = {"blurred, noisy y": psnr(y, x)}

    # Tikhonov: the Fourier closed form, λ by a sweep scored against the truth
    tik = jax.jit(lambda y, lam: ca.solve(A, y, xs, reg=lam)[0])
    best = max((psnr(tik(y, lam), x), lam) for lam in (1e-3, 3e-3, 1e-2, 3e-2))
    out[f"Tikhonov (fourier), λ={best[1]:g}"] = best[0]
    x_tik = tik(y, best[1])

    W = wavelet_transform(n)
    Wt = ca.transpose(W, xs)  # the derived synthesis (= the inverse: W is orthogonal)
    At = ca.transpose(A, xs)
    step = 1.0 / float(ca.norm(A, xs)) ** 2
    tau = 1e-3

    @jax.jit
    def fista(y, x0):
        def body(_, s):
            xk, v, t = s
            g = v - step * At(A(v) - y)
            x1 = Wt(soft_details(W(g), step * tau))
            t1 = (1 + jnp.sqrt(1 + 4 * t * t)) / 2
            return x1, x1 + ((t - 1) / t1) * (x1 - xk), t1

        return jax.lax.fori_loop(0, ITERS, body, (x0, x0, jnp.float32(1.0)))[0]

    t0 = time.perf_counter()
    x_fista = fista(y, x_tik).block_until_ready()
    t_fista = time.perf_counter() - t0
    out[f"FISTA ℓ1-wavelet, {ITERS} iterations"] = psnr(x_fista, x)

    mu = 5e-2

    @jax.jit
    def hqs(y):
        def body(_, v):
            xk = ca.solve(A, y, xs, reg=mu, z=v, warn=False)[0]  # the prox, closed form
            return denoise(W, Wt, xk, 0.02)

        v = jax.lax.fori_loop(0, HQS_ITERS, body, y)
        return ca.solve(A, y, xs, reg=mu, z=v, warn=False)[0]

    x_hqs = hqs(y).block_until_ready()
    out[f"plug-and-play HQS (solve(z=), cycle-spun wavelets), {HQS_ITERS} it."] = psnr(x_hqs, x)

    print(f"{source}, {n}×{n}: y = h * x + n, 9×9 Gaussian PSF (centred, circular), σ_n=0.01")
    print(f"{'method':<62} {'PSNR dB':>8}")
    for k, v in out.items():
        print(f"{k:<62} {v:8.2f}")
    print(f"FISTA: {t_fista:.2f} s including compilation")
    tik_db = best[0]
    assert out[f"FISTA ℓ1-wavelet, {ITERS} iterations"] > out["blurred, noisy y"], out
    # a translation-invariant prior beats Tikhonov (the camera; +0.6 dB measured)
    hqs_db = out[f"plug-and-play HQS (solve(z=), cycle-spun wavelets), {HQS_ITERS} it."]
    assert hqs_db > tik_db or source.startswith("synthetic"), out
    return out


if __name__ == "__main__":
    main()
    sys.exit(0)
