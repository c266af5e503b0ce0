"""IIR design without SciPy at run time: butter / cheby1 / iirfilter / zpk2sos / zpk2tf / tf2zpk /
freqz / sosfreqz against scipy.signal (the oracle) to 1e-10."""

import numpy as np
import pytest

import convalgebra.signal as cs

ss = pytest.importorskip("scipy.signal", reason="scipy (the oracle) is not installed")

BANDS = [("low", 0.2), ("high", 0.3), ("bandpass", [0.2, 0.5]), ("bandstop", [0.1, 0.4])]


def rel(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    return float(np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-300))


def sorted_roots(r):
    return np.sort_complex(np.asarray(r, complex))


@pytest.mark.parametrize("order", [1, 2, 3, 8, 9, 16])
@pytest.mark.parametrize("btype,wn", BANDS, ids=[b for b, _ in BANDS])
def test_butter_and_cheby1_match_scipy(order, btype, wn):
    for mine, ref in (
        (
            lambda out: cs.butter(order, wn, btype, output=out),
            lambda out: ss.butter(order, wn, btype, output=out),
        ),
        (
            lambda out: cs.cheby1(order, 0.5, wn, btype, output=out),
            lambda out: ss.cheby1(order, 0.5, wn, btype, output=out),
        ),
    ):
        assert rel(mine("sos"), ref("sos")) < 1e-10
        z, p, k = mine("zpk")
        zr, pr, kr = ref("zpk")
        assert rel(sorted_roots(z), sorted_roots(zr)) < 1e-10
        assert rel(sorted_roots(p), sorted_roots(pr)) < 1e-10
        assert abs(k - kr) <= 1e-10 * abs(kr)
        if order <= 8:  # high-order transfer functions are ill-conditioned (SciPy's too)
            for m, r in zip(mine("ba"), ref("ba")):
                assert rel(m, r) < 1e-10


def test_decimate_default_design_and_fs():
    for q in (2, 3, 4, 10, 13):
        assert (
            rel(
                cs.cheby1(8, 0.05, 0.8 / q, output="sos"), ss.cheby1(8, 0.05, 0.8 / q, output="sos")
            )
            < 1e-10
        )
    assert (
        rel(
            cs.butter(4, 100.0, fs=1000.0, output="sos"),
            ss.butter(4, 100.0, fs=1000.0, output="sos"),
        )
        < 1e-10
    )
    b, a = cs.iirfilter(3, [0.1, 0.2], rp=1.0, btype="bandpass", ftype="cheby1")
    br, ar = ss.iirfilter(3, [0.1, 0.2], rp=1.0, btype="bandpass", ftype="cheby1")
    assert rel(b, br) < 1e-10 and rel(a, ar) < 1e-10


def test_zpk_conversions_match_scipy(rng):
    z = np.array([-1.0, 0.3, 0.5 + 0.5j, 0.5 - 0.5j])
    p = np.array([0.9, 0.2, 0.6 + 0.7j, 0.6 - 0.7j, -0.4])
    assert rel(cs.zpk2sos(z, p, 2.0), ss.zpk2sos(z, p, 2.0)) < 1e-12
    for m, r in zip(cs.zpk2tf(z, p, 2.0), ss.zpk2tf(z, p, 2.0)):
        assert rel(m, r) < 1e-12
    b, a = ss.butter(3, 0.3)
    zm, pm, km = cs.tf2zpk(b, a)
    zr, pr, kr = ss.tf2zpk(b, a)
    assert rel(sorted_roots(pm), sorted_roots(pr)) < 1e-12 and abs(km - kr) < 1e-15
    # a triple zero at -1: both numpy.roots results are within eps^(1/3) of it
    assert np.max(np.abs(zm + 1)) < 1e-4 and np.max(np.abs(zr + 1)) < 1e-4


def test_freqz_and_sosfreqz_match_scipy():
    b, a = ss.cheby1(4, 1.0, 0.3)
    for kw in ({}, {"worN": 64, "whole": True}, {"worN": [0.1, 0.2], "fs": 1.0}):
        w, h = cs.freqz(b, a, **kw)
        wr, hr = ss.freqz(b, a, **kw)
        assert rel(w, wr) < 1e-12 and rel(h, hr) < 1e-10
    sos = ss.butter(8, 0.2, output="sos")
    w, h = cs.sosfreqz(sos, worN=100)
    wr, hr = ss.sosfreqz(sos, worN=100)
    assert rel(w, wr) < 1e-12 and rel(h, hr) < 1e-10


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: cs.butter(4, 1.2), r"butter: critical frequencies must be in"),
        (lambda: cs.butter(4, [0.1], "bandpass"), r"butter: Wn must be two band edges"),
        (lambda: cs.butter(4, 0.2, output="xyz"), r"butter: output must be one of"),
        (lambda: cs.butter(4, 0.2, btype="comb"), r"butter: btype must be one of"),
        (lambda: cs.cheby1(4, -1.0, 0.2), r"cheby1: rp .* must be > 0"),
        (lambda: cs.butter(4, 0.2, analog=True), r"butter: only digital"),
        (lambda: cs.iirfilter(2, 0.2, btype="low", ftype="ellip"), r"iirfilter: ftype must be"),
        (lambda: cs.sosfreqz(np.ones((2, 5))), r"sosfreqz: sos must have shape"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
