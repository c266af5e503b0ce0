"""``solve``: regularised least squares ``min ‖A x − y‖² + λ‖L x‖²`` over convalgebra operators."""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from . import _structure as st

METHODS = ("auto", "closed", "fourier", "aliasing", "adjoint", "cg", "lsmr", "gmres")
CLOSED = ("adjoint", "fourier", "aliasing")


@dataclasses.dataclass(frozen=True)
class SolveInfo:
    """What ``solve`` did: a pytree (arrays are leaves; ``method`` and ``reason`` are static).

    Attributes:
      method: the method used: ``"adjoint"`` (``AᴴA`` or ``AAᴴ`` a multiple of the identity),
        ``"fourier"`` (circular: diagonal in Fourier), ``"aliasing"`` (``↓k ∘`` circular, the
        Zhao et al. 2016 closed form), ``"cg"`` (``jax.scipy.sparse.linalg.cg`` on the normal
        equations), ``"lsmr"`` or ``"gmres"`` (lineax).
      reason: why this method, in words.
      iterations: solver steps (int32 array); 0 for closed forms, -1 where the solver does not
        report it (``jax.scipy.sparse.linalg.cg`` does not).
      residual: the relative residual of the normal equations,
        ``‖Aᴴ(A x − y) + λ LᴴL x‖ / ‖Aᴴ y‖``, computed from the returned ``x``.
      converged: ``residual <= 2·tol`` (iterative) or ``residual <= √eps`` (closed forms, where
        a failure means the problem has no unique minimiser). Under ``jit`` this array is the
        record; the warning is issued through ``jax.debug.callback``.
    """

    method: str
    reason: str
    iterations: jax.Array
    residual: jax.Array
    converged: jax.Array


jax.tree_util.register_dataclass(
    SolveInfo,
    data_fields=["iterations", "residual", "converged"],
    meta_fields=["method", "reason"],
)


# ---- argument canonicalisation ----------------------------------------------------------------
def _struct(name: str, x_like: Any) -> jax.ShapeDtypeStruct:
    if hasattr(x_like, "shape") and hasattr(x_like, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x_like.shape), np.dtype(x_like.dtype))
    if isinstance(x_like, (tuple, list)) and all(isinstance(n, int) for n in x_like):
        return jax.ShapeDtypeStruct(tuple(x_like), jnp.zeros((), float).dtype)
    raise TypeError(
        f"{name}: x_like must be an array, a jax.ShapeDtypeStruct or a shape tuple, "
        f"got {type(x_like).__name__}"
    )


def _check_reg(name: str, reg: Any) -> None:
    if isinstance(reg, bool) or not (isinstance(reg, numbers.Real) or hasattr(reg, "dtype")):
        raise ValueError(f"{name}: reg (λ) must be a real scalar >= 0, got {reg!r}")
    reg = cast(Any, reg)  # a real number or an array scalar: numbers.Real alone has no dtype
    if jnp.ndim(reg) != 0:
        raise ValueError(
            f"{name}: reg (λ) must be a scalar (one weight for the whole penalty), got an array "
            f"of shape {jnp.shape(reg)}"
        )
    if hasattr(reg, "dtype") and not (
        jnp.issubdtype(reg.dtype, jnp.floating) or jnp.issubdtype(reg.dtype, jnp.integer)
    ):
        raise ValueError(f"{name}: reg (λ) must be real, got dtype {reg.dtype}")
    try:
        v = float(reg)
    except (jax.errors.ConcretizationTypeError, TypeError):
        return  # traced: checked by the caller's own logic, cannot be inspected here
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"{name}: reg (λ) must be finite and >= 0, got {v}")


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(jnp.finfo(dtype).dtype)


def _complex_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.complex64 if _real_dtype(dtype) == np.float32 else np.complex128)


def _show(A: ca.Operator) -> str:
    """``A``'s notation; its label where the notation needs concrete values (traced scales)."""
    try:
        return A.notation("x")
    except Exception:  # e.g. a traced scale factor under jit
        return repr(A)


# ---- the choice of method ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Choice:
    method: str
    reason: str
    iso: tuple[str, Any] | None = None
    l_iso: tuple[str, Any] | None = None
    circ: st.Circular | None = None
    l_circ: st.Circular | None = None
    alias: st.Aliasing | None = None


def _closed_options(A: ca.Operator, L: ca.Operator | None, xs: jax.ShapeDtypeStruct):
    """Every closed form that applies, with the reason; and why each other one does not."""
    found: list[_Choice] = []
    why_not: dict[str, str] = {}
    real_x = not jnp.issubdtype(xs.dtype, jnp.complexfloating)

    iso = st.isometry(A)
    l_iso = st.isometry(L) if L is not None else ("iso", 1.0)
    if iso is None:
        why_not["adjoint"] = f"AᴴA is not a known multiple of the identity for A = {A!r}"
    elif l_iso is None or l_iso[0] != "iso":
        why_not["adjoint"] = f"LᴴL is not a known multiple of the identity for L = {L!r}"
    else:
        what = "AᴴA = cI" if iso[0] == "iso" else "AAᴴ = cI"
        found.append(
            _Choice(
                "adjoint",
                f"{what} ({_show(A)}): x = Aᴴy / (c + λ·c_L), one application of Aᴴ",
                iso=iso,
                l_iso=l_iso,
            )
        )

    circ = st.circular(A)
    l_circ = st.circular(L) if L is not None else st.Circular(None, None, False)
    if circ is None:
        why_not["fourier"] = f"A is not circular: {st.missing_circular(A)}"
    elif l_circ is None:
        assert L is not None  # l_circ is only None for a given L
        why_not["fourier"] = f"L is not circular: {st.missing_circular(L)}"
    elif st._merge(circ, l_circ) is None:
        why_not["fourier"] = "A and L act on different axes or channel counts"
    elif real_x and (circ.complex_kernel or l_circ.complex_kernel):
        why_not["fourier"] = "a complex kernel with a real x (the real-constrained problem)"
    else:
        both = st._merge(circ, l_circ)
        assert both is not None  # checked above
        nd = st.spatial_ndim(both, xs)
        if both.mixing:
            how = (
                f"channel mixing: a {xs.shape[-nd - 1]}×{xs.shape[-nd - 1]} system per "
                "frequency, (ĤᴴĤ + λĜᴴĜ) x̂ = Ĥᴴ ŷ"
            )
        else:
            how = "x̂ = conj(Ĥ) ŷ / (|Ĥ|² + λ|Ĝ|²)"
        found.append(
            _Choice(
                "fourier",
                f"circular convolution on {nd} axes is "
                f"{'block-' if both.mixing else ''}diagonal in the DFT basis: {how}, one FFT pass",
                circ=circ,
                l_circ=l_circ,
            )
        )

    alias, why = st.aliasing(A, tuple(xs.shape))
    if alias is None:
        why_not["aliasing"] = f"A is not ↓k ∘ circular: {why}"
    elif L is not None and (
        l_circ is None or st._merge(l_circ, st.Circular(len(alias.factors), None, False)) is None
    ):
        why_not["aliasing"] = (
            f"L is not a circular convolution on the same {len(alias.factors)} axes: "
            f"{st.missing_circular(L) or repr(L)}"
        )
    elif alias.circ.mixing or (L is not None and l_circ is not None and l_circ.mixing):
        why_not["aliasing"] = "channel mixing before ↓k is not implemented in closed form"
    elif real_x and (
        alias.circ.complex_kernel
        or (L is not None and l_circ is not None and l_circ.complex_kernel)
    ):
        why_not["aliasing"] = "a complex kernel with a real x (the real-constrained problem)"
    else:
        K = int(np.prod(alias.factors))
        how = (
            "inverted by Sherman-Morrison-Woodbury (Zhao et al., IEEE TIP 2016)"
            if L is None
            else f"plus the diagonal λ|Ĝ|², solved as {K}×{K} systems per group"
        )
        found.append(
            _Choice(
                "aliasing",
                f"↓{alias.factors} ∘ circular convolution: AᴴA couples the {K} aliased "
                f"frequencies of each group by a rank-one term, {how}: one FFT pass",
                alias=alias,
                l_circ=l_circ if L is not None else None,
            )
        )
    return found, why_not


def _choose(name, A, L, xs, method) -> _Choice:
    if method not in METHODS:
        raise ValueError(f"{name}: method must be one of {METHODS}, got {method!r}")
    if method in ("cg", "lsmr", "gmres"):
        return _Choice(method, f"method={method!r} was asked for")
    found, why_not = _closed_options(A, L, xs)
    if method in CLOSED:
        for c in found:
            if c.method == method:
                return c
        raise ValueError(
            f"{name}: method={method!r} does not apply: {why_not[method]}; operator {_show(A)}"
        )
    if found:
        return found[0]
    if method == "closed":
        details = "; ".join(f"{k}: {v}" for k, v in why_not.items())
        raise ValueError(
            f"{name}: method='closed' but no closed form applies to A = {_show(A)}: {details}"
        )
    details = "; ".join(f"{k}: {v}" for k, v in why_not.items())
    return _Choice("cg", f"no closed form applies ({details}); CG on the normal equations")


def solve_method(
    A: ca.Operator, x_like: Any, *, L: ca.Operator | None = None, method: str = "auto"
) -> tuple[str, str]:
    """The method :func:`solve` would use, and why, without solving anything.

    Example:
      >>> import jax, convalgebra as ca
      >>> from convalgebra.deconv import solve_method
      >>> A = ca.conv([1.0, 2.0, 1.0], "circular")
      >>> solve_method(A, jax.ShapeDtypeStruct((8,), "float32"))[0]
      'fourier'
    """
    xs = _struct("solve_method", x_like)
    A.out_struct(xs)
    c = _choose("solve_method", A, L, xs, method)
    return c.method, c.reason


# ---- closed forms ------------------------------------------------------------------------------
def _finish(xf: jax.Array, xs: jax.ShapeDtypeStruct) -> jax.Array:
    if not jnp.issubdtype(xs.dtype, jnp.complexfloating):
        xf = xf.real
    return xf.astype(xs.dtype)


def _safe_div(num: jax.Array, den: jax.Array) -> jax.Array:
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, 1).astype(num.dtype), 0)


def _fourier_mixing(A, L, y, xs, lam, circ, nd, cd) -> jax.Array:
    """Per frequency: (ĤᴴĤ + λĜᴴĜ) x̂ = Ĥᴴ ŷ, with Ĥ of shape (C_out, C_in)."""
    axes = tuple(range(-nd, 0))

    def symbol(op):  # (*S, C_out, C_in)
        h = jnp.fft.fftn(st.impulse_matrix(op, xs, circ, nd).astype(cd), axes=axes)
        return jnp.moveaxis(h, (0, 1), (-1, -2))

    H = symbol(A)
    N = jnp.einsum("...ki,...kj->...ij", jnp.conj(H), H)
    cin = N.shape[-1]
    if L is not None:
        G = symbol(L)
        N = N + lam.astype(cd) * jnp.einsum("...ki,...kj->...ij", jnp.conj(G), G)
    else:
        N = N + lam.astype(cd) * jnp.eye(cin, dtype=cd)
    Y = jnp.moveaxis(jnp.fft.fftn(y.astype(cd), axes=axes), -nd - 1, -1)  # (..., *S, C_out)
    rhs = jnp.einsum("...ki,...k->...i", jnp.conj(H), Y)
    N = jnp.broadcast_to(N, rhs.shape[:-1] + N.shape[-2:])
    X = jnp.linalg.solve(N, rhs[..., None])[..., 0]
    X = jnp.moveaxis(X, -1, -nd - 1)
    return _finish(jnp.fft.ifftn(X, axes=axes), xs)


def _fourier(c: _Choice, A, L, y, xs, lam) -> jax.Array:
    circ = st._merge(c.circ, c.l_circ)
    assert circ is not None  # _closed_options checked the merge
    nd = st.spatial_ndim(circ, xs)
    axes = tuple(range(-nd, 0))
    cd = _complex_dtype(xs.dtype)
    if circ.mixing:
        return _fourier_mixing(A, L, y, xs, lam, circ, nd, cd)
    H = jnp.fft.fftn(st.impulse(A, xs, circ, nd).astype(cd), axes=axes)
    den = (H.real**2 + H.imag**2).astype(_real_dtype(cd))
    if L is not None:
        G = jnp.fft.fftn(st.impulse(L, xs, circ, nd).astype(cd), axes=axes)
        den = den + lam * (G.real**2 + G.imag**2)
    else:
        den = den + lam
    Y = jnp.fft.fftn(y.astype(cd), axes=axes)
    X = _safe_div(jnp.conj(H) * Y, den)
    return _finish(jnp.fft.ifftn(X, axes=axes), xs)


def _groups(a: jax.Array, factors: tuple[int, ...]) -> jax.Array:
    """(..., N1, ..., Nd) -> (..., M1, ..., Md, K): the K aliases f = j·M + m of each group."""
    nd = len(factors)
    lead = a.shape[: a.ndim - nd]
    Ms = tuple(n // k for n, k in zip(a.shape[-nd:], factors))
    a = a.reshape(lead + tuple(v for k, m in zip(factors, Ms) for v in (k, m)))
    nl = len(lead)
    a = jnp.moveaxis(a, [nl + 2 * i for i in range(nd)], list(range(a.ndim - nd, a.ndim)))
    return a.reshape((*lead, *Ms, int(np.prod(factors))))


def _ungroup(a: jax.Array, factors: tuple[int, ...]) -> jax.Array:
    """The inverse of :func:`_groups`."""
    nd = len(factors)
    lead, Ms = a.shape[: a.ndim - nd - 1], a.shape[a.ndim - nd - 1 : -1]
    a = a.reshape((*lead, *Ms, *factors))
    nl = len(lead)
    a = jnp.moveaxis(a, list(range(a.ndim - nd, a.ndim)), [nl + 2 * i for i in range(nd)])
    return a.reshape((*lead, *(k * m for k, m in zip(factors, Ms))))


def _aliasing_reg(al, H, G, Y, lam, cd) -> jax.Array:
    """Per group: (λ diag|g|² + (1/K) conj(h) hᵀ) x = conj(h) ŷ, K×K systems."""
    H, G = jnp.broadcast_arrays(H, G)
    lead = jnp.broadcast_shapes(
        H.shape[: H.ndim - len(al.factors)], Y.shape[: Y.ndim - len(al.factors)]
    )
    H = jnp.broadcast_to(H, lead + H.shape[H.ndim - len(al.factors) :])
    G = jnp.broadcast_to(G, H.shape)
    h, g = _groups(H, al.factors), _groups(G, al.factors)
    K = h.shape[-1]
    lamc = lam.astype(cd)
    M = jnp.conj(h)[..., :, None] * h[..., None, :] / K
    M = M + jnp.eye(K, dtype=cd) * (lamc * (jnp.conj(g) * g))[..., None, :]
    rhs = jnp.conj(h) * jnp.broadcast_to(Y, lead + Y.shape[Y.ndim - len(al.factors) :])[..., None]
    return _ungroup(jnp.linalg.solve(M, rhs[..., None])[..., 0], al.factors)


def _aliasing(c: _Choice, A, L, y, xs, lam) -> jax.Array:
    al = c.alias
    assert al is not None
    nd = len(al.factors)
    axes = tuple(range(-nd, 0))
    cd = _complex_dtype(xs.dtype)
    h = st.impulse(al.inner, xs, al.circ, nd).astype(cd)
    for s in al.scales:
        h = h * jnp.asarray(s).astype(cd)
    if any(al.phases):  # ↓k with phase p samples x[k·m + p]: a circular shift by -p first
        h = jnp.roll(h, tuple(-p for p in al.phases), axis=axes)
    H = jnp.fft.fftn(h, axes=axes)
    if L is not None:
        circ = st._merge(al.circ, c.l_circ)
        assert circ is not None  # _closed_options checked the merge
        G = jnp.fft.fftn(st.impulse(L, xs, circ, nd).astype(cd), axes=axes)
        Y = jnp.fft.fftn(y.astype(cd), axes=axes)
        return _finish(jnp.fft.ifftn(_aliasing_reg(al, H, G, Y, lam, cd), axes=axes), xs)
    P = (H.real**2 + H.imag**2).astype(_real_dtype(cd))
    # group the k^d aliases: frequency f = j·M + m on each axis -> (..., k1, M1, ..., kd, Md)
    lead = P.shape[: P.ndim - nd]
    Ms = tuple(n // k for n, k in zip(P.shape[-nd:], al.factors))
    split = lead + tuple(v for k, m in zip(al.factors, Ms) for v in (k, m))
    K = int(np.prod(al.factors))
    alias_axes = tuple(len(lead) + 2 * i for i in range(nd))
    S = jnp.sum(P.reshape(split), axis=alias_axes) / K  # (..., M1, ..., Md)
    Y = jnp.fft.fftn(y.astype(cd), axes=axes)
    Z = _safe_div(Y, S + lam)  # per group
    Zt = jnp.tile(Z, (1,) * (Z.ndim - nd) + tuple(al.factors))  # f -> f mod M
    X = jnp.conj(H) * Zt
    return _finish(jnp.fft.ifftn(X, axes=axes), xs)


def _adjoint(c: _Choice, A, y, xs, lam) -> jax.Array:
    rd = _real_dtype(xs.dtype)
    assert c.iso is not None and c.l_iso is not None
    cA = jnp.asarray(c.iso[1]).astype(rd)
    cL = jnp.asarray(c.l_iso[1]).astype(rd)
    x = ca.adjoint(A, xs)(y)
    den = cA + lam * cL
    return _safe_div(x, den.astype(rd)).astype(xs.dtype)


# ---- iterative ---------------------------------------------------------------------------------
def _lineax():
    try:
        import lineax as lx
    except ImportError as e:  # pragma: no cover - exercised only without lineax
        raise ImportError(
            "solve: method='lsmr'/'gmres' need lineax (pip install 'convalgebra[solve]' or "
            "pip install lineax); method='cg' needs nothing beyond jax"
        ) from e
    return lx


def _iterative(method, A, L, y, xs, lam, tol, maxiter, normal_op, b):
    if method == "cg":
        x, _ = jax.scipy.sparse.linalg.cg(normal_op, b, tol=tol, atol=0.0, maxiter=maxiter)
        return x.astype(xs.dtype), jnp.asarray(-1, jnp.int32)
    lx = _lineax()
    struct = jax.ShapeDtypeStruct(xs.shape, xs.dtype)
    if method == "gmres":
        out = A.out_struct(xs)
        if tuple(out.shape) != tuple(xs.shape) or out.dtype != xs.dtype or L is not None:
            raise ValueError(
                "solve: method='gmres' solves A x = y for a square A (same input and output "
                f"shape and dtype) without L; A maps {tuple(xs.shape)} {xs.dtype} to "
                f"{tuple(out.shape)} {out.dtype}{', and L was given' if L is not None else ''}"
            )
        # GMRES on the square (non-symmetric) A + λI, not on the normal equations
        op = lx.FunctionLinearOperator(lambda v: A(v) + lam.astype(xs.dtype) * v, struct)
        sol = lx.linear_solve(op, y, lx.GMRES(rtol=tol, atol=0.0, max_steps=maxiter), throw=False)
    else:  # LSMR on the stacked system [A; √λ L] x = [y; 0]
        root = jnp.sqrt(lam).astype(_real_dtype(xs.dtype))
        Lop = L if L is not None else ca.identity()

        def stacked(v):
            lv = Lop(v)
            return (A(v), root.astype(lv.dtype) * lv)

        op = lx.FunctionLinearOperator(stacked, struct)
        zero = jnp.zeros(Lop.out_struct(xs).shape, Lop.out_struct(xs).dtype)
        try:
            sol = lx.linear_solve(
                op, (y, zero), lx.LSMR(rtol=tol, atol=tol, max_steps=maxiter), throw=False
            )
        except TypeError as e:  # lineax 0.1.1: float32 LSMR under jax_enable_x64
            raise TypeError(
                f"solve: lineax LSMR failed on {np.dtype(xs.dtype).name} data ({e}); lineax "
                "0.1.1 mixes float64 into float32 LSMR when jax_enable_x64 is on: use "
                "method='cg', float64 data, or x64 off"
            ) from e
    steps = jnp.asarray(sol.stats.get("num_steps", -1), jnp.int32)
    return sol.value.astype(xs.dtype), steps


# ---- the public function -----------------------------------------------------------------------
def _default_tol(dtype: np.dtype) -> float:
    return 1e-5 if _real_dtype(dtype) == np.dtype(np.float32) else 1e-10


def _warn_host(converged, residual, method):
    if not np.all(np.asarray(converged)):
        warnings.warn(
            f"solve: method {method!r} did not converge (relative normal-equation residual "
            f"{np.max(np.asarray(residual)):.3g}): the iteration budget is spent, or, for a "
            "closed form, the problem has no unique minimiser; see info.converged",
            RuntimeWarning,
            stacklevel=3,
        )


def solve(
    A: ca.Operator,
    y: jax.typing.ArrayLike,
    x_like: Any,
    *,
    reg: jax.typing.ArrayLike = 0.0,
    L: ca.Operator | None = None,
    method: str = "auto",
    tol: float | None = None,
    maxiter: int | None = None,
    warn: bool = True,
) -> tuple[jax.Array, SolveInfo]:
    """Deconvolution: the minimiser of ``‖A x − y‖² + λ‖L x‖²`` (of least norm when not unique).

    ``method="auto"`` picks a closed form from the expression's structure when one applies, in
    this order: ``"adjoint"`` (``AᴴA = cI`` or ``AAᴴ = cI``: ``↑k``, ``↓k``, zero pad, crop,
    ``↓k ↑k``, scaled), ``"fourier"`` (circular convolutions, 1-3-D, one filter, one per
    channel, or channel mixing (a ``C_in × C_in`` system per frequency), and ``L`` circular
    or absent), ``"aliasing"`` (``↓k ∘`` circular, ``L`` absent;
    Zhao et al., "Fast single image super-resolution using a new analytical solution for ℓ2–ℓ2
    problems", IEEE TIP 25(8), 2016). Otherwise ``"cg"``: ``jax.scipy.sparse.linalg.cg`` on
    ``(AᴴA + λLᴴL) x = Aᴴy``; it is built on ``lax.custom_linear_solve``, so gradients are
    implicit (one more CG solve), not unrolled. ``"lsmr"`` (lineax LSMR on ``[A; √λ L]``) and
    ``"gmres"`` (lineax GMRES on a square ``A + λI``) need the optional ``lineax``.

    Works under ``jax.jit`` (``x_like``, ``method``, ``tol``, ``maxiter`` static) and
    ``jax.vmap`` (a batch of ``y``); differentiable with respect to ``y``, ``reg`` and the
    kernels inside ``A`` and ``L``.

    Args:
      A: the forward operator, taking arrays like ``x_like``.
      y: the data, of ``A``'s output shape and dtype for ``x_like``.
      x_like: an array, ``jax.ShapeDtypeStruct`` or shape tuple: the unknown's shape and dtype.
      reg: λ >= 0, a scalar (a Python number or a 0-d array; a traced λ under ``jit`` cannot
        be checked for its sign).
      L: the regularisation operator (e.g. ``ca.corr([-1.0, 1.0], "circular")``), default ``I``.
      method: ``"auto"``, ``"closed"`` (any closed form, else ``ValueError``), one closed form
        by name (``"adjoint"``, ``"fourier"``, ``"aliasing"``), ``"cg"``, ``"lsmr"``,
        ``"gmres"``.
      tol: relative tolerance of iterative methods (default 1e-5 for float32, 1e-10 for
        float64).
      maxiter: iteration budget of iterative methods (default ``10 · size(x)``, at most 1000).
      warn: warn (``RuntimeWarning``) when ``info.converged`` is false (an iterative method ran
        out of iterations, or a closed form met a problem without a unique minimiser); under
        ``jit`` and ``vmap`` through ``jax.debug.callback``.

    Returns:
      ``(x, info)``: ``x`` of ``x_like``'s shape and dtype and a :class:`SolveInfo`.

    Raises:
      ValueError: a negative, non-finite or non-scalar ``reg``; ``y`` whose shape or dtype is
        not ``A``'s output for ``x_like``; ``method="closed"`` (or a named closed form) where
        it does not apply (the message says which structure is missing); an unknown method.

    Example:
      >>> import jax, jax.numpy as jnp, convalgebra as ca
      >>> from convalgebra.deconv import solve
      >>> A = ca.conv(jnp.array([1.0, 0.5]), "circular")
      >>> x = jnp.array([1.0, 2.0, 3.0, 4.0])
      >>> xh, info = solve(A, A(x), x)
      >>> info.method, bool(jnp.allclose(xh, x, atol=1e-5))
      ('fourier', True)
    """
    name = "solve"
    xs = _struct(name, x_like)
    if not isinstance(A, ca.Operator):
        raise TypeError(f"{name}: A must be a convalgebra Operator, got {type(A).__name__}")
    _check_reg(name, reg)
    out = A.out_struct(xs)
    y = jnp.asarray(y)
    if tuple(y.shape) != tuple(out.shape) or np.dtype(y.dtype) != np.dtype(out.dtype):
        raise ValueError(
            f"{name}: y must have the output shape and dtype of A for x_like "
            f"{tuple(xs.shape)} {np.dtype(xs.dtype).name}: A = {A!r} gives "
            f"{tuple(out.shape)} {np.dtype(out.dtype).name}, got y of "
            f"{tuple(y.shape)} {np.dtype(y.dtype).name}"
        )
    if L is not None:
        L.out_struct(xs)  # raises if L does not take x
    choice = _choose(name, A, L, xs, method)
    rd = _real_dtype(xs.dtype)
    lam = jnp.asarray(reg).astype(rd)

    At = ca.adjoint(A, xs)
    Lt = ca.adjoint(L, xs) if L is not None else None

    def normal_op(v):
        r = At(A(v))
        if L is not None:
            assert Lt is not None
            p = Lt(L(v))
            return (r + lam.astype(p.dtype) * p).astype(xs.dtype)
        return (r + lam.astype(v.dtype) * v).astype(xs.dtype)

    b = At(y).astype(xs.dtype)
    if choice.method == "fourier":
        x, steps = _fourier(choice, A, L, y, xs, lam), jnp.asarray(0, jnp.int32)
    elif choice.method == "aliasing":
        x, steps = _aliasing(choice, A, L, y, xs, lam), jnp.asarray(0, jnp.int32)
    elif choice.method == "adjoint":
        x, steps = _adjoint(choice, A, y, xs, lam), jnp.asarray(0, jnp.int32)
    else:
        t = _default_tol(xs.dtype) if tol is None else float(tol)
        size = int(np.prod(xs.shape))
        it = min(10 * size, 1000) if maxiter is None else int(maxiter)
        x, steps = _iterative(choice.method, A, L, y, xs, lam, t, it, normal_op, b)

    bnorm = jnp.linalg.norm(b)
    rnorm = jnp.linalg.norm(normal_op(x) - b)
    residual = jnp.where(bnorm > 0, rnorm / jnp.where(bnorm > 0, bnorm, 1), rnorm).astype(rd)
    if choice.method in CLOSED:
        # exact up to rounding (eps · cond); a singular system (no unique minimiser) is caught
        converged = jnp.isfinite(residual) & (residual <= float(np.sqrt(jnp.finfo(rd).eps)))
    else:
        t = _default_tol(xs.dtype) if tol is None else float(tol)
        # the recursive CG residual can drift from the true one by rounding: 2x slack
        converged = residual <= 2 * t
    info = SolveInfo(choice.method, choice.reason, steps, residual, converged)
    if warn:
        try:
            ok = bool(converged)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError):
            jax.debug.callback(_warn_host, converged, residual, choice.method)
        else:
            if not ok:
                _warn_host(converged, residual, choice.method)
    return x, info
