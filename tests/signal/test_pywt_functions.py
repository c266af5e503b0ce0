"""PyWavelets' functions beyond dwt/wavedec (issue 21 item 4, issue 20 item 2): ``wavedecn``/
``waverecn``, ``swt2``/``iswt2``, ``swtn``/``iswtn``, ``threshold``/``threshold_firm``,
``mra``/``mra2``/``mran`` and inverses, wavelet packets (1-D and 2-D, decompose/reconstruct, the
``ca.branch`` tree and its derived transpose), ``dwt_coeff_len``/``dwt_max_level``.

Oracle: PyWavelets, values to 1e-12 (relative to the data's scale) in float64.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.signal as cs

pywt = pytest.importorskip("pywt", reason="PyWavelets (the 'signal' extra) is the oracle")

pytestmark = pytest.mark.usefixtures("quick_compiles")

TOL = 1e-12


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def close(got, ref, tol=TOL):
    """Same structure (lists, tuples, dicts with the same keys in the same order), values within
    ``tol`` times the reference's scale."""
    if isinstance(ref, dict):
        assert list(got) == list(ref), (list(got), list(ref))
        for k in ref:
            close(got[k], ref[k], tol)
        return
    if isinstance(ref, (list, tuple)):
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            close(g, r, tol)
        return
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * scale)


RNG = np.random.default_rng(0)


# ---- wavedecn / waverecn --------------------------------------------------------------------


@pytest.mark.parametrize(
    "wavelet,mode,axes",
    [
        ("db2", "symmetric", None),
        ("bior2.2", "periodization", (0, 2)),
        pytest.param("sym3", "reflect", (2, 0), marks=pytest.mark.slow),
        pytest.param("db1", pywt.Modes.smooth, -1, marks=pytest.mark.slow),
        (("db1", "sym3"), ("periodization", "zero"), (1, 2)),
        pytest.param("coif1", "per", (1,), marks=pytest.mark.slow),
    ],
)
def test_wavedecn_waverecn(wavelet, mode, axes):
    x = RNG.standard_normal((9, 12, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "level too high", both libraries
        ref = pywt.wavedecn(x, wavelet, mode, level=2, axes=axes)
        got = cs.wavedecn(x, wavelet, mode, level=2, axes=axes)
    close(got, ref)
    close(cs.waverecn(got, wavelet, mode, axes=axes), pywt.waverecn(ref, wavelet, mode, axes=axes))


def test_waverecn_none_and_missing_bands():
    x = RNG.standard_normal((8, 10))
    c = pywt.wavedecn(x, "db2", level=2)
    del c[2]["dd"]  # a missing key is zeros in both
    c[1]["ad"] = np.zeros_like(c[1]["ad"])  # PyWavelets refuses None in the dict; we take zeros
    mine = [c[0], {**c[1], "ad": None}, dict(c[2])]

    def copy(cs_):  # pywt.waverecn writes the approximation into the caller's dicts
        return [cs_[0], *[dict(d) for d in cs_[1:]]]

    close(cs.waverecn(mine, "db2"), pywt.waverecn(copy(c), "db2"))
    c0 = [None, *c[1:]]
    close(cs.waverecn(c0, "db2"), pywt.waverecn(copy(c0), "db2"))


def test_wavedecn_level_warning_and_errors():
    with pytest.warns(UserWarning, match="too high"):
        cs.wavedecn(np.ones((4, 4)), "db4", level=3)
    with pytest.raises(ValueError, match="wavedecn: the axes must be unique"):
        cs.wavedecn(np.ones((4, 4)), "db1", axes=(1, 1))
    with pytest.raises(ValueError, match="wavedecn: the number of wavelets"):
        cs.wavedecn(np.ones((4, 4)), ("db1", "db2", "db3"), axes=(0, 1))
    with pytest.raises(ValueError, match="waverecn: Unexpected detail coefficient type"):
        cs.waverecn([np.ones(2), np.ones(2)], "db1")
    # an error raised by a transform called inside names the function the user called
    with pytest.raises(ValueError, match="wavedecn: 'reflect' mode needs at least 2 samples"):
        cs.wavedecn(np.ones((1, 4)), "db2", "reflect", level=1)
    with pytest.raises(ValueError, match="mra: level 3 is too high"):
        cs.mra(np.ones(6), "db2", level=3)


def test_pywt_arguments():
    """pywt.Modes values, continuous wavelets refused with that reason, per-axis wavelets and
    modes and repeated axes in dwtn/idwtn, as PyWavelets."""
    x = RNG.standard_normal((6, 8, 5))
    for m in (pywt.Modes.periodization, pywt.Modes.symmetric, pywt.Modes.antireflect):
        close(cs.dwt(x, "db2", m), pywt.dwt(x, "db2", m))
    with pytest.raises(ValueError, match="dwt: 'morl' is a continuous wavelet"):
        cs.dwt(x, "morl")
    with pytest.raises(ValueError, match="wavedec: 'mexh' is a continuous wavelet"):
        cs.wavedec(x, pywt.ContinuousWavelet("mexh"))
    for axes, ws, ms in [((1, 1), "db2", "zero"), ((0, 2), ("db1", "sym3"), ("per", "smooth"))]:
        ref = pywt.dwtn(x, ws, ms, axes=axes)
        close(dict(sorted(cs.dwtn(x, ws, ms, axes=axes).items())), dict(sorted(ref.items())))
        close(cs.idwtn(ref, ws, ms, axes=axes), pywt.idwtn(ref, ws, ms, axes=axes))
    c = pywt.dwtn(x, "db2", axes=(0, 1))  # idwtn's axes=None: the first len(key) axes
    close(cs.idwtn(c, "db2"), pywt.idwtn(c, "db2"))
    with pytest.raises(np.exceptions.AxisError, match="dwtn: axis 3 is out of range"):
        cs.dwtn(x, "db1", axes=(3,))


# ---- swt2 / iswt2 / swtn / iswtn -----------------------------------------------------------


@pytest.mark.parametrize("trim,norm", [(False, False), (True, True)])
@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_swt2_iswt2(trim, norm):
    x = RNG.standard_normal((16, 8))
    ref = pywt.swt2(x, "sym2", 2, trim_approx=trim, norm=norm)
    got = cs.swt2(x, "sym2", 2, trim_approx=trim, norm=norm)
    close(got, ref)
    close(cs.iswt2(got, "sym2", norm=norm), pywt.iswt2(ref, "sym2", norm=norm))


@pytest.mark.parametrize(
    "wavelet,axes,start", [("db2", None, 0), (("db1", "sym3"), (2, 0), 0), ("haar", (-1,), 1)]
)
@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_swtn_iswtn(wavelet, axes, start):
    x = RNG.standard_normal((8, 4, 16))
    ref = pywt.swtn(x, wavelet, 1 if start else 2, start_level=start, axes=axes)
    got = cs.swtn(x, wavelet, 1 if start else 2, start_level=start, axes=axes)
    close(got, ref)
    if start == 0:
        close(cs.iswtn(got, wavelet, axes=axes), pywt.iswtn(ref, wavelet, axes=axes))
        close(cs.iswtn(got, wavelet, axes=axes), x, 1e-9)  # sym3's filters are 1e-11 exact


def test_swtn_errors_and_norm_warning():
    with pytest.raises(ValueError, match=r"swtn: .* divisible by 2\*\*3"):
        cs.swtn(np.ones((8, 12)), "db1", 3)
    with pytest.warns(UserWarning, match="not orthogonal"):
        cs.swtn(np.ones((4, 4)), "bior2.2", 1, norm=True)
    with pytest.raises(ValueError, match="swt2: expected 2 axes"):
        cs.swt2(np.ones((4, 4)), "db1", 1, axes=(0,))


# ---- threshold ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["soft", "hard", "garrote", "greater", "less"])
@pytest.mark.parametrize("substitute", [0, 0.25])
def test_threshold(mode, substitute):
    x = np.linspace(-4, 4, 33)
    close(cs.threshold(x, 1.5, mode, substitute), pywt.threshold(x, 1.5, mode, substitute))
    if mode in ("soft", "hard", "garrote"):
        z = x + 1j * x[::-1]
        close(cs.threshold(z, 2.0, mode, substitute), pywt.threshold(z, 2.0, mode, substitute))


def test_threshold_firm_errors_and_grad():
    x = np.linspace(-3, 3, 25)
    close(cs.threshold_firm(x, 1.0, 2.0), pywt.threshold_firm(x, 1.0, 2.0))
    with pytest.raises(ValueError, match="threshold: unknown mode 'medium'"):
        cs.threshold(x, 1.0, "medium")
    with pytest.raises(ValueError, match="threshold: 'greater' thresholding only supports real"):
        cs.threshold(x + 1j, 1.0, "greater")
    with pytest.raises(ValueError, match="threshold_firm: value_low must be non-negative"):
        cs.threshold_firm(x, -1.0, 2.0)
    # the soft threshold's derivative: 1 outside [-value, value], 0 inside, finite at 0
    g = jax.grad(lambda v: cs.threshold(v, 1.0, "soft").sum())(jnp.array([-2.0, 0.0, 0.5, 3.0]))
    np.testing.assert_array_equal(np.asarray(g), [1.0, 0.0, 0.0, 1.0])


# ---- mra ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transform,mode",
    [
        ("swt", "periodization"),
        ("dwt", "symmetric"),
        pytest.param("dwt", "periodization", marks=pytest.mark.slow),
    ],
)
def test_mra_imra(transform, mode):
    x = RNG.standard_normal((3, 32))
    ref = pywt.mra(x, "db2", level=3, transform=transform, mode=mode)
    got = cs.mra(x, "db2", level=3, transform=transform, mode=mode)
    close(got, ref)
    close(cs.imra(got), pywt.imra(ref))
    close(cs.imra(got), x, 1e-11)


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_mra2_mran():
    y = RNG.standard_normal((16, 15))
    close(cs.mra2(y[:, :8], "db2", 2), pywt.mra2(y[:, :8], "db2", 2))
    ref = pywt.mra2(y, "db2", 2, transform="dwt2", mode="symmetric")
    got = cs.mra2(y, "db2", 2, transform="dwt2", mode="symmetric")
    close(got, ref)
    close(cs.imra2(got), pywt.imra2(ref))
    close(cs.mran(y[:, :8], "db2", 2), pywt.mran(y[:, :8], "db2", 2))
    ref = pywt.mran(y, "db2", 2, transform="dwtn", mode="reflect")
    got = cs.mran(y, "db2", 2, transform="dwtn", mode="reflect")
    close(got, ref)
    close(cs.imran(got), pywt.imran(ref))
    with pytest.raises(ValueError, match="mra: the stationary transform supports only"):
        cs.mra(y, "db2", transform="swt", mode="symmetric")


# ---- wavelet packets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wavelet,mode",
    [
        ("db2", "symmetric"),
        ("bior2.2", "periodization"),
        pytest.param("sym3", "smooth", marks=pytest.mark.slow),
    ],
)
def test_wavelet_packets_1d(wavelet, mode):
    x = RNG.standard_normal((2, 37))
    wp = pywt.WaveletPacket(x, wavelet, mode, maxlevel=3)
    ref = {n.path: n.data for n in wp.get_level(3, "natural")}
    got = cs.wp_decompose(x, wavelet, mode, maxlevel=3)
    close(got, ref)
    assert list(got) == cs.wp_paths(3)
    close(cs.wp_reconstruct(got, wavelet, mode, in_size=37), wp.reconstruct(update=False))
    # a mixed-depth tree with a missing node ('dda'), as PyWavelets reconstructs it
    wp2 = pywt.WaveletPacket(x, wavelet, mode, maxlevel=3)
    part = {p: wp2[p].data for p in ("a", "da", "ddd")}
    del wp2["dda"]
    close(cs.wp_reconstruct(part, wavelet, mode, in_size=37), wp2.reconstruct(update=False))


@pytest.mark.parametrize("mode", ["symmetric", "periodization"])
def test_wavelet_packets_2d(mode):
    y = RNG.standard_normal((19, 12))
    wp = pywt.WaveletPacket2D(y, "db2", mode, maxlevel=2)
    ref = {n.path: n.data for n in wp.get_level(2, "natural")}
    got = cs.wp_decompose2(y, "db2", mode, maxlevel=2)
    close(got, ref)
    close(cs.wp_reconstruct2(got, "db2", mode, in_size=(19, 12)), wp.reconstruct(update=False))


@pytest.mark.slow  # default-run budget: CI runs the slow grid
def test_wp_op_derived_synthesis():
    """The packet tree is one operator; its derived transpose is the reconstruction for an
    orthogonal wavelet in periodization mode, and the dot test holds in any mode."""
    x = jnp.asarray(RNG.standard_normal(32))
    op = cs.wp_op("db3", in_size=32, mode="periodization", maxlevel=3)
    c = op(x)
    assert [p for p in cs.wp_paths(3)] == list(cs.wp_decompose(x, "db3", "per", maxlevel=3))
    close(jax.tree.leaves(c), list(cs.wp_decompose(x, "db3", "per", maxlevel=3).values()))
    close(ca.transpose(op, x)(c), x, 1e-12)
    flat = dict(zip(cs.wp_paths(3), jax.tree.leaves(c)))
    close(ca.transpose(op, x)(c), cs.wp_reconstruct(flat, "db3", "per"))
    op2 = cs.wp_op("bior2.2", in_size=(8, 10), mode="symmetric", maxlevel=2)
    ca.testing.check_adjoint(op2, jnp.zeros((8, 10)))


# ---- dwt_coeff_len / dwt_max_level ----------------------------------------------------------


def test_dwt_coeff_len_and_max_level():
    for n in (1, 7, 8, 33):
        for f in (2, 6, "db3", pywt.Wavelet("sym4")):
            for mode in (*pywt.Modes.modes, "per", "sym", pywt.Modes.periodization):
                pf = pywt.Wavelet(f) if isinstance(f, str) else f  # pywt's takes no name
                assert cs.dwt_coeff_len(n, f, mode) == pywt.dwt_coeff_len(n, pf, mode)
            assert cs.dwt_max_level(n, f) == pywt.dwt_max_level(n, f)
    assert cs.dwt_coeff_len(8, 6, "per") == 4  # the alias was silently ignored before
    with pytest.raises(ValueError, match="dwt_coeff_len: data_len must be >= 1"):
        cs.dwt_coeff_len(0, 2, "zero")
    with pytest.raises(ValueError, match="dwt_max_level: the filter length must be >= 2"):
        cs.dwt_max_level(8, 1)
