"""``data_format="channels_last"`` on every ``nn`` layer, and the rational ``interpolate_op``.

Each layer, given ``(N, *S, C)`` data, must equal PyTorch on the channels-first permutation, in
values, indices and input gradients (the oracle is PyTorch's autograd on the permuted input).
The operator forms must equal the channels-first operators on moved axes, transposes included.
``interpolate_op`` (the ``↓Q crop(h * (↑P pad_edge(x)))`` form of rational scales) is checked
against PyTorch and its dense matrix against the Jacobian of :func:`convalgebra.nn.interpolate`.
The default run draws one configuration per layer; the full grid (1-, 2-, 3-D) is ``slow``.
"""

from __future__ import annotations

import random
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import fast_jit

import convalgebra as ca

torch = pytest.importorskip("torch", reason="PyTorch (the 'test' extra) is not installed")
F = torch.nn.functional

pytestmark = pytest.mark.usefixtures("quick_compiles")


def _last(a):
    return np.moveaxis(np.asarray(a), 1, -1)


def _fn(name, nd):
    return getattr(F, f"{name}{nd}d")


# ---- one configuration per (layer, nd): ours(x_last) and theirs(x_first) -------------------------
def _case(kind: str, nd: int, seed: int):
    """``(ours, theirs, x_shape)``: ``ours`` takes channels-last data, ``theirs`` PyTorch's."""
    r = random.Random(seed)
    size = tuple(r.randint(4, 7 if nd < 3 else 5) for _ in range(nd))
    n, c = r.choice((1, 2)), r.choice((2, 4))
    x_shape = (n, c, *size)
    rng = np.random.default_rng(seed)
    cl = {"data_format": "channels_last"}
    if kind == "conv":
        g = r.choice((1, 2))
        s, p, d = r.randint(1, 2), r.randint(0, 1), r.randint(1, 2)
        w = rng.standard_normal((4, c // g, *(r.randint(1, 4 - d) for _ in range(nd))))
        b = rng.standard_normal(4)

        def ours(x):
            return ca.nn.conv(x, w, b, s, p, d, g, **cl)

        def theirs(x):
            return _fn("conv", nd)(x, torch.tensor(w), torch.tensor(b), s, p, d, g)

    elif kind == "conv_transpose":
        g = r.choice((1, 2))
        w = rng.standard_normal((c, 4 // g, *(r.randint(1, 3) for _ in range(nd))))
        s, p = r.randint(1, 3), r.randint(0, 1)
        o = r.randint(0, s - 1)

        def ours(x):
            return ca.nn.conv_transpose(x, w, None, s, p, o, g, **cl)

        def theirs(x):
            return _fn("conv_transpose", nd)(x, torch.tensor(w), None, s, p, o, g)

    elif kind == "avg_pool":
        k = r.randint(2, 3)
        s, p = r.randint(1, 2), r.randint(0, k // 2)
        ceil, inc = r.random() < 0.5, r.random() < 0.5

        def ours(x):
            return ca.nn.avg_pool(x, k, s, p, ceil, inc, **cl)

        def theirs(x):
            return _fn("avg_pool", nd)(x, k, s, p, ceil, inc)

    elif kind in ("max_pool", "max_pool_indices"):
        k, s, d = 2, r.randint(1, 2), r.randint(1, 2)
        p = r.randint(0, 1)
        ri = kind == "max_pool_indices"

        def ours(x):
            return ca.nn.max_pool(x, k, s, p, d, False, ri, **cl)

        def theirs(x):
            return _fn("max_pool", nd)(x, k, s, p, d, False, ri)

    elif kind == "max_unpool":
        k = 2

        def ours(x):
            y, i = ca.nn.max_pool(x, k, return_indices=True, **cl)
            return ca.nn.max_unpool(y, i, k, output_size=x.shape[1:-1], **cl)

        def theirs(x):
            y, i = _fn("max_pool", nd)(x, k, return_indices=True)
            return _fn("max_unpool", nd)(y, i, k, output_size=x.shape[2:])

    elif kind in ("adaptive_avg_pool", "adaptive_max_pool"):
        out = tuple(r.randint(1, m) for m in size)
        ri = kind == "adaptive_max_pool" and r.random() < 0.5

        def ours(x):
            f = getattr(ca.nn, kind)
            return f(x, out, ri, **cl) if kind == "adaptive_max_pool" else f(x, out, **cl)

        def theirs(x):
            f = _fn(kind, nd)
            return f(x, out, ri) if kind == "adaptive_max_pool" else f(x, out)

    elif kind == "interpolate":
        mode = r.choice(
            ("nearest", "nearest-exact", "area", ("linear", "bilinear", "trilinear")[nd - 1])
            + (("bicubic",) if nd == 2 else ())
        )
        fs = tuple(r.choice((1.5, 0.75, 3, Fraction(5, 3), 2.5)) for _ in range(nd))
        kw: dict = {"scale_factor": fs}
        if mode in ("linear", "bilinear", "trilinear", "bicubic"):
            kw["align_corners"] = r.random() < 0.5

        def ours(x):
            return ca.nn.interpolate(x, mode=mode, **kw, **cl)

        tkw = dict(kw, scale_factor=tuple(float(f) for f in fs))

        def theirs(x):
            return F.interpolate(x, mode=mode, **tkw)

    elif kind in ("upsample_nearest", "upsample_linear"):
        k = tuple(r.randint(2, 3) for _ in range(nd))
        mode = (
            "nearest" if kind == "upsample_nearest" else ("linear", "bilinear", "trilinear")[nd - 1]
        )

        def ours(x):
            if kind == "upsample_nearest":
                return ca.nn.upsample_nearest(x, scale_factor=k, **cl)
            return ca.nn.upsample_linear(x, k, **cl)

        def theirs(x):
            return F.interpolate(x, scale_factor=k, mode=mode)

    elif kind == "upsample_conv_fused":
        g = r.choice((1, 2))
        kk = r.randint(1, 3)
        w = rng.standard_normal((4, c // g, *(kk,) * nd))
        f, p = r.randint(2, 3), r.randint(0, kk - 1)

        def ours(x):
            return ca.nn.upsample_conv_fused(w, f, p, g, **cl)(x)

        def theirs(x):
            up = F.interpolate(x, scale_factor=f, mode="nearest")
            return _fn("conv", nd)(up, torch.tensor(w), None, 1, p, 1, g)

    else:  # pragma: no cover
        raise AssertionError(kind)
    return ours, theirs, x_shape


KINDS = (
    "conv", "conv_transpose", "avg_pool", "max_pool", "max_pool_indices", "max_unpool",
    "adaptive_avg_pool", "adaptive_max_pool", "interpolate", "upsample_nearest",
    "upsample_linear", "upsample_conv_fused",
)  # fmt: skip
QUICK = [(k, 1 + i % 3, 100 + i) for i, k in enumerate(KINDS)]
GRID = [(k, nd, 1000 + 10 * i + nd) for i, k in enumerate(KINDS) for nd in (1, 2, 3)] + [
    (k, nd, 2000 + 10 * i + nd) for i, k in enumerate(KINDS) for nd in (1, 2, 3)
]


def _check(kind, nd, seed):
    ours, theirs, x_shape = _case(kind, nd, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    xt = torch.tensor(x, requires_grad=True)
    out = theirs(xt)
    idx = None
    if isinstance(out, tuple):
        out, idx = out
    ct = rng.standard_normal(tuple(out.shape))
    (out * torch.tensor(ct)).sum().backward()

    def split(v):
        y = ours(v)
        return (y[0], y[1]) if isinstance(y, tuple) else (y, None)

    @fast_jit  # one compilation for the forward and its VJP
    def run(v, w):
        y, vjp, got_idx = jax.vjp(split, v, has_aux=True)
        return y, got_idx, vjp(w)[0]

    got, got_idx, grad = run(jnp.asarray(_last(x)), jnp.asarray(_last(ct)))
    if idx is not None:
        np.testing.assert_array_equal(got_idx, _last(idx.numpy()))
    np.testing.assert_allclose(got, _last(out.detach().numpy()), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad, _last(xt.grad.numpy()), rtol=1e-10, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("kind, nd, seed", QUICK, ids=[f"{k}-{nd}d" for k, nd, _ in QUICK])
def test_channels_last_matches_torch(kind, nd, seed):
    _check(kind, nd, seed)


@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("kind, nd, seed", GRID, ids=[f"{k}-{nd}d-{s}" for k, nd, s in GRID])
def test_channels_last_matches_torch_grid(kind, nd, seed):
    _check(kind, nd, seed)


# ---- operator forms ------------------------------------------------------------------------------
def _op_pairs():
    """``(name, channels-first operator, channels-last operator, channels-first input shape)``."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((3, 2, 3, 2))
    wt = rng.standard_normal((2, 3, 3, 2))
    nn = ca.nn
    makers = {
        "conv_op": lambda f: nn.conv_op(w, 2, 1, data_format=f),
        "conv_transpose_op": lambda f: nn.conv_transpose_op(wt, 2, 1, 1, data_format=f),
        "avg_pool_op": lambda f: nn.avg_pool_op(2, ndim=2, data_format=f),
        "max_pool_op": lambda f: nn.max_pool_op((2, 3), 1, data_format=f),
        "upsample_nearest_op": lambda f: nn.upsample_nearest_op(2, 2, data_format=f),
        "upsample_linear_op": lambda f: nn.upsample_linear_op((2, 3), data_format=f),
        "upsample_conv_fused": lambda f: nn.upsample_conv_fused(w, 2, 1, data_format=f),
        "interpolate_op": lambda f: nn.interpolate_op(
            None, 1.5, "nearest", in_size=(7, 6), data_format=f
        ),
    }
    return [
        (name, make("channels_first"), make("channels_last"), (2, 2, 7, 6))
        for name, make in makers.items()
    ]


_QUICK_OPS = ("conv_op", "max_pool_op", "interpolate_op")


@pytest.mark.parametrize("quick", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_operator_forms_channels_last(quick):
    """``A_last(x_last) = (A x)_last`` and ``A_lastᵀ(y_last) = (Aᵀ y)_last`` (linear ones)."""
    rng = np.random.default_rng(3)
    for name, first, last, shape in _op_pairs():
        if quick != (name in _QUICK_OPS):
            continue
        x = rng.standard_normal(shape)
        y = np.asarray(first(jnp.asarray(x)))
        np.testing.assert_allclose(last(jnp.asarray(_last(x))), _last(y), atol=1e-12, err_msg=name)
        if name == "max_pool_op":
            continue
        ct = rng.standard_normal(y.shape)
        at_first = ca.transpose(first, jax.ShapeDtypeStruct(shape, jnp.float64))
        at_last = ca.transpose(last, jax.ShapeDtypeStruct(_last(x).shape, jnp.float64))
        np.testing.assert_allclose(
            at_last(jnp.asarray(_last(ct))), _last(at_first(jnp.asarray(ct))), atol=1e-12,
            err_msg=name,
        )  # fmt: skip


# ---- modules -------------------------------------------------------------------------------------
def test_flax_upsample_data_formats():
    """The Flax ``Upsample`` is channels-last by default (Flax's layout); ``data_format=
    "channels_first"`` gives PyTorch's. (The convolution modules are tested against Flax's and
    Equinox's own layers in test_native_modules.py.)"""
    cnn = pytest.importorskip("convalgebra.nn.flax", reason="Flax (the 'flax' extra) is missing")
    x = np.random.default_rng(5).standard_normal((2, 4, 6, 5)).astype(np.float32)
    first = cnn.Upsample(scale_factor=1.5, mode="bilinear", data_format="channels_first")
    last = cnn.Upsample(scale_factor=1.5, mode="bilinear")
    want = np.asarray(ca.nn.interpolate(x, scale_factor=1.5, mode="bilinear"))
    np.testing.assert_allclose(first(jnp.asarray(x)), want, atol=1e-6)
    np.testing.assert_allclose(last(jnp.asarray(_last(x))), _last(want), atol=1e-6)


# ---- interpolate_op: the rational resampler ------------------------------------------------------
_RATIONAL = [
    # (in_size, kwargs, mode): scales p/q with q > 1 (up and down), size=, align_corners
    ((5,), {"scale_factor": 1.5}, "linear"),
]
_RATIONAL_SLOW = [
    ((9,), {"scale_factor": Fraction(2, 3)}, "nearest"),
    ((7,), {"scale_factor": 1.5}, "nearest"),
    ((6,), {"scale_factor": 2.5}, "nearest-exact"),
    ((8,), {"scale_factor": 0.75}, "nearest-exact"),
    ((9,), {"size": 6}, "linear"),
    ((5,), {"size": 7, "align_corners": True}, "linear"),
    ((5, 4), {"scale_factor": (Fraction(5, 3), 0.75)}, "bilinear"),
    ((4, 6), {"scale_factor": (2.5, Fraction(2, 3)), "align_corners": True}, "bilinear"),
    ((5, 4), {"scale_factor": 1.5}, "bicubic"),
    ((4, 6), {"size": (7, 4), "align_corners": True}, "bicubic"),
    ((3, 4, 3), {"scale_factor": (1.5, 0.75, Fraction(5, 3))}, "trilinear"),
]


_RATIONAL_ALL = _RATIONAL + [pytest.param(*c, marks=pytest.mark.slow) for c in _RATIONAL_SLOW]


@pytest.mark.torch
@pytest.mark.parametrize(
    "in_size, kw, mode", _RATIONAL_ALL, ids=[f"{m}-{s}" for s, _, m in _RATIONAL + _RATIONAL_SLOW]
)
def test_interpolate_op_matches_torch_and_its_matrix(in_size, kw, mode):
    """The operator equals PyTorch (values and input gradient), is a ↓ h ↑ composition (no
    gather), and ``ca.matrix`` of it and of its transpose are the Jacobian of ``interpolate``
    and its transpose."""
    rng = np.random.default_rng(len(in_size) * 10 + len(mode))
    a = ca.nn.interpolate_op(mode=mode, **kw, in_size=in_size)
    assert "↓" in ca.notation(a) or "↑" in ca.notation(a)
    x = rng.standard_normal((2, 3, *in_size))
    xt = torch.tensor(x, requires_grad=True)
    tkw = dict(kw)
    if "scale_factor" in tkw:
        sf = tkw["scale_factor"]
        tkw["scale_factor"] = tuple(map(float, sf)) if isinstance(sf, tuple) else float(sf)
    ref = F.interpolate(xt, mode=mode, **tkw)
    ct = rng.standard_normal(tuple(ref.shape))
    (ref * torch.tensor(ct)).sum().backward()
    got = a(jnp.asarray(x))
    np.testing.assert_allclose(got, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    _, vjp = jax.vjp(a, jnp.asarray(x))
    np.testing.assert_allclose(vjp(jnp.asarray(ct))[0], xt.grad.numpy(), rtol=1e-10, atol=1e-10)

    like = jax.ShapeDtypeStruct(in_size, jnp.float64)
    m = np.asarray(ca.matrix(a, like))
    jac = jax.jacobian(lambda v: ca.nn.interpolate(v[None, None], mode=mode, **kw)[0, 0])(
        jnp.zeros(in_size)
    )
    out_size = jac.shape[: len(in_size)]
    np.testing.assert_allclose(m, np.asarray(jac).reshape(int(np.prod(out_size)), -1), atol=1e-12)
    at = ca.transpose(a, like)
    mt = np.asarray(ca.matrix(at, jax.ShapeDtypeStruct(out_size, jnp.float64)))
    np.testing.assert_allclose(mt, m.T, atol=1e-12)
    assert "gather" not in str(jax.make_jaxpr(a)(jnp.asarray(x)))


def test_interpolate_op_refuses_what_it_cannot_express():
    with pytest.raises(ValueError, match=r"interpolate_op: mode='area'.*not a rational resampler"):
        ca.nn.interpolate_op(size=3, mode="area", in_size=7)
    with pytest.raises(ValueError, match=r"interpolate_op: .*p, q <= 32"):
        ca.nn.interpolate_op(size=37, in_size=5)  # p = 37
    with pytest.raises(ValueError, match="interpolate_op: give exactly one of size"):
        ca.nn.interpolate_op(in_size=5)
    # area with divisible sizes is avg_pool; an integer factor the polyphase up-sampler
    assert ca.notation(ca.nn.interpolate_op(size=4, mode="area", in_size=8)).startswith("0.5")
    assert "↑2" in ca.notation(ca.nn.interpolate_op(scale_factor=2, in_size=4))


# ---- bad data_format -----------------------------------------------------------------------------
X3 = jnp.ones((1, 2, 4, 4))
W = jnp.ones((2, 2, 3, 3))
_BAD = [
    ("conv", lambda f: ca.nn.conv(X3, W, data_format=f)),
    ("conv_op", lambda f: ca.nn.conv_op(W, data_format=f)),
    ("conv_transpose", lambda f: ca.nn.conv_transpose(X3, W, data_format=f)),
    ("conv_transpose_op", lambda f: ca.nn.conv_transpose_op(W, data_format=f)),
    ("avg_pool", lambda f: ca.nn.avg_pool(X3, 2, data_format=f)),
    ("avg_pool_op", lambda f: ca.nn.avg_pool_op(2, ndim=2, data_format=f)),
    ("max_pool", lambda f: ca.nn.max_pool(X3, 2, data_format=f)),
    ("max_pool_op", lambda f: ca.nn.max_pool_op(2, ndim=2, data_format=f)),
    ("max_unpool", lambda f: ca.nn.max_unpool(X3, X3.astype(int), 2, data_format=f)),
    ("adaptive_avg_pool", lambda f: ca.nn.adaptive_avg_pool(X3, 2, data_format=f)),
    ("adaptive_max_pool", lambda f: ca.nn.adaptive_max_pool(X3, 2, data_format=f)),
    ("interpolate", lambda f: ca.nn.interpolate(X3, 2, data_format=f)),
    ("interpolate_op", lambda f: ca.nn.interpolate_op(2, in_size=(4, 4), data_format=f)),
    ("upsample_nearest", lambda f: ca.nn.upsample_nearest(X3, 2, data_format=f)),
    ("upsample_bilinear", lambda f: ca.nn.upsample_bilinear(X3, 2, data_format=f)),
    ("upsample_linear_op", lambda f: ca.nn.upsample_linear_op(2, data_format=f)),
    ("upsample_conv_fused", lambda f: ca.nn.upsample_conv_fused(W, 2, data_format=f)),
]


@pytest.mark.parametrize("name, call", _BAD, ids=[n for n, _ in _BAD])
def test_bad_data_format(name, call):
    with pytest.raises(ValueError, match=f"^{name}: data_format must be one of .*'NHWC'$"):
        call("NHWC")


def test_channels_last_input_without_channel_axis():
    with pytest.raises(
        ValueError, match=r"max_pool: channels-last input must be \(\.\.\., \*S, C\)"
    ):
        ca.nn.max_pool(jnp.ones((4, 4)), (2, 2), data_format="channels_last")
    with pytest.raises(ValueError, match=r"^max_unpool: indices must have the input's shape"):
        ca.nn.max_unpool(
            jnp.ones((1, 2, 2, 3)), jnp.zeros((1, 3, 2, 2), int), 2, data_format="channels_last"
        )
