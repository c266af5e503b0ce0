"""``convalgebra.bench.compare``: users' formulations timed side by side after a cross-check."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
from convalgebra.bench import Timing, compare, table

X = jax.random.normal(jax.random.key(0), (2, 3, 64), jnp.float32)
Q = jax.random.normal(jax.random.key(1), (4, 3, 5), jnp.float32)


def _ca(x, q):
    return (ca.down(2) @ ca.corr(q, "same", ndim=1))(x)


def _lax(x, q):
    return jax.lax.conv_general_dilated(x, q, (2,), [(2, 2)])


def test_agreeing_formulations_are_timed():
    rows = compare({"convalgebra": _ca, "lax": _lax}, X, Q, repeat=3, budget=0.01)
    assert [r.name for r in rows] == ["convalgebra", "lax"]
    assert all(isinstance(r, Timing) and r.status == "ok" for r in rows)
    assert all(r.n >= 3 and r.median_ms > 0 and r.compile_s > 0 for r in rows)
    assert min(r.ratio for r in rows) == 1.0
    assert max(r.rel_err for r in rows) < 1e-5
    text = table(rows)
    assert "convalgebra" in text and "lax" in text


def test_a_disagreeing_formulation_is_not_timed():
    rows = compare({"ref": _lax, "wrong": lambda x, q: 2 * _lax(x, q)}, X, Q, repeat=3,
                   budget=0.01)  # fmt: skip
    assert rows[0].status == "ok"
    assert rows[1].status.startswith("disagrees: relative error 1")
    assert np.isnan(rows[1].median_ms) and rows[1].n == 0


def test_bad_input():
    with pytest.raises(ValueError, match="compare: give at least one function"):
        compare({}, X)
    with pytest.raises(ValueError, match="compare: repeat and budget must be positive"):
        compare({"f": _lax}, X, Q, repeat=0)
