"""The ``train`` benchmark: one training step of a small U-Net, in every framework.

The network (channels-first, batch 8, 3 × 128² images; PyTorch's layouts and initialisation):

* ``e1``  conv 3→32, 3×3, padding 1, ReLU                        (128²)
* ``d1``  strided conv 32→64, 4×4, stride 2, padding 1, ReLU      (64²)
* ``d2``  strided conv 64→128, 4×4, stride 2, padding 1, ReLU     (32²)
* ``u1``  transposed conv 128→64, 4×4, stride 2, padding 1, ReLU  (64²), concatenated with d1
* ``u2``  nearest ×2 then conv 128→32, 3×3, padding 1, ReLU       (128²), concatenated with e1
* ``out`` conv 64→3, 3×3, padding 1; loss: mean squared error to a target

A *step* is the loss and the gradient of every weight and bias (no optimiser update). Every
formulation starts from the same parameters and data; before timing, their losses and all
gradients are checked against each other (relative L2 error ≤ 1e-4 in float32).

Formulations: ``convalgebra`` (``ca.nn`` functions: strided and polyphase convolutions, the
nearest+conv layer fused into one transposed convolution), ``convalgebra nnx`` /
``convalgebra eqx`` (the ``flax.nnx`` / ``equinox`` models below with the modules swapped for
``convalgebra.nn.flax`` / ``.equinox``, their drop-in subclasses, and ``UpsampleConv``),
``lax`` (hand-written ``conv_general_dilated``, ``lhs_dilation`` for the transposed layer),
``flax.nnx`` (``nnx.Conv`` / ``nnx.ConvTranspose``, channels-last, Flax's native layout),
``equinox`` (``eqx.nn.Conv2d`` / ``ConvTranspose2d`` under ``vmap``) and ``torch`` (eager,
channels-first, threads = the usable cores). Frameworks that are not installed are skipped.

    python -m convalgebra.bench.forms_train            # batch 8, 128² (about a minute on 2 cores)
    python -m convalgebra.bench.forms_train --quick    # batch 2, 32²
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import convalgebra as ca

# name: (kind, c_in, c_out, kernel, stride, padding)
LAYERS = {
    "e1": ("conv", 3, 32, 3, 1, 1),
    "d1": ("conv", 32, 64, 4, 2, 1),
    "d2": ("conv", 64, 128, 4, 2, 1),
    "u1": ("conv_transpose", 128, 64, 4, 2, 1),
    "u2": ("upsample_conv", 128, 32, 3, 2, 1),
    "out": ("conv", 64, 3, 3, 1, 1),
}
TOLERANCE = 1e-9  # float64, on the check problem (see run)
CHECK = (2, 32)  # batch, size of the float64 cross-check


@dataclasses.dataclass(frozen=True)
class Problem:
    """Parameters (PyTorch layouts, NumPy float32), input and target of one training step."""

    params: dict[str, tuple[np.ndarray, np.ndarray]]
    x: np.ndarray
    target: np.ndarray


def problem(batch: int = 8, size: int = 128, seed: int = 0, dtype: Any = np.float32) -> Problem:
    """PyTorch's default initialisation (uniform in ``±1/√fan_in``), drawn with NumPy."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, (kind, ci, co, k, _, _) in LAYERS.items():
        shape = (ci, co, k, k) if kind == "conv_transpose" else (co, ci, k, k)
        bound = 1 / np.sqrt(shape[1] * k * k)
        w = rng.uniform(-bound, bound, shape).astype(dtype)
        b = rng.uniform(-bound, bound, (co,)).astype(dtype)
        params[name] = (w, b)
    x = rng.standard_normal((batch, 3, size, size)).astype(dtype)
    target = rng.standard_normal((batch, 3, size, size)).astype(dtype)
    return Problem(params, x, target)


def unet(layer: Callable[[str, Any], Any], x: Any, cat: Callable, relu: Callable) -> Any:
    """The network, given ``layer(name, h)`` and the framework's concatenate and ReLU."""
    h1 = relu(layer("e1", x))
    h2 = relu(layer("d1", h1))
    h3 = relu(layer("d2", h2))
    u = cat(relu(layer("u1", h3)), h2)
    u = cat(relu(layer("u2", u)), h1)
    return layer("out", u)


def _cat1(a, b):
    return jnp.concatenate([a, b], axis=1)


def _mse(y, t):
    return jnp.mean((y - t) ** 2)


# ---- JAX formulations: each returns (step(params_in_its_form, x, t) -> (loss, grads),
#      params_in_its_form, grads_to_torch_layout) ------------------------------------------------
def _convalgebra(p: Problem):
    def layer(params, name, h):
        kind, *_, s, pad = LAYERS[name]
        w, b = params[name]
        if kind == "conv":
            return ca.nn.conv(h, w, b, s, pad)
        if kind == "conv_transpose":
            return ca.nn.conv_transpose(h, w, b, s, pad)
        fused = ca.nn.upsample_conv_fused(w, s, pad)  # nearest ↑s then conv, one operator
        return fused(h) + b[:, None, None]

    def loss(params, x, t):
        return _mse(unet(lambda n, h: layer(params, n, h), x, _cat1, jax.nn.relu), t)

    params = {k: (jnp.asarray(w), jnp.asarray(b)) for k, (w, b) in p.params.items()}
    return jax.value_and_grad(loss), params, lambda g: g


def _lax(p: Problem):
    dn = ("NCHW", "OIHW", "NCHW")

    def layer(params, name, h):
        kind, _, _, k, s, pad = LAYERS[name]
        w, b = params[name]
        if kind == "upsample_conv":
            h = jnp.repeat(jnp.repeat(h, s, axis=2), s, axis=3)
            kind, s = "conv", 1
        if kind == "conv":
            y = lax.conv_general_dilated(h, w, (s, s), [(pad, pad)] * 2, dimension_numbers=dn)
        else:  # the transposed convolution as JAX users write it: lhs_dilation, flipped kernel
            wt = jnp.flip(jnp.swapaxes(w, 0, 1), (2, 3))
            q = k - 1 - pad
            y = lax.conv_general_dilated(h, wt, (1, 1), [(q, q)] * 2, lhs_dilation=(s, s),
                                         dimension_numbers=dn)  # fmt: skip
        return y + b[:, None, None]

    def loss(params, x, t):
        return _mse(unet(lambda n, h: layer(params, n, h), x, _cat1, jax.nn.relu), t)

    params = {k: (jnp.asarray(w), jnp.asarray(b)) for k, (w, b) in p.params.items()}
    return jax.value_and_grad(loss), params, lambda g: g


def _array_step(loss, model, to_torch):
    """``jax.value_and_grad`` over the arrays of an Equinox model (the rest stays static)."""
    import equinox as eqx

    arrays, static = eqx.partition(model, eqx.is_array)

    def loss_arrays(arrays, x, t):
        return loss(eqx.combine(arrays, static), x, t)

    return jax.value_and_grad(loss_arrays), arrays, to_torch


def _flax_nnx(p: Problem, algebra: bool = False):
    """The U-Net in Flax NNX (channels-last); ``algebra``: the same model built from
    ``convalgebra.nn.flax`` (drop-in subclasses of ``nnx.Conv``/``nnx.ConvTranspose``, and
    ``UpsampleConv``: nearest x2 and the conv as one transposed convolution)."""
    from flax import nnx

    lib: Any = nnx
    if algebra:
        from ..nn import flax as lib

    class Net(nnx.Module):
        def __init__(self):
            rngs = nnx.Rngs(0)
            dt = p.x.dtype
            self.layers = nnx.Dict()
            for name, (kind, ci, co, k, s, pad) in LAYERS.items():
                w, b = p.params[name]
                pads = ((pad, pad), (pad, pad))
                if kind == "conv_transpose":  # PyTorch's padding p is k - 1 - p on each side
                    q = k - 1 - pad
                    m = lib.ConvTranspose(
                        ci, co, (k, k), (s, s), padding=((q, q), (q, q)),
                        transpose_kernel=True, param_dtype=dt, rngs=rngs,
                    )  # fmt: skip
                    m.kernel[...] = jnp.asarray(w.transpose(2, 3, 1, 0))  # (k, k, C_out, C_in)
                elif kind == "upsample_conv" and algebra:
                    m = lib.UpsampleConv(ci, co, (k, k), s, padding=pads, param_dtype=dt,
                                         rngs=rngs)  # fmt: skip
                    m.kernel[...] = jnp.asarray(w.transpose(2, 3, 1, 0))  # (k, k, C_in, C_out)
                else:
                    st = 1 if kind == "upsample_conv" else s
                    m = lib.Conv(ci, co, (k, k), (st, st), padding=pads, param_dtype=dt,
                                 rngs=rngs)  # fmt: skip
                    m.kernel[...] = jnp.asarray(w.transpose(2, 3, 1, 0))  # (k, k, C_in, C_out)
                assert m.bias is not None  # use_bias defaults to True
                m.bias[...] = jnp.asarray(b)
                self.layers[name] = m

        def layer(self, name, h):
            if LAYERS[name][0] == "upsample_conv" and not algebra:
                s = LAYERS[name][4]
                h = jnp.repeat(jnp.repeat(h, s, axis=1), s, axis=2)
            return self.layers[name](h)

        def __call__(self, x):  # x: NHWC
            def cat(a, b):
                return jnp.concatenate([a, b], axis=-1)

            return unet(self.layer, x, cat, jax.nn.relu)

    graphdef, state = nnx.split(Net())

    def loss(state, x, t):  # NCHW in, as every formulation: the layout change is in the step
        y = nnx.merge(graphdef, state)(jnp.transpose(x, (0, 2, 3, 1)))
        return _mse(jnp.transpose(y, (0, 3, 1, 2)), t)

    def to_torch(g):
        out = {}
        for n in LAYERS:
            kern = g["layers"][n]["kernel"]
            kern = kern[...] if isinstance(kern, nnx.Variable) else kern
            bias = g["layers"][n]["bias"]
            bias = bias[...] if isinstance(bias, nnx.Variable) else bias
            out[n] = (jnp.transpose(kern, (3, 2, 0, 1)), bias)
        return out

    return jax.value_and_grad(loss), state, to_torch


def _equinox(p: Problem, algebra: bool = False):
    """The U-Net in Equinox (unbatched channels-first under ``vmap``); ``algebra``: built from
    ``convalgebra.nn.equinox`` (drop-in subclasses of ``eqx.nn.Conv2d``/``ConvTranspose2d``,
    and ``UpsampleConv``)."""
    import equinox as eqx

    lib: Any = eqx.nn
    if algebra:
        from ..nn import equinox as lib

    keys = iter(jax.random.split(jax.random.key(0), len(LAYERS)))
    mods = {}
    for name, (kind, ci, co, k, s, pad) in LAYERS.items():
        w, b = p.params[name]
        if kind == "conv_transpose":
            m = lib.ConvTranspose2d(ci, co, k, stride=s, padding=pad, key=next(keys))
            wq = np.flip(w.swapaxes(0, 1), (2, 3)).copy()  # Equinox correlates with its weight
        elif kind == "upsample_conv" and algebra:
            m = lib.UpsampleConv(2, ci, co, k, s, padding=pad, key=next(keys))
            wq = w
        else:
            st = 1 if kind == "upsample_conv" else s
            m = lib.Conv2d(ci, co, k, stride=st, padding=pad, key=next(keys))
            wq = w
        mods[name] = eqx.tree_at(lambda m: (m.weight, m.bias), m,
                                 (jnp.asarray(wq), jnp.asarray(b)[:, None, None]))  # fmt: skip

    def layer(mods, name, h):  # h: (C, H, W), one sample (Equinox style)
        if LAYERS[name][0] == "upsample_conv" and not algebra:
            s = LAYERS[name][4]
            h = jnp.repeat(jnp.repeat(h, s, axis=1), s, axis=2)
        return mods[name](h)

    def one(mods, x):
        def cat(a, b):
            return jnp.concatenate([a, b], axis=0)

        return unet(lambda n, h: layer(mods, n, h), x, cat, jax.nn.relu)

    def loss(mods, x, t):
        return _mse(jax.vmap(lambda xi: one(mods, xi))(x), t)

    def to_torch(g):
        out = {}
        for n, (kind, *_) in LAYERS.items():
            w = g[n].weight
            if kind == "conv_transpose":
                w = jnp.swapaxes(jnp.flip(w, (2, 3)), 0, 1)
            out[n] = (w, g[n].bias[:, 0, 0])
        return out

    return _array_step(loss, mods, to_torch)


JAX_FORMS: dict[str, tuple[Callable, str | None]] = {
    "convalgebra": (_convalgebra, None),
    "convalgebra nnx": (functools.partial(_flax_nnx, algebra=True), "flax"),
    "convalgebra eqx": (functools.partial(_equinox, algebra=True), "equinox"),
    "lax": (_lax, None),
    "flax.nnx": (_flax_nnx, "flax"),
    "equinox": (_equinox, "equinox"),
}


# ---- PyTorch ----------------------------------------------------------------------------------
TORCH_DEVICE = ["cpu"]  # "cuda" with --torch-device cuda (benchmarks/gpu.sh)


def _torch(p: Problem, threads: int | None):
    import torch

    dev = torch.device(TORCH_DEVICE[0])
    if dev.type == "cuda":  # true float32, as JAX's Precision.HIGHEST
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    else:
        torch.set_num_threads(threads or len(os.sched_getaffinity(0)))
    F = torch.nn.functional

    def tensor(a, grad=False):
        return torch.tensor(a, device=dev, requires_grad=grad)

    params = {n: (tensor(w, True), tensor(b, True)) for n, (w, b) in p.params.items()}
    x, t = tensor(p.x), tensor(p.target)

    def layer(name, h):
        kind, *_, s, pad = LAYERS[name]
        w, b = params[name]
        if kind == "conv":
            return F.conv2d(h, w, b, s, pad)
        if kind == "conv_transpose":
            return F.conv_transpose2d(h, w, b, s, pad)
        return F.conv2d(F.interpolate(h, scale_factor=s, mode="nearest"), w, b, 1, pad)

    def step():
        for w, b in params.values():
            w.grad = b.grad = None
        y = unet(layer, x, lambda a, b: torch.cat([a, b], 1), torch.relu)
        loss = torch.mean((y - t) ** 2)
        loss.backward()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return loss

    def result():
        loss = step()
        grads = {
            n: (w.grad.cpu().numpy(), b.grad.cpu().numpy())  # pyright: ignore[reportOptionalMemberAccess]  # set by backward()
            for n, (w, b) in params.items()
        }
        return float(loss.detach()), grads

    return step, result


# ---- running ----------------------------------------------------------------------------------
def _rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def _prepare(name: str, p: Problem, torch_threads: int | None):
    """``(runner, result)``: a timed call, and ``(loss, grads in PyTorch layout)`` (NumPy)."""
    if name == "torch":
        step, result = _torch(p, torch_threads)
        return step, result, None
    build, _ = JAX_FORMS[name]
    vg, params, to_torch = build(p)
    x, t = jnp.asarray(p.x), jnp.asarray(p.target)
    t0 = time.perf_counter()
    compiled = jax.jit(vg).lower(params, x, t).compile()
    compile_s = time.perf_counter() - t0

    def result():
        loss, grads = compiled(params, x, t)
        g = to_torch(grads)
        return float(loss), {n: tuple(np.asarray(a) for a in g[n]) for n in LAYERS}

    def go():
        jax.block_until_ready(compiled(params, x, t))

    return go, result, compile_s


def _check(names: list[str], torch_threads: int | None) -> dict[str, tuple[float, str]]:
    """Loss and every gradient of each formulation against the first, in float64.

    In float32 the formulations' different summation orders flip a few ReLUs whose input is
    within rounding of zero, which moves the gradients of the deep layers by about 1e-4
    (PyTorch float32 and JAX float32 differ from PyTorch float64 by 1e-6 and 5e-5 there): the
    check runs on a smaller problem in float64 instead, where every formulation agrees to 1e-12.
    """
    p = problem(*CHECK, dtype=np.float64)
    results = {}
    with jax.enable_x64(True):
        for name in names:
            results[name] = _prepare(name, p, torch_threads)[1]()
    ref = names[0]
    rl, rg = results[ref]
    out = {}
    for name, (loss, grads) in results.items():
        errs = [_rel(loss, rl)] + [_rel(a, b) for n in LAYERS for a, b in zip(grads[n], rg[n])]
        out[name] = (max(errs), ref)
    return out


def run(
    batch: int = 8,
    size: int = 128,
    repeat: int = 10,
    budget: float = 5.0,
    torch_threads: int | None = None,
    forms: list[str] | None = None,
) -> list[dict]:
    """Checks every available formulation against the first, then times each; returns rows.

    Each row: ``formulation``, ``median_ms``, ``iqr_ms``, ``compile_s`` (JAX), ``ratio_to_best``,
    ``n_repeats``, ``status`` (``"ok"``, ``"skipped: ..."``, ``"mismatch: ..."``), ``rel_err``
    (the largest relative L2 error of the loss and any gradient against the first formulation,
    in the float64 check) and ``checked_against``.
    """
    rows: list[dict] = []
    names = []
    for name in forms or [*JAX_FORMS, "torch"]:
        row: dict[str, Any] = {"formulation": name, "batch": batch, "size": size}
        rows.append(row)
        need = JAX_FORMS[name][1] if name in JAX_FORMS else "torch"
        if need and importlib.util.find_spec(need) is None:
            row["status"] = f"skipped: {need} is not installed"
        else:
            names.append(name)
    checked = _check(names, torch_threads) if names else {}
    for row in rows:
        if row["formulation"] in checked:
            err, ref = checked[row["formulation"]]
            row["rel_err"], row["checked_against"] = err, ref
            row["status"] = "ok" if err <= TOLERANCE else f"mismatch: rel err {err:.2e} vs {ref}"
    ok = [r for r in rows if r.get("status") == "ok"]
    p = problem(batch, size)
    runners = {}
    for row in ok:
        runners[row["formulation"]], _, compile_s = _prepare(row["formulation"], p, torch_threads)
        if compile_s is not None:
            row["compile_s"] = compile_s
    timings: dict[str, list[float]] = {n: [] for n in runners}
    for fn in runners.values():  # warm-up, one call each
        fn()
    deadline = time.perf_counter() + budget * max(len(runners), 1)
    for i in range(max(1, repeat)):  # interleaved
        for n, fn in runners.items():
            t0 = time.perf_counter()
            fn()
            timings[n].append(1e3 * (time.perf_counter() - t0))
        if i >= 2 and time.perf_counter() > deadline:
            break
    for row in rows:
        ts = timings.get(row["formulation"])
        if ts:
            q = np.percentile(ts, [25, 75])
            row.update(median_ms=statistics.median(ts), iqr_ms=float(q[1] - q[0]),
                       n_repeats=len(ts))  # fmt: skip
    best = min((r["median_ms"] for r in rows if "median_ms" in r), default=None)
    for row in rows:
        if "median_ms" in row and best:
            row["ratio_to_best"] = row["median_ms"] / best
    return rows


# ---- per layer: where the time goes -----------------------------------------------------------
def _layer_inputs(p: Problem) -> dict[str, np.ndarray]:
    """Each layer's input in the U-Net (shapes only matter: random data of that shape)."""
    b, _, n, _ = p.x.shape
    rng = np.random.default_rng(1)
    shapes = {"e1": (b, 3, n, n), "d1": (b, 32, n, n), "d2": (b, 64, n // 2, n // 2),
              "u1": (b, 128, n // 4, n // 4), "u2": (b, 128, n // 2, n // 2),
              "out": (b, 64, n, n)}  # fmt: skip
    return {k: rng.standard_normal(v).astype(p.x.dtype) for k, v in shapes.items()}


def layer_rows(
    batch: int = 8, size: int = 128, repeat: int = 5, torch_threads: int | None = None
) -> list[dict]:
    """Forward + input, weight and bias gradients of each layer alone: convalgebra, lax, torch.

    Rows: ``layer``, ``formulation``, ``median_ms``. Tells which layers lose to PyTorch.
    """
    p = problem(batch, size)
    inputs = _layer_inputs(p)
    rows = []
    import torch

    torch.set_num_threads(torch_threads or len(os.sched_getaffinity(0)))
    F = torch.nn.functional

    def ca_layer(name, w, b, h):
        kind, *_, s, pad = LAYERS[name]
        if kind == "conv":
            return ca.nn.conv(h, w, b, s, pad)
        if kind == "conv_transpose":
            return ca.nn.conv_transpose(h, w, b, s, pad)
        return ca.nn.upsample_conv_fused(w, s, pad)(h) + b[:, None, None]

    def lax_layer(name, w, b, h):
        kind, _, _, k, s, pad = LAYERS[name]
        dn = ("NCHW", "OIHW", "NCHW")
        if kind == "upsample_conv":
            h = jnp.repeat(jnp.repeat(h, s, axis=2), s, axis=3)
            kind, s = "conv", 1
        if kind == "conv":
            y = lax.conv_general_dilated(h, w, (s, s), [(pad, pad)] * 2, dimension_numbers=dn)
        else:
            wt = jnp.flip(jnp.swapaxes(w, 0, 1), (2, 3))
            q = k - 1 - pad
            y = lax.conv_general_dilated(h, wt, (1, 1), [(q, q)] * 2, lhs_dilation=(s, s),
                                         dimension_numbers=dn)  # fmt: skip
        return y + b[:, None, None]

    for name in LAYERS:
        w, b = p.params[name]
        h = inputs[name]
        timed = {}
        for form, fn in (("convalgebra", ca_layer), ("lax", lax_layer)):

            def step(w, b, h, fn=fn, name=name):
                y, pull = jax.vjp(lambda w, b, h: fn(name, w, b, h), w, b, h)
                return pull(jnp.ones_like(y))

            c = jax.jit(step).lower(w, b, h).compile()
            args = (jnp.asarray(w), jnp.asarray(b), jnp.asarray(h))
            timed[form] = lambda c=c, args=args: jax.block_until_ready(c(*args))
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)
        ht = torch.tensor(h, requires_grad=True)

        def torch_step(name=name, wt=wt, bt=bt, ht=ht):
            kind, *_, s, pad = LAYERS[name]
            wt.grad = bt.grad = ht.grad = None
            if kind == "conv":
                y = F.conv2d(ht, wt, bt, s, pad)
            elif kind == "conv_transpose":
                y = F.conv_transpose2d(ht, wt, bt, s, pad)
            else:
                y = F.conv2d(F.interpolate(ht, scale_factor=s), wt, bt, 1, pad)
            y.backward(torch.ones_like(y))

        timed["torch"] = torch_step
        ts: dict[str, list[float]] = {k: [] for k in timed}
        for fn in timed.values():
            fn()
        for _ in range(repeat):
            for k, fn in timed.items():
                t0 = time.perf_counter()
                fn()
                ts[k].append(1e3 * (time.perf_counter() - t0))
        for k, v in ts.items():
            rows.append({"layer": name, "formulation": k, "median_ms": statistics.median(v)})
    return rows


def layer_table(rows: list[dict]) -> str:
    """One line per layer: the median ms of each formulation and convalgebra / torch."""
    forms = list(dict.fromkeys(r["formulation"] for r in rows))
    lines = ["| layer | " + " | ".join(f"{f} ms" for f in forms) + " | convalgebra / torch |",
             "|---|" + "---:|" * (len(forms) + 1)]  # fmt: skip
    for layer in dict.fromkeys(r["layer"] for r in rows):
        ms = {r["formulation"]: r["median_ms"] for r in rows if r["layer"] == layer}
        ratio = ms["convalgebra"] / ms["torch"] if "torch" in ms else float("nan")
        cells = " | ".join(f"{ms[f]:.1f}" for f in forms)
        lines.append(f"| {layer} | {cells} | {ratio:.2f} |")
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    """A Markdown table of the rows."""
    lines = ["| formulation | median ms | IQR ms | compile s | x best | n | status |",
             "|---|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in rows:

        def f(key, fmt, r=r):
            return format(r[key], fmt) if key in r else ""

        lines.append(
            f"| {r['formulation']} | {f('median_ms', '.1f')} | {f('iqr_ms', '.1f')} | "
            f"{f('compile_s', '.2f')} | {f('ratio_to_best', '.2f')} | {f('n_repeats', 'd')} | "
            f"{r.get('status', '')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m convalgebra.bench.forms_train", description=(__doc__ or "").split("\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="batch 2, 32² images")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--budget", type=float, default=5.0, help="seconds of timing per formulation")
    ap.add_argument("--torch-threads", type=int, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--markdown", default=None, help="write the table as Markdown")
    ap.add_argument(
        "--torch-device", default="cpu", choices=("cpu", "cuda"), help="PyTorch's device"
    )
    ap.add_argument("--layers", action="store_true", help="also time each layer alone")
    args = ap.parse_args(argv)
    TORCH_DEVICE[0] = args.torch_device
    batch, size = (2, 32) if args.quick else (8, 128)
    rows = run(batch, size, args.repeat, args.budget, args.torch_threads)
    title = (
        f"U-Net training step, batch {batch}, {size}², float32, JAX on "
        f"{jax.devices()[0].platform}, torch on {args.torch_device}"
    )
    print(title)
    print(table(rows))
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(f"{title}\n\n{table(rows)}\n")
    if args.layers:
        print("\nEach layer alone (forward + input, weight and bias gradients):")
        print(layer_table(layer_rows(batch, size, args.repeat, args.torch_threads)))
    if args.json:
        import json

        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0 if all(r.get("status", "").startswith(("ok", "skipped")) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
