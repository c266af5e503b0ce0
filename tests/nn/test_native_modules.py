"""``ca.nn.flax`` and ``ca.nn.equinox`` are drop-in replacements of Flax NNX's and Equinox's layers.

A model written for ``nnx.Conv``/``nnx.ConvTranspose`` or ``eqx.nn.Conv``/``Conv2d``/
``ConvTranspose2d`` runs after changing only the import, with the same constructor signature,
the same parameters (names, shapes, tree structure and, for the same ``rngs``/``key``, values)
and the same outputs and gradients; the oracle is the framework's own layer. Each framework's
tests skip when its extra is missing.
"""

from __future__ import annotations

import importlib.util
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

HAS_FLAX = importlib.util.find_spec("flax") is not None
HAS_EQX = importlib.util.find_spec("equinox") is not None
needs_flax = pytest.mark.skipif(not HAS_FLAX, reason="Flax (the 'flax' extra) is not installed")
needs_eqx = pytest.mark.skipif(not HAS_EQX, reason="Equinox (the 'equinox' extra) is not installed")

RTOL = ATOL = 2e-5  # float32, different summation orders

pytestmark = pytest.mark.usefixtures("quick_compiles")


def _fj(model, x):
    """``model(x)`` under ``nnx.jit`` (one compile instead of one per eager operation)."""
    from flax import nnx

    return nnx.jit(lambda m, x: m(x))(model, x)


def _ej(model, x):
    """``model(x)`` under ``eqx.filter_jit``."""
    import equinox as eqx

    return eqx.filter_jit(lambda m, x: m(x))(model, x)


def _grid(cases, quick):
    """The first ``quick`` cases by default, the rest in the slow grid."""
    return [c if i < quick else pytest.param(c, marks=pytest.mark.slow) for i, c in
            enumerate(cases)]  # fmt: skip


def _rand(shape, seed=0, dtype=jnp.float32):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape), dtype)


def _xd(shape, seed=0):
    """JAX's default float (Equinox's parameter dtype: float64 under x64)."""
    return _rand(shape, seed, None)


# ---- Flax NNX ------------------------------------------------------------------------------------
FLAX_CONV = [
    dict(),
    dict(strides=2),
    dict(strides=(2, 1), padding="VALID", kernel_dilation=2),
    dict(padding=1, feature_group_count=2),
    dict(padding=((2, 0), (1, 3)), strides=3),
    dict(padding="CIRCULAR", strides=2, feature_group_count=2),
    dict(padding="REFLECT"),
    dict(input_dilation=2, padding=((1, 2), (0, 1))),
    dict(input_dilation=(1, 3), padding=1, strides=2),
    dict(use_bias=False, padding="SAME_LOWER", strides=2),
    dict(precision="highest", kernel_dilation=(1, 2)),
]
FLAX_CONV_T = [
    dict(),
    dict(strides=2),
    dict(strides=3, padding="VALID", kernel_dilation=2),
    dict(strides=2, padding="CIRCULAR"),
    dict(strides=2, padding="CIRCULAR", transpose_kernel=True),
    dict(strides=(2, 3), padding=((3, 0), (1, 5))),
    dict(strides=2, padding=1, transpose_kernel=True, use_bias=False),
    dict(strides=2, precision=jax.lax.Precision.HIGHEST),
]


def _flax_model(lib, conv_kw, convt_kw, seed=0):
    """A small Flax NNX model whose layers come from ``lib`` (``flax.nnx`` or ``ca.nn.flax``)."""
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.conv = lib.Conv(4, 6, (3, 3), **conv_kw, rngs=rngs)
            self.up = lib.ConvTranspose(6, 2, (3, 4), **convt_kw, rngs=rngs)

        def __call__(self, x):
            return self.up(jax.nn.relu(self.conv(x)))

    return Net(nnx.Rngs(seed))


@needs_flax
@pytest.mark.parametrize("conv_kw", _grid(FLAX_CONV, 4), ids=str)
def test_flax_conv_model_swaps_with_one_import(conv_kw):
    from flax import nnx

    from convalgebra.nn import flax as cnn

    convt_kw = FLAX_CONV_T[FLAX_CONV.index(conv_kw) % len(FLAX_CONV_T)]
    ref, got = _flax_model(nnx, conv_kw, convt_kw), _flax_model(cnn, conv_kw, convt_kw)
    s_ref, s_got = nnx.state(ref, nnx.Param), nnx.state(got, nnx.Param)
    assert jax.tree.structure(s_ref) == jax.tree.structure(s_got)
    for a, b in zip(jax.tree.leaves(s_ref), jax.tree.leaves(s_got)):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)  # the same initialisation, value for value
    x = _rand((2, 9, 8, 4))
    np.testing.assert_allclose(_fj(got, x), _fj(ref, x), rtol=RTOL, atol=ATOL, err_msg=str(conv_kw))


@needs_flax
@pytest.mark.parametrize("convt_kw", _grid(FLAX_CONV_T, 0), ids=str)
def test_flax_conv_transpose_matches_nnx(convt_kw):
    from flax import nnx

    from convalgebra.nn import flax as cnn

    x = _rand((2, 5, 7, 3), 1)
    ref = nnx.ConvTranspose(3, 4, (4, 3), **convt_kw, rngs=nnx.Rngs(1))
    got = cnn.ConvTranspose(3, 4, (4, 3), **convt_kw, rngs=nnx.Rngs(1))
    assert got.kernel.shape == ref.kernel.shape
    np.testing.assert_allclose(_fj(got, x), _fj(ref, x), rtol=RTOL, atol=ATOL,
                               err_msg=str(convt_kw))  # fmt: skip


@needs_flax
@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_flax_batch_axes_1d_3d_and_gradients():
    """No batch axis, two batch axes, 1-D and 3-D layers; gradients of kernel and bias."""
    from flax import nnx

    from convalgebra.nn import flax as cnn

    for shape, k, kw in (
        ((9, 2), (3,), dict(padding="CAUSAL", kernel_dilation=2)),
        ((2, 3, 9, 2), (3,), dict(strides=2)),
        ((1, 5, 6, 4, 2), (2, 3, 2), dict(strides=(1, 2, 1), padding=1)),
    ):
        x = _rand(shape, 2)
        ref = nnx.Conv(2, 3, k, **kw, rngs=nnx.Rngs(0))
        got = cnn.Conv(2, 3, k, **kw, rngs=nnx.Rngs(0))
        np.testing.assert_allclose(_fj(got, x), _fj(ref, x), rtol=RTOL, atol=ATOL,
                                   err_msg=str(shape))  # fmt: skip
    x = _rand((2, 6, 6, 4), 3)

    @nnx.jit
    def grads(model):
        return nnx.grad(lambda m: jnp.sum(jnp.sin(m(x))))(model)

    g_ref = grads(_flax_model(nnx, dict(strides=2), dict(strides=2)))
    g_got = grads(_flax_model(cnn, dict(strides=2), dict(strides=2)))
    for a, b in zip(jax.tree.leaves(g_ref), jax.tree.leaves(g_got)):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4)


@needs_flax
def test_flax_signatures_and_types_are_flax_s():
    from flax import nnx

    from convalgebra.nn import flax as cnn

    assert inspect.signature(cnn.Conv.__init__) == inspect.signature(nnx.Conv.__init__)
    assert issubclass(cnn.Conv, nnx.Conv) and issubclass(cnn.ConvTranspose, nnx.ConvTranspose)
    layer = cnn.ConvTranspose(3, 5, (2, 2), transpose_kernel=True, rngs=nnx.Rngs(0))
    assert layer.kernel.shape == (2, 2, 5, 3)  # Flax's transpose_kernel layout
    mask = jnp.tril(jnp.ones((3, 2, 4), jnp.float32))
    x = _rand((1, 8, 2))
    ref = nnx.Conv(2, 4, 3, mask=mask, rngs=nnx.Rngs(0))
    np.testing.assert_allclose(cnn.Conv(2, 4, 3, mask=mask, rngs=nnx.Rngs(0))(x), ref(x),
                               rtol=RTOL, atol=ATOL)  # fmt: skip


@needs_flax
def test_flax_refusals_name_the_module():
    from flax import nnx

    from convalgebra.nn import flax as cnn

    with pytest.raises(ValueError, match=r"^ConvTranspose: .*precision"):
        cnn.ConvTranspose(2, 4, 3, precision="sloppy", rngs=nnx.Rngs(0))
    assert inspect.signature(cnn.ConvTranspose.__init__) == inspect.signature(
        nnx.ConvTranspose.__init__
    )
    with pytest.raises(ValueError, match=r"^Conv: conv_general_dilated="):
        cnn.Conv(2, 4, 3, conv_general_dilated=lambda *a, **k: None, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match=r"^Conv: negative padding .*-1"):
        cnn.Conv(2, 4, 3, padding=-1, rngs=nnx.Rngs(0))(jnp.ones((1, 8, 2), jnp.float32))
    with pytest.raises(ValueError, match=r"^Conv: padding='SAME' with input_dilation=2"):
        cnn.Conv(2, 4, 3, input_dilation=2, rngs=nnx.Rngs(0))(jnp.ones((1, 8, 2), jnp.float32))
    with pytest.raises(ValueError, match=r"^ConvTranspose: padding must be .*'CAUSAL'"):
        cnn.ConvTranspose(2, 4, 3, padding="CAUSAL", rngs=nnx.Rngs(0))(
            jnp.ones((1, 8, 2), jnp.float32)
        )
    with pytest.raises(ValueError, match=r"^UpsampleConv: the fusion needs"):
        cnn.UpsampleConv(2, 4, 3, padding=3, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match=r"^ConvTranspose: the input has 3 channels, .* 2"):
        cnn.ConvTranspose(2, 4, 3, rngs=nnx.Rngs(0))(jnp.ones((1, 8, 3), jnp.float32))


@needs_flax
def test_flax_upsample_conv_is_upsample_then_nnx_conv():
    from flax import nnx

    from convalgebra.nn import flax as cnn

    x = _rand((2, 5, 4, 4), 4)
    for f, kw in ((2, dict()), ((3, 2), dict(padding="VALID", feature_group_count=2))):
        fused = cnn.UpsampleConv(4, 6, (3, 3), f, **kw, rngs=nnx.Rngs(0))
        conv = nnx.Conv(4, 6, (3, 3), **kw, rngs=nnx.Rngs(0))
        assert fused.kernel.shape == conv.kernel.shape
        np.testing.assert_array_equal(fused.kernel[...], conv.kernel[...])
        up = np.repeat(np.repeat(np.asarray(x), tup(f)[0], 1), tup(f)[1], 2)
        np.testing.assert_allclose(fused(x), conv(jnp.asarray(up)), rtol=RTOL, atol=ATOL)
    up = cnn.Upsample(scale_factor=2)(x)
    np.testing.assert_array_equal(up, np.repeat(np.repeat(np.asarray(x), 2, 1), 2, 2))


def tup(f):
    return f if isinstance(f, tuple) else (f, f)


@needs_flax
def test_flax_training_step_under_nnx_jit():
    from flax import nnx

    from convalgebra.nn import flax as cnn

    model = _flax_model(cnn, dict(strides=2), dict(strides=2))
    x = _rand((3, 8, 8, 4), 5)
    t = _rand((3, 8, 8, 2), 6)

    @nnx.jit
    def step(model):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - t) ** 2))(model)
        params = nnx.state(model, nnx.Param)
        nnx.update(model, jax.tree.map(lambda p, g: p - 0.05 * g, params, grads))
        return loss

    losses = [float(step(model)) for _ in range(4)]
    assert losses[-1] < losses[0], losses


# ---- Equinox -------------------------------------------------------------------------------------
EQX_CONV = [  # positional, in Equinox's order after (in, out, kernel_size)
    (),
    (2, 1),
    ((2, 1), "SAME", 2),
    (1, ((1, 0), (2, 1)), 1, 2),
    (2, 1, 1, 1, True, "CIRCULAR"),
    (1, "SAME_LOWER", 1, 2, False, "REFLECT"),
    (3, 1, 1, 1, True, "REPLICATE"),
]
EQX_CONV_T = [  # ConvTranspose2d's order: stride, output_padding, padding, dilation, groups
    (),
    (3,),
    (2, 1, 1),
    (2, 0, "SAME", 2, 2),
    (2, 1, "SAME_LOWER"),
    ((2, 3), (1, 0), ((1, 0), (2, 1))),
    (2, 0, "SAME", 1, 1, True, "CIRCULAR"),
    (3, 2, "VALID", 2, 1, False),
]


def _eqx_model(lib, conv_args, convt_args, key):
    import equinox as eqx

    k1, k2, k3 = jax.random.split(key, 3)
    return eqx.nn.Sequential([
        lib.Conv2d(4, 6, 3, *conv_args, key=k1),
        eqx.nn.Lambda(jax.nn.relu),
        lib.ConvTranspose2d(6, 2, (3, 4), *convt_args, key=k2),
        eqx.nn.Lambda(jax.nn.relu),
        lib.Conv(2, 2, 4, 3, key=k3),
    ])  # fmt: skip


def _leaves_with_paths(model):
    import equinox as eqx

    flat = jax.tree_util.tree_flatten_with_path(eqx.filter(model, eqx.is_array))[0]
    return [(jax.tree_util.keystr(p), v) for p, v in flat]


@needs_eqx
@pytest.mark.parametrize("index", _grid(range(max(len(EQX_CONV), len(EQX_CONV_T))), 4))
def test_equinox_model_swaps_with_one_import(index):
    import equinox as eqx

    from convalgebra.nn import equinox as cnn

    conv_args, convt_args = EQX_CONV[index % len(EQX_CONV)], EQX_CONV_T[index % len(EQX_CONV_T)]
    key = jax.random.key(index)
    ref = _eqx_model(eqx.nn, conv_args, convt_args, key)
    got = _eqx_model(cnn, conv_args, convt_args, key)
    lr, lg = _leaves_with_paths(ref), _leaves_with_paths(got)
    assert [p for p, _ in lr] == [p for p, _ in lg]  # .layers[0].weight, .layers[0].bias, ...
    for (p, a), (_, b) in zip(lr, lg):
        assert a.shape == b.shape, p
        np.testing.assert_array_equal(a, b, err_msg=p)  # the same initialisation
    x = _xd((4, 9, 8), index)
    np.testing.assert_allclose(_ej(got, x), _ej(ref, x), rtol=RTOL, atol=ATOL,
                               err_msg=f"{conv_args} {convt_args}")  # fmt: skip


@needs_eqx
def test_equinox_positional_arguments_mean_what_they_mean_in_equinox():
    """``Conv(2, 1, 4, 3)`` is a 2-D, 1 -> 4 channel, 3x3, stride-1 layer; ``ConvTranspose2d(1,
    4, 3, 3)`` has stride 3 and maps 4x4 to 12x12; ``ConvTranspose`` puts ``padding`` before
    ``output_padding``, ``ConvTranspose2d`` after."""
    import equinox as eqx

    from convalgebra.nn import equinox as cnn

    key = jax.random.key(0)
    layer = cnn.Conv(2, 1, 4, 3, key=key)
    assert layer.weight.shape == (4, 1, 3, 3) and layer.stride == (1, 1)
    assert layer(jnp.ones((1, 8, 8))).shape == (4, 6, 6)
    assert cnn.ConvTranspose2d(1, 4, 3, 3, key=key)(jnp.ones((1, 4, 4))).shape == (4, 12, 12)
    x = _xd((1, 5, 5))
    a = cnn.ConvTranspose(2, 1, 2, 3, 2, 1, 1, key=key)  # padding=1, output_padding=1
    b = cnn.ConvTranspose2d(1, 2, 3, 2, 1, 1, key=key)  # output_padding=1, padding=1
    np.testing.assert_allclose(a(x), b(x), rtol=RTOL, atol=ATOL)
    for ours, theirs in (
        (cnn.Conv, eqx.nn.Conv), (cnn.Conv1d, eqx.nn.Conv1d), (cnn.Conv2d, eqx.nn.Conv2d),
        (cnn.Conv3d, eqx.nn.Conv3d), (cnn.ConvTranspose, eqx.nn.ConvTranspose),
        (cnn.ConvTranspose1d, eqx.nn.ConvTranspose1d),
        (cnn.ConvTranspose2d, eqx.nn.ConvTranspose2d),
        (cnn.ConvTranspose3d, eqx.nn.ConvTranspose3d),
    ):  # fmt: skip
        assert inspect.signature(ours) == inspect.signature(theirs), ours.__name__
        assert issubclass(ours, theirs)


@needs_eqx
@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_equinox_1d_3d_groups_and_gradients():
    import equinox as eqx

    from convalgebra.nn import equinox as cnn

    key = jax.random.key(3)
    for ours, theirs, args, shape in (
        (cnn.Conv1d, eqx.nn.Conv1d, (4, 6, 3, 2, 1, 2, 2), (4, 11)),
        (cnn.Conv3d, eqx.nn.Conv3d, (2, 3, (2, 3, 2), 1, "SAME"), (2, 4, 5, 4)),
        (cnn.ConvTranspose1d, eqx.nn.ConvTranspose1d, (4, 6, 3, 2, 1, 1, 1, 2), (4, 7)),
        (cnn.ConvTranspose3d, eqx.nn.ConvTranspose3d, (2, 3, 2, 2), (2, 3, 3, 2)),
    ):
        x = _xd(shape, 7)
        np.testing.assert_allclose(_ej(ours(*args, key=key), x), _ej(theirs(*args, key=key), x),
                                   rtol=RTOL, atol=ATOL, err_msg=ours.__name__)  # fmt: skip
    x = _xd((3, 4, 9, 8), 8)

    @eqx.filter_jit
    def grads(model):
        return eqx.filter_grad(lambda m: jnp.sum(jnp.sin(jax.vmap(m)(x))))(model)

    args = ((2, 1), (2, 1, 1))
    g_ref = _leaves_with_paths(grads(_eqx_model(eqx.nn, *args, key)))
    g_got = _leaves_with_paths(grads(_eqx_model(cnn, *args, key)))
    for (p, a), (_, b) in zip(g_ref, g_got):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4, err_msg=p)


@needs_eqx
def test_equinox_upsample_modules_and_refusals():
    import equinox as eqx

    from convalgebra.nn import equinox as cnn

    key = jax.random.key(0)
    fused = cnn.UpsampleConv(2, 4, 6, 3, 2, 1, key=key)
    conv = eqx.nn.Conv(2, 4, 6, 3, 1, 1, key=key)
    assert fused.weight.shape == conv.weight.shape and fused.bias.shape == conv.bias.shape
    np.testing.assert_array_equal(fused.weight, conv.weight)
    x = _xd((4, 5, 3), 9)
    up = cnn.Upsample(scale_factor=2)(x)
    np.testing.assert_array_equal(up, np.repeat(np.repeat(np.asarray(x), 2, 1), 2, 2))
    np.testing.assert_allclose(fused(x), conv(up), rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match=r"^Conv2d: the input must be unbatched"):
        cnn.Conv2d(4, 6, 3, key=key)(jnp.ones((2, 4, 8, 8)))
    with pytest.raises(ValueError, match=r"^Upsample: the input must be unbatched"):
        cnn.Upsample(scale_factor=2)(jnp.ones((2, 4, 8, 8)))
    with pytest.raises(ValueError, match=r"^Conv: negative padding"):
        cnn.Conv(1, 1, 1, 3, padding=-1, key=key)(jnp.ones((1, 8)))
    with pytest.raises(ValueError, match=r"^Conv2d: the input has 3 channels, .* 4"):
        cnn.Conv2d(4, 6, 3, key=key)(jnp.ones((3, 8, 8)))
    with pytest.raises(ValueError, match=r"^UpsampleConv: the fusion needs"):
        cnn.UpsampleConv(2, 4, 6, 3, padding=3, key=key)
    same = cnn.UpsampleConv(2, 4, 6, 4, padding="SAME", key=key)  # even kernel: (1, 2) pads
    conv = eqx.nn.Conv(2, 4, 6, 4, padding="SAME", key=key)
    np.testing.assert_allclose(same(x), conv(up), rtol=RTOL, atol=ATOL)
