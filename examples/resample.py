"""Rational resampling of a chirp with convalgebra.signal: the anti-aliasing filter at work.

python examples/resample.py

A linear chirp sweeps 0 -> 0.9 x Nyquist. Down-sampling it by 3 without a filter folds everything
above the new Nyquist frequency back into the band (aliasing); ``resample_poly`` (the expression
``crop(↓3 (h * x))`` with a Kaiser-windowed sinc ``h`` designed by the library) removes it first.
The 3/2 up-sampler is the same formula with ``↑2`` in front, lowered to a polyphase program.
"""

import jax.numpy as jnp
import numpy as np

import convalgebra as ca
import convalgebra.signal as cs

n = 4096
t = np.arange(n)
chirp = np.cos(np.pi * 0.9 * t**2 / (2 * n)).astype(np.float32)  # instantaneous f = 0.9 t / n


def late_share(y: np.ndarray) -> float:
    """Share of the energy after the instant the sweep crosses the new Nyquist frequency."""
    return float(np.sum(y[n // 8 :] ** 2) / np.sum(y**2))  # n/9, plus the transition band


naive = chirp[::3]  # ↓3 alone
filtered = np.asarray(cs.resample_poly(chirp, 1, 3))  # crop(↓3 (h * x))
# The sweep crosses the new Nyquist frequency (1/3 of the old) a third of the way through, at
# output sample n/9. Without the filter, everything after it folds back into the band (aliasing).
print(
    f"↓3 of a chirp: energy after the cut-off instant: naive {late_share(naive):.2f}, "
    f"resample_poly {late_share(filtered):.4f} of the total"
)
assert late_share(naive) > 0.5
assert late_share(filtered) < 0.01  # the filter removed what would alias

# 3/2: the same formula, up-sampling first; as an operator it prints, transposes and lowers
up32 = cs.resample_poly_op(3, 2, in_size=256)
print("resample 3/2 as an operator:", up32.notation())
y = up32(jnp.asarray(chirp[:256]))
assert y.shape == (384,)
assert np.allclose(y, cs.resample_poly(chirp[:256], 3, 2), atol=1e-5)
err = ca.testing.check_adjoint(up32, jnp.zeros(256, jnp.float32))
print(f"dot test of the resampler: {err:.1e}")
assert err < 1e-5

# a slowly varying signal survives 3/2 resampling: compare with the exact samples
slow = np.sin(2 * np.pi * 0.01 * t[:600]).astype(np.float32)
res = np.asarray(cs.resample_poly(slow, 3, 2))
exact = np.sin(2 * np.pi * 0.01 * np.arange(res.size) * 2 / 3)
mid = slice(60, res.size - 60)  # away from the zero-padded borders
print(f"3/2 resampling of a slow sine: max error {np.abs(res[mid] - exact[mid]).max():.1e}")
assert np.abs(res[mid] - exact[mid]).max() < 1e-2
