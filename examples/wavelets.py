"""Wavelet denoising with convalgebra.signal: decompose, threshold the details, reconstruct.

python examples/wavelets.py

The Daubechies-2 filters are written out (no PyWavelets needed; with it installed, "db2" is the
same wavelet). Each level is one operator, ``↓2 ([h̃; g̃] ⋆ ext(x))``: both filters run as the two
output channels of one strided convolution, and the synthesis is its derived transpose.
"""

import jax.numpy as jnp
import numpy as np

import convalgebra as ca
import convalgebra.signal as cs

# Daubechies' 4-tap orthogonal low-pass; the other three filters follow from it
s3 = np.sqrt(3.0)
h = np.array([1 + s3, 3 + s3, 3 - s3, 1 - s3]) / (4 * np.sqrt(2.0))  # synthesis low-pass
g = h[::-1] * np.array([1.0, -1.0, 1.0, -1.0])  # synthesis high-pass (alternating flip)
db2 = cs.Wavelet("db2", dec_lo=h[::-1], dec_hi=g[::-1], rec_lo=h, rec_hi=g)

rng = np.random.default_rng(0)
n = 1024
t = np.linspace(0, 1, n)
clean = np.sin(4 * np.pi * t) + (t > 0.3) - 0.5 * (t > 0.7)  # smooth parts and two jumps
noisy = clean + 0.2 * rng.standard_normal(n)

# perfect reconstruction, in the default (symmetric) mode and in periodization mode
for mode in ("symmetric", "periodization"):
    coeffs = cs.wavedec(noisy, db2, mode, level=5)
    err = float(np.max(np.abs(cs.waverec(coeffs, db2, mode) - noisy)))
    print(f"{mode:>13}: {len(coeffs)} bands {[c.shape[-1] for c in coeffs]}, PR error {err:.1e}")
    assert err < 1e-5

# denoise: soft-threshold the details at the universal threshold sigma sqrt(2 log n)
coeffs = cs.wavedec(noisy, db2, "periodization", level=5)
sigma = float(np.median(np.abs(coeffs[-1]))) / 0.6745  # noise level from the finest details
thr = sigma * np.sqrt(2 * np.log(n))
shrunk = [coeffs[0]] + [jnp.sign(d) * jnp.maximum(jnp.abs(d) - thr, 0) for d in coeffs[1:]]
denoised = np.asarray(cs.waverec(shrunk, db2, "periodization"))


def snr(x):
    return 10 * np.log10(np.sum(clean**2) / np.sum((x - clean) ** 2))


print(
    f"noise sigma ~ {sigma:.3f}; SNR noisy {snr(noisy):.1f} dB -> denoised {snr(denoised):.1f} dB"
)
assert snr(denoised) > snr(noisy) + 5

# in periodization mode the orthogonal inverse is the derived transpose of the analysis bank
bank = cs.dwt_op(db2, "periodization", in_size=n)
print("one level as one operator:", bank.notation())
a, d = bank(jnp.asarray(noisy))
back = ca.transpose(bank, jnp.asarray(noisy))((a, d))
print(f"transpose of the analysis = inverse: max error {float(jnp.max(jnp.abs(back - noisy))):.1e}")
assert np.allclose(back, noisy, atol=1e-5)
assert ca.testing.check_adjoint(bank, jnp.zeros((1, n))) < 1e-5
