"""Rational resampling at audio rates: only the kept samples are computed ("poly" lowering).

Oracle: scipy.signal (float64 values to 1e-12). The program itself is read back: the chosen
strategy (``ca.explain``), the largest intermediate of the jaxpr, and XLA's memory analysis of
the compiled forward, derived transpose and gradient.
"""

import math

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs

scipy_signal = pytest.importorskip("scipy.signal")

PADTYPES = ("constant", "line", "mean", "median", "maximum", "minimum", "symmetric", "smooth")
RATIOS = [(160, 147), (147, 160), (160, 441), (441, 160), (2, 3), (3, 2), (5, 4), (4, 6)]


def close(got, ref, rtol=1e-12):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = max(1.0, float(np.max(np.abs(ref))))
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("up,down", RATIOS)
def test_resample_poly_audio_ratios_match_scipy(rng, up, down):
    x = rng.standard_normal((2, 1500))
    close(
        cs.resample_poly(x, up, down, axis=-1),
        scipy_signal.resample_poly(x, up, down, axis=-1),
    )


@pytest.mark.parametrize("padtype", PADTYPES)
def test_resample_poly_padtypes_axis_batch(rng, padtype):
    x = rng.standard_normal((700, 2, 3))  # axis 0 (SciPy's default), batch of 2 x 3
    close(
        cs.resample_poly(x, 160, 147, padtype=padtype),
        scipy_signal.resample_poly(x, 160, 147, padtype=padtype),
    )
    x2 = np.moveaxis(x, 0, 1)  # the same signals along axis 1
    close(
        cs.resample_poly(x2, 147, 160, axis=1, padtype=padtype),
        scipy_signal.resample_poly(x2, 147, 160, axis=1, padtype=padtype),
    )


@pytest.mark.parametrize(
    "up,down", [(7, 3), (4, 6), pytest.param(160, 147, marks=pytest.mark.slow)]
)
def test_upfirdn_rational_matches_scipy(rng, up, down):
    # a plain filter (not SciPy's design), every mode, cval, and a filter shorter than up
    h = rng.standard_normal(3 * up + 2)
    x = rng.standard_normal((2, 90))
    for mode in ("constant", "reflect", "antisymmetric"):
        ref = scipy_signal.upfirdn(h, x, up, down, mode=mode)
        close(cs.upfirdn(h, x, up, down, mode=mode), ref)
    close(cs.upfirdn(h, x, up, down, cval=0.5), scipy_signal.upfirdn(h, x, up, down, cval=0.5))
    hs = rng.standard_normal(max(1, up // 2))
    close(cs.upfirdn(hs, x, up, down), scipy_signal.upfirdn(hs, x, up, down))


def _conv_strategies(op, x):
    text = ca.explain(op, x)
    return [
        line.split("strategy:")[1].split()[0] for line in text.splitlines() if "strategy:" in line
    ]


def test_the_cost_model_picks_poly_at_audio_ratios_and_keeps_small_ratios():
    x = jax.ShapeDtypeStruct((16, 44100), jnp.float32)
    for up, down in [(160, 147), (147, 160), (160, 441), (441, 160)]:
        assert _conv_strategies(cs.resample_poly_op(up, down, in_size=44100), x) == ["poly"]
    # 3/2: the phases of the up-sampled signal, then every other one (the lead it had)
    assert "poly" not in _conv_strategies(cs.resample_poly_op(3, 2, in_size=44100), x)


def _largest(jaxpr) -> int:
    """The largest array (in elements) any equation of ``jaxpr`` (and its sub-jaxprs) makes."""
    big = 0
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            big = max(big, math.prod(getattr(v.aval, "shape", ())))
        for p in eqn.params.values():
            for sub in p if isinstance(p, (tuple, list)) else (p,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    big = max(big, _largest(inner))
    return big


def _memory(compiled) -> int:
    m = compiled.memory_analysis()
    return m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes


@pytest.mark.parametrize("up,down", [(160, 147), (160, 441)])
def test_no_intermediate_of_up_times_the_signal(up, down):
    n, b = 44100, 4
    x = jnp.zeros((b, n), jnp.float32)
    f = lambda v: cs.resample_poly(v, up, down, axis=-1)  # noqa: E731
    y = jax.eval_shape(f, x)
    ct = jnp.zeros(y.shape, jnp.float32)
    io = x.size + y.size
    op = cs.resample_poly_op(up, down, in_size=n, dtype=jnp.float32)
    programs = {
        "forward": (f, (x,)),
        "transpose": (lambda c: ca.transpose(op, x)(c), (ct,)),
        "linear_transpose": (lambda c: jax.linear_transpose(f, x)(c)[0], (ct,)),
        "grad": (jax.grad(lambda v, c: jnp.sum(f(v) * c)), (x, ct)),
    }
    for name, (fn, args) in programs.items():
        largest = _largest(jax.make_jaxpr(fn)(*args).jaxpr)
        assert largest <= 3 * io, (name, largest, io)  # the old program made up x n samples
        peak = _memory(jax.jit(fn).lower(*args).compile())
        assert peak <= 3 * 4 * io, (name, peak / (4 * io))


@pytest.mark.parametrize(
    "up,down",
    [
        pytest.param(5, 4, marks=pytest.mark.slow),  # default-run budget
        pytest.param(160, 147, marks=pytest.mark.slow),
        pytest.param(147, 160, marks=pytest.mark.slow),
    ],
)
def test_transpose_and_grad_of_the_poly_program(rng, up, down):
    op = cs.resample_poly_op(up, down, in_size=400, mode="symmetric")
    assert ca.testing.check_adjoint(op, jnp.zeros((2, 400))) < 1e-12
    x = jnp.asarray(rng.standard_normal((2, 400)))
    jax.test_util.check_grads(op, (x,), order=1, modes=["rev"])
    # the derived transpose is SciPy's operator transposed (dense matrices)
    e = np.eye(60)
    small = cs.resample_poly_op(up, down, in_size=60)
    dense = np.stack([scipy_signal.resample_poly(c, up, down) for c in e], axis=1)
    close(ca.matrix(small, jnp.zeros(60)), dense)
    close(ca.matrix(ca.transpose(small, jnp.zeros(60)), jnp.zeros(dense.shape[0])), dense.T)


def test_kernel_gradient_through_poly(rng):
    # the filter as a traced leaf: its gradient equals the one of the dense matrix product
    h = jnp.asarray(rng.standard_normal(40))
    x = jnp.asarray(rng.standard_normal(50))

    def f(h):
        return cs.upfirdn(h, x, 7, 5)

    jax.test_util.check_grads(f, (h,), order=1, modes=["rev"])
    close(f(h), scipy_signal.upfirdn(np.asarray(h), np.asarray(x), 7, 5))


def _rational_node(up, down, n, b):
    from convalgebra._expr.explain import recorded

    op = cs.resample_poly_op(up, down, in_size=n)
    records = recorded(op, jax.ShapeDtypeStruct((b, n), jnp.float64))[2]
    (rec,) = [r for r in records if r.strategy == "poly"]
    return rec.conv


@pytest.mark.parametrize(
    "up,down,n",
    [
        (160, 147, 147 * 6),
        (441, 160, 700),
        pytest.param(147, 160, 160 * 5, marks=pytest.mark.slow),
        pytest.param(160, 441, 441 * 3, marks=pytest.mark.slow),
    ],
)
def test_every_form_of_the_poly_program_matches_scipy(rng, up, down, n, request):
    # the block form (x as rows of down samples) and chunked windows for every chunk count
    # the cost model may choose: the same values as SciPy
    from convalgebra._lower import resample
    from convalgebra._lower.conv import corr_kernel

    c = _rational_node(up, down, n, 2)
    x = rng.standard_normal((2, n))
    ref = scipy_signal.resample_poly(x, up, down, axis=-1)
    P = resample.residues(c, n)[0]
    forms = [0]  # the block form: x as rows of `down` samples (completed with zeros: 441/160)
    chunks = [g for g in resample.divisors(P) if g <= 16]
    slow = request.node.get_closest_marker("slow") is not None
    forms += chunks if slow else chunks[:2] + chunks[-1:]  # default run: 1, the next, the most
    w = corr_kernel(c)
    for G in forms:
        close(jax.jit(lambda v, G=G: resample.forward(c, v, w, G))(jnp.asarray(x)), ref)


def test_block_form_reads_x_in_place_and_is_chosen_on_many_channels():
    # 16 channels of whole rows: the cost model picks the block form, whose program holds no
    # array beyond the input, the product, the output and the (Q, P) kernels (no windows)
    from convalgebra._lower import resample
    from convalgebra._lower.conv import corr_kernel

    big = _rational_node(160, 147, 441000, 16)  # 10 s of 16 channels: the block form
    assert resample.choose_chunks(big, (16, 441000), "cpu", np.float32)[0] == 0
    n = 147 * 300
    c = _rational_node(160, 147, n, 16)
    x = jnp.zeros((16, n), jnp.float32)
    w = corr_kernel(c).astype(jnp.float32)
    jaxpr = jax.make_jaxpr(lambda v: resample.forward(c, v, w, 0))(x).jaxpr
    assert _largest(jaxpr) <= 16 * 160 * 300  # the output: x is read in place (a reshape)
    peak = _memory(jax.jit(lambda v: resample.forward(c, v, w, 0)).lower(x).compile())
    out = 16 * 160 * 300
    assert peak <= 1.05 * 4 * (x.size + 2 * out)  # x, the product and the output


def test_resample_poly_short_window_array_matches_scipy(rng):
    # a window shorter than up: the last outputs lie beyond the full convolution (zeros)
    x = rng.standard_normal((2, 31))
    for up, down, h in [(5, 2, np.ones(3)), (7, 3, np.array([0.5])), (3, 7, np.hanning(9))]:
        close(
            cs.resample_poly(x, up, down, axis=-1, window=h),
            scipy_signal.resample_poly(x, up, down, axis=-1, window=h),
        )
        close(
            cs.resample_poly(x, up, down, axis=-1, window=h, cval=1.5),
            scipy_signal.resample_poly(x, up, down, axis=-1, window=h, cval=1.5),
        )
