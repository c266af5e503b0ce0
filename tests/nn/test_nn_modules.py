"""The Flax NNX and Equinox modules (``convalgebra.nn.flax`` / ``convalgebra.nn.equinox``).

Against PyTorch's modules loaded with the same parameters (outputs and the gradients of input,
weight and bias), PyTorch's default initialisation (bounds and spread) and Flax's, use inside a
model of each framework (a jitted training step), dtypes, bad input, and that ``import
convalgebra`` imports neither framework. Each framework's tests skip when its extra is missing.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import fast_jit

import convalgebra as ca

HAS_FLAX = importlib.util.find_spec("flax") is not None
HAS_EQX = importlib.util.find_spec("equinox") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_flax = pytest.mark.skipif(not HAS_FLAX, reason="Flax (the 'flax' extra) is not installed")
needs_eqx = pytest.mark.skipif(not HAS_EQX, reason="Equinox (the 'equinox' extra) is not installed")
needs_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="PyTorch (the 'test' extra) is not installed"
)
FRAMEWORKS = [
    pytest.param("flax", marks=needs_flax),
    pytest.param("equinox", marks=needs_eqx),
]

pytestmark = pytest.mark.usefixtures("quick_compiles")


def _layers(fw):
    return ca.nn.flax if fw == "flax" else ca.nn.equinox


def _make(fw, cls, *args, seed=0, **kw):
    """A module of framework ``fw``: ``rngs=`` for Flax NNX, ``key=`` for Equinox."""
    layer = getattr(_layers(fw), cls)
    if cls == "Upsample":
        return layer(*args, **kw)
    if fw == "flax":
        from flax import nnx

        return layer(*args, rngs=nnx.Rngs(seed), **kw)
    return layer(*args, key=jax.random.key(seed), **kw)


def _params(fw, m):
    if fw == "flax":
        return m.weight[...], (None if m.bias is None else m.bias[...])
    return m.weight, m.bias


def _with_params(fw, m, w, b):
    """``m`` with its weight and bias replaced (in place for Flax, a new module for Equinox)."""
    if fw == "flax":
        m.weight[...] = jnp.asarray(w)
        if b is not None:
            m.bias[...] = jnp.asarray(b)
        return m
    import equinox as eqx

    m = eqx.tree_at(lambda t: t.weight, m, jnp.asarray(w))
    return eqx.tree_at(lambda t: t.bias, m, jnp.asarray(b)) if b is not None else m


def _value_and_grads(fw, m, x, ct):
    """Output, and the gradients of ``<m(x), ct>`` with respect to x, weight and bias (jitted)."""
    if fw == "flax":
        from flax import nnx

        graphdef, params = nnx.split(m)

        def f(x, p):
            return nnx.merge(graphdef, p)(x)

        def wb(g):
            def val(v):
                return v[...] if isinstance(v, nnx.Variable) else v

            return val(g["weight"]), (val(g["bias"]) if "bias" in g else None)

    else:
        params = m

        def f(x, p):
            return p(x)

        def wb(g):
            return g.weight, g.bias

    @fast_jit
    def run(x, p, ct):
        y, pull = jax.vjp(f, x, p)
        gx, gp = pull(ct)
        return (y, gx, *wb(gp))

    return [None if v is None else np.asarray(v) for v in run(x, params, ct)]


# ---- against PyTorch's modules -----------------------------------------------------------------
TORCH_CASES = [
    ("Conv", (4, 6, 3), dict(stride=2, padding=1, groups=2), "Conv2d", (2, 4, 7, 6)),
    ("Conv", (3, 5, (3,)), dict(padding=2, dilation=2, padding_mode="reflect"), "Conv1d",
     (2, 3, 9)),
    ("Conv", (2, 4, (2, 3, 2)), dict(stride=(1, 2, 1), bias=False), "Conv3d", (1, 2, 4, 5, 4)),
    ("ConvTranspose", (4, 6, 4), dict(stride=2, padding=1, groups=2), "ConvTranspose2d",
     (2, 4, 3, 5)),
    ("ConvTranspose", (3, 2, (3,)), dict(stride=3, padding=1, output_padding=2, dilation=2),
     "ConvTranspose1d", (2, 3, 5)),
    ("UpsampleConv", (3, 4, 3), dict(scale_factor=2, padding=1), "UpsampleConv2d", (2, 3, 4, 5)),
    ("UpsampleConv", (4, 2, (3,)), dict(scale_factor=3, padding=0, groups=2), "UpsampleConv1d",
     (1, 4, 6)),
]  # fmt: skip


def _torch_module(name, args, kw):
    import torch

    torch.manual_seed(0)
    if name.startswith("UpsampleConv"):
        nd = int(name[-2])
        conv = getattr(torch.nn, f"Conv{nd}d")(
            *args, padding=kw["padding"], groups=kw.get("groups", 1), dtype=torch.float64
        )
        return torch.nn.Sequential(torch.nn.Upsample(scale_factor=kw["scale_factor"]), conv), conv
    m = getattr(torch.nn, name)(*args, **kw, dtype=torch.float64)
    return m, m


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("index", range(len(TORCH_CASES)), ids=lambda i: TORCH_CASES[i][3])
def test_module_matches_torch_module(fw, index):
    import torch

    cls, args, kw, tname, x_shape = TORCH_CASES[index]
    tm, holder = _torch_module(tname, args, kw)
    rng = np.random.default_rng(index)
    x = rng.standard_normal(x_shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = tm(xt)
    ct = rng.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(ct)).sum().backward()
    w = holder.weight.detach().numpy()
    b = None if holder.bias is None else holder.bias.detach().numpy()
    m = _with_params(fw, _make(fw, cls, *args, **kw, param_dtype=jnp.float64), w, b)
    y, gx, gw, gb = _value_and_grads(fw, m, x, ct)
    want = [yt.detach().numpy(), xt.grad.numpy(), holder.weight.grad.numpy()]
    if b is not None:
        want.append(holder.bias.grad.numpy())
    for name, g, t in zip(("output", "grad x", "grad weight", "grad bias"), (y, gx, gw, gb), want):
        assert g.shape == t.shape, name
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-10, err_msg=f"{name}: {tname}")
    if b is None:
        assert gb is None


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_upsample_module_matches_torch(fw):
    import torch

    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4))
    for kw in (
        dict(scale_factor=2, mode="bilinear"),
        dict(scale_factor=1.5, mode="bicubic", align_corners=True),
        dict(size=(7, 3), mode="nearest-exact"),
    ):
        want = torch.nn.Upsample(**kw)(torch.tensor(x)).numpy()
        m = _make(fw, "Upsample", **kw)
        np.testing.assert_allclose(np.asarray(m(x)), want, rtol=1e-12, atol=1e-12, err_msg=kw)
        np.testing.assert_allclose(np.asarray(m(x[0])), want[0], rtol=1e-12, atol=1e-12)


# ---- initialisation ----------------------------------------------------------------------------
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_torch_default_initialisation(fw):
    """weight and bias uniform in ±1/√fan_in, fan_in = weight.shape[1]·prod(K), as PyTorch."""
    for cls, args, kw, fan_in in (
        ("Conv", (32, 64, 3), dict(groups=2), 16 * 9),
        ("ConvTranspose", (32, 64, 4), dict(groups=4), 16 * 16),
        ("UpsampleConv", (16, 32, (5,)), dict(), 16 * 5),
    ):
        w, b = _params(fw, _make(fw, cls, *args, **kw))
        bound = 1 / np.sqrt(fan_in)
        assert w.dtype == np.float32 and b.dtype == np.float32
        for v in (np.asarray(w), np.asarray(b)):
            assert np.all(np.abs(v) <= bound) and np.max(np.abs(v)) > 0.8 * bound, cls
        std = float(np.std(np.asarray(w)))
        assert abs(std - bound / np.sqrt(3)) < 0.05 * bound, (cls, std, bound)


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_torch_initialisation_matches_torch_statistics(fw):
    import torch

    tw = torch.nn.ConvTranspose2d(16, 48, 3, groups=2).weight.detach().numpy()
    w, _ = _params(fw, _make(fw, "ConvTranspose", 16, 48, 3, groups=2))
    assert w.shape == tw.shape
    assert abs(np.abs(w).max() - np.abs(tw).max()) < 0.02 * np.abs(tw).max()
    assert abs(np.std(w) - np.std(tw)) < 0.05 * np.std(tw)


@needs_flax
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_flax_initialisation_on_request(fw):
    from flax import nnx

    ref = nnx.Conv(32, 64, (3, 3), feature_group_count=2, rngs=nnx.Rngs(0)).kernel[...]
    w, b = _params(fw, _make(fw, "Conv", 32, 64, 3, groups=2, init="flax"))
    assert np.all(np.asarray(b) == 0)
    assert abs(np.std(w) - np.std(ref)) < 0.05 * np.std(ref)
    assert abs(np.abs(w).max() - np.abs(ref).max()) < 0.1 * np.abs(ref).max()


# ---- inside a model ------------------------------------------------------------------------------
@needs_flax
def test_flax_model_trains():
    from flax import nnx

    cnn = ca.nn.flax

    class AutoEncoder(nnx.Module):
        def __init__(self, rngs):
            self.down = cnn.Conv(2, 4, 3, stride=2, padding=1, rngs=rngs)
            self.norm = nnx.LayerNorm(4 * 4 * 4, rngs=rngs)  # a plain Flax layer in between
            self.up = cnn.ConvTranspose(4, 4, 4, stride=2, padding=1, rngs=rngs)
            self.out = cnn.UpsampleConv(4, 2, 3, scale_factor=1, padding=1, rngs=rngs)

        def __call__(self, x):
            h = jax.nn.relu(self.down(x))
            h = self.norm(h.reshape(h.shape[0], -1)).reshape(h.shape)
            return self.out(jax.nn.relu(self.up(h)))

    model = AutoEncoder(nnx.Rngs(0))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((3, 2, 8, 8)), jnp.float32)

    @nnx.jit
    def step(model, x):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - x) ** 2))(model)
        params = nnx.state(model, nnx.Param)
        nnx.update(model, jax.tree.map(lambda p, g: p - 0.1 * g, params, grads))
        return loss

    losses = [float(step(model, x)) for _ in range(5)]
    assert losses[-1] < losses[0], losses


@needs_eqx
def test_equinox_model_trains_under_vmap():
    import equinox as eqx

    cnn = ca.nn.equinox
    k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    model = eqx.nn.Sequential([
        cnn.Conv(2, 4, 3, stride=2, padding=1, key=k1),
        eqx.nn.Lambda(jax.nn.relu),
        cnn.ConvTranspose(4, 4, 4, stride=2, padding=1, key=k2),
        eqx.nn.Lambda(jax.nn.relu),
        cnn.UpsampleConv(4, 2, 3, scale_factor=1, padding=1, key=k3),
    ])  # fmt: skip
    x = jnp.asarray(np.random.default_rng(0).standard_normal((3, 2, 8, 8)), jnp.float32)

    @eqx.filter_jit
    def step(model, x):
        def loss(m):
            return jnp.mean((jax.vmap(m)(x) - x) ** 2)  # Equinox style: per-sample modules

        value, grads = eqx.filter_value_and_grad(loss)(model)
        return value, eqx.apply_updates(model, jax.tree.map(lambda g: -0.1 * g, grads))

    losses = []
    for _ in range(5):
        value, model = step(model, x)
        losses.append(float(value))
    assert losses[-1] < losses[0], losses
    batched = model(x)  # the modules also take (N, C, *S) directly
    np.testing.assert_allclose(batched, jax.vmap(model)(x), rtol=1e-5, atol=1e-5)


# ---- dtypes, bad input, lazy import -------------------------------------------------------------
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_bfloat16_in_bfloat16_out(fw):
    x = jnp.ones((2, 4, 6, 6), jnp.bfloat16)
    for cls, args, kw in (
        ("Conv", (4, 6, 3), dict(padding=1)),
        ("ConvTranspose", (4, 6, 4), dict(stride=2, padding=1)),
        ("UpsampleConv", (4, 6, 3), dict(padding=1)),
        ("Upsample", (), dict(scale_factor=1.5, mode="bilinear")),
    ):
        m = _make(fw, cls, *args, **kw)
        assert m(x).dtype == jnp.bfloat16, cls
    m = _make(fw, "Conv", 4, 6, 3, dtype=jnp.float32)
    assert m(x).dtype == jnp.float32  # an explicit computation dtype


BAD = [
    ("Conv", (4, 6, 3), dict(groups=4), ["Conv", "groups=4", "out_channels=6"]),
    ("Conv", (4, 6, 3), dict(stride=2, padding="same"), ["Conv", "'same'", "stride"]),
    ("Conv", (4, 6, 3), dict(padding_mode="mirror"), ["Conv", "padding_mode", "'mirror'"]),
    ("Conv", (4, 6, 3), dict(init="xavier"), ["Conv", "init", "'xavier'"]),
    ("Conv", (4, 6, (3, 3)), dict(ndim=3), ["Conv", "ndim=3"]),
    ("ConvTranspose", (4, 6, 3), dict(stride=2, output_padding=2),
     ["ConvTranspose", "output_padding", "(2, 2)"]),
    ("UpsampleConv", (4, 6, 3), dict(padding=3), ["UpsampleConv", "padding=3", "(3, 3)"]),
    ("UpsampleConv", (4, 6, 3), dict(scale_factor=1.5), ["UpsampleConv", "scale_factor"]),
    ("Upsample", (), dict(), ["Upsample", "size=None", "scale_factor=None"]),
    ("Upsample", (), dict(size=3, mode="nearest", align_corners=True), ["Upsample",
     "align_corners"]),
]  # fmt: skip


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("index", range(len(BAD)), ids=lambda i: f"{BAD[i][0]}-{i}")
def test_bad_arguments_are_one_line_errors(fw, index):
    cls, args, kw, words = BAD[index]
    with pytest.raises((ValueError, TypeError)) as e:
        _make(fw, cls, *args, **kw)
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_wrong_input_channels(fw):
    m = _make(fw, "Conv", 4, 6, 3)
    with pytest.raises(ValueError, match="4"):
        m(jnp.ones((1, 3, 5, 5)))


def test_import_convalgebra_imports_no_framework():
    code = (
        "import sys, convalgebra as ca; ca.nn.conv; "
        "assert not {'flax', 'equinox'} & set(sys.modules), 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_train_benchmark_formulations_agree():
    """The ``train`` benchmark's formulations compute the same loss and gradients (tiny size)."""
    from convalgebra.bench import forms_train

    rows = forms_train.run(batch=1, size=16, repeat=1, budget=0.0)
    for row in rows:
        assert row["status"] == "ok" or row["status"].startswith("skipped"), row
    assert rows[0]["formulation"] == "convalgebra" and rows[0]["status"] == "ok"
