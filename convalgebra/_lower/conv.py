"""One :class:`~.ir.Conv` to lax: polyphase phases, the stacked form and depth-to-space.

Per axis, :func:`~convalgebra._static.polyphase.axis_plan` splits the node into VALID strided
correlations of the original ``x`` (phases); a strategy (``strategies.REGISTRY``) runs each, or,
for ``"lax"`` with several phases, ONE stacked convolution computes all phases as output
channels and a depth-to-space reshape interleaves them. Resampled ``"lax"`` nodes are wrapped by
:func:`fast.fast_linear` so that both transpose routes and kernel gradients are polyphase or
strided programs (never ``lhs_dilation``, never a window-reversed kernel gradient).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._static.polyphase import AxisPlan, Taps, axis_plan
from .._static.shapes import out_length
from .._static.structs import Kind, Shape
from . import strategies
from .fast import fast_linear
from .ir import Conv
from .rules import corr_kernel


def plans_of(c: Conv, spatial: Shape) -> list[AxisPlan]:
    """The polyphase plan of every spatial axis of ``c`` on inputs of ``spatial`` lengths."""
    out = []
    for a, n in enumerate(spatial):
        if c.wrap:
            n = n + sum(c.wrap[a])
        lo, hi = c.pads[a]
        out.append(
            axis_plan(n, c.taps[a], c.dilation[a], lo, hi, c.up[a], c.up_phase[a], c.down[a],
                      c.down_phase[a])
        )  # fmt: skip
    return out


def out_shape(c: Conv, in_shape: Shape) -> Shape:
    """The output shape of ``c`` (input already checked by the expression layer)."""
    nd = c.ndim
    lead_n = nd + (0 if c.kind is Kind.SINGLE else 1)
    spatial = tuple(p.out_len for p in plans_of(c, in_shape[-nd:]))
    chan = () if c.kind is Kind.SINGLE else (c.kernel.shape[0],)
    return tuple(in_shape[: len(in_shape) - lead_n]) + chan + spatial


def _sub_kernel(w: jax.Array, plans, combo, nd: int) -> tuple[jax.Array, tuple[int, ...]]:
    rsub = []
    for a, (p, i) in enumerate(zip(plans, combo)):
        ph = p.phases[i]
        ax = w.ndim - nd + a
        if not ph.sub.zero:
            e, u = ph.sub.start, ph.sub.step
            if (e, u) != (0, 1):
                w = lax.slice_in_dim(w, e, w.shape[ax], u, axis=ax)
        rsub.append(ph.rsub)
    return w, tuple(rsub)


def _dense_axes(w: jax.Array, node: Conv, plans) -> jax.Array:
    """Materialises the dilation on axes whose plan needs the dense kernel."""
    nd = node.ndim
    cfg = [(0, 0, 0)] * (w.ndim - nd)
    need = False
    for a, p in enumerate(plans):
        dense = any(ph.sub.how is Taps.DENSE for ph in p.phases)
        need |= dense
        cfg.append((0, 0, node.dilation[a] - 1 if dense else 0))
    return lax.pad(w, jnp.zeros((), w.dtype), cfg) if need else w


def _lead_shape(x: jax.Array, w: jax.Array, kind: str, nd: int) -> Shape:
    if kind is Kind.SINGLE:
        return x.shape[:-nd]
    return (*x.shape[: -nd - 1], w.shape[0])


def _forward(
    node: Conv,
    x: jax.Array,
    w: jax.Array,
    strategy: str,
    linear: bool,
    guard: bool,
    precision: Any = None,
) -> jax.Array:
    """The lowered program of ``node`` on ``x`` (wrap-padded already), correlation kernel ``w``.

    ``precision`` is lax's, resolved for the platform; ``node.preferred_element_type`` too.
    """  # fmt: skip
    pet = node.preferred_element_type
    nd, kind = node.ndim, node.kind
    spatial = x.shape[-nd:]
    plans = plans_of(dataclasses.replace(node, wrap=None), spatial)
    wd = _dense_axes(w, node, plans)
    lead = _lead_shape(x, w, kind, nd)
    if strategy == "lax" and any(p.interleave > 1 for p in plans):
        y = _stacked(node, plans, x, wd, guard, precision)
        if y is not None:
            return y
    impl = strategies.REGISTRY[strategy]
    outs = {}
    for combo in itertools.product(*[range(len(p.phases)) for p in plans]):
        phs = [p.phases[i] for p, i in zip(plans, combo)]
        counts = tuple(ph.count for ph in phs)
        if any(ph.sub.zero for ph in phs) or 0 in counts:
            outs[combo] = jnp.zeros(lead + counts, pet or x.dtype)
            continue
        wsub, rsub = _sub_kernel(wd, plans, combo, nd)
        pads = [(ph.lo, ph.hi) for ph in phs]
        # strided: the conv pads (crops first, unless a crop would exceed the axis: then the
        # signed padding is applied as one explicit lax.pad, valid whatever the signs)
        own = strategy == "lax" and all(u == 1 for u in node.up)
        own = own and all(
            n + min(lo, 0) + min(hi, 0) >= 0 for n, (lo, hi) in zip(x.shape[-nd:], pads)
        )
        if own:
            xp = strategies._padded(x, nd, [(min(lo, 0), min(hi, 0)) for lo, hi in pads])
            cpads = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
        else:  # polyphase: explicit pad before a VALID conv keeps kernel gradients fast
            xp, cpads = strategies._padded(x, nd, pads), [(0, 0)] * nd
        strides = tuple(ph.stride for ph in phs)
        outs[combo] = impl(xp, wsub, kind, nd, strides, rsub, cpads, linear, node.groups,
                           precision=precision, pet=pet)  # fmt: skip
    return _assemble(outs, plans, nd, 0, ())


def _grow_output(n_in, taps, cpads, strides, rsubs, counts):
    """Pads one axis so that the convolution has one more output than input samples.

    Measured on XLA:CPU (jax 0.10.2, 2 cores): 2-D convolutions with more than 16 features are
    routed to a YNNPACK path unless an output axis is longer than its input; for the stacked
    polyphase convolution that path ran 1.7-1.9x slower, and the kernel gradient of a training
    step 3x slower, than XLA's own convolution. One extra output row (cropped in depth-to-space)
    costs ~1/n of the work and keeps the convolution on XLA's path.
    """
    outs = [
        (n + lo + hi - (k - 1) * r - 1) // g + 1
        for n, k, (lo, hi), g, r in zip(n_in, taps, cpads, strides, rsubs)
    ]
    if any(o > n for o, n in zip(outs, n_in)):
        return cpads, counts
    extra = [n - o + 1 for o, n in zip(outs, n_in)]
    cost = [e * int(np.prod(outs)) // max(o, 1) for e, o in zip(extra, outs)]
    a = int(np.argmin(cost))
    cpads = list(cpads)
    cpads[a] = (cpads[a][0], cpads[a][1] + strides[a] * extra[a])
    counts = list(counts)
    counts[a] += extra[a]
    return cpads, counts


def _stacked(
    node: Conv, plans, x: jax.Array, wd: jax.Array, guard: bool, precision: Any = None
) -> jax.Array | None:
    """Polyphase as ONE convolution: every phase's sub-kernel is an output channel.

    The sub-kernels of an axis's phases are zero-padded onto a common window (their offsets
    into ``x`` differ by at most the kernel length), so a single VALID stride-1 convolution of
    the explicitly padded ``x`` computes all phases at once (``u^d · C_out`` output channels);
    a depth-to-space reshape/transpose interleaves them. Phases that are identically zero are
    left out of the convolution and inserted as zeros. ``None`` when no phase is nonzero.
    """
    nd, kind = node.ndim, node.kind
    spatial = x.shape[-nd:]
    live, shifts, pads, strides, rsubs, counts = [], [], [], [], [], []
    for p, n in zip(plans, spatial):
        idx = [i for i, ph in enumerate(p.phases) if not ph.sub.zero and ph.count > 0]
        if not idx:
            return None
        phs = [p.phases[i] for i in idx]
        count = max(ph.count for ph in p.phases)
        if len(idx) == 1:  # one sub-kernel on this axis: keep its sub-dilation and stride
            ph = phs[0]
            length, sh, base = ph.taps, [0], -ph.lo
            rsub, stride = ph.rsub, ph.stride
            span = (length - 1) * rsub + 1
        else:  # several phases (stride 1, dense sub-kernels): a common window
            assert all(ph.rsub == 1 and ph.stride == 1 for ph in phs), phs
            base = min(-ph.lo for ph in phs)
            length = max(-ph.lo - base + ph.taps for ph in phs)
            sh = [-ph.lo - base for ph in phs]
            rsub, stride, span = 1, 1, length
        lo = -base
        hi = stride * (count - 1) + span - n - lo
        live.append(idx)
        shifts.append([(a, length - a - ph.taps) for a, ph in zip(sh, phs)])
        pads.append((lo, hi))
        strides.append(stride)
        rsubs.append(rsub)
        counts.append(count)
    subs = []
    for combo in itertools.product(*[range(len(i)) for i in live]):
        full = tuple(live[a][j] for a, j in enumerate(combo))
        wsub, _ = _sub_kernel(wd, plans, full, nd)
        cfg = [(0, 0, 0)] * (wsub.ndim - nd) + [(*shifts[a][j], 0) for a, j in enumerate(combo)]
        subs.append(lax.pad(wsub, jnp.zeros((), wsub.dtype), cfg))
    nph = len(subs)
    zs = tuple(len(i) for i in live)
    taps = subs[0].shape[-nd:]
    # explicit pad before a VALID conv: kernel gradients stay fast (measured: with the conv's
    # own padding the training step of a 2-D transposed conv ran 2x slower, 75x off YNNPACK)
    # (an explicitly sharded spatial axis: the conv's own padding, since JAX refuses a lax.pad
    # of a sharded axis to a length the mesh does not divide)
    sharded = spatially_sharded(x, nd) and all(lo >= 0 and hi >= 0 for lo, hi in pads)
    if sharded:
        xp, cpads = x, list(pads)
    else:
        xp, cpads = strategies._padded(x, nd, pads), [(0, 0)] * nd
    lead, _ = strategies._split(xp, kind, nd)
    cin = 1 if kind is Kind.SINGLE else xp.shape[-nd - 1]
    cout = nph * (wd.shape[0] if kind is not Kind.SINGLE else 1)
    if guard and nd == 2 and max(cin, cout) > 16 and not sharded:
        cpads, counts = _grow_output(xp.shape[-nd:], taps, cpads, strides, rsubs, counts)
    if kind is Kind.MIXING:  # (C_out, P, C_in, *L) -> (C_out·P, C_in, *L): channel-major
        c = wd.shape[0]
        ws = jnp.stack(subs, 1).reshape((c * nph, wd.shape[1], *taps))
    elif kind is Kind.DEPTHWISE:  # (C, P, *L) -> (C·P, 1, *L): P outputs per channel group
        c = wd.shape[0]
        ws = jnp.stack(subs, 1).reshape((c * nph, 1, *taps))
    else:  # single: the phases are the output channels of a 1-channel convolution
        c, ws = 1, jnp.stack(subs).reshape((nph, 1, *taps))
    y = lax.conv_general_dilated(
        _batch_channels(xp, len(lead), kind),
        ws,
        tuple(strides),
        cpads,
        rhs_dilation=tuple(rsubs),
        feature_group_count=cin if kind is Kind.DEPTHWISE else node.groups,
        precision=precision,
        preferred_element_type=node.preferred_element_type,
    )
    chan = () if kind is Kind.SINGLE else (c,)
    # (b, C·P, *count) -> (..., C, *Z, *count), one axis split per reshape (sharding-safe)
    y = _split_axis(y, 1, (*chan, *zs))
    y = _split_axis(y, 0, lead)
    return _depth_to_space(y, plans, live, counts, nd)


def sharded_axes(x: jax.Array) -> tuple[bool, ...]:
    """Which axes of ``x``'s type are sharded over explicit mesh axes (all ``False``: none).

    Only explicit mesh axes (``jax.sharding.AxisType.Explicit``) are part of an array's type;
    under auto axes the sharding is XLA's to propagate and invisible here.
    """
    try:
        spec = tuple(jax.typeof(x).sharding.spec)
    except (AttributeError, TypeError):
        return (False,) * x.ndim
    return tuple(s is not None for s in spec) + (False,) * (x.ndim - len(spec))


def spatially_sharded(x: jax.Array, nd: int) -> bool:
    """Whether ``x``'s type shards one of its ``nd`` trailing (spatial) axes (explicit axes)."""
    return any(sharded_axes(x)[x.ndim - nd :])


def check_halos(c: Conv, x: jax.Array) -> None:
    """Refuses a sharded spatial axis whose pieces each need the whole axis (explicit axes).

    One output piece of ``q`` samples (stride ``s``, kernel span ``lc``, up-sampling ``u``)
    reads ``ceil((s (q - 1) + lc) / u)`` input samples: its piece plus the halos. While that
    window is shorter than the axis, XLA's partitioner exchanges the halos by collective-permutes
    (several hops when a halo is longer than a piece); once it spans the axis, every device needs
    every sample and XLA all-gathers the axis (measured on 8 CPU host devices, jax 0.10.2: the
    rule matched every kernel of 2 to 33 taps, stride 1 and 2, transposed, on pieces of 2, 4, 8).

    Raises:
      ValueError: naming the operator, the axis, the piece length and the halo.
    """
    sharded = sharded_axes(x)
    nd = c.ndim
    if not any(sharded[x.ndim - nd :]):
        return
    sh = jax.typeof(x).sharding
    out = out_shape(c, x.shape)[-nd:]
    for a in range(nd):
        ax = x.ndim - nd + a
        spec = tuple(sh.spec)[ax] if ax < len(tuple(sh.spec)) else None
        if spec is None:
            continue
        names = spec if isinstance(spec, tuple) else (spec,)
        pieces = int(np.prod([sh.mesh.shape[n] for n in names]))
        n = x.shape[ax] + (sum(c.wrap[a]) if c.wrap else 0)
        if pieces < 2 or n == 0:
            continue
        q = -(-out[a] // pieces)
        span = (c.taps[a] - 1) * c.dilation[a] + 1
        needed = -(-(c.down[a] * (q - 1) + span) // c.up[a])
        if needed >= n:
            piece = x.shape[ax] // pieces
            raise ValueError(
                f"lower: {c.label()} on axis {ax} of {x.shape} sharded into {pieces} pieces of "
                f"{piece}: each piece needs a window of {needed} samples (a halo of "
                f"{needed - piece}), the whole axis, which XLA all-gathers; shard that axis "
                "into fewer pieces or shard the batch"
            )


def _batch_channels(x: jax.Array, n_lead: int, kind: Kind) -> jax.Array:
    """``(*lead, [C,] *S) -> (b, C, *S)`` for the convolution, one merge per reshape."""
    x = _merge_axes(x, 0, n_lead) if n_lead else x[None]
    return x[:, None] if kind is Kind.SINGLE else x


def _split_axis(y: jax.Array, ax: int, sizes) -> jax.Array:
    """Splits axis ``ax`` of ``y`` into ``sizes`` (one reshape that splits ONE axis).

    Every reshape of the lowering splits or merges a single axis, next to axes it leaves alone:
    JAX's explicit sharding types (``jax.sharding.AxisType.Explicit``) accept exactly those
    reshapes, and a sharded batch axis then stays sharded.
    """
    sizes = tuple(sizes)
    if sizes == (y.shape[ax],):
        return y
    return y.reshape((*y.shape[:ax], *sizes, *y.shape[ax + 1 :]))


def _merge_axes(y: jax.Array, ax: int, n: int) -> jax.Array:
    """Merges axes ``ax .. ax+n-1`` of ``y`` into one (one reshape that merges ONE group)."""
    if n == 1:
        return y
    size = int(np.prod(y.shape[ax : ax + n]))
    return y.reshape((*y.shape[:ax], size, *y.shape[ax + n :]))


def _depth_to_space(y: jax.Array, plans, live, counts, nd: int) -> jax.Array:
    """``(..., *Z, *count)`` phase-major outputs → the interleaved, decimated result."""
    lead = y.ndim - 2 * nd
    for a, p in enumerate(plans):  # zero phases back in, so each axis has all its phases
        if len(live[a]) < len(p.phases):
            ax = lead + a
            zero = jnp.zeros((*y.shape[:ax], 1, *y.shape[ax + 1 :]), y.dtype)
            parts = [zero] * len(p.phases)
            for j, i in enumerate(live[a]):
                parts[i] = lax.slice_in_dim(y, j, j + 1, axis=ax)
            y = jnp.concatenate(parts, axis=ax)
    perm = list(range(lead))
    for a in range(nd):
        perm += [lead + nd + a, lead + a]
    y = jnp.transpose(y, perm)  # (..., count_1, Z_1, count_2, Z_2, ...)
    for a, p in enumerate(plans):  # interleave one axis at a time (sharding-safe reshapes)
        y = _interleave(y, lead + a, p)
    return y


def _kept(p: AxisPlan) -> tuple[int, int, int]:
    """``(start, stop, step)`` of the final ``↓s,ps`` (and crop) on an interleaved axis."""
    if p.out_len == 0:
        return 0, 0, 1
    if p.interleave == 1:
        return 0, p.out_len, 1
    return p.phase, p.phase + p.stride * (p.out_len - 1) + 1, p.stride


def _interleave(y: jax.Array, ax: int, p: AxisPlan) -> jax.Array:
    """``(..., rows, Z, ...)`` at ``ax`` → the interleaved axis ``rows·Z``, cropped and decimated.

    Rows no kept output needs are cropped *before* the merge, so the merged axis is exactly as
    long as needed: under a spatially sharded input the row axis stays evenly divisible (an
    extra row, e.g. from :func:`_grow_output`, made XLA's partitioner all-gather the output)
    and the merge reshape keeps the rows' sharding.
    """
    z = y.shape[ax + 1]
    start, stop, step = _kept(p)
    r0, r1 = start // z, min(-(-stop // z), y.shape[ax])
    if (r0, r1) != (0, y.shape[ax]):
        y = lax.slice_in_dim(y, r0, max(r0, r1), axis=ax)
    y = _merge_axes(y, ax, 2)
    start, stop = start - r0 * z, stop - r0 * z
    if (start, stop, step) != (0, y.shape[ax], 1):
        y = lax.slice_in_dim(y, start, stop, step, axis=ax)
    return y


def _assemble(outs, plans, nd: int, axis: int, prefix: tuple) -> jax.Array:
    if axis == nd:
        return outs[prefix]
    p = plans[axis]
    parts = [_assemble(outs, plans, nd, axis + 1, (*prefix, i)) for i in range(len(p.phases))]
    if p.interleave == 1:
        return parts[0]
    ax = parts[0].ndim - nd + axis
    a0 = max(q.shape[ax] for q in parts)
    parts = [
        lax.pad(
            q,
            jnp.zeros((), q.dtype),
            [(0, 0, 0)] * ax + [(0, a0 - q.shape[ax], 0)] + [(0, 0, 0)] * (q.ndim - ax - 1),
        )
        for q in parts
    ]
    return _interleave(jnp.stack(parts, axis=ax + 1), ax, p)


def transpose_conv(node: Conv, spatial: Shape, w_t: jax.Array) -> Conv:
    """The Conv of ``Aᵀ`` for ``A = node`` on inputs with ``spatial`` trailing lengths.

    ``(↓s,ps (w ⋆) pad(lo, hi) ↑u,pu)ᵀ = ↓u,pu (flip(w) ⋆) pad(Lc-1-lo, Lc-1-hi + M - sT) ↑s,ps``
    (``M`` samples before decimation, ``T`` after): the transpose is the same kind of node, so
    it lowers with the same machinery. ``w_t`` is the transposed correlation kernel.
    """
    pads = []
    for a, n in enumerate(spatial):
        k, r, (lo, hi) = node.taps[a], node.dilation[a], node.pads[a]
        u, s, ps = node.up[a], node.down[a], node.down_phase[a]
        lc = (k - 1) * r + 1
        m = u * n + lo + hi - lc + 1
        t = out_length(n, k, r, lo, hi, u, s, ps)
        pads.append((lc - 1 - lo, lc - 1 - hi + m - s * t))
    return Conv(kernel=w_t, ndim=node.ndim, flip=False, dilation=node.dilation,
                pads=tuple(pads), wrap=None, up=node.down, up_phase=node.down_phase,
                down=node.up, down_phase=node.up_phase, name=node.name,
                groups=node.groups, precision=node.precision,
                preferred_element_type=node.preferred_element_type)  # fmt: skip


def _kernel_t(w: jax.Array, kind: Kind, nd: int, groups: int = 1) -> jax.Array:
    """The correlation kernel of the transpose: channels swapped (within groups), flipped."""
    if kind is Kind.MIXING:
        g, (co, ci), taps = groups, w.shape[:2], w.shape[2:]
        w = w.reshape((g, co // g, ci, *taps))
        w = jnp.swapaxes(w, 1, 2).reshape((g * ci, co // g, *taps))
    return jnp.flip(w, tuple(range(w.ndim - nd, w.ndim)))


def emit_conv(
    c: Conv, x: jax.Array, strategy: str, *, linear: bool, guard: bool, precision: Any = None
) -> jax.Array:
    """The lax program of ``c`` on ``x`` (already in the kernel's dtype) with ``strategy``.

    Args:
      c: the node.
      x: its input.
      strategy: one of ``strategies.REGISTRY``.
      linear: emit for ``jax.linear_transpose`` (see :mod:`.fast`).
      guard: keep 2-D stacked convolutions off XLA:CPU's slower YNNPACK path (a tuning flag).
      precision: lax's, resolved for the platform (``precision.resolve``); it reaches every
        convolution and ``dot_general`` of the program, its transposes and kernel gradients.
    """
    nd = c.ndim
    w = corr_kernel(c)
    if strategy == "poly":  # a rational resampler computing only the kept samples
        from . import resample

        return resample.emit(c, x, w, linear=linear, precision=precision)
    if c.wrap and not c.resampled and all(p == (0, 0) for p in c.pads):
        return _circular(c, x, w, strategy, linear, guard)
    if c.wrap:
        x = jnp.pad(x, [(0, 0)] * (x.ndim - nd) + list(c.wrap), mode="wrap")
    # (explicitly sharded inputs too: the kernel gradient then runs with auto axes, fast.py)
    # the transposed node's own program: lax for every resampled (or sharded) conv; shift for a
    # rational resampler, whose polyphase bookkeeping JAX transposes slowly (6x, tests/lower)
    own_transpose = (strategy == "lax" and (c.resampled or any(sharded_axes(x)))) or (
        strategy == "shift" and c.resampled_both
    )
    if c.wrap is None and own_transpose:
        spatial = x.shape[-nd:]

        def transposed(ct: jax.Array, w: jax.Array) -> jax.Array:
            # in the cotangent's dtype (wider than x's with a preferred_element_type), as lax's
            # transpose rules compute; fast_linear casts the result back to x's dtype
            wt = _kernel_t(w, c.kind, nd, c.groups).astype(ct.dtype)
            t = transpose_conv(c, spatial, wt)
            return _forward(t, ct, t.kernel, strategy, False, guard, precision)

        return fast_linear(
            lambda x, w: _forward(c, x, w, strategy, False, guard, precision),
            transposed,
            lambda x, dw: _forward(c, x, dw, strategy, False, guard, precision),
            x,
            w,
            linear,
        )
    return _forward(c, x, w, strategy, linear, guard, precision)


def _wrap_pad(x: jax.Array, wrap, nd: int) -> jax.Array:
    return jnp.pad(x, [(0, 0)] * (x.ndim - nd) + list(wrap), mode="wrap")


def _circular(
    c: Conv, x: jax.Array, w: jax.Array, strategy: str, linear: bool, guard: bool
) -> jax.Array:
    """A circular (wrap-padded, stride-1) convolution whose transpose is again one.

    ``y[n] = sum_j w[j] x[(n + r·j - lo) mod N]`` transposes to the circular correlation with
    the flipped (channel-swapped) kernel and the wrap ``(hi, lo)``: both transpose routes run
    that program instead of transposing the periodic padding (slices and adds of full arrays).
    """
    nd = c.ndim
    assert c.wrap is not None
    t_wrap = tuple((hi, lo) for lo, hi in c.wrap)

    def forward(x: jax.Array, w: jax.Array) -> jax.Array:
        return _forward(c, _wrap_pad(x, c.wrap, nd), w, strategy, False, guard)

    def transposed(ct: jax.Array, w: jax.Array) -> jax.Array:
        wt = _kernel_t(w, c.kind, nd, c.groups)
        t = dataclasses.replace(c, kernel=wt, flip=False, wrap=t_wrap)
        return _forward(t, _wrap_pad(ct, t_wrap, nd), wt, strategy, False, guard)

    return fast_linear(forward, transposed, forward, x, w, linear)
