"""Measures the lowering targets of issue 5 on this machine: ``python -m convalgebra._measure``.

Medians of interleaved runs (each variant jitted, warmed up, then timed round-robin in
alternating order). Prints, per
case, milliseconds and the ratio of convalgebra (lowered ``A(x)``) to each reference. Pass
``--quick`` for smaller shapes.
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import convalgebra as ca


def _time(fns: dict, args: dict, repeats: int) -> dict:
    jitted = {k: jax.jit(f) for k, f in fns.items()}
    for k, f in jitted.items():
        jax.block_until_ready(f(*args[k]))
    ts: dict = {k: [] for k in fns}
    order = list(jitted)
    for i in range(repeats):  # round-robin, alternating direction: no variant always follows
        for k in order if i % 2 == 0 else order[::-1]:  # the same (cache-evicting) neighbour
            f = jitted[k]
            t0 = time.perf_counter()
            jax.block_until_ready(f(*args[k]))
            ts[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) * 1e3 for k, v in ts.items()}


def _s2d(x, w, s, pads):
    """Hand-written space-to-depth strided correlation (its JAX transpose is polyphase)."""
    nd = w.ndim - 2
    k = w.shape[2:]
    x = jnp.pad(x, [(0, 0), (0, 0), *pads])
    n = x.shape[2:]
    out = [(a - b) // s + 1 for a, b in zip(n, k)]
    kp = [-(-b // s) for b in k]
    need = [(o - 1 + q) * s for o, q in zip(out, kp)]
    x = lax.pad(x, 0.0, [(0, 0, 0)] * 2 + [(0, a - b, 0) for a, b in zip(need, n)])
    b, c = x.shape[:2]
    o = w.shape[0]
    wp = jnp.pad(w, [(0, 0), (0, 0)] + [(0, q * s - kk) for q, kk in zip(kp, k)])
    if nd == 1:
        xs = x.reshape(b, c, need[0] // s, s).transpose(0, 1, 3, 2).reshape(b, c * s, -1)
        ws = wp.reshape(o, c, kp[0], s).transpose(0, 1, 3, 2).reshape(o, c * s, kp[0])
    else:
        xs = x.reshape(b, c, need[0] // s, s, need[1] // s, s).transpose(0, 1, 3, 5, 2, 4)
        xs = xs.reshape(b, c * s * s, need[0] // s, need[1] // s)
        ws = wp.reshape(o, c, kp[0], s, kp[1], s).transpose(0, 1, 3, 5, 2, 4)
        ws = ws.reshape(o, c * s * s, kp[0], kp[1])
    return lax.conv_general_dilated(xs, ws, (1,) * nd, "VALID")


def _d2s_transposed(y, w, s, pads, n):
    """Hand-written transpose of :func:`_s2d` as a forward program: explicit ``jnp.pad``, ONE
    VALID stride-1 convolution with all ``s^d`` phases as output channels, depth-to-space, crop.
    (The "polyphase forward with explicit padding" a training step is compared against.)"""
    nd = w.ndim - 2
    k = w.shape[2:]
    o, c = w.shape[:2]
    kp = [-(-b // s) for b in k]
    wp = jnp.pad(w, [(0, 0), (0, 0)] + [(0, q * s - kk) for q, kk in zip(kp, k)])
    if nd == 1:
        ws = wp.reshape(o, c, kp[0], s).transpose(0, 1, 3, 2).reshape(o, c * s, kp[0])
    else:
        ws = wp.reshape(o, c, kp[0], s, kp[1], s).transpose(0, 1, 3, 5, 2, 4)
        ws = ws.reshape(o, c * s * s, kp[0], kp[1])
    wt = jnp.flip(jnp.swapaxes(ws, 0, 1), tuple(range(2, 2 + nd)))  # (C·s^d, O, *kp)
    yp = jnp.pad(y, [(0, 0), (0, 0)] + [(q - 1, q - 1) for q in kp])
    z = lax.conv_general_dilated(yp, wt, (1,) * nd, "VALID")  # (B, C·s^d, *m)
    b, m = z.shape[0], z.shape[2:]
    if nd == 1:
        z = z.reshape(b, c, s, m[0]).transpose(0, 1, 3, 2).reshape(b, c, m[0] * s)
    else:
        z = z.reshape(b, c, s, s, m[0], m[1]).transpose(0, 1, 4, 2, 5, 3)
        z = z.reshape(b, c, m[0] * s, m[1] * s)
    idx = (slice(None), slice(None)) + tuple(slice(lo, lo + nn) for (lo, _), nn in zip(pads, n))
    return z[idx]


def _shift_depthwise(x, w):
    k = w.shape[-1]
    xp = jnp.pad(x, [(0, 0), (0, 0), (k // 2, (k - 1) // 2)])
    n = x.shape[-1]
    return sum(w[:, j, None] * xp[..., j : j + n] for j in range(k))


def strided(shape, k, s, repeats):
    nd = len(shape) - 2
    key = jax.random.key(0)
    x = jax.random.normal(key, shape, jnp.float32)
    w = jax.random.normal(key, (shape[1], shape[1], *(k,) * nd), jnp.float32) * 0.1
    pads = [(k // 2, (k - 1) // 2)] * nd
    A = ca.down(s, ndim=nd) @ ca.corr(w, "same", nd)
    y = jnp.ones(A.out_struct(x).shape, jnp.float32)
    xs = jax.ShapeDtypeStruct(x.shape, x.dtype)

    def lax_strided(x, w):
        return lax.conv_general_dilated(x, w, (s,) * nd, pads)

    def lowered(x, w):
        return (ca.down(s, ndim=nd) @ ca.corr(w, "same", nd))(x)

    def written(x, w):
        return ca.as_written(ca.down(s, ndim=nd) @ ca.corr(w, "same", nd))(x)

    def t_lowered(y, w):
        return ca.transpose(ca.down(s, ndim=nd) @ ca.corr(w, "same", nd), xs)(y)

    def t_poly(y, w):
        return jax.linear_transpose(lambda x: _s2d(x, w, s, pads), xs)(y)[0]

    def t_d2s(y, w):
        return _d2s_transposed(y, w, s, pads, shape[2:])

    def t_lax(y, w):
        return jax.linear_transpose(lambda x: lax_strided(x, w), xs)(y)[0]

    def kg(f):
        return lambda x, w: jax.grad(lambda w: jnp.sum(f(x, w) * y))(w)

    # the transposed convolution corr(wᵀ) ∘ ↑s and its training step (forward + kernel grad)
    def tc_lowered(y, w):
        return jnp.sum(ca.transpose(ca.down(s, ndim=nd) @ ca.corr(w, "same", nd), xs)(y) ** 2)

    def tc_poly(y, w):
        return jnp.sum(t_poly(y, w) ** 2)

    def tc_d2s(y, w):
        return jnp.sum(t_d2s(y, w) ** 2)

    def tc_convt(y, w):
        wt = jnp.swapaxes(w, 0, 1)
        pad_t = [(k - 1 - a, k - 1 - b + (shape[2 + i] + a + b - k) % s) for i, (a, b) in
                 enumerate(pads)]  # fmt: skip
        z = lax.conv_general_dilated(y, jnp.flip(wt, tuple(range(2, 2 + nd))), (1,) * nd,
                                     pad_t, lhs_dilation=(s,) * nd)  # fmt: skip
        return jnp.sum(z**2)

    fns = {
        "fwd lowered": lowered, "fwd lax strided": lax_strided, "fwd as written": written,
        "T lowered": t_lowered, "T polyphase (hand)": t_poly, "T d2s explicit pad (hand)": t_d2s,
        "T linear_transpose(lax)": t_lax,
        "kgrad lowered": kg(lowered), "kgrad lax strided": kg(lax_strided),
        "train-T lowered": jax.grad(tc_lowered, 1), "train-T polyphase (hand)": jax.grad(
            tc_poly, 1), "train-T d2s explicit pad (hand)": jax.grad(tc_d2s, 1),
        "train-T conv_transpose": jax.grad(tc_convt, 1),
    }  # fmt: skip
    args = {n: ((y, w) if n.startswith(("T ", "train")) else (x, w)) for n in fns}
    return _time(fns, args, repeats)


def depthwise(shape, k, repeats):
    key = jax.random.key(1)
    x = jax.random.normal(key, shape, jnp.float32)
    w = jax.random.normal(key, (shape[1], k), jnp.float32)

    def lowered(x, w):
        return ca.corr(w, "same", 1)(x)

    def grouped(x, w):
        return lax.conv_general_dilated(x, w[:, None], (1,), [(k // 2, (k - 1) // 2)],
                                        feature_group_count=shape[1])  # fmt: skip

    fns = {"dw lowered": lowered, "dw lax grouped": grouped}
    if k <= 64:
        fns["dw shifted MAs (hand)"] = _shift_depthwise
    return _time(fns, dict.fromkeys(fns, (x, w)), repeats)


def _report(title, t, base, refs):
    print(f"\n## {title}")
    for name, ms in t.items():
        print(f"  {name:28s} {ms:9.2f} ms")
    for r in refs:
        print(f"  ratio {base} / {r}: {t[base] / t[r]:.2f}")


_COLUMNS = [  # (column, numerator, denominators): ratios < 1 mean convalgebra is faster
    ("fwd / lax strided", "fwd lowered", ["fwd lax strided"]),
    ("T / best hand polyphase", "T lowered", ["T polyphase (hand)", "T d2s explicit pad (hand)"]),
    ("T / linear_transpose(lax)", "T lowered", ["T linear_transpose(lax)"]),
    ("kgrad / lax strided", "kgrad lowered", ["kgrad lax strided"]),
    ("train-T / hand d2s", "train-T lowered", ["train-T d2s explicit pad (hand)"]),
    ("conv_transpose / train-T", "train-T conv_transpose", ["train-T lowered"]),
]


def _summary(rows: dict) -> None:
    print("\n## summary (ratios of medians; last column: how many times faster)")
    print("| case | " + " | ".join(c for c, _, _ in _COLUMNS) + " |")
    print("|---" * (len(_COLUMNS) + 1) + "|")
    for case, t in rows.items():
        cells = []
        for _, a, bs in _COLUMNS:
            b = min((t[x] for x in bs if x in t), default=None)
            cells.append(f"{t[a] / b:.2f}" if a in t and b else "-")
        print(f"| {case} | " + " | ".join(cells) + " |")


def main(argv):
    quick = "--quick" in argv
    only = [a.split("=", 1)[1] for a in argv if a.startswith("--only=")]
    rep = 3 if quick else 7
    n1, n2 = (2048, 32) if quick else (16384, 128)
    cases = {
        f"1-D 8x64->64x{n1} k=9 s=2": ((8, 64, n1), 9, 2),
        f"1-D 8x64->64x{n1} k=9 s=4": ((8, 64, n1), 9, 4),
        f"2-D 8x64->64x{n2}^2 k=3 s=2": ((8, 64, n2, n2), 3, 2),
        f"2-D 8x64->64x{n2}^2 k=4 s=2": ((8, 64, n2, n2), 4, 2),
    }
    rows = {}
    for name, (shape, k, s) in cases.items():
        if only and not any(o in name for o in only):
            continue
        t = strided(shape, k, s, rep)
        rows[name] = t
        for grp in ("fwd", "T", "kgrad", "train-T"):
            sub = {kk: v for kk, v in t.items() if kk.split(" ")[0] == grp}
            base = f"{grp} lowered"
            _report(f"{name}: {grp}", sub, base, [kk for kk in sub if kk != base])
    if not only or "depthwise" in only:
        for k in (9, 257):
            t = depthwise((8, 64, n1), k, rep)
            _report(
                f"depthwise 8x64x{n1}, k={k}", t, "dw lowered", [kk for kk in t if kk[3] != "l"]
            )
    _summary(rows)
    print(f"\n{jax.devices()[0].device_kind}, jax {jax.__version__}, float32, medians of {rep}")


if __name__ == "__main__":
    main(sys.argv[1:])
