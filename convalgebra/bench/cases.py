"""Benchmark cases: which operator, at which size, and how much useful work it does.

A case is one linear operator ``A_w`` of an input ``x`` with kernels ``w``. Every formulation of
a case computes one of three *directions* on the same canonical (channels-first, float32) data:

* ``forward``: ``y = A_w x``;
* ``transpose``: ``Aᵀ g`` for a cotangent ``g`` of ``y``'s shape;
* ``grad``: a training step, ``(y, ∂⟨A_w x, g⟩/∂w)``: the forward and the gradient with respect
  to every kernel.

The kinds of operator (``d`` spatial axes, ``lo, hi`` the SciPy "same" padding of the kernel):

* ``strided``: ``↓s (w ⋆ x)``, "same" correlation with channel mixing then decimation;
* ``transposed``: ``w ⋆ (↑s x)``, zero insertion then "same" correlation (a transposed conv);
* ``dilated``: ``(↑r w) ⋆ x``, the kernel dilated by ``r`` ("atrous"), "same";
* ``nearest``: ``w ⋆ nearest_s(x)``, nearest-neighbour up-sampling then "same" correlation;
* ``fusion``: ``w2 ⋆ (w1 ⋆ x)``, two "valid" correlations (fusable into one kernel);
* ``depthwise``: one "same" filter per channel, kernel ``(C, *K)``;
* ``fir``: one "same" filter for every signal (audio), optionally decimated: ``↓s (w ⋆ x)``.
"""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np

DIRECTIONS = ("forward", "transpose", "grad")
KINDS = ("strided", "transposed", "dilated", "nearest", "fusion", "depthwise", "fir")


def same_pads(k: int) -> tuple[int, int]:
    """SciPy's "same" padding ``(lo, hi)`` of a ``k``-tap correlation."""
    return (k // 2, (k - 1) // 2)


@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmarked operator at one size (all spatial axes alike).

    Attributes:
      name: short identifier, e.g. ``"s2d_k3_s2"``.
      suite: the suite it belongs to (``--suite``).
      kind: one of :data:`KINDS`.
      ndim: number of spatial axes.
      batch: leading batch size.
      c_in, c_out: channels (equal for ``depthwise``; 1 for ``fir``, which has no channel axis).
      size: the spatial extent of the input ``x`` along each axis.
      kernel: taps along each spatial axis.
      factor: stride (``strided``, ``fir``), up-sampling (``transposed``, ``nearest``) or
        dilation (``dilated``) factor; 1 where it does not apply.
    """

    name: str
    suite: str
    kind: str
    ndim: int
    batch: int
    c_in: int
    c_out: int
    size: int
    kernel: int
    factor: int = 1

    # ---- shapes ---------------------------------------------------------------------------
    @property
    def spatial_in(self) -> tuple[int, ...]:
        return (self.size,) * self.ndim

    @property
    def eff_kernel(self) -> int:
        """Taps of the kernel as applied (dilated kernels include their holes)."""
        if self.kind == "dilated":
            return self.factor * (self.kernel - 1) + 1
        return self.kernel

    @property
    def pads(self) -> tuple[int, int]:
        """The ``(lo, hi)`` padding of the (first) correlation, per spatial axis."""
        return (0, 0) if self.kind == "fusion" else same_pads(self.eff_kernel)

    @property
    def spatial_out(self) -> tuple[int, ...]:
        n, s, k = self.size, self.factor, self.kernel
        if self.kind in ("strided", "fir"):
            m = -(-n // s)
        elif self.kind in ("transposed", "nearest"):
            m = s * n
        elif self.kind == "fusion":
            m = n - 2 * (k - 1)
        else:
            m = n
        return (m,) * self.ndim

    @property
    def x_shape(self) -> tuple[int, ...]:
        if self.kind == "fir":
            return (self.batch, *self.spatial_in)
        return (self.batch, self.c_in, *self.spatial_in)

    @property
    def y_shape(self) -> tuple[int, ...]:
        if self.kind == "fir":
            return (self.batch, *self.spatial_out)
        return (self.batch, self.c_out, *self.spatial_out)

    @property
    def kernel_shapes(self) -> tuple[tuple[int, ...], ...]:
        taps = (self.kernel,) * self.ndim
        if self.kind == "fir":
            return (taps,)
        if self.kind == "depthwise":
            return ((self.c_in, *taps),)
        if self.kind == "fusion":
            return ((self.c_out, self.c_in, *taps), (self.c_out, self.c_out, *taps))
        return ((self.c_out, self.c_in, *taps),)

    # ---- work ---------------------------------------------------------------------------------
    def useful_flops(self, direction: str) -> float:
        """Floating-point operations of the formula as written, excluding inserted zeros.

        Counts ``2 ×`` the multiply-adds of the written formula that touch no zero inserted by
        ``↑`` (in the signal or in a dilated kernel); boundary padding is counted. The
        transpose does the same work as the forward; a training step (``grad``) twice.
        """
        taps = self.kernel**self.ndim
        out = math.prod(self.spatial_out)
        if self.kind in ("strided", "dilated", "nearest", "fir"):
            mix = self.c_in * self.c_out if self.kind != "fir" else 1
            macs = self.batch * mix * out * taps
        elif self.kind == "transposed":
            macs = self.batch * self.c_in * self.c_out * math.prod(self.spatial_in) * taps
        elif self.kind == "depthwise":
            macs = self.batch * self.c_in * out * taps
        else:  # fusion: the two convolutions as written
            mid = math.prod((self.size - self.kernel + 1,) * self.ndim)
            macs = self.batch * self.c_out * (self.c_in * mid + self.c_out * out) * taps
        return 2.0 * macs * (2 if direction == "grad" else 1)

    def describe(self) -> str:
        """One line: kind, shapes, factor."""
        ks = " ".join(str(k) for k in self.kernel_shapes)
        fac = {"strided": "s", "fir": "s", "transposed": "s", "nearest": "s", "dilated": "r"}
        f = f" {fac[self.kind]}={self.factor}" if self.kind in fac and self.factor > 1 else ""
        return f"{self.kind} {self.ndim}-D x{self.x_shape} -> y{self.y_shape} w{ks}{f}"

    def shape_info(self) -> dict:
        """Shape fields for the JSON rows."""
        return {
            "kind": self.kind,
            "suite": self.suite,
            "ndim": self.ndim,
            "batch": self.batch,
            "c_in": self.c_in,
            "c_out": self.c_out,
            "kernel": self.kernel,
            "factor": self.factor,
            "x_shape": list(self.x_shape),
            "y_shape": list(self.y_shape),
            "kernel_shapes": [list(k) for k in self.kernel_shapes],
        }


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Canonical float32 NumPy data of one case: ``x``, kernels ``ws`` and cotangent ``g``."""

    x: np.ndarray
    ws: tuple[np.ndarray, ...]
    g: np.ndarray


def make_inputs(case: Case) -> Inputs:
    """Deterministic random data for ``case`` (kernels scaled by ``1/sqrt(fan-in)``)."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))

    def normal(shape, scale=1.0):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)).copy()

    ws = []
    for shape in case.kernel_shapes:
        fan_in = math.prod(shape[1:]) if len(shape) > case.ndim + 1 else math.prod(shape)
        ws.append(normal(shape, 1.0 / math.sqrt(fan_in)))
    return Inputs(normal(case.x_shape), tuple(ws), normal(case.y_shape))


# ---- the suites -------------------------------------------------------------------------------
# (name, suite, kind, ndim, batch, c_in, c_out, size, kernel, factor) at full size, and the
# --quick sizes (batch, c_in, c_out, size) that keep every kernel and factor.
_Row = tuple[str, str, str, int, int, int, int, int, int, int]

_FULL: list[_Row] = [
    ("s1d_k9_s2", "strided", "strided", 1, 8, 64, 64, 16384, 9, 2),
    ("s1d_k9_s4", "strided", "strided", 1, 8, 64, 64, 16384, 9, 4),
    ("s2d_k3_s2", "strided", "strided", 2, 8, 64, 64, 128, 3, 2),
    ("s2d_k4_s2", "strided", "strided", 2, 8, 64, 64, 128, 4, 2),
    ("t1d_k9_s2", "transposed", "transposed", 1, 8, 64, 64, 8192, 9, 2),
    ("t1d_k9_s4", "transposed", "transposed", 1, 8, 64, 64, 4096, 9, 4),
    ("t2d_k3_s2", "transposed", "transposed", 2, 8, 64, 64, 64, 3, 2),
    ("t2d_k4_s2", "transposed", "transposed", 2, 8, 64, 64, 64, 4, 2),
    ("d1d_k9_r2", "dilated", "dilated", 1, 8, 64, 64, 16384, 9, 2),
    ("d1d_k9_r4", "dilated", "dilated", 1, 8, 64, 64, 16384, 9, 4),
    ("d2d_k3_r2", "dilated", "dilated", 2, 8, 64, 64, 128, 3, 2),
    ("n1d_k9_s2", "nearest", "nearest", 1, 8, 64, 64, 8192, 9, 2),
    ("n2d_k3_s2", "nearest", "nearest", 2, 8, 64, 64, 64, 3, 2),
    ("f1d_k9", "fusion", "fusion", 1, 8, 64, 64, 16384, 9, 1),
    ("f2d_k3", "fusion", "fusion", 2, 8, 64, 64, 128, 3, 1),
    ("dw1d_k9", "depthwise", "depthwise", 1, 8, 64, 64, 16384, 9, 1),
    ("dw1d_k257", "depthwise", "depthwise", 1, 4, 32, 32, 16384, 257, 1),
    ("dw2d_k5", "depthwise", "depthwise", 2, 8, 64, 64, 128, 5, 1),
    ("a_k64", "audio", "fir", 1, 1, 1, 1, 2**20, 64, 1),
    ("a_k1024", "audio", "fir", 1, 1, 1, 1, 2**20, 1024, 1),
    ("a_k64_d4", "audio", "fir", 1, 1, 1, 1, 2**20, 64, 4),
    ("s3d_k3_s2", "3d", "strided", 3, 2, 32, 32, 32, 3, 2),
    ("t3d_k3_s2", "3d", "transposed", 3, 2, 32, 32, 16, 3, 2),
]

_QUICK_SIZES = {1: (2, 8, 8, 256), 2: (2, 8, 8, 16), 3: (1, 4, 4, 8)}
# --quick keeps one case per suite and rank where the formulations differ, so every formulation
# still runs (even kernels, factor 4, FFT and shifted multiply-adds included) in under a minute.
_QUICK_CASES = (
    "s1d_k9_s2",
    "s2d_k4_s2",
    "t1d_k9_s4",
    "t2d_k4_s2",
    "d2d_k3_r2",
    "n2d_k3_s2",
    "f2d_k3",
    "dw1d_k257",
    "dw2d_k5",
    "a_k64_d4",
    "s3d_k3_s2",
    "t3d_k3_s2",
)

SUITES = ("strided", "dilated", "transposed", "nearest", "fusion", "depthwise", "audio", "3d")


def _quick(row: _Row) -> _Row:
    name, suite, kind, ndim, *_, k, f = row
    if kind == "fir":  # 32 taps still take both the multiply-add and the FFT forms
        return (name, suite, kind, ndim, 1, 1, 1, 4096, min(k // 2, 256), f)
    b, ci, co, n = _QUICK_SIZES[ndim]
    if kind == "depthwise":
        co = ci
    if kind in ("transposed", "nearest"):
        n //= f
    n = max(n, 2 * k + 2) if ndim == 1 else n
    return (name, suite, kind, ndim, b, ci, co, n, k, f)


def all_cases(quick: bool = False) -> list[Case]:
    """Every case, at full or ``--quick`` size, in suite order."""
    rows = [_quick(r) for r in _FULL if r[0] in _QUICK_CASES] if quick else _FULL
    return [Case(*r) for r in rows]


def select(suites: list[str], quick: bool = False, name_filter: str | None = None) -> list[Case]:
    """The cases of ``suites`` (``"all"`` for every suite), optionally filtered by name.

    Raises:
      ValueError: for an unknown suite name.
    """
    for s in suites:
        if s != "all" and s not in SUITES:
            raise ValueError(f"unknown suite {s!r}; choose from {', '.join((*SUITES, 'all'))}")
    want = set(SUITES) if "all" in suites else set(suites)
    out = [c for c in all_cases(quick) if c.suite in want]
    if name_filter:
        out = [c for c in out if name_filter in c.name]
    return out
