"""SciPy's own ``firwin`` tests (``TestFirwin``, ``TestFirWinMore``, the Kaiser helpers), run
against ``ca.signal.firwin``/``kaiser_beta``/``kaiser_atten``/``kaiserord``.

The installed ``scipy/signal/tests/test_fir_filter_design.py`` is imported as it ships; its
module globals ``firwin``, ``kaiser_beta``, ``kaiser_atten`` and ``kaiserord`` are then
replaced by ours (the tests look them up when they run), and the ``xp`` fixture SciPy's
conftest provides is NumPy here. SciPy's ``freqz`` stays the oracle. The one known difference
(a message anchored at "Parameter") is listed in ``EXPECTED_DIFFERENCES`` and checked to
fail for that reason only; docs/resampling.md, "FIR design: firwin", documents it.
"""

import importlib.util
import pathlib
import warnings

import numpy as np
import pytest

import convalgebra.signal as cs

pytestmark = pytest.mark.slow

scipy_signal = pytest.importorskip("scipy.signal")  # SciPy's test file (the `test` extra)


def _load_suite():
    path = pathlib.Path(scipy_signal.__file__).parent / "tests" / "test_fir_filter_design.py"
    if not path.exists():
        pytest.skip(f"SciPy's test files are not installed ({path})", allow_module_level=True)
    spec = importlib.util.spec_from_file_location("_scipy_fir_suite", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's own pytest marks, unknown to this config
        spec.loader.exec_module(mod)
    for name in ("firwin", "kaiser_beta", "kaiser_atten", "kaiserord"):
        setattr(mod, name, getattr(cs, name))
    return mod


_suite = _load_suite()


@pytest.fixture
def xp():
    """SciPy's ``xp`` fixture, NumPy only (``firwin`` returns NumPy arrays)."""
    from scipy._lib._array_api import array_namespace

    return array_namespace(np.empty(0))


# SciPy's test -> why ours differs (each must still fail, and for that reason only)
EXPECTED_DIFFERENCES = {
    "test_bad_pass_zero": "firwin: parameter pass_zero",  # our message names firwin first
}


class TestFirwin(_suite.TestFirwin):
    pass


class TestFirWinMore(_suite.TestFirWinMore):
    def test_bad_pass_zero(self):
        with pytest.raises(AssertionError, match="Regex pattern did not match") as info:
            super().test_bad_pass_zero()
        assert EXPECTED_DIFFERENCES["test_bad_pass_zero"] in str(info.value)


test_kaiser_beta = _suite.test_kaiser_beta
test_kaiser_atten = _suite.test_kaiser_atten
test_kaiserord = _suite.test_kaiserord


def test_the_suite_runs_ours():
    """The shim is in place: the suite's names are ours, not SciPy's."""
    assert _suite.firwin is cs.firwin and _suite.kaiserord is cs.kaiserord
    assert _suite.firwin is not scipy_signal.firwin
