"""SciPy's own ``upfirdn`` and ``resample_poly`` tests, run against ``ca.signal``.

The installed ``scipy/signal/tests/test_upfirdn.py`` (``TestUpfirdn`` and the module-level
tests) and ``TestResample`` of ``test_signaltools.py`` are imported as they ship. The
``upfirdn`` global of the first is replaced by ours, and ``scipy.signal.resample_poly`` (which the
second calls through ``from scipy import signal``) by ours for the duration of each test;
SciPy's ``resample`` (FFT), ``firwin``, ``upfirdn`` internals and padding helpers stay the
oracles. Ours return JAX arrays: the shims hand back NumPy arrays, as SciPy's tests compare with
NumPy's namespace. The ``xp`` fixture is NumPy. All 500 tests pass (SciPy 1.17.1); the
differences that SciPy's tests do not reach are listed in docs/resampling.md ("SciPy's test
suite").
"""

import functools
import importlib.util
import pathlib
import warnings

import jax
import numpy as np
import pytest

import convalgebra.signal as cs

pytestmark = pytest.mark.slow

scipy_signal = pytest.importorskip("scipy.signal")  # SciPy's test files (the `test` extra)


def _np(fn):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        out = fn(*args, **kwargs)
        return np.asarray(out) if isinstance(out, jax.Array) else out

    return call


def _load(name: str):
    path = pathlib.Path(scipy_signal.__file__).parent / "tests" / name
    if not path.exists():
        pytest.skip(f"SciPy's test files are not installed ({path})", allow_module_level=True)
    spec = importlib.util.spec_from_file_location(f"_scipy_suite_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's own pytest marks, unknown to this config
        spec.loader.exec_module(mod)
    return mod


_upfirdn_suite = _load("test_upfirdn.py")
vars(_upfirdn_suite)["upfirdn"] = _np(cs.upfirdn)  # its module global
_tools_suite = _load("test_signaltools.py")


@pytest.fixture
def xp():
    """SciPy's ``xp`` fixture, NumPy only (the shims return NumPy arrays)."""
    from scipy._lib._array_api import array_namespace

    return array_namespace(np.empty(0))


@pytest.fixture(autouse=True)
def _ours(monkeypatch):
    monkeypatch.setattr(scipy_signal, "resample_poly", _np(cs.resample_poly))


class TestUpfirdn(_upfirdn_suite.TestUpfirdn):
    pass


def test_output_len_long_input(xp):
    _upfirdn_suite.test_output_len_long_input(xp)


class TestResample(_tools_suite.TestResample):
    pass
