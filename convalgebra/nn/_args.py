"""Argument canonicalisation and output-size arithmetic for ``convalgebra.nn`` (pure ints).

Nothing here imports JAX: every function takes and returns Python ints and tuples, so every check
runs before anything is traced. Conventions (one spatial axis; each axis is independent):

* A forward convolution pads the input by ``(lo, hi)`` and correlates with the dilated kernel of
  effective length ``k_eff = d·(k - 1) + 1``, keeping every ``s``-th output:
  ``out = (n + lo + hi - k_eff) // s + 1``.
* A transposed convolution is the transpose of the forward convolution whose input has the
  transposed convolution's output length. Its padding is a *signed* pair ``(lo, hi)`` of that
  forward convolution: ``out = (n - 1)·s + k_eff - lo - hi``; a negative ``hi`` appends zeros
  (PyTorch's ``output_padding`` is ``hi = padding - output_padding``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .._static.shapes import as_int

Pairs = tuple[tuple[int, int], ...]
STRING_PADDINGS = ("same", "valid")


def _as_int(op: str, name: str, v: object, value: object, nd: int) -> int:
    """``v`` (an entry of the argument ``name`` = ``value``) as an int: the core's ``as_int``
    with a message naming the whole argument."""
    if type(v) is int:  # the common case: no message to format
        return v
    msg = f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}"
    return as_int(op, name, v, msg)


def ints(op: str, name: str, value: object, nd: int, minimum: int) -> tuple[int, ...]:
    """An int or a length-``nd`` sequence of ints, each ``>= minimum``, as a tuple of ``nd`` ints.

    Raises:
      TypeError: a non-integer entry.
      ValueError: a wrong length or an entry below ``minimum`` (the message names ``name``).
    """
    if isinstance(value, (tuple, list)):
        vals = tuple(_as_int(op, name, v, value, nd) for v in value)
        if len(vals) != nd:
            raise ValueError(
                f"{op}: {name} must be an int or a tuple of {nd} ints (one per spatial axis), "
                f"got {name}={value!r} (length {len(vals)})"
            )
    else:
        vals = (_as_int(op, name, value, value, nd),) * nd
    if any(v < minimum for v in vals):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {name}={value!r}")
    return vals


def padding(op: str, value: object, nd: int) -> str | Pairs:
    """Canonical padding: ``"same"``, ``"valid"`` or one non-negative ``(lo, hi)`` pair per axis.

    Accepts an int (the same on both sides of every axis), a tuple of ``nd`` entries each an int
    (symmetric, as in PyTorch) or a ``(lo, hi)`` pair (as in ``lax.conv_general_dilated``), or the
    strings ``"same"``/``"valid"`` (any case).
    """
    if isinstance(value, str):
        s = value.lower()
        if s not in STRING_PADDINGS:
            raise ValueError(
                f"{op}: padding must be an int, a tuple, 'same' or 'valid', got {value!r}"
            )
        return s
    entries = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(entries) != nd:
        raise ValueError(
            f"{op}: padding must be an int or a tuple of {nd} entries (one per spatial axis), "
            f"got padding={value!r} (length {len(entries)})"
        )
    pairs = []
    for e in entries:
        if isinstance(e, (tuple, list)):
            if len(e) != 2:
                raise ValueError(
                    f"{op}: each padding entry must be an int or a (lo, hi) pair, got {value!r}"
                )
            pairs.append(tuple(_as_int(op, "padding", v, value, nd) for v in e))
        else:
            p = _as_int(op, "padding", e, value, nd)
            pairs.append((p, p))
    if any(v < 0 for pr in pairs for v in pr):
        raise ValueError(f"{op}: padding must be non-negative, got padding={value!r}")
    return tuple(pairs)  # type: ignore[return-value]


def effective(k: Sequence[int], d: Sequence[int]) -> tuple[int, ...]:
    """Effective kernel lengths ``d·(k - 1) + 1`` of a dilated kernel."""
    return tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))


def same_pads(n: int, k_eff: int, s: int) -> tuple[int, int]:
    """TensorFlow's SAME padding of one axis: ``ceil(n / s)`` outputs, the odd sample after."""
    out = -(-n // s)
    total = max((out - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def conv_pads(
    op: str,
    pad: str | Pairs,
    k_eff: Sequence[int],
    stride: Sequence[int],
    in_size: Sequence[int] | None,
) -> Pairs:
    """Explicit forward-convolution pads; ``"same"`` with a stride > 1 needs ``in_size``."""
    if pad == "valid":
        return tuple((0, 0) for _ in k_eff)
    if pad == "same":
        if in_size is None:
            if any(s > 1 for s in stride):
                raise ValueError(
                    f"{op}: padding='same' with stride={tuple(stride)} depends on the input "
                    "size (TensorFlow pads so that out = ceil(n / stride)); pass in_size=, the "
                    "spatial size of the input"
                )
            in_size = tuple(k - 1 for k in k_eff)  # any size: the pads do not depend on it
        return tuple(same_pads(n, k, s) for n, k, s in zip(in_size, k_eff, stride))
    return pad  # type: ignore[return-value]


def conv_out(
    op: str,
    n: Sequence[int],
    k_eff: Sequence[int],
    stride: Sequence[int],
    pads: Pairs,
) -> tuple[int, ...]:
    """Forward-convolution output size; raises if the padded input is shorter than the kernel."""
    out = []
    for ni, ki, si, (lo, hi) in zip(n, k_eff, stride, pads):
        if ni + lo + hi < ki:
            raise ValueError(
                f"{op}: the padded input must be at least as long as the dilated kernel: input "
                f"size {tuple(n)} padded by {pads} is shorter than the effective kernel size "
                f"{tuple(k_eff)} (= dilation·(kernel - 1) + 1)"
            )
        out.append((ni + lo + hi - ki) // si + 1)
    return tuple(out)


def transpose_pads(
    op: str,
    pad: str | Pairs,
    output_padding: Sequence[int],
    k_eff: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Pairs:
    """Signed ``(lo, hi)`` pads of the forward convolution a transposed convolution transposes.

    ``"same"`` gives ``n·s`` outputs and ``"valid"`` ``n·s + max(k_eff - s, 0)``, as TensorFlow's
    ``conv_transpose`` (the odd padding sample goes after, as in its forward SAME convolution).
    """
    for o, s, d in zip(output_padding, stride, dilation):
        if not (o < s or o < d):
            raise ValueError(
                f"{op}: output_padding must be smaller than stride or dilation (PyTorch's "
                f"rule), got output_padding={tuple(output_padding)}, stride={tuple(stride)}, "
                f"dilation={tuple(dilation)}"
            )
    if isinstance(pad, str):
        if any(output_padding):
            raise ValueError(
                f"{op}: padding={pad!r} fixes the output size (TensorFlow's rule: n·stride for "
                f"'same'), so it cannot be honoured together with output_padding="
                f"{tuple(output_padding)}; use explicit padding"
            )
        if pad == "same":
            out = []
            for k, s in zip(k_eff, stride):
                lo = max(k - s, 0) // 2
                out.append((lo, k - s - lo))
            return tuple(out)
        return tuple((0, min(k - s, 0)) for k, s in zip(k_eff, stride))
    return tuple((lo, hi - o) for (lo, hi), o in zip(pad, output_padding))


def transpose_out(
    op: str, n: Sequence[int], k_eff: Sequence[int], stride: Sequence[int], pads: Pairs
) -> tuple[int, ...]:
    """Transposed-convolution output size ``(n - 1)·s + k_eff - lo - hi``; must be positive."""
    out = tuple(
        (ni - 1) * si + ki - lo - hi for ni, ki, si, (lo, hi) in zip(n, k_eff, stride, pads)
    )
    if any(o < 1 for o in out):
        raise ValueError(
            f"{op}: the padding removes every output sample: input size {tuple(n)}, stride "
            f"{tuple(stride)}, effective kernel size {tuple(k_eff)} and padding give output size "
            f"{out}; reduce padding"
        )
    return out


def pool_out(
    op: str,
    n: Sequence[int],
    k_eff: Sequence[int],
    stride: Sequence[int],
    pads: Sequence[int],
    ceil_mode: bool,
) -> tuple[int, ...]:
    """PyTorch's pooling output size (``ceil_mode`` drops a window starting in the right pad)."""
    out = []
    for ni, ki, si, p in zip(n, k_eff, stride, pads):
        span = ni + 2 * p - ki
        if span < 0:
            raise ValueError(
                f"{op}: the padded input must be at least as long as the window: input size "
                f"{tuple(n)} with padding {tuple(pads)} is shorter than the window "
                f"{tuple(k_eff)}"
            )
        o = (span + (si - 1 if ceil_mode else 0)) // si + 1
        if ceil_mode and (o - 1) * si >= ni + p:
            o -= 1
        out.append(o)
    return tuple(out)


def pool_pad_limit(
    op: str, pads: Sequence[int], k_eff: Sequence[int], kernel: Sequence[int]
) -> None:
    """PyTorch's rule: padding at most half the (effective) window size."""
    if any(p > k // 2 for p, k in zip(pads, k_eff)):
        raise ValueError(
            f"{op}: padding must be at most half the window size (PyTorch's rule), got "
            f"padding={tuple(pads)} for kernel_size={tuple(kernel)} (effective {tuple(k_eff)})"
        )


def pool_counts(
    n: int, k: int, s: int, p: int, out: int, count_include_pad: bool
) -> tuple[int, ...]:
    """Per-output divisors of a 1-D average pool, as PyTorch computes them.

    With ``count_include_pad`` the window is clipped to the padded range ``[-p, n + p)``
    (only a ceil-mode window hangs past it), otherwise to the input ``[0, n)``.
    """
    lo_lim, hi_lim = (-p, n + p) if count_include_pad else (0, n)
    return tuple(min(o * s - p + k, hi_lim) - max(o * s - p, lo_lim) for o in range(out))
