"""The tour (python -m convalgebra) and the benchmark that talks while it works."""

import io
import os
import subprocess
import sys
import time

import pytest

from convalgebra import _tour
from convalgebra.bench import cases, registry, report, timing


def test_definitions_say_what_the_symbols_mean(capsys):
    _tour.definitions()
    _tour.precision()
    out = capsys.readouterr().out
    assert "(q * x)[n] = Σ_k q[k] x[n − k]" in out and "flipped" in out
    assert "(q ⋆ x)[n] = Σ_k q[k] x[n + k]" in out and "deep" in out
    assert "q * δ = (0 0 1 2 3 0 0)" in out
    assert "q ⋆ δ = (0 0 3 2 1 0 0)" in out
    assert "float64" in out and "complex64" in out and "float32" in out


def _row(case, direction, formulation, family, ratio, ms=1.0, status="ok"):
    return dict(
        case=case,
        direction=direction,
        formulation=formulation,
        family=family,
        ratio_to_best=ratio,
        median_ms=ms * ratio,
        gflops=10.0 / ratio,
        status=status,
        kind="strided",
        factor=2,
        ndim=2,
        kernel=4,
        x_shape=[8, 64, 128, 128],
    )


def test_bench_summary_gives_ratios_per_family():
    rows = [
        _row("s2d", "forward", "convalgebra as written", "convalgebra", 3.0),
        _row("s2d", "forward", "convalgebra lowered", "convalgebra", 1.25),
        _row("s2d", "forward", "lax window stride", "lax", 1.0),
        _row("s2d", "forward", "torch conv2d c-last", "torch", 2.5),
        _row("s2d", "forward", "torch broken", "torch", 0.5, status="error"),
    ]
    out = _tour.bench_summary(rows)
    line = next(s for s in out.splitlines() if "forward" in s)
    assert "↓2 (w ⋆ x) 2-D k4, x 8x64x128x128" in line
    assert line.split()[-4:] == ["1.25x", "1.00x", "-", "2.50x"]  # lowered, not as written
    assert "1 formulation(s) failed" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--figure-names", "matrix"], "--figure-names needs --figures DIR"),
        (["--figures", "{tmp}", "--figure-names", "matrix,nope"], "unknown figure name 'nope'"),
        (["--figures", "{tmp}/file/sub"], "cannot create the figure directory"),
    ],
)
def test_bad_figure_arguments_fail_before_the_tour(argv, message, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    (tmp_path / "file").write_text("")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert _tour.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and err.startswith("python -m convalgebra: error:") and message in err


def test_progress_talks_during_silence_off_a_terminal():
    stream = io.StringIO()
    p = report.Progress(4, stream=stream, tty=False, every=0.1)
    try:
        p.step("t2d_k4_s2 grad lax.conv_transpose")
        time.sleep(0.35)  # a long compile: the heartbeat speaks
        p.calls(3, 12, 95.0)
        time.sleep(0.35)
    finally:
        p.close()
    lines = stream.getvalue().splitlines()
    assert lines and all("\r" not in s for s in lines)
    assert "1/4" in lines[0] and "t2d_k4_s2 grad lax.conv_transpose" in lines[0]
    assert any("3/12 calls, ~95 s left" in s for s in lines)


def test_progress_live_line_on_a_terminal():
    stream = io.StringIO()
    p = report.Progress(2, stream=stream, tty=True)
    p.step("a forward lax")
    p.calls(1, 2, 300.0)
    p.message("[1/1] a forward: 1.0 s")
    p.close()
    text = stream.getvalue()
    assert text.startswith("\r[##########----------] 1/2")
    assert "[1/1] a forward: 1.0 s\n" in text
    assert "5.0 min" in report.Progress.line(p)  # estimates above 2 minutes in minutes


def test_load_warning(monkeypatch):
    cores = report.usable_cores()
    assert cores == len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "getloadavg", lambda: (cores + 3.5, 0.0, 0.0))
    msg = report.load_warning()
    assert msg and f"load average {cores + 3.5:.1f} > {cores} usable cores" in msg
    monkeypatch.setattr(os, "getloadavg", lambda: (cores - 0.5, 0.0, 0.0))
    assert report.load_warning() is None


def test_header_shows_the_gemm_ceiling():
    info = dict(device="cpu (x)", cpu_count=4, threads=2, jax="j", jaxlib="l", python="p")
    info.update(torch=None, notes=["the machine is loaded"])
    ceiling = timing.Ceiling((31752, 576, 64), 40.0, 35.0, torch=200.0, torch_median=190.0)
    text = report.header(info, ceiling)
    assert "31752x576 @ 576x64 float32: XLA 40.0 GFLOP/s" in text
    assert "PyTorch 200.0 (median 190.0); XLA/PyTorch 0.20" in text
    assert "note     the machine is loaded" in text
    alone = timing.Ceiling((7938, 576, 64), 40.0, 35.0)
    assert "PyTorch" not in alone.describe()
    assert "--quick" in report.header(info, alone, quick=True)


def test_rows_are_compared_within_their_layout():
    """'x layout' is over the fastest JAX row on the same layout; torch over the fastest JAX."""
    case = next(c for c in cases.all_cases(quick=True) if c.name == "s2d_k4_s2")
    rows = []
    for name, layout, backend, ms in [
        ("a", "channels_first", "jax", 4.0),
        ("b", "channels_first", "jax", 2.0),
        ("a c-last", "channels_last", "jax", 1.5),
        ("b c-last", "channels_last", "jax", 1.0),
        ("torch", "channels_first", "torch", 0.5),
    ]:
        fam = "torch" if backend == "torch" else "lax"
        row = timing.Row(case, "forward", registry.Entry(name, fam, backend, layout, None))
        row.times = [ms / 1e3]
        rows.append(row)
    timing.set_ratios(rows)
    got = {r.name: (r.ratio_in_layout, r.ratio_to_best) for r in rows}
    assert got["a"] == pytest.approx((2.0, 8.0)) and got["b"] == pytest.approx((1.0, 4.0))
    assert got["a c-last"] == pytest.approx((1.5, 3.0))
    assert got["torch"] == pytest.approx((0.5, 1.0))  # over the fastest JAX form, any layout
    text = report.table(rows, 100.0)
    first, last = text.index("channels-first data"), text.index("channels-last data")
    assert first < text.index(" a c-last ") and last < text.index("PyTorch")
    assert text.index(" b ") < last < text.index(" b c-last ")


def test_torch_threads_set_to_the_usable_cores(monkeypatch):
    torch = pytest.importorskip("torch", reason="torch (the 'bench' extra) is not installed")
    from convalgebra.bench import cli

    before = torch.get_num_threads()
    monkeypatch.setattr(report, "usable_cores", lambda: 1)
    try:
        assert cli._torch_device("cpu", []).type == "cpu"
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_the_whole_tour_quick(tmp_path):
    """The tour as a user runs it, with --quick (tiny benchmark, short animations)."""
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    cmd = [sys.executable, "-m", "convalgebra", "--quick", "--figures", str(tmp_path)]
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for heading in ("0. The symbols", "1. Every operator", "2. The identities", "4. The bench"):
        assert heading in out
    assert "all identities hold." in out and "FAIL" not in out
    assert "convalgebra         lax" in out  # the ratio summary, not the raw tables
    assert "median ms" not in out
    for name in ("matrix.png", "sliding.gif", "sliding.png", "overlap.png", "benchmark.png"):
        assert (tmp_path / name).stat().st_size > 1000, name


def test_run_group_reports_each_timed_call():
    from convalgebra.bench import cases, registry, timing

    registry.load_all()
    case = next(c for c in cases.all_cases(quick=True) if c.name == "s1d_k9_s2")
    entries = [e for e in registry.entries(case.kind) if e.family == "lax"][:2]
    seen, steps = [], []
    rows = timing.run_group(
        case,
        "forward",
        entries,
        cases.make_inputs(case),
        timing.Config(repeat=3, budget=0.01),
        steps.append,
        lambda done, total, left: seen.append((done, total, left)),
    )
    assert len(steps) == len(entries) + 1 and steps[-1].endswith("timing")
    n = sum(len(r.times) for r in rows)
    assert [s[0] for s in seen] == list(range(1, n + 1))
    assert all(s[1] == n for s in seen) and seen[-1][2] == 0.0
    assert all(s[2] >= 0.0 for s in seen)
