"""Filter banks as core multi-output operators (issue 9 items 1 and 5).

A bank is ``ca.branch(...) @ ext``; a cascade nests banks on the low branch with
``ca.parallel``. Oracles: PyWavelets (values, synthesis), dense matrices built from
``pywt.dwt``/``pywt.wavedec`` of unit vectors, the dot test, and the lowered program (one
strided convolution per level, forward and derived transpose).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs

pywt = pytest.importorskip("pywt", reason="PyWavelets (the 'signal' extra) is the oracle")

pytestmark = pytest.mark.usefixtures("quick_compiles")


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def close(got, ref, tol=1e-12):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * max(1.0, float(np.abs(ref).max())))


def leaves_close(got, ref):
    g, r = jax.tree.leaves(got), jax.tree.leaves(ref)
    assert len(g) == len(r)
    for a, b in zip(g, r):
        close(a, b)


def hlo_convs(fn, *args):
    """Convolutions in XLA's optimized program, and how many insert zeros (lhs_dilate)."""
    text = jax.jit(fn).lower(*args).compile().as_text()
    return text.count(" convolution("), text.count("lhs_dilate=")


@pytest.mark.parametrize("wav", ["haar", "sym4"])
def test_idwt_is_the_derived_transpose_for_orthogonal_periodization(rng, wav):
    x = jnp.asarray(rng.standard_normal((3, 24)))
    bank = cs.dwt_op(wav, "periodization", in_size=24)
    a, d = bank(x)
    leaves_close((a, d), pywt.dwt(np.asarray(x), wav, "periodization"))
    synth = ca.transpose(bank, x)
    close(synth((a, d)), cs.idwt(a, d, wav, "periodization"))
    close(synth((a, d)), x)  # orthogonal: the transpose is the inverse


def test_biorthogonal_synthesis_is_transpose_of_dual_analysis(rng):
    w = pywt.Wavelet("bior2.4")
    # the dual analysis: decomposition filters = reversed synthesis filters
    dual = cs.Wavelet("dual", w.rec_lo[::-1], w.rec_hi[::-1], w.rec_lo, w.rec_hi)
    x = jnp.zeros((2, 20))
    for mode in ("periodization", "zero"):  # zero mode, even length: idwt is the transpose too
        c = pywt.dwt(rng.standard_normal((2, 20)), w, mode)
        synth = ca.transpose(cs.dwt_op(dual, mode, in_size=20), x)
        close(synth(tuple(map(jnp.asarray, c))), pywt.idwt(*c, w, mode))


@pytest.mark.parametrize(
    "mode,wav",
    [
        (m, w) if w == "db2" and m in ("symmetric", "periodization", "smooth", "antireflect")
        else pytest.param(m, w, marks=pytest.mark.slow)
        for m in cs.PYWT_MODES
        for w in ("db2", "coif1", "rbio3.1")
    ],
)  # fmt: skip
def test_every_bank_dot_tests_and_is_pywavelets_matrix(mode, wav):
    n = 9
    bank = cs.dwt_op(wav, mode, in_size=n)
    for method in ("linear_transpose", "vjp"):
        assert ca.testing.check_adjoint(bank, jnp.zeros((2, n)), method=method) < 1e-13
    a_cols, d_cols = zip(*(pywt.dwt(e, wav, mode) for e in np.eye(n)))
    want = np.concatenate([np.stack(a_cols, 1), np.stack(d_cols, 1)])
    close(ca.matrix(bank, jnp.zeros(n)), want)
    close(ca.matrix(ca.transpose(bank, jnp.zeros(n)), bank.out_struct(jnp.zeros(n))), want.T)


@pytest.mark.parametrize("mode", ["symmetric", "periodization"])
def test_one_strided_conv_per_level_forward_and_transpose(rng, mode):
    bank = cs.dwt_op("db2", mode, in_size=64)
    x = jnp.asarray(rng.standard_normal((2, 64)))
    pinned = ca.lower(bank, strategy="lax")
    assert hlo_convs(pinned, x) == (1, 0)  # both filters: one strided convolution
    a, d = bank(x)
    synth = ca.lower(ca.transpose(bank, x), strategy="lax")
    assert hlo_convs(synth, (a, d)) == (1, 0)  # the derived synthesis: polyphase, no zeros
    text = ca.explain(bank, x)
    assert "stack_branches" in text and "[h̃,g̃]" in text


def test_notation():
    bank = cs.dwt_op("db2", "symmetric", in_size=16)
    assert bank.notation() == (
        "(↓2 (h̃ ⋆[valid] (ext[symmetric; 2,3] x)), ↓2 (g̃ ⋆[valid] (ext[symmetric; 2,3] x)))"
    )


@pytest.mark.parametrize("wav,mode,level", [("db2", "periodization", 3), ("sym3", "symmetric", 2)])
def test_cascade_is_wavedec_and_its_transpose(rng, wav, mode, level):
    x = jnp.asarray(rng.standard_normal((2, 32)))
    casc = cs.wavedec_op(wav, mode, level=level, in_size=32)
    coeffs = casc(x)
    want = pywt.wavedec(np.asarray(x), wav, mode, level=level)
    leaves_close(coeffs, want)
    assert ca.testing.check_adjoint(casc, x) < 1e-13
    nested = cs.nest(casc, x, want)
    if mode == "periodization":  # orthogonal: the derived transpose is waverec
        close(ca.transpose(casc, x)(nested), pywt.waverec(want, wav, mode))
    # the matrix of the whole cascade: wavedec of unit vectors, coefficients stacked
    cols = [np.concatenate(pywt.wavedec(e, wav, mode, level=level)) for e in np.eye(32)]
    close(ca.matrix(casc, x[0]), np.stack(cols, 1))


def test_cascade_lowers_to_one_conv_per_level(rng):
    casc = ca.lower(cs.wavedec_op("db2", "periodization", level=3, in_size=64), strategy="lax")
    x = jnp.asarray(rng.standard_normal((2, 64)))
    assert hlo_convs(casc, x) == (3, 0)
    syn = ca.lower(ca.transpose(casc, x), strategy="lax")
    assert hlo_convs(syn, casc(x)) == (3, 0)


def test_bad_input():
    with pytest.raises(ValueError, match="dwt_op: unknown mode 'nope'"):
        cs.dwt_op("db2", "nope", in_size=16)
    with pytest.raises(ValueError, match="'reflect' mode needs at least 2 samples"):
        cs.dwt_op("db2", "reflect", in_size=1)
    casc = cs.wavedec_op("db2", "periodization", level=2, in_size=32)
    with pytest.raises(ValueError, match=r"nest: .* has 3 outputs, got 2 coefficient arrays"):
        cs.nest(casc, jnp.zeros(32), [jnp.zeros(8), jnp.zeros(8)])
    with pytest.raises(ValueError, match="cascade: needs at least one bank"):
        cs.cascade([])
    with pytest.warns(UserWarning, match="Level value of 9 is too high"):
        cs.wavedec_op("db2", "periodization", level=9, in_size=32)


@pytest.mark.parametrize("mode", ["symmetric", "periodization", "antireflect"])
def test_dwt2_op_is_pywavelets_four_outputs_one_conv(rng, mode):
    x = jnp.asarray(rng.standard_normal((2, 9, 12)))
    bank = cs.dwt2_op("db2", mode, in_size=(9, 12))
    ca_, (ch, cv, cd) = pywt.dwt2(np.asarray(x), "db2", mode)
    leaves_close(bank(x), (ca_, ch, cv, cd))
    assert ca.testing.check_adjoint(bank, x) < 1e-13
    assert hlo_convs(ca.lower(bank, strategy="lax"), x) == (1, 0)  # four filters, one conv
    if mode == "periodization":  # orthogonal: the derived transpose is idwt2 (even lengths)
        y = jnp.asarray(rng.standard_normal((2, 8, 12)))
        b8 = cs.dwt2_op("db2", mode, in_size=(8, 12))
        c = b8(y)
        close(ca.transpose(b8, y)(c), pywt.idwt2((c[0], c[1:]), "db2", mode))
        close(ca.transpose(b8, y)(c), y)
