"""Each constructor and each piece of syntax builds the public class its docs name, and the
chain combinator composes in order (``chain(A, B, C) == A @ B @ C``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca

X = jnp.arange(16.0).reshape(2, 8)
Q = jnp.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize(
    ("build", "cls"),
    [
        (lambda: ca.conv(Q), ca.Filter),
        (lambda: ca.corr(Q), ca.Filter),
        (lambda: ca.up(2), ca.Resample),
        (lambda: ca.down(2), ca.Resample),
        (lambda: ca.pad(1), ca.Pad),
        (lambda: ca.crop(1), ca.Crop),
        (lambda: ca.identity(), ca.Identity),
        (lambda: ca.linear(lambda v: 2 * v), ca.Linear),
        (lambda: ca.down(2) @ ca.corr(Q), ca.Compose),
        (lambda: ca.corr(Q) + ca.identity(), ca.Sum),
        (lambda: 3.0 * ca.corr(Q), ca.Scale),
        (lambda: ca.down(2).on(X), ca.Bound),
        (lambda: ca.down(2).on(X).T, ca.Transposed),
        (lambda: ca.lower(ca.corr(Q), strategy="shift"), ca.Pinned),
        (lambda: ca.on_axes(ca.down(2), axis=0), ca.OnAxes),
        (lambda: ca.branch(ca.down(2), ca.identity()), ca.Branch),
        (lambda: ca.join(ca.down(2), ca.down(2)), ca.Join),
        (lambda: ca.parallel(ca.down(2), None), ca.Parallel),
    ],
)
def test_constructor_builds_its_class(build, cls):
    op = build()
    assert isinstance(op, cls)
    assert isinstance(op, ca.Operator)
    # every class is a pytree: unflattening its leaves rebuilds the same class and structure
    leaves, tree = jax.tree_util.tree_flatten(op)
    rebuilt = jax.tree_util.tree_unflatten(tree, leaves)
    assert type(rebuilt) is type(op)
    assert jax.tree_util.tree_structure(rebuilt) == tree


def test_chain_composes_in_order():
    A, B, C = ca.down(2), ca.corr(Q), ca.up(2)
    got = ca.chain(A, B, C)(X)
    np.testing.assert_allclose(got, (A @ B @ C)(X))
    np.testing.assert_allclose(got, A(B(C(X))))
