"""Operators on sharded arrays, on 8 host devices: run by ``test_sharding.py`` in a subprocess.

``python tests/lower/sharding_check.py`` sets ``XLA_FLAGS`` before JAX is imported (the test
process stays single-device), runs every check under ``jax.jit`` on a mesh of 8 CPU devices
with explicit and with auto axes, and prints ONE JSON object: ``{"cases": [...], "devices": 8}``.
Each case: ``mode`` (explicit | auto), ``shard`` (batch | spatial | halo), ``form``, ``strategy``,
``route`` (fwd | linear_transpose | vjp | kgrad | ...), ``ok`` (values equal to the
single-device result), ``spec`` (the output's sharding spec, trailing ``None`` dropped),
``want`` (the spec it must have), ``all_gathers`` (shapes of the all-gathers in the compiled HLO),
``permutes`` (collective-permutes), ``error`` (type and first line, when it raised).
"""

from __future__ import annotations

import os
import re
import sys

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
).strip()
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import json
import warnings
import zlib
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import convalgebra as ca

FAST = {"xla_cpu_use_fusion_emitters": False}  # faster compiles, same numerics
TOL = 1e-5  # float32, HIGHEST precision; relative to the largest reference value
CASES: list[dict] = []
REFS: dict[tuple, np.ndarray] = {}


def _spec(a) -> list:
    spec = [None if s is None else str(s) for s in tuple(a.sharding.spec)]
    while spec and spec[-1] is None:
        spec.pop()
    return spec


def check(mode, mesh, shard, form, strategy, route, f, x, in_spec, want):
    """Runs ``f`` on ``x`` sharded by ``in_spec`` under ``mesh``; records one case."""
    case = dict(mode=mode, shard=shard, form=form, strategy=strategy, route=route,
                want=[None if s is None else str(s) for s in want])  # fmt: skip
    try:
        key = (shard, form, strategy, route)
        if key not in REFS:  # the single-device result, shared by both kinds of mesh axes
            REFS[key] = np.asarray(jax.jit(f, compiler_options=FAST)(x))
        ref = REFS[key]
        with jax.set_mesh(mesh), warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            xs = jax.device_put(x, NamedSharding(mesh, in_spec))
            compiled = jax.jit(f, compiler_options=FAST).lower(xs).compile()
            y = compiled(xs)
        case["warnings"] = [str(w.message)[:200] for w in warned]
        hlo = compiled.as_text()
        scale = max(1.0, float(np.max(np.abs(ref))))
        err = float(np.max(np.abs(np.asarray(y) - ref))) / scale
        case.update(
            ok=bool(y.shape == ref.shape and err < TOL),
            err=err,
            spec=_spec(y),
            all_gathers=re.findall(r"= (\S+) all-gather(?:-start)?\(", hlo),
            permutes=len(re.findall(r"collective-permute(?:-start)?\(", hlo)),
        )
    except Exception as e:  # recorded: the test says which cases must work
        case.update(ok=False, error=f"{type(e).__name__}: {str(e).splitlines()[0][:300]}")
    CASES.append(case)


def main(slow: bool) -> None:
    """All checks; ``slow``: the batch grid on every form (default: strided and transposed)."""

    def r(*shape):  # the same array for the same shape in both meshes (shared references)
        rng = np.random.default_rng(zlib.crc32(repr(shape).encode()))
        return jnp.asarray(rng.standard_normal(shape), jnp.float32)

    w = r(8, 4, 3, 3)  # conv weight (C_out, C_in, K, K)
    wt = r(4, 8, 4, 4)  # conv_transpose weight (C_in, C_out, K, K)
    q = r(5)  # a 1-D single-channel filter: lead axes (B, C) merge into the conv's batch
    kernels = {"strided": w, "stride1": w, "transposed": wt, "strided_1d": q, "polyphase_1d": q}
    shapes = {  # the batch-sharded inputs
        "strided": (8, 4, 12, 10),
        "stride1": (8, 4, 12, 10),
        "transposed": (8, 4, 6, 5),
        "strided_1d": (8, 3, 21),  # single-channel filter: lead axes (B, C) merge in the conv
        "polyphase_1d": (8, 3, 11),
    }
    modes = {"explicit": AxisType.Explicit, "auto": AxisType.Auto}

    for mode, at in modes.items():
        mesh = jax.make_mesh((8,), ("b",), axis_types=(at,))
        # 1. batch-sharded: every lowered form, forward, both transposes, kernel gradient
        for form, shape in shapes.items():
            if not slow and form not in ("strided", "transposed"):
                continue
            for s in ("lax", "shift", "fft"):
                A = _op(form, kernels[form], s)
                x = r(*shape)
                y = jax.jit(A)(x)
                xl = jax.ShapeDtypeStruct(x.shape, x.dtype)
                check(mode, mesh, "batch", form, s, "fwd", A, x, P("b"), ["b"])
                for m in ("linear_transpose", "vjp"):
                    At = ca.transpose(A, xl, method=m)
                    check(mode, mesh, "batch", form, s, m, At, y, P("b"), ["b"])

                def kgrad(v, form=form, s=s):
                    def loss(kern):
                        return jnp.sum(_op(form, kern, s)(v) ** 2)

                    return jax.grad(loss)(kernels[form])

                check(mode, mesh, "batch", form, s, "kgrad", kgrad, x, P("b"), [])
        # the reproductions
        v, w16, wc = r(16, 8, 16, 16), r(8, 16, 4, 4), r(16, 8, 3, 3)
        A = ca.nn.conv_op(wc, stride=2, padding=1)
        cases = {
            "nn.conv_transpose": (partial(ca.nn.conv_transpose, w=w16, stride=2, padding=1), v),
            "transpose(conv_op)": (ca.transpose(A, jax.ShapeDtypeStruct(v.shape, v.dtype)),
                                   r(16, 16, 8, 8)),
            "grad_x(nn.conv)": (jax.grad(lambda v, A=A: jnp.sum(A(v) ** 2)), v),
        }  # fmt: skip
        for form, (f, x) in cases.items():
            check(mode, mesh, "batch", form, "default", "fwd", f, x, P("b"), ["b"])
        # several outputs: a two-level filter-bank cascade (one stacked conv per level)
        lo, hi = r(6), r(6)

        def cascade(lo, hi):
            bank = ca.branch(ca.down(2) @ ca.corr(lo, "same"), ca.down(2) @ ca.corr(hi, "same"))
            return ca.parallel(bank, None) @ bank

        casc, xc = cascade(lo, hi), r(8, 3, 32)
        yc = jax.jit(casc)(xc)

        def flat(v, casc=casc):
            return jnp.concatenate(jax.tree.leaves(casc(v)), axis=-1)

        check(mode, mesh, "batch", "cascade", "bank", "fwd", flat, xc, P("b"), ["b"])
        for m in ("linear_transpose", "vjp"):
            T = ca.transpose(casc, jax.ShapeDtypeStruct(xc.shape, xc.dtype), method=m)
            check(mode, mesh, "batch", "cascade", "bank", m, T, yc, P("b"), ["b"])
        xl = jax.ShapeDtypeStruct(xc.shape, xc.dtype)

        def kgrad_bank(v, lo=lo, hi=hi, xl=xl):
            def loss(k):  # the cascade and its derived transpose, differentiated in a filter
                c = cascade(k, hi)
                ys = c(v)
                return sum(jnp.sum(y**2) for y in jax.tree.leaves(ys)) + jnp.sum(
                    ca.transpose(c, xl)(ys) ** 2
                )

            return jax.grad(loss)(lo)

        check(mode, mesh, "batch", "cascade", "bank", "kgrad", kgrad_bank, xc, P("b"), [])

        # 2. one spatial axis sharded (H): the lax form keeps it, halos by collective-permutes
        spatial = P(None, None, "b")
        for form in ("strided", "stride1", "transposed"):
            A = _op(form, kernels[form], "lax")
            x = r(2, 4, 64, 16)
            y = jax.jit(A)(x)
            check(mode, mesh, "spatial", form, "lax", "fwd", A, x, spatial, [None, None, "b"])
            for m in ("linear_transpose", "vjp"):
                At = ca.transpose(A, jax.ShapeDtypeStruct(x.shape, x.dtype), method=m)
                check(mode, mesh, "spatial", form, "lax", m, At, y, spatial, [None, None, "b"])
            # the FFT on a sharded axis: gathers it (auto) / is refused when pinned (explicit)
            fft = _op(form, kernels[form], "fft")
            check(mode, mesh, "spatial", form, "fft", "fwd", fft, x, spatial, [None, None, "b"])
        # a long 1-D kernel: the cost model picks "fft" on one device; on an explicitly sharded
        # axis it must pick "lax" and keep the sharding
        B = ca.corr(r(16, 33), "same", ndim=1)
        xl = r(4, 16, 1024)
        check(mode, mesh, "spatial", "long_kernel", "cost model", "fwd", B, xl, spatial,
              [None, None, "b"])  # fmt: skip
        with jax.set_mesh(mesh):
            xs = jax.device_put(xl, NamedSharding(mesh, spatial))
            CASES[-1]["fft_sharded"] = " fft[" in str(jax.make_jaxpr(B)(xs))
        CASES[-1]["fft_unsharded"] = " fft[" in str(jax.make_jaxpr(B)(xl))
        # ca.pad behaves as jnp.pad: kept when the padded length divides, else JAX refuses
        # (explicit) or XLA replicates (auto)
        xp = r(2, 8, 16, 16)
        check(mode, mesh, "spatial", "pad_divisible", "-", "fwd", ca.pad(((4, 4), (3, 4))), xp,
              spatial, [None, None, "b"])  # fmt: skip
        check(mode, mesh, "spatial", "pad_uneven", "-", "fwd", ca.pad(((1, 2), (3, 4))), xp,
              spatial, [None, None, "b"])  # fmt: skip
        check(mode, mesh, "spatial", "jnp.pad_uneven", "-", "fwd",
              lambda v: jnp.pad(v, [(0, 0), (0, 0), (1, 2), (3, 4)]), xp, spatial,
              [None, None, "b"])  # fmt: skip

        # 3. pieces shorter than the halo: 16 samples over 8 devices, pieces of 2 (1-D)
        halo(mode, mesh, r)

    print(json.dumps({"devices": jax.device_count(), "cases": CASES}))


HALO = {  # form: (kernel taps, stride, up-sampling)
    "k7_s1": (7, 1, 1),  # halo 3 > piece 2: several collective-permute hops, kept
    "k7_s2": (7, 2, 1),
    "k7_up2": (7, 1, 2),
    "k15_s1": (15, 1, 1),  # each piece needs the whole axis: refused (explicit axes)
    "k16_s2": (16, 2, 1),
    "k28_up2": (28, 1, 2),
}


def halo(mode, mesh, r) -> None:
    """Kernels longer than a piece; the whole axis per piece is refused (explicit axes)."""
    for form, (k, s, u) in HALO.items():
        c = ca.corr(r(4, 4, k), "same", ndim=1)
        A = ca.down(s) @ c if s > 1 else c @ ca.up(u) if u > 1 else c
        check(mode, mesh, "halo", form, "lax", "fwd", ca.lower(A, strategy="lax"), r(2, 4, 16),
              P(None, None, "b"), [None, None, "b"])  # fmt: skip


def _op(form: str, kern, strategy: str):
    """The operator of ``form`` with kernel ``kern``, pinned to ``strategy``."""
    if form == "strided":
        A = ca.nn.conv_op(kern, stride=2, padding=1)
    elif form == "stride1":
        A = ca.nn.conv_op(kern, padding=1)
    elif form == "transposed":  # the stacked polyphase form under "lax"
        A = ca.nn.conv_transpose_op(kern, stride=2, padding=1)
    elif form == "strided_1d":
        A = ca.down(2) @ ca.corr(kern, "same")
    else:
        A = ca.conv(kern, "same") @ ca.up(2)
    return ca.lower(A, strategy=strategy)


if __name__ == "__main__":
    main(slow="--slow" in sys.argv[1:])
