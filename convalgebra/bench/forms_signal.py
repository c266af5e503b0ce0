"""The ``signal`` benchmark: convalgebra.signal against SciPy, PyWavelets, jaxwt, jaxwavelets, ptwt.

Not a convolution-direction suite of ``cases.py`` (its cases have tuple outputs and non-JAX
peers), so it runs on its own::

    python -m convalgebra.bench.forms_signal [--quick] [--json FILE] [--markdown FILE]
        [--plot FILE.png] [--repeat N] [--filter TEXT]

Cases (float32, x64 off; ``--quick`` shrinks every size):

* ``upfirdn``: one signal of 2^20 samples, 64 taps, up 3 / down 2, against ``scipy.signal.upfirdn``;
* ``resample_poly``: 3/2 on one signal of 2^20 samples, and on a batch of 16 x 2^16, against
  ``scipy.signal.resample_poly``;
* ``wavedec`` / ``waverec`` 1-D: db4, 5 levels, batch 16 x 2^20 (symmetric and periodization);
* ``wavedec2`` / ``waverec2``: db4, 3 levels, batch 8 x 1024^2 (symmetric).

Directions: ``forward`` (the decomposition / resampling), ``inverse`` (``waverec``),
``transpose`` (convalgebra's derived transpose: the adjoint of the decomposition, which PyWavelets
has not; for orthogonal periodization it equals ``waverec``) and ``grad`` (``jax.vjp`` of the
decomposition with respect to the signal *and* the four filters; JAX libraries only).

Every formulation is checked against the SciPy / PyWavelets result (relative L2 error at most
1e-4) before timing; timings are medians of interleaved calls, each ending in
``block_until_ready``, after a warm-up. jaxwt, jaxwavelets (JAX) and ptwt (PyTorch, eager) are
timed where they import (the ``bench`` extra installs them beside jax 0.10.2 and torch 2.13; the
notes say when one is missing, and a mode a peer lacks is a "not run" row).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra.signal as cs

AGREE = 1e-4
#: peer libraries: a call they cannot make is a note ("not run"), other conventions a status
PEERS = ("jax peer", "torch peer")


@dataclasses.dataclass(frozen=True)
class SignalCase:
    name: str
    op: str  # upfirdn | resample | wavedec | wavedec2
    shape: tuple[int, ...]
    mode: str = "symmetric"
    level: int = 1
    up: int = 1
    down: int = 1
    taps: int = 0
    dtype: str = "float32"  # resampling rows also run in float64 (under jax.enable_x64)

    def describe(self) -> str:
        if self.op in ("upfirdn", "resample"):
            return f"{self.op} {self.up}/{self.down} x{self.shape} {self.dtype}" + (
                f" h{self.taps}" if self.taps else ""
            )
        return f"{self.op} db4 {self.mode} level {self.level} x{self.shape}"


#: audio rates (10 s at 44.1 kHz): 44.1 -> 48 kHz, 44.1 -> 16 kHz, 16 -> 44.1 kHz
RESAMPLE_AUDIO = tuple(
    SignalCase(
        f"resample_{p}/{q}_{b}x441000{'_f64' if dt == 'float64' else ''}",
        "resample",
        (b, 441000) if b > 1 else (441000,),
        up=p,
        down=q,
        dtype=dt,
    )
    for p, q in ((160, 147), (160, 441), (441, 160))
    for b in (1, 16)
    for dt in ("float32", "float64")
)
CASES = (
    SignalCase("upfirdn_1x2^20", "upfirdn", (1 << 20,), up=3, down=2, taps=64),
    SignalCase("resample_1x2^20", "resample", (1 << 20,), up=3, down=2),
    SignalCase("resample_16x2^16", "resample", (16, 1 << 16), up=3, down=2),
    *RESAMPLE_AUDIO,
    SignalCase("wavedec_16x2^20_sym", "wavedec", (16, 1 << 20), "symmetric", 5),
    SignalCase("wavedec_16x2^20_per", "wavedec", (16, 1 << 20), "periodization", 5),
    SignalCase("wavedec2_8x1024^2", "wavedec2", (8, 1024, 1024), "symmetric", 3),
    SignalCase("wavedec2_8x1024^2_per", "wavedec2", (8, 1024, 1024), "periodization", 3),
)
#: ``--all-modes``: the wavelet rows in each of PyWavelets' modes (forward and inverse).
MODE_CASES = tuple(
    SignalCase(f"{op}_{tag}_{mode[:5]}", op, shape, mode, level)
    for op, tag, shape, level in (
        ("wavedec", "16x2^20", (16, 1 << 20), 5),
        ("wavedec2", "8x1024^2", (8, 1024, 1024), 3),
    )
    for mode in cs.PYWT_MODES
)
QUICK = (
    SignalCase("upfirdn_1x2^16", "upfirdn", (1 << 16,), up=3, down=2, taps=64),
    SignalCase("resample_1x2^16", "resample", (1 << 16,), up=3, down=2),
    SignalCase("resample_16x2^12", "resample", (16, 1 << 12), up=3, down=2),
    SignalCase("resample_160/147_1x44100", "resample", (44100,), up=160, down=147),
    SignalCase(
        "resample_160/147_1x44100_f64", "resample", (44100,), up=160, down=147, dtype="float64"
    ),
    SignalCase("wavedec_16x2^14_sym", "wavedec", (16, 1 << 14), "symmetric", 5),
    SignalCase("wavedec_16x2^14_per", "wavedec", (16, 1 << 14), "periodization", 5),
    SignalCase("wavedec2_8x128^2", "wavedec2", (8, 128, 128), "symmetric", 3),
    SignalCase("wavedec2_8x128^2_per", "wavedec2", (8, 128, 128), "periodization", 3),
)


@dataclasses.dataclass
class Row:
    case: str
    direction: str
    formulation: str
    family: str
    median_ms: float | None = None
    iqr_ms: float | None = None
    compile_s: float | None = None
    ratio_to_best: float | None = None
    rel_err: float | None = None
    n_repeats: int = 0
    peak_x: float | None = None  # XLA's peak memory / (input + output bytes): JAX rows
    status: str = "ok"


def _leaves(out: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.float64) for v in jax.tree.leaves(out)]


def _rel_err(out: Any, ref: Any) -> float:
    a, b = _leaves(out), _leaves(ref)
    if len(a) != len(b) or any(p.shape != q.shape for p, q in zip(a, b)):
        return float("inf")
    num = sum(float(np.sum((p - q) ** 2)) for p, q in zip(a, b))
    den = sum(float(np.sum(q**2)) for q in b)
    return (num / max(den, 1e-30)) ** 0.5


def _jit(fn: Callable, *args) -> tuple[Callable, float]:
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return (lambda: compiled(*args)), time.perf_counter() - t0


def _peak(fn: Callable, *args) -> float | None:
    """XLA's memory analysis of ``fn``'s program: (arguments + output + temporaries) divided by
    the bytes of its inputs and output."""
    try:
        m = jax.jit(fn).lower(*args).compile().memory_analysis()
        if m is None:
            return None
        out = jax.eval_shape(fn, *args)
        io = sum(a.nbytes for a in jax.tree.leaves(args) if hasattr(a, "nbytes"))
        io += sum(o.size * o.dtype.itemsize for o in jax.tree.leaves(out))
        total = m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
        return total / io
    except Exception:  # no memory analysis on this backend
        return None


def _interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for f in fns.values():
        jax.block_until_ready(f())  # warm-up
    for i in range(repeat):
        for k in list(fns) if i % 2 == 0 else list(reversed(fns)):
            t0 = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t0)
    return times


def _optional(name: str):
    try:
        return __import__(name)
    except Exception as e:  # not installed, or not importable beside this jax
        return f"{name} not timed: {type(e).__name__}: {str(e).splitlines()[0][:120]}"


def _resample_forms(case: SignalCase, x: np.ndarray, forms: dict, refs: dict, notes: list[str]):
    """resample_poly: SciPy, convalgebra (forward, derived transpose, gradient), julius."""
    import scipy.signal as ss

    xj = jnp.asarray(x)
    p, q = case.up, case.down

    def f(v):
        return cs.resample_poly(v, p, q, axis=-1)

    refs["forward"] = ss.resample_poly(x, p, q, axis=-1)
    forms["forward"] = [
        ("scipy resample_poly", "scipy", lambda: ss.resample_poly(x, p, q, axis=-1)),
        ("convalgebra", "convalgebra", (f, (xj,))),
    ]
    ct = jnp.asarray(np.random.default_rng(1).standard_normal(refs["forward"].shape), x.dtype)
    import convalgebra as ca

    op = cs.resample_poly_op(p, q, in_size=x.shape[-1], dtype=x.dtype)
    forms["transpose"] = [
        ("convalgebra", "convalgebra", (lambda c: jax.linear_transpose(f, xj)(c)[0], (ct,))),
        # the operator's transpose: the transposed node's own program (linear_transpose of
        # the eager call above transposes the forward program instead)
        ("convalgebra ca.transpose", "convalgebra", (lambda c: ca.transpose(op, xj)(c), (ct,))),
    ]
    forms["grad"] = [
        ("convalgebra", "convalgebra", (jax.grad(lambda v, c: jnp.sum(f(v) * c)), (xj, ct))),
    ]
    julius = _optional("julius")
    if x.size > 441000:  # eager PyTorch: ~2.5 s per 441000 samples here; one signal is enough
        notes.append("julius: timed on single signals only (eager, ~2.5 s per 441000 samples)")
        return
    if isinstance(julius, str):
        notes.append(julius)
        return
    import torch

    xt = torch.from_numpy(x)
    g = math.gcd(p, q)

    def jul():
        with torch.no_grad():
            return julius.resample_frac(xt, q // g, p // g).numpy()

    # julius: a windowed-sinc resampler of its own design (24 zero crossings, roll-off 0.945),
    # not SciPy's Kaiser filter: its values differ (the row says by how much); eager PyTorch CPU
    forms["forward"].append(("julius (torch)", "torch peer", jul))


def _formulations(case: SignalCase, x: np.ndarray, notes: list[str]):
    """{direction: [(name, family, fn or (jax_fn, args))]} and the reference per direction."""
    import pywt  # the oracle and peer; the bench needs the 'signal' extra
    import scipy.signal as ss

    xj = jnp.asarray(x)
    forms: dict[str, list[tuple[str, str, Any]]] = {}
    refs: dict[str, Any] = {}
    if case.op in ("upfirdn", "resample"):
        if case.op == "upfirdn":
            h = np.hanning(case.taps + 2)[1:-1].astype(np.float32)
            refs["forward"] = ss.upfirdn(h, x, case.up, case.down)
            forms["forward"] = [
                ("scipy upfirdn", "scipy", lambda: ss.upfirdn(h, x, case.up, case.down)),
                (
                    "convalgebra",
                    "convalgebra",
                    (lambda v: cs.upfirdn(h, v, case.up, case.down), (xj,)),
                ),
            ]
        else:
            _resample_forms(case, x, forms, refs, notes)
        return forms, refs

    two_d = case.op == "wavedec2"
    dec, rec = (pywt.wavedec2, pywt.waverec2) if two_d else (pywt.wavedec, pywt.waverec)
    cdec, crec = (cs.wavedec2, cs.waverec2) if two_d else (cs.wavedec, cs.waverec)
    mode, level = case.mode, case.level
    ref_c = dec(x, "db4", mode, level=level)
    refs["forward"] = ref_c
    refs["inverse"] = rec(ref_c, "db4", mode)
    coeffs_j = jax.tree.map(jnp.asarray, ref_c)
    w = cs.wavelet(pywt.Wavelet("db4"))  # pyright: ignore[reportAttributeAccessIssue]  # compiled
    w = cs.Wavelet("db4", *(f.astype(np.float32) for f in w.filter_bank))
    forms["forward"] = [
        ("pywt", "pywt", lambda: dec(x, "db4", mode, level=level)),
        ("convalgebra", "convalgebra", (lambda v, w: cdec(v, w, mode, level=level), (xj, w))),
    ]
    forms["inverse"] = [
        ("pywt", "pywt", lambda: rec(ref_c, "db4", mode)),
        ("convalgebra", "convalgebra", (lambda c, w: crec(c, w, mode), (coeffs_j, w))),
    ]

    def decompose(v, w):
        return cdec(v, w, mode, level=level)

    xs = jax.ShapeDtypeStruct(x.shape, np.float32)

    def transpose(c, w):  # the adjoint of the decomposition, derived by JAX
        return jax.linear_transpose(lambda v: decompose(v, w), xs)(c)[0]

    def grad(v, c, w):  # a training step: the coefficients and ∂⟨dec(v), c⟩/∂(v, filters)
        out, pull = jax.vjp(decompose, v, w)
        return out, pull(c)

    if mode == "periodization" and not two_d:  # orthogonal: the transpose is the inverse
        refs["transpose"] = refs["inverse"]
        forms["transpose"] = [
            ("pywt waverec", "pywt", lambda: rec(ref_c, "db4", mode)),
            ("convalgebra", "convalgebra", (transpose, (coeffs_j, w))),
        ]
    forms["grad"] = [("convalgebra", "convalgebra", (grad, (xj, coeffs_j, w)))]

    for lib in ("jaxwt", "jaxwavelets"):
        mod = _optional(lib)
        if isinstance(mod, str):
            if mod not in notes:
                notes.append(mod)
            continue
        f_dec, f_rec = _peer(lib, mod, two_d, mode, level)
        forms["forward"].append((lib, "jax peer", (f_dec, (xj,))))
        try:
            peer_c = jax.jit(f_dec)(xj)
            forms["inverse"].append((lib, "jax peer", (f_rec, (peer_c,))))
            forms["grad"].append(
                (lib, "jax peer", (lambda v, c, f=f_dec: jax.vjp(f, v)[1](c), (xj, peer_c)))
            )
        except Exception as e:
            notes.append(f"{lib}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    _torch_peer(forms, notes, x, two_d, mode, level)
    return forms, refs


def _torch_peer(forms: dict, notes: list[str], x: np.ndarray, two_d: bool, mode: str, level: int):
    """ptwt (PyTorch, CPU): eager calls, forward and inverse; it has no periodization, smooth,
    antisymmetric or antireflect mode (its call raises: the row says "not run")."""
    pt = _optional("ptwt")
    if isinstance(pt, str):
        if pt not in notes:
            notes.append(pt)
        return
    import torch

    xt = torch.from_numpy(x)
    dec, rec = (pt.wavedec2, pt.waverec2) if two_d else (pt.wavedec, pt.waverec)
    forms["forward"].append(("ptwt", "torch peer", lambda: dec(xt, "db4", mode=mode, level=level)))
    try:
        c = dec(xt, "db4", mode=mode, level=level)
        forms["inverse"].append(("ptwt", "torch peer", lambda: rec(c, "db4")))
    except Exception as e:
        notes.append(f"ptwt ({mode}): {type(e).__name__}: {str(e).splitlines()[0][:120]}")


def _peer(lib: str, mod: Any, two_d: bool, mode: str, level: int):
    """The decomposition and reconstruction functions of a JAX peer library."""
    if lib == "jaxwt":
        if two_d:
            return (
                lambda v: mod.wavedec2(v, "db4", mode, level=level),
                lambda c: mod.waverec2(c, "db4"),
            )
        return (
            lambda v: mod.wavedec(v, "db4", mode, level=level),
            lambda c: mod.waverec(c, "db4"),
        )
    if two_d:
        return (
            lambda v: mod.wavedec2(v, "db4", mode, level=level),
            lambda c: mod.waverec2(c, "db4", mode),
        )
    return (
        lambda v: mod.wavedecn(v, "db4", mode, level=level, axes=(-1,)),
        lambda c: mod.waverecn(c, "db4", mode),
    )


def timed_rows(meta: dict[str, Row], fns: dict[str, Callable[[], Any]], repeat: int) -> list[Row]:
    """Times ``fns`` interleaved and fills their rows in ``meta`` (median, IQR, ratio to the
    fastest of the group); rows that did not run keep their status."""
    times = _interleaved(fns, repeat)
    for name, ts in times.items():
        r = meta[name]
        r.median_ms = float(np.median(ts)) * 1e3
        r.iqr_ms = float(np.subtract(*np.percentile(ts, [75, 25]))) * 1e3
        r.n_repeats = len(ts)
    best = min((r.median_ms for r in meta.values() if r.median_ms), default=None)
    for r in meta.values():
        if r.median_ms and best:
            r.ratio_to_best = r.median_ms / best
    return list(meta.values())


def run_case(case: SignalCase, repeat: int, directions: tuple[str, ...], notes: list[str]):
    if case.dtype == "float64":  # float64 rows: x64 for this case only
        with jax.enable_x64(True):
            return _run_case(case, repeat, directions, notes)
    return _run_case(case, repeat, directions, notes)


def _run_case(case: SignalCase, repeat: int, directions: tuple[str, ...], notes: list[str]):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.shape).astype(case.dtype)
    forms, refs = _formulations(case, x, notes)
    rows: list[Row] = []
    for direction in directions:
        if direction not in forms:
            continue
        fns: dict[str, Callable[[], Any]] = {}
        meta: dict[str, Row] = {}
        for name, family, f in forms[direction]:
            row = Row(case.name, direction, name, family)
            meta[name] = row
            try:
                t0 = time.perf_counter()
                if isinstance(f, tuple):
                    call, row.compile_s = _jit(*((f[0],) + tuple(f[1])))
                    row.peak_x = _peak(f[0], *f[1])
                    out = call()
                else:  # a peer's first call (its "compile s": beside our compile time)
                    call = f
                    out = call()
                    row.compile_s = time.perf_counter() - t0
                if direction in refs:
                    row.rel_err = _rel_err(out, refs[direction])
                    if not row.rel_err <= AGREE and family not in PEERS:
                        row.status = f"DISAGREES (rel err {row.rel_err:.1e})"
                    elif not row.rel_err <= AGREE:  # a peer with other conventions
                        row.status = f"differs from the reference (rel err {row.rel_err:.1e})"
                fns[name] = call
            except Exception as e:
                why = f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"
                # a peer that cannot express a case is a note; our own failure fails the run
                row.status = f"not run: {why}" if family in PEERS else f"failed: {why}"
        rows.extend(timed_rows(meta, fns, repeat))
    return rows


def report(rows: list[Row]) -> str:
    head = (
        f"{'case':<22} {'direction':<9} {'formulation':<20} {'median ms':>10} {'IQR ms':>8} "
        f"{'compile s':>9} {'x best':>7} {'rel err':>8} {'peak':>5}  status"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        med = "" if r.median_ms is None else f"{r.median_ms:10.2f}"
        iqr = "" if r.iqr_ms is None else f"{r.iqr_ms:8.2f}"
        comp = "" if r.compile_s is None else f"{r.compile_s:9.2f}"
        ratio = "" if r.ratio_to_best is None else f"{r.ratio_to_best:7.2f}"
        err = "" if r.rel_err is None else f"{r.rel_err:8.1e}"
        peak = "" if r.peak_x is None else f"{r.peak_x:5.2f}"
        lines.append(
            f"{r.case:<22} {r.direction:<9} {r.formulation:<20} {med:>10} {iqr:>8} {comp:>9} "
            f"{ratio:>7} {err:>8} {peak:>5}  {r.status}"
        )
    return "\n".join(lines)


def markdown(rows: list[Row]) -> str:
    out = [
        "| case | direction | formulation | median ms | x best | rel err | status |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        med = "" if r.median_ms is None else f"{r.median_ms:.2f}"
        ratio = "" if r.ratio_to_best is None else f"{r.ratio_to_best:.2f}"
        err = "" if r.rel_err is None else f"{r.rel_err:.1e}"
        out.append(
            f"| {r.case} | {r.direction} | {r.formulation} | {med} | {ratio} | {err} | {r.status} |"
        )
    return "\n".join(out) + "\n"


def plot(rows: list[Row], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r.ratio_to_best]
    labels = [f"{r.case} {r.direction}\n{r.formulation}" for r in timed]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(timed) + 1))
    ax.barh(range(len(timed)), [cast(float, r.ratio_to_best) for r in timed])
    ax.set_yticks(range(len(timed)), labels, fontsize=6)
    ax.set_xlabel("median / fastest of the same case and direction")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m convalgebra.bench.forms_signal")
    p.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--filter", default="", help="only cases whose name contains TEXT")
    p.add_argument("--all-modes", action="store_true", help="the wavelet rows in every mode")
    p.add_argument("--direction", default="forward,inverse,transpose,grad")
    p.add_argument("--json", default=None)
    p.add_argument("--markdown", default=None)
    p.add_argument("--plot", default=None)
    args = p.parse_args(argv)
    if jax.config.jax_enable_x64:  # pyright: ignore[reportAttributeAccessIssue]  # set at runtime
        print("forms_signal: run with x64 off (float32 timings)", file=sys.stderr)
        return 2
    directions = tuple(d.strip() for d in args.direction.split(",") if d.strip())
    bad = set(directions) - {"forward", "inverse", "transpose", "grad"}
    if bad:
        print(f"forms_signal: unknown direction(s) {sorted(bad)}", file=sys.stderr)
        return 2
    pool = MODE_CASES if args.all_modes else QUICK if args.quick else CASES
    cases = [c for c in pool if args.filter in c.name]
    from . import forms_iir  # the recursive-filter rows (sosfilt, sosfiltfilt)

    if not cases and not forms_iir.cases(args.quick, args.filter):
        print(f"forms_signal: no case matches --filter {args.filter!r}", file=sys.stderr)
        return 2
    notes: list[str] = []
    rows: list[Row] = []
    for case in cases:
        print(f"{case.name}: {case.describe()}", file=sys.stderr)
        rows.extend(run_case(case, args.repeat, directions, notes))
    if not getattr(args, "all_modes", False):
        rows.extend(forms_iir.run(args.quick, args.repeat, args.filter, directions, notes))
    print(f"machine: {jax.devices()[0].device_kind}, jax {jax.__version__}")
    print(report(rows))
    for n in dict.fromkeys(notes):
        print("note:", n)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([dataclasses.asdict(r) for r in rows], f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows))
    if args.plot:
        plot(rows, args.plot)
    failed = [r for r in rows if r.status.startswith(("DISAGREES", "failed"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
