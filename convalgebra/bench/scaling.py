"""Scaling over several devices: ``python -m convalgebra.bench --devices N``.

The strided and transposed suites run on batch-sharded inputs (``NamedSharding(mesh, P("b"))``
on a mesh of the first ``1, 2, 4, ... N`` devices; kernels replicated) by convalgebra (lowered)
and the hand-written ``lax`` forms (with ``jax.vjp`` for the transpose and the kernel gradient):

* *strong scaling*: the same total batch on every device count (the batch rounded up so that
  every count divides it): ``speed-up = t(1) / t(n)``, ``efficiency = speed-up / n``;
* *weak scaling*: the same batch per device (the total over ``N``): ``efficiency = t(1) / t(n)``,
  ``speed-up = n · efficiency`` (throughput). Strong and weak scaling share the ``N``-device run.

On the CPU the devices are XLA host devices (``--xla_force_host_platform_device_count``), which
must be set before JAX starts: the harness runs itself again in a child process with
``XLA_FLAGS`` set. Host devices share the host's cores, so strong scaling on a CPU is bounded by
the cores, not by the device count.

Every sharded result is cross-checked against the single-device result of the same batch (the
formulations that agree most on one device, as in the other suites), then all runs of one case
and direction are timed interleaved. The mesh uses auto axes (XLA propagates the sharding): with
explicit axes JAX's kernel gradient of a plain ``lax`` convolution fails (see the README).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import re
import subprocess
import sys
import time
from typing import Any

import numpy as np

from . import kernels
from .cases import Case, Inputs, make_inputs
from .cli import PROG, UsageError, _jax_device
from .registry import Entry
from .timing import Row

SUITES = ("strided", "transposed")
CHILD = "CONVALGEBRA_BENCH_DEVICES"  # set in the child process: its device count
_FLAG = "--xla_force_host_platform_device_count"


def device_counts(n: int) -> list[int]:
    """The device counts of a scaling run: ``1, 2, 4, ...`` below ``n``, then ``n``."""
    out, k = [], 1
    while k < n:
        out.append(k)
        k *= 2
    return [*out, n]


def batches(batch: int, counts: list[int]) -> tuple[int, int]:
    """``(total, per_device)``: the strong-scaling batch (every count divides it) and the
    weak-scaling batch per device (``total / max(counts)``), from a case's ``batch``."""
    step = math.lcm(*counts)
    total = step * -(-batch // step)
    return total, total // max(counts)


def main(args: argparse.Namespace, cases: list[Case], directions: list[str], argv: list[str]):
    """``--devices N``: re-runs the harness with ``N`` host devices, or (in that child) runs it.

    Returns the exit status (0 ok, 1 a run failed or disagreed with one device).

    Raises:
      UsageError: for ``N < 1``, no case of the strided or transposed suites, or fewer than
        ``N`` devices.
    """
    n = args.devices
    if n < 1:
        raise UsageError(f"--devices must be at least 1, got {n}")
    cases = [c for c in cases if c.suite in SUITES]
    if not cases:
        raise UsageError(f"--devices runs the {' and '.join(SUITES)} suites; none was selected")
    if os.environ.get(CHILD) != str(n):
        return _reexec(argv, n)
    return _bench(args, cases, directions, n)


def _reexec(argv: list[str], n: int) -> int:
    """Runs ``python -m convalgebra.bench argv`` again with ``n`` host devices; its status."""
    env = dict(os.environ)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith(_FLAG)]
    env["XLA_FLAGS"] = " ".join([*flags, f"{_FLAG}={n}"])
    env[CHILD] = str(n)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    sys.stdout.flush()
    cmd = [sys.executable, "-m", "convalgebra.bench", *argv]
    return subprocess.run(cmd, env=env, check=False).returncode


@dataclasses.dataclass
class Point(Row):
    """One formulation at one ``(batch, devices)`` configuration of one (case, direction): a
    timing :class:`~.timing.Row` with the device count and what the compiled program kept."""

    devices: int = 1
    out_spec: list | None = None
    all_gathers: int | None = None

    @property
    def batch(self) -> int:
        return self.case.batch


def formulations(kind: str) -> list[Entry]:
    """convalgebra (lowered), the ``lax`` family and ``jax.vjp``, channels-first, of ``kind``."""
    from . import registry

    es = [e for e in registry.entries(kind) if e.backend == "jax" and e.layout == "channels_first"]
    lib = [e for e in es if e.name == "convalgebra lowered"] or [
        e for e in es if e.family == "convalgebra"
    ]
    return lib + [e for e in es if e.family == "lax" or e.name == "jax.vjp"]


class _Config:
    """The mesh of the first ``n`` devices and the case's data at ``batch``, placed on it."""

    def __init__(self, devices: list[Any], n: int, batch: int, data: Inputs):
        import jax
        from jax.sharding import AxisType, NamedSharding
        from jax.sharding import PartitionSpec as P

        self.n, self.batch = n, batch
        self.mesh = jax.make_mesh((n,), ("b",), axis_types=(AxisType.Auto,), devices=devices[:n])
        sig, rep = NamedSharding(self.mesh, P("b")), NamedSharding(self.mesh, P())
        self.ws = tuple(jax.device_put(w, rep) for w in data.ws)
        self.x = jax.device_put(data.x[:batch], sig)
        self.g = jax.device_put(data.g[:batch], sig)

    def args(self, direction: str) -> tuple:
        return {
            "forward": (self.ws, self.x),
            "transpose": (self.ws, self.g),
            "grad": (self.ws, self.x, self.g),
        }[direction]


def _spec(a: Any) -> list | None:
    spec = getattr(getattr(a, "sharding", None), "spec", None)
    if spec is None:
        return None
    out = [None if s is None else str(s) for s in tuple(spec)]
    while out and out[-1] is None:
        out.pop()
    return out


def _prepare(p: Point, conf: _Config, options: dict | None):
    """Compiles ``p``'s formulation on ``conf``; returns ``(run, unpack)`` or ``None``."""
    import jax

    fn = p.entry.build(p.case, p.direction)
    if fn is None:
        return None
    args = conf.args(p.direction)
    t0 = time.perf_counter()
    compiled = jax.jit(fn, compiler_options=options or None).lower(*args).compile()
    p.compile_s = time.perf_counter() - t0
    p.all_gathers = len(re.findall(r"all-gather(?:-start)?\(", compiled.as_text() or ""))

    def run():
        return jax.block_until_ready(compiled(*args))

    def unpack(out):
        p.out_spec = _spec(out[0] if p.direction == "grad" else out)
        if p.direction == "grad":
            return [np.asarray(out[0]), *(np.asarray(d) for d in out[1])]
        return [np.asarray(out)]

    return run, unpack


def _rel_err(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    if len(a) != len(b) or any(u.shape != v.shape for u, v in zip(a, b)):
        return math.inf
    return max(kernels.rel_err(u, v) for u, v in zip(a, b))


def run_case(case: Case, direction: str, devices: list[Any], n: int, cfg: Any) -> list[Point]:
    """Compiles, cross-checks against one device and times (interleaved) every configuration.

    ``cfg`` is a :class:`.timing.Config` (repeats, time budget, compiler options).
    """
    from .timing import TOLERANCE, cross_check, one_line, repeats

    counts = device_counts(n)
    total, per = batches(case.batch, counts)
    data = make_inputs(dataclasses.replace(case, batch=total))
    configs = list(dict.fromkeys([(total, k) for k in counts] + [(per * k, k) for k in counts]))
    entries = formulations(case.kind)
    points: list[Point] = []
    runners: dict[int, Any] = {}
    outputs: dict[int, list[np.ndarray]] = {}
    confs: dict[tuple[int, int], _Config] = {}
    for b, k in configs:
        conf = confs[b, k] = _Config(devices, k, b, data)
        for entry in entries:
            p = Point(dataclasses.replace(case, batch=b), direction, entry, devices=k)
            try:
                prep = _prepare(p, conf, cfg.compiler_options)
                if prep is None:
                    continue
                run, unpack = prep
                t0 = time.perf_counter()
                out = run()
                p.first_ms = (time.perf_counter() - t0) * 1e3
                outputs[id(p)] = unpack(out)
                runners[id(p)] = run
            except Exception as e:  # reported; the other runs go on
                p.status, p.error = "error", one_line(e)
            points.append(p)
    # the single-device results: formulations cross-checked against each other, as elsewhere
    refs: dict[int, tuple[str, list[np.ndarray]]] = {}
    for b, k in configs:
        if k != 1:
            continue
        here = [p for p in points if (p.batch, p.devices) == (b, 1) and id(p) in outputs]
        outs = {p.entry.name: outputs[id(p)] for p in here}
        cross_check(here, outs)  # pyright: ignore[reportArgumentType]  # a Row's fields
        ok = [p for p in here if p.status == "ok"]
        if ok and ok[0].checked_against:
            ref = next(p for p in here if p.entry.name == ok[0].checked_against)
            refs[b] = (ref.entry.name, outputs[id(ref)])
    # every sharded result against the one-device result of its batch (computed if not timed)
    lead = refs.get(total, (None, None))[0]
    for p in points:
        if p.devices == 1 or id(p) not in outputs:
            continue
        if p.batch not in refs and lead is not None:
            ref = Point(p.case, direction, next(e for e in entries if e.name == lead), devices=1)
            conf = confs.get((p.batch, 1)) or _Config(devices, 1, p.batch, data)
            prep = _prepare(ref, conf, cfg.compiler_options)
            if prep is not None:
                run, unpack = prep
                refs[p.batch] = (lead, unpack(run()))
        if p.batch not in refs:
            p.status, p.error = "error", "no single-device result to check against"
            continue
        name, want = refs[p.batch]
        p.rel_err, p.checked_against = _rel_err(outputs[id(p)], want), f"{name} on 1 device"
        if not p.rel_err <= TOLERANCE:
            p.status = "mismatch"
            p.error = f"relative error {p.rel_err:.2e} against {name!r} on 1 device"
    outputs.clear()
    live = [p for p in points if p.status == "ok" and p.first_ms is not None]
    _time(live, runners, cfg, repeats)
    for b, k in configs:
        here = [p for p in live if (p.batch, p.devices) == (b, k)]
        best = min((p.median_ms for p in here if p.median_ms), default=None)
        for p in here:
            p.ratio_to_best = p.median_ms / best if best and p.median_ms else None
    return points


def _time(live: list[Point], runners: dict[int, Any], cfg: Any, repeats: Any) -> None:
    """Interleaved timing: round ``i`` calls every run once (as :func:`.timing.run_group`)."""
    reps = {id(p): repeats((p.first_ms or 0.0) / 1e3, cfg) for p in live}
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(max(reps.values(), default=0)):
            for p in live:
                if i < reps[id(p)]:
                    t0 = time.perf_counter()
                    runners[id(p)]()
                    p.times.append(time.perf_counter() - t0)
    finally:
        if enabled:
            gc.enable()


Scaled = tuple[str, Point, float | None, float | None]


def scaling_rows(points: list[Point], n: int) -> list[Scaled]:
    """``(scaling, point, speed-up, efficiency)`` of every point: strong and weak.

    The ``N``-device run belongs to both. Ratios are against the same formulation on one
    device (``None`` where either did not run).
    """
    counts = device_counts(n)
    out = []
    for direction in dict.fromkeys(p.direction for p in points):
        ps = [p for p in points if p.direction == direction]
        total = max(p.batch for p in ps)  # the strong-scaling batch; weak: total / n each
        per = total // n
        by = {(p.entry.name, p.batch, p.devices): p for p in ps}
        for name in dict.fromkeys(p.entry.name for p in ps):
            for kind in ("strong", "weak"):
                one = by.get((name, total if kind == "strong" else per, 1))
                t1 = one.median_ms if one else None
                for k in counts:
                    p = by.get((name, total if kind == "strong" else per * k, k))
                    if p is None:
                        continue
                    tk = p.median_ms
                    if t1 and tk:
                        eff = (t1 / tk) / k if kind == "strong" else t1 / tk
                        out.append((kind, p, eff * k, eff))
                    else:
                        out.append((kind, p, None, None))
    return out


def to_json_rows(points: list[Point], n: int, info: dict) -> list[dict]:
    """One dict per (scaling, point): the fields of the other rows, plus the scaling ones."""
    rows = []
    for kind, p, speedup, eff in scaling_rows(points, n):
        m = p.median_ms
        flops = p.case.useful_flops(p.direction)
        d = {
            "case": p.case.name,
            "formulation": p.entry.name,
            "family": p.entry.family,
            "direction": p.direction,
            "scaling": kind,
            "devices": p.devices,
            "batch_per_device": p.batch // p.devices,
            "speedup": speedup,
            "efficiency": eff,
            "median_ms": m,
            "iqr_ms": p.iqr_ms,
            "compile_s": p.compile_s,
            "ratio_to_best": p.ratio_to_best,
            "gflops": flops / (m * 1e6) if m else None,
            "useful_gflop": flops / 1e9,
            "n_repeats": len(p.times),
            "first_call_ms": p.first_ms,
            "status": p.status,
            "error": p.error,
            "rel_err": p.rel_err,
            "checked_against": p.checked_against,
            "out_spec": p.out_spec,
            "all_gathers": p.all_gathers,
            "mesh_axes": "auto",
            "layout": p.entry.layout,
            "dtype": "float32",
            "device": info["device"],
        }
        d.update(p.case.shape_info())
        rows.append(d)
    return rows


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def table(rows: list[dict], n: int) -> str:
    """The scaling rows of one case: per direction, formulation and scaling, ms per count."""
    counts = device_counts(n)
    heads = "".join(f"{f'{k} dev ms':>11}" for k in counts)
    out = [f"{'direction':<9}  {'formulation':<22}  {'scaling':<6}  {'b/dev':>5}{heads}"
           f"  {'speed-up':>8}  {'eff.':>5}"]  # fmt: skip
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["direction"], r["formulation"], r["scaling"]), []).append(r)
    for (direction, name, kind), rs in groups.items():
        by = {r["devices"]: r for r in rs}
        bad = [r for r in rs if r["status"] != "ok"]
        last = by.get(n)
        cells = "".join(
            f"{_ms(by[k]['median_ms']) if k in by else '-':>11}" for k in counts
        )  # fmt: skip
        per = "-" if kind == "strong" else str(rs[0]["batch_per_device"])
        su = last["speedup"] if last else None
        ef = last["efficiency"] if last else None
        line = (
            f"{direction:<9}  {name[:22]:<22}  {kind:<6}  {per:>5}{cells}"
            f"  {'-' if su is None else f'{su:.2f}':>8}  {'-' if ef is None else f'{ef:.2f}':>5}"
        )
        out.append(line)
        out += [f"    {r['devices']} dev: {r['status'].upper()}: {r['error']}" for r in bad]
    return "\n".join(out)


def markdown(rows: list[dict], n: int, info: dict) -> str:
    """A Markdown table of the scaling rows (one line per case, direction, formulation, scaling)."""
    counts = device_counts(n)
    lines = [
        f"Machine: {info['device']}, {info['threads']} cores shared by {n} "
        f"{'host ' if info['device'].startswith('cpu') else ''}devices, jax {info['jax']}; "
        "float32, batch-sharded inputs (auto mesh axes). Strong: same total batch; weak: same "
        f"batch per device. Speed-up and efficiency at {n} devices, against 1.",
        "",
        "| case | direction | formulation | scaling | batch | "
        + " | ".join(f"{k} dev (ms)" for k in counts)
        + f" | speed-up ×{n} | efficiency |",
        "|---|---|---|---|---:|" + "---:|" * len(counts) + "---:|---:|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["case"], r["direction"], r["formulation"], r["scaling"]), []).append(r)
    for (case, direction, name, kind), rs in groups.items():
        by = {r["devices"]: r for r in rs}
        cells = [
            (f"{by[k]['median_ms']:.2f}" if by[k]["median_ms"] else by[k]["status"])
            if k in by
            else "–"
            for k in counts
        ]
        last = by.get(n, {})
        su, ef = last.get("speedup"), last.get("efficiency")
        batch = f"{rs[0]['batch']}" if kind == "strong" else f"{rs[0]['batch_per_device']}/dev"
        lines.append(
            f"| {case} | {direction} | {name} | {kind} | {batch} | "
            + " | ".join(cells)
            + f" | {'–' if su is None else f'{su:.2f}'} | {'–' if ef is None else f'{ef:.2f}'} |"
        )
    return "\n".join(lines) + "\n"


def _bench(args: argparse.Namespace, cases: list[Case], directions: list[str], n: int) -> int:
    import jax

    from .._lower.cost import compiler_options
    from . import registry, report, timing

    jax_device, kind = _jax_device(args.device)
    devices = jax.devices(kind)
    if len(devices) < n:
        raise UsageError(f"--devices {n}: JAX sees {len(devices)} {kind} device(s)")
    notes = registry.load_all()
    cfg = timing.Config(
        repeat=args.repeat or (5 if args.quick else 15),
        budget=args.budget or (0.1 if args.quick else 1.0),
        jax_device=jax_device,
        compiler_options=None if args.xla_defaults else compiler_options(kind),
    )
    loaded = report.load_warning() if kind == "cpu" else None
    if loaded:
        notes.append(loaded)
        print(f"{PROG}: warning: {loaded}", file=sys.stderr, flush=True)
    info = report.machine_info(jax_device, None, notes)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"convalgebra.bench --devices {n}: scaling on batch-sharded inputs, float32\n"
        f"device   {info['device']}, host {info['cpu_count']} cores ({info['threads']} usable), "
        f"{len(devices)} {kind} devices"
        + (" (host devices share the cores)" if kind == "cpu" else "")
        + f"\nversions jax {info['jax']}, jaxlib {info['jaxlib']}, python {info['python']}"
        + ("" if load is None else f"\nload     1-minute load average {load:.2f} at the start")
        + "".join(f"\nnote     {x}" for x in notes),
        flush=True,
    )
    start = time.perf_counter()
    points: list[Point] = []
    json_rows: list[dict] = []
    for i, case in enumerate(cases):
        here: list[Point] = []
        for direction in directions:
            t0 = time.perf_counter()
            here += run_case(case, direction, devices, n, cfg)
            print(
                f"[{i + 1}/{len(cases)}] {case.name} {direction}: {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        rows = to_json_rows(here, n, info)
        total, per = batches(case.batch, device_counts(n))
        print(f"\n{case.name}: {case.describe()}; strong: batch {total}, weak: {per} per device")
        print(table(rows, n), flush=True)
        points += here
        json_rows += rows
    print(f"\ntotal {time.perf_counter() - start:.0f} s", flush=True)
    if args.json:
        report.write_json(args.json, json_rows)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(json_rows, n, info))
    failed = [p for p in points if p.status != "ok"]
    if failed:
        print(
            f"{PROG}: {len(failed)} run(s) failed or disagreed with one device (see the tables)",
            file=sys.stderr,
        )
    return 1 if failed else 0
