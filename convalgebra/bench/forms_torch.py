"""PyTorch eager formulations, each in its best layout.

2-D and 3-D data and kernels are channels-last (``torch.channels_last`` /
``torch.channels_last_3d``: oneDNN's fast path on CPU, NHWC kernels on GPU); 1-D stays ``NCL``.
Forward and transpose run under ``torch.no_grad``; a transpose is ``conv_transpose`` (or the
convolution, for a kind whose forward is a transposed convolution); the training step is
autograd (``y.backward(g)``) with the kernels as leaves that require grad. PyTorch pads
symmetrically, so a "same" filter of an even kernel pads ``lo`` on both sides and drops the
extra trailing output (the adjoint zero-extends ``g`` and sets ``output_padding``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .cases import Case, Inputs
from .registry import NotApplicable, register

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_FORMAT = {2: torch.channels_last, 3: torch.channels_last_3d}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def tensor(a: np.ndarray, device: torch.device, nd: int, grad: bool = False) -> torch.Tensor:
    """A torch copy of ``a`` in the best layout for ``nd`` spatial axes."""
    t = torch.from_numpy(np.ascontiguousarray(a)).to(device)
    if t.dim() == nd + 2 and nd in _FORMAT:
        t = t.contiguous(memory_format=_FORMAT[nd])
    return t.requires_grad_(grad)


def _out_len(n, lo, hi, k, s, r):
    return (n + lo + hi - r * (k - 1) - 1) // s + 1


def corr(x, w, nd, pads, stride=1, dilation=1, groups=1):
    """``↓stride`` of the correlation padded ``(lo, hi)`` (``lo >= hi``): one torch conv."""
    lo, hi = pads
    if lo < hi:
        raise NotApplicable("padding with hi > lo")
    k = w.shape[-1]
    y = _CONV[nd](x, w, None, stride, lo, dilation, groups)
    m = _out_len(x.shape[-1], lo, hi, k, stride, dilation)
    return y[(Ellipsis, *(slice(0, m),) * nd)] if y.shape[-1] != m else y


def corr_t(g, w, nd, pads, n, stride=1, dilation=1, groups=1):
    """The adjoint of :func:`corr` onto ``n`` samples per axis: one ``conv_transpose``."""
    lo, hi = pads
    k = w.shape[-1]
    m_torch = _out_len(n, lo, lo, k, stride, dilation)
    if m_torch != g.shape[-1]:
        g = F.pad(g, (0, m_torch - g.shape[-1]) * nd)
    op = n - ((m_torch - 1) * stride - 2 * lo + dilation * (k - 1) + 1)
    if not 0 <= op < max(stride, dilation) or lo < hi:
        raise NotApplicable(f"output_padding {op}")
    return _CONV_T[nd](g, w, None, stride, lo, op, groups, dilation)


def _flip_swap(w: np.ndarray) -> np.ndarray:
    nd = w.ndim - 2
    return np.flip(w, axis=tuple(range(2, 2 + nd))).swapaxes(0, 1).copy()


def _plan(case: Case):
    """``(forward, transpose, to_torch, from_torch)`` of ``case`` on torch tensors.

    ``forward(ws, x)`` and ``transpose(ws, g)`` take torch kernels in torch's layout;
    ``to_torch`` / ``from_torch`` convert the kernels between canonical and torch layouts.
    """
    nd, s, p, n = case.ndim, case.factor, case.pads, case.size
    ident = (lambda ws: ws, lambda ws: ws)
    if case.kind == "strided":
        fwd = lambda ws, x: corr(x, ws[0], nd, p, stride=s)  # noqa: E731
        tr = lambda ws, g: corr_t(g, ws[0], nd, p, n, stride=s)  # noqa: E731
        return fwd, tr, *ident
    if case.kind == "transposed":
        # w ⋆ (↑s x) = conv_transpose(x, flip_swap(w), stride s, padding hi): the adjoint of a
        # strided correlation with flip_swap(w) padded (hi, hi).
        hi = case.kernel - 1 - p[0]
        fwd = lambda ws, x: corr_t(x, ws[0], nd, (hi, hi), s * n, stride=s)  # noqa: E731
        tr = lambda ws, g: corr(g, ws[0], nd, (hi, hi), stride=s)  # noqa: E731
        fs = lambda ws: tuple(_flip_swap(w) for w in ws)  # noqa: E731
        return fwd, tr, fs, fs
    if case.kind == "dilated":
        fwd = lambda ws, x: corr(x, ws[0], nd, p, dilation=s)  # noqa: E731
        tr = lambda ws, g: corr_t(g, ws[0], nd, p, n, dilation=s)  # noqa: E731
        return fwd, tr, *ident
    if case.kind == "nearest":

        def fwd(ws, x):
            return corr(F.interpolate(x, scale_factor=s, mode="nearest"), ws[0], nd, p)

        def tr_nearest(ws, g):  # adjoint of nearest up-sampling: sum over each s^d block
            h = corr_t(g, ws[0], nd, p, s * n)
            return (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[nd - 1](h, s) * s**nd

        return fwd, tr_nearest, *ident
    if case.kind == "fusion":
        v, mid = (0, 0), n - case.kernel + 1

        def fwd(ws, x):
            return corr(corr(x, ws[0], nd, v), ws[1], nd, v)

        def tr(ws, g):
            return corr_t(corr_t(g, ws[1], nd, v, mid), ws[0], nd, v, n)

        return fwd, tr, *ident
    if case.kind == "depthwise":
        c = case.c_in
        fwd = lambda ws, x: corr(x, ws[0], nd, p, groups=c)  # noqa: E731
        tr = lambda ws, g: corr_t(g, ws[0], nd, p, n, groups=c)  # noqa: E731
        to = lambda ws: (ws[0][:, None],)  # noqa: E731
        back = lambda ws: (ws[0][:, 0],)  # noqa: E731
        return fwd, tr, to, back
    if case.kind == "fir":
        fwd = lambda ws, x: corr(x[:, None], ws[0], 1, p, stride=s)[:, 0]  # noqa: E731
        tr = lambda ws, g: corr_t(g[:, None], ws[0], 1, p, n, stride=s)[:, 0]  # noqa: E731
        return fwd, tr, lambda ws: (ws[0][None, None],), lambda ws: (ws[0][0, 0],)
    raise NotApplicable(case.kind)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().contiguous().numpy()


@register(
    ("strided", "transposed", "dilated", "nearest", "fusion", "depthwise", "fir"),
    "torch",
    family="torch",
    backend="torch",
)
def build(case: Case, direction: str, data: Inputs, device: torch.device):
    """``(fn, args, unpack)`` for ``case`` and ``direction``, or ``None``."""
    fwd, tr, to_torch, from_torch = _plan(case)
    nd = case.ndim
    ws = tuple(tensor(w, device, nd, grad=direction == "grad") for w in to_torch(data.ws))
    x, g = tensor(data.x, device, nd), tensor(data.g, device, nd)

    if direction == "forward":

        def fn_forward(ws, x):
            with torch.no_grad():
                return fwd(ws, x)

        return fn_forward, (ws, x), lambda y: _numpy(y)
    if direction == "transpose":

        def fn(ws, g):
            with torch.no_grad():
                return tr(ws, g)

        return fn, (ws, g), lambda y: _numpy(y)

    def step(ws, x, g):
        for w in ws:
            w.grad = None
        y = fwd(ws, x)
        y.backward(g)
        return y.detach(), tuple(w.grad for w in ws)

    def unpack(out):
        y, dws = out
        return _numpy(y), from_torch(tuple(_numpy(d) for d in dws))

    return step, (ws, x, g), unpack
