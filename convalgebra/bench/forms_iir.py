"""Recursive-filter rows of the ``signal`` benchmark: convalgebra.signal against SciPy.

Cases (float32, x64 off), the filter ``cheby1(8, 0.05, 0.2)`` as 4 sections (``decimate``'s
default design for ``q = 4``):

* ``sosfilt``, 16 x 2^20: ``forward`` against ``scipy.signal.sosfilt``; ``transpose`` (the
  derived transposes of ``sosfilt_op``: ``jax.linear_transpose`` of the forward program, and
  ``jax.vjp``, which runs the filter's gradient rule) against SciPy's anti-causal filter
  (``sosfilt`` of the reversed signal, reversed); ``grad`` (``jax.vjp`` with respect to the
  signal and the sections: a learnable filter's training step; JAX only): the library's
  gradient (built from the filter's own fast forms) against JAX's autodiff of the blocked
  forward program (the values' reference) and the forward alone (the issue's target: the
  gradient within 3x of the forward);
* ``sosfiltfilt``, 16 x 2^20: ``forward`` against ``scipy.signal.sosfiltfilt``.

``torchaudio.functional.lfilter`` is timed where torchaudio imports beside the installed torch
(none for torch 2.13 at the time of writing: the notes say so). Run through
``python -m convalgebra.bench --suite signal --filter sosfilt`` (or ``python -m
convalgebra.bench.forms_signal --filter sosfilt``; these rows follow the resampling and wavelet
ones).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
import convalgebra.signal as cs
from convalgebra.signal import _iir

from .forms_signal import AGREE, Row, _jit, _optional, _rel_err, timed_rows


@dataclasses.dataclass(frozen=True)
class IIRCase:
    name: str
    op: str  # sosfilt | sosfiltfilt
    shape: tuple[int, ...]

    def describe(self) -> str:
        return f"{self.op} cheby1(8, 0.05, 0.2) as 4 sections x{self.shape}"


CASES = (
    IIRCase("sosfilt_16x2^20", "sosfilt", (16, 1 << 20)),
    IIRCase("sosfiltfilt_16x2^20", "sosfiltfilt", (16, 1 << 20)),
)
QUICK = (
    IIRCase("sosfilt_16x2^14", "sosfilt", (16, 1 << 14)),
    IIRCase("sosfiltfilt_16x2^14", "sosfiltfilt", (16, 1 << 14)),
)


def _torchaudio(x: np.ndarray, sos: np.ndarray, notes: list[str]):
    mod = _optional("torchaudio")
    if isinstance(mod, str):
        note = mod + " (no torchaudio release for torch 2.13 was installable here)"
        if note not in notes:
            notes.append(note)
        return None
    import torch
    import torchaudio.functional as taf  # pyright: ignore[reportMissingImports]

    xt = torch.from_numpy(x)
    rows = [torch.from_numpy(np.ascontiguousarray(s)) for s in sos]

    def run():
        y = xt
        for s in rows:
            y = taf.lfilter(y, s[3:], s[:3], clamp=False)
        return y.numpy()

    return run


def _formulations(case: IIRCase, x: np.ndarray, notes: list[str]):
    import scipy.signal as ss  # the oracle and peer

    sos = cs.cheby1(8, 0.05, 0.2, output="sos").astype(np.float32)
    xj, sj = jnp.asarray(x), jnp.asarray(sos)
    forms: dict[str, list[tuple[str, str, Any]]] = {}
    refs: dict[str, Any] = {}
    if case.op == "sosfiltfilt":
        refs["forward"] = ss.sosfiltfilt(sos, x)
        forms["forward"] = [
            ("scipy sosfiltfilt", "scipy", lambda: ss.sosfiltfilt(sos, x)),
            ("convalgebra", "convalgebra", (lambda v, s: cs.sosfiltfilt(s, v), (xj, sj))),
        ]
        return forms, refs
    refs["forward"] = ss.sosfilt(sos, x)
    forms["forward"] = [
        ("scipy sosfilt", "scipy", lambda: ss.sosfilt(sos, x)),
        ("convalgebra", "convalgebra", (lambda v, s: cs.sosfilt(s, v), (xj, sj))),
    ]
    peer = _torchaudio(x, sos, notes)
    if peer is not None:
        forms["forward"].append(("torchaudio lfilter", "torch", peer))
    xs = jax.ShapeDtypeStruct(x.shape, np.float32)

    def transpose(c, s):  # jax.linear_transpose of the forward program
        return ca.transpose(cs.sosfilt_op(s), xs)(c)

    def transpose_vjp(c, s):  # jax.vjp: the filter's own gradient rule (anti-causal blocks)
        return ca.transpose(cs.sosfilt_op(s), xs, method="vjp")(c)

    def anticausal() -> np.ndarray:
        return np.flip(np.asarray(ss.sosfilt(sos, np.flip(x, -1))), -1)

    refs["transpose"] = anticausal()
    forms["transpose"] = [
        ("scipy anti-causal", "scipy", anticausal),
        ("convalgebra", "convalgebra", (transpose, (xj, sj))),
        ("convalgebra (vjp)", "convalgebra", (transpose_vjp, (xj, sj))),
    ]

    def grad(v, c, s):  # a training step: the output and ∂⟨sosfilt(v), c⟩/∂(v, sos)
        out, pull = jax.vjp(lambda v, s: cs.sosfilt(s, v), v, s)
        return out, pull(c)

    def derived(v, c, s):  # the same by JAX's autodiff of the blocked forward program
        out, pull = jax.vjp(lambda v, s: _iir.run_ss(v, _iir.system(sos=s / s[:, 3:4]))[0], v, s)
        return out, pull(c)

    refs["grad"] = jax.jit(derived)(xj, xj, sj)[1]
    forms["grad"] = [
        ("convalgebra", "convalgebra", (grad, (xj, xj, sj))),
        ("jax autodiff (derived)", "jax", (derived, (xj, xj, sj))),
        ("convalgebra forward", "convalgebra", (lambda v, s: cs.sosfilt(s, v), (xj, sj))),
    ]
    return forms, refs


def cases(quick: bool, text: str) -> list[IIRCase]:
    return [c for c in (QUICK if quick else CASES) if text in c.name]


def run_case(case: IIRCase, repeat: int, directions: tuple[str, ...], notes: list[str]):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.shape).astype(np.float32)
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
                call, row.compile_s = (
                    _jit(*((f[0],) + tuple(f[1]))) if isinstance(f, tuple) else (f, None)
                )
                out = call()
                if direction in refs and not name.endswith("forward"):
                    got = out[1] if direction == "grad" else out  # grad: the cotangents
                    row.rel_err = _rel_err(got, refs[direction])
                    if not row.rel_err <= AGREE:
                        row.status = f"DISAGREES (rel err {row.rel_err:.1e})"
                fns[name] = call
            except Exception as e:
                row.status = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:100]}"
        rows.extend(timed_rows(meta, fns, repeat))
    return rows


def run(quick: bool, repeat: int, text: str, directions: tuple[str, ...], notes: list[str]):
    """The rows of every matching case (called by ``forms_signal.main``)."""
    import sys

    rows: list[Row] = []
    for case in cases(quick, text):
        print(f"{case.name}: {case.describe()}", file=sys.stderr)
        rows.extend(run_case(case, repeat, directions, notes))
    return rows
