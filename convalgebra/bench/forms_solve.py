"""The ``solve`` benchmark: closed forms against CG to the same residual, and CG per iteration.

Not a convolution-direction suite (no forward / transpose / grad), so it runs on its own::

    python -m convalgebra.bench.forms_solve [--quick] [--json FILE] [--repeat N]

For each case ``y = ↓2 (h * x) + n`` (circular blur) it times, in one process, interleaved, each
call ending in ``block_until_ready``, float32, x64 off:

* ``closed``: ``solve`` with ``method="auto"`` (the aliasing closed form of Zhao et al. 2016),
  with its info record (whose residual costs about one CG iteration) and without it
  (``closed (x only)``: XLA drops the unused residual);
* ``cg (same residual)``: ``solve(method="cg")`` run for the number of iterations that the
  hand-written CG needs to reach the closed form's normal-equation residual (or ``tol_floor``,
  whichever is larger: float32 CG stalls near 1e-6), and ``hand cg`` for the same count;
* ``lsmr``: lineax LSMR to the same tolerance, where lineax is installed;
* per-iteration ratio: ``solve(method="cg")`` over hand-written JAX CG (``lax.while_loop``, the
  same operator applications), both run for a fixed ``iters`` with ``tol=0``.

deepinv's closed-form step is timed only where deepinv is importable (it is not a dependency).
Every formulation's solution is checked against the closed form (relative L2 error at most 1e-3).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca
from convalgebra.deconv import solve

TOL_FLOOR = 2e-6  # float32 CG on the normal equations stalls a little above this
AGREE = 1e-3


@dataclasses.dataclass(frozen=True)
class SolveCase:
    name: str
    x_shape: tuple[int, ...]
    kernel: int
    ndim: int
    lam: float
    iters: int  # fixed iteration count of the per-iteration comparison

    def describe(self) -> str:
        return f"↓2 (h * x), circular {self.kernel}-tap Gaussian, x {self.x_shape}, λ={self.lam:g}"


CASES = (
    SolveCase("2d_512", (512, 512), 9, 2, 1e-3, 50),
    SolveCase("1d_b64", (64, 4096), 31, 1, 1e-3, 50),
)
QUICK = (
    SolveCase("2d_64", (64, 64), 7, 2, 1e-3, 20),
    SolveCase("1d_b8", (8, 256), 9, 1, 1e-3, 20),
)


def _gaussian(k: int, ndim: int) -> np.ndarray:
    t = np.arange(k) - k // 2
    g = np.exp(-(t**2) / (2 * (k / 5) ** 2))
    out = g
    for _ in range(ndim - 1):
        out = np.multiply.outer(out, g)
    return (out / out.sum()).astype(np.float32)


def problem(case: SolveCase):
    """(A, y, x_like) for ``case``: a smooth random x, blurred, down-sampled, plus noise."""
    h = jnp.asarray(_gaussian(case.kernel, case.ndim))
    A = ca.down(2, ndim=case.ndim) @ ca.conv(h, "circular", ndim=case.ndim)
    kx, kn = jax.random.split(jax.random.key(0))
    x = jax.random.uniform(kx, case.x_shape, jnp.float32)
    y = A(x)
    y = y + 0.01 * jax.random.normal(kn, y.shape, jnp.float32)
    return A, y, jax.ShapeDtypeStruct(x.shape, x.dtype)


def hand_cg(A, xs, lam, y, maxiter: int, tol: float):
    """Hand-written CG on (AᴴA + λI) x = Aᴴ y: what a user writes with ``ca.adjoint``."""
    At = ca.adjoint(A, xs)
    b = At(y)

    def N(v):
        return At(A(v)) + lam * v

    bb = jnp.vdot(b, b).real

    def cond(s):
        _, _, _, rs, k = s
        return (k < maxiter) & (rs > tol**2 * bb)

    def body(s):
        x, r, p, rs, k = s
        Ap = N(p)
        alpha = rs / jnp.vdot(p, Ap).real
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = jnp.vdot(r, r).real
        return x, r, r + (rs_new / rs) * p, rs_new, k + 1

    x0 = jnp.zeros(xs.shape, xs.dtype)
    x, _, _, _, k = jax.lax.while_loop(cond, body, (x0, b, b, bb, jnp.asarray(0)))
    return x, k


def _deepinv_row(case, A, y, xs):  # pragma: no cover - deepinv is not a dependency
    try:
        import deepinv  # noqa: F401
    except ImportError:
        return None, "deepinv not installed: its closed-form step was not timed"
    return None, "deepinv installed, but its comparison is not written yet"


@dataclasses.dataclass
class Result:
    case: str
    formulation: str
    median_ms: float
    compile_s: float
    iterations: int | None
    residual: float | None
    rel_err: float | None
    note: str = ""


def _compile(fn: Callable, *args) -> tuple[Callable, float]:
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - t0


def _interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for f in fns.values():
        jax.block_until_ready(f())  # warm-up
    for i in range(repeat):
        order = list(fns) if i % 2 == 0 else list(reversed(fns))
        for k in order:
            t0 = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) * 1e3 for k, v in times.items()}


def run_case(case: SolveCase, repeat: int) -> list[Result]:
    A, y, xs = problem(case)
    lam = case.lam

    closed, c_closed = _compile(lambda A, y: solve(A, y, xs, reg=lam, residual=True), A, y)
    closed_x, c_closed_x = _compile(lambda A, y: solve(A, y, xs, reg=lam)[0], A, y)
    x_c, info_c = closed(A, y)
    target = max(float(info_c.residual), TOL_FLOOR)
    # iterations the hand CG needs to reach the closed form's residual
    hand_to, c_hand = _compile(lambda A, y: hand_cg(A, xs, lam, y, 5000, target), A, y)
    _, k = hand_to(A, y)
    n_to = int(k)

    cg_to, c_cg = _compile(
        lambda A, y: solve(A, y, xs, reg=lam, method="cg", tol=1e-30, maxiter=n_to, warn=False),
        A,
        y,
    )
    x_cg, info_cg = cg_to(A, y)
    cg_it, c_cgit = _compile(
        lambda A, y: solve(
            A, y, xs, reg=lam, method="cg", tol=1e-30, maxiter=case.iters, warn=False
        )[0],
        A,
        y,
    )
    hand_it, c_handit = _compile(lambda A, y: hand_cg(A, xs, lam, y, case.iters, 0.0)[0], A, y)

    fns = {
        "closed": lambda: closed(A, y),
        "closed (x only)": lambda: closed_x(A, y),
        "cg (same residual)": lambda: cg_to(A, y),
        "hand cg (same residual)": lambda: hand_to(A, y),
        f"cg x{case.iters}": lambda: cg_it(A, y),
        f"hand cg x{case.iters}": lambda: hand_it(A, y),
    }
    compiles = {
        "closed": c_closed,
        "closed (x only)": c_closed_x,
        "cg (same residual)": c_cg,
        "hand cg (same residual)": c_hand,
        f"cg x{case.iters}": c_cgit,
        f"hand cg x{case.iters}": c_handit,
    }
    its = {
        "closed": 0,
        "closed (x only)": 0,
        "cg (same residual)": n_to,
        "hand cg (same residual)": n_to,
        f"cg x{case.iters}": case.iters,
        f"hand cg x{case.iters}": case.iters,
    }
    sols = {"closed": x_c, "cg (same residual)": x_cg, "hand cg (same residual)": hand_to(A, y)[0]}
    res = {"closed": float(info_c.residual), "cg (same residual)": float(info_cg.residual)}
    out_note = ""
    try:
        import lineax  # noqa: F401

        lsmr, c_lsmr = _compile(
            lambda A, y: solve(
                A, y, xs, reg=lam, method="lsmr", tol=target, maxiter=5000, warn=False
            ),
            A,
            y,
        )
        x_l, info_l = lsmr(A, y)
        fns["lineax lsmr"] = lambda: lsmr(A, y)
        compiles["lineax lsmr"] = c_lsmr
        its["lineax lsmr"] = int(info_l.iterations)
        sols["lineax lsmr"] = x_l
        res["lineax lsmr"] = float(info_l.residual)
    except ImportError:
        pass
    except TypeError as e:  # lineax's float32 LSMR under jax_enable_x64
        out_note = f"lineax lsmr skipped: {str(e).splitlines()[0][:160]}"
    med = _interleaved(fns, repeat)
    out = []
    ref = np.asarray(x_c)
    for k in fns:
        err = None
        if k in sols:
            err = float(np.linalg.norm(np.asarray(sols[k]) - ref) / np.linalg.norm(ref))
        out.append(Result(case.name, k, med[k], compiles[k], its[k], res.get(k), err))
    _, note = _deepinv_row(case, A, y, xs)
    out[0].note = "\n".join(n for n in (note, out_note) if n)
    return out


# ---- deblurring: the Fourier closed form against a hand-written rfftn Tikhonov ---------------
DEBLUR = (512, 2048)
DEBLUR_QUICK = (64,)


def _centred_tf(psf: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """The real-FFT transfer function of a centred PSF (what a user writes by hand)."""
    k0, k1 = psf.shape
    pad = jnp.pad(psf, ((0, shape[0] - k0), (0, shape[1] - k1)))
    return jnp.fft.rfft2(jnp.roll(pad, (-(k0 // 2), -(k1 // 2)), (0, 1)))


def hand_tikhonov(psf: jax.Array, y: jax.Array, lam: float) -> jax.Array:
    """``argmin ‖h * x − y‖² + λ‖x‖²`` by ``rfft2`` (the transfer function from the kernel)."""
    H = _centred_tf(psf, y.shape)
    X = jnp.conj(H) * jnp.fft.rfft2(y) / (H.real**2 + H.imag**2 + lam)
    return jnp.fft.irfft2(X, s=y.shape)


def hand_dct_tikhonov(psf: jax.Array, y: jax.Array, lam: float) -> jax.Array:
    """The same problem with a symmetric boundary (``scipy.ndimage`` ``mode="reflect"``) and a
    symmetric PSF, by ``jax.scipy.fft.dctn``: the eigenvalues are the first ``N`` bins of the
    PSF's transfer function on the doubled period."""
    from jax.scipy.fft import dctn, idctn

    n0, n1 = y.shape
    H = _centred_tf(psf, (2 * n0, 2 * n1))[:n0, :n1].real
    X = H * dctn(y, type=2, norm="ortho") / (H * H + lam)
    return idctn(X, type=2, norm="ortho")


def symmetric_blur(psf: jax.Array) -> ca.Operator:
    """``psf ⋆ ext_symmetric(x)``: ``scipy.ndimage.correlate(x, psf, mode="reflect")``."""
    from convalgebra.signal import extend_op

    k0, k1 = psf.shape
    e0, e1 = extend_op((k0 // 2, k0 // 2), "symmetric"), extend_op((k1 // 2, k1 // 2), "symmetric")
    return ca.corr(psf, "valid") @ ca.on_axes(e0, (-2,)) @ e1


def run_deblur(n: int, repeat: int) -> list[Result]:
    """One interleaved run at ``n × n``: ca.solve (jitted, eager), the hand rfft2 form,
    skimage's ``restoration.wiener`` (where installed), and the derived transpose of a
    circular convolution against ``ca.corr(h, "circular")``."""
    psf = jnp.asarray(_gaussian(9, 2))
    A = ca.conv(psf, "circular")
    kx, kn = jax.random.split(jax.random.key(1))
    x = jax.random.uniform(kx, (n, n), jnp.float32)
    y = A(x) + 0.01 * jax.random.normal(kn, (n, n), jnp.float32)
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)
    lam = 1e-2
    ca_x, c_ca = _compile(lambda A, y: solve(A, y, xs, reg=lam)[0], A, y)
    ca_info, c_info = _compile(lambda A, y: solve(A, y, xs, reg=lam), A, y)
    hand, c_hand = _compile(lambda psf, y: hand_tikhonov(psf, y, lam), psf, y)
    T = ca.transpose(A, xs)
    C = ca.corr(psf, "circular")
    tr, c_tr = _compile(lambda T, y: T(y), T, y)
    co, c_co = _compile(lambda C, y: C(y), C, y)
    S = symmetric_blur(psf)  # the symmetric boundary: the DCT closed form
    ys = S(x) + 0.01 * jax.random.normal(kn, (n, n), jnp.float32)
    # closed over (concrete kernels: their symmetry is checked while tracing; an operator
    # passed into jit has traced kernels, whose symmetry cannot be checked: CG)
    dct_x, c_dct = _compile(lambda y: solve(S, y, xs, reg=lam)[0], ys)
    hand_dct, c_hdct = _compile(lambda psf, y: hand_dct_tikhonov(psf, y, lam), psf, ys)
    assert solve(S, ys, xs, reg=lam)[1].method == "dct"
    t0 = time.perf_counter()
    solve(A, y, xs, reg=lam)  # the eager call compiles itself once
    c_eager = time.perf_counter() - t0
    fns: dict[str, Callable[[], Any]] = {
        "hand rfft2 Tikhonov": lambda: hand(psf, y),
        "ca.solve jit (x)": lambda: ca_x(A, y),
        "ca.solve jit (x, info)": lambda: ca_info(A, y),
        "ca.solve eager": lambda: solve(A, y, xs, reg=lam),
        "transpose(conv circular)": lambda: tr(T, y),
        "corr circular": lambda: co(C, y),
        "hand dctn Tikhonov": lambda: hand_dct(psf, ys),
        "ca.solve dct jit (x)": lambda: dct_x(ys),
    }
    compiles = {
        "hand rfft2 Tikhonov": c_hand,
        "ca.solve jit (x)": c_ca,
        "ca.solve jit (x, info)": c_info,
        "ca.solve eager": c_eager,
        "transpose(conv circular)": c_tr,
        "corr circular": c_co,
        "hand dctn Tikhonov": c_hdct,
        "ca.solve dct jit (x)": c_dct,
    }
    ref = np.asarray(hand(psf, y))
    sols = {"ca.solve jit (x)": ca_x(A, y), "ca.solve eager": solve(A, y, xs, reg=lam)[0]}
    note = ""
    try:
        from skimage import restoration

        yn, pn = np.asarray(y, np.float64), np.asarray(psf, np.float64)
        delta = np.ones((1, 1))  # reg = I: the Tikhonov problem above

        def sk():
            return restoration.wiener(yn, pn, balance=lam, reg=delta, clip=False)

        fns["skimage wiener (float64)"] = sk
        compiles["skimage wiener (float64)"] = 0.0
        sols["skimage wiener (float64)"] = sk()
    except ImportError:
        note = "scikit-image not installed: its wiener row was not timed"
    med = _interleaved(fns, repeat)
    name = f"blur_{n}"
    ref_dct = np.asarray(hand_dct(psf, ys))
    sols_dct = {"ca.solve dct jit (x)": dct_x(ys)}
    out = []
    for k in fns:
        err = None
        if k in sols:
            err = float(np.linalg.norm(np.asarray(sols[k]) - ref) / np.linalg.norm(ref))
        if k in sols_dct:
            d = np.asarray(sols_dct[k]) - ref_dct
            err = float(np.linalg.norm(d) / np.linalg.norm(ref_dct))
        out.append(Result(name, k, med[k], compiles[k], 0, None, err))
    out[0].note = note
    return out


def report_deblur(results: list[Result]) -> str:
    lines = [f"{'case':<10} {'formulation':<26} {'median ms':>10} {'compile s':>9} {'rel err':>8}"]
    for r in results:
        err = "" if r.rel_err is None else f"{r.rel_err:.1e}"
        lines.append(
            f"{r.case:<10} {r.formulation:<26} {r.median_ms:10.2f} {r.compile_s:9.2f} {err:>8}"
        )
    by = {(r.case, r.formulation): r.median_ms for r in results}
    for case in dict.fromkeys(r.case for r in results):
        hand = by[(case, "hand rfft2 Tikhonov")]
        jx = by[(case, "ca.solve jit (x)")]
        ji = by[(case, "ca.solve jit (x, info)")]
        ea = by[(case, "ca.solve eager")]
        tr = by[(case, "transpose(conv circular)")]
        co = by[(case, "corr circular")]
        line = (
            f"{case}: closed form / hand rfft2 = {jx / hand:.2f}x (with info {ji / hand:.2f}x); "
            f"eager / jit = {ea / ji:.2f}x; derived transpose / corr circular = {tr / co:.2f}x"
        )
        line += (
            f"; dct closed form / hand dctn = "
            f"{by[(case, 'ca.solve dct jit (x)')] / by[(case, 'hand dctn Tikhonov')]:.2f}x"
        )
        sk = by.get((case, "skimage wiener (float64)"))
        if sk is not None:
            line += f"; skimage wiener / closed form = {sk / jx:.1f}x"
        lines.append(line)
    lines += sorted({r.note for r in results if r.note})
    return "\n".join(lines)


def report(results: list[Result]) -> str:
    lines = [
        f"{'case':<8} {'formulation':<24} {'median ms':>10} {'compile s':>9} {'iters':>6} "
        f"{'residual':>9} {'rel err':>8}"
    ]
    for r in results:
        res = "" if r.residual is None else f"{r.residual:.1e}"
        err = "" if r.rel_err is None else f"{r.rel_err:.1e}"
        it = "" if r.iterations is None else str(r.iterations)
        lines.append(
            f"{r.case:<8} {r.formulation:<24} {r.median_ms:10.2f} {r.compile_s:9.2f} {it:>6} "
            f"{res:>9} {err:>8}"
        )
    by = {(r.case, r.formulation): r for r in results}
    for case in dict.fromkeys(r.case for r in results):
        closed = by[(case, "closed")].median_ms
        cg = by[(case, "cg (same residual)")].median_ms
        per = [r for r in results if r.case == case and r.formulation.startswith("cg x")]
        hand = [r for r in results if r.case == case and r.formulation.startswith("hand cg x")]
        lines.append(
            f"{case}: CG to the same residual / closed form = {cg / closed:.1f}x; "
            f"ca CG / hand CG per iteration = {per[0].median_ms / hand[0].median_ms:.2f}x"
        )
    notes = {r.note for r in results if r.note}
    lines += sorted(notes)
    lines.append(f"CG target residual: the closed form's, at least {TOL_FLOOR:g} (float32)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m convalgebra.bench.forms_solve")
    p.add_argument("--quick", action="store_true", help="small sizes, seconds")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--json", default=None)
    p.add_argument("--deblur-only", action="store_true", help="only the deblurring rows")
    args = p.parse_args(argv)
    results: list[Result] = []
    deblur: list[Result] = []
    x64 = jax.config.jax_enable_x64  # pyright: ignore[reportAttributeAccessIssue]  # set at runtime
    jax.config.update("jax_enable_x64", False)  # float32 throughout, as the main harness
    try:
        for n in DEBLUR_QUICK if args.quick else DEBLUR:
            print(f"blur_{n}: circular 9x9 Gaussian, {n}x{n}, λ=1e-2", file=sys.stderr)
            deblur.extend(run_deblur(n, args.repeat))
        for case in () if args.deblur_only else (QUICK if args.quick else CASES):
            print(f"{case.name}: {case.describe()}", file=sys.stderr)
            results.extend(run_case(case, args.repeat))
    finally:
        jax.config.update("jax_enable_x64", x64)
    print(f"machine: {jax.devices()[0].device_kind}, jax {jax.__version__}")
    print(report_deblur(deblur))
    if results:
        print(report(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([dataclasses.asdict(r) for r in deblur + results], f, indent=1)
    bad = [r for r in deblur + results if r.rel_err is not None and not r.rel_err <= AGREE]
    for r in bad:
        print(f"DISAGREES: {r.case} {r.formulation}: rel err {r.rel_err:.2e}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
