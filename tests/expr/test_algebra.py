"""The algebra: composition, sums, scaling, shapes, matrices of the DSP view, pytrees."""

import chex
import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest
from conftest import rand

import convalgebra as ca

Q = np.array([2.0, 3.0, 5.0])  # q0, q1, q2 with distinct values


def mat(op, shape, dtype=np.float64):
    return np.asarray(ca.matrix(op, jax.ShapeDtypeStruct(shape, dtype)))


def test_matrix_down_up_dsp_view():
    d = mat(ca.down(2), (4,))
    np.testing.assert_array_equal(d, [[1, 0, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(mat(ca.up(2), (2,)), d.T)  # ↑2 = ↓2ᵀ


def test_matrix_conv_same_is_toeplitz():
    q0, q1, q2 = Q
    want = [[q1, q0, 0, 0], [q2, q1, q0, 0], [0, q2, q1, q0], [0, 0, q2, q1]]
    np.testing.assert_array_equal(mat(ca.conv(Q, "same"), (4,)), want)


def test_matrix_transposed_conv_dsp_view():
    q0, q1, q2 = Q
    want = [[q1, 0], [q2, q0], [0, q1], [0, q2]]
    np.testing.assert_array_equal(mat(ca.conv(Q, "same") @ ca.up(2), (2,)), want)


def test_matrix_of_composition_is_product(rng):
    a, b = ca.down(2) @ ca.corr(rand(rng, (3,)), "full"), ca.pad((1, 2), "reflect")
    np.testing.assert_allclose(mat(a @ b, (5,)), mat(a, (8,)) @ mat(b, (5,)), atol=1e-13)
    s = ca.corr(rand(rng, (2,)), "same") + 3.0 * ca.identity()
    np.testing.assert_allclose(mat(s, (4,)), mat(s.left, (4,)) + 3 * np.eye(4), atol=1e-13)


def test_matrix_matches_application_nd(rng):
    op = ca.down((2, 1)) @ ca.corr(rand(rng, (2, 3, 2, 2)), "same", ndim=2)
    x = rand(rng, (3, 4, 3))
    m = mat(op, x.shape)
    np.testing.assert_allclose(m @ x.ravel(), np.asarray(op(x)).ravel(), atol=1e-12)


def test_matrix_refuses_large():
    with pytest.raises(ValueError, match="above max_entries"):
        ca.matrix(ca.identity(), jax.ShapeDtypeStruct((4096,), np.float32))
    with pytest.raises(ValueError, match="max_entries=10"):
        ca.matrix(ca.identity(), jnp.zeros(4), max_entries=10)


def test_identities_of_the_dsp_view(rng):
    x, q = rand(rng, (3, 10)), rand(rng, (3,))
    # strided conv = ↓2 (q ⋆ x) = every other output of the correlation
    np.testing.assert_allclose((ca.down(2) @ ca.corr(q))(x), ca.corr(q)(x)[:, ::2])
    # nearest-neighbour upsampling = (1 1) * (↑2 x)
    near = ca.conv([1.0, 1.0], "same") @ ca.up(2)
    np.testing.assert_allclose(near(x), np.repeat(x, 2, axis=-1), atol=1e-14)
    # (1 1) * q = (q0, q0+q1, q1+q2, q2)
    np.testing.assert_allclose(ca.conv([1.0, 1.0])(q), [q[0], q[0] + q[1], q[1] + q[2], q[2]])
    # nearest ↑2 then q equals one transposed conv with the 4-tap kernel (1 1) * q
    fused = ca.conv(ca.conv([1.0, 1.0])(q)) @ ca.up(2)
    np.testing.assert_allclose((ca.conv(q) @ ca.conv([1.0, 1.0]) @ ca.up(2))(x), fused(x))
    # dilated conv = (↑2 q) ⋆ x, the trailing zero of ↑2 q cropped: lax's rhs_dilation
    dil = (ca.crop((0, 1)) @ ca.up(2))(q)
    want = jax.lax.conv_general_dilated(x[:, None], q[None, None], (1,), "VALID", rhs_dilation=(2,))
    np.testing.assert_allclose(ca.corr(dil, "valid")(x), want[:, 0], atol=1e-13)


def test_composition_algebra_laws(rng):
    x = rand(rng, (2, 9))
    a, b, c = ca.corr(rand(rng, (3,))), ca.down(2), ca.pad((1, 1), "edge")
    np.testing.assert_allclose(((b @ a) @ c)(x), (b @ (a @ c))(x), atol=1e-13)
    np.testing.assert_allclose((a + a)(x), (2 * a)(x), atol=1e-13)
    np.testing.assert_allclose((a - a)(x), np.zeros((2, 11)), atol=1e-13)
    np.testing.assert_allclose((-a)(x), -np.asarray(a(x)), atol=1e-13)
    np.testing.assert_allclose((a * 0.5)(x), 0.5 * np.asarray(a(x)), atol=1e-13)
    np.testing.assert_allclose((ca.identity() @ a)(x), a(x))


def test_notation_and_repr():
    q = np.ones(3)
    assert (ca.down(2) @ ca.corr(q)).notation() == "↓2 (q ⋆ x)"
    assert (ca.conv(q) @ ca.up(2)).notation() == "q * (↑2 x)"
    assert ca.notation(ca.down(2, phase=1)) == "↓2¹ x"
    assert repr(ca.down(2) @ ca.conv(q, "same")) == "down(2) @ conv(q(3,), 'same')"


def test_compose_channel_mismatch_raises_before_tracing():
    a = ca.corr(np.ones((4, 3, 3)), ndim=1)  # 3 -> 4 channels
    b = ca.corr(np.ones((5, 2, 3)), ndim=1)  # 2 -> 5 channels
    with pytest.raises(ValueError, match=r"channel mismatch.*produces 5 channels.*expects 3"):
        a @ b
    a @ ca.corr(np.ones((3, 2, 3)), ndim=1)  # 2 -> 3 -> 4 is fine


def test_apply_mismatch_names_both_operators():
    op = ca.corr(np.ones(5), "valid") @ ca.down(2)
    with pytest.raises(ValueError, match=r"compose: corr\(q\(5,\), 'valid'\).*down\(2\).*\(6,\)"):
        op(jnp.zeros(6))
    s = ca.down(2) + ca.identity()
    with pytest.raises(ValueError, match=r"add: A \+ B needs equal output shapes"):
        s(jnp.zeros(6))


def test_bound_shape_checks():
    a = ca.down(2).on(jnp.zeros(8))
    with pytest.raises(ValueError, match=r"bound to inputs of shape \(8,\)"):
        a(jnp.zeros(7))
    with pytest.raises(ValueError, match="shape mismatch"):
        ca.identity().on(jnp.zeros(5)) @ a
    with pytest.raises(TypeError, match="compose"):
        ca.down(2) @ jnp.zeros(3)
    with pytest.raises(TypeError, match="compose with A @ B"):
        ca.down(2) * ca.up(2)
    with pytest.raises(TypeError, match="scalar"):
        jnp.ones(3) * ca.up(2)


def test_pytree_jit_vmap_grad_no_retrace(rng):
    x = jnp.asarray(rand(rng, (2, 12)))
    traces = []

    @jax.jit
    def apply(op, x):
        traces.append(1)
        return op(x)

    op1 = ca.down(2) @ ca.corr(jnp.asarray(rand(rng, (3,))), "same")
    op2 = ca.down(2) @ ca.corr(jnp.asarray(rand(rng, (3,))), "same")
    np.testing.assert_allclose(apply(op1, x), op1(x), atol=1e-13)
    np.testing.assert_allclose(apply(op2, x), op2(x), atol=1e-13)
    assert len(traces) == 1  # new kernel values, same structure: no retrace
    apply(ca.down(3) @ op1.inner, x)
    assert len(traces) == 2  # a new factor is new structure

    leaves = jax.tree_util.tree_leaves(op1)
    assert len(leaves) == 1 and leaves[0].shape == (3,)

    qs = jnp.asarray(rand(rng, (4, 3)))
    batched = jax.vmap(lambda q: ca.corr(q)(x))(qs)
    chex.assert_shape(batched, (4, 2, 14))
    np.testing.assert_allclose(batched[2], ca.corr(qs[2])(x), atol=1e-13)

    def loss(op):
        return jnp.sum(op(x) ** 2)

    g = jax.grad(loss)(op1)
    chex.assert_trees_all_equal_structs(g, op1)  # the gradient is an operator like op1
    eps = 1e-6
    e0 = jnp.zeros(3).at[0].set(eps)
    fd = (loss(ca.down(2) @ ca.corr(op1.inner.kernel + e0, "same")) - loss(op1)) / eps
    np.testing.assert_allclose(g.inner.kernel[0], fd, rtol=1e-4)


def test_check_grads_for_kernels(rng):
    x = jnp.asarray(rand(rng, (2, 3, 9)))
    w = jnp.asarray(rand(rng, (4, 3, 3)))

    def f(w):
        return (ca.down(2) @ ca.conv(w, "same", ndim=1))(x)

    jax.test_util.check_grads(f, (w,), order=2, modes=("fwd", "rev"))
    jax.test_util.check_grads(
        lambda w: ca.transpose(ca.corr(w, "valid", ndim=1), x)(jnp.ones((2, 4, 7))),
        (w,),
        order=1,
        modes=("rev",),
    )
