"""A Butterworth low-pass removes mains hum from a slow signal: lfilter, filtfilt and the filter
as an operator (its impulse response, frequency response and Toeplitz matrix plotted).

python examples/iir_hum.py [OUT.png]

A 3 Hz signal sampled at 1 kHz carries 50 Hz hum. ``butter(4, 15, fs=1000)`` (designed here, no
SciPy) passes the signal and attenuates the hum by ~60 dB; ``lfilter`` delays the signal,
``sosfiltfilt`` (the algebra's ``crop ∘ rev ∘ F ∘ rev ∘ F ∘ ext``) does not. The figure shows the
impulse response (the operator applied to a unit impulse), the frequency response
(``sosfreqz``) and the filter's matrix next to its derived transpose (``ca.plot``: a
lower-triangular Toeplitz matrix and the anti-causal filter).
"""

import sys

import jax.numpy as jnp
import numpy as np

import convalgebra as ca
import convalgebra.signal as cs

out = sys.argv[1] if len(sys.argv) > 1 else "iir_hum.png"
fs = 1000.0
t = np.arange(2000) / fs
clean = np.sin(2 * np.pi * 3 * t)
noisy = clean + 0.5 * np.sin(2 * np.pi * 50 * t)

b, a = cs.butter(4, 15.0, fs=fs)  # as a transfer function
sos = cs.butter(4, 15.0, fs=fs, output="sos")  # the same filter as sections (better in float32)

causal = np.asarray(cs.lfilter(b, a, noisy))
zero_phase = np.asarray(cs.sosfiltfilt(sos, noisy))
# in float32 a transfer function with poles near z = 1 loses digits (SciPy's too): sections don't
gap = np.max(np.abs(causal - np.asarray(cs.sosfilt(sos, noisy))))
print(f"lfilter(b, a) - sosfilt(sos): {gap:.1e}")
inner = slice(200, -200)  # away from the edges
err_noisy = np.max(np.abs(noisy - clean)[inner])
err_zero_phase = np.max(np.abs(zero_phase - clean)[inner])
print(f"hum before: {err_noisy:.3f}, after sosfiltfilt: {err_zero_phase:.4f}")
assert err_zero_phase < 0.02 * err_noisy, "sosfiltfilt should remove the hum"
delay = int(np.argmax(np.correlate(causal[inner], clean[inner], "full"))) - (len(clean[inner]) - 1)
print(f"lfilter delays the 3 Hz signal by about {delay} samples; sosfiltfilt by none")
assert delay > 0

# the filter as an operator: its impulse response, and its matrix beside its derived transpose
op = cs.sosfilt_op(sos)
impulse = np.asarray(op(jnp.zeros(200).at[0].set(1.0)))
assert np.allclose(impulse, np.asarray(cs.sosfilt(sos, np.eye(200)[0])))
w, h = cs.sosfreqz(sos, worN=2048, fs=fs)
gain_50 = 20 * np.log10(abs(h[np.argmin(abs(w - 50))]))
print(f"gain at 50 Hz: {gain_50:.1f} dB")
assert gain_50 < -40

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # the 'plot' extra
    print("matplotlib is not installed: no figure")
    sys.exit(0)

fig, axes = plt.subplots(3, 1, figsize=(7, 8))
axes[0].plot(t, noisy, lw=0.6, label="with 50 Hz hum")
axes[0].plot(t, causal, label="lfilter (delayed)")
axes[0].plot(t, zero_phase, "--", label="sosfiltfilt (zero phase)")
axes[0].set_xlabel("s")
axes[0].legend(fontsize=7)
axes[1].stem(np.arange(120), impulse[:120])
axes[1].set_title("impulse response: sosfilt_op(sos) applied to a unit impulse", fontsize=9)
axes[2].plot(w, 20 * np.log10(np.maximum(abs(h), 1e-12)))
axes[2].axvline(50, color="r", lw=0.8)
axes[2].set_ylim(-120, 5)
axes[2].set_xlabel("Hz")
axes[2].set_ylabel("dB")
axes[2].set_title("frequency response (sosfreqz)", fontsize=9)
fig.tight_layout()
fig.savefig(out, dpi=100)
matrix_path = out.rsplit(".", 1)[0] + "_matrix.png"
ca.plot.matrix_figure(
    cs.sosfilt_op(cs.butter(2, 0.3, output="sos")), jnp.zeros(16), path=matrix_path
)
print(f"wrote {out} and {matrix_path}")
