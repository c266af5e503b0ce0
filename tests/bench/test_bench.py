"""The benchmark harness: a --quick run end to end, its JSON rows, and bad input."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from convalgebra.bench import cases as bench_cases
from convalgebra.bench import registry, timing

LIBRARY = "convalgebra as written"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIRED = {
    "case": str,
    "formulation": str,
    "direction": str,
    "median_ms": float,
    "iqr_ms": float,
    "ratio_to_best": float,
    "ratio_in_layout": float,
    "gflops": float,
    "percent_peak": float,
    "n_repeats": int,
    "kind": str,
    "x_shape": list,
    "y_shape": list,
    "kernel_shapes": list,
}


def bench(*args, timeout=120):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("JAX_ENABLE_X64", None)
    return subprocess.run(
        [sys.executable, "-m", "convalgebra.bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow  # a --quick run of two cases (~40 s); CI runs the slow grid
def test_quick_run_writes_consistent_rows(tmp_path):
    out = tmp_path / "rows.json"
    md = tmp_path / "table.md"
    r = bench(
        "--quick",
        "--suite",
        "strided,transposed",
        "--filter",
        "1d_k9_s",
        "--json",
        str(out),
        "--markdown",
        str(md),
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "GEMM" in r.stdout and "jax 0." in r.stdout  # the header names machine and versions
    assert "7938x576 @ 576x64 float32: XLA" in r.stdout and "PyTorch" in r.stdout
    rows = json.loads(out.read_text())
    assert isinstance(rows, list) and rows
    for row in rows:
        assert row["status"] == "ok", row
        for key, typ in REQUIRED.items():
            assert isinstance(row[key], typ), (key, row)
        assert row["direction"] in ("forward", "transpose", "grad")
        assert row["ratio_to_best"] >= 1.0 - 1e-12
        assert row["rel_err"] <= timing.TOLERANCE
        assert (row["compile_s"] is None) == (row["family"] == "torch")
        assert row["median_ms"] > 0 and row["iqr_ms"] >= 0 and row["gflops"] > 0
    groups = {(r["case"], r["direction"]) for r in rows}
    assert groups == {(c, d) for c in ("s1d_k9_s2", "t1d_k9_s4") for d in bench_cases.DIRECTIONS}
    for case, direction in groups:
        ratios = [
            r["ratio_to_best"] for r in rows if (r["case"], r["direction"]) == (case, direction)
        ]
        assert min(ratios) == pytest.approx(1.0)
        for layout in ("channels_first", "channels_last"):  # like with like
            same = [
                r
                for r in rows
                if (r["case"], r["direction"], r["group"]) == (case, direction, layout)
            ]
            assert {r["family"] for r in same} >= {"convalgebra", "auto"} or direction == "forward"
            assert min(r["ratio_in_layout"] for r in same) == pytest.approx(1.0)
            fastest = min(r["median_ms"] for r in same)
            for r in same:
                assert r["ratio_in_layout"] == pytest.approx(r["median_ms"] / fastest)
        jax_best = min(
            r["median_ms"]
            for r in rows
            if (r["case"], r["direction"]) == (case, direction) and r["family"] != "torch"
        )
        for r in rows:
            if (r["case"], r["direction"], r["family"]) == (case, direction, "torch"):
                assert r["ratio_in_layout"] == pytest.approx(r["median_ms"] / jax_best)
    names = {(r["case"], r["direction"], r["formulation"]) for r in rows}
    for want in [
        ("s1d_k9_s2", "forward", LIBRARY),
        ("s1d_k9_s2", "forward", "lax stride"),
        ("s1d_k9_s2", "transpose", LIBRARY),
        ("s1d_k9_s2", "transpose", "jax.linear_transpose"),
        ("s1d_k9_s2", "transpose", "polyphase"),
        ("t1d_k9_s4", "grad", "jax.vjp"),
        ("t1d_k9_s4", "grad", "polyphase"),
        # every formulation on both layouts: the lowered formula beside the c-last hand forms
        ("s1d_k9_s2", "forward", "convalgebra lowered c-last"),
        ("s1d_k9_s2", "forward", "lax stride c-last"),
        ("s1d_k9_s2", "transpose", "convalgebra lowered c-last"),
        ("s1d_k9_s2", "transpose", "lax.conv_transpose c-last"),
        ("s1d_k9_s2", "grad", "convalgebra lowered c-last"),
        ("s1d_k9_s2", "grad", "jax.vjp c-last"),
        ("t1d_k9_s4", "forward", "convalgebra lowered c-last"),
        ("t1d_k9_s4", "forward", "lax.conv_transpose c-last"),
        ("t1d_k9_s4", "transpose", "jax.linear_transpose c-last"),
    ]:
        assert want in names
    text = md.read_text()
    assert "| s1d_k9_s2 | forward | c-first |" in text
    assert "| s1d_k9_s2 | forward | c-last |" in text


@pytest.mark.parametrize(
    "args",
    [
        ["--suite", "nope"],
        ["--json", "/nonexistent-dir/rows.json"],
        # the same path for every bad value (one subprocess each, ~2 s): in the slow grid
        *(
            pytest.param(a, marks=pytest.mark.slow)
            for a in (
                ["--suite", "strided,bogus"],
                ["--direction", "sideways"],
                ["--device", "tpu"],
                ["--repeat", "0"],
                ["--frobnicate"],
            )
        ),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args):
    r = bench("--quick", *args, timeout=60)
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "error" in lines[0] and "Traceback" not in r.stderr
    assert r.stdout == ""


@pytest.mark.skipif(any(d.platform == "gpu" for d in jax.devices()), reason="a GPU is present here")
def test_missing_device_is_one_line():
    r = bench("--quick", "--device", "gpu", timeout=60)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not present" in r.stderr


def test_every_case_has_consistent_shapes():
    """The plain lax forward of every case produces the case's declared output shape."""
    from convalgebra.bench import forms_lax

    for case in bench_cases.all_cases(quick=False):
        f = forms_lax.PLAIN[case.kind](case)
        ws = tuple(jax.ShapeDtypeStruct(s, np.float32) for s in case.kernel_shapes)
        y = jax.eval_shape(f, ws, jax.ShapeDtypeStruct(case.x_shape, np.float32))
        assert tuple(y.shape) == case.y_shape, case
        assert case.useful_flops("grad") == 2 * case.useful_flops("forward") > 0


def test_cross_check_flags_the_odd_one_out():
    case = bench_cases.all_cases(quick=True)[0]
    entries = [registry.Entry(n, "lax", "jax", "channels_first", None) for n in "abc"]
    rows = [timing.Row(case, "forward", e) for e in entries]
    y = np.random.default_rng(0).standard_normal(10)
    timing.cross_check(rows, {"a": [y], "b": [y + 1e-7], "c": [y + 1e-2]})
    assert [r.status for r in rows] == ["ok", "ok", "mismatch"]
    assert rows[2].checked_against in ("a", "b") and rows[2].rel_err > timing.TOLERANCE


def test_select_rejects_unknown_suites():
    with pytest.raises(ValueError, match="unknown suite"):
        bench_cases.select(["nope"])
    assert {c.suite for c in bench_cases.select(["all"])} == set(bench_cases.SUITES)


def test_registering_formulations():
    """register / register_algebra add rows; a NotApplicable builder's row is skipped."""
    from convalgebra import bench

    registry.load_all()
    with pytest.raises(ValueError, match="family must be one of"):
        bench.register("strided", "bad", family="nope")

    @bench.register("strided", "test: not applicable", family="reference")
    def _(case, direction):
        raise bench.NotApplicable("cannot express it")

    bench.register_algebra("convalgebra test", apply=lambda A, x: A(x))
    added = ("test: not applicable", "convalgebra test")
    try:
        for kind in bench_cases.KINDS:
            assert any(e.name == "convalgebra test" for e in registry.entries(kind))
        case = next(c for c in bench_cases.all_cases(quick=True) if c.name == "s1d_k9_s2")
        entries = [e for e in registry.entries("strided") if e.name in (*added, "lax stride")]
        rows = timing.run_group(
            case,
            "forward",
            entries,
            bench_cases.make_inputs(case),
            timing.Config(repeat=1, budget=0.01),
        )
        assert {r.name for r in rows} == {"lax stride", "convalgebra test"}
        assert all(r.status == "ok" and r.rel_err <= timing.TOLERANCE for r in rows)
    finally:
        for kind in bench_cases.KINDS:
            kept = [e for e in registry._REGISTRY[kind] if e.name not in added]
            registry._REGISTRY[kind][:] = kept


def test_gpu_script_refuses_ci_and_bad_usage(tmp_path):
    """benchmarks/gpu.sh never runs in CI and says how to call it (no install, no run)."""
    script = os.path.join(ROOT, "benchmarks", "gpu.sh")
    env = dict(os.environ, CI="true")
    r = subprocess.run(["bash", script, str(tmp_path)], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "refusing to run in CI" in r.stderr
    assert not any(tmp_path.iterdir())
    env.pop("CI")
    for args in ([], ["--quick"], [str(tmp_path), "--platform", "tpu"], [str(tmp_path), "-x"]):
        r = subprocess.run(["bash", script, *args], env=env, capture_output=True, text=True)
        assert r.returncode == 2 and ("usage" in r.stderr or "gpu or cpu" in r.stderr), args


def test_runner_suites_take_the_options_they_support_and_refuse_the_rest():
    from convalgebra.bench import cli

    def argv(*words, name="signal"):
        args = cli.parser().parse_args(list(words))
        suites = args.suite.split(",")
        return cli._external_argv(name, args, any(s not in cli.RUNNERS for s in suites))

    got = argv("--suite", "signal", "--filter", "sosfilt", "--markdown", "t.md", "--quick")
    assert got == ["--quick", "--filter", "sosfilt", "--markdown", "t.md"]
    assert argv("--suite", "solve", "--repeat", "3", name="solve") == ["--repeat", "3"]
    with pytest.raises(cli.UsageError, match="suite 'solve' does not take --filter"):
        argv("--suite", "solve", "--filter", "x", name="solve")
    with pytest.raises(cli.UsageError, match="suite 'signal' does not take --no-torch"):
        argv("--suite", "signal", "--no-torch")
    # beside a convolution suite the option is that suite's; output files stay its own
    assert argv("--suite", "strided,signal", "--no-torch", "--json", "r.json") == []
