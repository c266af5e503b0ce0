"""A pytest plugin that runs PyWavelets' own test files against ``convalgebra.signal``.

Loaded with ``-p pywt_shim`` (this folder on ``sys.path``) by ``test_pywt_suite.py``: every
``pywt`` function that ``convalgebra.signal`` implements is replaced, on the ``pywt`` module
the test files import, by ours with the outputs converted to NumPy (float64: x64 is enabled).
PyWavelets' internals keep their own functions (its ``WaveletPacket`` and helpers are not ours).
Tests that exercise a documented difference are marked ``xfail`` with the reason
(:data:`KNOWN`); the suite then fails on any other failure.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
# XLA's optimisation passes triple the compile time of the tiny programs these tests run (every
# new shape, wavelet and mode compiles: the eager-compile cost of issue 21 item 6); the values
# do not depend on them.
jax.config.update("jax_disable_most_optimizations", True)

import pywt  # noqa: E402

import convalgebra.signal as cs  # noqa: E402

SHIMMED = (
    "dwt idwt dwt2 idwt2 dwtn idwtn wavedec waverec wavedec2 waverec2 wavedecn waverecn "
    "swt iswt swt2 iswt2 swtn iswtn mra imra mra2 imra2 mran imran threshold threshold_firm "
    "dwt_coeff_len dwt_max_level swt_max_level"
).split()

#: test id (substring) -> the documented reason the test fails against ours (docs/wavelets.md,
#: "More PyWavelets functions and differences").
LONGDOUBLE = "JAX has no extended precision: numpy's longdouble/clongdouble inputs are refused"
NONE_IN_DICT = "None in a detail dict is zeros here; PyWavelets refuses it"
KNOWN: dict[str, str] = {
    # the dtype loops end with np.longdouble / np.clongdouble (float128 / complex256 on x86)
    "test_dwt_idwt.py::test_dwt_idwt_dtypes": LONGDOUBLE,
    "test_multidim.py::test_dwt2_idwt2_dtypes": LONGDOUBLE,
    "test_multidim.py::test_dwtn_idwtn_dtypes": LONGDOUBLE,
    "test_multilevel.py::test_multilevel_dtypes_1d": LONGDOUBLE,
    "test_multilevel.py::test_multilevel_dtypes_2d": LONGDOUBLE,
    "test_multilevel.py::test_multilevel_dtypes_nd": LONGDOUBLE,
    "test_multilevel.py::test_waverec_accuracies": LONGDOUBLE,
    "test_multilevel.py::test_waverec2_accuracies": LONGDOUBLE,
    "test_multilevel.py::test_waverecn_accuracies": LONGDOUBLE,
    "test_multilevel.py::test_waverecn_dtypes": LONGDOUBLE,
    "test_multilevel.py::test_waverecn_invalid_coeffs": NONE_IN_DICT,
    # (the float32 mra/mra2 round trips that missed 1e-6 by rounding, and test_swt.py's two
    # dtype tests, pass since eager calls run the bank's NumPy form)
}


def _np(out):
    return jax.tree.map(
        lambda v: np.asarray(v) if isinstance(v, jax.Array) else v,
        out,
        is_leaf=lambda v: v is None,
    )


def _wrap(ours):
    @functools.wraps(ours)
    def call(*args, **kwargs):
        return _np(ours(*args, **kwargs))

    return call


ORIGINAL = {name: getattr(pywt, name) for name in SHIMMED}


def pytest_configure(config):
    for name in SHIMMED:
        setattr(pywt, name, _wrap(getattr(cs, name)))


def pytest_collection_modifyitems(config, items):
    for item in items:
        for key, why in KNOWN.items():
            if key in item.nodeid:
                item.add_marker(pytest.mark.xfail(reason=why, strict=False))
