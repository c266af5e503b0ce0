"""``python -m convalgebra.bench --devices N``: strong and weak scaling rows on host devices.

The harness runs itself again in a child process with ``N`` host devices (the flag must be set
before JAX starts); this test runs it in a subprocess of its own and reads the JSON rows. No
timing is asserted: only that every row ran, kept the batch sharding and agrees with one device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from convalgebra.bench import cli, scaling

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _bench(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(scaling.CHILD, None)
    env.pop("JAX_ENABLE_X64", None)
    fast = ("--quick", "--repeat", "2", "--budget", "0.01")
    cmd = [sys.executable, "-m", "convalgebra.bench", *fast, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow  # a subprocess with 2 host devices (~10 s); CI runs the slow grid
def test_devices_2_quick(tmp_path):
    out = tmp_path / "scaling.json"
    md = tmp_path / "scaling.md"
    run = _bench("--devices", "2", "--filter", "s1d", "--json", str(out), "--markdown", str(md))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "2 cpu devices" in run.stdout
    rows = json.loads(out.read_text())
    assert {r["case"] for r in rows} == {"s1d_k9_s2"}
    assert {r["direction"] for r in rows} == {"forward", "transpose", "grad"}
    bad = [r for r in rows if r["status"] != "ok"]
    assert not bad, bad
    groups: dict[tuple, dict[int, dict]] = {}
    for r in rows:
        groups.setdefault((r["case"], r["direction"], r["formulation"], r["scaling"]), {})[
            r["devices"]
        ] = r
    # every formulation on 1 and 2 devices, strong (same total batch) and weak (same per device)
    for (_, _, _, kind), by in groups.items():
        assert set(by) == {1, 2}, by
        if kind == "strong":
            assert by[1]["batch"] == by[2]["batch"]
        else:
            assert by[1]["batch_per_device"] == by[2]["batch_per_device"]
            assert by[2]["batch"] == 2 * by[1]["batch"]
        assert by[2]["speedup"] is not None and by[2]["efficiency"] is not None
        assert abs(by[2]["speedup"] - 2 * by[2]["efficiency"]) < 1e-9
    for kind in ("strong", "weak"):
        names = {k[2] for k in groups if k[3] == kind}
        assert "convalgebra lowered" in names and any(n.startswith("lax") for n in names)
    # the sharded runs are checked against the single-device result of the same batch
    two = [r for r in rows if r["devices"] == 2]
    assert all(r["checked_against"].endswith("on 1 device") for r in two)
    assert all(r["rel_err"] <= 1e-4 for r in two)
    # the library keeps the batch sharding and gathers nothing
    lib = [r for r in two if r["family"] == "convalgebra"]
    assert lib and all(r["out_spec"] == ["b"] and r["all_gathers"] == 0 for r in lib), lib
    assert "| s1d_k9_s2 | grad | convalgebra lowered | weak |" in md.read_text()


@pytest.mark.slow  # ~40 s: 4 devices, 5 configurations, both suites
def test_devices_4_checks_every_batch_against_one_device(tmp_path):
    """Weak scaling on 2 of 4 devices has a batch no single-device run has: computed to check."""
    out = tmp_path / "scaling.json"
    run = _bench("--devices", "4", "--filter", "1d", "--json", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert {r["case"] for r in rows} == {"s1d_k9_s2", "t1d_k9_s4"}
    assert {r["direction"] for r in rows} == {"forward", "transpose", "grad"}
    assert {(r["batch"], r["devices"]) for r in rows} == {(4, 1), (4, 2), (4, 4), (1, 1), (2, 2)}
    assert all(r["status"] == "ok" for r in rows)
    sharded = [r for r in rows if r["devices"] > 1]
    assert all(r["checked_against"].endswith("on 1 device") for r in sharded)


def test_devices_bad_input(capsys):
    assert cli.main(["--devices", "0", "--quick"]) == 2
    assert "--devices must be at least 1" in capsys.readouterr().err
    assert cli.main(["--devices", "2", "--suite", "dilated", "--quick"]) == 2
    assert "strided and transposed" in capsys.readouterr().err


def test_device_counts_and_batches():
    assert scaling.device_counts(1) == [1]
    assert scaling.device_counts(8) == [1, 2, 4, 8]
    assert scaling.device_counts(6) == [1, 2, 4, 6]
    assert scaling.batches(8, [1, 2, 4, 8]) == (8, 1)
    assert scaling.batches(2, [1, 2, 4, 6]) == (12, 2)
