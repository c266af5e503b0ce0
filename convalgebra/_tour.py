"""The tour (``python -m convalgebra``): the DSP view of deep-learning convolutions, checked.

Builds the operators of the DSP view, verifies every identity numerically, prints the matrices,
and (unless ``--no-bench``) ends with a quick benchmark table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

_F64 = jax.ShapeDtypeStruct


def _matrix_str(m: np.ndarray, names: dict[float, str] | None = None) -> str:
    names = names or {}
    cells = [[names.get(round(float(v), 12), f"{float(v):g}") for v in row] for row in m]
    w = max(len(c) for row in cells for c in row)
    return "\n".join("    [ " + "  ".join(c.rjust(w) for c in row) + " ]" for row in cells)


class _Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(
        self, what: str, got: Callable[[], object], want: Callable[[], object], atol: float = 1e-6
    ) -> None:
        err = float(np.max(np.abs(np.asarray(got()) - np.asarray(want()))))
        ok = err <= atol
        if not ok:
            self.failed.append(what)
        print(f"  {'ok ' if ok else 'FAIL'} {what:<68} max|err| = {err:.1e}")


def tour(bench: bool = True) -> int:
    """Runs the tour; returns the number of identities that failed."""
    print("convalgebra tour: the DSP view of deep-learning convolutions")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}\n")
    q = jnp.array([2.0, 3.0, 5.0])  # q0, q1, q2
    names = {2.0: "q0", 3.0: "q1", 5.0: "q2", 0.0: "."}
    x4 = _F64((4,), q.dtype)

    print("1. Every operator is a matrix (ca.matrix).")
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
    print("2. The identities, verified numerically.")
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
    c.check(
        "matched filter: (q *)ᵀ = q ⋆, (q *)ᴴ = conj(q) ⋆",
        lambda: ca.adjoint(ca.conv(q * (1 + 1j)), _F64((5,), jnp.complex128))(jnp.arange(7.0) + 0j),
        lambda: ca.corr(jnp.conj(q * (1 + 1j)), "valid")(jnp.arange(7.0) + 0j),
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
    c.check(
        "dot test ⟨A x, y⟩ = ⟨x, Aᴴ y⟩ for ↓2 (w ⋆ x), 2-D, complex",
        lambda: ca.testing.check_adjoint(
            ca.down(2, ndim=2) @ ca.corr(jnp.ones((4, 3, 3, 3), jnp.complex64), "same", ndim=2),
            _F64((2, 3, 8, 8), jnp.complex64),
        ),
        lambda: 0.0,
        atol=1e-5,
    )
    print()
    print("3. The expressions in the DSP notation.")
    for op in (strided, transposed, fused, ca.down(2).on(x[0]).T):
        print(f"  {op!r:<58} {op.notation()}")
    if bench:
        _quick_bench()
    if c.failed:
        print(f"\n{len(c.failed)} identities FAILED: {c.failed}")
    else:
        print("\nall identities hold.")
    return len(c.failed)


QUICK_BENCH = ["--quick", "--suite", "strided,transposed", "--no-torch"]


def _quick_bench() -> None:
    # A separate process: the benchmark runs in float32 with JAX's defaults (the tour uses x64).
    print("\n4. A quick benchmark, small sizes (python -m convalgebra.bench for the full one).")
    sys.stdout.flush()
    cmd = [sys.executable, "-m", "convalgebra.bench", *QUICK_BENCH]
    subprocess.run(cmd, check=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m convalgebra", description=__doc__)
    p.add_argument("--no-bench", action="store_true", help="skip the quick benchmark table")
    args = p.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    return 1 if tour(bench=not args.no_bench) else 0


if __name__ == "__main__":
    sys.exit(main())
