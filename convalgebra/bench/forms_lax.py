"""Hand-written lax formulations, JAX's automatic transposes of them, and fast references.

Families (see :mod:`.registry`): ``lax`` are the lax primitives a user would write by hand
(``window_strides``, ``lhs_dilation`` / ``lax.conv_transpose``, ``rhs_dilation``, feature
groups); ``auto`` are ``jax.linear_transpose`` and ``jax.vjp`` of the kind's plain lax forward;
``reference`` are hand-written fast forms (polyphase, fused kernels, shifted multiply-adds, FFT),
with their gradients taken by ``jax.vjp``. Names ending in ``c-last`` run on channels-last data.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from . import kernels as K
from .cases import Case
from .registry import register

F32 = jnp.float32


def _struct(shape) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(tuple(shape), F32)


def _vjp_step(f):
    """A training step ``(y, dws)`` of the forward ``f(ws, x)`` by ``jax.vjp``."""

    def step(ws, x, g):
        y, pull = jax.vjp(lambda ws: f(ws, x), ws)
        return y, pull(g)[0]

    return step


def _lt_step(f):
    """A training step whose kernel gradient is ``jax.linear_transpose`` in ``ws``."""

    def step(ws, x, g):
        wst = tuple(jax.ShapeDtypeStruct(w.shape, w.dtype) for w in ws)
        return f(ws, x), jax.linear_transpose(lambda ws: f(ws, x), wst)(g)[0]

    return step


def _spatial_slice(y, nd: int, s: int, cl: bool):
    idx = [slice(None)] * y.ndim
    for a in K.spatial_axes(y, nd, cl):
        idx[a] = slice(None, None, s)
    return y[tuple(idx)]


# ---- the plain lax forward of every kind (cl: channels-last data) ---------------------------
def _fwd_strided(case: Case, cl=False):
    nd, s, p = case.ndim, case.factor, case.pads
    return lambda ws, x: K.conv(x, ws[0], [p] * nd, stride=s, cl=cl)


def _fwd_transposed(case: Case, cl=False):
    lo, s = case.pads[0], case.factor
    return lambda ws, x: K.corr_up(x, ws[0], s, lo, case.spatial_out, cl=cl, api=True)


def _fwd_dilated(case: Case, cl=False):
    nd, r, p = case.ndim, case.factor, case.pads
    return lambda ws, x: K.conv(x, ws[0], [p] * nd, rhs_dilation=r, cl=cl)


def _repeat(x, nd: int, s: int, cl: bool):
    for a in K.spatial_axes(x, nd, cl):
        x = jnp.repeat(x, s, axis=a)
    return x


def _fwd_nearest(case: Case, cl=False):
    nd, s, p = case.ndim, case.factor, case.pads
    return lambda ws, x: K.conv(_repeat(x, nd, s, cl), ws[0], [p] * nd, cl=cl)


def _fwd_fusion(case: Case, cl=False):
    v = [(0, 0)] * case.ndim
    return lambda ws, x: K.conv(K.conv(x, ws[0], v, cl=cl), ws[1], v, cl=cl)


def _grouped(w):
    return w.reshape((w.shape[0], 1, *w.shape[1:]))


def _fwd_depthwise(case: Case, cl=False):
    p, c = [case.pads] * case.ndim, case.c_in
    return lambda ws, x: K.conv(x, _grouped(ws[0]), p, groups=c, cl=cl)


def _fwd_fir(case: Case, cl=False):
    p, s = [case.pads], case.factor
    return lambda ws, x: K.conv(x[:, None], ws[0][None, None], p, stride=s)[:, 0]


PLAIN = {
    "strided": _fwd_strided,
    "transposed": _fwd_transposed,
    "dilated": _fwd_dilated,
    "nearest": _fwd_nearest,
    "fusion": _fwd_fusion,
    "depthwise": _fwd_depthwise,
    "fir": _fwd_fir,
}


def both_layouts(kinds, name: str, *, family: str):
    """Registers ``make(case, direction, cl)`` as ``name`` (channels-first data) and as
    ``name + " c-last"`` (channels-last data): each formulation on both layouts."""

    def wrap(make):
        register(kinds, name, family=family)(functools.partial(_layout_build, make, False))
        register(kinds, f"{name} c-last", family=family, layout="channels_last")(
            functools.partial(_layout_build, make, True)
        )
        return make

    return wrap


def _layout_build(make, cl: bool, case: Case, direction: str):
    return make(case, direction, cl)


def x_struct(case: Case, cl: bool = False) -> jax.ShapeDtypeStruct:
    """The input's shape (channels-last when ``cl``), float32."""
    shape = case.x_shape
    if cl and case.kind != "fir":
        shape = (shape[0], *shape[2:], shape[1])
    return _struct(shape)


def _forward_only(make, *, nd_min=1, when=None):
    """A builder that offers only the forward direction."""

    def build(case: Case, direction: str):
        if direction != "forward" or case.ndim < nd_min or (when and not when(case)):
            return None
        return make(case)

    return build


# ---- forward formulations ---------------------------------------------------------------------
# Strided, transposed and dilated cases run every formulation on both layouts (like with like:
# the tables compare within a layout); the other kinds stay channels-first.
@both_layouts("strided", "lax stride", family="lax")
def _(case: Case, direction: str, cl: bool):
    return _fwd_strided(case, cl) if direction == "forward" else None


@both_layouts("transposed", "lax.conv_transpose", family="lax")
def _(case: Case, direction: str, cl: bool):
    return _fwd_transposed(case, cl) if direction == "forward" else None


@both_layouts("dilated", "lax rhs_dilation", family="lax")
def _(case: Case, direction: str, cl: bool):
    if direction == "forward":
        return _fwd_dilated(case, cl)
    if direction != "transpose":
        return None
    (lo, hi), r, nd = case.pads, case.factor, case.ndim
    return lambda ws, g: K.conv(g, K.flip_swap(ws[0]), [(hi, lo)] * nd, rhs_dilation=r, cl=cl)


register("nearest", "lax repeat+conv", family="lax")(_forward_only(_fwd_nearest))
register("fusion", "lax two convs", family="lax")(_forward_only(_fwd_fusion))
register("depthwise", "lax grouped", family="lax")(_forward_only(_fwd_depthwise))
register("fir", "lax conv", family="lax")(_forward_only(_fwd_fir))


@both_layouts("strided", "lax conv+slice", family="lax")
def _(case: Case, direction: str, cl: bool):
    if direction != "forward":
        return None
    nd, s, p = case.ndim, case.factor, case.pads
    return lambda ws, x: _spatial_slice(K.conv(x, ws[0], [p] * nd, cl=cl), nd, s, cl)


@both_layouts("dilated", "lax dilated kernel", family="lax")
def _(case: Case, direction: str, cl: bool):
    if direction != "forward":
        return None
    nd, r, p = case.ndim, case.factor, case.pads
    cfg = [(0, 0, 0)] * 2 + [(0, 0, r - 1)] * nd

    def f(ws, x):  # zero insertion into the kernel by lax.pad, then a plain convolution
        return K.conv(x, jax.lax.pad(ws[0], jnp.zeros((), F32), cfg), [p] * nd, cl=cl)

    return f


# ---- the automatic transposes of the plain forwards, and their kernel gradients ---------------
LAYOUT_KINDS = ("strided", "transposed", "dilated")


def _auto_lt(case: Case, direction: str, cl: bool = False):
    f = PLAIN[case.kind](case, cl) if cl else PLAIN[case.kind](case)
    if direction == "transpose":
        xs = x_struct(case, cl)
        return lambda ws, g: jax.linear_transpose(functools.partial(f, ws), xs)(g)[0]
    if direction == "grad" and case.kind != "fusion":  # fusion is bilinear in (w1, w2)
        return _lt_step(f)
    return None


def _auto_vjp(case: Case, direction: str, cl: bool = False):
    f = PLAIN[case.kind](case, cl) if cl else PLAIN[case.kind](case)
    if direction == "transpose":
        xs = x_struct(case, cl)
        x0 = functools.partial(jnp.zeros, xs.shape, F32)
        return lambda ws, g: jax.vjp(functools.partial(f, ws), x0())[1](g)[0]
    if direction == "grad":
        return _vjp_step(f)
    return None


both_layouts(LAYOUT_KINDS, "jax.linear_transpose", family="auto")(_auto_lt)
both_layouts(LAYOUT_KINDS, "jax.vjp", family="auto")(_auto_vjp)
_OTHER = tuple(k for k in PLAIN if k not in LAYOUT_KINDS)
register(_OTHER, "jax.linear_transpose", family="auto")(_auto_lt)
register(_OTHER, "jax.vjp", family="auto")(_auto_vjp)


# ---- hand-written transposes ------------------------------------------------------------------
def _strided_t(case: Case, cl=False, api=False, poly=False):
    """``(↓s (w ⋆ ·))ᵀ g``: the flipped kernel on ``↑s g``, by lhs_dilation or polyphase."""
    k, lo, s = case.eff_kernel, case.pads[0], case.factor
    fn = K.corr_up_polyphase if poly else functools.partial(K.corr_up, api=api)
    return lambda ws, g: fn(g, K.flip_swap(ws[0]), s, k - 1 - lo, case.spatial_in, cl=cl)


@both_layouts("strided", "lax.conv_transpose", family="lax")
def _(case: Case, direction: str, cl: bool):
    return _strided_t(case, cl=cl, api=True) if direction == "transpose" else None


def _transposed_t(case: Case, cl=False):
    """``(w ⋆ ↑s ·)ᵀ g``: a strided correlation with the flipped kernel."""
    k, (lo, _), s, nd = case.kernel, case.pads, case.factor, case.ndim
    return lambda ws, g: K.conv(g, K.flip_swap(ws[0]), [(k - 1 - lo, lo)] * nd, stride=s, cl=cl)


@both_layouts("transposed", "lax stride", family="lax")
def _(case: Case, direction: str, cl: bool):
    return _transposed_t(case, cl=cl) if direction == "transpose" else None


@register("fusion", "lax two convs", family="lax")
def _(case: Case, direction: str):
    if direction != "transpose":
        return None
    full = [(case.kernel - 1,) * 2] * case.ndim

    def f(ws, g):
        return K.conv(K.conv(g, K.flip_swap(ws[1]), full), K.flip_swap(ws[0]), full)

    return f


# ---- fast references (polyphase, fused kernels, shifted multiply-adds, FFT) -------------------
def _poly_transposed(case: Case, cl=False):
    lo, s = case.pads[0], case.factor
    return lambda ws, x: K.corr_up_polyphase(x, ws[0], s, lo, case.spatial_out, cl=cl)


def _reference(forward, transpose=None, *, grad=True, nd_min=1, when=None):
    """A builder from a forward ``make(case)``, an optional transpose, and the vjp step."""

    def build(case: Case, direction: str):
        if case.ndim < nd_min or (when and not when(case)):
            return None
        if direction == "forward" and forward:
            return forward(case)
        if direction == "transpose" and transpose:
            return transpose(case)
        if direction == "grad" and grad and forward:
            return _vjp_step(forward(case))
        return None

    return build


@both_layouts("strided", "polyphase", family="reference")
def _(case: Case, direction: str, cl: bool):
    return _strided_t(case, cl=cl, poly=True) if direction == "transpose" else None


@both_layouts("transposed", "polyphase", family="reference")
def _(case: Case, direction: str, cl: bool):
    return _reference(functools.partial(_poly_transposed, cl=cl))(case, direction)


def _fused_nearest(case: Case, poly=True):
    lo, s, nd = case.pads[0], case.factor, case.ndim
    up = K.corr_up_polyphase if poly else K.corr_up

    def f(ws, x):
        return up(x, K.box_kernel(ws[0], s, nd), s, lo + s - 1, case.spatial_out)

    return f


def _fused_nearest_t(case: Case):
    (lo, _), s, nd = case.pads, case.factor, case.ndim
    kf, lof = case.kernel + s - 1, lo + s - 1

    def f(ws, g):
        w = K.flip_swap(K.box_kernel(ws[0], s, nd))
        return K.conv(g, w, [(kf - 1 - lof, lof)] * nd, stride=s)

    return f


register("nearest", "fused lhs_dilation", family="reference")(
    _reference(functools.partial(_fused_nearest, poly=False), grad=False)
)
register("nearest", "fused polyphase", family="reference")(
    _reference(_fused_nearest, _fused_nearest_t)
)


def _fused_fusion(case: Case):
    v = [(0, 0)] * case.ndim
    return lambda ws, x: K.conv(x, K.compose_kernels(ws[1], ws[0]), v)


register("fusion", "fused kernel", family="reference")(_reference(_fused_fusion))


def _mad(case: Case):
    p, nd, s = [case.pads] * case.ndim, case.ndim, case.factor
    return lambda ws, x: K.shifted_mad(x, ws[0], p, nd, s)


def _mad_t(case: Case):
    """The transpose of a "same" filter: the flipped kernel with the padding swapped."""
    if case.factor != 1:
        return None
    (lo, hi), nd = case.pads, case.ndim
    flip = functools.partial(jnp.flip, axis=tuple(range(-nd, 0)))
    return lambda ws, g: K.shifted_mad(g, flip(ws[0]), [(hi, lo)] * nd, nd)


def _fft(case: Case):
    p, nd, s = [case.pads] * case.ndim, case.ndim, case.factor
    return lambda ws, x: K.fft_corr(x, ws[0], p, nd, s)


def _fft_t(case: Case):
    p, nd, s = [case.pads] * case.ndim, case.ndim, case.factor
    return lambda ws, g: K.fft_corr_t(g, ws[0], p, nd, case.spatial_in, s)


def _short(case: Case) -> bool:
    return case.kernel**case.ndim <= 64


register(("depthwise", "fir"), "shifted MAD", family="reference")(
    _reference(_mad, _mad_t, when=_short)
)
register(("depthwise", "fir"), "fft", family="reference")(
    _reference(_fft, _fft_t, when=lambda c: c.kernel >= 32)
)
