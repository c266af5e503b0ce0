"""Time your own formulations side by side: ``compare({"mine": f, "theirs": g}, *args)``.

The public entry point of the harness for users' code. Each function is jitted (with
:func:`convalgebra.compiler_options`, as every JAX row of ``python -m convalgebra.bench`` is),
compiled once (the compile time is reported), called once to warm up, checked against the first
function (relative L2 error at most ``rtol``: formulations that disagree are not timed), then all
are called in turn, interleaved, ``block_until_ready`` after each call, so that a change in the
machine's load affects every formulation alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from .._lower.cost import compiler_options

__all__ = ["Timing", "compare", "table"]


@dataclasses.dataclass(frozen=True)
class Timing:
    """One formulation's result in :func:`compare`.

    Attributes:
      name: the key it was given under.
      median_ms: median time of the timed calls, milliseconds (NaN if not timed).
      iqr_ms: interquartile range of the timed calls, milliseconds.
      compile_s: seconds to trace and compile it.
      ratio: ``median_ms`` over the fastest formulation's (1.0 for the fastest).
      rel_err: relative L2 error of its output against the first formulation's.
      n: how many calls were timed.
      status: ``"ok"`` or why it was not timed (``"disagrees: ..."``).
    """

    name: str
    median_ms: float
    iqr_ms: float
    compile_s: float
    ratio: float
    rel_err: float
    n: int
    status: str


def _leaves(out: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.complex128) for v in jax.tree_util.tree_leaves(out)]


def _rel_err(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    if [x.shape for x in a] != [x.shape for x in b]:
        return float("inf")
    num = sum(float(np.sum(np.abs(x - y) ** 2)) for x, y in zip(a, b))
    den = sum(float(np.sum(np.abs(y) ** 2)) for y in b)
    return (num / max(den, 1e-300)) ** 0.5


def compare(
    fns: Mapping[str, Callable[..., Any]],
    *args: Any,
    repeat: int = 15,
    budget: float = 1.0,
    rtol: float = 1e-4,
    xla_defaults: bool = False,
) -> list[Timing]:
    """Compiles, cross-checks and times ``fns`` on the same ``args``, interleaved.

    Args:
      fns: name -> a JAX function of ``*args`` (pure; it is jitted here).
      *args: the arrays every function is called with.
      repeat: at most this many timed calls per formulation.
      budget: about this many seconds of timing per formulation (at least 3 calls).
      rtol: the largest relative L2 error against the first function's output.
      xla_defaults: compile with XLA's default options instead of ``ca.compiler_options()``.

    Returns:
      One :class:`Timing` per function, in the order given.

    Raises:
      ValueError: ``fns`` is empty, or ``repeat``/``budget`` is not positive.

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> from convalgebra.bench import compare
      >>> x, q = jnp.ones((1, 1, 64)), jnp.ones((1, 1, 3))
      >>> rows = compare({
      ...     "convalgebra": lambda x, q: (ca.down(2) @ ca.corr(q, ndim=1))(x),
      ...     "lax": lambda x, q: jax.lax.conv_general_dilated(x, q, (2,), [(2, 2)]),
      ... }, x, q, repeat=3, budget=0.01)
      >>> [r.status for r in rows], min(r.ratio for r in rows)
      (['ok', 'ok'], 1.0)
    """
    if not fns:
        raise ValueError("compare: give at least one function, got none")
    if repeat < 1 or budget <= 0:
        raise ValueError(f"compare: repeat and budget must be positive, got {repeat}, {budget}")
    options = None if xla_defaults else (compiler_options() or None)
    compiled, compile_s, outputs = {}, {}, {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        exe = jax.jit(fn, compiler_options=options).lower(*args).compile()
        compile_s[name] = time.perf_counter() - t0
        compiled[name] = exe
        t0 = time.perf_counter()
        outputs[name] = jax.block_until_ready(exe(*args))  # warm-up, and the result checked
    first = _leaves(next(iter(outputs.values())))
    errors = {name: _rel_err(_leaves(out), first) for name, out in outputs.items()}
    timed = [n for n in fns if errors[n] <= rtol]
    samples: dict[str, list[float]] = {n: [] for n in timed}
    # calls per formulation from the slowest warm call, within the budget (at least 3)
    probe = {}
    for n in timed:
        t0 = time.perf_counter()
        jax.block_until_ready(compiled[n](*args))
        probe[n] = time.perf_counter() - t0
    calls = max(3, min(repeat, int(budget / max(max(probe.values(), default=1e-6), 1e-6))))
    for _ in range(calls):
        for n in timed:
            t0 = time.perf_counter()
            jax.block_until_ready(compiled[n](*args))
            samples[n].append(time.perf_counter() - t0)
    medians = {n: float(np.median(s)) * 1e3 for n, s in samples.items()}
    best = min(medians.values(), default=float("nan"))
    rows = []
    for n in fns:
        if n in samples:
            q75, q25 = np.percentile(samples[n], [75, 25])
            rows.append(
                Timing(n, medians[n], float(q75 - q25) * 1e3, compile_s[n], medians[n] / best,
                       errors[n], len(samples[n]), "ok")
            )  # fmt: skip
        else:
            rows.append(
                Timing(n, float("nan"), float("nan"), compile_s[n], float("nan"), errors[n], 0,
                       f"disagrees: relative error {errors[n]:.3g} > {rtol:g}")
            )  # fmt: skip
    return rows


def table(rows: list[Timing]) -> str:
    """The rows of :func:`compare` as a plain-text table (median, IQR, ratio, compile time).

    Examples:
      >>> from convalgebra.bench import Timing, table
      >>> print(table([Timing("f", 1.0, 0.1, 0.5, 1.0, 0.0, 5, "ok")]))
      formulation      median ms    IQR ms   x best  compile s  status
      f                    1.000     0.100     1.00       0.50  ok
    """
    lines = [f"{'formulation':<14} {'median ms':>11} {'IQR ms':>9} {'x best':>8} {'compile s':>10}"
             "  status"]  # fmt: skip
    for r in rows:
        lines.append(
            f"{r.name:<14} {r.median_ms:>11.3f} {r.iqr_ms:>9.3f} {r.ratio:>8.2f} "
            f"{r.compile_s:>10.2f}  {r.status}"
        )
    return "\n".join(lines)
