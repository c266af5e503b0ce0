"""The parameter-free and fused modules of ``convalgebra.nn.flax`` / ``convalgebra.nn.equinox``,
their dtypes and bad input, and that ``import convalgebra`` imports neither framework.

(The convolution modules against Flax's and Equinox's own layers: test_native_modules.py.)
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

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


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_upsample_module_matches_torch(fw):
    """Flax: channels-last ``(N, *S, C)``; Equinox: unbatched ``(C, *S)``."""
    import torch

    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4))
    for kw in (
        dict(scale_factor=2, mode="bilinear"),
        dict(scale_factor=1.5, mode="bicubic", align_corners=True),
        dict(size=(7, 3), mode="nearest-exact"),
    ):
        want = torch.nn.Upsample(**kw)(torch.tensor(x)).numpy()
        m = _layers(fw).Upsample(**kw)
        if fw == "flax":
            got = np.moveaxis(np.asarray(m(np.moveaxis(x, 1, -1))), -1, 1)
        else:
            got = np.stack([np.asarray(m(xi)) for xi in x])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=str(kw))


@needs_flax
def test_flax_dtypes_follow_flax():
    """Flax's ``promote_dtype``: bfloat16 parameters and input stay bfloat16; an explicit
    ``dtype`` is the computation dtype (the same output dtypes as ``nnx.Conv``)."""
    from flax import nnx

    cnn = ca.nn.flax
    x = jnp.ones((2, 6, 6, 4), jnp.bfloat16)
    for kw in (dict(param_dtype=jnp.bfloat16), dict(dtype=jnp.float32)):
        want = nnx.Conv(4, 6, (3, 3), **kw, rngs=nnx.Rngs(0))(x).dtype
        assert cnn.Conv(4, 6, (3, 3), **kw, rngs=nnx.Rngs(0))(x).dtype == want, kw
        want = nnx.ConvTranspose(4, 6, (3, 3), 2, **kw, rngs=nnx.Rngs(0))(x).dtype
        assert cnn.ConvTranspose(4, 6, (3, 3), 2, **kw, rngs=nnx.Rngs(0))(x).dtype == want, kw
    up = cnn.UpsampleConv(4, 6, (3, 3), param_dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
    assert up(x).dtype == jnp.bfloat16
    assert cnn.Upsample(scale_factor=1.5, mode="bilinear")(x).dtype == jnp.bfloat16


@needs_eqx
def test_equinox_bfloat16_layers():
    cnn = ca.nn.equinox
    x = jnp.ones((4, 6, 6), jnp.bfloat16)
    key = jax.random.key(0)
    for m in (
        cnn.Conv2d(4, 6, 3, padding=1, dtype=jnp.bfloat16, key=key),
        cnn.ConvTranspose2d(4, 6, 4, 2, 0, 1, dtype=jnp.bfloat16, key=key),
        cnn.UpsampleConv(2, 4, 6, 3, padding=1, dtype=jnp.bfloat16, key=key),
        cnn.Upsample(scale_factor=1.5, mode="bilinear"),
    ):
        assert m(x).dtype == jnp.bfloat16, type(m).__name__


BAD = [
    ("Upsample", dict(), ["Upsample", "size=None", "scale_factor=None"]),
    ("Upsample", dict(size=3, mode="nearest", align_corners=True), ["Upsample", "align_corners"]),
    ("Upsample", dict(size=3, mode="cubic"), ["Upsample", "mode", "'cubic'"]),
]


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("index", range(len(BAD)), ids=lambda i: f"{BAD[i][0]}-{i}")
def test_bad_arguments_are_one_line_errors(fw, index):
    cls, kw, words = BAD[index]
    with pytest.raises((ValueError, TypeError)) as e:
        getattr(_layers(fw), cls)(**kw)
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


@needs_flax
def test_flax_upsample_conv_scale_factor_checked():
    from flax import nnx

    with pytest.raises(TypeError, match="UpsampleConv: scale_factor"):
        ca.nn.flax.UpsampleConv(4, 6, 3, 1.5, rngs=nnx.Rngs(0))


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
