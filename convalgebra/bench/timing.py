"""Running one (case, direction): compile, warm up, cross-check, then time interleaved."""

from __future__ import annotations

import dataclasses
import gc
import math
import time
from collections.abc import Callable
from typing import Any, cast

import jax
import numpy as np

from . import kernels
from .cases import Case, Inputs
from .registry import Entry, NotApplicable

TOLERANCE = 1e-4  # relative L2 error between formulations, float32
_CHECK_ORDER = ("lax", "reference", "auto", "torch", "convalgebra")  # who is trusted first


@dataclasses.dataclass
class Config:
    """Timing settings: at most ``repeat`` timed calls per row, about ``budget`` s per row."""

    repeat: int = 15
    budget: float = 1.0
    jax_device: Any = None
    torch_device: Any = None
    # XLA options every JAX row is compiled with (``ca.compiler_options()`` by default: on the
    # CPU, YNNPACK fusions off; ``--xla-defaults`` compiles with XLA's defaults instead)
    compiler_options: dict[str, str] | None = None


@dataclasses.dataclass
class Row:
    """The measurement of one formulation of one (case, direction)."""

    case: Case
    direction: str
    entry: Entry
    status: str = "ok"  # ok | mismatch | error
    error: str | None = None
    compile_s: float | None = None
    first_ms: float | None = None
    times: list[float] = dataclasses.field(default_factory=list)
    rel_err: float | None = None
    checked_against: str | None = None
    ratio_to_best: float | None = None  # over the fastest row of any layout and family
    # over the fastest JAX row on the same data layout (torch rows: over the fastest JAX row)
    ratio_in_layout: float | None = None

    @property
    def group(self) -> str:
        """``"channels_first"``, ``"channels_last"`` (JAX rows, by data layout) or ``"torch"``."""
        return "torch" if self.entry.backend == "torch" else self.entry.layout

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def median_ms(self) -> float | None:
        return float(np.median(self.times)) * 1e3 if self.times else None

    @property
    def iqr_ms(self) -> float | None:
        if not self.times:
            return None
        q1, q3 = np.percentile(self.times, [25, 75])
        return float(q3 - q1) * 1e3

    @property
    def gflops(self) -> float | None:
        m = self.median_ms
        return self.case.useful_flops(self.direction) / (m * 1e6) if m else None


def one_line(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0] if msg else ''}"[:300]


def _flat(out: Any) -> list[np.ndarray]:
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(out)]


def _prepare_jax(entry: Entry, case: Case, direction: str, data: Inputs, cfg: Config):
    fn = entry.build(case, direction)
    if fn is None:
        return None
    cl = entry.layout == "channels_last" and case.kind != "fir"

    def put(a, signal=True):
        if cl and signal:
            a = np.ascontiguousarray(np.moveaxis(a, 1, -1))
        return jax.device_put(a, cfg.jax_device)

    def back(a):
        a = np.asarray(a)
        return np.moveaxis(a, -1, 1) if cl else a

    ws = tuple(put(w, signal=False) for w in data.ws)
    args = {
        "forward": (ws, put(data.x)),
        "transpose": (ws, put(data.g)),
        "grad": (ws, put(data.x), put(data.g)),
    }[direction]
    t0 = time.perf_counter()
    compiled = jax.jit(fn, compiler_options=cfg.compiler_options or None).lower(*args).compile()
    compile_s = time.perf_counter() - t0

    def run():
        return jax.block_until_ready(compiled(*args))

    def unpack(out):
        if direction == "grad":
            return [back(out[0]), *_flat(out[1])]
        return [back(out)]

    return run, unpack, compile_s


def _prepare_torch(entry: Entry, case: Case, direction: str, data: Inputs, cfg: Config):
    from .forms_torch import sync

    built = entry.build(case, direction, data, cfg.torch_device)
    if built is None:
        return None
    fn, args, unpack = built

    def run():
        out = fn(*args)
        sync(cfg.torch_device)
        return out

    return run, lambda out: _flat(unpack(out)), None


def _rel_err(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    if len(a) != len(b):
        return math.inf
    return max(kernels.rel_err(u, v) for u, v in zip(a, b))


def cross_check(rows: list[Row], outputs: dict[str, list[np.ndarray]]) -> None:
    """Marks every row whose result differs from the consensus by more than ``TOLERANCE``.

    The reference is the formulation that agrees with the most others (ties go to hand-written
    lax forms first); each row records its error against it.
    """
    names = list(outputs)
    if not names:
        return
    fam = {r.name: r.entry.family for r in rows}
    err = {(a, b): _rel_err(outputs[a], outputs[b]) for a in names for b in names if a < b}

    def e(a, b):
        return 0.0 if a == b else err[(a, b) if a < b else (b, a)]

    votes = {a: sum(e(a, b) <= TOLERANCE for b in names) for a in names}
    ref = max(names, key=lambda a: (votes[a], -_CHECK_ORDER.index(fam[a])))
    for r in rows:
        if r.name in outputs:
            r.rel_err, r.checked_against = e(r.name, ref), ref
            if not r.rel_err <= TOLERANCE:
                r.status = "mismatch"
                r.error = f"relative error {r.rel_err:.2e} against {ref!r}"


def repeats(first_s: float, cfg: Config) -> int:
    """Timed calls for a row whose warm-up took ``first_s``: fewer for slow rows."""
    floor = 3 if first_s < 0.5 else 2 if first_s < 5.0 else 1
    return max(1, min(cfg.repeat, max(floor, int(cfg.budget / max(first_s, 1e-9)))))


def run_group(
    case: Case,
    direction: str,
    entries: list[Entry],
    data: Inputs,
    cfg: Config,
    step: Callable[[str], None] = lambda label: None,
    calls: Callable[[int, int, float], None] = lambda done, total, left_s: None,
) -> list[Row]:
    """Compiles, warms up, cross-checks and times every formulation of ``(case, direction)``.

    Timing is interleaved: round ``i`` calls each formulation once (those with fewer repeats
    drop out), so slow drifts of the machine hit every formulation alike. ``step(label)`` is
    called as each formulation is prepared and before the timing; ``calls(done, total,
    left_s)`` after each timed call, with an estimate of the seconds left (each formulation's
    warm-up time, scaled by how the timed calls so far compare with their warm-ups).
    """
    rows, runners, outputs = [], {}, {}
    for entry in entries:
        step(f"{case.name} {direction} {entry.name}")
        if entry.backend == "torch" and cfg.torch_device is None:
            continue
        row = Row(case, direction, entry)
        try:
            prep = (_prepare_jax if entry.backend == "jax" else _prepare_torch)(
                entry, case, direction, data, cfg
            )
            if prep is None:
                continue
            run, unpack, row.compile_s = prep
            t0 = time.perf_counter()
            out = run()
            row.first_ms = (time.perf_counter() - t0) * 1e3
            outputs[entry.name] = unpack(out)
            del out
            runners[entry.name] = run
        except NotApplicable:
            continue
        except Exception as e:  # a broken formulation is reported, the others still run
            row.status, row.error = "error", one_line(e)
        rows.append(row)
    cross_check(rows, outputs)
    outputs.clear()
    live = [r for r in rows if r.status == "ok"]
    n = {r.name: repeats(r.first_ms / 1e3, cfg) for r in live}
    step(f"{case.name} {direction} timing")
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    total = sum(n.values())
    expected_left = sum(n[r.name] * r.first_ms / 1e3 for r in live)
    expected_done = spent = 0.0
    done = 0
    try:
        for i in range(max(n.values(), default=0)):
            for r in live:
                if i < n[r.name]:
                    t0 = time.perf_counter()
                    runners[r.name]()
                    dt = time.perf_counter() - t0
                    r.times.append(dt)
                    done, spent = done + 1, spent + dt
                    expected_done += r.first_ms / 1e3
                    expected_left -= r.first_ms / 1e3
                    calls(done, total, max(expected_left, 0.0) * spent / max(expected_done, 1e-9))
    finally:
        if enabled:
            gc.enable()
    set_ratios(live)
    return rows


def set_ratios(rows: list[Row]) -> None:
    """``ratio_to_best`` over the fastest row, ``ratio_in_layout`` over the fastest JAX row on
    the same data layout (like with like; a torch row over the fastest JAX row)."""
    timed = [r for r in rows if r.times]
    best = min((cast(float, r.median_ms) for r in timed), default=None)
    jax_rows = [r for r in timed if r.group != "torch"]
    best_jax = min((cast(float, r.median_ms) for r in jax_rows), default=None)
    for r in timed:
        m = cast(float, r.median_ms)
        r.ratio_to_best = m / best if best else None
        same = [cast(float, q.median_ms) for q in jax_rows if q.group == r.group]
        ref = min(same) if same else best_jax
        r.ratio_in_layout = m / ref if ref else None


# The im2col GEMM of a B8 C64 128² k3 stride-2 layer ("valid": 63² outputs per image): the
# matmul a convolution library runs for it; its rate is the ceiling of the convolution rows.
GEMM_SHAPE = (31752, 576, 64)
GEMM_SHAPE_QUICK = (7938, 576, 64)  # batch 2 of the same layer


@dataclasses.dataclass(frozen=True)
class Ceiling:
    """Measured float32 GEMM rates ``(m, k) @ (k, n)`` in GFLOP/s: XLA's and PyTorch's."""

    shape: tuple[int, int, int]
    xla: float  # best of the timed calls
    xla_median: float
    torch: float | None = None
    torch_median: float | None = None

    def describe(self) -> str:
        m, k, n = self.shape
        text = f"{m}x{k} @ {k}x{n} float32: XLA {self.xla:.1f} GFLOP/s"
        text += f" (median {self.xla_median:.1f})"
        if self.torch:
            text += (
                f", PyTorch {self.torch:.1f} (median {self.torch_median:.1f}); "
                f"XLA/PyTorch {self.xla / self.torch:.2f}"
            )
        return text


def gemm_ceiling(
    jax_device: Any,
    torch_device: Any = None,
    shape: tuple[int, int, int] = GEMM_SHAPE,
    compiler_options: dict[str, str] | None = None,
    repeat: int = 10,
) -> Ceiling:
    """XLA's (and, given a torch device, PyTorch's) rate on one float32 GEMM of ``shape``.

    Both at true float32 (``Precision.HIGHEST``; TF32 is off for torch on CUDA), interleaved
    call by call so that a drift of the machine hits both.
    """
    m, k, n = shape
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((m, k), np.float32)
    b_np = rng.standard_normal((k, n), np.float32)
    a, b = jax.device_put(a_np, jax_device), jax.device_put(b_np, jax_device)
    f = jax.jit(kernels.gemm, compiler_options=compiler_options or None).lower(a, b).compile()
    runs = {"xla": lambda: jax.block_until_ready(f(a, b))}
    if torch_device is not None:
        import torch

        from .forms_torch import sync

        ta, tb = (torch.from_numpy(v).to(torch_device) for v in (a_np, b_np))

        def run_torch():
            out = torch.mm(ta, tb)
            sync(torch_device)
            return out

        runs["torch"] = run_torch
    flops = 2.0 * m * k * n
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()
    for _ in range(repeat):
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    rate = {
        name: (flops / min(t) / 1e9, flops / float(np.median(t)) / 1e9) for name, t in times.items()
    }
    t_best, t_med = rate.get("torch", (None, None))
    return Ceiling(shape, *rate["xla"], torch=t_best, torch_median=t_med)
