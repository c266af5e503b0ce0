"""The tour (``python -m convalgebra``): the DSP view of deep-learning convolutions, checked.

Defines the symbols, builds the operators of the DSP view, verifies every identity numerically
(saying in which precision), prints the matrices, ends with a short benchmark summary (ratios to
the fastest formulation at a realistic layer size) and, with ``--figures DIR``, writes the
pictures of :mod:`convalgebra.plot`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt

import convalgebra as ca

_F64 = jax.ShapeDtypeStruct
PROG = "python -m convalgebra"


class UsageError(Exception):
    """Bad input: one line on stderr, exit status 2."""


def _matrix_str(m: np.ndarray, names: dict[float, str] | None = None) -> str:
    names = names or {}
    cells = [[names.get(round(float(v), 12), f"{float(v):g}") for v in row] for row in m]
    w = max(len(c) for row in cells for c in row)
    return "\n".join("    [ " + "  ".join(c.rjust(w) for c in row) + " ]" for row in cells)


def _vec(a) -> str:
    return "(" + " ".join(f"{float(v):g}" for v in np.asarray(a)) + ")"


class _Checks:
    """Prints one line per identity: ok/FAIL, the error and the precision it was computed in."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(
        self,
        what: str,
        got: Callable[[], object],
        want: Callable[[], object],
        dtype: npt.DTypeLike | None = None,
    ) -> None:
        g, w = np.asarray(got()), np.asarray(want())
        dtype = np.dtype(dtype or np.result_type(g, w))
        eps = float(np.finfo(dtype).eps)
        scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
        err = float(np.max(np.abs(g - w), initial=0.0))
        ok = err <= 100 * eps * scale
        if not ok:
            self.failed.append(what)
        print(f"  {'ok ' if ok else 'FAIL'} {what:<66} {err:.1e}  {dtype.name}")


def definitions() -> None:
    """Section 0: what ``*``, ``⋆``, ``↓k``, ``↑k`` and ``ᵀ`` mean, with an impulse."""
    print("0. The symbols (1-D; the same per axis in 2-D and 3-D).")
    print("  (q * x)[n] = Σ_k q[k] x[n − k]   convolution: the kernel is flipped (signals and")
    print("                                   systems: q is an impulse response)")
    print("  (q ⋆ x)[n] = Σ_k q[k] x[n + k]   correlation: not flipped; this is what deep")
    print(
        "                                   learning calls 'convolution' (torch conv1d, lax.conv)"
    )
    print("  ↓k x[n] = x[k n]                 down-sampling: keep every k-th sample")
    print("  ↑k x[n] = x[n/k] if k divides n, else 0   up-sampling: k − 1 zeros between samples")
    print("  Aᵀ, Aᴴ                           transpose, adjoint (conjugate transpose): derived by")
    print("                                   JAX from A, never written by hand")
    q = jnp.array([1.0, 2.0, 3.0])
    d = jnp.array([0.0, 0.0, 1.0, 0.0, 0.0])
    print(f"  With q = {_vec(q)} and the impulse δ = {_vec(d)} ('full' mode, every overlap):")
    print(f"    q * δ = {_vec(ca.conv(q)(d))}   the impulse response: q itself")
    print(f"    q ⋆ δ = {_vec(ca.corr(q)(d))}   q reversed: correlation does not flip")
    print(
        "  So q ⋆ x = (q reversed) * x: a network that learns q for ⋆ learns the flipped q of *.\n"
    )


def precision() -> None:
    print("  Precision. The tour computes in float64 (jax_enable_x64), machine epsilon 2.2e-16:")
    print("  an identity that holds shows an error of 0 or a few 1e-16 (roundings of sums). The")
    print("  2-D complex dot test runs in complex64, the precision of a float32 network (epsilon")
    print("  1.2e-7), where an error near 1e-8 is exact. A check passes when its largest error is")
    print("  at most 100 epsilon of its dtype (times the largest |value| when above 1). The")
    print("  benchmark runs in float32 and accepts 1e-4 relative L2 error between formulations.\n")


def tour() -> list[str]:
    """Sections 0-3; returns the identities that failed."""
    print("convalgebra tour: the DSP view of deep-learning convolutions")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}\n")
    definitions()
    q = jnp.array([2.0, 3.0, 5.0])  # q0, q1, q2
    names = {2.0: "q0", 3.0: "q1", 5.0: "q2", 0.0: "."}
    x4 = _F64((4,), q.dtype)

    print("1. Every operator is a matrix (ca.matrix; q = (q0 q1 q2)); ca.plot.matrix_figure")
    print("   draws it.")
    for label, op, like in [
        ("↓2 on 4 samples: keeps x0, x2", ca.down(2), x4),
        ("↑2 on 2 samples: ↓2ᵀ, zeros in between", ca.up(2), _F64((2,), q.dtype)),
        ("q * x, mode 'same', on 4 samples: Toeplitz", ca.conv(q, "same"), x4),
        (
            "q * (↑2 x) on 2 samples: a transposed convolution",
            ca.conv(q, "same") @ ca.up(2),
            _F64((2,), q.dtype),
        ),
    ]:
        print(f"  {label}   [{op.notation()}]")
        print(_matrix_str(np.asarray(ca.matrix(op, like)), names))
    print()

    c = _Checks()
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((3, 16)))
    w = jnp.asarray(rng.standard_normal(3))
    strided = ca.down(2) @ ca.corr(w, "same")
    transposed = ca.conv(w, "same") @ ca.up(2)
    print("2. The identities, verified numerically (largest |error|, dtype).")
    precision()
    c.check(
        "q ⋆ x = (q reversed) * x",
        lambda: ca.corr(w)(x),
        lambda: ca.conv(w[::-1])(x),
    )
    c.check(
        "↑2 = ↓2ᵀ  (matrices)",
        lambda: ca.matrix(ca.up(2), _F64((4,), q.dtype)),
        lambda: ca.matrix(ca.down(2), _F64((8,), q.dtype)).T,
    )
    c.check(
        "strided conv ↓2 (w ⋆ x) = window stride 2 (lax)",
        lambda: strided(x),
        lambda: jax.lax.conv_general_dilated(x[:, None], w[None, None], (2,), [(1, 1)])[:, 0],
    )
    dil = (ca.crop((0, 1)) @ ca.up(2))(w)
    c.check(
        "dilated conv (↑2 w) ⋆ x = rhs_dilation 2 (lax)",
        lambda: ca.corr(dil, "valid")(x),
        lambda: jax.lax.conv_general_dilated(
            x[:, None], w[None, None], (1,), "VALID", rhs_dilation=(2,)
        )[:, 0],
    )
    y = jnp.asarray(rng.standard_normal((3, 8)))
    c.check(
        "transposed conv w * (↑2 y) = (↓2 (w ⋆ ·))ᵀ y (derived)",
        lambda: transposed(y),
        lambda: jax.vmap(strided.on(x[0]).T)(y),
    )
    c.check(
        "  ... = jax.vjp route of the transpose",
        lambda: jax.vmap(ca.transpose(strided, x[0], method="vjp"))(y),
        lambda: transposed(y),
    )
    qc, r7 = q.astype(jnp.complex128) * (1 + 1j), jnp.arange(7.0, dtype=jnp.complex128)
    c.check(
        "matched filter: (q *)ᵀ = q ⋆, (q *)ᴴ = conj(q) ⋆",
        lambda: ca.adjoint(ca.conv(qc), _F64((5,), jnp.complex128))(r7),
        lambda: ca.corr(jnp.conj(qc), "valid")(r7),
    )
    c.check(
        "nearest-neighbour ↑2 = (1 1) * (↑2 x)",
        lambda: (ca.conv([1.0, 1.0], "same") @ ca.up(2))(x),
        lambda: jnp.repeat(x, 2, axis=-1),
    )
    c.check(
        "(1 1) * q = (q0, q0+q1, q1+q2, q2)",
        lambda: ca.conv([1.0, 1.0])(q),
        lambda: jnp.array([2.0, 5.0, 8.0, 5.0]),
    )
    fused = ca.conv(ca.conv([1.0, 1.0])(w)) @ ca.up(2)
    c.check(
        "w * nearest↑2(x) = ((1 1) * w) * (↑2 x): one 4-tap transposed conv",
        lambda: (ca.conv(w) @ ca.conv([1.0, 1.0]) @ ca.up(2))(x),
        lambda: fused(x),
    )
    s2 = 1 / np.sqrt(2.0)
    haar = ca.branch(
        ca.down(2) @ ca.corr(jnp.array([s2, s2]), "valid"),
        ca.down(2) @ ca.corr(jnp.array([s2, -s2]), "valid"),
    )  # an analysis filter bank: one input, two outputs (a, d)
    c.check(
        "bank (↓2 (h ⋆ x), ↓2 (g ⋆ x))ᵀ = its inverse (Haar)",
        lambda: jax.vmap(ca.transpose(haar, x[0]))(haar(x)),
        lambda: x,
    )
    c.check(
        "dot test ⟨A x, y⟩ = ⟨x, Aᴴ y⟩ for ↓2 (w ⋆ x), 2-D (relative)",
        lambda: ca.testing.check_adjoint(
            ca.down(2, ndim=2) @ ca.corr(jnp.ones((4, 3, 3, 3), jnp.complex64), "same", ndim=2),
            _F64((2, 3, 8, 8), jnp.complex64),
        ),
        lambda: 0.0,
        dtype=np.complex64,
    )
    print()
    print("3. The expressions in the DSP notation.")
    for op in (strided, transposed, fused, ca.down(2).on(x[0]).T, haar):
        print(f"  {op!r:<58} {op.notation()}")
    return c.failed


# ---- the benchmark summary --------------------------------------------------------------------

# A DCGAN-size layer: 8 x 64 channels, 128² (strided) / 64² -> 128² (transposed), kernel 4,
# stride 2; forward and transpose. --quick: the benchmark's CI sizes (tiny: ratios only).
BENCH = ["--suite", "strided,transposed", "--filter", "2d_k4", "--direction", "forward,transpose"]
BENCH_FULL = ["--budget", "0.5", "--repeat", "5"]
BENCH_QUICK = ["--quick"]

_COLUMNS = (
    ("convalgebra", "convalgebra"),
    ("lax", "lax"),
    ("auto", "jax auto"),
    ("torch", "torch"),
)


def _case_label(r: dict) -> str:
    f = r.get("factor", 1)
    form = {"strided": f"↓{f} (w ⋆ x)", "transposed": f"w * (↑{f} x)"}.get(r["kind"], r["kind"])
    shape = "x".join(str(v) for v in r["x_shape"])
    return f"{form} {r['ndim']}-D k{r['kernel']}, x {shape}"


def bench_summary(rows: list[dict]) -> str:
    """Per (case, direction): the fastest time and each family's best time over it."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["case"], r["direction"]), []).append(r)
    head = f"  {'case':<34} {'direction':<9} {'fastest':>9} {'GFLOP/s':>8}  " + " ".join(
        f"{h:>11}" for _, h in _COLUMNS
    )
    lines = [head]
    for (_, direction), rs in groups.items():
        ok = [r for r in rs if r["status"] == "ok" and r.get("ratio_to_best")]
        if not ok:
            continue
        best = min(ok, key=lambda r: r["median_ms"])
        cells = []
        for fam, _ in _COLUMNS:
            if fam == "convalgebra":  # what users get: the lowered program
                mine = [r for r in ok if r["formulation"] == "convalgebra lowered"]
                mine = mine or [r for r in ok if r["family"] == fam]
            else:
                mine = [r for r in ok if r["family"] == fam]
            cells.append(
                f"{min(r['ratio_to_best'] for r in mine):>10.2f}x" if mine else f"{'-':>11}"
            )
        gflops = best.get("gflops") or 0.0
        lines.append(
            f"  {_case_label(best):<34} {direction:<9} {best['median_ms']:>6.2f} ms "
            f"{gflops:>8.1f}  " + " ".join(cells)
        )
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        lines.append(f"  {len(bad)} formulation(s) failed or disagreed; rerun the benchmark to see")
    return "\n".join(lines)


def _bench(quick: bool, plot_path: str | None) -> bool:
    size = "CI sizes (--quick): tiny, ratios only" if quick else "8 x 64 channels, 128², k4, s2"
    took = "seconds" if quick else "one to two minutes"
    print(f"\n4. The benchmark, summarised: {size}; {took}, progress on stderr.")
    print("  Each number is a family's fastest time over the fastest formulation of the row")
    print("  (1.00x = it is the fastest); convalgebra = the lowered program users get. Full")
    print("  tables: python -m convalgebra.bench (--json, --markdown, --plot).")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        cmd = [sys.executable, "-m", "convalgebra.bench", *BENCH]
        cmd += [*(BENCH_QUICK if quick else BENCH_FULL), "--json", out]
        cmd += ["--plot", plot_path] if plot_path else []
        # A separate process: float32 with JAX's defaults (the tour uses x64). Its tables go
        # to a pipe; its progress and warnings (stderr) reach the terminal.
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        if not os.path.exists(out):
            print(f"  the benchmark failed (exit {proc.returncode}); its output:")
            print("\n".join("  " + s for s in proc.stdout.splitlines()[-20:]))
            return False
        with open(out) as f:
            rows = json.load(f)
    header = [s for s in proc.stdout.splitlines()[:6] if s.startswith(("device", "GEMM"))]
    print("\n".join("  " + s for s in header))
    print(bench_summary(rows))
    return proc.returncode == 0


# ---- figures ----------------------------------------------------------------------------------


def _figure_args(directory: str | None, names: str | None) -> tuple[str | None, list[str] | None]:
    """Validates ``--figures`` / ``--figure-names`` before anything runs."""
    if directory is None:
        if names is not None:
            raise UsageError("--figure-names needs --figures DIR")
        return None, None
    try:
        from .plot import _figures
    except ImportError as e:
        raise UsageError(str(e)) from None
    chosen = None if names is None else [n.strip() for n in names.split(",") if n.strip()]
    try:
        _figures._require("save")
        if chosen is not None:
            bad = [n for n in chosen if n not in (*_figures.FIGURES, "benchmark")]
            if bad or not chosen:
                raise ValueError(
                    f"plot.save: unknown figure name {', '.join(map(repr, bad)) or repr(names)}; "
                    f"choose from {', '.join((*_figures.FIGURES, 'benchmark'))}"
                )
        _figures._check_dir(directory, "save")
    except (ValueError, ImportError) as e:
        raise UsageError(str(e)) from None
    return directory, chosen


def _figures(directory: str, names: list[str] | None, quick: bool, bench_plot: str | None) -> None:
    from . import plot

    print(f"\n5. Figures, written to {directory}:")
    sys.stdout.flush()
    names = None if names is None else [n for n in names if n != "benchmark"]
    for path in plot.save(directory, names, quick=quick):
        print(f"  {path}")
    if bench_plot and os.path.exists(bench_plot):
        print(f"  {bench_plot}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    p.add_argument("--no-bench", action="store_true", help="skip the benchmark summary")
    p.add_argument(
        "--quick", action="store_true", help="tiny benchmark sizes and short animations (for CI)"
    )
    p.add_argument("--figures", metavar="DIR", help="write the pictures (PNG, GIF) into DIR")
    p.add_argument(
        "--figure-names",
        metavar="NAMES",
        help="comma-separated: only these figures (matrix, sliding, sliding-strip, "
        "sliding-discrete, sliding-channels, overlap, benchmark)",
    )
    args = p.parse_args(argv)
    try:
        directory, names = _figure_args(args.figures, args.figure_names)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    x64 = jax.config.jax_enable_x64  # pyright: ignore[reportAttributeAccessIssue]  # set at runtime
    jax.config.update("jax_enable_x64", True)
    try:
        failed = tour()
    finally:
        jax.config.update("jax_enable_x64", x64)
    bench_ok = True
    bench_plot = None
    if directory and not args.no_bench and (names is None or "benchmark" in names):
        bench_plot = os.path.join(directory, "benchmark.png")
    if not args.no_bench:
        bench_ok = _bench(args.quick, bench_plot)
    if directory:
        _figures(directory, names, args.quick, bench_plot)
    if failed:
        print(f"\n{len(failed)} identities FAILED: {failed}")
    else:
        print("\nall identities hold.")
    return 1 if failed or not bench_ok else 0


if __name__ == "__main__":
    sys.exit(main())
