"""``ca.optimize`` (jaxpr rewrites), ``ca.explain`` and measured plans."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import rand
from jax import lax

import convalgebra as ca
from convalgebra._expr.explain import lax_ops

FAST = {"xla_cpu_use_fusion_emitters": False}  # 3-4x faster XLA:CPU compiles, same numerics


def jit(fn):
    return jax.jit(fn, compiler_options=FAST)


def dilations(fn, *args):
    return [p["lhs_dilation"] for n, p in lax_ops(jax.make_jaxpr(fn)(*args)) if p]


@pytest.mark.parametrize("dn", [("NCH", "OIH", "NCH"), ("NHC", "HIO", "NHC")])
@pytest.mark.parametrize("padding", ["SAME", "VALID", [(2, 1)]])
def test_optimize_conv_transpose_to_polyphase(rng, dn, padding):
    x = jnp.asarray(rand(rng, (2, 8, 3) if dn[0] == "NHC" else (2, 3, 8)))
    w = jnp.asarray(rand(rng, (4, 3, 4) if dn[1] == "OIH" else (4, 3, 5)))

    def f(x, w):
        return lax.conv_transpose(x, w, (2,), padding, dimension_numbers=dn)

    report = []
    g = ca.optimize(f, report)
    y, ref = jit(lambda x, w: (g(x, w), f(x, w)))(x, w)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=1e-12)
    assert report == ["lhs_dilation_to_polyphase"]
    assert (2,) in dilations(f, x, w) and (2,) not in dilations(g, x, w)


def test_optimize_2d_and_slice_to_strided(rng):
    x, w = jnp.asarray(rand(rng, (2, 3, 9, 8))), jnp.asarray(rand(rng, (4, 3, 3, 2)))

    def f(x, w):
        y = lax.conv_general_dilated(x, w, (1, 1), "SAME")
        return {"y": y[:, :, 1::2, ::3], "s": jnp.sum(x)}

    report = []
    out, ref = jit(lambda x, w: (ca.optimize(f, report)(x, w), f(x, w)))(x, w)
    np.testing.assert_allclose(out["y"], ref["y"], atol=1e-12)
    np.testing.assert_allclose(out["s"], ref["s"])
    assert report == ["conv_slice_to_strided"]

    def vjp_fn(x, w):  # the transpose JAX derives for a strided conv, inside a jit
        f = jax.jit(lambda x: lax.conv_general_dilated(x, w, (2, 2), "SAME"))
        return jax.vjp(f, x)[1](jnp.ones((2, 4, 5, 4)))[0]

    report = []
    got, ref = jit(lambda x, w: (ca.optimize(vjp_fn, report)(x, w), vjp_fn(x, w)))(x, w)
    np.testing.assert_allclose(got, ref, atol=1e-12)
    assert report == ["lhs_dilation_to_polyphase"]


def test_optimize_untraceable_is_value_error():
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(ValueError, match="optimize: cannot trace f"):
        ca.optimize(f)(jnp.ones(()))
    with pytest.raises(ValueError, match="cannot trace"):
        ca.optimize(lambda s: jnp.ones(3) * len(s))("abc")


def test_explain(rng):
    op = ca.down(2) @ ca.corr(rand(rng, (4, 3, 5)), "same", 1)
    text = ca.explain(op, jax.ShapeDtypeStruct((2, 3, 16), np.float32))
    assert "expression:  ↓2 (q ⋆[same] x)" in text
    assert "strided_conv" in text and "strategy:  lax" in text
    assert "conv_general_dilated x1" in text and "window_strides=(2,)" in text
    text = ca.explain(ca.corr(rand(rng, (3, 7)), ndim=1) @ ca.up(2))
    assert "ca.explain(A, x_like)" in text


def test_plan_roundtrip_and_malformed(rng, tmp_path):
    op = ca.down(2) @ ca.corr(rand(rng, (2, 2, 3)), "same", 1)
    x = jnp.asarray(rand(rng, (1, 2, 16)))
    plan = ca.measure(op, x, repeats=1)
    assert len(plan.entries) == 1 and set(plan.entries.values()) <= set(ca.STRATEGIES)
    path = str(tmp_path / "plan.json")
    plan.save(path)
    loaded = ca.Plan.load(path)
    assert loaded.entries == plan.entries
    np.testing.assert_allclose(ca.lower(op, plan=loaded)(x), ca.as_written(op)(x), atol=1e-12)
    key = next(iter(plan.entries))
    for bad in [
        "{",
        "[]",
        '{"convalgebra_plan": 2, "entries": {}}',
        '{"convalgebra_plan": 1, "entries": {"k": "gemm"}}',
    ]:
        with pytest.raises(ValueError, match=r"Plan\.from_json"):
            ca.Plan.from_json(bad)
    forced = ca.Plan({key: "fft"})
    ops = [n for n, _ in lax_ops(jax.make_jaxpr(ca.lower(op, plan=forced))(x))]
    assert any("fft" in n for n in ops)
    # the plan is part of the operator's static structure, hence of the jit cache key
    f = jax.jit(lambda A, x: A(x))
    f(ca.lower(op, plan=ca.Plan({key: "lax"})), x)
    f(ca.lower(op, plan=forced), x)
    assert f._cache_size() == 2
    assert hash(forced) == hash(ca.Plan({key: "fft"})) and forced == ca.Plan({key: "fft"})
    with pytest.raises(AttributeError, match="immutable"):
        forced.entries = {}  # type: ignore[misc]
