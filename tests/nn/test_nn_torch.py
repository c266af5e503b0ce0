"""ca.nn.conv / conv_transpose against PyTorch CPU: outputs and both gradients, f32 and f64.

The grid: every combination of (layer, rank, stride, dilation, dtype) from ``itertools.product``,
each with three configurations drawn by a seeded sampler (channels, groups, sizes odd and even,
batch, padding in all its spellings, output_padding, per-axis tuples). Compile time dominates on
CPU, so the JAX side of a chunk of configurations is one jitted function (forward and VJP of
every configuration in the chunk), compiled without XLA's optimisation passes; each
configuration is still its own test.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random

import jax
import numpy as np
import pytest
from conftest import fast_jit

import convalgebra as ca

torch = pytest.importorskip("torch")
F = torch.nn.functional

KINDS = ("conv", "conv_transpose")
PER_COMBO = 3
CHUNK = 24


@dataclasses.dataclass(frozen=True)
class Config:
    kind: str
    nd: int
    batch: int
    c_in: int
    c_out: int
    groups: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: object
    padding: object
    output_padding: object
    dilation: object
    dtype: str

    def per_axis(self, v):
        return tuple(v) if isinstance(v, tuple) else (v,) * self.nd

    @property
    def x_shape(self):
        return (self.batch, self.c_in, *self.size)

    @property
    def w_shape(self):
        if self.kind == "conv":
            return (self.c_out, self.c_in // self.groups, *self.kernel)
        return (self.c_in, self.c_out // self.groups, *self.kernel)

    def kwargs(self):
        kw = dict(stride=self.stride, padding=self.padding, dilation=self.dilation)
        kw["groups"] = self.groups
        if self.kind == "conv_transpose":
            kw["output_padding"] = self.output_padding
        return kw


def _maybe_tuple(rng: random.Random, vals: tuple[int, ...]):
    """An int when all axes agree (and sometimes a tuple anyway), else the tuple."""
    if len(set(vals)) == 1 and rng.random() < 0.7:
        return vals[0]
    return vals


def _draw(rng: random.Random, kind, nd, stride, dilation, dtype) -> Config | None:
    groups = rng.choice((1, 1, 2, 3))
    c_in = groups * rng.choice((1, 2))
    c_out = groups * rng.choice((1, 2))
    small = (2, 3, 4, 5) if nd == 3 else (2, 3, 4, 5, 6, 7, 8)
    size = tuple(rng.choice(small) for _ in range(nd))
    kernel = tuple(rng.choice((1, 2, 3) if nd == 3 else (1, 2, 3, 4)) for _ in range(nd))
    strides = tuple(stride if rng.random() < 0.8 else rng.choice((1, 2, 3)) for _ in range(nd))
    dils = tuple(dilation if rng.random() < 0.8 else rng.choice((1, 2)) for _ in range(nd))
    k_eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dils))
    choice = rng.random()
    if choice < 0.15:
        padding = rng.choice(("same", "valid"))
    elif choice < 0.3 and kind == "conv":
        padding = tuple((rng.randint(0, 2), rng.randint(0, 2)) for _ in range(nd))
    else:
        padding = _maybe_tuple(rng, tuple(rng.randint(0, 2) for _ in range(nd)))
    out_pad = 0
    if kind == "conv_transpose" and not isinstance(padding, str):
        out_pad = _maybe_tuple(
            rng, tuple(rng.randint(0, max(s, d) - 1) for s, d in zip(strides, dils))
        )
    cfg = Config(
        kind, nd, rng.choice((1, 2)), c_in, c_out, groups, size, kernel,
        _maybe_tuple(rng, strides), padding, out_pad, _maybe_tuple(rng, dils), dtype,
    )  # fmt: skip
    # keep only configurations PyTorch accepts (or, for string padding, we can reproduce)
    pads = _conv_pairs(cfg) if kind == "conv" else None
    for i in range(nd):
        if kind == "conv":
            lo, hi = pads[i]
            if size[i] + lo + hi < k_eff[i]:
                return None
        elif not isinstance(padding, str):
            p = cfg.per_axis(padding)[i]
            o = cfg.per_axis(out_pad)[i]
            if (size[i] - 1) * strides[i] - 2 * p + k_eff[i] + o < 1:
                return None
    return cfg


def _conv_pairs(cfg: Config):
    s, d = cfg.per_axis(cfg.stride), cfg.per_axis(cfg.dilation)
    k_eff = [di * (k - 1) + 1 for k, di in zip(cfg.kernel, d)]
    if cfg.padding == "valid":
        return [(0, 0)] * cfg.nd
    if cfg.padding == "same":  # TensorFlow: ceil(n / s) outputs, the odd sample after
        out = []
        for n, k, si in zip(cfg.size, k_eff, s):
            total = max((-(-n // si) - 1) * si + k - n, 0)
            out.append((total // 2, total - total // 2))
        return out
    return [p if isinstance(p, tuple) else (p, p) for p in cfg.per_axis(cfg.padding)]


def build_grid() -> list[Config]:
    rng = random.Random(20240607)
    grid = []
    for kind, nd, stride, dilation, dtype in itertools.product(
        KINDS, (1, 2, 3), (1, 2, 3), (1, 2), ("float32", "float64")
    ):
        if nd == 3 and stride == 3 and dilation == 2:
            continue  # tiny 3-D inputs leave nothing to convolve
        drawn = 0
        while drawn < PER_COMBO:
            cfg = _draw(rng, kind, nd, stride, dilation, dtype)
            if cfg is not None:
                grid.append(cfg)
                drawn += 1
    return grid


GRID = build_grid()


pytestmark = pytest.mark.usefixtures("quick_compiles")


def test_grid_covers_the_issue():
    assert len(GRID) >= 200
    assert {c.nd for c in GRID} == {1, 2, 3}
    assert {c.dtype for c in GRID} == {"float32", "float64"}
    assert any(c.groups > 1 for c in GRID) and any(c.batch > 1 for c in GRID)
    assert any(c.kind == "conv_transpose" and c.output_padding not in (0, (0,) * c.nd)
               for c in GRID)  # fmt: skip
    assert {p for c in GRID for p in ("same", "valid") if c.padding == p} == {"same", "valid"}
    assert any(n % 2 == 0 for c in GRID for n in c.size)
    assert any(n % 2 == 1 for c in GRID for n in c.size)


# ---- the PyTorch side --------------------------------------------------------------------------
def _torch_forward(cfg: Config, x, w):
    conv = getattr(F, f"conv{cfg.nd}d")
    if cfg.kind == "conv":
        pairs = _conv_pairs(cfg)
        flat = [v for lo, hi in reversed(pairs) for v in (lo, hi)]  # F.pad: last axis first
        return conv(F.pad(x, flat), w, stride=cfg.stride, dilation=cfg.dilation,
                    groups=cfg.groups)  # fmt: skip
    convt = getattr(F, f"conv_transpose{cfg.nd}d")
    if not isinstance(cfg.padding, str):
        return convt(x, w, **cfg.kwargs())
    # TensorFlow's "same"/"valid": the unpadded transposed convolution, then crop (or extend)
    full = convt(x, w, stride=cfg.stride, dilation=cfg.dilation, groups=cfg.groups)
    s, d = cfg.per_axis(cfg.stride), cfg.per_axis(cfg.dilation)
    for ax, (n, k, si, di) in enumerate(zip(cfg.size, cfg.kernel, s, d)):
        k_eff = di * (k - 1) + 1
        out = n * si if cfg.padding == "same" else n * si + max(k_eff - si, 0)
        lo = max(k_eff - si, 0) // 2 if cfg.padding == "same" else 0
        axis = 2 + ax
        full = full.narrow(axis, lo, min(out, full.shape[axis] - lo))
        if full.shape[axis] < out:
            shape = list(full.shape)
            shape[axis] = out - full.shape[axis]
            full = torch.cat([full, full.new_zeros(shape)], dim=axis)
    return full


def _data(cfg: Config, index: int):
    rng = np.random.default_rng(index)
    x = rng.standard_normal(cfg.x_shape).astype(cfg.dtype)
    w = rng.standard_normal(cfg.w_shape).astype(cfg.dtype)
    return x, w


def _torch_results(cfg: Config, index: int):
    x, w = _data(cfg, index)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    y = _torch_forward(cfg, xt, wt)
    ct = torch.tensor(np.random.default_rng(index + 10**6).standard_normal(tuple(y.shape)))
    ct = ct.to(y.dtype)
    (y * ct).sum().backward()
    return x, w, ct.numpy(), (y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy())


# ---- the JAX side: one jit per chunk ------------------------------------------------------------
def _ours(cfg: Config):
    fn = ca.nn.conv if cfg.kind == "conv" else ca.nn.conv_transpose
    return functools.partial(fn, **cfg.kwargs())


@functools.cache
def _chunk(start: int):
    cfgs = GRID[start : start + CHUNK]
    data = [_torch_results(c, start + i) for i, c in enumerate(cfgs)]
    fns = [_ours(c) for c in cfgs]

    @fast_jit
    def run(args):
        outs = []
        for f, (x, w, ct) in zip(fns, args):
            y, pull = jax.vjp(f, x, w)
            outs.append((y, *pull(ct)))
        return outs

    got = run([(x, w, ct) for x, w, ct, _ in data])  # NumPy in: jnp.asarray would compile
    return [(np.asarray(y), np.asarray(gx), np.asarray(gw)) for y, gx, gw in got], [
        d[3] for d in data
    ]


def _tol(dtype: str) -> float:
    return 2e-5 if dtype == "float32" else 1e-11


@pytest.mark.parametrize("index", range(len(GRID)), ids=lambda i: f"{i}-{GRID[i].kind}")
def test_matches_torch(index):
    cfg = GRID[index]
    got, want = _chunk(index - index % CHUNK)
    got, want = got[index % CHUNK], want[index % CHUNK]
    for name, g, t in zip(("output", "grad x", "grad w"), got, want):
        assert g.shape == t.shape, (name, cfg, g.shape, t.shape)
        assert g.dtype == np.dtype(cfg.dtype), (name, g.dtype)
        scale = 1.0 + float(np.max(np.abs(t), initial=0.0))
        np.testing.assert_allclose(g, t, rtol=_tol(cfg.dtype), atol=_tol(cfg.dtype) * scale,
                                   err_msg=f"{name}: {cfg}")  # fmt: skip
