"""Reporting: the header, per-case tables, the summary, JSON, Markdown and the plot."""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
from typing import Any, cast

from .timing import Row

COLUMNS = (
    ("direction", "{:<9}", 9),
    ("formulation", "{:<24}", 24),
    ("median ms", "{:>10.3f}", 10),
    ("IQR ms", "{:>8.3f}", 8),
    ("compile s", "{:>9.2f}", 9),
    ("x best", "{:>7.2f}", 7),
    ("GFLOP/s", "{:>8.1f}", 8),
    ("% peak", "{:>6.1f}", 6),
    ("n", "{:>3d}", 3),
)


def machine_info(jax_device: Any, torch_device: Any, notes: list[str]) -> dict:
    """Device, versions and threads, for the header and every JSON row."""
    import jax
    import jaxlib

    kind = getattr(jax_device, "device_kind", "?")
    model = _cpu_model() if jax_device.platform == "cpu" else kind
    info = {
        "device": f"{jax_device.platform} ({model})",
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,  # pyright: ignore[reportPrivateImportUsage]
        "python": platform.python_version(),
    }
    info["threads"] = usable_cores()
    info["torch"] = None
    if torch_device is not None:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["torch_device"] = str(torch_device)
    for var in ("XLA_FLAGS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    info["notes"] = list(notes)
    return info


def header(info: dict, peak: tuple[float, float], gemm_n: int, quick: bool = False) -> str:
    size = f"{gemm_n}x{gemm_n}" + (" (--quick; the full run uses twice the size)" if quick else "")
    lines = [
        "convalgebra.bench — float32, medians of interleaved runs after warm-up",
        f"device   {info['device']}, host {info['cpu_count']} cores ({info['threads']} usable)",
        f"versions jax {info['jax']}, jaxlib {info['jaxlib']}, torch {info['torch'] or '-'}, "
        f"python {info['python']}",
        f"threads  XLA: {info['threads']} cores"
        + (f", torch: {info['torch_threads']} ({info['torch_device']})" if info["torch"] else ""),
        f"GEMM     {size} float32 matmul: {peak[0]:.1f} GFLOP/s peak "
        f"(median {peak[1]:.1f}); '% peak' is against the peak",
    ]
    lines += [f"env      {k}={info[k]}" for k in ("XLA_FLAGS", "OMP_NUM_THREADS") if k in info]
    lines += [f"note     {n}" for n in info["notes"]]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cell(fmt: str, width: int, value: Any) -> str:
    return " " * width if value is None else fmt.format(value)


def table(rows: list[Row], peak: float) -> str:
    """The rows of one case as a fixed-width table (direction, formulation, timings...)."""
    out = [
        "  ".join(
            f"{name:>{w}}" if i > 1 else f"{name:<{w}}" for i, (name, _, w) in enumerate(COLUMNS)
        )
    ]
    for r in rows:
        if r.status != "ok":
            out.append(f"{r.direction:<9}  {r.name:<24}  {r.status.upper()}: {r.error}")
            continue
        vals = [
            r.direction,
            r.name,
            r.median_ms,
            r.iqr_ms,
            r.compile_s,
            r.ratio_to_best,
            r.gflops,
            100 * r.gflops / peak if r.gflops else None,
            len(r.times),
        ]
        out.append("  ".join(_cell(f, w, v) for (_, f, w), v in zip(COLUMNS, vals)))
    return "\n".join(out)


def to_json_rows(rows: list[Row], info: dict, peak: float) -> list[dict]:
    """One dict per row: the fields of the JSON output."""
    out = []
    for r in rows:
        g = r.gflops
        d = {
            "case": r.case.name,
            "formulation": r.name,
            "family": r.entry.family,
            "direction": r.direction,
            "median_ms": r.median_ms,
            "iqr_ms": r.iqr_ms,
            "compile_s": r.compile_s,
            "ratio_to_best": r.ratio_to_best,
            "gflops": g,
            "percent_peak": 100 * g / peak if g else None,
            "useful_gflop": r.case.useful_flops(r.direction) / 1e9,
            "n_repeats": len(r.times),
            "first_call_ms": r.first_ms,
            "status": r.status,
            "error": r.error,
            "rel_err": r.rel_err,
            "checked_against": r.checked_against,
            "layout": r.entry.layout,
            "dtype": "float32",
            "device": info["device"],
            "gemm_peak_gflops": peak,
        }
        d.update(r.case.shape_info())
        out.append(d)
    return out


def write_json(path: str, rows: list[dict]) -> None:
    with open(path, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")


def summary(rows: list[Row]) -> str:
    """Per (case, direction): the fastest formulation and where convalgebra stands."""
    out = ["", "summary: fastest formulation per (case, direction), and convalgebra's ratio"]
    groups: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.case.name, r.direction), []).append(r)
    for (case, direction), rs in groups.items():
        ok = [r for r in rs if r.status == "ok" and r.times]
        if not ok:
            continue
        best = min(ok, key=lambda r: cast(float, r.median_ms))  # ok rows have times
        lib = [f"{r.name} x{r.ratio_to_best:.2f}" for r in ok if r.entry.family == "convalgebra"]
        bad = [f"{r.name}: {r.status}" for r in rs if r.status != "ok"]
        out.append(
            f"  {case:<11} {direction:<9} best {best.name:<24} {best.median_ms:>10.3f} ms   "
            + ", ".join(lib + bad)
        )
    return "\n".join(out)


_MD_FAMILIES = (
    ("lax", "lax"),
    ("auto", "jax auto"),
    ("reference", "reference"),
    ("torch", "torch"),
)


def markdown(rows: list[dict], info: dict, peak: float) -> str:
    """A Markdown table: one line per (case, direction), one column per family.

    Library formulations get a column each; for every other family the cell shows its fastest
    formulation's time over the best of the row, and its name.
    """
    lib = list(dict.fromkeys(r["formulation"] for r in rows if r["family"] == "convalgebra"))
    heads = [n.removeprefix("convalgebra").strip() or "convalgebra" for n in lib]
    lines = [
        f"Machine: {info['device']}, {info['threads']} cores, jax {info['jax']}, jaxlib "
        f"{info['jaxlib']}, torch {info['torch'] or '-'}; float32; GEMM peak {peak:.0f} GFLOP/s. "
        "Cells: time / fastest of the row (fastest family member named).",
        "",
        "| case | direction | fastest (ms) | "
        + " | ".join([*heads, *(h for _, h in _MD_FAMILIES)])
        + " |",
        "|---|---|---|" + "---:|" * len(heads) + "---|" * len(_MD_FAMILIES),
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["case"], r["direction"]), []).append(r)
    for (case, direction), rs in groups.items():
        ok = sorted((r for r in rs if r["status"] == "ok"), key=lambda r: r["median_ms"])
        if not ok:
            continue
        best = ok[0]
        cells = []
        for name in lib:
            r = [r for r in rs if r["formulation"] == name]
            cells.append(
                "–"
                if not r
                else f"{r[0]['ratio_to_best']:.2f}"
                if r[0]["status"] == "ok"
                else r[0]["status"]
            )
        for fam, _ in _MD_FAMILIES:
            r = [r for r in ok if r["family"] == fam]
            cells.append(f"{r[0]['ratio_to_best']:.2f} {r[0]['formulation']}" if r else "–")
        lines.append(
            f"| {case} | {direction} | {best['median_ms']:.2f} {best['formulation']} | "
            + " | ".join(cells)
            + " |"
        )
    bad = [
        f"{r['case']} {r['direction']} {r['formulation']}: {r['error']}"
        for r in rows
        if r["status"] != "ok"
    ]
    lines += ["", *(f"- {b}" for b in bad)] if bad else []
    return "\n".join(lines) + "\n"


def plot(path: str, rows: list[dict], info: dict) -> None:
    """Ratio to the best formulation, one line per (case, direction), log scale (ca.plot)."""
    from ..plot import benchmark

    benchmark(rows, title=f"convalgebra.bench — {info['device']}, jax {info['jax']}", path=path)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), not the host's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_warning() -> str | None:
    """A warning when the 1-minute load average exceeds the usable cores (timings are noisy)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    cores = usable_cores()
    if load <= cores:
        return None
    return (
        f"the machine is loaded: 1-minute load average {load:.1f} > {cores} usable cores; "
        "timings will be slow and noisy (PyTorch rows most, its threads compete)"
    )


class Progress:
    """Says on stderr what the benchmark is doing while it works.

    On a terminal, one live line: overall steps, elapsed time, the current step and how long
    it has run, and, while timing, the calls done and an estimate of the time left; a
    background thread redraws it every second, so a long compile or call still shows time
    passing. Otherwise (a log file, a pipe) a line after ``every`` seconds without output.
    """

    def __init__(self, total: int, stream: Any = None, tty: bool | None = None, every=15.0):
        self.stream = stream or sys.stderr
        self.tty = stderr_is_tty() if tty is None else tty
        self.every = 1.0 if self.tty else every
        self.total, self.done, self.label, self.detail = total, 0, None, ""
        self.start = self.since = self.last = time.perf_counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()

    def step(self, label: str) -> None:
        """A new step (a formulation's compile and warm-up, or a group's timing) begins."""
        with self._lock:
            self.done, self.label, self.detail = self.done + 1, label, ""
            self.since = time.perf_counter()
            if self.tty:
                self._show()

    def calls(self, done: int, total: int, left_s: float) -> None:
        """Progress of the interleaved timing loop: ``done`` of ``total`` calls."""
        with self._lock:
            self.detail = f"{done}/{total} calls, ~{_duration(left_s)} left"
            if self.tty and time.perf_counter() - self.last >= 0.25:
                self._show()

    def message(self, text: str) -> None:
        """A line of its own (the live line is cleared first)."""
        with self._lock:
            self._clear()
            print(text, file=self.stream, flush=True)
            self.last = time.perf_counter()

    def pause(self) -> None:
        """Clears the live line until the next step (while tables go to stdout)."""
        with self._lock:
            self._clear()
            self.label = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.pause()

    def line(self) -> str:
        now = time.perf_counter()
        width = 20
        n = int(width * self.done / max(self.total, 1))
        detail = f", {self.detail}" if self.detail else ""
        return (
            f"[{'#' * n}{'-' * (width - n)}] {self.done}/{self.total} "
            f"{_duration(now - self.start)}  {(self.label or '')[:48]} "
            f"({_duration(now - self.since)}{detail})"
        )

    def _show(self) -> None:
        self.last = time.perf_counter()
        if self.tty:
            print("\r" + self.line()[:118].ljust(118), end="", file=self.stream, flush=True)
        else:
            print(self.line(), file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.tty and self.label is not None:
            print("\r" + " " * 118 + "\r", end="", file=self.stream, flush=True)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, max(self.every, 0.05))):
            with self._lock:
                if self.label is not None and time.perf_counter() - self.last >= self.every:
                    self._show()


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()
