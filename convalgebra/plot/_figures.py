"""The figures of :mod:`convalgebra.plot` (matplotlib is imported inside each function)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

_EXTRA = "pip install convalgebra[plot]"
_SIGNAL, _KERNEL, _PRODUCT, _OUTPUT = "#1f77b4", "#ff7f0e", "#2ca02c", "#1a7a1a"


def _require(fn: str) -> None:
    """Raises an ImportError naming the extra when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"convalgebra.plot.{fn} needs matplotlib: {_EXTRA}") from None


def _figure(**kwargs: Any):
    # A Figure without pyplot: no backend, no global state, nothing to close.
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _finish(fig, path: str | os.PathLike | None, fn: str, dpi: float):
    """Returns ``fig``, or writes it to ``path`` and returns the path."""
    if path is None:
        return fig
    path = os.fspath(path)
    try:
        fig.savefig(path, dpi=dpi)
    except OSError as e:
        raise ValueError(f"plot.{fn}: cannot write {path!r}: {e.strerror or e}") from None
    return path


def _check_dir(directory: str | os.PathLike, fn: str) -> str:
    directory = os.fspath(directory)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise ValueError(
            f"plot.{fn}: cannot create the figure directory {directory!r}: {e.strerror or e}"
        ) from None
    if not os.access(directory, os.W_OK):
        raise ValueError(f"plot.{fn}: the figure directory {directory!r} is not writable")
    return directory


def _like(x_like: Any) -> jax.ShapeDtypeStruct:
    if isinstance(x_like, jax.ShapeDtypeStruct):
        return x_like
    a = jnp.asarray(x_like)
    return jax.ShapeDtypeStruct(a.shape, a.dtype)


# ---- matrix -----------------------------------------------------------------------------------


def matrix_figure(
    A: ca.Operator,
    x_like: Any,
    *,
    transpose: bool = True,
    max_size: int = 64,
    annotate: bool | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 100,
):
    """The matrix of ``A`` as an image, next to the matrix of its derived transpose ``Aᵀ``.

    Diverging colours with zero white; input index across, output index down; the notation of
    each operator as its title. ``Aᵀ`` is ``ca.transpose(A, x_like)`` (derived by
    ``jax.linear_transpose``), not ``M.T``: the picture shows that the two agree.

    Args:
      A: a linear operator.
      x_like: an input of ``A`` or its ``jax.ShapeDtypeStruct``, e.g. shape ``(8,)``.
      transpose: also draw ``Aᵀ`` (default True).
      max_size: the most inputs or outputs drawn (default 64).
      annotate: write each entry in its cell (default: when the matrix has at most 144 cells).
      path: write the figure there (png, svg, pdf...) instead of returning it.
      dpi: resolution of the written file.

    Returns:
      A matplotlib ``Figure``, or ``path`` when given.

    Raises:
      ValueError: ``A`` has more than ``max_size`` inputs or outputs; ``path`` is unwritable.
      ImportError: matplotlib is not installed.

    Examples:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> A = ca.down(2) @ ca.corr(jnp.array([2.0, 3.0, 5.0]), "same")
      >>> fig = ca.plot.matrix_figure(A, jax.ShapeDtypeStruct((8,), jnp.float32))  # doctest: +SKIP
    """
    _require("matrix_figure")
    x_like = _like(x_like)
    y_like = jax.eval_shape(A, x_like)
    n_in, n_out = math.prod(x_like.shape), math.prod(y_like.shape)
    if max(n_in, n_out) > max_size:
        raise ValueError(
            f"plot.matrix_figure: operator too large for a matrix picture: {n_out} outputs x "
            f"{n_in} inputs (x_like shape {tuple(x_like.shape)}), max_size={max_size} per side"
        )
    panels = [(A.notation(), np.asarray(ca.matrix(A, x_like)))]
    if transpose:
        At = ca.transpose(A, x_like)
        panels.append((At.notation("y"), np.asarray(ca.matrix(At, y_like))))
    complex_ = any(np.iscomplexobj(m) for _, m in panels)
    panels = [(t, np.real(m)) for t, m in panels]
    vmax = max(float(np.max(np.abs(m))) for _, m in panels) or 1.0
    if annotate is None:
        annotate = n_in * n_out <= 144
    cell = min(0.42, 5.0 / max(n_in, n_out))
    widths = [max(m.shape[1] * cell, 1.6) for _, m in panels]
    height = max(max(m.shape[0] for _, m in panels) * cell, 1.6) + 1.3
    fig = _figure(figsize=(sum(widths) + 0.9 * len(panels) + 0.8, height), layout="constrained")
    axes = fig.subplots(1, len(panels), width_ratios=widths, squeeze=False)[0]
    for ax, (title, m) in zip(axes, panels):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
        ax.set_title(title + (" (real part)" if complex_ else ""), fontsize=10)
        ax.set_xlabel("input index", fontsize=8)
        ax.set_ylabel("output index", fontsize=8)
        ax.tick_params(labelsize=7, length=0)
        ax.set_xticks(range(m.shape[1]) if m.shape[1] <= 16 else ax.get_xticks()[1:-1])
        ax.set_yticks(range(m.shape[0]) if m.shape[0] <= 16 else ax.get_yticks()[1:-1])
        ax.set_xticks(np.arange(-0.5, m.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, m.shape[0]), minor=True)
        ax.grid(which="minor", color="0.85", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
        if annotate:
            for (i, j), v in np.ndenumerate(m):
                if v != 0:
                    color = "white" if abs(v) > 0.6 * vmax else "black"
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color=color)
    fig.colorbar(im, ax=list(axes), shrink=0.8, aspect=25).ax.tick_params(labelsize=7)  # pyright: ignore[reportPossiblyUnboundVariable]  # panels is never empty
    return _finish(fig, path, "matrix_figure", dpi)


# ---- sliding ----------------------------------------------------------------------------------


def _pulse(t):
    return np.where((t >= 0) & (t < 3), 1.0, 0.0)


def _exp_decay(t):
    return np.where(t >= 0, 2.0 * np.exp(-t / 2.0), 0.0)


def _triangle(t):
    return -0.75 * np.clip(1.0 - np.abs(t - 7.0) / 2.0, 0.0, None)


DEFAULT_H = _exp_decay  # h(t) = 2 e^{-t/2}, t >= 0
DEFAULT_X = (_pulse, _triangle)  # a pulse on [0, 3) and, as a second channel, a dip around t = 7


@dataclasses.dataclass
class _Sliding:
    """Sampled data of one sliding picture: channels share the grids ``tx`` and ``th``."""

    op: str  # "conv" | "corr"
    discrete: bool
    dt: float
    tx: np.ndarray  # (N,)
    xs: np.ndarray  # (C, N)
    th: np.ndarray  # (K,)
    hs: np.ndarray  # (C, K)
    ty: np.ndarray  # (N + K - 1,)
    y: np.ndarray  # (N + K - 1,): the sum over channels

    def kernel_at(self, m: int) -> np.ndarray:
        """Where the kernel taps sit on the τ axis at output ``m``: flipped for a convolution."""
        t = self.ty[m]
        return t - self.th if self.op == "conv" else t + self.th

    def product(self, m: int) -> np.ndarray:
        """``(C, N)``: ``h(t − τ) x(τ)`` (conv) or ``h(τ − t) x(τ)`` (corr) on the ``tx`` grid."""
        n, k = self.xs.shape[1], self.hs.shape[1]
        j = m - np.arange(n) if self.op == "conv" else np.arange(n) - m + k - 1
        ok = (j >= 0) & (j < k)
        h = np.where(ok, self.hs[:, np.clip(j, 0, k - 1)], 0.0)
        return h * self.xs

    def frames(self, n: int, animate: bool = True) -> np.ndarray:
        """``n`` output indices spread over the support of ``y`` and a margin (animations), or
        over where ``|y|`` is at least a quarter of its peak (a strip: every panel overlaps)."""
        peak = max(float(np.max(np.abs(self.y))), 1e-30)
        big = np.nonzero(np.abs(self.y) > (1e-6 if animate else 0.25) * peak)[0]
        lo, hi = (big[0], big[-1]) if big.size else (0, self.y.size - 1)
        margin = round(2.0 / self.dt) if animate else 0
        lo, hi = max(0, lo - margin), min(self.y.size - 1, hi + margin)
        return np.unique(np.linspace(lo, hi, n).round().astype(int))


def _samples(f, span: tuple[float, float], dt: float, what: str) -> tuple[np.ndarray, np.ndarray]:
    if callable(f):
        t = np.arange(span[0], span[1] + dt / 2, dt)
        v = np.broadcast_to(np.asarray(f(t), dtype=float), t.shape)
        return t, np.array(v)
    v = np.asarray(f, dtype=float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(
            f"plot.sliding: {what} must be a callable or a non-empty 1-D array of samples, "
            f"got shape {v.shape}"
        )
    return span[0] + dt * np.arange(v.size), v


def _sliding_data(op, h, x, discrete, dt, h_span, x_span) -> _Sliding:
    xs_in = list(x) if isinstance(x, (list, tuple)) else [x]
    hs_in = list(h) if isinstance(h, (list, tuple)) else [h] * len(xs_in)
    if len(hs_in) != len(xs_in):
        raise ValueError(
            f"plot.sliding: one kernel per channel or one for all, got {len(hs_in)} kernels "
            f"for {len(xs_in)} channels"
        )
    sx = [_samples(f, x_span, dt, "x") for f in xs_in]
    sh = [_samples(f, h_span, dt, "h") for f in hs_in]
    if len({s[1].size for s in sx}) > 1 or len({s[1].size for s in sh}) > 1:
        raise ValueError(
            f"plot.sliding: channels must have equally many samples, got x sizes "
            f"{[s[1].size for s in sx]} and h sizes {[s[1].size for s in sh]}"
        )
    tx, th = sx[0][0], sh[0][0]
    xs = np.stack([s[1] for s in sx])
    hs = np.stack([s[1] for s in sh])
    build = ca.conv if op == "conv" else ca.corr
    scale = 1.0 if discrete else dt  # a Riemann sum approximates the integral

    @jax.jit  # one compiled program (eager dispatch of the lowered program is op by op)
    def outputs(hs, xs):
        return sum(build(hs[c])(xs[c]) for c in range(hs.shape[0]))

    y = np.asarray(outputs(jnp.asarray(hs), jnp.asarray(xs)), dtype=float) * scale
    k = th.size
    m = np.arange(y.size)
    ty = tx[0] + th[0] + dt * m if op == "conv" else tx[0] - th[0] + dt * (m - (k - 1))
    return _Sliding(op, discrete, dt, tx, xs, th, hs, ty, y)


def _draw_sliding(subfig, d: _Sliding, m: int, xlim, ylims, labels: bool = True) -> None:
    """One instant ``t = ty[m]``: a row per channel, then the output row."""
    c = d.xs.shape[0]
    axes = subfig.subplots(c + 1, 1, sharex=True, gridspec_kw={"hspace": 0.08})
    t, tau_k, prod = d.ty[m], d.kernel_at(m), d.product(m)
    sym, integral = ("Σ", "") if d.discrete else ("∫", " dτ")
    arg = "t−τ" if d.op == "conv" else "τ−t"
    for ci, ax in enumerate(axes[:-1]):
        sub = f"{ci + 1}" if c > 1 else ""
        xl, hl = f"x{sub}(τ)", f"h{sub}({arg})"
        if d.discrete:
            ax.bar(d.tx, prod[ci], width=0.8, color=_PRODUCT, alpha=0.35, label="product")
            ax.vlines(d.tx, 0, d.xs[ci], color=_SIGNAL, lw=1.2)
            ax.plot(d.tx, d.xs[ci], "o", color=_SIGNAL, ms=3.5, label=xl)
            ax.vlines(tau_k, 0, d.hs[ci], color=_KERNEL, lw=1.0)
            ax.plot(tau_k, d.hs[ci], "s", mfc="none", color=_KERNEL, ms=4, label=hl)
        else:
            ax.fill_between(d.tx, prod[ci], color=_PRODUCT, alpha=0.35, lw=0, label="product")
            ax.plot(d.tx, d.xs[ci], color=_SIGNAL, lw=1.4, label=xl)
            ax.plot(tau_k, d.hs[ci], color=_KERNEL, lw=1.4, label=hl)
        ax.axvline(t, color="0.5", lw=0.7, ls=":")
        ax.axhline(0, color="0.8", lw=0.6)
        ax.set_ylim(*ylims[0])
        if labels:
            ax.legend(fontsize=6.5, loc="upper right", frameon=False, ncol=3, handlelength=1.2)
        ax.tick_params(labelsize=6.5)
    ay = axes[-1]
    ay.axhline(0, color="0.8", lw=0.6)
    ay.axvline(t, color="0.5", lw=0.7, ls=":")
    if d.discrete:
        ay.plot(d.ty, d.y, ".", color="0.85", ms=3)
        ay.vlines(d.ty[: m + 1], 0, d.y[: m + 1], color=_OUTPUT, lw=1.2)
    else:
        ay.plot(d.ty, d.y, color="0.85", lw=1.0)
        ay.plot(d.ty[: m + 1], d.y[: m + 1], color=_OUTPUT, lw=1.6)
    ay.plot([t], [d.y[m]], "o", color=_OUTPUT, ms=4)
    yv = d.y[m] if abs(d.y[m]) > 1e-6 * (float(np.max(np.abs(d.y))) or 1.0) else 0.0
    csum = "Σ_c " if c > 1 else ""
    hsub = "h_c" if c > 1 else "h"
    xsub = "x_c" if c > 1 else "x"
    ay.text(
        0.01,
        0.92,
        f"y(t) = {csum}{sym} {hsub}({arg}) {xsub}(τ){integral} = {yv:.3g} at t = {t:.3g}",
        transform=ay.transAxes,
        fontsize=7,
        va="top",
    )
    ay.set_ylim(*ylims[1])
    ay.set_xlim(*xlim)
    ay.set_xlabel("τ (and t)", fontsize=7)
    ay.tick_params(labelsize=6.5)
    kind = "discrete " if d.discrete else ""
    title = (
        f"{kind}convolution y = h * x: the kernel is flipped"
        if d.op == "conv"
        else f"{kind}correlation y = h ⋆ x: not flipped (deep learning's conv)"
    )
    axes[0].set_title(title, fontsize=8)


def _limits(ds: list[_Sliding], ms: list[np.ndarray]):
    xlims = []
    for d, mm in zip(ds, ms):

        def where(t, v, rel=1e-2):  # where |v| is visible
            v = np.abs(v).max(axis=0) if v.ndim > 1 else np.abs(v)
            return t[v > rel * max(float(v.max()), 1e-30)]

        taus = np.concatenate(
            [
                where(d.kernel_at(int(mm[0])), d.hs),
                where(d.kernel_at(int(mm[-1])), d.hs),
                where(d.tx, d.xs),
                where(d.ty, d.y, 1e-3),
                d.ty[mm],
            ]
        )
        xlims.append((float(taus.min()) - 0.5 * d.dt, float(taus.max()) + 0.5 * d.dt))
    top = np.concatenate([np.ravel(a) for d in ds for a in (d.xs, d.hs, 0.0)])
    out = np.concatenate([np.ravel(a) for d in ds for a in (d.y, 0.0)])

    def pad(lo, hi):
        span = (hi - lo) or 1.0
        return lo - 0.08 * span, hi + 0.25 * span

    return xlims, (pad(top.min(), top.max()), pad(out.min(), out.max()))


def sliding(
    h: Any = None,
    x: Any = None,
    *,
    ops: Sequence[str] = ("conv", "corr"),
    discrete: bool = False,
    channels: int = 1,
    dt: float | None = None,
    h_span: tuple[float, float] = (0.0, 10.0),
    x_span: tuple[float, float] = (-3.0, 16.0),
    frames: int = 30,
    strip: int = 4,
    fps: float = 8,
    path: str | os.PathLike | None = None,
    dpi: float = 80,
):
    """The signals-and-systems picture: a kernel slides over a signal and traces the output.

    For each instant ``t``: the signal ``x(τ)``, the kernel placed at ``t`` — flipped,
    ``h(t − τ)``, for the convolution ``y = h * x``; not flipped, ``h(τ − t)``, for the
    correlation ``y = h ⋆ x`` that deep learning calls convolution — their product shaded, and
    below it ``y`` traced up to ``t``: ``y(t)`` is the area (the sum) of the product. The
    defaults are ``h(t) = 2e^{-t/2}`` and a unit pulse on ``[0, 3)``; ``channels=2`` adds a
    second input channel (a dip around ``t = 7``) and ``y`` is the sum over channels, as in a
    deep-learning convolution. The outputs are computed by ``ca.conv`` / ``ca.corr``.

    Args:
      h: the kernel: a callable of ``t`` (sampled on ``h_span``), an array of samples (from
        ``h_span[0]``, spacing ``dt``), or a list with one per channel.
      x: the signal, likewise (on ``x_span``); a list of them for several channels.
      ops: ``"conv"``, ``"corr"`` or both (side by side; default both).
      discrete: stems at integer steps (``dt = 1``, sums) instead of curves (integrals).
      channels: 1 or 2 default channels when ``x`` is not given.
      dt: sampling step (default 0.05, or 1 when discrete).
      h_span, x_span: the intervals on which callables are sampled.
      frames: frames of the animation (a ``.gif`` path).
      strip: instants shown in the static figure (left to right).
      fps: frames per second of the animation.
      path: ``.gif`` writes an animation (matplotlib's Pillow writer; without Pillow a strip
        of frames is written next to it as ``.png``, with a warning); any other suffix writes
        the static strip.
      dpi: resolution of the written file.

    Returns:
      A matplotlib ``Figure`` (the strip), or the path written.

    Raises:
      ValueError: an unknown op, bad samples, an unwritable path.
      ImportError: matplotlib is not installed.
    """
    _require("sliding")
    ops = (ops,) if isinstance(ops, str) else tuple(ops)
    bad = [o for o in ops if o not in ("conv", "corr")]
    if bad or not ops:
        raise ValueError(f"plot.sliding: ops must be 'conv' and/or 'corr', got {ops!r}")
    if channels not in (1, 2):
        raise ValueError(f"plot.sliding: channels must be 1 or 2, got {channels!r}")
    if frames < 1 or strip < 1:
        raise ValueError(f"plot.sliding: frames and strip must be >= 1, got {frames}, {strip}")
    dt = float(dt if dt is not None else (1.0 if discrete else 0.05))
    if not dt > 0:
        raise ValueError(f"plot.sliding: dt must be positive, got {dt}")
    h = DEFAULT_H if h is None else h
    x = list(DEFAULT_X[:channels]) if x is None else x
    ds = [_sliding_data(op, h, x, discrete, dt, h_span, x_span) for op in ops]
    c = ds[0].xs.shape[0]
    gif = path is not None and os.fspath(path).lower().endswith(".gif")
    if gif:
        assert path is not None  # gif implies a path
        try:
            import PIL  # noqa: F401
            from matplotlib.animation import PillowWriter
        except ImportError:
            gif = False
            path = os.path.splitext(os.fspath(path))[0] + ".png"
            warnings.warn(
                f"plot.sliding: Pillow is missing, writing a strip to {path}", stacklevel=2
            )
    n = frames if gif else strip
    ms = [d.frames(n, animate=gif) for d in ds]
    n = min(len(m) for m in ms)
    ms = [m[np.linspace(0, len(m) - 1, n).round().astype(int)] for m in ms]
    xlims, ylims = _limits(ds, ms)
    block_h = 1.15 * (c + 1) + 0.35
    if gif:
        fig = _figure(figsize=(4.6 * len(ds), block_h), layout="constrained")
        assert path is not None  # gif implies a path
        directory = os.path.dirname(os.path.abspath(os.fspath(path)))
        if not os.access(directory, os.W_OK):
            raise ValueError(f"plot.sliding: cannot write {os.fspath(path)!r}: not writable")
        # PillowWriter is imported when gif; its stub types fps as int, a float works
        writer = PillowWriter(fps=fps)  # pyright: ignore[reportPossiblyUnboundVariable, reportArgumentType]
        try:
            with writer.saving(fig, os.fspath(path), dpi):
                for i in range(n):
                    fig.clear()
                    subs = np.atleast_1d(fig.subfigures(1, len(ds)))  # pyright: ignore[reportCallIssue, reportArgumentType]  # one SubFigure or an array of them
                    for sf, d, mm, xl in zip(subs, ds, ms, xlims):
                        _draw_sliding(sf, d, int(mm[i]), xl, ylims)
                    writer.grab_frame()
        except OSError as e:
            raise ValueError(f"plot.sliding: cannot write {path!r}: {e.strerror or e}") from None
        return os.fspath(path)
    fig = _figure(figsize=(3.3 * n, block_h * len(ds)), layout="constrained")
    subs = np.atleast_2d(fig.subfigures(len(ds), n, squeeze=False))
    for r, (d, mm, xl) in enumerate(zip(ds, ms, xlims)):
        for i in range(n):
            _draw_sliding(subs[r, i], d, int(mm[i]), xl, ylims, labels=i == 0)
    return _finish(fig, path, "sliding", dpi)


# ---- overlap ----------------------------------------------------------------------------------


def overlap_figure(
    kernel: int | Sequence[int] = (3, 4),
    stride: int = 2,
    *,
    in_size: int = 6,
    path: str | os.PathLike | None = None,
    dpi: float = 90,
):
    """The checkerboard of transposed convolutions: how often each output sample is written.

    For each kernel size ``k`` (one column each), the count ``Aᵀ 1`` of
    ``A = ↓stride (1_k ⋆ ·)`` (``ca.nn.overlap``) in 1-D (bars) and 2-D (an image). Where ``k``
    is not a multiple of the stride the counts alternate — kernel 3 / stride 2 writes the
    interior 1, 2, 1, 2... times — and a learned transposed convolution imprints that pattern;
    kernel 4 / stride 2 writes every interior sample equally often.

    Args:
      kernel: a kernel size or several (default ``(3, 4)``: uneven next to even).
      stride: the stride (default 2).
      in_size: samples per axis of the transposed convolution's input (default 6).
      path: write the figure there instead of returning it.
      dpi: resolution of the written file.

    Returns:
      A matplotlib ``Figure``, or ``path`` when given.

    Raises:
      ValueError: kernel sizes, stride or in_size not positive ints; an unwritable path.
      ImportError: matplotlib is not installed.
    """
    _require("overlap_figure")
    ks = (kernel,) if isinstance(kernel, (int, np.integer)) else tuple(kernel)
    vals = (*ks, stride, in_size)
    if not ks or any(not isinstance(v, (int, np.integer)) or v < 1 for v in vals):
        raise ValueError(
            f"plot.overlap_figure: kernel sizes, stride and in_size must be positive ints, got "
            f"kernel={kernel!r}, stride={stride!r}, in_size={in_size!r}"
        )
    if in_size > 64:
        raise ValueError(f"plot.overlap_figure: in_size must be at most 64, got {in_size}")
    one = [np.asarray(ca.nn.overlap(in_size, k, stride)) for k in ks]
    two = [np.asarray(ca.nn.overlap((in_size,) * 2, (k, k), (stride, stride))) for k in ks]
    vmax = max(int(t.max()) for t in two)
    fig = _figure(figsize=(3.4 * len(ks), 5.2), layout="constrained")
    axes = fig.subplots(2, len(ks), squeeze=False, height_ratios=[1, 2.4])
    for j, (k, o1, o2) in enumerate(zip(ks, one, two)):
        inner = o1[k - 1 : o1.size - (k - 1)] if o1.size > 2 * (k - 1) else o1
        even = inner.min() == inner.max()
        ax = axes[0, j]
        ax.bar(np.arange(o1.size), o1, color="#4c72b0" if even else "#c44e52", width=0.85)
        ax.set_title(
            f"kernel {k}, stride {stride}: {'even' if even else 'uneven'}\n"
            f"interior written {inner.min()}-{inner.max()} times",
            fontsize=8,
        )
        ax.set_yticks(range(int(o1.max()) + 1))
        ax.tick_params(labelsize=6.5)
        ax.set_xlabel("output sample (1-D)", fontsize=7)
        ax = axes[1, j]
        ax.imshow(o2, cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        if o2.shape[0] <= 24:
            for (a, b), v in np.ndenumerate(o2):
                col = "black" if v > 0.6 * vmax else "white"
                ax.text(b, a, str(int(v)), ha="center", va="center", fontsize=5.5, color=col)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"2-D: {k}x{k} kernel, stride {stride}", fontsize=7)
    fig.suptitle("transposed convolution: writes per output sample (Aᵀ 1)", fontsize=9)
    return _finish(fig, path, "overlap_figure", dpi)


# ---- benchmark --------------------------------------------------------------------------------


def benchmark(
    rows: list[dict] | str | os.PathLike,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 120,
):
    """Each formulation's time over the fastest of its (case, direction), log scale.

    Args:
      rows: the JSON rows of ``python -m convalgebra.bench --json FILE`` (a list of dicts, or
        the file's path).
      title: the figure title (default: the device and versions of the rows).
      path: write the figure there instead of returning it.
      dpi: resolution of the written file.

    Returns:
      A matplotlib ``Figure``, or ``path`` when given.

    Raises:
      ValueError: no successful row to draw; an unwritable path.
      ImportError: matplotlib is not installed.
    """
    _require("benchmark")
    if not isinstance(rows, list):
        with open(rows) as f:
            rows = cast("list[dict]", json.load(f))
    ok = [r for r in rows if r.get("status") == "ok" and r.get("ratio_to_best")]
    if not ok:
        raise ValueError(f"plot.benchmark: no successful rows to draw among {len(rows)} rows")
    labels = list(dict.fromkeys(f"{r['case']} {r['direction']}" for r in ok))

    def series(r: dict) -> str:  # one series per library formulation, one per other family
        return r["formulation"] if r["family"] == "convalgebra" else r["family"]

    names = list(dict.fromkeys(series(r) for r in ok))
    fig = _figure(figsize=(9, 1.5 + 0.28 * len(labels)), layout="constrained")
    ax = fig.subplots()
    for i, name in enumerate(names):
        lib = name.startswith("convalgebra")
        pts = [
            (r["ratio_to_best"], labels.index(f"{r['case']} {r['direction']}"))
            for r in ok
            if series(r) == name
        ]
        ax.scatter(
            *zip(*pts),
            label=name,
            marker="o^sDvP*X"[i % 8],
            s=44 if lib else 18,
            zorder=3 if lib else 2,
        )
    ax.set_xscale("log")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="0.6", lw=0.8)
    ax.set_xlabel("time / fastest formulation of the same case and direction (log)")
    if title is None:
        title = f"convalgebra.bench — {ok[0].get('device', '?')}"
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _finish(fig, path, "benchmark", dpi)


# ---- the tour's figures -----------------------------------------------------------------------


def _fig_matrix(path: str, quick: bool) -> str:
    A = ca.down(2) @ ca.corr(jnp.array([2.0, 3.0, 5.0]), "same")
    return cast(str, matrix_figure(A, jax.ShapeDtypeStruct((8,), jnp.float32), path=path, dpi=80))


def _fig_sliding(discrete: bool, channels: int, ops: tuple[str, ...], gif: bool):
    def build(path: str, quick: bool) -> str:
        if not gif:
            return cast(
                str,
                sliding(ops=ops, discrete=discrete, channels=channels, strip=3, path=path, dpi=66),
            )
        frames = 6 if quick else (20 if discrete else 36)
        return cast(
            str,
            sliding(
                ops=ops, discrete=discrete, channels=channels, frames=frames, path=path, dpi=90
            ),
        )

    return build


def _fig_overlap(path: str, quick: bool) -> str:
    return cast(str, overlap_figure((3, 4), 2, path=path, dpi=72))


# name -> (file name, builder(path, quick) -> path written)
FIGURES: dict[str, tuple[str, Callable[[str, bool], str]]] = {
    "matrix": ("matrix.png", _fig_matrix),
    "sliding": ("sliding.gif", _fig_sliding(False, 1, ("conv", "corr"), True)),
    "sliding-strip": ("sliding.png", _fig_sliding(False, 1, ("conv", "corr"), False)),
    "sliding-discrete": ("sliding-discrete.gif", _fig_sliding(True, 1, ("conv", "corr"), True)),
    "sliding-channels": ("sliding-channels.gif", _fig_sliding(False, 2, ("conv",), True)),
    "overlap": ("overlap.png", _fig_overlap),
}


def save(
    directory: str | os.PathLike, names: Sequence[str] | None = None, *, quick: bool = False
) -> list[str]:
    """Writes the named figures (default: all of :data:`FIGURES`) into ``directory``.

    Args:
      directory: created if missing.
      names: figure names, from ``FIGURES``.
      quick: fewer animation frames (for tests).

    Returns:
      The paths written.

    Raises:
      ValueError: an unknown figure name; a directory that cannot be created or written.
      ImportError: matplotlib is not installed.
    """
    names = list(FIGURES) if names is None else [names] if isinstance(names, str) else list(names)
    bad = [n for n in names if n not in FIGURES]
    if bad:
        raise ValueError(
            f"plot.save: unknown figure name {', '.join(map(repr, bad))}; "
            f"choose from {', '.join(FIGURES)}"
        )
    _require("save")
    directory = _check_dir(directory, "save")
    return [
        build(os.path.join(directory, fname), quick) for fname, build in (FIGURES[n] for n in names)
    ]
