"""Reporting: the header, per-case tables, the summary, JSON, Markdown and the plot."""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
from typing import Any, cast

from .timing import Ceiling, Row

COLUMNS = (
    ("direction", "{:<9}", 9),
    ("formulation", "{:<30}", 30),
    ("median ms", "{:>10.3f}", 10),
    ("IQR ms", "{:>8.3f}", 8),
    ("compile s", "{:>9.2f}", 9),
    ("x layout", "{:>8.2f}", 8),
    ("x all", "{:>6.2f}", 6),
    ("GFLOP/s", "{:>8.1f}", 8),
    ("% GEMM", "{:>6.1f}", 6),
    ("n", "{:>3d}", 3),
)
GROUP_TITLES = {
    "channels_first": "JAX, channels-first data (N, C, *S)",
    "channels_last": "JAX, channels-last data (N, *S, C)",
    "torch": "PyTorch (2-D/3-D channels_last memory format, 1-D NCL)",
}


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


def header(info: dict, ceiling: Ceiling, quick: bool = False) -> str:
    """The header: machine, versions, threads and the GEMM ceiling (XLA's and PyTorch's rate)."""
    lines = [
        "convalgebra.bench — float32, medians of interleaved runs after warm-up",
        f"device   {info['device']}, host {info['cpu_count']} cores ({info['threads']} usable)",
        f"versions jax {info['jax']}, jaxlib {info['jaxlib']}, torch {info['torch'] or '-'}, "
        f"python {info['python']}",
        f"threads  XLA: {info['threads']} cores"
        + (f", torch: {info['torch_threads']} ({info['torch_device']})" if info["torch"] else ""),
        f"GEMM     {ceiling.describe()}"
        + (" (--quick: a quarter of the full run's rows)" if quick else ""),
        "         '% GEMM' is each row's useful GFLOP/s over XLA's GEMM rate; 'x layout' is its "
        "time over the fastest JAX form on the same data layout (torch: over the fastest JAX "
        "form), 'x all' over the fastest row",
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


def _groups(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    order = {g: i for i, g in enumerate(GROUP_TITLES)}
    out: dict[str, list[Row]] = {}
    for r in rows:
        out.setdefault(r.group, []).append(r)
    return sorted(out.items(), key=lambda kv: order[kv[0]])


def table(rows: list[Row], gemm: float) -> str:
    """The rows of one case as a fixed-width table: per direction, one block per data layout
    (like with like), then PyTorch; ``gemm`` is XLA's GEMM rate in GFLOP/s."""
    out = [
        "  ".join(
            f"{name:>{w}}" if i > 1 else f"{name:<{w}}" for i, (name, _, w) in enumerate(COLUMNS)
        )
    ]
    directions = list(dict.fromkeys(r.direction for r in rows))
    for direction in directions:
        groups = _groups([r for r in rows if r.direction == direction])
        for group, rs in groups:
            if len(directions) > 1 or len(groups) > 1 or group != "channels_first":
                out.append(f"  -- {direction}: {GROUP_TITLES[group]}")
            for r in rs:
                out.append(_line(r, gemm))
    return "\n".join(out)


def _line(r: Row, gemm: float) -> str:
    if r.status != "ok":
        return f"{r.direction:<9}  {r.name:<30}  {r.status.upper()}: {r.error}"
    vals = [
        r.direction,
        r.name,
        r.median_ms,
        r.iqr_ms,
        r.compile_s,
        r.ratio_in_layout,
        r.ratio_to_best,
        r.gflops,
        100 * r.gflops / gemm if r.gflops else None,
        len(r.times),
    ]
    return "  ".join(_cell(f, w, v) for (_, f, w), v in zip(COLUMNS, vals))


def to_json_rows(rows: list[Row], info: dict, ceiling: Ceiling) -> list[dict]:
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
            "ratio_in_layout": r.ratio_in_layout,
            "gflops": g,
            "percent_peak": 100 * g / ceiling.xla if g else None,
            "useful_gflop": r.case.useful_flops(r.direction) / 1e9,
            "n_repeats": len(r.times),
            "first_call_ms": r.first_ms,
            "status": r.status,
            "error": r.error,
            "rel_err": r.rel_err,
            "checked_against": r.checked_against,
            "layout": r.entry.layout,
            "group": r.group,
            "dtype": "float32",
            "device": info["device"],
            "gemm_peak_gflops": ceiling.xla,
            "gemm_torch_gflops": ceiling.torch,
            "gemm_shape": list(ceiling.shape),
        }
        d.update(r.case.shape_info())
        out.append(d)
    return out


def write_json(path: str, rows: list[dict]) -> None:
    with open(path, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")


def summary(rows: list[Row]) -> str:
    """Per (case, direction, layout): the fastest JAX form, and where convalgebra stands."""
    out = [
        "",
        "summary: fastest JAX form per (case, direction, data layout), convalgebra's ratio to it,",
        "and PyTorch's ratio to the fastest JAX form of either layout",
    ]
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.case.name, r.direction, r.group), []).append(r)
    for (case, direction, group), rs in groups.items():
        ok = [r for r in rs if r.status == "ok" and r.times]
        bad = [f"{r.name}: {r.status}" for r in rs if r.status != "ok"]
        if group == "torch":
            t = [f"torch x{r.ratio_in_layout:.2f}" for r in ok]
            if t or bad:
                out.append(f"  {case:<11} {direction:<9} {'torch':<6} " + ", ".join(t + bad))
            continue
        if not ok:
            continue
        best = min(ok, key=lambda r: cast(float, r.median_ms))  # ok rows have times
        lib = [
            f"{r.name.removesuffix(' c-last')} x{r.ratio_in_layout:.2f}"
            for r in ok
            if r.entry.family == "convalgebra"
        ]
        short = "c-last" if group == "channels_last" else "c-first"
        out.append(
            f"  {case:<11} {direction:<9} {short:<7} best {best.name:<30} "
            f"{best.median_ms:>10.3f} ms   " + ", ".join(lib + bad)
        )
    return "\n".join(out)


_MD_FAMILIES = (
    ("lax", "lax"),
    ("auto", "jax auto"),
    ("reference", "reference"),
)


def _base(name: str) -> str:
    return name.removesuffix(" c-last")


def markdown(rows: list[dict], info: dict, ceiling: Ceiling) -> str:
    """A Markdown table: one line per (case, direction, data layout), one column per family.

    Each cell is a time over the fastest JAX form on the same layout (like with like): the
    library formulations get a column each, every other JAX family its fastest member (named);
    the torch column is PyTorch's time over the fastest JAX form of that line.
    """
    lib = list(dict.fromkeys(_base(r["formulation"]) for r in rows if r["family"] == "convalgebra"))
    heads = [n.removeprefix("convalgebra").strip() or "convalgebra" for n in lib]
    torch_gemm = f", PyTorch {ceiling.torch:.0f}" if ceiling.torch else ""
    m, k, n = ceiling.shape
    lines = [
        f"Machine: {info['device']}, {info['threads']} cores, jax {info['jax']}, jaxlib "
        f"{info['jaxlib']}, torch {info['torch'] or '-'}; float32. GEMM {m}x{k} @ {k}x{n}: "
        f"XLA {ceiling.xla:.0f}{torch_gemm} GFLOP/s. Cells: time / fastest JAX form on the same "
        "data layout (fastest family member named); % GEMM: the fastest form's useful GFLOP/s "
        "over XLA's GEMM rate.",
        "",
        "| case | direction | layout | fastest (ms) | % GEMM | "
        + " | ".join([*heads, *(h for _, h in _MD_FAMILIES), "torch"])
        + " |",
        "|---|---|---|---|---:|" + "---:|" * len(heads) + "---|" * len(_MD_FAMILIES) + "---:|",
    ]
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        if r["family"] != "torch":
            groups.setdefault((r["case"], r["direction"], r["layout"]), []).append(r)
    for (case, direction, layout), rs in groups.items():
        ok = sorted((r for r in rs if r["status"] == "ok"), key=lambda r: r["median_ms"])
        if not ok:
            continue
        best = ok[0]
        cells = []
        for name in lib:
            r = [r for r in rs if _base(r["formulation"]) == name]
            cells.append(
                "–"
                if not r
                else f"{r[0]['ratio_in_layout']:.2f}"
                if r[0]["status"] == "ok"
                else r[0]["status"]
            )
        for fam, _ in _MD_FAMILIES:
            r = [r for r in ok if r["family"] == fam]
            cells.append(f"{r[0]['ratio_in_layout']:.2f} {r[0]['formulation']}" if r else "–")
        t = [
            r
            for r in rows
            if r["family"] == "torch"
            and (r["case"], r["direction"]) == (case, direction)
            and r["status"] == "ok"
        ]
        cells.append(f"{t[0]['median_ms'] / best['median_ms']:.2f}" if t else "–")
        short = "c-last" if layout == "channels_last" else "c-first"
        pct = best.get("percent_peak")
        lines.append(
            f"| {case} | {direction} | {short} | {best['median_ms']:.2f} {best['formulation']} | "
            + (f"{pct:.0f}" if pct else "–")
            + " | "
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
