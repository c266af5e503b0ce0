"""The lowering engine: formulas as written, run as the fast form, transposes included.

python examples/lowering.py
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import convalgebra as ca

key = jax.random.key(0)
w = jax.random.normal(key, (8, 4, 5))  # (C_out, C_in, K): channel mixing
x = jax.random.normal(key, (2, 4, 64))

# ↓2 (w ⋆ x): rewritten into one strided convolution
strided = ca.down(2) @ ca.corr(w, "same", ndim=1)
print(ca.explain(strided, x))
assert np.allclose(strided(x), ca.as_written(strided)(x), atol=1e-5)

# its transpose is derived by JAX from the lowered program: polyphase, no lhs_dilation
y = strided(x)
print(ca.explain(strided.on(x).T, y))


# a convolution JAX wrote for us (the transpose of a strided conv) rewritten into polyphase
def conv_t(y, w):
    return lax.conv_transpose(y, w, (2,), "SAME", dimension_numbers=("NCH", "IOH", "NCH"))


print(
    "optimize(conv_transpose) matches:",
    bool(jnp.allclose(ca.optimize(conv_t)(y, w), conv_t(y, w), atol=1e-4)),
)

# force a strategy; per-channel filters default to shifted multiply-adds
depthwise = ca.corr(jax.random.normal(key, (4, 9)), "same", ndim=1)
for strategy in ca.STRATEGIES:
    err = jnp.max(jnp.abs(ca.lower(depthwise, strategy=strategy)(x) - ca.as_written(depthwise)(x)))
    print(f"depthwise with strategy {strategy!r}: max error {float(err):.1e}")
