"""``solve``: regularised least squares ``min ‖A x − y‖² + λ‖L (x − z)‖²`` over operators."""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import warnings
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

import convalgebra as ca

from .._lower import structure as _s

METHODS = ("auto", "closed", "fourier", "aliasing", "dct", "adjoint", "cg", "lsmr", "gmres")
CLOSED = ("adjoint", "fourier", "aliasing", "dct")


@ca.node(data=("iterations", "residual", "converged"))
class SolveInfo:
    """What :func:`solve` did: a pytree, as lineax's ``Solution`` (arrays are leaves,
    ``method`` and ``reason`` static), so it passes through ``jit``, ``vmap`` and ``grad``.

    Attributes:
      method: the method used: ``"adjoint"`` (``AᴴA`` or ``AAᴴ`` a multiple of the identity),
        ``"fourier"`` (circular: diagonal, or block-diagonal for channel mixing, in Fourier),
        ``"aliasing"`` (``↓k ∘`` circular terms: the ``K = prod(k)`` aliased frequencies of
        each group coupled, Zhao et al. 2016), ``"dct"`` (a half-sample symmetric boundary
        with symmetric kernels: diagonal in the DCT-II basis), ``"cg"`` (conjugate gradients
        on the normal equations), ``"lsmr"`` or ``"gmres"`` (lineax).
      reason: why this method, in words.
      iterations: solver steps (int32 array): 0 for closed forms, the CG steps taken, lineax's
        ``num_steps``.
      residual: the relative residual of the normal equations,
        ``‖Aᴴ(A x − y) + λ LᴴL (x − z)‖ / ‖Aᴴ y + λ LᴴL z‖``, computed from the returned ``x``
        for iterative methods and where ``residual=True`` was asked; ``-1`` where it was not
        computed (closed forms by default: it costs ``A``, ``Aᴴ``, ``L`` and ``Lᴴ`` once more).
      converged: iterative: ``residual <= 2·tol``; closed forms: every entry of ``x`` finite
        (and ``residual <= √eps`` where computed: a failure means no unique minimiser).
        Under ``jit`` this array is the record; the warning goes through
        ``jax.debug.callback`` (only for iterative methods and ``residual=True``: an
        unconditional callback cost 40% of a 512² closed form).
    """

    method: str
    reason: str
    iterations: jax.Array
    residual: jax.Array
    converged: jax.Array

    def __repr__(self) -> str:
        return (
            f"SolveInfo(method={self.method!r}, iterations={self.iterations}, "
            f"residual={self.residual}, converged={self.converged}, reason={self.reason!r})"
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


def _concrete(*trees: Any) -> bool:
    tracer = jax.core.Tracer  # pyright: ignore[reportAttributeAccessIssue]
    return not any(isinstance(leaf, tracer) for leaf in jax.tree_util.tree_leaves(trees))


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
    if not _concrete(reg):
        return  # traced: a NaN λ gives a NaN x (never zeros)
    v = float(reg)
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"{name}: reg (λ) must be finite and >= 0, got {v}")


def _check_finite(name: str, what: str, tree: Any) -> None:
    """Eagerly: every array leaf of ``tree`` finite, else a one-line ``ValueError``."""
    for leaf in jax.tree_util.tree_leaves(tree):
        if not hasattr(leaf, "dtype") or not _concrete(leaf):
            continue
        a = np.asarray(leaf)  # concrete: checked on the host, also while tracing
        if not np.issubdtype(a.dtype, np.inexact):
            continue
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        if bad:
            raise ValueError(
                f"{name}: {what} holds {bad} non-finite value(s) (NaN or inf) out of "
                f"{a.size}; a solver cannot give a meaningful x (under jit the result is NaN)"
            )


def _check_linear(name: str, which: str, op: ca.Operator, xs: jax.ShapeDtypeStruct) -> None:
    """A user function (``ca.linear``) inside ``op`` must be linear: ``op(0) = 0`` and
    ``op(a + 2b) = op(a) + 2 op(b)``, checked on random inputs when the IR holds one."""
    if not _s.has_opaque_linear(op, xs):
        return
    with jax.ensure_compile_time_eval():
        if not _concrete(op):
            return  # traced kernels: values unknown at trace time
        dtype = xs.dtype
        a = ca.testing.random_like(xs, 1)
        b = ca.testing.random_like(xs, 2)
        zero = jax.tree_util.tree_leaves(op(jnp.zeros(xs.shape, dtype)))
        off = max(float(jnp.max(jnp.abs(z))) if z.size else 0.0 for z in zero)
        if off != 0.0:
            raise ValueError(
                f"{name}: {which} is not linear: {which}(0) != 0 (max |{which}(0)| = {off:.3g}); "
                "an affine ca.linear(fn) (e.g. x + c) has no least-squares normal equations"
            )
        lhs = jax.tree_util.tree_leaves(op(a + 2 * b))
        rhs = [u + 2 * v for u, v in zip(jax.tree_util.tree_leaves(op(a)),
                                         jax.tree_util.tree_leaves(op(b)))]  # fmt: skip
        num = sum(float(jnp.linalg.norm(u - v)) for u, v in zip(lhs, rhs))
        den = sum(float(jnp.linalg.norm(v)) for v in rhs) or 1.0
        eps = float(jnp.finfo(dtype).eps)
        if not num <= 1e3 * eps * den:
            raise ValueError(
                f"{name}: {which} is not linear: ‖{which}(a + 2b) − {which}(a) − 2·{which}(b)‖ / "
                f"‖{which}(a) + 2·{which}(b)‖ = {num / den:.3g} on random inputs (a ca.linear(fn) "
                "whose fn is not linear)"
            )


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
# ("A" or "L", path, c, kinds, tol): a Parseval certificate; path ("dct",): symmetric kernels
Certs = tuple[tuple[str, _s.Path, float, frozenset, float], ...]


@dataclasses.dataclass(frozen=True)
class _Choice:
    method: str
    reason: str
    iso: _s.Tight | None = None
    l_iso: _s.Tight | None = None
    plan: _s.Plan | None = None
    certs: Certs = ()  # the value certificates (Parseval banks) the choice rests on


def _trusted(certs: Certs | None, which: str) -> _s.Trusted | None:
    if certs is None:
        return None
    return {p: (c, k, t) for w, p, c, k, t in certs if w == which and p != ("dct",)}


def _tight(op, xs, which: str, certs: Certs | None) -> _s.Tight | None:
    return _s.tight(_s.lowered(op, xs), xs, _trusted(certs, which))


def _checked_at_run_time(c: _Choice) -> bool:
    """Whether a closed form rests on a certificate checked only when the program runs."""
    if c.method == "adjoint" and c.iso is not None and c.l_iso is not None:
        return bool(c.iso.checks or c.l_iso.checks)
    return c.plan is not None and bool(c.plan.checks or c.plan.sym_runtime)


def _closed_options(
    A: ca.Operator, L: ca.Operator | None, xs: jax.ShapeDtypeStruct, certs: Certs | None = None
):
    """Every closed form that applies, with the reason; and why each other one does not.

    ``certs``: inside a trace, the certificates found outside it (``None``: check kernels)."""
    found: list[_Choice] = []
    why_not: dict[str, str] = {}

    iso = _tight(A, xs, "A", certs)
    l_iso = _tight(L, xs, "L", certs) if L is not None else _s.Tight(_s.BOTH, 1.0)
    used = tuple(("A", *c) for c in (iso.certs if iso is not None else ()))
    l_used = tuple(("L", *c) for c in (l_iso.certs if l_iso is not None else ()))
    l_parseval = l_iso is not None and "iso" in l_iso.kinds
    if iso is None:
        why_not["adjoint"] = f"AᴴA is not a known multiple of the identity for A = {A!r}"
    elif not l_parseval:
        why_not["adjoint"] = f"LᴴL is not a known multiple of the identity for L = {L!r}"
    else:
        what = "AᴴA = cI" if "iso" in iso.kinds else "AAᴴ = cI"
        if iso.certs:
            what += " (an orthogonal filter bank: a Parseval frame, certified on its filters)"
        found.append(
            _Choice(
                "adjoint",
                f"{what} ({_show(A)}): x = z + Aᴴ(y − A z) / (c + λ·c_L), one application of Aᴴ",
                iso=iso,
                l_iso=l_iso,
                certs=used + l_used,
            )
        )

    sym_trusted = None
    if certs is not None:
        sym_trusted = tuple(w for w, path, *_ in certs if path == ("dct",))
    p, why = None, ""
    if l_iso is not None and l_iso.checks:  # a run-time certificate: a spectral L first
        p, why = _s.plan(A, L, xs, None, sym_trusted)
    if p is None:
        p, why = _s.plan(A, L, xs, l_iso if L is not None and l_parseval else None, sym_trusted)
    parseval_l = L is not None and p is not None and p.l is None
    l_note = "; LᴴL = cI (a Parseval frame L: λc on the diagonal)" if parseval_l else ""
    p_certs = l_used if parseval_l else ()
    if p is not None:
        p_certs += tuple((w, ("dct",), 1.0, frozenset(), 0.0) for w in p.sym_checked)
    if p is None:
        why_not["fourier"] = why_not["aliasing"] = why_not["dct"] = why
    elif p.half:
        why_not["fourier"] = why_not["aliasing"] = "a symmetric boundary (not periodic)"
        sym_how = (
            "checked when the program runs: traced kernels; CG where one is not"
            if p.sym_runtime
            else "checked"
        )
        found.append(
            _Choice(
                "dct",
                f"half-sample symmetric boundary on axes {tuple(sorted(p.half))} "
                "(scipy.ndimage mode='reflect', PyWavelets 'symmetric') with symmetric kernels "
                f"({sym_how}): "
                "diagonal in the DCT-II basis, x = idct(Σ λᵢ dct(yᵢ) / (Σ λᵢ² + "
                f"λ Σ μⱼ²)), eigenvalues from the kernels{l_note}",
                plan=p,
                certs=p_certs,
            )
        )
    elif p.factors is None:
        why_not["dct"] = "no symmetric boundary"
        why_not["aliasing"] = "no term is decimated (↓k ∘ circular)"
        nt = len(p.a.flat())
        how = (
            f"a {xs.shape[p.chan]}×{xs.shape[p.chan]} system per frequency"
            if p.mixing and p.chan is not None
            else "x̂ = Σ conj(Ĥᵢ) ŷᵢ / (Σ |Ĥᵢ|² + λ Σ |Ĝⱼ|²)"
        )
        found.append(
            _Choice(
                "fourier",
                f"{nt} circular term(s) on axes {p.axes}, read from the lowered IR: "
                f"{'block-' if p.mixing else ''}diagonal in the DFT basis, {how}; transfer "
                f"functions from the kernels, one FFT pass{l_note}",
                plan=p,
                certs=p_certs,
            )
        )
    else:
        why_not["dct"] = "no symmetric boundary"
        why_not["fourier"] = f"a term is decimated by {p.factors} (not diagonal in Fourier)"
        K = int(np.prod(p.factors))
        found.append(
            _Choice(
                "aliasing",
                f"↓{p.factors} ∘ circular term(s) (Zhao et al., IEEE TIP 2016): AᴴA couples "
                f"the {K} aliased frequencies of each group (Σ of rank-one terms, a Parseval "
                f"frame gives I): {K}×{K} systems per group, one FFT pass{l_note}",
                plan=p,
                certs=p_certs,
            )
        )
    # a closed form checked only when the program runs comes after the unconditional ones
    found.sort(key=_checked_at_run_time)
    return found, why_not


def _choose(name, A, L, xs, method, certs: Certs | None = None) -> _Choice:
    if method not in METHODS:
        raise ValueError(f"{name}: method must be one of {METHODS}, got {method!r}")
    if method in ("cg", "lsmr", "gmres"):
        return _Choice(method, f"method={method!r} was asked for")
    found, why_not = _closed_options(A, L, xs, certs)
    if method in CLOSED:
        for c in found:
            if c.method == method:
                return c
        raise ValueError(
            f"{name}: method={method!r} does not apply: {why_not[method]}; operator {_show(A)}"
        )
    if found:
        return found[0]
    details = "; ".join(f"{k}: {v}" for k, v in why_not.items())
    if method == "closed":
        raise ValueError(
            f"{name}: method='closed' but no closed form applies to A = {_show(A)}: {details}"
        )
    return _Choice("cg", f"no closed form applies ({details}); CG on the normal equations")


def solve_method(
    A: ca.Operator, x_like: Any, *, L: ca.Operator | None = None, method: str = "auto"
) -> tuple[str, str]:
    """The method :func:`solve` would use, and why, without solving anything.

    Examples:
      >>> import jax, convalgebra as ca
      >>> from convalgebra.deconv import solve_method
      >>> A = ca.conv([1.0, 2.0, 1.0], "circular")
      >>> solve_method(A, jax.ShapeDtypeStruct((8,), "float32"))[0]
      'fourier'
    """
    xs = _struct("solve_method", x_like)
    A.out_struct(xs)
    if L is not None:
        L.out_struct(xs)
    c = _choose("solve_method", A, L, xs, method)
    return c.method, c.reason


# ---- closed forms ------------------------------------------------------------------------------
def _finish(xf: jax.Array, xs: jax.ShapeDtypeStruct) -> jax.Array:
    if not jnp.issubdtype(xs.dtype, jnp.complexfloating) and jnp.iscomplexobj(xf):
        xf = xf.real
    return xf.astype(xs.dtype)


def _div(num: jax.Array, den: jax.Array) -> jax.Array:
    """``num / den``, 0 where ``den == 0`` (the least-norm solution); NaN stays NaN."""
    zero = den == 0
    return jnp.where(zero, 0, num / jnp.where(zero, 1, den).astype(num.dtype))


def _front(v: jax.Array, chan: int) -> jax.Array:
    """The channel axis first, a size-1 axis left in its place (the symbols' layout)."""
    return jnp.expand_dims(jnp.moveaxis(v, chan, 0), 1 + chan)


def _back(v: jax.Array, chan: int) -> jax.Array:
    return jnp.moveaxis(jnp.squeeze(v, 1 + chan), 0, chan)


def _fourier(p: _s.Plan, y_leaves, xs, lam, rhs: bool = False) -> jax.Array:
    real = not jnp.issubdtype(xs.dtype, jnp.complexfloating)
    cd = _complex_dtype(xs.dtype)
    ctx = _s.Ctx(tuple(xs.shape), p.axes, real, cd)
    rd = _real_dtype(xs.dtype)
    if p.mixing:
        return _fourier_mixing(p, y_leaves, xs, lam, ctx, rhs)
    P: Any = 0
    R: Any = 0
    for i, t in enumerate(p.a.flat()):
        H = t.build(ctx).a
        P = P + (H.real**2 + H.imag**2)
        if not rhs:
            y = y_leaves[i]
            R = R + jnp.conj(H) * ctx.fwd(y.astype(rd if real else cd))
    if rhs:  # y_leaves = [Aᴴy (+ ...)]: the normal equations' right-hand side
        R = ctx.fwd(y_leaves[0].astype(rd if real else cd))
    if p.l is not None:
        PL: Any = 0
        for t in p.l.flat():
            G = t.build(ctx).a
            PL = PL + (G.real**2 + G.imag**2)
        P = P + lam.astype(rd) * PL
    else:
        P = P + _l_diag(p, lam, rd)
    # 1 / P on the real array (0 where P = 0: the least-norm solution; NaN stays NaN)
    zero = P == 0  # the double where keeps gradients finite where P = 0
    inv = jnp.where(zero, 0, 1 / jnp.where(zero, 1, P))
    return _finish(ctx.inv(R * inv.astype(R.dtype), tuple(xs.shape)), xs)


def _fourier_mixing(p: _s.Plan, y_leaves, xs, lam, ctx, rhs: bool = False) -> jax.Array:
    """Per frequency ``(Σ ĤᵢᴴĤᵢ + λ Σ ĜⱼᴴĜⱼ) x̂ = Σ Ĥᵢᴴ ŷᵢ`` with ``C_in × C_in`` matrices."""
    chan = p.chan
    assert chan is not None
    cin = xs.shape[chan]
    cd = ctx.cdtype

    def mat(t):
        s = t.build(ctx)
        if s.matrix:
            return s.a
        return _s._to_matrix(s, chan, t.shape[chan]).a

    N: Any = 0
    R: Any = 0
    for i, t in enumerate(p.a.flat()):
        H = mat(t)
        N = N + jnp.einsum("ki...,kj...->ij...", jnp.conj(H), H)
        if not rhs:
            yf = ctx.fwd(y_leaves[i].astype(jnp.finfo(cd).dtype if ctx.real else cd))
            R = R + jnp.einsum("ki...,k...->i...", jnp.conj(H), _front(yf, chan))
    if rhs:  # y_leaves = [Aᴴy (+ ...)]: the normal equations' right-hand side
        R = _front(ctx.fwd(y_leaves[0].astype(jnp.finfo(cd).dtype if ctx.real else cd)), chan)
    if p.l is not None:
        for t in p.l.flat():
            G = mat(t)
            N = N + lam.astype(cd) * jnp.einsum("ki...,kj...->ij...", jnp.conj(G), G)
    else:
        eye = jnp.eye(cin, dtype=cd).reshape((cin, cin) + (1,) * (R.ndim - 1))
        N = N + _l_diag(p, lam, jnp.finfo(cd).dtype).astype(cd) * eye
    # (C, C, *b) and (C, *b) -> batched solves over the broadcast frequency axes
    b = jnp.broadcast_shapes(N.shape[2:], R.shape[1:])
    Nm = jnp.moveaxis(jnp.broadcast_to(N, N.shape[:2] + b), (0, 1), (-2, -1))
    Rm = jnp.moveaxis(jnp.broadcast_to(R, R.shape[:1] + b), 0, -1)
    X = jnp.moveaxis(jnp.linalg.solve(Nm, Rm[..., None])[..., 0], -1, 0)
    return _finish(ctx.inv(_back(X, chan), tuple(xs.shape)), xs)


def _dct(p: _s.Plan, y_leaves, xs, lam, rhs: bool = False) -> jax.Array:
    """Symmetric boundaries: ``A = Cᵀ diag(λ) C`` with ``C`` the orthonormal DCT-II on the
    ``half`` axes, ``λ`` the first ``N`` bins of the kernel's transfer function on the
    doubled period (Ng, Chan and Tang, SIAM J. Sci. Comput. 21(3), 1999)."""
    from jax.scipy import fft as jfft

    rd = _real_dtype(xs.dtype)
    ctx = p.ctx(xs, True, _complex_dtype(xs.dtype))
    axes = tuple(sorted(p.half))

    def sym(t):
        return p.dct_symbol(t.build(ctx).a, xs).astype(rd)

    P: Any = 0
    R: Any = 0
    for i, t in enumerate(p.a.flat()):
        h = sym(t)
        P = P + h * h
        if not rhs:
            y = y_leaves[i]
            R = R + h * jfft.dctn(y.astype(rd), type=2, axes=axes, norm="ortho")
    if rhs:  # y_leaves = [Aᴴy (+ ...)]: the normal equations' right-hand side
        R = jfft.dctn(y_leaves[0].astype(rd), type=2, axes=axes, norm="ortho")
    if p.l is not None:
        PL: Any = 0
        for t in p.l.flat():
            g = sym(t)
            PL = PL + g * g
        P = P + lam.astype(rd) * PL
    else:
        P = P + _l_diag(p, lam, rd)
    zero = P == 0  # the least-norm solution; the double where keeps gradients finite
    X = R * jnp.where(zero, 0, 1 / jnp.where(zero, 1, P))
    return jfft.idctn(X, type=2, axes=axes, norm="ortho").astype(xs.dtype)


def _l_diag(p: _s.Plan, lam: jax.Array, rd: Any) -> jax.Array:
    """``λ·c`` where ``LᴴL = cI`` (``L`` absent: ``c = 1``; a Parseval frame ``L``)."""
    return (lam * jnp.asarray(p.l_scale).astype(lam.dtype)).astype(rd)


def _phase(ctx: _s.Ctx, t: _s.Term, H: jax.Array) -> jax.Array:
    return _s.phase(ctx, t, H)


def _aliasing(p: _s.Plan, y_leaves, xs, lam, rhs: bool = False) -> jax.Array:
    """Per group of ``K`` aliased frequencies: ``M x̂_g = r_g``, with ``M`` the sum of
    ``conj(h)hᵀ/K`` over decimated terms and of ``diag|h|²`` over the others."""
    factors = p.factors
    assert factors is not None
    cd = _complex_dtype(xs.dtype)
    rd = _real_dtype(xs.dtype)
    shape = tuple(xs.shape)
    ctx = _s.Ctx(shape, p.axes, False, cd)
    K = int(np.prod(factors))
    lamc = lam.astype(rd)

    def full(a):
        return jnp.broadcast_to(a, jnp.broadcast_shapes(a.shape, shape))

    ys: list[Any] = [None] * len(p.a.flat()) if rhs else list(y_leaves)
    dec_a = [(t, y) for t, y in zip(p.a.flat(), ys) if t.decimated]
    diag_a = [(t, y) for t, y in zip(p.a.flat(), ys) if not t.decimated]
    l_terms = p.l.flat() if p.l is not None else []
    # the single-term, L = I form: x̂ = conj(h) ⊙ tile(ŷ / (Σ_aliases |h|²/K + λ))
    if len(dec_a) == 1 and not diag_a and p.l is None and not rhs:
        t, y = dec_a[0]
        H = full(_phase(ctx, t, t.build(ctx).a))
        S = jnp.sum(_s.group(H.real**2 + H.imag**2, factors), axis=-1) / K
        Z = _div(ctx.fwd(y.astype(cd)), S + _l_diag(p, lamc, rd))
        Zt = jnp.tile(Z, factors)
        return _finish(ctx.inv(jnp.conj(H) * Zt, shape), xs)
    M: Any = 0
    D: Any = 0
    r: Any = 0
    eye = jnp.eye(K, dtype=cd)
    for t, y in dec_a:
        h = _s.group(full(_phase(ctx, t, t.build(ctx).a)), factors)
        M = M + jnp.conj(h)[..., :, None] * h[..., None, :] / K
        if not rhs:
            r = r + jnp.conj(h) * ctx.fwd(y.astype(cd))[..., None]
    for t, y in diag_a:
        H = full(t.build(ctx).a)
        D = D + _s.group(H.real**2 + H.imag**2, factors)
        if not rhs:
            r = r + _s.group(jnp.conj(H) * ctx.fwd(y.astype(cd)), factors)
    if rhs:  # y_leaves = [Aᴴy (+ ...)]: F(Aᴴy) grouped is Σ conj(hᵢ) ŷᵢ
        r = _s.group(full(ctx.fwd(y_leaves[0].astype(cd))), factors)
    if p.l is None:
        D = D + _l_diag(p, lamc, rd)
    for t in l_terms:
        G = full(_phase(ctx, t, t.build(ctx).a))
        if t.decimated:
            g = _s.group(G, factors)
            M = M + lamc.astype(cd) * jnp.conj(g)[..., :, None] * g[..., None, :] / K
        else:
            D = D + lamc * _s.group(G.real**2 + G.imag**2, factors)
    if not isinstance(D, int):  # a diagonal part (undecimated terms, λI)
        Dg = jnp.asarray(D).astype(cd)
        M = M + (Dg * eye if Dg.ndim == 0 else eye * Dg[..., None, :])
    r = jnp.broadcast_to(r, jnp.broadcast_shapes(r.shape, M.shape[:-1]))
    X = jnp.linalg.solve(jnp.broadcast_to(M, r.shape + (K,)), r[..., None])[..., 0]
    return _finish(ctx.inv(_s.ungroup(X, factors), shape), xs)


def _rhs_solver(choice: _Choice, xs, lam):
    """``rhs -> (AᴴA + λLᴴL)⁻¹ rhs`` for the closed forms that rest on kernel values (a
    Parseval frame, symmetric kernels), or ``None``. Their formulas hold only where the
    certificate does, so their derivative in the kernels is taken implicitly
    (``lax.custom_linear_solve`` on the normal operator), as CG's is."""
    rd = _real_dtype(xs.dtype)
    p = choice.plan
    if choice.method == "adjoint":
        iso, l_iso = choice.iso, choice.l_iso
        assert iso is not None and l_iso is not None
        valued = iso.certs or iso.checks or l_iso.certs or l_iso.checks
        if not valued or "iso" not in iso.kinds:
            return None
        den = (jnp.asarray(iso.c).astype(rd) + lam * jnp.asarray(l_iso.c).astype(rd)).astype(rd)
        return lambda r: _div(r, den).astype(xs.dtype)
    if choice.method == "dct" and p is not None:
        return lambda r: _dct(p, [r], xs, lam, rhs=True)
    parseval_l = p is not None and p.l is None and bool(choice.certs or p.checks)
    if choice.method == "fourier" and p is not None and parseval_l:
        return lambda r: _fourier(p, [r], xs, lam, rhs=True)
    if choice.method == "aliasing" and p is not None and parseval_l:
        return lambda r: _aliasing(p, [r], xs, lam, rhs=True)
    return None


def _adjoint(c: _Choice, A, y, xs, lam) -> jax.Array:
    rd = _real_dtype(xs.dtype)
    assert c.iso is not None and c.l_iso is not None
    cA = jnp.asarray(c.iso.c).astype(rd)
    cL = jnp.asarray(c.l_iso.c).astype(rd)
    x = ca.adjoint(A, xs)(y)
    den = cA + lam * cL
    return _div(x, den.astype(rd)).astype(xs.dtype)


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


def _dot(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.real(jnp.vdot(a, b))


def _cg(matvec, b: jax.Array, tol: float, maxiter: int) -> tuple[jax.Array, jax.Array]:
    """Conjugate gradients on the Hermitian positive (semi-)definite ``matvec``, from 0,
    until ``‖r‖ <= tol·‖b‖`` or ``maxiter`` steps; implicit gradients through
    ``lax.custom_linear_solve`` (one more solve), the step count as its auxiliary output."""

    def run(mv, rhs):
        bb = _dot(rhs, rhs)
        stop = (tol**2) * bb

        def cond(c):
            _, _r, _, g, k = c
            return (g > stop) & (k < maxiter)

        def body(c):
            x, r, p, g, k = c
            ap = mv(p)
            alpha = g / _dot(p, ap)
            x = x + alpha.astype(x.dtype) * p
            r = r - alpha.astype(r.dtype) * ap
            g2 = _dot(r, r)
            p = r + (g2 / g).astype(r.dtype) * p
            return x, r, p, g2, k + 1

        init = (jnp.zeros_like(rhs), rhs, rhs, bb, jnp.asarray(0, jnp.int32))
        x, _, _, _, k = jax.lax.while_loop(cond, body, init)
        return x, k

    x, k = jax.lax.custom_linear_solve(matvec, b, run, symmetric=True, has_aux=True)
    return x, k


def _iterative(method, A, L, y, xs, lam, tol, maxiter, normal_op, b):
    if method == "cg":
        x, k = _cg(normal_op, b, tol, maxiter)
        return x.astype(xs.dtype), jnp.asarray(k, jnp.int32)
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
            return (A(v), jax.tree_util.tree_map(lambda a: root.astype(a.dtype) * a, lv))

        op = lx.FunctionLinearOperator(stacked, struct)
        lo = Lop.out_struct(xs)
        zero = jax.tree_util.tree_map(
            lambda s: jnp.zeros(s.shape, s.dtype), lo,
            is_leaf=lambda n: isinstance(n, jax.ShapeDtypeStruct),
        )  # fmt: skip
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
            f"{np.max(np.asarray(residual)):.3g}; -1: not computed): the iteration budget is "
            "spent, the data or the operator is not finite, or, for a closed form, the problem "
            "has no unique minimiser; see info.converged",
            RuntimeWarning,
            stacklevel=3,
        )


def _warn_traced(converged, residual, method: str) -> None:
    """The warning from inside a trace: the host callback only on the branch that warns (an
    unconditional ``jax.debug.callback`` cost 40% of a 512² closed form on the CPU)."""

    def warn():
        jax.debug.callback(_warn_host, converged, residual, method)

    jax.lax.cond(jnp.all(converged), lambda: None, warn)


def _tree_sub(a: Any, b: Any) -> Any:
    return jax.tree_util.tree_map(lambda u, v: u - v.astype(u.dtype), a, b)


def _solve(A, L, y, reg, z, *, xs, choice, tol, maxiter, residual, warn, fixed=False):
    """The solve proper, traced (under the caller's jit or the cached one of :func:`solve`).

    ``fixed``: the kernels are constants here (an eager call; closed over), so no derivative
    in them is taken and the value-certified forms need not solve implicitly."""
    rd = _real_dtype(xs.dtype)
    lam = jnp.asarray(reg).astype(rd)
    if choice.method in CLOSED and choice.plan is None and choice.iso is None:
        # re-read inside this trace (kernels traced: the certificates found outside trusted)
        choice = _choose("solve", A, L, xs, choice.method, certs=choice.certs)
    if z is not None:  # ‖A x − y‖² + λ‖L(x − z)‖²: x = z + the solution for y − A z
        y = _tree_sub(y, A(z))

    At = ca.adjoint(A, xs)
    Lt = ca.adjoint(L, xs) if L is not None else None
    y_leaves = jax.tree_util.tree_leaves(y)

    def normal_op(v):
        r = At(A(v))
        if L is not None:
            assert Lt is not None
            p = Lt(L(v))
            return (r + lam.astype(p.dtype) * p).astype(xs.dtype)
        return (r + lam.astype(v.dtype) * v).astype(xs.dtype)

    zero_steps = jnp.asarray(0, jnp.int32)
    iterative = choice.method not in CLOSED
    # certificates on kernels traced at choice time (a symmetric kernel, a Parseval frame):
    # checked when the program runs, which branches to CG where one fails
    checks: list[Any] = []
    if choice.plan is not None:
        if choice.plan.sym_runtime:
            checks.append(_s.symmetric_traced(choice.plan.sym_runtime))
        checks += list(choice.plan.checks)
    if choice.method == "adjoint" and choice.iso is not None and choice.l_iso is not None:
        checks += list(choice.iso.checks) + list(choice.l_iso.checks)
    if checks:
        residual = True  # the CG branch's convergence is judged by the residual
    rhs_solve = None if (iterative or fixed) else _rhs_solver(choice, xs, lam)
    b = At(y).astype(xs.dtype) if (iterative or residual or rhs_solve) else None
    closed_ok: Any = True

    def closed_form() -> jax.Array:
        if rhs_solve is not None:  # implicit derivative in the kernels
            assert b is not None
            rs = rhs_solve
            return jax.lax.custom_linear_solve(
                normal_op, b, lambda _mv, r: rs(r), symmetric=True
            ).astype(xs.dtype)
        if choice.method == "fourier":
            assert choice.plan is not None
            return _fourier(choice.plan, y_leaves, xs, lam)
        if choice.method == "aliasing":
            assert choice.plan is not None
            return _aliasing(choice.plan, y_leaves, xs, lam)
        if choice.method == "dct":
            assert choice.plan is not None
            return _dct(choice.plan, y_leaves, xs, lam)
        return _adjoint(choice, A, y, xs, lam)

    if not iterative and checks:
        assert b is not None
        bb = b
        closed_ok = jnp.all(jnp.stack([jnp.asarray(c) for c in checks]))

        def by_cg():
            xc, k = _iterative("cg", A, L, y, xs, lam, tol, maxiter, normal_op, bb)
            return xc.astype(xs.dtype), k

        x, steps = jax.lax.cond(
            closed_ok, lambda: (closed_form().astype(xs.dtype), zero_steps), by_cg
        )
    elif not iterative:
        x, steps = closed_form(), zero_steps
    else:
        assert b is not None
        x, steps = _iterative(choice.method, A, L, y, xs, lam, tol, maxiter, normal_op, b)
        # CG stops at once on a NaN right-hand side (NaN > tol is false): never return zeros
        x = jnp.where(jnp.isfinite(jnp.linalg.norm(b)), x, jnp.nan).astype(xs.dtype)

    if iterative or residual:
        assert b is not None
        bnorm = jnp.linalg.norm(b)
        rnorm = jnp.linalg.norm(normal_op(x) - b)
        res = jnp.where(bnorm > 0, rnorm / jnp.where(bnorm > 0, bnorm, 1), rnorm).astype(rd)
    else:
        res = jnp.asarray(-1.0, rd)
    finite = jnp.all(jnp.isfinite(x))
    if iterative:
        converged = finite & (res <= 2 * tol)
    elif residual:
        # exact up to rounding (eps · cond); a singular system (no unique minimiser) is caught
        converged = finite & (res <= float(np.sqrt(jnp.finfo(rd).eps)))
        if checks:  # the CG branch: converged to its tolerance
            converged = jnp.where(closed_ok, converged, finite & (res <= 2 * tol))
    else:
        converged = finite
    if z is not None:
        x = (x + z.astype(xs.dtype)).astype(xs.dtype)
    info = SolveInfo(choice.method, choice.reason, steps, res, converged)
    if warn:
        try:
            ok = bool(converged)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError):
            # traced: a closed form without its residual is not checked by a host callback
            # (x is NaN where an input was; info.converged is the record)
            if iterative or residual:
                _warn_traced(converged, res, choice.method)
        else:
            if not ok:
                _warn_host(converged, res, choice.method)
    return x, info


def _flags(converged: jax.Array, *trees: Any) -> jax.Array:
    """One small array for the host: per tree, whether an inexact leaf holds a non-finite
    value; last, whether every ``converged`` is false somewhere (one transfer, no counts:
    the message counts on the host, in the error path only)."""

    def bad(tree):
        out = jnp.zeros((), bool)
        for leaf in jax.tree_util.tree_leaves(tree):
            if hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.inexact):
                out = out | ~jnp.all(jnp.isfinite(leaf))
        return out

    return jnp.stack([bad(t) for t in trees] + [~jnp.all(converged)])


@functools.partial(jax.jit, static_argnames=("xs", "choice", "tol", "maxiter", "residual"))
def _solve_jit(A, L, y, reg, z, *, xs, choice, tol, maxiter, residual):
    x, info = _solve(
        A, L, y, reg, z, xs=xs, choice=choice, tol=tol, maxiter=maxiter, residual=residual,
        warn=False, fixed=True,
    )  # fmt: skip
    return x, info, _flags(info.converged, y, z, A, L)


_CHOICES: dict[Any, tuple[_Choice, list[np.ndarray] | None]] = {}
_OUTS: dict[Any, Any] = {}


def _shape_key(op: Any) -> Any:
    """An operator's structure: its treedef (every static field) and its leaves' shapes and
    dtypes (a kernel's size decides output shapes and boundary readings), not their values."""
    leaves, tree = jax.tree_util.tree_flatten(op)
    return tree, tuple((np.shape(v), str(getattr(v, "dtype", type(v).__name__))) for v in leaves)


def _out_struct(A: ca.Operator, xs: jax.ShapeDtypeStruct) -> Any:
    """``A.out_struct(xs)``, cached per operator structure (static fields) and input."""
    try:
        key = (_shape_key(A), xs)
        hash(key)
    except TypeError:
        return A.out_struct(xs)
    if key not in _OUTS:
        if len(_OUTS) > 256:
            _OUTS.clear()
        _OUTS[key] = A.out_struct(xs)
    return _OUTS[key]


def _values(A, L) -> list[np.ndarray]:
    return [np.asarray(v) for v in jax.tree_util.tree_leaves((A, L))]


def _cached_choice(name, A, L, xs, method) -> _Choice:
    """The method (and the linearity check of user functions) per operator STRUCTURE: the
    treedefs hold every static field, with the leaves' shapes and dtypes; the kernels'
    values do not change the choice, except where it
    rests on a certificate checked on the kernels (a Parseval bank): then the kernels are
    compared too."""
    try:
        key = (_shape_key(A), _shape_key(L), xs, method)
        hash(key)
    except TypeError:  # an unhashable static field: no cache
        key = None
    if key is not None and key in _CHOICES:
        choice, values = _CHOICES[key]
        if values is None:
            return choice
        now = _values(A, L)
        if len(now) == len(values) and all(np.array_equal(a, b) for a, b in zip(now, values)):
            return choice
    _check_linear(name, "A", A, xs)
    if L is not None:
        _check_linear(name, "L", L, xs)
    choice = _hashable_choice(_choose(name, A, L, xs, method))
    if key is not None:
        if len(_CHOICES) > 256:
            _CHOICES.clear()
        _CHOICES[key] = (choice, _values(A, L) if choice.certs else None)
    return choice


def _hashable_choice(c: _Choice) -> _Choice:
    """The choice as a jit static argument: the plan's builders close over kernels, so the
    jitted call re-reads the structure inside its trace (same method, same reason, the same
    certificates trusted)."""
    return _Choice(c.method, c.reason, certs=c.certs)


def solve(
    A: ca.Operator,
    y: Any,
    x_like: Any,
    *,
    reg: jax.typing.ArrayLike = 0.0,
    L: ca.Operator | None = None,
    z: jax.typing.ArrayLike | None = None,
    method: str = "auto",
    tol: float | None = None,
    maxiter: int | None = None,
    residual: bool = False,
    warn: bool = True,
) -> tuple[jax.Array, SolveInfo]:
    """Deconvolution: the minimiser of ``‖A x − y‖² + λ‖L (x − z)‖²`` (least norm if not unique).

    With ``z`` it is the proximal step of the quadratic data term that plug-and-play,
    half-quadratic splitting and ADMM take (``L = I``: ``argmin ‖Ax − y‖² + λ‖x − z‖²``),
    in closed form wherever ``solve`` has one (it solves for ``x − z`` with ``y − A z``).

    ``method="auto"`` reads the structure from the operator's lowered and rewritten IR (so
    pinned, ``axis=``, transposed, ``branch``/``join``/``parallel``, ``nn`` and ``signal``
    operators are all seen) and picks, in this order: ``"adjoint"`` (``AᴴA = cI`` or
    ``AAᴴ = cI``: ``↑k``, ``↓k``, zero pad, crop, scaled, and Parseval frames: orthogonal
    periodization wavelet banks, 1-D, 2-D and multilevel, certified on their filters),
    ``"fourier"`` (circular
    convolutions and their products, sums, scalings, transposes and branches, any channels:
    one filter, one per channel, or channel mixing as a ``C_in × C_in`` system per
    frequency; ``L`` likewise, e.g. ``L = ca.branch(Dh, Dv)`` for ``‖Dh x‖² + ‖Dv x‖²``, or
    a Parseval frame such as a wavelet analysis: ``LᴴL = I``), ``"aliasing"`` (``↓k ∘``
    circular terms, several terms too, e.g. a biorthogonal periodization filter bank; Zhao
    et al., "Fast single image super-resolution using a new analytical solution for ℓ2–ℓ2
    problems", IEEE TIP 25(8), 2016), ``"dct"`` (``ca.signal.extend_op(.., "symmetric")``,
    i.e. ``scipy.ndimage``'s ``mode="reflect"``, then valid filters with symmetric kernels:
    the DCT-II diagonalises it; Ng, Chan and Tang 1999). Otherwise ``"cg"``: conjugate
    gradients on ``(AᴴA + λLᴴL) x = Aᴴy`` through
    ``lax.custom_linear_solve``, so gradients are implicit (one more CG solve), not unrolled.
    ``"lsmr"`` (lineax LSMR on ``[A; √λ L]``) and ``"gmres"`` (lineax GMRES on a square
    ``A + λI``) need the optional ``lineax``.

    Called outside a trace, ``solve`` compiles itself (one program per operator structure,
    shapes and static arguments), so an eager call costs about what a jitted one does (plus
    the Python checks and one reduction over the inputs for the non-finite check). Works under
    ``jax.jit`` and ``jax.vmap`` (a batch of ``y``); differentiable with respect to ``y``,
    ``reg``, ``z`` and the kernels inside ``A`` and ``L``.

    Args:
      A: the forward operator, taking arrays like ``x_like`` (several outputs: ``y`` a tuple).
      y: the data, of ``A``'s output shape and dtype for ``x_like``.
      x_like: an array, ``jax.ShapeDtypeStruct`` or shape tuple: the unknown's shape and dtype.
      reg: λ >= 0, a scalar (a Python number or a 0-d array; a traced λ cannot be checked:
        a NaN λ then gives a NaN ``x``).
      L: the regularisation operator (e.g. ``ca.corr([-1.0, 1.0], "circular")``), default
        ``I``; several outputs stack penalties (``‖L x‖² = Σ ‖Lᵢ x‖²``).
      z: the centre of the penalty (an array like ``x_like``), default 0.
      method: ``"auto"``, ``"closed"`` (any closed form, else ``ValueError``), one closed form
        by name (``"adjoint"``, ``"fourier"``, ``"aliasing"``, ``"dct"``), ``"cg"``, ``"lsmr"``,
        ``"gmres"``.
      tol: relative tolerance of iterative methods, > 0 (default 1e-5 for float32, 1e-10 for
        float64).
      maxiter: iteration budget of iterative methods, >= 1 (default ``10 · size(x)``, at
        most 1000).
      residual: compute ``info.residual`` for closed forms too (``A``, ``Aᴴ``, ``L`` and
        ``Lᴴ`` once more); iterative methods always compute it.
      warn: warn (``RuntimeWarning``) when ``info.converged`` is false; under ``jit`` and
        ``vmap`` through ``jax.debug.callback``, for iterative methods and ``residual=True``
        (a traced closed form without its residual is not checked: ``info.converged``).

    Returns:
      ``(x, info)``: ``x`` of ``x_like``'s shape and dtype and a :class:`SolveInfo` pytree.

    Raises:
      ValueError: a negative, non-finite or non-scalar ``reg``; non-finite ``y``, ``z`` or
        kernels (when not traced: under ``jit`` the result is NaN, never zeros); ``tol <= 0``
        or ``maxiter < 1``; ``y`` whose shape or dtype is not ``A``'s output for ``x_like``;
        an ``A`` or ``L`` holding a ``ca.linear(fn)`` that is affine or not linear;
        ``method="closed"`` (or a named closed form) where it does not apply (the message
        says which structure is missing); an unknown method.

    Examples:
      >>> import jax.numpy as jnp, convalgebra as ca
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
    if L is not None and not isinstance(L, ca.Operator):
        raise TypeError(f"{name}: L must be a convalgebra Operator, got {type(L).__name__}")
    _check_reg(name, reg)
    if tol is not None and not (isinstance(tol, numbers.Real) and tol > 0):
        raise ValueError(f"{name}: tol must be a number > 0, got {tol!r}")
    if maxiter is not None and (
        isinstance(maxiter, bool) or not isinstance(maxiter, numbers.Integral) or maxiter < 1
    ):
        raise ValueError(f"{name}: maxiter must be an int >= 1, got {maxiter!r}")
    out = _out_struct(A, xs)
    y = jax.tree_util.tree_map(jnp.asarray, y)
    got = jax.tree_util.tree_map(lambda a: (tuple(a.shape), np.dtype(a.dtype).name), y)
    want = jax.tree_util.tree_map(
        lambda a: (tuple(a.shape), np.dtype(a.dtype).name), out,
        is_leaf=lambda n: isinstance(n, jax.ShapeDtypeStruct),
    )  # fmt: skip
    if jax.tree_util.tree_structure(y) != jax.tree_util.tree_structure(
        out, is_leaf=lambda n: isinstance(n, jax.ShapeDtypeStruct)
    ) or jax.tree_util.tree_leaves(got) != jax.tree_util.tree_leaves(want):
        raise ValueError(
            f"{name}: y must have the output shape and dtype of A for x_like "
            f"{tuple(xs.shape)} {np.dtype(xs.dtype).name}: A = {A!r} gives {want}, got y of "
            f"{got}"
        )
    if L is not None:
        L.out_struct(xs)  # raises if L does not take x
    if z is not None:
        z = jnp.asarray(z)
        if tuple(z.shape) != tuple(xs.shape):
            raise ValueError(
                f"{name}: z must have x_like's shape {tuple(xs.shape)}, got {tuple(z.shape)}"
            )
        z = z.astype(xs.dtype)
    t = _default_tol(xs.dtype) if tol is None else float(tol)
    size = int(np.prod(xs.shape))
    it = min(10 * size, 1000) if maxiter is None else int(maxiter)
    if _concrete(A, L, y, reg, z):
        # eager: one compiled program per structure (λ a traced scalar: no retrace per value);
        # the non-finite counts come back with the result, checked before it is returned
        choice = _cached_choice(name, A, L, xs, method)
        # a Python λ goes in as a NumPy scalar (jit's fast path; jnp.asarray cost 34 µs)
        lam = reg if hasattr(reg, "dtype") else np.asarray(reg)
        x, info, bad = _solve_jit(
            A, L, y, lam, z, xs=xs, choice=choice, tol=t, maxiter=it,
            residual=bool(residual),
        )  # fmt: skip
        flags = np.asarray(bad)
        if flags[:4].any():  # the error path: counted on the host, one line naming solve
            _check_finite(name, "y", y)
            _check_finite(name, "z", z)
            _check_finite(name, "A (a kernel or scale)", A)
            _check_finite(name, "L (a kernel or scale)", L)
        if warn and flags[4]:
            _warn_host(info.converged, info.residual, info.method)
        return x, info
    _check_finite(name, "y", y)
    _check_finite(name, "z", z)
    _check_finite(name, "A (a kernel or scale)", A)
    _check_finite(name, "L (a kernel or scale)", L)
    _check_linear(name, "A", A, xs)
    if L is not None:
        _check_linear(name, "L", L, xs)
    choice = _choose(name, A, L, xs, method)
    kw = dict(xs=xs, tol=t, maxiter=it, residual=bool(residual), warn=bool(warn))
    return _solve(A, L, y, reg, z, choice=choice, fixed=_concrete(A, L), **kw)
