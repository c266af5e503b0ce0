"""Wavelet banks through the compiler (issue 21 item 2) and eager calls without a compile per
length (item 6): the strategy comes from ``cost.TUNING``, the jitted transforms nest no jit and
gather nothing, the analysis bank's transpose is the matched synthesis (both routes, dense and
PyWavelets oracles), the eager NumPy path equals PyWavelets and compiles nothing, and the
renamed ``*_op`` banks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs
from convalgebra._lower import cost, multirate

pywt = pytest.importorskip("pywt")  # the oracle (the 'signal' extra)


def _prims(jaxpr) -> list[str]:
    out = []
    for e in jaxpr.eqns:
        out.append(e.primitive.name)
        for p in e.params.values():
            sub = getattr(p, "jaxpr", None)
            if sub is not None:
                out += _prims(getattr(sub, "jaxpr", sub))
    return out


def test_signal_pins_no_strategy():
    import convalgebra.signal._dwt as dwt_mod
    import convalgebra.signal._swt as swt_mod

    assert not hasattr(dwt_mod, "STRATEGY") and not hasattr(swt_mod, "STRATEGY")
    table = cost.TUNING["cpu"]["multirate"]
    assert multirate.strategy(2, 8, "symmetric", "cpu") == table["nd"]
    assert multirate.strategy(2, 8, "periodization", "cpu") == table["nd_wrap"]
    assert multirate.strategy(1, 8, "smooth", "cpu") == table["1d"]


@pytest.mark.parametrize("strategy", ["polyphase", "lowered"])
def test_nd_strategy_from_tuning_same_values(monkeypatch, rng, strategy):
    table = dict(cost.TUNING["cpu"]["multirate"], nd=strategy, nd_wrap=strategy)
    monkeypatch.setitem(cost.TUNING["cpu"], "multirate", table)
    monkeypatch.setitem(cost.TUNING["default"], "multirate", table)
    x = rng.standard_normal((2, 12, 10))
    for mode in ("periodization", "symmetric", "smooth"):
        got = jax.jit(lambda v, mode=mode: cs.dwtn(v, "db2", mode, axes=(-2, -1)))(x)
        ref = pywt.dwtn(x, "db2", mode, axes=(-2, -1))
        for k in ref:
            np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=1e-12)


def test_jitted_wavedec2_periodization_nests_no_jit_and_gathers_nothing():
    x = jnp.zeros((2, 64, 64))
    w = cs.wavelet("db4")
    prims = {}
    for mode in ("symmetric", "periodization"):
        jp = jax.make_jaxpr(lambda v, mode=mode: cs.wavedec2(v, w, mode, level=3))(x)
        prims[mode] = _prims(jp.jaxpr)
        assert not {"pjit", "jit", "gather", "scatter-add"} & set(prims[mode]), mode
    # periodization runs the polyphase schedule on CPU (TUNING["cpu"]["multirate"]["nd_wrap"])
    if multirate.strategy(2, 8, "periodization") == "polyphase":
        assert "conv_general_dilated" not in prims["periodization"]


@pytest.mark.parametrize("mode", pywt.Modes.modes)
def test_eager_numpy_path_equals_pywt(rng, mode):
    for wav in ("db1", "db3", "bior2.4"):
        for n in (2, 3, 9, 30):
            x = rng.standard_normal((2, n))
            a, d = cs.dwt(x, wav, mode)
            ra, rd = pywt.dwt(x, wav, mode)
            np.testing.assert_allclose(a, ra, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(d, rd, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(
                cs.idwt(ra, rd, wav, mode), pywt.idwt(ra, rd, wav, mode), rtol=1e-12, atol=1e-12
            )
    x = rng.standard_normal(37)
    with pytest.warns(UserWarning) if pywt.dwt_max_level(37, 6) < 2 else _nothing():
        c = cs.wavedec(x, "db3", mode, level=2)
    ref = pywt.wavedec(x, "db3", mode, level=2)
    for p, q in zip(c, ref):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        cs.waverec(ref, "db3", mode), pywt.waverec(ref, "db3", mode), rtol=1e-12, atol=1e-12
    )


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


class _compiles:
    """Counts XLA backend compiles inside the block (jax.monitoring's compile event)."""

    EVENT = "/jax/core/compile/backend_compile_duration"

    def __enter__(self):
        self.n = 0

        def listen(event, _secs, **_kw):
            self.n += event == self.EVENT

        self._listen = listen
        jax.monitoring.register_event_duration_secs_listener(listen)
        return self

    def __exit__(self, *a):
        jax.monitoring.unregister_event_duration_listener(self._listen)
        return False


def test_eager_calls_compile_nothing(rng):
    """Below eager_max the eager transforms run the NumPy form of the bank: new lengths, modes,
    wavelets and dtypes compile no XLA program (values against PyWavelets)."""
    assert multirate.eager_max() >= 1024
    with _compiles() as seen:
        for n in (17, 30, 61):
            for mode in ("zero", "smooth", "periodization", "antireflect"):
                for wav in ("db2", "sym4", "bior3.5"):
                    x = rng.standard_normal((2, n)).astype(np.float32 if n == 30 else float)
                    a, d = cs.dwt(x, wav, mode)
                    ra, rd = pywt.dwt(x, wav, mode)
                    tol = 1e-5 if n == 30 else 1e-12
                    np.testing.assert_allclose(a, ra, rtol=tol, atol=tol)
                    assert a.dtype == ra.dtype and isinstance(a, jax.Array)
                    np.testing.assert_allclose(
                        cs.idwt(a, d, wav, mode), pywt.idwt(ra, rd, wav, mode), rtol=tol, atol=tol
                    )
            c = cs.wavedec(x, "db2", "symmetric", level=2)
            want = pywt.waverec(pywt.wavedec(x, "db2", "symmetric", level=2), "db2", "symmetric")
            np.testing.assert_allclose(cs.waverec(c, "db2", "symmetric"), want, atol=1e-5)
            x2 = rng.standard_normal((n, 9)) + 1j * rng.standard_normal((n, 9))
            c2 = cs.wavedec2(x2, "db2", "periodization", level=1)
            rec2 = cs.waverec2(c2, "db2", "periodization")
            np.testing.assert_allclose(np.asarray(rec2)[:n, :9], x2, atol=1e-12)  # odd: n + 1
            r2 = pywt.dwtn(x2, "db3", "smooth")
            for k, v in cs.dwtn(x2, "db3", "smooth").items():
                np.testing.assert_allclose(v, r2[k], rtol=1e-12, atol=1e-12)
    assert seen.n == 0


def test_eager_path_not_taken_under_trace_or_large(rng):
    x = rng.standard_normal(40)
    got = jax.jit(lambda v: cs.wavedec(v, "db2", "symmetric", level=2))(x)
    for p, q in zip(got, pywt.wavedec(x, "db2", "symmetric", level=2)):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)
    g = jax.grad(lambda v: jnp.sum(cs.dwt(v, "db2", "smooth")[0] ** 2))(jnp.asarray(x))
    dense = np.stack([pywt.dwt(e, "db2", "smooth")[0] for e in np.eye(40)])
    np.testing.assert_allclose(g, 2 * dense @ (x @ dense), rtol=1e-10)


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_renamed_banks_take_wavelet_and_keyword_in_size(rng):
    x = jnp.asarray(rng.standard_normal((3, 16)))
    for op, arg in (
        (cs.dwt_op("db2", "periodization", in_size=16), x),
        (cs.wavedec_op("db2", "symmetric", level=2, in_size=16), x),
        (cs.analysis_op("db2", "smooth", in_size=16), x[:, None, :]),
    ):
        assert ca.testing.check_adjoint(op, arg) < 1e-12
    a, d = cs.dwt_op(wavelet="db2", mode="smooth", in_size=16)(x)
    ra, rd = pywt.dwt(np.asarray(x), "db2", "smooth")
    np.testing.assert_allclose(a, ra, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d, rd, rtol=1e-12, atol=1e-12)
    y = cs.analysis_op("db2", "smooth", in_size=16)(x[:, None, :])
    np.testing.assert_allclose(y[:, 0], ra, rtol=1e-12, atol=1e-12)
    c = jnp.stack([jnp.asarray(ra), jnp.asarray(rd)], axis=-2)
    rec = cs.synthesis_op("db2", "smooth", in_size=ra.shape[-1])(c)
    ref_x = pywt.idwt(ra, rd, "db2", "smooth")
    np.testing.assert_allclose(rec[:, 0], ref_x, rtol=1e-12, atol=1e-12)
    s_lo, s_hi = cs.synthesis_ops("db2", "smooth", in_size=ra.shape[-1])
    np.testing.assert_allclose(s_lo(jnp.asarray(ra)) + s_hi(jnp.asarray(rd)), rec[:, 0], atol=1e-12)
    sw = cs.swt_op("db2", 2, in_size=16)(x[:, None, :])
    ref = pywt.swt(np.asarray(x), "db2", level=2, start_level=1, trim_approx=False)[-1]
    np.testing.assert_allclose(sw[:, 0], ref[0], rtol=1e-12, atol=1e-12)
    e = cs.extend_op((2, 3), "symmetric")(x)
    np.testing.assert_allclose(e, np.pad(np.asarray(x), [(0, 0), (2, 3)], mode="symmetric"), atol=0)
    b2 = cs.dwt2_op("db2", "periodization", in_size=(8, 8))
    assert len(b2(jnp.zeros((8, 8)))) == 4
    with pytest.raises(TypeError):
        cs.dwt_op("db2", "symmetric", 16)  # pyright: ignore[reportCallIssue]
    with pytest.raises(ValueError, match=r"dwt_op: in_size must be a positive int"):
        cs.dwt_op("db2", in_size=0)
    with pytest.raises(ValueError, match=r"dwt2_op: in_size must be \(n0, n1\)"):
        cs.dwt2_op("db2", in_size=8)  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match=r"swt_op: in_size 12 must be divisible by 2 \* dilation"):
        cs.swt_op("db2", 4, in_size=12)
    with pytest.raises(ValueError, match=r"extend_op: unknown mode 'nope'"):
        cs.extend_op((1, 1), "nope")


def test_on_low_cascade_and_extend_modes(rng):
    x = jnp.asarray(rng.standard_normal((2, 32)))
    l1 = cs.dwt_op("db2", "periodization", in_size=32)
    l2 = cs.dwt_op("db2", "periodization", in_size=16)
    got = jax.tree.leaves((cs.on_low(l2, 1) @ l1)(x))
    ref = pywt.wavedec(np.asarray(x), "db2", "periodization", level=2)
    for p, q in zip(got, ref):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)
    numpy_pad = {"zero": "constant", "edge": "edge", "symmetric": "symmetric",
                 "reflect": "reflect", "periodic": "wrap"}  # fmt: skip
    for mode in cs.EXTEND_MODES:
        y = cs.extend_op((3, 2), mode)(x)
        assert y.shape == (2, 37)
        if mode in numpy_pad:
            want = np.pad(np.asarray(x), [(0, 0), (3, 2)], mode=numpy_pad[mode])  # pyright: ignore[reportArgumentType, reportCallIssue]
            np.testing.assert_allclose(y, want, atol=0)


# ---- the analysis bank's transpose is the matched synthesis (a primitive, both routes) ------


def _banks(jaxpr) -> list[str]:
    """The kinds of the ``wavelet_bank`` primitives in a jaxpr (nested ones included)."""
    out = []
    for e in jaxpr.eqns:
        if e.primitive.name == "wavelet_bank":
            out.append(e.params["kind"])
        for p in e.params.values():
            sub = getattr(p, "jaxpr", None)
            if sub is not None:
                out += _banks(getattr(sub, "jaxpr", sub))
    return out


def _dense(fn, n: int) -> np.ndarray:
    """The matrix of a PyWavelets transform ``x -> concat(coeffs)`` of ``n`` samples."""
    cols = [np.concatenate([np.ravel(c) for c in fn(e)]) for e in np.eye(n)]
    return np.stack(cols, axis=1)


@pytest.mark.parametrize(
    ("mode", "n"),
    [("periodization", 13), ("symmetric", 16)]
    + [  # default-run budget: the rest of the grid in the slow run
        pytest.param(m, n, marks=pytest.mark.slow)
        for m, n in [("periodization", 16), ("symmetric", 13), ("smooth", 13), ("antireflect", 16)]
    ],
)
def test_wavedec_transpose_is_dense_adjoint_both_routes(rng, mode, n):
    w = "db3" if n % 2 else "bior2.4"
    fn = jax.jit(lambda v: cs.wavedec(v, w, mode, level=2))
    x = jnp.asarray(rng.standard_normal((2, n)))
    out = fn(x)
    cts = [jnp.asarray(rng.standard_normal(o.shape)) for o in out]
    (via_lt,) = jax.linear_transpose(fn, x)(cts)
    (via_vjp,) = jax.vjp(fn, x)[1](cts)
    dense = _dense(lambda e: pywt.wavedec(e, w, mode, level=2), n)  # the oracle
    want = np.concatenate([np.asarray(c) for c in cts], axis=-1) @ dense
    np.testing.assert_allclose(via_lt, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(via_vjp, want, rtol=1e-12, atol=1e-12)
    # dot test: <A x, c> = <x, A^T c>
    lhs = sum(float(jnp.vdot(o, c)) for o, c in zip(out, cts))
    assert abs(lhs - float(jnp.vdot(x, via_lt))) < 1e-10 * (1 + abs(lhs))


def test_periodization_transpose_runs_the_synthesis_program(rng):
    """The transpose of the analysis bank is the bank's adjoint kind (the matched synthesis),
    not JAX's transpose of the polyphase slices: for an orthogonal wavelet it is ``waverec``."""
    w = cs.wavelet("db4")
    f = lambda v: cs.wavedec(v, w, "periodization", level=3)  # noqa: E731
    x = jnp.zeros((4, 64))
    c = jax.eval_shape(f, x)
    tr = jax.make_jaxpr(lambda cs_: jax.linear_transpose(f, x)(cs_))(
        [jnp.zeros(s.shape) for s in c]
    )
    assert _banks(tr.jaxpr) == ["adjoint"] * 3
    assert "pad" not in _prims(tr.jaxpr)
    coeffs = pywt.wavedec(rng.standard_normal((4, 64)), "db4", "periodization", level=3)
    (got,) = jax.jit(jax.linear_transpose(f, x))([jnp.asarray(v) for v in coeffs])
    want = pywt.waverec(coeffs, "db4", "periodization")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_bank_filter_gradient_and_double_transpose(rng):
    """vjp in the filters against PyWavelets (the transform is linear in each filter: the
    gradient in tap k is the transform by the unit filter e_k); the transpose of the transpose
    is the forward; vmap over the batch and over the filters."""
    n, mode = 11, "periodization"
    x = rng.standard_normal(n)
    base = pywt.Wavelet("db2")
    fb = [np.asarray(f) for f in base.filter_bank]

    def ours(dec_lo, dec_hi, v):
        w = cs.Wavelet("w", dec_lo, dec_hi, jnp.asarray(fb[2]), jnp.asarray(fb[3]))
        return cs.dwt(v, w, mode)

    ca_, cd_ = (rng.standard_normal(pywt.dwt_coeff_len(n, 4, mode)) for _ in range(2))
    _, pull = jax.vjp(lambda lo, hi: ours(lo, hi, jnp.asarray(x)), *map(jnp.asarray, fb[:2]))
    g_lo, g_hi = pull((jnp.asarray(ca_), jnp.asarray(cd_)))
    for k in range(4):
        e = np.eye(4)[k]
        unit_lo = pywt.Wavelet("u", filter_bank=[e, 0 * e, fb[2], fb[3]])
        unit_hi = pywt.Wavelet("u", filter_bank=[0 * e, e, fb[2], fb[3]])
        assert np.isclose(g_lo[k], pywt.dwt(x, unit_lo, mode)[0] @ ca_, rtol=1e-12)
        assert np.isclose(g_hi[k], pywt.dwt(x, unit_hi, mode)[1] @ cd_, rtol=1e-12)
    f = lambda v: cs.dwt(v, "db2", "smooth")  # noqa: E731
    xj = jnp.asarray(x)
    t = jax.linear_transpose(f, xj)
    cts = f(xj)
    (back,) = jax.linear_transpose(t, cts)((xj,))
    for p, q in zip(back, pywt.dwt(x, "db2", "smooth")):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)
    xb = rng.standard_normal((3, n))
    got = jax.vmap(lambda v: jax.jit(f)(v)[0], in_axes=1, out_axes=1)(jnp.asarray(xb.T))
    np.testing.assert_allclose(got.T, pywt.dwt(xb, "db2", "smooth")[0], rtol=1e-12)
    los = jnp.asarray(np.stack([fb[0], 2 * fb[0]]))
    got = jax.jit(jax.vmap(lambda lo: ours(lo, jnp.asarray(fb[1]), xj)[0]))(los)
    np.testing.assert_allclose(got[1], 2 * got[0], rtol=1e-12)
    np.testing.assert_allclose(got[0], pywt.dwt(x, "db2", mode)[0], rtol=1e-12)


@pytest.mark.slow  # default-run budget
def test_wavedec2_periodization_grad_against_dense(rng):
    x = rng.standard_normal((6, 10))
    fn = jax.jit(lambda v: cs.wavedec2(v, "db2", "periodization", level=1))
    out = fn(jnp.asarray(x))
    cts = jax.tree.map(lambda o: jnp.asarray(rng.standard_normal(o.shape)), out)
    (g,) = jax.vjp(fn, jnp.asarray(x))[1](cts)
    flat = lambda e: jax.tree.leaves(pywt.wavedec2(e.reshape(6, 10), "db2", "periodization", 1))  # noqa: E731
    dense = _dense(flat, 60)
    want = np.concatenate([np.ravel(c) for c in jax.tree.leaves(cts)]) @ dense
    np.testing.assert_allclose(np.ravel(g), want, rtol=1e-12, atol=1e-12)
