"""convalgebra.nn argument handling: canonical forms, size arithmetic, and every bad input."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

import convalgebra as ca
from convalgebra.nn import _args

torch = pytest.importorskip("torch")


# ---- canonicalisation -------------------------------------------------------------------------
def test_ints_and_padding_spellings():
    assert _args.ints("op", "stride", 2, 3, 1) == (2, 2, 2)
    assert _args.ints("op", "stride", (1, np.int64(2)), 2, 1) == (1, 2)
    assert _args.padding("op", 1, 2) == ((1, 1), (1, 1))
    assert _args.padding("op", (1, 2), 2) == ((1, 1), (2, 2))
    assert _args.padding("op", [(0, 1), 2], 2) == ((0, 1), (2, 2))
    assert _args.padding("op", "SAME", 1) == "same"
    assert _args.padding("op", "valid", 1) == "valid"


def test_tensorflow_same_pads():
    # TensorFlow: ceil(n/s) outputs, total = max((out-1)s + k - n, 0), the odd sample after
    assert _args.same_pads(4, 3, 2) == (0, 1)
    assert _args.same_pads(5, 3, 2) == (1, 1)
    assert _args.same_pads(7, 4, 1) == (1, 2)
    assert _args.same_pads(6, 1, 3) == (0, 0)
    assert _args.same_pads(2, 5, 3) == (1, 2)


@pytest.mark.parametrize("k,s", [(3, 2), (4, 2), (1, 3), (2, 3), (5, 1), (3, 3)])
def test_transpose_pads_give_tensorflow_sizes(k, s):
    (same,) = _args.transpose_pads("op", "same", (0,), (k,), (s,), (1,))
    (valid,) = _args.transpose_pads("op", "valid", (0,), (k,), (s,), (1,))
    for n in range(1, 6):
        assert _args.transpose_out("op", (n,), (k,), (s,), (same,)) == (n * s,)
        assert _args.transpose_out("op", (n,), (k,), (s,), (valid,)) == (n * s + max(k - s, 0),)
        # and the forward convolution with those pads maps the output size back to n
        assert _args.conv_out("op", (n * s,), (k,), (s,), (same,)) == (n,)


def test_transpose_pads_fold_output_padding_into_hi():
    assert _args.transpose_pads("op", ((2, 2),), (1,), (3,), (2,), (1,)) == ((2, 1),)


def test_conv_sizes_match_torch():
    x = torch.zeros(1, 1, 9)
    for k, s, p, d in itertools.product((1, 2, 3), (1, 2, 3), (0, 1, 2), (1, 2)):
        k_eff = d * (k - 1) + 1
        (n_out,) = _args.conv_out("op", (9,), (k_eff,), (s,), ((p, p),))
        ref = torch.nn.functional.conv1d(x, torch.zeros(1, 1, k), stride=s, padding=p, dilation=d)
        assert n_out == ref.shape[-1]


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_sizes_and_divisors_match_torch(ceil_mode):
    for n, k, s, p in itertools.product((4, 5, 7), (1, 2, 3), (1, 2, 3), (0, 1)):
        if p > k // 2:
            continue
        x = torch.ones(1, 1, n, dtype=torch.float64)
        for include in (True, False):
            ref = torch.nn.functional.avg_pool1d(x, k, s, p, ceil_mode, include)
            (out,) = _args.pool_out("op", (n,), (k,), (s,), (p,), ceil_mode)
            assert out == ref.shape[-1], (n, k, s, p)
            counts = _args.pool_counts(n, k, s, p, out, include)
            # average of ones = (number of real samples in the window) / divisor
            real = _args.pool_counts(n, k, s, p, out, False)
            np.testing.assert_allclose(np.divide(real, counts), ref[0, 0].numpy())


# ---- bad input: ValueError naming the argument, the rule and the values -----------------------
X1 = np.zeros((2, 4, 8), np.float32)
W1 = np.zeros((6, 2, 3), np.float32)  # (C_out, C_in/groups, K), groups=2
WT1 = np.zeros((4, 3, 3), np.float32)  # (C_in, C_out/groups, K)

BAD = [
    # (callable, exception, fragments the message must contain)
    (lambda: ca.nn.conv_transpose(X1, WT1, stride=2, output_padding=2), ValueError,
     ["output_padding", "smaller than stride or dilation", "output_padding=(2,)", "stride=(2,)"]),
    (lambda: ca.nn.conv_transpose(X1, WT1, stride=1, dilation=2, output_padding=2), ValueError,
     ["output_padding", "dilation=(2,)"]),
    (lambda: ca.nn.conv(X1, W1, groups=3), ValueError, ["groups must divide", "groups=3", "4"]),
    (lambda: ca.nn.conv(X1, np.zeros((5, 2, 3), np.float32), groups=2), ValueError,
     ["groups must divide", "output channels", "5"]),
    (lambda: ca.nn.conv_transpose(X1, WT1, groups=3), ValueError, ["groups", "groups=3"]),
    (lambda: ca.nn.conv(X1, np.zeros((6, 2, 3, 3, 3), np.float32)), ValueError,
     ["rank", "(2, 4, 8)", "(6, 2, 3, 3, 3)", "3-D"]),
    (lambda: ca.nn.conv(X1, np.zeros((6, 3), np.float32)), ValueError, ["weight", "rank"]),
    (lambda: ca.nn.conv(X1, W1, groups=1), ValueError, ["channels", "4", "C_in"]),
    (lambda: ca.nn.conv_transpose(X1, np.zeros((3, 3, 3), np.float32)), ValueError,
     ["channels", "weight.shape[0]"]),
    (lambda: ca.nn.conv(X1, W1, padding=-1, groups=2), ValueError,
     ["padding", "non-negative", "padding=-1"]),
    (lambda: ca.nn.conv_transpose(X1, WT1, padding=(1, -2)), ValueError, ["padding"]),
    (lambda: ca.nn.conv(X1, W1, stride=0, groups=2), ValueError, ["stride", ">= 1", "stride=0"]),
    (lambda: ca.nn.conv(X1, W1, dilation=(1, 2), groups=2), ValueError,
     ["dilation", "1 ints", "length 2"]),
    (lambda: ca.nn.conv(X1, W1, stride=1.5, groups=2), TypeError, ["stride", "1.5"]),
    (lambda: ca.nn.conv(X1, W1, padding="full", groups=2), ValueError, ["padding", "'full'"]),
    (lambda: ca.nn.conv(X1, W1, padding=5, dilation=9, groups=2), ValueError,
     ["at least as long", "effective kernel size"]),
    (lambda: ca.nn.conv_op(W1, stride=2, padding="same"), ValueError,
     ["padding='same'", "stride=(2,)", "in_size"]),
    (lambda: ca.nn.conv_transpose(X1, WT1, stride=2, padding="same", output_padding=1),
     ValueError, ["'same'", "cannot be honoured", "output_padding=(1,)"]),
    (lambda: ca.nn.conv_transpose(X1[..., :1], WT1, padding=2), ValueError,
     ["removes every output sample", "output size (-1,)"]),
    (lambda: ca.nn.conv(X1, W1, groups=2, padding_mode="mirror"), ValueError, ["padding_mode"]),
    (lambda: ca.nn.conv(X1.astype(np.int32), W1, groups=2), TypeError, ["input", "int32"]),
    (lambda: ca.nn.upsample_linear(X1, 1.5), ValueError, ["upsample_linear:", "factor=1.5"]),
    (lambda: ca.nn.upsample_linear(X1, 0), ValueError, ["factor", ">= 1"]),
    (lambda: ca.nn.upsample_nearest(X1[0, 0], 2), ValueError, ["upsample_nearest", "(8,)"]),
    (lambda: ca.nn.upsample_bilinear(X1, 4), ValueError, ["upsample_bilinear", "2 spatial"]),
    (lambda: ca.nn.upsample_nearest(X1, 2, 2), ValueError, ["upsample_nearest", "exactly one"]),
    (lambda: ca.nn.interpolate(X1, 4, mode="linear", antialias=True), ValueError,
     ["interpolate", "antialias", "bilinear and bicubic"]),
    (lambda: ca.nn.interpolate(X1.astype(np.uint8), 4, mode="linear"), TypeError,
     ["interpolate", "uint8", "nearest"]),
    (lambda: ca.nn.avg_pool(X1, 2, padding=2), ValueError,
     ["padding", "at most half", "padding=(2,)"]),
    (lambda: ca.nn.max_pool(X1, 3, dilation=2, padding=3), ValueError,
     ["at most half", "effective (5,)"]),
    (lambda: ca.nn.avg_pool(X1, 9), ValueError, ["window"]),
    (lambda: ca.nn.avg_pool_op(2, ndim=1, ceil_mode=True), ValueError, ["in_size"]),
    (lambda: ca.nn.max_pool_op(2), ValueError, ["ndim"]),
    (lambda: ca.nn.upsample_conv_fused(W1, 2, padding=3), ValueError,
     ["padding <= kernel_size - 1", "padding=3"]),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(BAD)))
def test_bad_input_is_reported(i):
    fn, exc, fragments = BAD[i]
    with pytest.raises(exc) as info:
        fn()
    for frag in fragments:
        assert frag in str(info.value), (frag, str(info.value))


BEFORE_TRACING = [
    lambda x: ca.nn.conv_transpose(x, WT1, stride=2, output_padding=2),
    lambda x: ca.nn.conv(x, W1, groups=3),
    lambda x: ca.nn.conv(x, W1, padding=-1, groups=2),
    lambda x: ca.nn.conv_transpose(x, WT1, stride=2, padding="same", output_padding=1),
    lambda x: ca.nn.avg_pool(x, 2, padding=2),
    lambda x: ca.nn.max_pool(x, 3, dilation=2, padding=3),
    lambda x: ca.nn.upsample_linear(x, 0),
]


@pytest.mark.parametrize("i", range(len(BEFORE_TRACING)))
def test_errors_come_before_tracing(i):
    """Validation is integer arithmetic on shapes: nothing is traced before the error."""

    def f(x):
        with pytest.raises((ValueError, TypeError)):
            BEFORE_TRACING[i](x)
        return x

    assert not jax.make_jaxpr(f)(X1).eqns
