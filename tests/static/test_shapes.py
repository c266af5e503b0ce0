"""Pure-integer shape arithmetic, checked against NumPy/SciPy by property-based tests."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convalgebra._static import shapes as _shapes


@given(n=st.integers(0, 40), k=st.integers(1, 6), data=st.data())
def test_down_length_matches_slicing(n, k, data):
    p = data.draw(st.integers(0, k - 1))
    assert _shapes.down_length(n, k, p) == len(range(n)[p::k])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    k=st.integers(1, 12),
    mode=st.sampled_from(["full", "same", "valid"]),
    flip=st.booleans(),
)
def test_filter_length_matches_scipy(n, k, mode, flip):
    if mode == "valid" and k > n:
        with pytest.raises(ValueError, match="valid"):
            _shapes.filter_length("conv", mode, n, k, flip)
        return
    f = scipy.signal.convolve if flip else scipy.signal.correlate
    assert _shapes.filter_length("conv", mode, n, k, flip) == len(f(np.ones(n), np.ones(k), mode))


def test_canonical_factors_phases_widths():
    assert _shapes.factors("up", 2, None) == (2,)
    assert _shapes.factors("up", 2, 3) == (2, 2, 2)
    assert _shapes.factors("up", (2, 3), None) == (2, 3)
    assert _shapes.factors("up", np.int64(2), None) == (2,)
    assert _shapes.phases("up", 1, (2, 3)) == (1, 1)
    assert _shapes.widths("pad", 2) == ((2, 2),)
    assert _shapes.widths("pad", (1, 2)) == ((1, 2),)
    assert _shapes.widths("pad", [(1, 2), (0, 3)]) == ((1, 2), (0, 3))
    with pytest.raises(ValueError, match=r"phase must give one value per axis \(2\)"):
        _shapes.phases("down", (0,), (2, 2))
    with pytest.raises(TypeError, match="widths must be"):
        _shapes.widths("crop", "same")
    with pytest.raises(ValueError, match="ndim must be a positive int"):
        _shapes.factors("up", 2, 0)
    with pytest.raises(ValueError, match="mode must be one of"):
        _shapes.corr_padding("sane", 3, True)
