"""Past one process (issue 19): JAX's multi-process SPMD on localhost, two processes.

``multiprocess_check.py`` runs as two ``jax.distributed`` processes (4 host devices each, gloo
CPU collectives, one global mesh of 8 devices, the batch axis sharded) and once as a plain
single-device process; the strided layer, its derived transpose, a two-level filter-bank
cascade, its derived transpose and the kernel gradient must agree. The processes get a free port
chosen at run time, bounded timeouts, and are killed if anything fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "multiprocess_check.py")
TIMEOUT = 240  # seconds for each process (a cold start compiles every case once)

pytestmark = pytest.mark.slow  # three subprocesses (~30 s on 2 cores): CI runs the slow grid


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    for var in ("JAX_ENABLE_X64", "XLA_FLAGS", "JAX_NUM_CPU_DEVICES"):
        env.pop(var, None)
    return env


def _run_distributed(out: str) -> None:
    port = _free_port()
    procs = [
        subprocess.Popen(
            [sys.executable, SCRIPT, out, str(pid), str(port)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for pid in (0, 1)
    ]
    logs = ["", ""]
    try:
        for i, p in enumerate(procs):
            logs[i] = p.communicate(timeout=TIMEOUT)[0]
    except subprocess.TimeoutExpired:
        pass
    finally:
        for p in procs:  # a process left waiting for its peer is killed
            if p.poll() is None:
                p.kill()
                p.wait()
    codes = [p.returncode for p in procs]
    assert codes == [0, 0], f"exit codes {codes}\n" + "\n".join(
        f"--- process {i}:\n{log[-3000:]}" for i, log in enumerate(logs)
    )


def test_two_processes_equal_one(tmp_path):
    multi, single = str(tmp_path / "multi.npz"), str(tmp_path / "single.npz")
    r = subprocess.run(
        [sys.executable, SCRIPT, single, "single"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    _run_distributed(multi)
    got, want = np.load(multi), np.load(single)
    values = [k for k in got.files if not k.startswith("spec:")]
    assert sorted(values) == sorted(want.files)
    assert {k.split("/")[0] for k in values} == {
        "conv",
        "conv_transpose",
        "cascade",
        "cascade_transpose",
        "kernel_grad",
    }
    for k in values:
        assert got[k].shape == want[k].shape, k
        scale = max(1.0, float(np.max(np.abs(want[k]))))
        assert float(np.max(np.abs(got[k] - want[k]))) / scale < 1e-5, k
    # the results stay sharded over the global batch axis; the kernel gradient (a sum over the
    # batch, across both processes) is replicated
    for name in ("conv", "conv_transpose", "cascade", "cascade_transpose"):
        assert all(s.startswith("('b',") for s in got[f"spec:{name}"]), got[f"spec:{name}"]
    assert all("'b'" not in s for s in got["spec:kernel_grad"])
