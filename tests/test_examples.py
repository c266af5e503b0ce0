"""Every script in examples/ runs, and the tour verifies every identity."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
FAST = {"quickstart.py", "checkerboard.py"}  # the others run in the slow grid (CI runs it)
# the subprocesses import this checkout, whatever is installed
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_there_are_examples():
    assert len(EXAMPLES) >= 1


@pytest.mark.parametrize(
    "script",
    [p if p.name in FAST else pytest.param(p, marks=pytest.mark.slow) for p in EXAMPLES],
    ids=[p.name for p in EXAMPLES],
)
def test_example_runs(script, tmp_path):
    r = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.slow  # the whole tour in a subprocess (~25 s); CI runs the slow grid
def test_tour_verifies_identities():
    r = subprocess.run(
        [sys.executable, "-m", "convalgebra", "--no-bench"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "all identities hold." in r.stdout
    assert "FAIL" not in r.stdout
    assert "[ q1  q0   .   . ]" in r.stdout  # the Toeplitz matrix of the DSP view
