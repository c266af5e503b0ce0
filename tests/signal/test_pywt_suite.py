"""PyWavelets' own shipped tests, run against ``convalgebra.signal`` (issue 21 item 6), slow.

The test files of the installed ``pywt/tests/`` that exercise the functions we implement run in
a subprocess with ``pywt_shim`` loaded: every such ``pywt`` function is ours (outputs as NumPy).
Tests that fail against ours for a documented reason are marked ``xfail`` in
``pywt_shim.KNOWN`` (docs/wavelets.md, "More PyWavelets functions and differences"); any other
failure fails this test. ``test_perfect_reconstruction.py`` (every wavelet x mode x length,
eagerly) is left out: each new (wavelet, mode, length) compiles a program, which takes minutes
where PyWavelets takes seconds (the eager-compile cost that issue 21 item 6 asks to remove).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pywt = pytest.importorskip("pywt", reason="PyWavelets' test files are the oracle")

pytestmark = pytest.mark.slow

FILES = (
    "test_thresholding.py",
    "test_mra.py",
    "test_multidim.py",
    "test_swt.py",
    "test_multilevel.py",
    "test_dwt_idwt.py",
    "test_modes.py",
)

#: test_mra.py's three round-trip grids (dtype x mode x transform x wavelet, 648 tests, 85% of
#: the selection) keep one wavelet of three (db2; sym4 and coif5 add no code path)
#: the loops over every wavelet x mode (about 100 x 9 eager calls each) are left out as well:
#: each new (wavelet, mode, shape) compiles a program (minutes here, seconds for PyWavelets);
#: tests/signal/test_signal_properties.py draws wavelets x modes x lengths under jit instead
ALL_WAVELETS = (
    "test_dwdtn_idwtn_allwavelets",
    "test_swt_iswt_integration",
    "test_swt2_iswt2_integration",
    "test_swtn_iswtn_integration",
    "test_waverec_all_wavelets_modes",
    "test_waverec2_all_wavelets_modes",
    "test_waverecn_all_wavelets_modes",
    "test_wavedecn_coeff_reshape_even",
    "test_wavedecn_coeff_ravel",
)
SELECT = (
    "(not mra_roundtrip and not mra2_roundtrip and not mran_roundtrip or db2) and not ("
    + " or ".join(ALL_WAVELETS)
    + ")"
)


def test_pywavelets_suite_against_ours(tmp_path):
    tests = Path(pywt.__file__).parent / "tests"
    files = [str(tests / f) for f in FILES if (tests / f).exists()]
    if not files:
        pytest.skip("this PyWavelets install ships no tests (pywt/tests/)")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "pywt_shim",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-q",
            "-rfE",
            "-p",
            "no:warnings",
            "-o",
            "addopts=",
            "-k",
            SELECT,
            *files,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
    )
    tail = run.stdout[-6000:]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|xfailed|error|errors)", tail)}
    assert counts.get("passed", 0) > 400, tail
    assert counts.get("failed", 0) == 0 and not counts.get("error") and not counts.get("errors"), (
        tail
    )
    print(tail.splitlines()[-1])  # e.g. "870 passed, 12 xfailed in ..."
