"""Regressions of the "one spine" issue: each defect found in round 1 has a test here."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import rand

import convalgebra as ca
from convalgebra._expr.explain import lax_ops, recorded


def _convs(fn, *args):
    return [p for n, p in lax_ops(jax.make_jaxpr(fn)(*args)) if n == "conv_general_dilated"]


# ---- both transpose routes are real --------------------------------------------------------------
@pytest.mark.parametrize("conj", [False, True])
def test_two_transpose_routes_differ_and_agree(rng, conj):
    make = ca.adjoint if conj else ca.transpose
    w = jnp.asarray(rand(rng, (2, 2, 3), np.complex128 if conj else np.float64))
    x = jnp.zeros((1, 2, 16), w.dtype)
    for A in (ca.down(2) @ ca.corr(w, "same", 1), ca.corr(w, "full", 1) @ ca.up(2)):
        y = jnp.asarray(rand(rng, A.out_struct(x).shape, w.dtype))
        lt, vjp = make(A, x, method="linear_transpose"), make(A, x, method="vjp")
        j_lt, j_vjp = str(jax.make_jaxpr(lt)(y)), str(jax.make_jaxpr(vjp)(y))
        assert j_lt != j_vjp  # two programs ...
        assert "custom_jvp_call" in j_vjp and "custom_jvp_call" not in j_lt
        np.testing.assert_allclose(lt(y), vjp(y), atol=1e-12)  # ... equal values
        np.testing.assert_allclose(lt(y), ca.as_written(lt)(y), atol=1e-12)
        for t in (lt, vjp):  # both fast: no lhs_dilation
            assert all(p["lhs_dilation"] == (1,) for p in _convs(t, y))


def test_linear_transpose_route_kernel_gradient_is_fast(rng):
    w = jnp.asarray(rand(rng, (4, 3, 5)))
    x = jax.ShapeDtypeStruct((2, 3, 12), np.float64)
    y = jnp.asarray(rand(rng, (2, 4, 6)))

    def loss(w, method):
        return jnp.sum(ca.transpose(ca.down(2) @ ca.corr(w, "same", 1), x, method)(y) ** 2)

    g_lt, g_vjp = (jax.grad(loss)(w, m) for m in ("linear_transpose", "vjp"))
    np.testing.assert_allclose(g_lt, g_vjp, atol=1e-10)
    for m in ("linear_transpose", "vjp"):
        assert all(
            p["lhs_dilation"] == (1,) for p in _convs(lambda w, m=m: jax.grad(loss)(w, m), w)
        )


# ---- every pass sees every node ------------------------------------------------------------------
def test_explain_lower_measure_see_through_transposes(rng):
    A = ca.down(2) @ ca.corr(jnp.asarray(rand(rng, (2, 2, 3))), "same", 1)
    xs = jax.ShapeDtypeStruct((1, 2, 16), np.float64)
    T = ca.transpose(A, xs)
    ys = A.out_struct(xs)
    text = ca.explain(T, ys)
    assert "strided_conv" in text and "inside a transpose" in text and "strategy:" in text
    for st in ca.STRATEGIES:
        _, _, records, _ = recorded(ca.lower(T, strategy=st), ys)
        assert [r.strategy for r in records] == [st]
    y = jnp.asarray(rand(rng, ys.shape))
    np.testing.assert_allclose(ca.lower(T, strategy="shift")(y), T(y), atol=1e-12)
    plan = ca.measure(T, ys, repeats=1)
    assert len(plan) == 1
    # transposes nested in compositions, sums and scalings are seen too
    B = 2.0 * (ca.corr(jnp.ones(3), "same") @ T.on(ys)) + T
    records = recorded(B, ys)[2]
    assert sorted(r.transposed for r in records) == [0, 1, 1]


def test_explain_reports_what_ran(rng):
    A = ca.down(2) @ ca.corr(jnp.ones(64), "same")
    xs = jax.ShapeDtypeStruct((1, 2**14), np.float32)
    for st in ca.STRATEGIES:
        text = ca.explain(ca.lower(A, strategy=st), xs)
        assert f"strategy:  {st} by pinned" in text


# ---- no hidden inputs ----------------------------------------------------------------------------
def test_scale_folds_the_same_closed_over_or_as_argument(rng):
    A = 2.0 * (ca.down(2) @ ca.corr(jnp.asarray(rand(rng, (3,)))))
    x = jnp.ones(9)
    closed = [n for n, _ in lax_ops(jax.make_jaxpr(lambda x: A(x))(x))]
    passed = [n for n, _ in lax_ops(jax.make_jaxpr(lambda A, x: A(x))(A, x))]
    assert closed == passed


# ---- silent wrong gradient, precision, aborts, crashes ---------------------------------------
def test_scale_kernels_are_leaves():
    A = 2.0 * ca.conv(jnp.array([1.0, -2.0, 0.5]))
    g = jax.grad(lambda A: jnp.sum(A(jnp.arange(1.0, 6.0))))(A)
    np.testing.assert_allclose(g.op.kernel, [30.0, 30.0, 30.0])
    f = jax.jit(lambda A, x: A(x))
    f(A, jnp.ones(4))
    f(2.0 * ca.conv(jnp.array([3.0, 1.0, 0.0])), jnp.ones(4))
    assert f._cache_size() == 1  # a new kernel value does not retrace
    neg = -ca.conv(jnp.array([1.0, 2.0]))
    g = jax.grad(lambda A: jnp.sum(A(jnp.ones(3))))(neg)
    np.testing.assert_allclose(g.op.kernel, [-3.0, -3.0])
    ops = [-ca.conv(jnp.array([1.0, float(i)])) for i in range(3)]
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *ops)
    got = jax.vmap(lambda A: A(jnp.ones(3)))(stacked)
    np.testing.assert_allclose(got, np.stack([op(jnp.ones(3)) for op in ops]))


def test_folding_and_merging_run_in_the_computation_dtype():
    x = jnp.array([1.0, 2.0, 3.0])
    A = 0.1 * ca.conv(jnp.array([1.0, 3.0], jnp.float32))
    np.testing.assert_allclose(A(x), ca.as_written(A)(x), rtol=1e-15)
    assert "fold_scale" in recorded(A, x)[1]
    k1, k2 = jnp.array([0.1, 0.3], jnp.float32), jnp.array([0.7, 0.9, 0.11], jnp.float32)
    B = ca.conv(k1) @ ca.conv(k2)
    assert "conv_conv" in recorded(B, x)[1]
    np.testing.assert_allclose(B(x), ca.as_written(B)(x), rtol=1e-15)
    for T in (ca.transpose(A, x), ca.adjoint(B, x)):
        y = jnp.ones(T._fixed_in().shape)
        np.testing.assert_allclose(T(y), ca.as_written(T)(y), rtol=1e-14)


def test_merged_kernel_gradient_compiles():
    """Kernel merging followed by a flip aborted XLA:CPU (SIGABRT); run it in a subprocess."""
    code = (
        "import jax, jax.numpy as jnp, convalgebra as ca\n"
        "A = ca.lower(ca.down(2) @ ca.corr(jnp.array([3.])) @ ca.corr(jnp.array([1., 2.])),"
        " strategy='lax')\n"
        "print(jax.jit(jax.grad(lambda x: jnp.sum(A(x))))(jnp.ones(4)).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert eval(out.stdout.strip()) == [6.0, 3.0, 6.0, 3.0]


@pytest.mark.parametrize("strategy", [None, *ca.STRATEGIES])
def test_crop_larger_than_the_axis_after_padding(strategy):
    q = jnp.array([1.0, 2.0, 3.0])
    for k in (q, jnp.ones((2, 1, 3))):
        nd = 1
        A = ca.down(4) @ ca.crop((0, 4)) @ ca.corr(k, "valid", nd) @ ca.pad((4, 0))
        A = A if strategy is None else ca.lower(A, strategy=strategy)
        x = jnp.arange(1.0, 5.0) if k.ndim == 1 else jnp.arange(1.0, 5.0)[None]
        np.testing.assert_allclose(A(x), ca.as_written(A)(x))
        T = ca.transpose(A, x)
        y = jnp.ones(A.out_struct(x).shape)
        np.testing.assert_allclose(T(y), ca.as_written(T)(y))


def test_channel_check_reads_through_transposes():
    T = ca.corr(jnp.ones((3, 2, 3)), ndim=1).on((2, 11)).T  # 3 -> 2 channels
    X = T @ ca.corr(jnp.ones((3, 1, 1)), ndim=1)
    assert X.out_struct((1, 13)).shape == (2, 11)
    Y = ca.conv(jnp.ones((2, 4)), ndim=1) @ X
    assert Y.out_struct((1, 13)).shape == (2, 14)
    with pytest.raises(ValueError, match="compose"):
        _ = ca.conv(jnp.ones((5, 4)), ndim=1) @ X


def test_empty_axes():
    assert ca.up(2)(jnp.zeros((3, 0))).shape == (3, 0) == ca.up(2).out_struct((3, 0)).shape
    A = ca.corr(jnp.array([1.0, 2.0])) @ ca.up(2)
    want = A.out_struct((0,)).shape
    assert A(jnp.zeros(0)).shape == ca.as_written(A)(jnp.zeros(0)).shape == want


def test_nested_transposes_do_not_grow():
    C = ca.down(2) @ ca.corr(jnp.array([1.0, 2.0, 3.0]), "same")
    sizes = []
    for depth in (0, 2, 8):
        op, xs = C, jax.ShapeDtypeStruct((16,), np.float64)
        for _ in range(depth):
            ys = op.out_struct(xs)
            op, xs = ca.transpose(op, xs), ys
        sizes.append(len(str(jax.make_jaxpr(op)(jnp.zeros(xs.shape))).splitlines()))
    assert sizes[2] <= sizes[0] + 5, sizes


# ---- contracts: kernel rank, dtypes, bad input ---------------------------------------------------
def test_a_deep_learning_weight_needs_ndim():
    with pytest.raises(ValueError, match="ambiguous without ndim"):
        ca.corr(jnp.ones((16, 8, 3)), "same")
    assert ca.corr(jnp.ones((16, 8, 3)), "same", ndim=1)(jnp.ones((4, 8, 64))).shape == (4, 16, 64)
    assert ca.conv(jnp.ones((3, 3)))(jnp.ones((5, 5))).shape == (7, 7)  # 2-D filter, as SciPy


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_low_precision_stays_low(dtype):
    x = jnp.ones((2, 64), dtype)
    assert ca.conv([0.5, 0.5])(x).dtype == dtype
    long = ca.corr(jnp.ones(300, dtype), "same")  # would pick FFT in float32
    assert long(jnp.ones((1, 4096), dtype)).dtype == dtype
    assert all(r.strategy != "fft" for r in recorded(long, jnp.ones((1, 4096), dtype))[2])
    with pytest.raises(ValueError, match="cannot run"):
        ca.lower(long, strategy="fft")(jnp.ones((1, 4096), dtype))
    A = ca.down(2) @ ca.corr(jnp.ones(3, dtype))
    assert ca.testing.check_adjoint(A, jnp.zeros(8, dtype)) < 1e-2


def test_bad_input_gets_clear_errors():
    with pytest.raises(TypeError, match="conv: the kernel must be an array of numbers"):
        ca.conv("abc")
    with pytest.raises(TypeError, match="rectangular"):
        ca.conv([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="the input must be an array"):
        ca.down(2)(None)
    with pytest.raises(TypeError, match="rectangular"):
        ca.down(2)([[1.0], [2.0, 3.0]])
    assert ca.pad(np.int64(1)).widths == ((1, 1),)
    with pytest.raises(TypeError, match="scale"):
        _ = np.ones(2) * ca.down(2)
    x = jnp.ones(8)
    with pytest.raises(ValueError, match="equal output shapes"):
        _ = ca.conv(jnp.ones(3)).on(x) + ca.conv(jnp.ones(5)).on(x)
    with pytest.raises(ValueError, match="floating or complex"):
        ca.transpose(ca.down(2), jnp.zeros(4, jnp.int32))
    with pytest.raises(ValueError, match="complex x_like"):
        ca.adjoint(ca.conv(jnp.array([1.0 + 1j, 2.0])), jnp.zeros(4))
    xc = jnp.zeros(4, jnp.complex128)
    assert ca.testing.check_adjoint(ca.conv(jnp.array([1.0 + 1j, 2.0])), xc) < 1e-12
