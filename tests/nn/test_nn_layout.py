"""``data_format="channels_last"`` on the convolution layers: PyTorch's values, moved axes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca

torch = pytest.importorskip("torch", reason="PyTorch (the 'test' extra) is not installed")
F = torch.nn.functional


@pytest.mark.torch
@pytest.mark.parametrize("nd", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_channels_last_matches_torch(nd):
    rng = np.random.default_rng(nd)
    x = rng.standard_normal((2, 4, *(9, 8)[:nd]))
    w = rng.standard_normal((6, 2, *(3, 2)[:nd]))
    wt = rng.standard_normal((4, 3, *(3, 4)[:nd]))
    b = rng.standard_normal(6)
    conv = (F.conv1d, F.conv2d)[nd - 1]
    conv_t = (F.conv_transpose1d, F.conv_transpose2d)[nd - 1]
    ref = conv(torch.tensor(x), torch.tensor(w), torch.tensor(b), 2, 1, 1, 2).numpy()
    ref_t = conv_t(torch.tensor(x), torch.tensor(wt), None, 2, 1, 1).numpy()
    x_last = jnp.asarray(np.moveaxis(x, 1, -1))
    got = ca.nn.conv(x_last, w, b, 2, 1, 1, 2, data_format="channels_last")
    got_t = ca.nn.conv_transpose(x_last, wt, None, 2, 1, 1, data_format="channels_last")
    np.testing.assert_allclose(got, np.moveaxis(ref, 1, -1), atol=1e-10)
    np.testing.assert_allclose(got_t, np.moveaxis(ref_t, 1, -1), atol=1e-10)
    g = jax.grad(
        lambda v: jnp.sum(ca.nn.conv(v, w, b, 2, 1, 1, 2, data_format="channels_last") ** 2)
    )
    g_ref = jax.grad(lambda v: jnp.sum(ca.nn.conv(v, w, b, 2, 1, 1, 2) ** 2))
    np.testing.assert_allclose(
        g(x_last), np.moveaxis(np.asarray(g_ref(jnp.asarray(x))), 1, -1), atol=1e-10
    )


def test_data_format_errors():
    with pytest.raises(ValueError, match="data_format must be one of"):
        ca.nn.conv(jnp.ones((1, 2, 8)), jnp.ones((1, 2, 3)), data_format="NHWC")
    with pytest.raises(ValueError, match="channels-last input must be"):
        ca.nn.conv(jnp.ones(8), jnp.ones((1, 2, 3)), data_format="channels_last")
