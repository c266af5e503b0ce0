"""convalgebra.nn: the algebra's identities, TensorFlow and lax oracles, up-sampling, pooling.

The conv/conv_transpose grid against PyTorch is in test_nn_torch.py; argument handling in
test_nn_args.py. Shapes are tiny and each check is one jitted function: compile time dominates.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import fast_jit
from jax import lax

import convalgebra as ca

torch = pytest.importorskip("torch")
F = torch.nn.functional


pytestmark = pytest.mark.usefixtures("quick_compiles")


def randn(rng, *shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def close(a, b, tol=1e-11):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * (1 + np.max(np.abs(b), initial=0)))


def t(a):
    return torch.tensor(np.asarray(a))


# ---- transposed convolution: TensorFlow, lax and the algebra ------------------------------------
def test_tensorflow_conv2d_transpose_same_vector():
    """tf.nn.conv2d_transpose(x, ones(3, 3), strides=2, padding="SAME"), x = [[1, 2], [3, 4]]."""
    x = jnp.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = ca.nn.conv_transpose(x, jnp.ones((1, 1, 3, 3)), stride=2, padding="same")
    want = [[1, 1, 3, 2], [1, 1, 3, 2], [4, 4, 10, 6], [3, 3, 7, 4]]
    np.testing.assert_array_equal(np.asarray(y)[0, 0], np.array(want, np.float64))


LAX_CASES = [
    # nd, n, k, stride, dilation, padding ("SAME", "VALID" or explicit (lo, hi) per axis)
    (1, 5, 3, 2, 1, "SAME"),
    (1, 4, 4, 2, 1, "VALID"),
    (1, 6, 2, 3, 1, "SAME"),
    (1, 5, 1, 3, 1, "VALID"),
    (1, 5, 3, 2, 2, "SAME"),
    (1, 5, 3, 2, 1, ((1, 0),)),
    (2, (4, 3), (3, 2), (2, 3), (1, 2), "SAME"),
    (2, (3, 4), (4, 3), (2, 1), (1, 1), "VALID"),
    (2, (3, 3), (3, 3), (2, 2), (1, 1), ((1, 1), (0, 2))),
    (3, (2, 3, 2), (2, 3, 1), (2, 1, 2), (1, 1, 2), "SAME"),
]


@pytest.mark.parametrize("case", LAX_CASES)
def test_matches_lax_conv_transpose(rng, case):
    nd, n, k, s, d, pad = case
    per = lambda v: tuple(v) if isinstance(v, tuple) else (v,) * nd  # noqa: E731
    n, k, s, d = per(n), per(k), per(s), per(d)
    x, w = randn(rng, 2, 3, *n), randn(rng, 3, 2, *k)  # w: (C_in, C_out, *K)
    spec = "DHW"[-nd:]
    if isinstance(pad, str):
        lax_pad = pad
    else:  # lax pads the zero-inserted input: (k_eff - 1 - lo, k_eff - 1 - hi)
        k_eff = [di * (ki - 1) + 1 for ki, di in zip(k, d)]
        lax_pad = [(ke - 1 - lo, ke - 1 - hi) for ke, (lo, hi) in zip(k_eff, pad)]

    @fast_jit
    def both(x, w):
        ref = lax.conv_transpose(
            x,
            w,
            s,
            lax_pad,
            rhs_dilation=d,
            transpose_kernel=True,
            dimension_numbers=("NC" + spec, "OI" + spec, "NC" + spec),
        )
        return ref, ca.nn.conv_transpose(x, w, stride=s, padding=pad, dilation=d)

    ref, got = both(x, w)
    close(got, ref)


TRANSPOSE_CASES = [
    # nd, in size N of the conv, kernel, stride, padding, dilation, groups
    (1, 7, 3, 2, 1, 1, 1),
    (1, 8, 3, 2, 1, 1, 1),
    (1, 9, 2, 3, 0, 2, 2),
    (2, (6, 7), (3, 2), (2, 3), (1, 0), (1, 2), 1),
    (2, (5, 5), 3, 2, 1, 1, 2),
    (3, (4, 5, 3), (2, 3, 1), (2, 1, 2), (0, 1, 0), 1, 1),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_transpose_of_conv_op_is_conv_transpose(rng, case):
    """The point of the name: ca.transpose(conv_op(w)) == conv_transpose(·, w), the same w."""
    nd, n, k, s, p, d, g = case
    per = lambda v: tuple(v) if isinstance(v, tuple) else (v,) * nd  # noqa: E731
    n, k, s, p, d = map(per, (n, k, s, p, d))
    c_in, c_out = 2 * g, 3 * g
    w = randn(rng, c_out, c_in // g, *k)
    a = ca.nn.conv_op(w, stride=s, padding=p, dilation=d, groups=g)
    x_like = jax.ShapeDtypeStruct((2, c_in, *n), np.float64)
    y = randn(rng, *a.out_struct(x_like).shape)
    # the conv maps N and N + 1 to the same size; output_padding says which one to go back to
    k_eff = [di * (ki - 1) + 1 for ki, di in zip(k, d)]
    op = tuple((ni + 2 * pi - ke) % si for ni, pi, ke, si in zip(n, p, k_eff, s))

    @fast_jit
    def both(y, w):
        a = ca.nn.conv_op(w, stride=s, padding=p, dilation=d, groups=g)
        got = ca.transpose(a, x_like)(y)
        return got, ca.nn.conv_transpose(y, w, None, s, p, op, g, d)

    got, want = both(y, w)
    assert got.shape == x_like.shape
    close(got, want)


@pytest.mark.parametrize(
    "padding,output_padding", [("same", 0), ("valid", 0), (1, 1), (((0, 2),), 0)]
)
def test_transpose_of_conv_gives_conv_transpose_op(rng, padding, output_padding):
    w = randn(rng, 4, 1, 3)  # groups=2: C_in 4 -> C_out 2
    a = ca.nn.transpose_of_conv(w, 2, padding, output_padding, 2, 2)
    direct_op = ca.nn.conv_transpose_op(w, 2, padding, output_padding, 2, 2)
    x = randn(rng, 2, 4, 5)
    y_like = direct_op.out_struct(jax.ShapeDtypeStruct(x.shape, np.float64))

    @fast_jit
    def both(x):
        return ca.transpose(a, y_like)(x), direct_op(x)

    derived, direct = both(x)
    close(derived, direct)
    # channels-last: the same operator on (N, *S, C)
    last = ca.nn.transpose_of_conv(w, 2, padding, output_padding, 2, 2, data_format="channels_last")
    y_last = jax.ShapeDtypeStruct((2, y_like.shape[2], 2), np.float64)
    got = fast_jit(lambda x: ca.transpose(last, y_last)(x))(np.swapaxes(x, 1, 2))
    close(np.swapaxes(np.asarray(got), 1, 2), direct)


def test_dot_product_tests():
    x2 = jax.ShapeDtypeStruct((2, 4, 7, 6), np.float64)
    w = np.random.default_rng(1).standard_normal((6, 2, 3, 2))
    ops = [
        (ca.nn.conv_op(w, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), x2),
        (ca.nn.conv_op(w, padding="same", groups=2, padding_mode="reflect"), x2),
        (ca.nn.conv_transpose_op(np.ones((4, 3, 3, 2)), 2, 1, 1, 2), x2),
        (
            ca.nn.avg_pool_op(
                3, 2, 1, ceil_mode=True, count_include_pad=False, ndim=2, in_size=(7, 6)
            ),
            x2,
        ),
        (ca.nn.upsample_nearest_op((2, 3)), x2),
        (ca.nn.upsample_linear_op((3, 2)), x2),
        (ca.nn.upsample_conv_fused(w, 2, padding=1, groups=2), x2),
    ]
    rng = np.random.default_rng(2)
    xs = [randn(rng, *s.shape) for _, s in ops]
    ys = [randn(rng, *a.out_struct(s).shape) for a, s in ops]

    @fast_jit
    def dots(xs, ys):  # <A x, y> and <x, Aᵀ y>, Aᵀ derived by ca.transpose
        return [
            (jnp.vdot(a(x), y), jnp.vdot(x, ca.transpose(a, s)(y)))
            for (a, s), x, y in zip(ops, xs, ys)
        ]

    for (a, _), (lhs, rhs) in zip(ops, dots(xs, ys)):
        assert abs(lhs - rhs) <= 1e-12 * (1 + abs(lhs)), a


def test_operators_compose_and_differentiate(rng):
    x = randn(rng, 2, 3, 8)
    w1, w2 = randn(rng, 4, 3, 3), randn(rng, 4, 2, 4)
    encode = ca.nn.conv_op(w1, stride=2, padding=1)
    decode = ca.nn.conv_transpose_op(w2, stride=2, padding=1)
    assert ca.notation(encode) == "↓2 (q ⋆[valid] (pad[(1, 1)] x))"
    assert ca.notation(decode) == "crop[(1, 2)] (q * (↑2 x))"

    @fast_jit
    def run(x, w1, w2):
        ae = ca.nn.conv_transpose_op(w2, stride=2, padding=1) @ ca.nn.conv_op(w1, 2, 1)
        seq = ca.nn.conv_transpose(ca.nn.conv(x, w1, None, 2, 1), w2, None, 2, 1)
        grad = jax.grad(lambda w: jnp.sum(ca.nn.conv_op(w, 2, 1)(x) ** 2))(w1)
        grad_ref = jax.grad(lambda w: jnp.sum(ca.nn.conv(x, w, None, 2, 1) ** 2))(w1)
        return ae(x), seq, grad, grad_ref

    ae, seq, grad, grad_ref = run(x, w1, w2)
    assert ae.shape == (2, 2, 8)
    close(ae, seq)
    close(grad, grad_ref)


def test_conv_op_same_with_in_size_and_unbatched_input(rng):
    x, w = randn(rng, 2, 2, 7, 6), randn(rng, 3, 2, 3, 4)

    @fast_jit
    def run(x, w):
        a = ca.nn.conv_op(w, stride=2, padding="same", in_size=(7, 6))
        return (
            a(x),
            ca.nn.conv(x, w, stride=2, padding="same"),
            ca.nn.conv(x[1], w, None, 2, "same"),
        )

    op, fn, unbatched = run(x, w)
    assert fn.shape == (2, 3, 4, 3)  # ceil(7 / 2), ceil(6 / 2)
    close(op, fn)
    close(unbatched, fn[1])


def test_dtypes_are_explicit(rng):
    x32, w32 = randn(rng, 1, 2, 6, dtype=np.float32), randn(rng, 3, 2, 3, dtype=np.float32)

    @fast_jit
    def run(x32, w32):
        return (
            ca.nn.conv(x32, w32),
            ca.nn.conv(x32, w32.astype(np.float64)),  # promoted explicitly: no strict error
            ca.nn.conv_transpose(x32[:, :, :3], jnp.swapaxes(w32, 0, 1)[:2], stride=2),
            ca.nn.upsample_linear(x32, 2),
            ca.nn.avg_pool(x32, 2),
            ca.nn.max_pool(x32, 2),
        )

    dts = [np.dtype(y.dtype) for y in run(x32, w32)]
    assert dts == [np.float32, np.float64] + [np.float32] * 4


def test_same_padding_equals_torch_same_at_stride_one(rng):
    """TensorFlow's rule (odd padding sample after) is PyTorch's "same" where both exist."""
    x, w = randn(rng, 2, 2, 7, 6), randn(rng, 3, 2, 4, 3)
    ref = F.conv2d(t(x), t(w), padding="same", dilation=(2, 1)).numpy()
    close(fast_jit(lambda x, w: ca.nn.conv(x, w, padding="same", dilation=(2, 1)))(x, w), ref)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_mode_matches_torch_modules(rng, mode):
    x, w, b = randn(rng, 2, 4, 6, 5), randn(rng, 6, 2, 3, 3), randn(rng, 6)
    conv = torch.nn.Conv2d(
        4,
        6,
        3,
        stride=(2, 1),
        padding=(2, 1),
        groups=2,
        bias=True,
        padding_mode=mode,
        dtype=torch.float64,
    )
    with torch.no_grad():
        conv.weight.copy_(t(w))
        conv.bias.copy_(t(b))
        ref = conv(t(x)).numpy()
    got = fast_jit(
        lambda x, w, b: ca.nn.conv(x, w, b, (2, 1), (2, 1), groups=2, padding_mode=mode)
    )(x, w, b)
    close(got, ref)


# ---- up-sampling ---------------------------------------------------------------------------------
UPSAMPLE_CASES = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (2, 2),
    (2, 3),
    (2, (2, 3)),
    (3, 2),
    (3, (1, 2, 3)),
]


@pytest.mark.parametrize("nd,factor", UPSAMPLE_CASES)
def test_upsampling_matches_torch_interpolate(rng, nd, factor):
    size = (5, 4, 3)[:nd]
    x = randn(rng, 2, 2, *size)
    scale = factor if isinstance(factor, tuple) else (factor,) * nd
    out = tuple(n * f for n, f in zip(size, scale))
    linear = ("linear", "bilinear", "trilinear")[nd - 1]
    ref_near = F.interpolate(t(x), size=out, mode="nearest").numpy()
    ref_lin = F.interpolate(t(x), size=out, mode=linear, align_corners=False).numpy()
    near, lin = fast_jit(
        lambda x: (ca.nn.upsample_nearest(x, scale_factor=factor), ca.nn.upsample_linear(x, factor))
    )(x)
    close(near, ref_near)
    close(lin, ref_lin)


def test_bilinear_gradient_matches_torch(rng):
    x, ct = randn(rng, 1, 2, 4, 3), randn(rng, 1, 2, 12, 6)
    xt = t(x).requires_grad_()
    (F.interpolate(xt, scale_factor=(3, 2), mode="bilinear") * t(ct)).sum().backward()
    got = fast_jit(jax.grad(lambda x: jnp.sum(ca.nn.upsample_linear(x, (3, 2)) * ct)))(x)
    close(got, xt.grad.numpy())


def test_bilinear_kernel_values():
    k2 = np.asarray(ca.nn.bilinear_kernel(2, 3))
    tri = np.array([0.25, 0.75, 0.75, 0.25])
    assert k2.shape == (3, 3, 4, 4)
    np.testing.assert_allclose(k2[1, 1], np.outer(tri, tri))
    assert not k2[0, 1].any() and not k2[2, 0].any()
    k3 = np.asarray(ca.nn.bilinear_kernel(3, 1, ndim=1, dtype=np.float32))
    assert k3.dtype == np.float32
    np.testing.assert_allclose(k3[0, 0], [1 / 3, 2 / 3, 1, 2 / 3, 1 / 3], rtol=1e-6)
    for f in (1, 2, 3, 4):
        w, t0 = ca.nn.triangle(f)
        np.testing.assert_allclose(w, np.asarray(ca.nn.bilinear_kernel(f, 1, 1))[0, 0])
        assert t0 == -(f // 2)


@pytest.mark.parametrize("nd,f", [(1, 2), (1, 3), (2, 2), (2, 4), (3, 3)])
def test_bilinear_kernel_transposed_conv_is_bilinear_inside(rng, nd, f):
    x = randn(rng, 1, 2, *(5, 4, 3)[:nd])
    w = ca.nn.bilinear_kernel(f, 2, nd, np.float64)
    deconv, interp = fast_jit(
        lambda x: (
            ca.nn.conv_transpose(x, w, stride=f, padding=f // 2),
            ca.nn.upsample_linear(x, f),
        )
    )(x)
    assert deconv.shape == interp.shape
    inner = (Ellipsis, *(slice(f, -f) for _ in range(nd)))
    close(deconv[inner], interp[inner])


FUSED_CASES = [
    # nd, factor, kernel, padding, groups
    (1, 2, 3, 1, 1),
    (1, 3, 2, 0, 2),
    (2, 2, 3, "same", 1),
    (2, (2, 3), (3, 2), ((2, 0), (1, 1)), 2),
    (3, 2, 3, 1, 1),
]


@pytest.mark.parametrize("nd,factor,k,padding,groups", FUSED_CASES)
def test_nearest_upsample_then_conv_is_one_transposed_conv(rng, nd, factor, k, padding, groups):
    x = randn(rng, 2, 2 * groups, *(4, 3, 3)[:nd])
    kk = k if isinstance(k, tuple) else (k,) * nd
    w = randn(rng, 3 * groups, 2, *kk)

    @fast_jit
    def both(x, w):
        up = ca.nn.upsample_nearest(x, scale_factor=factor)
        two_step = ca.nn.conv(up, w, padding=padding, groups=groups)
        return two_step, ca.nn.upsample_conv_fused(w, factor, padding, groups)(x)

    two_step, fused = both(x, w)
    close(fused, two_step)
    if nd == 2 and isinstance(padding, int):  # the same identity, inside PyTorch
        ker = np.asarray(ca.nn.upsample_conv_kernel(w, factor, groups))
        ref = F.conv_transpose2d(
            t(x), t(ker), stride=factor, padding=k - 1 - padding, groups=groups
        )
        close(fused, ref.numpy())


def test_fused_kernel_is_box_times_q():
    """(1 1) * (q0 q1 q2) = (q0, q0 + q1, q1 + q2, q2), flipped for PyTorch's conv_transpose."""
    q = np.array([[[1.0, 10.0, 100.0]]])
    fused = np.asarray(ca.nn.upsample_conv_kernel(q, 2))
    np.testing.assert_array_equal(fused[0, 0], [100.0, 110.0, 11.0, 1.0])


# ---- pooling -------------------------------------------------------------------------------------
def _pool_cases():
    cases = []
    for nd, (k, s, p), ceil, include in itertools.product(
        (1, 2, 3), [(2, None, 0), (3, 2, 1), (2, 3, 1), (3, 1, 0)], (False, True), (True, False)
    ):
        if nd == 3 and (include or ceil):
            continue  # keep 3-D to the main path
        cases.append((nd, k, s, p, ceil, include))
    return cases


POOL_CASES = _pool_cases()


@pytest.fixture(scope="module")
def avg_results():
    rng = np.random.default_rng(7)
    data, fns = [], []
    for nd, k, s, p, ceil, include in POOL_CASES:
        x = randn(rng, 2, 2, *(7, 6, 5)[:nd])
        div = 3 if (nd > 1 and ceil) else None  # avg_pool1d has no divisor_override
        pool = getattr(F, f"avg_pool{nd}d")
        kw = dict(ceil_mode=ceil, count_include_pad=include)
        if div is not None:
            kw["divisor_override"] = div
        xt = t(x).requires_grad_()
        y = pool(xt, k, s, p, **kw)
        ct = randn(rng, *y.shape)
        (y * t(ct)).sum().backward()
        data.append((x, ct, y.detach().numpy(), xt.grad.numpy()))
        fns.append(lambda x, k=k, s=s, p=p, kw=kw: ca.nn.avg_pool(x, k, s, p, **kw))

    @fast_jit
    def run(args):
        outs = []
        for f, (x, ct) in zip(fns, args):
            y, pull = jax.vjp(f, x)
            outs.append((y, *pull(ct)))
        return outs

    return data, run([(x, ct) for x, ct, _, _ in data])


@pytest.mark.parametrize("i", range(len(POOL_CASES)))
def test_avg_pool_matches_torch(avg_results, i):
    data, got = avg_results
    _, _, y, gx = data[i]
    close(got[i][0], y)
    close(got[i][1], gx)


def test_avg_pool_transpose_is_torch_backward(rng):
    """avg_pool is linear: its derived transpose is PyTorch's backward pass."""
    x, ct = randn(rng, 1, 2, 7, 6), randn(rng, 1, 2, 4, 4)
    xt = t(x).requires_grad_()
    (F.avg_pool2d(xt, 3, 2, 1, ceil_mode=True, count_include_pad=False) * t(ct)).sum().backward()
    a = ca.nn.avg_pool_op(3, 2, 1, True, False, ndim=2, in_size=(7, 6))
    got = fast_jit(lambda y: ca.transpose(a, jax.ShapeDtypeStruct(x.shape, np.float64))(y))(ct)
    close(got, xt.grad.numpy())


MAX_CASES = [
    # nd, kernel, stride, padding, dilation, ceil_mode
    (1, 2, None, 0, 1, False),
    (1, 3, 2, 1, 1, True),
    (1, 3, 1, 1, 2, False),
    (2, 2, None, 0, 1, False),
    (2, (3, 2), (2, 1), (1, 0), 1, True),
    (2, 3, 2, 1, (2, 1), False),
    (3, 2, 1, 0, 1, False),
    (3, (2, 3, 2), 2, (1, 1, 0), (1, 1, 2), True),
]


def test_max_pool_matches_torch_with_gradients():
    rng = np.random.default_rng(3)
    data, fns = [], []
    for nd, k, s, p, d, ceil in MAX_CASES:
        x = randn(rng, 2, 2, *(7, 6, 5)[:nd])
        xt = t(x).requires_grad_()
        y = getattr(F, f"max_pool{nd}d")(xt, k, s, p, d, ceil_mode=ceil)
        ct = randn(rng, *y.shape)
        (y * t(ct)).sum().backward()
        data.append((x, ct, y.detach().numpy(), xt.grad.numpy()))
        fns.append(lambda x, k=k, s=s, p=p, d=d, c=ceil: ca.nn.max_pool(x, k, s, p, d, c))

    @fast_jit
    def run(args):
        return [
            (f(x), jax.grad(lambda x, f=f, ct=ct: jnp.sum(f(x) * ct))(x))
            for f, (x, ct) in zip(fns, args)
        ]

    for (y, gx), (_, _, y_ref, gx_ref) in zip(run([(x, ct) for x, ct, _, _ in data]), data):
        close(y, y_ref)
        close(gx, gx_ref)


def test_max_pool_is_not_transposable():
    a = ca.nn.max_pool_op(2, ndim=1)
    assert isinstance(a, ca.nn.MaxPool) and a.kernel == (2,)  # the public node class
    assert ca.notation(a) == "↓2 max2 x"
    with pytest.raises(ValueError, match="not linear"):
        ca.transpose(a, jax.ShapeDtypeStruct((1, 2, 6), np.float64))
    with pytest.raises(ValueError, match="not linear"):
        ca.transpose(ca.nn.conv_op(np.ones((1, 1, 3))) @ a, jax.ShapeDtypeStruct((1, 1, 6), "f8"))


# ---- overlap -------------------------------------------------------------------------------------
def test_overlap_counts_writes():
    np.testing.assert_array_equal(ca.nn.overlap(4, 3, stride=2), [1, 1, 2, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(ca.nn.overlap(4, 4, stride=2, padding=1), [1] + [2] * 6 + [1])
    checker = np.asarray(ca.nn.overlap((4, 4), 3, stride=2, padding=1, output_padding=1))
    even = np.asarray(ca.nn.overlap((4, 4), 4, stride=2, padding=1))
    assert checker.shape == even.shape == (8, 8)
    assert set(np.unique(checker[1:-1, 1:-1])) == {1, 2, 4}  # the checkerboard
    assert set(np.unique(even[1:-1, 1:-1])) == {4}  # k divisible by s: uniform inside
    # Aᵀ 1 is the transposed convolution of ones with a kernel of ones
    ref = F.conv_transpose2d(
        torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), stride=2, padding=1, output_padding=1
    )
    np.testing.assert_array_equal(checker, ref[0, 0].numpy())
    dilated = np.asarray(ca.nn.overlap(3, 2, stride=1, dilation=2))
    np.testing.assert_array_equal(dilated, [1, 1, 2, 1, 1])
