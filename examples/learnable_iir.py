"""A learnable IIR filter: two second-order sections fitted by gradient descent to a target
response, the gradient flowing through ``sosfilt`` into the section coefficients.

python examples/learnable_iir.py

The target is the impulse response of ``butter(4, 0.25)``. The model is a cascade of two
sections whose poles are parameterised by a radius in (0, 1) and an angle, so every step stays
stable; the numerators are free. The loss is the squared error of the impulse responses (the
operator ``sosfilt_op(sos)`` applied to a unit impulse), minimised by Adam written out in a few
lines; ``jax.grad`` differentiates through the blocked recurrence.
"""

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra.signal as cs

n = 128
impulse = jnp.zeros(n).at[0].set(1.0)
target = cs.sosfilt(cs.butter(4, 0.25, output="sos"), impulse)


def sections(params):
    """``(2, 6)`` sections from free numerators and (radius, angle) pole pairs."""
    r = jax.nn.sigmoid(params["rho"])  # pole radius in (0, 1): stable
    a1, a2 = -2 * r * jnp.cos(params["theta"]), r * r
    one = jnp.ones_like(a1)
    return jnp.concatenate([params["b"], one[:, None], a1[:, None], a2[:, None]], axis=1)


def loss(params):
    y = cs.sosfilt_op(sections(params))(impulse)
    return jnp.sum((y - target) ** 2)


params = {
    "b": jnp.array([[0.1, 0.1, 0.0], [1.0, 0.5, 0.0]]),
    "rho": jnp.array([0.5, 0.5]),
    "theta": jnp.array([0.3, 0.8]),
}
state = jax.tree.map(jnp.zeros_like, (params, params))


@jax.jit
def step(params, state, i):
    value, g = jax.value_and_grad(loss)(params)
    m, v = state
    m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
    v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
    t = i + 1.0
    params = jax.tree.map(
        lambda p, m, v: p - 0.02 * (m / (1 - 0.9**t)) / (jnp.sqrt(v / (1 - 0.999**t)) + 1e-8),
        params,
        m,
        v,
    )
    return params, (m, v), value


first = float(loss(params))
for i in range(600):
    params, state, value = step(params, state, jnp.float32(i))
last = float(loss(params))
print(f"loss: {first:.3e} -> {last:.3e}")
assert last < 1e-2 * first, "the fitted filter should approach the target response"
w, h = cs.sosfreqz(np.asarray(sections(params)), worN=256)
_, h_target = cs.sosfreqz(cs.butter(4, 0.25, output="sos"), worN=256)
print(f"largest gain error: {np.max(np.abs(np.abs(h) - np.abs(h_target))):.3f}")
