"""The cost model: which strategy runs a convolution, and whether two kernels are merged.

All platform knowledge lives in :data:`TUNING`, one entry per JAX backend; nothing else in the
compiler asks which platform it runs on. Measured on a 2-core CPU, jax 0.10.2, float32 (medians
of jitted calls):

* XLA's convolution: ~50 GFLOP/s with channel mixing, ~10-20 single-channel, ~1 with feature
  groups (depthwise);
* shifted multiply-adds are memory-bound: ~1-3 ns per output sample plus ~0.04 ns per tap while
  XLA keeps the taps in one fusion (measured up to 64 taps); 1024 taps ran at ~0.5 ns per tap;
* FFTs: ~4 ns per sample per transform at length ~2^14, growing with log2(length);
* kernel gradients: the transpose of shifted multiply-adds is one reduction per tap,
  ~1.3 ns per tap and output; XLA's kernel-gradient convolution of a single-channel stride-1
  correlation ~0.15 ns per tap and output;
* compile time: every emitted operation costs compile time once; it is charged amortised over
  :data:`AMORTIZE` calls, so an unrolled program must win by more than its compile time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._static.shapes import fast_len
from .._static.structs import FFT_DTYPES, Kind, Shape
from .ir import Conv

STRATEGIES = ("lax", "shift", "fft")

TUNING: dict[str, dict[str, Any]] = {
    "cpu": {
        "rates": {
            ("lax", Kind.MIXING): 50e9,
            ("lax", Kind.DEPTHWISE): 1.2e9,
            ("lax", Kind.SINGLE): 12e9,
            ("shift", Kind.MIXING): 15e9,
            # the per-frequency channel mixing (complex matmuls): a 2-D transposed layer
            # (8x128x32², 128->64, k4 s2) ran 749 ms by FFT against 136 ms by lax, where 50e9
            # had predicted 158 vs 172 ms
            ("fft", Kind.MIXING): 8e9,
        },
        # 2-D convolutions with > 16 features are routed to YNNPACK unless an output axis is
        # longer than its input; the stacked polyphase form then ran 1.7-1.9x slower (see
        # conv._grow_output)
        "ynnpack_guard": True,
        # merged 2-D channel-mixing kernels ran 1.4-1.9x slower than the two convolutions
        "merged_2d_penalty": 2.0,
        # rational resampling ↓Q (w ⋆) ↑P (_lower/resample.py, strategy "poly"): the block
        # form (x as rows of Q, one (rows, Q) @ (Q, P) product, no copy) or G chunked
        # (rows, L) @ (L, P/G) products on windows. rate/rate_f64: peak flops/s of the product,
        # times k / (k + k_half) for a contraction of k and sqrt(n / n_full) for n < n_full
        # outputs (YNNPACK, 2-core EPYC: 50 GF/s f32 and 9 GF/s f64 at (38, 20), 76/22 at
        # (147, 160), 70/36 at (441, 160)); window (+ window_per_chunk x G): seconds per
        # window sample written and read again (one fusion per chunk, from x), interleave: per
        # output sample (the G products into the output's layout, or the block form's pass);
        # float32 figures, x2 for float64; x in_cache where the arrays fit in cache_bytes.
        # 16 x 441000 float32, one run (load 5): 160/147 block 82 ms, G 1/2/4/8/16
        # 85/64/72/111/165, SciPy 119; 441/160 G 1/3/7/9/21 316/273/261/270/340, SciPy 392
        # max_windows: the windows read at most this x (input + output) samples (peak memory)
        "rational": {
            "rate": 86e9,
            "rate_f64": 37e9,
            "k_half": 20.0,
            "k_half_f64": 100.0,
            "n_full": 32.0,
            "window": 1.5e-9,
            "window_per_chunk": 0.15e-9,
            "interleave": 1.5e-9,
            "in_cache": 0.2,
            "cache_bytes": 24e6,
            "max_chunks": 64,
            "max_windows": 1.0,
        },
        # two-channel banks (wavelets, _lower/multirate.py): "polyphase" (the extension
        # materialised from slices, taps read from the two phases) or "lowered" (Extend, then
        # the strided 1 -> 2 channel convolution). 8 x 512^2 db4 level 4 (wavedec2): polyphase
        # 88 ms in both modes; lowered 63 ms symmetric but 524 ms periodization (XLA re-fuses the
        # wrap-around extension into the strided per-tap dot_generals of the next level).
        # eager_max: samples up to which eager calls run the bank's NumPy form (no compile per
        # new length, mode or wavelet: a compile costs ~0.1-0.5 s). 4 x 2^14 db4 level 3: NumPy
        # 1.2 ms per wavedec, the compiled program 0.33 ms; 2^18: 4.3 vs 1.1 ms (PyWavelets'
        # perfect-reconstruction test: 10^5 samples x 100 wavelets x 6 modes x 2 dtypes)
        # "nd" (non-wrapping modes) stays lowered: 8 x 1024^2 db4 level 3 symmetric, forward
        # 3.6x PyWavelets lowered vs 2.5x polyphase, the filter gradient ~2x faster lowered
        "multirate": {
            "1d": "polyphase",
            "nd": "lowered",
            "nd_wrap": "polyphase",
            "eager_max": 1 << 17,
        },
        # recursive filters (signal/_iir.py): blocks of L samples, all blocks' responses from
        # rest by one lax.scan over the L positions (or one Toeplitz product per block), the
        # block states carried by lax.scan (a loop step per block) or lax.associative_scan
        "recurrence": {
            "scan_step": 2e-6,  # seconds per lax.scan step (loop overhead)
            "lane": 0.3e-9,  # seconds per state element per sample (memory-bound updates)
            # seconds per sample of the inner scan's two layout changes (time-major and back):
            # a 16 x 2^20 float32 transpose ran 230 ms on the loaded 2-core CPU
            "transpose": 14e-9,
            # flops/s of the (rows, L + d) @ (L + d, L) Toeplitz product: it is bound by memory
            # more than by flops (16 x 2^20 float32, 4 sections: L = 16, 32, 64 ran 166, 150,
            # 140 ms, loaded 2-core EPYC), so the rate is set for L = 64 to win at that size
            "gemm_rate": 40e9,
            "assoc_level": 20e-6,  # seconds per level of the associative scan
            "blocks": {"scan": (64, 128, 256, 512, 1024, 2048, 4096), "toeplitz": (16, 32, 64)},
            # the [block | state] product in chunks of rows of this many bytes (a lax.map): the
            # concatenation stays in cache (16 x 2^20 float32: 105 against 124 ms unchunked)
            "chunk_bytes": 36e3,
        },
        # XLA:CPU's YNNPACK fusions ran the stride-2 2-D convolution 1.8x slower than XLA's own
        # (B8 C64 128² k3 NHWC: 173 vs 94 ms, stride 1: 365 vs 366 ms, jax 0.10.2)
        "compiler_options": {"xla_cpu_experimental_ynn_fusion_type": ""},
        # lax precision of every convolution and dot_general when precision=None (and
        # jax_default_matmul_precision unset): XLA:CPU computes float32 products exactly
        # whatever the precision (DEFAULT and HIGHEST gave the same bits, conv and dot,
        # jax 0.10.2), so HIGHEST costs nothing here
        "precision": "highest",
    },
    "default": {
        "rates": {
            ("lax", Kind.MIXING): 1e12,
            ("lax", Kind.DEPTHWISE): 1e11,
            ("lax", Kind.SINGLE): 2e11,
            ("shift", Kind.MIXING): 2e11,
            ("fft", Kind.MIXING): 5e11,
        },
        "ynnpack_guard": False,
        "merged_2d_penalty": 1.0,
        "rational": {
            "rate": 5e11,
            "rate_f64": 5e10,
            "k_half": 32.0,
            "k_half_f64": 32.0,
            "n_full": 32.0,
            "window": 1e-11,
            "window_per_chunk": 0.0,
            "interleave": 1e-11,
            "in_cache": 1.0,
            "cache_bytes": 0.0,
            "max_chunks": 64,
            "max_windows": 1.0,
        },
        "multirate": {"1d": "polyphase", "nd": "polyphase", "eager_max": 1 << 14},
        "recurrence": {  # accelerators: loop steps are slow, wide products cheap
            "scan_step": 10e-6,
            "lane": 1e-12,
            "transpose": 1e-11,
            "gemm_rate": 1e13,
            "assoc_level": 10e-6,
            "blocks": {"scan": (256, 1024, 4096), "toeplitz": (16, 32, 64, 128, 256)},
        },
        "compiler_options": {},
        # GPUs: DEFAULT runs float32 convolutions in TF32 (10 mantissa bits) on NVIDIA Ampere
        # and later; results stay float32-accurate (and equal to CPU's to rounding) unless the
        # user asks: precision="default" or jax_default_matmul_precision (docs/lowering.md)
        "precision": "highest",
    },
}
# NVIDIA GPUs (jax.default_backend() == "gpu": XLA calls cuDNN for every convolution). Defaults
# from what cuDNN documents, not yet from a measurement here (no GPU was available: run
# `bash benchmarks/gpu.sh OUTDIR` and tune these from its tables):
# * cuDNN's convolutions "aim for a performance that is competitive with the fastest GEMM-based
#   implementations" (cuDNN Developer Guide, overview), with implicit-GEMM, FFT and Winograd
#   algorithms chosen per shape by cuDNN itself: a channel-mixing lax convolution runs near the
#   GEMM rate (H100: ~50 TFLOP/s float32 peak without TF32; 2e13 assumed), and the library's own
#   FFT form rarely beats it (cuDNN already takes FFT algorithms where they pay off);
# * grouped and depthwise convolutions (cudnnSetConvolutionGroupCount) and single-channel ones
#   have no GEMM to fill and are memory-bound (~3 TB/s of HBM): 1e12 / 2e12;
# * shifted multiply-adds are one fused elementwise XLA kernel per tap group, memory-bound too;
# * merged 2-D kernels (fewer, larger convolutions) are what cuDNN is fast at: no penalty;
# * YNNPACK is XLA:CPU only (no guard, no options). Layout: cuDNN's tensor-core kernels want
#   NHWC (channels-last) data with channel counts divisible by 8 (NVIDIA, "Tensor Ops Made
#   Easier in cuDNN"); XLA picks the convolution layout itself, so data_format="channels_last"
#   saves the transposes around each layer in half precision (docs/benchmarks.md).
TUNING["gpu"] = {
    **TUNING["default"],
    "rates": {
        ("lax", Kind.MIXING): 2e13,
        ("lax", Kind.DEPTHWISE): 1e12,
        ("lax", Kind.SINGLE): 2e12,
        ("shift", Kind.MIXING): 2e12,
        ("fft", Kind.MIXING): 5e12,
    },
    "ynnpack_guard": False,
    "merged_2d_penalty": 1.0,
    "compiler_options": {},
}
SHIFT_PER_OUT = 1.5e-9  # 0.6 ns measured on an idle machine, 3 ns under memory contention
SHIFT_PER_TAP = 0.04e-9
SHIFT_PER_TAP_LONG = 0.5e-9
SHIFT_LONG = 128  # taps beyond which shifted multiply-adds are no longer one fast fusion
FFT_PER_SAMPLE = 4e-9 / 14  # seconds per sample per log2(length) of one transform
KGRAD = {"shift": 1.3e-9, "lax": 0.15e-9}  # seconds per tap and output, kernel gradient
OVERHEAD = 2e-6  # seconds per emitted operation (a launch, a pass over a small array)
COMPILE_PER_OP = 2e-3  # seconds of compile time per emitted operation
AMORTIZE = 200  # calls a compiled program is assumed to serve


def tuning(platform: str) -> dict[str, Any]:
    return TUNING.get(platform, TUNING["default"])


def compiler_options(platform: str | None = None) -> dict[str, str]:
    """The XLA compiler options convalgebra compiles with on ``platform`` (default: JAX's).

    ``A(x)`` called outside a trace uses them; pass them to your own ``jax.jit`` of a function
    that applies operators: ``jax.jit(f, compiler_options=ca.compiler_options())``.
    """
    import jax

    return dict(tuning(platform or jax.default_backend())["compiler_options"])


def allowed(strategy: str, dtype: Any, groups: int = 1) -> bool:
    """Whether ``strategy`` can run in ``dtype`` (XLA's FFTs take float32/64, complex64/128)
    with ``groups`` (grouped kernels run as one grouped lax convolution)."""
    if groups != 1 and strategy != "lax":
        return False
    return strategy != "fft" or np.dtype(dtype) in FFT_DTYPES


def estimate(
    strategy: str,
    kind: Kind,
    batch: int,
    cin: int,
    cout: int,
    n_in: int,
    n_out: int,
    taps: int,
    platform: str = "cpu",
) -> float:
    """Estimated seconds of one correlation with ``strategy`` (a cost model, not a promise).

    ``batch`` counts the leading (batch) positions only; ``cin``/``cout`` are the channels
    (``cin = cout = C`` for depthwise kernels, 1 for single ones). ``n_in`` is the number of
    input samples per signal (after up-sampling), ``n_out`` the outputs computed per signal.
    The transposes of every strategy are the same kind of program, so the forward cost ranks
    transposes too.
    """
    rates = tuning(platform)["rates"]
    per_out = taps * (cin if kind is Kind.MIXING else 1)
    direct = 2.0 * batch * cout * n_out * per_out
    if strategy == "fft":
        length = fast_len(max(n_in, 1))
        per = FFT_PER_SAMPLE * length * max(1.0, math.log2(max(length, 2)))
        sig_in = batch * (cin if kind is not Kind.SINGLE else 1)
        kern = cin * cout if kind is Kind.MIXING else cout
        t = per * (sig_in + batch * cout + kern)
        if kind is Kind.MIXING:  # per-frequency matmuls: as inefficient with few channels
            rate = rates[("fft", Kind.MIXING)] * mixing_efficiency("lax", cin, cout)
            t += 4.0 * batch * length * cin * cout / rate
        return t + 5 * (OVERHEAD + COMPILE_PER_OP / AMORTIZE)  # pads, three transforms, product
    if strategy == "shift" and kind is not Kind.MIXING:
        per_tap = SHIFT_PER_TAP if taps <= SHIFT_LONG else SHIFT_PER_TAP_LONG
        compile_ = taps * COMPILE_PER_OP / AMORTIZE  # one slice per tap, unrolled
        return batch * cout * n_out * (SHIFT_PER_OUT + taps * per_tap) + OVERHEAD + compile_
    ops = taps if strategy == "shift" else 1
    rate = rates[(strategy, kind)]
    if kind is Kind.MIXING:
        rate *= mixing_efficiency(strategy, cin, cout)
    t = direct / rate + ops * (OVERHEAD + COMPILE_PER_OP / AMORTIZE)
    if kind is not Kind.MIXING:  # the same memory-bound floor per output as shifted mult-adds
        t += batch * cout * n_out * SHIFT_PER_OUT
    return t


def mixing_efficiency(strategy: str, cin: int, cout: int) -> float:
    """The share of the channel-mixing rate reached with few channels.

    Measured (2-core CPU, batch 16, 2^16 samples, stride 2): XLA's convolution ran 1→2 channels
    (8 taps) at 2 GFLOP/s and 4→4 (9 taps) at 6, against ~50 with 64→64; per-tap matmuls ran
    1→2 at the full shifted rate (an outer product) but 2→1 and 4→4 at 0.9 and 3.3 GFLOP/s.
    """
    size = cin * cout
    if strategy == "shift":
        return 1.0 if cin == 1 else min(1.0, (size / 4096) ** 0.5)
    return min(1.0, size**0.5 / 32)


def node_cost(c: Conv, in_shape: Shape, out_shape: Shape, strategy: str, platform: str) -> float:
    """Estimated seconds of ``c`` on an input of ``in_shape`` (output ``out_shape``)."""
    nd, kind = c.ndim, c.kind
    ks = c.kernel.shape
    cout = ks[0] if kind is not Kind.SINGLE else 1
    cin = {Kind.MIXING: ks[1] if len(ks) > 1 else 1, Kind.DEPTHWISE: cout}.get(kind, 1)
    batch = math.prod(in_shape[: len(in_shape) - nd - (0 if kind is Kind.SINGLE else 1)])
    n_in = math.prod(u * n for u, n in zip(c.up, in_shape[-nd:]))
    n_out = math.prod(out_shape[-nd:])
    if strategy == "fft":
        n_out = n_out * math.prod(c.down)  # computes every output
    return estimate(strategy, kind, batch, cin, cout, n_in, n_out, math.prod(c.taps), platform)


def choose(costs: dict[str, float]) -> str:
    """The cheapest strategy of ``costs`` (ties: the first listed)."""
    return min(costs, key=lambda s: costs[s])


def costs_of(c: Conv, in_shape: Shape, out_shape: Shape, platform: str) -> dict[str, float]:
    """Every strategy that can run ``c`` in its dtype, with its estimated cost."""
    out = {
        s: node_cost(c, in_shape, out_shape, s, platform)
        for s in STRATEGIES
        if allowed(s, c.kernel.dtype, c.groups)
    }
    from . import resample  # rational resamplers: the kept-work "poly" form (resample.py)

    return out | resample.costs(c, in_shape, platform)


def merge_cost(outer: Conv, inner: Conv, platform: str = "cpu") -> tuple[float, float]:
    """(separate, merged) multiply-adds per output sample: the cost model of ``conv_conv``."""
    k1, k2 = math.prod(inner.taps), math.prod(outer.taps)
    km = math.prod(a + b - 1 for a, b in zip(inner.taps, outer.taps))
    if inner.kind is Kind.MIXING:
        co, cm, ci = outer.kernel.shape[0], inner.kernel.shape[0], inner.kernel.shape[1]
        sep, merged = cm * ci * k1 + co * cm * k2, co * ci * km
        if inner.ndim > 1:
            merged *= tuning(platform)["merged_2d_penalty"]
        return float(sep), float(merged)
    return float(k1 + k2), float(km)


def kernel_grad_strategy(
    kind: Kind, x_shape: Shape, w_shape: Shape, nd: int, strides: tuple[int, ...], dtype: Any
) -> str:
    """The program whose transpose computes the kernel gradient of a shift-lowered correlation.

    Per-tap reductions (the transpose of shifted multiply-adds) run at ~2 GFLOP/s, XLA's
    kernel-gradient convolution of a single-channel stride-1 correlation at ~13, and the FFT's
    transpose is three FFTs whatever the number of taps.
    """
    if kind is Kind.MIXING:  # per-tap matmuls transpose into per-tap matmuls
        return "shift"
    cout = w_shape[0] if kind is Kind.DEPTHWISE else 1
    batch = math.prod(x_shape[: len(x_shape) - nd - (0 if kind is Kind.SINGLE else 1)])
    n_in = math.prod(x_shape[-nd:])
    taps = math.prod(w_shape[-nd:])
    n_out = math.prod(n // g for n, g in zip(x_shape[-nd:], strides))
    work = batch * cout * n_out * taps
    costs = {"shift": work * KGRAD["shift"] + OVERHEAD * taps}  # one reduction per tap
    if allowed("fft", dtype):
        costs["fft"] = estimate("fft", kind, batch, cout, cout, n_in, n_in, taps)
    if kind is Kind.SINGLE:  # strided: the stride-1 kernel gradient of the zero-inserted ct
        costs["lax"] = work * math.prod(strides) * KGRAD["lax"]
    return choose(costs)
