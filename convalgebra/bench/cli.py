"""Command line: ``python -m convalgebra.bench [--suite S] [--quick] [--json FILE] ...``."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .cases import DIRECTIONS, SUITES, make_inputs, select

PROG = "python -m convalgebra.bench"


class UsageError(Exception):
    """Bad input: reported as one line on stderr with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Time every formulation of strided, dilated, transposed, nearest, fused, "
        "per-channel and audio convolutions side by side: forward, transpose and kernel "
        "gradient, in one process.",
    )
    p.add_argument(
        "--suite",
        default="all",
        help=f"comma-separated suites: {', '.join(SUITES)}, all (default: all: these); "
        f"with their own runners: {', '.join(RUNNERS)}",
    )
    p.add_argument("--filter", default=None, help="only cases whose name contains this text")
    p.add_argument(
        "--direction",
        default=",".join(DIRECTIONS),
        help="comma-separated directions: forward, transpose, grad (default: all three)",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats (CI smoke run)")
    p.add_argument("--device", default=None, help="cpu or gpu (default: JAX's default backend)")
    p.add_argument("--repeat", type=int, default=None, help="max timed calls per row (15; quick 5)")
    p.add_argument(
        "--budget", type=float, default=None, help="seconds of timing per row (1.0; quick 0.1)"
    )
    p.add_argument("--json", metavar="FILE", help="write the rows as a JSON list")
    p.add_argument("--markdown", metavar="FILE", help="write a compact Markdown results table")
    p.add_argument("--plot", metavar="FILE.png", help="plot ratios to the best (matplotlib)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch formulations")
    p.add_argument(
        "--xla-defaults",
        action="store_true",
        help="compile the JAX rows with XLA's default options, not ca.compiler_options()",
    )
    p.add_argument(
        "--devices",
        type=int,
        default=None,
        metavar="N",
        help="strong and weak scaling of the strided and transposed suites on batch-sharded "
        "inputs over 1, 2, 4 .. N devices (on the CPU: N host devices, in a child process)",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    return p


def _writable(path: str, what: str) -> None:
    """Raises ``UsageError`` unless ``path`` can be written (checked before any work)."""
    if os.path.isdir(path):
        raise UsageError(f"{what} {path!r} is a directory")
    existed = os.path.exists(path)
    try:
        with open(path, "a"):
            pass
    except OSError as e:
        raise UsageError(f"cannot write {what} {path!r}: {e.strerror or e}") from None
    if not existed:
        os.remove(path)


def _split(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise UsageError(
            f"unknown {what} {', '.join(bad) or repr(value)}; choose from {', '.join(allowed)}"
        )
    return items


def _jax_device(name: str | None):
    import jax

    name = name or ("gpu" if jax.default_backend() in ("gpu", "cuda", "rocm") else "cpu")
    if name not in ("cpu", "gpu"):
        raise UsageError(f"unknown device {name!r}; choose from cpu, gpu")
    try:
        return jax.devices(name)[0], name
    except RuntimeError:
        have = sorted({d.platform for d in jax.devices()} | {"cpu"})
        raise UsageError(f"device {name!r} is not present (JAX sees: {', '.join(have)})") from None


def _torch_device(kind: str, notes: list[str]):
    try:
        import torch

        from . import forms_torch  # noqa: F401  (registers the torch formulations)
    except ImportError as e:
        notes.append(f"torch formulations skipped: {e}")
        return None
    if kind == "gpu":
        if not torch.cuda.is_available():
            notes.append("torch formulations skipped: torch has no CUDA device")
            return None
        torch.backends.cudnn.allow_tf32 = False  # true float32, like Precision.HIGHEST
        torch.backends.cuda.matmul.allow_tf32 = False
        return torch.device("cuda")
    from .report import usable_cores

    # PyTorch's default is every core of the host, which oversubscribes a process limited to
    # fewer (taskset, containers, CI): its rows were up to 30x off. XLA uses the usable ones.
    torch.set_num_threads(usable_cores())
    return torch.device("cpu")


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; returns the exit status (0 ok, 1 a formulation failed, 2 bad input)."""
    args = None
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = parser().parse_args(argv)
        return _run(args, argv)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args is not None and args.debug:
            raise
        print(
            f"{PROG}: error: {type(e).__name__}: {e} (--debug shows the traceback)", file=sys.stderr
        )
        return 1


# Suites with their own runner (rows of their own shape): signal processing against SciPy and
# PyWavelets, deconvolution (closed form vs CG), a U-Net training step against Flax, Equinox and
# PyTorch. ``all`` means the convolution suites; name these explicitly.
RUNNERS = {"signal": "forms_signal", "solve": "forms_solve", "train": "forms_train"}


# The options each runner takes from this command line (``--quick`` and ``--repeat`` all do);
# any other option is refused rather than silently ignored, unless the command also names a
# convolution suite it applies to.
PASSED = {
    "signal": ("filter", "direction", "json", "markdown", "plot"),
    "solve": ("json",),
    "train": ("budget", "json", "markdown"),
}
_OPTIONS = ("filter", "direction", "budget", "json", "markdown", "plot", "no_torch")


def _external_argv(name: str, args: argparse.Namespace, mixed: bool) -> list[str]:
    argv = ["--quick"] if args.quick else []
    if args.repeat is not None:
        argv += ["--repeat", str(args.repeat)]
    defaults = parser().parse_args([])
    for opt in _OPTIONS:
        value = getattr(args, opt)
        if value == getattr(defaults, opt):
            continue
        flag = "--" + opt.replace("_", "-")
        if opt in PASSED[name] and not (mixed and opt in ("json", "markdown", "plot")):
            argv += [flag, str(value)]  # output files, when mixed: the convolution suites' own
        elif not mixed:
            raise UsageError(f"suite {name!r} does not take {flag}")
    return argv


def _run_external(name: str, args: argparse.Namespace, mixed: bool) -> int:
    import importlib

    argv = _external_argv(name, args, mixed)
    module = importlib.import_module(f".{RUNNERS[name]}", __package__)
    print(f"{PROG}: suite {name!r} (python -m convalgebra.bench.{RUNNERS[name]})", flush=True)
    return int(module.main(argv) or 0)


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    suites = _split(args.suite, (*SUITES, *RUNNERS, "all"), "suite")
    status = 0
    mixed = any(s not in RUNNERS for s in suites)
    for name in [s for s in suites if s in RUNNERS]:
        status = max(status, _run_external(name, args, mixed))
    suites = [s for s in suites if s not in RUNNERS]
    if not suites:
        return status
    directions = _split(args.direction, DIRECTIONS, "direction")
    if args.repeat is not None and args.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {args.repeat}")
    if args.budget is not None and not args.budget > 0:
        raise UsageError(f"--budget must be positive, got {args.budget}")
    for path, what in (
        (args.json, "JSON file"),
        (args.markdown, "Markdown file"),
        (args.plot, "plot file"),
    ):
        if path:
            _writable(path, what)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install convalgebra[plot]") from None
    cases = select(suites, args.quick, args.filter)
    if not cases:
        raise UsageError(f"no case of suite {args.suite!r} matches --filter {args.filter!r}")

    import jax

    x64 = jax.config.jax_enable_x64  # pyright: ignore[reportAttributeAccessIssue]  # set at runtime
    jax.config.update("jax_enable_x64", False)  # the benchmark is float32 throughout
    try:
        if args.devices is not None:  # scaling rows (convalgebra/bench/scaling.py)
            from . import scaling

            return max(status, scaling.main(args, cases, directions, argv))
        return max(status, _bench(args, cases, directions))
    finally:
        jax.config.update("jax_enable_x64", x64)


def _bench(args, cases, directions) -> int:
    from .._lower.cost import compiler_options
    from . import registry, report, timing

    jax_device, kind = _jax_device(args.device)
    notes = registry.load_all()
    torch_device = None if args.no_torch else _torch_device(kind, notes)
    cfg = timing.Config(
        repeat=args.repeat or (5 if args.quick else 15),
        budget=args.budget or (0.1 if args.quick else 1.0),
        jax_device=jax_device,
        torch_device=torch_device,
        compiler_options=None if args.xla_defaults else compiler_options(kind),
    )
    if cfg.compiler_options:
        notes.append(f"JAX rows compiled with XLA options {cfg.compiler_options}")
    loaded = report.load_warning() if kind == "cpu" else None  # before our own threads run
    if loaded:
        notes.append(loaded)
        print(f"{PROG}: warning: {loaded}", file=sys.stderr, flush=True)
    info = report.machine_info(jax_device, torch_device, notes)
    ceiling = timing.gemm_ceiling(
        jax_device,
        torch_device,
        timing.GEMM_SHAPE_QUICK if args.quick else timing.GEMM_SHAPE,
        cfg.compiler_options,
    )
    print(report.header(info, ceiling, quick=args.quick), flush=True)

    groups = [(c, d) for c in cases for d in directions]
    total = sum(len(registry.entries(c.kind)) + 1 for c, _ in groups)
    progress = report.Progress(total)
    start = time.perf_counter()
    rows = []
    try:
        for i, case in enumerate(cases):
            data = make_inputs(case)
            case_rows = []
            for direction in directions:
                t0 = time.perf_counter()
                case_rows += timing.run_group(
                    case,
                    direction,
                    registry.entries(case.kind),
                    data,
                    cfg,
                    progress.step,
                    progress.calls,
                )
                if not progress.tty:
                    progress.message(
                        f"[{i + 1}/{len(cases)}] {case.name} {direction}: "
                        f"{time.perf_counter() - t0:.1f} s"
                    )
            progress.pause()
            print(
                f"\n{case.name}: {case.describe()}, "
                f"{case.useful_flops('forward') / 1e9:.3g} useful GFLOP forward"
            )
            print(report.table(case_rows, ceiling.xla), flush=True)
            rows += case_rows
    finally:
        progress.close()
    print(report.summary(rows))
    print(f"\ntotal {time.perf_counter() - start:.0f} s", flush=True)

    json_rows = report.to_json_rows(rows, info, ceiling)
    if args.json:
        report.write_json(args.json, json_rows)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(report.markdown(json_rows, info, ceiling))
    if args.plot:
        report.plot(args.plot, json_rows, info)
    failed = [r for r in rows if r.status != "ok"]
    if failed:
        print(
            f"{PROG}: {len(failed)} formulation(s) failed or disagreed (see the tables)",
            file=sys.stderr,
        )
    return 1 if failed else 0
