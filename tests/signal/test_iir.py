"""Recursive filters: lfilter / sosfilt / filtfilt / sosfiltfilt / *_zi against SciPy, and the
operators lfilter_op / sosfilt_op in the algebra (matrix, derived transposes, dot tests,
composition, kernel gradients).

Oracles: scipy.signal (values, zi/zf), dense Toeplitz matrices built from SciPy's impulse
response, time reversal (the anti-causal filter), jax.test_util.check_grads (finite differences).
"""

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs

ss = pytest.importorskip("scipy.signal", reason="scipy (the oracle) is not installed")

pytestmark = pytest.mark.usefixtures("quick_compiles")

RECURRENCES = ["sequential", "blocked", "toeplitz", "associative"]


def rel(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    return float(np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-300))


def butter_ba(n=4, w=0.2):
    return ss.butter(n, w)


# ---- values against SciPy -------------------------------------------------------------------
@pytest.mark.parametrize(
    "recurrence",
    [r if r != "sequential" else pytest.param(r, marks=pytest.mark.slow) for r in RECURRENCES],
)
def test_lfilter_op_every_recurrence_matches_scipy(rng, recurrence):
    b, a = butter_ba()
    x = rng.standard_normal((3, 203))  # not a multiple of any block length
    y = cs.lfilter_op(b, a, recurrence=recurrence)(x)
    assert rel(y, ss.lfilter(b, a, x)) < 1e-12


@pytest.mark.parametrize("axis", [0, pytest.param(1, marks=pytest.mark.slow), -1])
def test_lfilter_nd_any_axis_and_complex(rng, axis):
    b, a = [0.2, 0.1, -0.3], [2.0, -0.5, 0.3]  # a[0] != 1: normalised as SciPy
    x = rng.standard_normal((5, 40, 3)) + 1j * rng.standard_normal((5, 40, 3))
    assert rel(cs.lfilter(b, a, x, axis=axis), ss.lfilter(b, a, x, axis=axis)) < 1e-12
    bc = np.array([0.5 + 0.2j, 0.1j])  # complex coefficients on real data
    xr = x.real
    assert rel(cs.lfilter(bc, a, xr, axis=axis), ss.lfilter(bc, a, xr, axis=axis)) < 1e-12


def test_lfilter_fir_and_gain_only(rng):
    x = rng.standard_normal((2, 50))
    assert rel(cs.lfilter([1.0, 2.0, 3.0], [2.0], x), ss.lfilter([1.0, 2.0, 3.0], [2.0], x)) < 1e-13
    assert rel(cs.lfilter([3.0], [2.0], x), ss.lfilter([3.0], [2.0], x)) < 1e-15


def test_lfilter_zi_returns_y_and_zf(rng):
    b, a = butter_ba(3, 0.3)
    x = rng.standard_normal((4, 60))
    zi = rng.standard_normal((4, 3))
    y, zf = cs.lfilter(b, a, x, zi=zi)
    yr, zfr = ss.lfilter(b, a, x, zi=zi)
    assert rel(y, yr) < 1e-12 and rel(zf, zfr) < 1e-12
    zi1 = rng.standard_normal((1, 3))  # broadcast along the other axes, as SciPy allows
    y, zf = cs.lfilter(b, a, x, zi=zi1)
    yr, zfr = ss.lfilter(b, a, x, zi=zi1)
    assert rel(y, yr) < 1e-12 and rel(zf, zfr) < 1e-12
    ya, zfa = cs.lfilter(b, a, x.T, axis=0, zi=zi.T)
    yr0, zfr0 = ss.lfilter(b, a, x.T, axis=0, zi=zi.T)
    assert rel(ya, yr0) < 1e-12 and rel(zfa, zfr0) < 1e-12


def test_lfilter_zi_and_sosfilt_zi_match_scipy():
    b, a = butter_ba(5, 0.1)
    assert rel(cs.lfilter_zi(b, a), ss.lfilter_zi(b, a)) < 1e-12
    sos = ss.cheby1(8, 0.05, 0.2, output="sos")
    assert rel(cs.sosfilt_zi(sos), ss.sosfilt_zi(sos)) < 1e-12


@pytest.mark.parametrize(
    "sos",
    [
        pytest.param(ss.butter(16, 0.1, output="sos"), marks=pytest.mark.slow),
        ss.cheby1(8, 0.05, 0.8 / 3, output="sos"),
        pytest.param(ss.butter(6, [0.1, 0.3], "bandpass", output="sos"), marks=pytest.mark.slow),
    ],
    ids=["butter16", "cheby1_8", "bandpass12"],
)
def test_sosfilt_matches_scipy(rng, sos):
    x = rng.standard_normal((2, 3, 700))
    assert rel(cs.sosfilt(sos, x), ss.sosfilt(sos, x)) < 1e-12
    xc = x + 1j * rng.standard_normal(x.shape)
    assert rel(cs.sosfilt(sos, xc, axis=1), ss.sosfilt(sos, xc, axis=1)) < 1e-12
    zi = rng.standard_normal((sos.shape[0], 2, 3, 2))
    y, zf = cs.sosfilt(sos, x, zi=zi)
    yr, zfr = ss.sosfilt(sos, x, zi=zi)
    assert rel(y, yr) < 1e-12 and rel(zf, zfr) < 1e-12


def test_float32_and_weak_coefficients(rng):
    x32 = rng.standard_normal(300).astype(np.float32)
    y = cs.lfilter([0.5, 0.5], [1.0, -0.2], x32)  # Python lists are weak: float32 stays
    assert y.dtype == np.float32
    b, a = butter_ba()
    assert cs.lfilter(b, a, x32).dtype == np.float64  # NumPy float64 promotes (as SciPy)
    y32 = cs.sosfilt(ss.butter(8, 0.2, output="sos").astype(np.float32), x32)
    assert y32.dtype == np.float32
    ref = ss.sosfilt(ss.butter(8, 0.2, output="sos"), x32.astype(np.float64))
    assert rel(y32, ref) < 1e-4


def test_unstable_filter_runs_as_scipy(rng):
    b, a = [1.0], [1.0, -1.05]  # a pole outside the unit circle: grows, never clipped
    x = rng.standard_normal(300)
    y = cs.lfilter(b, a, x)
    yr = ss.lfilter(b, a, x)
    assert np.max(np.abs(yr)) > 1e5 and rel(y, yr) < 1e-10
    sos = [[1.0, 0.0, 0.0, 1.0, -2.1, 1.1]]  # poles 1.1 and 1.0
    assert rel(cs.sosfilt(sos, x), ss.sosfilt(np.array(sos), x)) < 1e-10


@pytest.mark.parametrize(
    "padtype,padlen",
    [
        ("odd", None),
        pytest.param("even", 10, marks=pytest.mark.slow),
        pytest.param("constant", 3, marks=pytest.mark.slow),
        (None, 0),
    ],
)
def test_filtfilt_and_sosfiltfilt_match_scipy(rng, padtype, padlen):
    b, a = butter_ba(4, 0.15)
    x = rng.standard_normal((3, 120))
    kw = {"padtype": padtype} if padlen is None else {"padtype": padtype, "padlen": padlen}
    assert rel(cs.filtfilt(b, a, x, **kw), ss.filtfilt(b, a, x, **kw)) < 1e-12
    sos = ss.cheby1(8, 0.05, 0.2, output="sos")
    assert (
        rel(cs.sosfiltfilt(sos, x.T, axis=0, **kw), ss.sosfiltfilt(sos, x.T, axis=0, **kw)) < 1e-11
    )


def test_sosfiltfilt_first_order_sections_default_padlen(rng):
    sos = ss.butter(5, 0.2, output="sos")  # one first-order section: SciPy's shorter padlen
    x = rng.standard_normal(40)
    assert rel(cs.sosfiltfilt(sos, x), ss.sosfiltfilt(sos, x)) < 1e-12


# ---- the operators in the algebra --------------------------------------------------------------
def test_matrix_is_lower_triangular_toeplitz_of_impulse_response():
    b, a = butter_ba(3, 0.25)
    n = 12
    h = ss.lfilter(b, a, np.eye(n)[0])
    toeplitz = np.array([[h[i - j] if i >= j else 0.0 for j in range(n)] for i in range(n)])
    op = cs.lfilter_op(b, a)
    assert ca.testing.check_matrix(op, jnp.zeros(n), toeplitz) < 1e-12
    sos = ss.butter(4, 0.3, output="sos")
    hs = ss.sosfilt(sos, np.eye(n)[0])
    ts = np.array([[hs[i - j] if i >= j else 0.0 for j in range(n)] for i in range(n)])
    assert ca.testing.check_matrix(cs.sosfilt_op(sos), jnp.zeros(n), ts) < 1e-12


@pytest.mark.parametrize(
    "method,recurrence",
    [
        pytest.param("linear_transpose", "toeplitz", marks=pytest.mark.slow),
        ("vjp", "blocked"),  # the CPU default; the associative scan compiles slowly
        pytest.param("vjp", "associative", marks=pytest.mark.slow),
        pytest.param("linear_transpose", "blocked", marks=pytest.mark.slow),
        pytest.param("linear_transpose", "associative", marks=pytest.mark.slow),
        pytest.param("vjp", "toeplitz", marks=pytest.mark.slow),
    ],
)
def test_transposes_are_the_anticausal_filter(rng, method, recurrence):
    sos = ss.cheby1(6, 0.5, 0.3, output="sos")
    op = cs.sosfilt_op(sos, recurrence=recurrence)
    x_like = jnp.zeros((2, 150))
    y = rng.standard_normal((2, 150))
    got = ca.transpose(op, x_like, method=method)(y)
    anti = ss.sosfilt(sos, y[:, ::-1])[:, ::-1]  # the recursion run backwards in time
    assert rel(got, anti) < 1e-12
    assert ca.testing.check_adjoint(op, x_like, method=method) < 1e-12
    b, a = butter_ba(3, 0.2)
    opc = cs.lfilter_op(b, a, axis=0, recurrence=recurrence)
    xc = jnp.zeros((90, 2), jnp.complex128)
    assert ca.testing.check_adjoint(opc, xc, method=method) < 1e-12


def test_filtfilt_is_the_composition_written_in_the_algebra(rng):
    b, a = butter_ba(3, 0.2)
    n, edge = 64, 12
    rev = ca.linear(lambda v: v[..., ::-1], "rev")
    f = cs.lfilter_op(b, a, initial="step")  # started in lfilter_zi(b, a) * x[0]
    odd = cs.Extend(edge, edge, "antireflect")  # SciPy's odd extension: 2 x[0] - x[m]
    op = ca.crop((edge, edge)) @ rev @ f @ rev @ f @ odd
    x = rng.standard_normal((2, n))
    assert rel(op(x), ss.filtfilt(b, a, x, padlen=edge)) < 1e-12
    assert rel(op(x), cs.filtfilt(b, a, x, padlen=edge)) < 1e-12
    assert ca.testing.check_adjoint(op, jnp.zeros((2, n))) < 1e-12


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_compose_with_up_down_conv_and_banks(rng):
    b, a = butter_ba(4, 0.3)
    h = np.array([0.25, 0.5, 0.25])
    op = ca.down(2) @ cs.lfilter_op(b, a) @ ca.conv(h) @ ca.up(2)
    x = rng.standard_normal((3, 31))
    up = np.zeros((3, 62))
    up[:, ::2] = x
    ref = ss.lfilter(b, a, np.stack([np.convolve(r, h) for r in up]))[:, ::2]
    assert rel(op(x), ref) < 1e-12
    assert ca.testing.check_adjoint(op, jnp.zeros((3, 31))) < 1e-12
    sos = ss.butter(4, 0.3, "high", output="sos")
    bank = ca.branch(cs.lfilter_op(b, a), cs.sosfilt_op(sos))
    lo, hi = bank(x)
    assert rel(lo, ss.lfilter(b, a, x)) < 1e-12 and rel(hi, ss.sosfilt(sos, x)) < 1e-12
    assert ca.testing.check_adjoint(bank, jnp.zeros((3, 31))) < 1e-12


def test_jit_eager_and_as_written_agree(rng):
    sos = ss.butter(6, 0.2, output="sos")
    op = cs.sosfilt_op(sos)
    x = jnp.asarray(rng.standard_normal((2, 500)))
    ref = ss.sosfilt(sos, np.asarray(x))
    assert rel(jax.jit(lambda v: op(v))(x), ref) < 1e-12
    assert rel(ca.as_written(op)(x), ref) < 1e-12
    assert rel(jax.jit(cs.sosfilt)(sos, x), ref) < 1e-12


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_kernel_gradients_by_finite_differences(rng):
    b, a = (jnp.asarray(v) for v in butter_ba(2, 0.3))
    x = jnp.asarray(rng.standard_normal(40))

    def f_ba(b, a):
        return cs.lfilter(b, a, x)

    jax.test_util.check_grads(f_ba, (b, a), order=1, modes=["rev"])
    sos = jnp.asarray(ss.butter(4, 0.25, output="sos"))
    jax.test_util.check_grads(lambda s: cs.sosfilt(s, x), (sos,), order=1, modes=["rev"])
    op_grad = jax.grad(lambda bb: jnp.sum(cs.lfilter_op(bb, a)(x) ** 2))(b)
    fn_grad = jax.grad(lambda bb: jnp.sum(cs.lfilter(bb, a, x) ** 2))(b)
    assert rel(op_grad, fn_grad) < 1e-12


@pytest.mark.slow
def test_sosfiltfilt_gradient_by_finite_differences(rng):
    x = jnp.asarray(rng.standard_normal(40))
    sos = jnp.asarray(ss.butter(4, 0.25, output="sos"))
    # filtfilt's gradient passes through lfilter_zi's solve: finite differences of eps 1e-4
    # agree to ~1e-5 relative
    jax.test_util.check_grads(
        lambda s: cs.sosfiltfilt(s, x), (sos,), order=1, modes=["rev"], rtol=1e-4, atol=1e-4
    )


# ---- the custom gradient (anti-causal all-pole run, lagged products) -------------------------
def _plain(fn_name, *coefs):
    """The same filter by JAX's autodiff of the sample-by-sample definition (the oracle)."""
    if fn_name == "sosfilt":
        return cs.sosfilt_op(coefs[0], recurrence="sequential")
    return cs.lfilter_op(*coefs, recurrence="sequential")


@pytest.mark.parametrize(
    "n", [64, pytest.param(203, marks=pytest.mark.slow)]
)  # 64: Toeplitz blocks run backwards; 203: the reversed program
def test_custom_gradient_matches_plain_autodiff(rng, n):  # sosfilt (lfilter: the slow grid)
    x = jnp.asarray(rng.standard_normal((2, n)))
    c = jnp.asarray(rng.standard_normal((2, n)))
    sos = jnp.asarray(ss.butter(4, 0.3, output="sos")) * jnp.asarray([1, 1, 1, 2, 2, 2.0])
    got = jax.grad(lambda s, v: jnp.sum(cs.sosfilt(s, v) * c), argnums=(0, 1))(sos, x)
    ref = jax.grad(lambda s, v: jnp.sum(_plain("sosfilt", s)(v) * c), argnums=(0, 1))(sos, x)
    assert all(rel(g, r) < 1e-10 for g, r in zip(got, ref))


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_custom_gradient_lfilter_complex_data_jvp_and_transposes(rng):
    n = 128
    x = jnp.asarray(rng.standard_normal((2, n)))
    c = jnp.asarray(rng.standard_normal((2, n)))
    b, a = jnp.asarray([0.2, 0.1]), jnp.asarray([2.0, -1.2, 0.5])  # b shorter, a[0] != 1
    got = jax.grad(lambda b, a, v: jnp.sum(cs.lfilter(b, a, v) * c), argnums=(0, 1, 2))(b, a, x)
    ref = jax.grad(lambda b, a, v: jnp.sum(_plain("lfilter", b, a)(v) * c), argnums=(0, 1, 2))(
        b, a, x
    )
    assert all(rel(g, r) < 1e-10 for g, r in zip(got, ref))
    sos = jnp.asarray(ss.cheby1(8, 0.05, 0.2, output="sos"))
    xc = jnp.asarray(rng.standard_normal((n,)) + 1j * rng.standard_normal((n,)))
    got = jax.grad(lambda s: jnp.sum(jnp.abs(cs.sosfilt(s, xc)) ** 2))(sos)
    ref = jax.grad(lambda s: jnp.sum(jnp.abs(_plain("sosfilt", s)(xc)) ** 2))(sos)
    assert rel(got, ref) < 1e-10
    ds = jnp.asarray(rng.standard_normal(sos.shape))  # forward mode: the transposed pullback
    t = jax.jvp(lambda s: cs.sosfilt(s, xc.real), (sos,), (ds,))[1]
    tr = jax.jvp(lambda s: _plain("sosfilt", s)(xc.real), (sos,), (ds,))[1]
    assert rel(t, tr) < 1e-10
    # the operator's two transpose routes: the custom rule (vjp) and JAX's (linear_transpose)
    op = cs.sosfilt_op(sos)
    c = rng.standard_normal((2, n))
    anti = ss.sosfilt(np.array(sos), c[:, ::-1].copy())[:, ::-1]
    for method in ("vjp", "linear_transpose"):
        assert rel(ca.transpose(op, jnp.zeros((2, n)), method=method)(c), anti) < 1e-12
        assert ca.testing.check_adjoint(op, jnp.zeros((2, n)), method=method) < 1e-12


def test_lag_dots_against_numpy(rng):
    from convalgebra.signal import _iir

    g, x = rng.standard_normal((3, 50)), rng.standard_normal((3, 50))  # 50: padded rows
    got = np.asarray(_iir._lag_dots(jnp.asarray(g), (jnp.asarray(x),), 11))[0]
    ref = [sum(np.dot(g[i, m:], x[i, : 50 - m]) for i in range(3)) for m in range(11)]
    assert rel(got, ref) < 1e-12


# ---- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: cs.lfilter([1.0], [0.0, 1.0], np.ones(4)), r"lfilter: a\[0\] must be nonzero"),
        (lambda: cs.lfilter([np.nan], [1.0], np.ones(4)), r"lfilter: b must be finite"),
        (lambda: cs.lfilter_op([1.0], [1.0, np.inf]), r"lfilter_op: a must be finite"),
        (lambda: cs.sosfilt(np.ones((2, 5)), np.ones(4)), r"sosfilt: sos must have shape"),
        (lambda: cs.sosfilt_op(np.ones(6)), r"sosfilt_op: sos must have shape"),
        (
            lambda: cs.sosfilt([[1.0, 0, 0, 0.0, 0, 0]], np.ones(4)),
            r"sosfilt: sos\[:, 3\] .* must be nonzero",
        ),
        (
            lambda: cs.lfilter([1.0, 1.0, 1.0], [1.0], np.ones((2, 4)), zi=np.ones((2, 3))),
            r"lfilter: zi must have shape \(2, 2\)",
        ),
        (
            lambda: cs.sosfilt([[1.0, 0, 0, 1.0, 0, 0]], np.ones(4), zi=np.ones((1, 3))),
            r"sosfilt: zi must have shape \(1, 2\)",
        ),
        (lambda: cs.filtfilt([1.0], [1.0, -0.5], np.ones(5)), r"filtfilt: the input length"),
        (lambda: cs.filtfilt([1.0], [1.0], np.ones(9), method="gust"), r"filtfilt: only"),
        (lambda: cs.sosfiltfilt([[1.0, 0, 0, 1.0, 0, 0]], np.ones(9), padtype="x"), r"padtype"),
        (lambda: cs.lfilter([1.0], [1.0], np.ones(4), axis=2), r"lfilter: axis 2 is out of range"),
        (lambda: cs.lfilter_op([1.0], [1.0], recurrence="fast"), r"lfilter_op: recurrence"),
    ],
)
def test_bad_input_one_line_value_errors(call, match):
    with pytest.raises(ValueError, match=match) as e:
        call()
    assert "\n" not in str(e.value)
