"""Quickstart: the identities of the DSP view, written as they read.

Run: python examples/quickstart.py
"""

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

jax.config.update("jax_enable_x64", True)

x = jnp.arange(10.0)  # a signal of 10 samples
q = jnp.array([1.0, -2.0, 0.5])  # a kernel of 3 taps

# strided convolution = ↓2 (q ⋆ x): the deep-learning "convolution" with stride 2
strided = ca.down(2) @ ca.corr(q, "same")
print(strided.notation(), "=", strided(x))

# dilated convolution = (↑2 q) ⋆ x; ↑2 q has a trailing zero, crop it for the 5-tap kernel
dilated = ca.corr((ca.crop((0, 1)) @ ca.up(2))(q), "valid")
print("dilated kernel:", (ca.crop((0, 1)) @ ca.up(2))(q))
lax_dilated = jax.lax.conv_general_dilated(
    x[None, None], q[None, None], (1,), "VALID", rhs_dilation=(2,)
)
assert np.allclose(dilated(x), lax_dilated[0, 0])

# transposed convolution = q * (↑2 y): exactly the transpose of the strided one
transposed = ca.conv(q, "same") @ ca.up(2)
y = jnp.ones(5)
derived = strided.on(x).T  # derived by jax.linear_transpose, never hand-written
print(transposed.notation(), "=", transposed(y))
assert np.allclose(transposed(y), derived(y))

# nearest-neighbour upsampling = (1 1) * (↑2 x) ...
nearest = ca.conv([1.0, 1.0], "same") @ ca.up(2)
assert np.allclose(nearest(x), jnp.repeat(x, 2))
# ... and (1 1) * q = (q0, q0+q1, q1+q2, q2), so nearest ↑2 then q is one 4-tap transposed conv
print("(1 1) * q =", ca.conv([1.0, 1.0])(q))
fused = ca.conv(ca.conv([1.0, 1.0])(q)) @ ca.up(2)
two_step = ca.conv(q) @ ca.conv([1.0, 1.0]) @ ca.up(2)  # full modes: lengths match exactly
assert np.allclose(two_step(x), fused(x))

# every operator is a matrix
print(ca.matrix(ca.conv(q, "same") @ ca.up(2), jnp.zeros(2)))
print("dot test error:", ca.testing.check_adjoint(strided, x))
