"""decimate with SciPy's default (IIR Chebyshev, sosfiltfilt) and values: a chirp against
scipy.signal.decimate, IIR and FIR, zero_phase True and False, dlti systems (duck-typed)."""

import numpy as np
import pytest

import convalgebra.signal as cs

ss = pytest.importorskip("scipy.signal", reason="scipy (the oracle) is not installed")

pytestmark = pytest.mark.usefixtures("quick_compiles")


def rel(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    return float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))


@pytest.fixture(scope="module")
def chirp():
    t = np.linspace(0, 1, 1500)
    x = ss.chirp(t, 5, 1, 300)
    return np.stack([x, x[::-1] * 0.5])


@pytest.mark.parametrize("q", [2, 5])
@pytest.mark.parametrize("ftype", ["iir", "fir"])
@pytest.mark.parametrize("zero_phase", [True, False])
def test_decimate_matches_scipy_on_a_chirp(chirp, q, ftype, zero_phase):
    got = cs.decimate(chirp, q, ftype=ftype, zero_phase=zero_phase)
    assert rel(got, ss.decimate(chirp, q, ftype=ftype, zero_phase=zero_phase)) < 1e-12


def test_default_is_scipys_iir(chirp):
    assert rel(cs.decimate(chirp, 3), ss.decimate(chirp, 3)) < 1e-12
    assert rel(cs.decimate(chirp.T, 3, n=6, axis=0), ss.decimate(chirp.T, 3, n=6, axis=0)) < 1e-12
    x32 = chirp.astype(np.float32)
    got = cs.decimate(x32, 4)
    assert got.dtype == np.float32 and rel(got, ss.decimate(x32, 4)) < 1e-4


class ZPK:
    """A dlti-like object that is not SciPy's (duck typing)."""

    def __init__(self, z, p, k):
        self.zeros, self.poles, self.gain = z, p, k


def test_dlti_systems(chirp):
    x = chirp[0]
    for system in (
        ss.dlti(*ss.butter(4, 0.3)),  # complex poles: filtfilt of num/den, as SciPy
        ss.dlti([1.0, 0.5], [1.0, -0.5, 0.06]),  # real poles: zpk2sos and sosfiltfilt
        ss.dlti([0.25, 0.5, 0.25], [1.0]),  # no poles: FIR
    ):
        assert rel(cs.decimate(x, 3, ftype=system), ss.decimate(x, 3, ftype=system)) < 1e-12
    z, p, k = ss.butter(3, 0.3, output="zpk")
    got = cs.decimate(x, 3, ftype=ZPK(z, p, k), zero_phase=False)
    assert rel(got, ss.decimate(x, 3, ftype=ss.dlti(z, p, k), zero_phase=False)) < 1e-12


@pytest.mark.parametrize(
    "call,err,match",
    [
        (lambda: cs.decimate(np.ones(40), 0), ValueError, r"decimate: q must be a positive int"),
        (lambda: cs.decimate(np.ones(40), 2.5), TypeError, r"decimate: q must be a positive int"),
        (lambda: cs.decimate(np.ones(40), 2, ftype="ellip"), ValueError, r"decimate: ftype"),
        (lambda: cs.decimate(np.ones(40), 2, ftype=object()), ValueError, r"dlti-like"),
        (lambda: cs.decimate(np.ones(40), 2, axis=1), ValueError, r"decimate: axis 1 is out"),
    ],
)
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()
