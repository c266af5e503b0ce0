"""The layers of issue 13 against PyTorch CPU: values and every gradient, on seeded random grids.

``bias`` on ``conv`` / ``conv_transpose`` (PyTorch's positional order), ``interpolate`` (every
mode, ``size`` and integer / rational ``scale_factor``, ``align_corners``), ``max_pool`` with
``return_indices`` and ``max_unpool``, adaptive average and max pooling. Each configuration is
its own test; the JAX side of a chunk of configurations is one jitted function (forward and VJP
of each), as in test_nn_torch.py. The larger grids are marked ``slow``.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import fast_jit

import convalgebra as ca

try:
    import torch

    F = torch.nn.functional
except ImportError:  # the oracle tests skip; the dtype and bad-input tests still run
    torch = F = None
needs_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch (the 'test' extra) is not installed"
)

pytestmark = pytest.mark.usefixtures("quick_compiles")


@dataclasses.dataclass(frozen=True)
class Case:
    """One configuration: the same call in JAX and PyTorch on the same random arrays.

    ``arrays``: name -> (shape, kind) with kind "x" (differentiated), "const" (not) or
    ("indices", source) computed from PyTorch. ``ours`` / ``theirs`` take the arrays in order and
    return one array (the differentiated output) or ``(output, indices)``.
    """

    name: str
    ours: object
    theirs: object
    shapes: tuple
    dtype: str
    seed: int
    adjoint: bool = False  # gradient oracle: the transpose of PyTorch's forward, not its backward

    def __repr__(self):
        return self.name


def _torch_run(case: Case):
    rng = np.random.default_rng(case.seed)
    arrays = [rng.standard_normal(s).astype(case.dtype) for s in case.shapes]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = case.theirs(*ts)
    extra = None
    if isinstance(out, tuple):
        out, extra = out[0], out[1].numpy()
    ct = rng.standard_normal(tuple(out.shape)).astype(case.dtype)
    (out * torch.tensor(ct)).sum().backward()
    grads = [np.zeros_like(a) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, ts)]
    if case.adjoint:
        grads = [_adjoint(case, arrays[0].shape, ct)]
    return arrays, ct, (out.detach().numpy(), *grads), extra


def _adjoint(case, x_shape, ct):
    """``Mᵀ ct`` with ``M`` read off PyTorch's forward on a one-hot basis (a linear map of x).

    PyTorch's 1-D and 3-D ``nearest`` backward short-cuts ``n_out = 2·n_in`` to ``j // 2``
    where its forward computes ``floor(j·scale)`` in float32: its gradient is then not the
    gradient of its forward (``interpolate(arange(3.), scale_factor=2.25)`` reads
    ``[0, 0, 0, 1, 1, 2]`` but back-propagates through ``[0, 0, 1, 1, 2, 2]``). Ours is.
    """
    spatial = x_shape[2:]
    p = int(np.prod(spatial))
    basis = torch.eye(p, dtype=getattr(torch, case.dtype)).reshape((p, 1, *spatial))
    with torch.no_grad():
        m = case.theirs(basis).reshape(p, -1).numpy()
    lead = ct.shape[:2]
    return (ct.reshape(*lead, -1) @ m.T).reshape(x_shape)


def _run_chunk(cases):
    data = [_torch_run(c) for c in cases]

    @fast_jit
    def run(args):
        outs = []
        for c, (arrays, ct) in zip(cases, args):
            extra = []

            def f(*a, c=c, extra=extra):
                r = c.ours(*a)
                if isinstance(r, tuple):
                    extra.append(r[1])
                    return r[0]
                return r

            y, pull = jax.vjp(f, *arrays)
            outs.append((y, *pull(ct), *extra))
        return outs

    got = run([(a, ct) for a, ct, _, _ in data])
    return [([np.asarray(v) for v in g], d[2], d[3]) for g, d in zip(got, data)]


def _check(case, got, want, extra_want):
    n = len(want)
    tol = 2e-5 if case.dtype == "float32" else 1e-11
    names = ["output"] + [f"grad {i}" for i in range(n - 1)]
    for name, g, t in zip(names, got[:n], want):
        assert g.shape == t.shape, (name, case, g.shape, t.shape)
        assert g.dtype == np.dtype(case.dtype), (name, g.dtype)
        scale = 1.0 + float(np.max(np.abs(t), initial=0.0))
        np.testing.assert_allclose(g, t, rtol=tol, atol=tol * scale, err_msg=f"{name}: {case}")
    if extra_want is not None:
        np.testing.assert_array_equal(got[n], extra_want, err_msg=f"indices: {case}")


def _grid_tests(cases, chunk=24):
    """A test function over ``cases`` (one jit per chunk of ``chunk``)."""

    @functools.cache
    def results(start):
        return _run_chunk(cases[start : start + chunk])

    def test(index):
        got, want, extra = results(index - index % chunk)[index % chunk]
        _check(cases[index], got, want, extra)

    return test


# ---- bias ---------------------------------------------------------------------------------------
def _bias_cases(count, seed):
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        kind = ("conv", "conv_transpose")[i % 2]
        nd = 1 + (i // 2) % 3
        dtype = ("float32", "float64")[(i // 6) % 2]
        g = rng.choice((1, 1, 2))
        c_in, c_out = g * rng.choice((1, 2)), g * rng.choice((1, 3))
        size = tuple(rng.randint(3, 6) for _ in range(nd))
        k = tuple(rng.randint(1, 3) for _ in range(nd))
        s, p, d = rng.randint(1, 2), rng.randint(0, 1), rng.randint(1, 2)
        if kind == "conv" and any(n + 2 * p < d * (kk - 1) + 1 for n, kk in zip(size, k)):
            d = 1  # a kernel longer than the padded input: PyTorch refuses it
        x_shape = (rng.choice((1, 2)), c_in, *size)
        if kind == "conv":
            w_shape = (c_out, c_in // g, *k)
            tf = getattr(F, f"conv{nd}d")
            args = (s, p, d, g)
            ours = lambda x, w, b, a=args: ca.nn.conv(x, w, b, *a)  # noqa: E731
        else:
            w_shape = (c_in, c_out // g, *k)
            op = rng.randint(0, max(s, d) - 1)
            tf = getattr(F, f"conv_transpose{nd}d")
            args = (s, p, op, g, d)
            ours = lambda x, w, b, a=args: ca.nn.conv_transpose(x, w, b, *a)  # noqa: E731
        theirs = lambda x, w, b, f=tf, a=args: f(x, w, b, *a)  # noqa: E731
        name = f"{kind}{nd}d-{dtype}-{x_shape}-{w_shape}-{args}"
        cases.append(Case(name, ours, theirs, (x_shape, w_shape, (c_out,)), dtype, 100 + i))
    return cases


BIAS = _bias_cases(12, 1) if torch else []
BIAS_SLOW = _bias_cases(60, 2) if torch else []
_bias_test = _grid_tests(BIAS)
_bias_slow_test = _grid_tests(BIAS_SLOW)


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("index", range(len(BIAS)), ids=lambda i: BIAS[i].name)
def test_bias_matches_torch_positionally(index):
    _bias_test(index)


@needs_torch
@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BIAS_SLOW)), ids=lambda i: BIAS_SLOW[i].name)
def test_bias_matches_torch_grid(index):
    _bias_slow_test(index)


# ---- interpolate --------------------------------------------------------------------------------
_MODES = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "area": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "bicubic": (2,),
    "trilinear": (3,),
}
_FACTORS = (2, 3, 1.5, 0.5, 2.25, 0.75, 1.7, Fraction(5, 3), Fraction(2, 3), 4)


def _interp_cases(count, seed):
    rng = random.Random(seed)
    modes = list(_MODES)
    cases = []
    for i in range(count):
        mode = modes[i % len(modes)]
        nd = rng.choice(_MODES[mode])
        dtype = ("float32", "float64")[(i // len(modes)) % 2]
        size = tuple(rng.randint(2, 7 if nd < 3 else 4) for _ in range(nd))
        kw: dict = {}
        if rng.random() < 0.35:
            out = tuple(rng.randint(1, 9 if nd < 3 else 6) for _ in range(nd))
            kw["size"] = out if nd > 1 or rng.random() < 0.5 else out[0]
        else:
            fs = tuple(rng.choice(_FACTORS) for _ in range(nd))
            if any(int(n * float(f)) < 1 for n, f in zip(size, fs)):
                fs = (2,) * nd
            kw["scale_factor"] = fs if len(set(fs)) > 1 or rng.random() < 0.3 else fs[0]
            if rng.random() < 0.2:
                kw["recompute_scale_factor"] = True
        if mode in ("linear", "bilinear", "bicubic", "trilinear"):
            kw["align_corners"] = rng.choice((None, False, True))
        tkw = dict(kw)
        if "scale_factor" in tkw:
            sf = tkw["scale_factor"]
            tkw["scale_factor"] = (
                tuple(float(f) for f in sf) if isinstance(sf, tuple) else float(sf)
            )
        x_shape = (rng.choice((1, 2)), rng.choice((1, 3)), *size)

        def ours(x, m=mode, kw=kw):
            return ca.nn.interpolate(x, mode=m, **kw)

        def theirs(x, m=mode, kw=tkw):
            return F.interpolate(x, mode=m, **kw)

        name = f"{mode}-{nd}d-{dtype}-{size}-" + ",".join(f"{k}={v}" for k, v in kw.items())
        adjoint = mode == "nearest"
        cases.append(Case(name, ours, theirs, (x_shape,), dtype, 500 + i, adjoint))
    return cases


INTERP = _interp_cases(42, 3)
INTERP_SLOW = _interp_cases(210, 4)
_interp_test = _grid_tests(INTERP)
_interp_slow_test = _grid_tests(INTERP_SLOW)


def test_interp_grid_covers_the_issue():
    names = " ".join(c.name for c in INTERP)
    for what in (*_MODES, "align_corners=True", "size=", "scale_factor=", "recompute"):
        assert what in names, what
    assert any(f in names for f in ("1.5", "2.25", "0.75", "1.7")), "a non-integer factor"
    assert "/3" in names or "Fraction(" in names, "a rational factor"


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("index", range(len(INTERP)), ids=lambda i: INTERP[i].name)
def test_interpolate_matches_torch(index):
    _interp_test(index)


@needs_torch
@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(INTERP_SLOW)), ids=lambda i: INTERP_SLOW[i].name)
def test_interpolate_matches_torch_grid(index):
    _interp_slow_test(index)


def test_integer_and_rational_factors_use_the_algebra():
    """Integer factors and rational scales (p/q <= 32) are the algebra's forms: no gather in
    the jaxpr; what is not exactly such a resampler (area at sizes that do not divide) gathers."""
    x = jnp.zeros((1, 2, 5, 4), jnp.float32)
    for mode in ("nearest", "bilinear"):
        for f in (2, 1.5):
            jaxpr = str(jax.make_jaxpr(lambda x, m=mode, f=f: ca.nn.interpolate(x, None, f, m))(x))
            assert "gather" not in jaxpr, (mode, f)
    jaxpr = str(jax.make_jaxpr(lambda x: ca.nn.interpolate(x, size=(3, 3), mode="area"))(x))
    assert "gather" in jaxpr


# ---- max_pool indices, max_unpool, adaptive pooling --------------------------------------------
def _pool_cases(count, seed):
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        kind = ("max_pool", "unpool", "adaptive_avg", "adaptive_max")[i % 4]
        nd = 1 + (i // 4) % 3
        dtype = ("float32", "float64")[(i // 12) % 2]
        size = tuple(rng.randint(3, 8 if nd < 3 else 5) for _ in range(nd))
        x_shape = (rng.choice((1, 2)), rng.choice((1, 3)), *size)
        if kind in ("max_pool", "unpool"):
            k = tuple(rng.randint(1, 3) for _ in range(nd))
            k = tuple(max(kk, 2) for kk in k) if kind == "unpool" else k
            s = k if kind == "unpool" else tuple(rng.randint(1, 3) for _ in range(nd))
            p = tuple(rng.randint(0, kk // 2) for kk in k)  # PyTorch: pad <= kernel / 2
            d = 1 if kind == "unpool" else rng.choice((1, 1, 2))
            if any(n + 2 * pp < d * (kk - 1) + 1 for n, pp, kk in zip(size, p, k)):
                d = 1
            if any(n + 2 * pp < kk for n, pp, kk in zip(size, p, k)):
                k, s, p = (1,) * nd, (1,) * nd, (0,) * nd
            ceil = rng.random() < 0.3 and kind == "max_pool"
            tp = getattr(F, f"max_pool{nd}d")
            if kind == "max_pool":
                args = (k, s, p, d, ceil)

                def ours(x, a=args):
                    return ca.nn.max_pool(x, *a, return_indices=True)

                def theirs(x, a=args, f=tp):
                    return f(x, *a, return_indices=True)
            else:
                tu = getattr(F, f"max_unpool{nd}d")
                args = (k, s, p)

                def ours(x, a=args, n=size):
                    y, i = ca.nn.max_pool(x, *a, return_indices=True)
                    return ca.nn.max_unpool(y * 2.0, i, *a, output_size=n)

                def theirs(x, a=args, f=tp, u=tu, n=size):
                    y, i = f(x, *a, return_indices=True)
                    return u(y * 2.0, i, *a, output_size=n)
        else:
            out = tuple(rng.randint(1, n + 1) for n in size)
            args = (out,)
            if kind == "adaptive_avg":
                ta = getattr(F, f"adaptive_avg_pool{nd}d")

                def ours(x, o=out):
                    return ca.nn.adaptive_avg_pool(x, o)

                def theirs(x, o=out, f=ta):
                    return f(x, o)
            else:
                ta = getattr(F, f"adaptive_max_pool{nd}d")

                def ours(x, o=out):
                    return ca.nn.adaptive_max_pool(x, o, return_indices=True)

                def theirs(x, o=out, f=ta):
                    return f(x, o, return_indices=True)

        name = f"{kind}{nd}d-{dtype}-{x_shape}-{args}"
        cases.append(Case(name, ours, theirs, (x_shape,), dtype, 900 + i))
    return cases


POOL = _pool_cases(24, 5) if torch else []
POOL_SLOW = _pool_cases(120, 6) if torch else []
_pool_test = _grid_tests(POOL)
_pool_slow_test = _grid_tests(POOL_SLOW)


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("index", range(len(POOL)), ids=lambda i: POOL[i].name)
def test_pooling_matches_torch(index):
    _pool_test(index)


@needs_torch
@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(POOL_SLOW)), ids=lambda i: POOL_SLOW[i].name)
def test_pooling_matches_torch_grid(index):
    _pool_slow_test(index)


@needs_torch
@pytest.mark.torch
def test_max_unpool_gradient_reads_duplicated_indices():
    """Overlapping windows pick one sample twice: PyTorch's backward gathers at both."""
    x = np.array([[[1.0, 5.0, 2.0, 0.0]]])
    y, i = ca.nn.max_pool(x, 3, 1, return_indices=True)
    assert i.tolist() == [[[1, 1]]]
    g = jax.grad(lambda v: jnp.sum(ca.nn.max_unpool(v, i, 3, 1) * jnp.arange(4.0)))(y)
    yt, it = F.max_pool1d(torch.tensor(x), 3, 1, return_indices=True)
    vt = yt.clone().requires_grad_(True)
    (F.max_unpool1d(vt, it, 3, 1) * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(np.asarray(g), vt.grad.numpy())


# ---- dtypes and bad input -----------------------------------------------------------------------
def test_bfloat16_in_bfloat16_out():
    bf = jnp.bfloat16
    x = jnp.ones((1, 2, 6, 6), bf)
    w, b = jnp.ones((3, 2, 3, 3), bf), jnp.ones((3,), bf)
    wt = jnp.ones((2, 3, 3, 3), bf)
    outs = {
        "conv": ca.nn.conv(x, w, b, 2, 1),
        "conv_transpose": ca.nn.conv_transpose(x, wt, b, 2, 1, 1),
        "interpolate bicubic": ca.nn.interpolate(x, scale_factor=1.5, mode="bicubic"),
        "interpolate nearest": ca.nn.interpolate(x, size=(4, 9)),
        "interpolate area": ca.nn.interpolate(x, size=4, mode="area"),
        "adaptive_avg_pool": ca.nn.adaptive_avg_pool(x, 4),
        "adaptive_avg_pool divisible": ca.nn.adaptive_avg_pool(x, 3),
        "interpolate nearest ×2": ca.nn.interpolate(x, scale_factor=2),
        "interpolate bilinear ×2": ca.nn.interpolate(x, scale_factor=2, mode="bilinear"),
        "upsample_nearest": ca.nn.upsample_nearest(x, scale_factor=2),
        "upsample_linear": ca.nn.upsample_linear(x, 3),
        "avg_pool": ca.nn.avg_pool(x, 2),
        "upsample_conv_kernel": ca.nn.upsample_conv_kernel(w, 2),
        "adaptive_max_pool": ca.nn.adaptive_max_pool(x, 4),
        "max_pool": ca.nn.max_pool(x, 2, return_indices=True)[0],
    }
    y, i = ca.nn.max_pool(x, 2, return_indices=True)
    outs["max_unpool"] = ca.nn.max_unpool(y, i, 2)
    for name, out in outs.items():
        assert out.dtype == bf, (name, out.dtype)
    np.testing.assert_allclose(np.asarray(outs["conv"], np.float32)[0, 0, 1, 1], 19.0)


X2 = np.zeros((1, 4, 5, 5), np.float32)
W2 = np.zeros((6, 2, 3, 3), np.float32)
W4 = np.zeros((6, 4, 3, 3), np.float32)
WT2 = np.zeros((4, 3, 3, 3), np.float32)
BAD = [
    (lambda: ca.nn.conv(X2, W4, np.zeros(5, np.float32)), ["conv", "bias", "(6,)", "(5,)"]),
    (lambda: ca.nn.conv(X2, W2, np.zeros(6, np.float32), groups=3),
     ["conv", "groups=3", "4 input channels"]),
    (lambda: ca.nn.conv(X2, W4, 2), ["conv", "bias", "shape ()"]),
    (lambda: ca.nn.conv_transpose(X2, WT2, np.zeros(4, np.float32), groups=2),
     ["conv_transpose", "bias", "(6,)", "(4,)"]),
    (lambda: ca.nn.interpolate(X2), ["interpolate", "size=None", "scale_factor=None"]),
    (lambda: ca.nn.interpolate(X2, 3, 2.0), ["interpolate", "size=3", "scale_factor=2.0"]),
    (lambda: ca.nn.interpolate(X2, 3, mode="cubic"), ["interpolate", "mode", "'cubic'"]),
    (lambda: ca.nn.interpolate(X2, 3, mode="linear"), ["interpolate", "'linear'", "1 spatial"]),
    (lambda: ca.nn.interpolate(X2, 3, align_corners=True),
     ["interpolate", "align_corners", "'nearest'"]),
    (lambda: ca.nn.interpolate(X2, scale_factor=0.1), ["interpolate", "scale_factor=0.1"]),
    (lambda: ca.nn.interpolate(X2, scale_factor=-2.0), ["interpolate", "scale_factor=-2.0"]),
    (lambda: ca.nn.interpolate(X2, scale_factor=(2.0, 2.0, 2.0)),
     ["interpolate", "2 numbers", "(2.0, 2.0, 2.0)"]),
    (lambda: ca.nn.max_unpool(X2[..., :2, :2], np.zeros((1, 4, 2, 3), np.int32), 2),
     ["max_unpool", "indices", "(1, 4, 2, 2)", "(1, 4, 2, 3)"]),
    (lambda: ca.nn.max_unpool(X2[..., :2, :2], np.zeros((1, 4, 2, 2), np.float32), 2),
     ["max_unpool", "integers", "float32"]),
    (lambda: ca.nn.max_unpool(X2[..., :2, :2], np.full((1, 4, 2, 2), 16), 2),
     ["max_unpool", "[0, 16)", "16"]),
    (lambda: ca.nn.max_unpool(X2[..., :2, :2], np.zeros((1, 4, 2, 2), np.int32), 2,
                              output_size=(6, 4)), ["max_unpool", "output_size=(6, 4)", "(4, 4)"]),
    (lambda: ca.nn.adaptive_avg_pool(X2, (2, 2), ndim=3), ["adaptive_avg_pool", "(2, 2)"]),
    (lambda: ca.nn.adaptive_max_pool(X2, 0), ["adaptive_max_pool", "output_size", ">= 1"]),
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(BAD)))
def test_bad_input_is_one_line_value_error(index):
    call, words = BAD[index]
    with pytest.raises(ValueError) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg, msg
    for w in words:
        assert w in msg, (w, msg)
