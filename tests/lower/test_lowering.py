"""The lowering engine: every rewrite rule is exact and fires; strategies agree; jaxprs are lean."""

from collections import Counter

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest
from conftest import rand

import convalgebra as ca
from convalgebra._expr.explain import lax_ops, recorded
from convalgebra._lower import cost, strategies
from convalgebra._static.shapes import fast_len
from convalgebra._static.structs import Kind

TOL = {np.float64: 1e-12, np.float32: 1e-5, np.complex128: 1e-12}


FAST = {"xla_cpu_use_fusion_emitters": False}  # 3-4x faster XLA:CPU compiles, same numerics


def jit(fn):
    return jax.jit(fn, compiler_options=FAST)


def close(got, ref, dtype):
    if isinstance(ref, tuple):  # several outputs (a branch)
        assert isinstance(got, tuple) and len(got) == len(ref)
        for g, r in zip(got, ref):
            close(g, r, dtype)
        return
    assert got.shape == ref.shape and got.dtype == ref.dtype, (got.shape, ref.shape, got.dtype)
    scale = max(1.0, float(jnp.max(jnp.abs(ref)))) if ref.size else 1.0
    err = float(jnp.max(jnp.abs(got - ref))) / scale if ref.size else 0.0
    assert err < TOL[dtype], err


def fired(op, shape, dtype=np.float64):
    """The rules that fire when ``op`` is lowered for inputs of ``shape``."""
    return recorded(op, jax.ShapeDtypeStruct(shape, dtype))[1]


def convs(fn, *args):
    """``(window_strides, lhs_dilation, rhs_dilation)`` of every convolution in ``fn``'s jaxpr."""
    ops = lax_ops(jax.make_jaxpr(fn)(*args))
    return [(p["window_strides"], p["lhs_dilation"], p["rhs_dilation"]) for n, p in ops if p]


# One case per rule: (rule name, operator builder, input shape). The builder gets a kernel maker.
def _cases():
    def q(rng, k, c=None, dtype=np.float64):
        shape = (k,) if c is None else (*c, k)
        return rand(rng, shape, dtype)

    return [
        ("down_down", lambda r, d: ca.down(2, 1) @ ca.down(3, 2), (2, 17)),
        ("up_up", lambda r, d: ca.up(2, 1) @ ca.up(3, 2), (2, 5)),
        ("down_up_identity", lambda r, d: ca.down(3, 1) @ ca.up(3, 1), (2, 5)),
        (
            "strided_conv",
            lambda r, d: ca.down(2, 1) @ ca.corr(q(r, 4, (3, 2), d), "same", 1),
            (2, 2, 11),
        ),
        ("strided_conv", lambda r, d: ca.down(3) @ ca.conv(q(r, 5, None, d), "full"), (2, 10)),
        ("polyphase", lambda r, d: ca.corr(q(r, 5, (3, 2), d), "full", 1) @ ca.up(2, 1), (2, 2, 6)),
        ("polyphase", lambda r, d: ca.conv(q(r, 4, (2,), d), "same", 1) @ ca.up(3), (2, 2, 5)),
        (
            "crop_into_pads",
            lambda r, d: ca.crop((1, 2)) @ ca.corr(q(r, 4, None, d)) @ ca.up(2),
            (2, 6),
        ),
        (
            "zero_pad_into_pads",
            lambda r, d: ca.corr(q(r, 3, None, d), "valid") @ ca.pad((2, 1)),
            (2, 7),
        ),
        (
            "conv_conv",
            lambda r, d: ca.conv(q(r, 3, None, d), "same") @ ca.corr(q(r, 4, None, d)),
            (2, 9),
        ),
        (
            "conv_conv",
            lambda r, d: (
                ca.corr(q(r, 2, (3, 3), d), "valid", 1) @ ca.corr(q(r, 3, (3, 2), d), "full", 1)
            ),
            (2, 2, 8),
        ),
        ("fold_scale", lambda r, d: -2.5 * (ca.down(2) @ ca.corr(q(r, 3, None, d))), (2, 9)),
        (
            "permute_permute",
            lambda r, d: ca.down(2, axis=0) @ ca.corr(q(r, 3, None, d), "same", axis=0),
            (9, 2),
        ),
        (
            "transpose_transpose",
            lambda r, d: ca.transpose(
                ca.transpose(ca.down(2) @ ca.corr(q(r, 3, None, d)), np.zeros((2, 9), d)),
                np.zeros((2, 6), d),
            ),
            (2, 9),
        ),
        (
            "stack_branches",
            lambda r, d: ca.branch(
                ca.down(2, 1) @ ca.corr(q(r, 4, None, d), "same"),
                ca.down(2, 1) @ ca.corr(q(r, 4, None, d), "same"),
                ca.down(2, 1) @ ca.corr(q(r, 4, None, d), "same"),
            ),
            (3, 11),
        ),
    ]


CASES = _cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("i", range(len(CASES)))
def test_rule_is_exact_and_fires(rng, i, dtype):
    name, build, shape = CASES[i]
    op = build(rng, dtype)
    assert name in fired(op, shape, dtype)
    x = jnp.asarray(rand(rng, shape, dtype))
    got, ref = jit(lambda x: (op(x), ca.as_written(op)(x)))(x)
    close(got, ref, dtype)


def test_every_rule_has_an_exactness_case():
    from convalgebra._lower import rules

    assert set(rules.RULES) | set(rules.NODE_RULES) == {name for name, _, _ in CASES}


def test_rules_do_not_fire_when_inexact(rng):
    q = rand(rng, (3,))
    assert "down_up_identity" not in fired(ca.down(2, 1) @ ca.up(2, 0), (9,))  # zero, not I
    assert "polyphase" not in fired(ca.corr(q, "circular") @ ca.up(2), (9,))  # wrap of ↑x
    assert "conv_conv" not in fired(ca.corr(q, "same") @ ca.corr(q, "same"), (9,))  # boundary
    assert "strided_conv" not in fired(ca.down(2) @ ca.corr(rand(rng, (3, 3)), "same"), (6, 6))
    assert "conv_conv" not in fired(  # 2-D channel mixing: merged kernel costs more
        ca.corr(rand(rng, (4, 4, 3, 3)), "valid", 2) @ ca.corr(rand(rng, (4, 4, 3, 3)), ndim=2),
        (1, 4, 8, 8),
    )
    x = rand(rng, (2, 9))
    for op in [ca.down(2, 1) @ ca.up(2, 0), ca.corr(q, "circular") @ ca.up(2)]:
        close(*jit(lambda x, op=op: (op(x), ca.as_written(op)(x)))(x), np.float64)


MODES = ["full", "same", "valid", "circular"]
# ↓s (q ⋆ (↑u x)): (ndim, mode, flip, (u, pu, s, ps, r)) — strided, polyphase (interleaved and
# single-phase), dilation with zero phases, complex kernels, circular wrap, 2-D mixed axes.
GRID = [
    (1, "full", False, (1, 0, 2, 1, 1)),
    (1, "same", True, (2, 1, 1, 0, 1)),
    (1, "valid", False, (3, 2, 2, 1, 1)),
    (1, "circular", True, (1, 0, 3, 2, 2)),
    (1, "same", False, (2, 0, 2, 0, 2)),
    (1, "full", True, (2, 1, 3, 0, 3)),
    (1, "full", False, (2, 1, 1, 0, 2)),
    (2, "same", False, (2, 1, 1, 0, 1)),
    (2, "full", True, (1, 0, 2, 1, 2)),
]


@pytest.mark.parametrize("kind", ["single", "depthwise", "mixing"])
def test_strategies_agree_on_multirate_grid(rng, kind):
    """Every strategy on ``GRID``, vs as written: one jit per case, all strategies in it."""
    chan = {"single": (), "depthwise": (2,), "mixing": (3, 2)}[kind]
    for case in GRID:
        nd, mode, flip, (u, pu, s, ps, r) = case
        k = rand(rng, (*chan, *(3, 4)[:nd]), np.complex128 if nd == 1 and s == 3 else np.float64)
        f = (ca.conv if flip else ca.corr)(k, mode, nd)
        f = ca.dilate(f, r) if r > 1 else f
        op = ca.down(s, ps, nd) @ f
        if mode != "circular":
            op = op @ ca.up(u, pu, nd)
        x = jnp.asarray(rand(rng, (2, *chan[-1:], *(9, 7)[:nd])))
        fns = [ca.as_written(op)] + [ca.lower(op, strategy=st) for st in ca.STRATEGIES]
        ref, *got = jit(lambda x, fns=fns: [f(x) for f in fns])(x)
        for st, y in zip(ca.STRATEGIES, got):
            try:
                close(y, ref, np.complex128)
            except AssertionError as e:
                raise AssertionError(f"strategy {st!r} on {case}: {e}") from e


def _stacked_cases(rng, chan):
    """Polyphase shapes that stress the stacked (one-convolution) form."""

    def k(*taps):
        return rand(rng, (*chan, *taps))

    return [  # (operator, spatial input shape)
        (ca.corr(k(3), "full", 1) @ ca.up(2), (7,)),  # uneven sub-kernels (2 and 1 taps)
        (ca.conv(k(3), "same", 1) @ ca.up(4, 3), (6,)),  # a zero phase (3 taps, 4 phases)
        (ca.dilate(ca.corr(k(3), "full", 1), 4) @ ca.up(2, 1), (5,)),  # r % u == 0: 1 live phase
        (ca.crop((3, 2)) @ ca.corr(k(5), "same", 1) @ ca.up(3, 1), (6,)),  # negative padding
        (ca.down(3, 2, 1) @ ca.corr(k(4), "valid", 1) @ ca.up(2, 1), (8,)),  # ↓3 after ↑2
        (ca.corr(k(3, 4), "same", 2) @ ca.up((2, 3), (1, 0), 2), (5, 4)),  # 2-D uneven
        (ca.down((1, 2), ndim=2) @ ca.conv(k(3, 3), "full", 2) @ ca.up((2, 1), ndim=2), (4, 7)),
    ]


@pytest.mark.parametrize("kind", ["single", "depthwise", "mixing"])
def test_stacked_polyphase_is_exact(rng, kind):
    chan = {"single": (), "depthwise": (3,), "mixing": (2, 3)}[kind]
    cases = _stacked_cases(rng, chan)
    xs = [jnp.asarray(rand(rng, (2, *chan[-1:], *n))) for _, n in cases]
    ops = [ca.lower(op, strategy="lax") for op, _ in cases]
    got, ref = jit(lambda xs: ([A(x) for A, x in zip(ops, xs)], [
        ca.as_written(op)(x) for (op, _), x in zip(cases, xs)]))(xs)  # fmt: skip
    for (op, _), g, r, x in zip(cases, got, ref, xs):
        assert "polyphase" in fired(op, x.shape), op
        close(g, r, np.float64)


def hlo_convs(fn, *args) -> list[str]:
    """The convolutions XLA runs for ``fn`` (optimized HLO; dead primal code is gone)."""
    text = jit(fn).lower(*args).compile().as_text()
    return [ln.strip() for ln in text.splitlines() if " convolution(" in ln]


def test_2d_polyphase_is_one_stacked_conv(rng):
    """2-D channel-mixing polyphase runs ONE VALID conv with u^2·C_out outputs, and so do the
    transpose of the strided conv and the training step of the transposed conv (no lhs_dilation).
    """
    w = jnp.asarray(rand(rng, (4, 3, 3, 3)))
    x = jnp.asarray(rand(rng, (2, 3, 5, 6)))
    op = ca.corr(w, "same", 2) @ ca.up(2, ndim=2)  # sub-kernels 2x2, 2x1, 1x2, 1x1
    assert convs(op, x) == [((1, 1), (1, 1), (1, 1))]
    (line,) = hlo_convs(op, x)
    assert "f64[2,5,6,16]" in line or "f64[2,16,5,6]" in line, line
    strided = ca.down(2, ndim=2) @ ca.corr(w, "same", 2)
    y = jnp.asarray(rand(rng, (2, 4, 5, 6)))
    xs = jax.ShapeDtypeStruct((2, 3, 10, 12), np.float64)
    t = ca.transpose(strided, xs)
    close(jit(t)(y), jax.linear_transpose(ca.as_written(strided), xs)(y)[0], np.float64)
    assert all(c[1] == (1, 1) for c in convs(t, y))
    (line,) = hlo_convs(t, y)
    assert "lhs_dilate" not in line and "stride" not in line, line

    def train(w):  # forward + kernel gradient of the transposed convolution
        return jnp.sum(ca.transpose(ca.down(2, ndim=2) @ ca.corr(w, "same", 2), xs)(y) ** 2)

    got = jit(jax.grad(train))(w)

    def train_ref(w):
        op = ca.down(2, ndim=2) @ ca.corr(w, "same", 2)
        return jnp.sum(ca.as_written(ca.transpose(op, xs))(y) ** 2)

    close(got, jit(jax.grad(train_ref))(w), np.float64)
    assert all(c[1] == (1, 1) for c in convs(jax.grad(train), w))
    assert not any("lhs_dilate" in ln for ln in hlo_convs(jax.grad(train), w))


def test_2d_stacked_conv_stays_off_ynnpack(rng):
    """XLA:CPU routes 2-D convs with > 16 features to YNNPACK unless an output axis outgrows its
    input (measured slower here): the stacked polyphase conv computes one extra, cropped row."""
    w = jnp.asarray(rand(rng, (8, 32, 3, 3), np.float32))
    x = jnp.asarray(rand(rng, (2, 32, 12, 12), np.float32))
    plain = lambda x: jax.lax.conv_general_dilated(x, w[:, :, :2, :2], (1, 1), "VALID")  # noqa: E731
    if (
        jax.default_backend() != "cpu"
        or "__ynn_fusion" not in jit(plain).lower(x).compile().as_text()
    ):
        pytest.skip("no YNNPACK routing in this backend")
    op = ca.corr(w, "same", 2) @ ca.up(2, ndim=2)
    text = jit(op).lower(x).compile().as_text()
    assert "__ynn_fusion" not in text and len(hlo_convs(op, x)) == 1
    close(jit(op)(x), jit(ca.as_written(op))(x), np.float32)


def test_dilate_equals_zero_inserted_kernel(rng):
    q, x = rand(rng, (2, 3)), rand(rng, (2, 2, 8))
    pairs = []
    for mode in MODES[:3]:
        for flip in (False, True):
            f = (ca.conv if flip else ca.corr)(q, mode, 1)
            dense = (ca.conv if flip else ca.corr)(ca.up(2)(q), mode, 1)
            pairs.append((ca.dilate(f, 2), dense))
    for got, ref in jit(lambda x: [(a(x), b(x)) for a, b in pairs])(x):
        close(got, ref, np.float64)
    assert ca.dilate(ca.corr(q, ndim=1), 2).notation() == "(↑2 q) ⋆ x"
    with pytest.raises(TypeError, match="dilate"):
        ca.dilate(ca.down(2), 2)


def test_lowered_forward_jaxprs(rng):
    w, x = rand(rng, (4, 3, 5)), jnp.zeros((2, 3, 16))
    strided = ca.down(2) @ ca.corr(w, "same", 1)
    assert convs(strided, x) == [((2,), (1,), (1,))]  # one strided conv, no slice after it
    transposed = ca.corr(w, "full", 1) @ ca.up(2)
    assert convs(transposed, x) == [((1,), (1,), (1,))]  # polyphase: ONE stacked VALID conv
    dilated = ca.dilate(ca.corr(w, "same", 1), 3)
    assert convs(dilated, x) == [((1,), (1,), (3,))]  # rhs_dilation, no zero taps
    noble = ca.dilate(ca.corr(w, "full", 1), 2) @ ca.up(2)  # conv(↑2 h) ∘ ↑2 = ↑2 ∘ conv(h)
    assert convs(noble, x) == [((1,), (1,), (1,))]


def test_transposes_and_kernel_grads_avoid_lhs_dilation(rng):
    """The derived transposes and gradients of lowered programs contain no lhs_dilation."""
    w = jnp.asarray(rand(rng, (4, 3, 5)))
    x = jnp.asarray(rand(rng, (2, 3, 12)))
    cases = [
        (lambda w: ca.down(2) @ ca.corr(w, "same", 1), x),
        (lambda w: ca.corr(w, "full", 1) @ ca.up(2), x[..., :6]),
    ]
    for make, xin in cases:
        op = make(w)
        y = jnp.asarray(rand(rng, op.out_struct(xin).shape))
        t = op.on(xin).T
        ref = jit(lambda y, op=op, xin=xin: jax.linear_transpose(ca.as_written(op), xin)(y)[0])
        close(jit(t)(y), ref(y), np.float64)
        assert all(c[1] == (1,) for c in convs(t, y))

        def loss(w, make=make, xin=xin):
            return jnp.sum(make(w)(xin) ** 2)

        def loss_t(w, make=make, xin=xin, y=y):  # training step of the transposed operator
            return jnp.sum(ca.transpose(make(w), xin)(y) ** 2)

        def ref_loss(w, make=make, xin=xin):
            return jnp.sum(ca.as_written(make(w))(xin) ** 2)

        def ref_loss_t(w, make=make, xin=xin, y=y):
            return jnp.sum(ca.as_written(ca.transpose(make(w), xin))(y) ** 2)

        for lf, rf in ((loss, ref_loss), (loss_t, ref_loss_t)):
            close(jit(jax.grad(lf))(w), jit(jax.grad(rf))(w), np.float64)
            assert all(c[1] == (1,) for c in convs(jax.grad(lf), w)), lf


def test_forward_mode_and_vmap(rng):
    w = jnp.asarray(rand(rng, (4, 3, 3)))
    x = jnp.asarray(rand(rng, (2, 3, 9)))
    op = ca.down(2) @ ca.conv(w, "same", 1)
    f = jax.jit(lambda w: (ca.down(2) @ ca.conv(w, "same", 1))(x))  # nested in check_grads
    jax.test_util.check_grads(f, (w,), 2)
    jax.test_util.check_grads(jax.jit(op), (x,), 1)
    close(jax.vmap(op)(x[:, None]), op(x)[:, None], np.float64)
    close(jax.jit(lambda A, x: A(x))(op, x), op(x), np.float64)


def test_force_strategy_errors(rng):
    op = ca.down(2) @ ca.corr(rand(rng, (3,)))
    with pytest.raises(ValueError, match="unknown strategy 'im2col'"):
        ca.lower(op, strategy="im2col")
    # no convolution to pin: a no-op, equal to the unpinned expression
    x = jnp.arange(4.0)
    np.testing.assert_array_equal(ca.lower(ca.down(2) @ ca.up(2), strategy="fft")(x), x)


def test_as_written_and_integer_inputs():
    op = ca.down(2) @ ca.corr(jnp.ones(2))
    x = jnp.arange(6.0)
    np.testing.assert_allclose(op(x), ca.as_written(op)(x))
    assert op(jnp.arange(6)).dtype == ca.as_written(op)(jnp.arange(6)).dtype
    with pytest.raises(ValueError):
        ca.as_written(ca.corr(jnp.ones(3), "valid"))(jnp.ones(2))


# ---- the cost model and the shifted multiply-add strategy's transposes ---------------------------
def _choice(op, shape, dtype=jnp.float32):
    """The cost model's strategy for every convolution of ``op`` on inputs of ``shape``."""
    return [r.strategy for r in recorded(op, jax.ShapeDtypeStruct(shape, dtype))[2]]


def test_cost_model_decisions():
    """FFT for a long single filter, shifted multiply-adds for short and per-channel kernels."""
    z = lambda *s: jnp.zeros(s, jnp.float32)  # noqa: E731
    long_audio = (1, 2**20)
    assert _choice(ca.corr(z(1024), "same"), long_audio) == ["fft"]
    assert _choice(ca.corr(z(64), "same"), long_audio) == ["shift"]
    assert _choice(ca.down(4) @ ca.corr(z(64), "same"), long_audio) == ["shift"]
    assert _choice(ca.corr(z(64, 9), "same", 1), (8, 64, 16384)) == ["shift"]
    assert _choice(ca.corr(z(64, 5, 5), "same", 2), (8, 64, 128, 128)) == ["shift"]
    assert _choice(ca.corr(z(32, 257), "same", 1), (4, 32, 16384)) == ["fft"]
    assert _choice(ca.down(2) @ ca.corr(z(64, 64, 9), "same", 1), (8, 64, 16384)) == ["lax"]


def test_kernel_gradient_programs():
    """Kernel gradients of shift-lowered correlations avoid one reduction per tap when slow."""

    def kg(kind, *args):
        return cost.kernel_grad_strategy(Kind(kind), *args, np.float32)

    assert kg("single", (1, 2**20 + 63), (64,), 1, (1,)) == "lax"
    assert kg("single", (1, 2**20 + 63), (64,), 1, (4,)) == "lax"
    assert kg("depthwise", (8, 64, 16392), (64, 9), 1, (1,)) == "fft"
    assert kg("single", (2, 40), (3,), 1, (1,)) in ("lax", "shift")  # tiny: never an FFT
    # bfloat16 and float16 never get an FFT program (XLA's FFTs take float32/64 and complex)
    assert cost.kernel_grad_strategy(Kind.DEPTHWISE, (8, 64, 16392), (64, 9), 1, (1,),
                                     jnp.bfloat16) != "fft"  # fmt: skip


def test_fft_uses_fast_lengths(rng):
    assert [fast_len(n) for n in (1, 7, 11, 17, 97, 2**20 + 1023)] == [
        1,
        8,
        12,
        18,
        100,
        1049760,
    ]
    x, w = rand(rng, (2, 3, 101)), rand(rng, (3, 7))  # prime length: padded to 108
    for strides in ((1,), (3,)):
        got = strategies.corr_fft(x, w, Kind.DEPTHWISE, 1, strides, (2,), [(0, 0)])
        ref = strategies.corr_lax(x, w, Kind.DEPTHWISE, 1, strides, (2,), [(0, 0)])
        close(got, ref, np.float64)


def _interior_pads(fn, *args):
    """Interior (zero-insertion) paddings of every ``pad`` in ``fn``'s jaxpr, nested included."""
    found = []

    def walk(jaxpr):
        for eqn in getattr(jaxpr, "jaxpr", jaxpr).eqns:
            for v in eqn.params.values():
                if hasattr(v, "eqns") or hasattr(v, "jaxpr"):
                    walk(v)
            if eqn.primitive.name == "pad":
                found.extend(i for _, _, i in eqn.params["padding_config"] if i)

    walk(jax.make_jaxpr(fn)(*args))
    return found


@pytest.mark.parametrize(
    "kind,nd,strides,rdil",
    [
        ("single", 1, (1,), (1,)),
        ("single", 1, (4,), (1,)),
        ("depthwise", 1, (2,), (3,)),
        ("depthwise", 2, (2, 1), (1, 2)),
        ("mixing", 1, (3,), (2,)),
    ],
)
def test_shift_transpose_is_polyphase(rng, kind, nd, strides, rdil):
    """``jax.vjp`` of shifted multiply-adds: exact, and without zero insertion or convolutions."""
    shape = (2, 3, *(23 - a for a in range(nd)))
    if kind == "single":
        shape, w = shape[1:], rand(rng, (3, 2)[:nd])
    elif kind == "depthwise":
        w = rand(rng, (3, *(3, 2)[:nd]))
    else:
        w = rand(rng, (4, 3, *(3, 2)[:nd]))
    x = rand(rng, shape)
    pads = [(0, 0)] * nd
    kind = Kind(kind)
    f = lambda x, w: strategies.corr_shift(x, w, kind, nd, strides, rdil, pads)  # noqa: E731
    r = lambda x, w: strategies.corr_lax(x, w, kind, nd, strides, rdil, pads)  # noqa: E731
    y = f(x, w)
    ct = rand(rng, y.shape)
    got, ref = jax.vjp(f, x, w)[1](ct), jax.vjp(r, x, w)[1](ct)
    close(got[0], ref[0], np.float64)
    close(got[1], ref[1], np.float64)
    x_t = lambda ct: jax.vjp(lambda x: f(x, w), x)[1](ct)[0]  # noqa: E731
    assert _interior_pads(x_t, ct) == []
    assert not [n for n, _ in lax_ops(jax.make_jaxpr(x_t)(ct)) if n == "conv_general_dilated"]
    close(jax.jvp(f, (x, w), (x, w))[1], jax.jvp(r, (x, w), (x, w))[1], np.float64)


@pytest.mark.parametrize("how", ["lax", "fft", "shift"])
def test_shift_kernel_gradient_programs_are_exact(rng, how):
    """Every program the kernel gradient may be derived from gives the same gradient."""
    for kind, strides in ((Kind.SINGLE, (1,)), (Kind.SINGLE, (3,)), (Kind.DEPTHWISE, (1,))):
        if how == "lax" and kind is not Kind.SINGLE:
            continue
        x = rand(rng, (2, 30) if kind is Kind.SINGLE else (2, 3, 30))
        w = rand(rng, (5,) if kind is Kind.SINGLE else (3, 5))
        f = lambda dw: strategies.kernel_tangent(x, dw, kind, 1, strides, (2,), how)  # noqa: E731,B023
        r = lambda w: strategies.corr_lax(x, w, kind, 1, strides, (2,), [(0, 0)])  # noqa: E731,B023
        ct = rand(rng, r(w).shape)
        close(jax.vjp(f, w)[1](ct)[0], jax.vjp(r, w)[1](ct)[0], np.float64)


def test_rational_resampler_transpose_under_shift_is_the_transposed_node():
    """``(↓q h * ↑p)ᵀ = ↓p (h' ⋆ ↑q)``: under ``shift`` the transpose is emitted as that node's
    forward program, not as JAX's transpose of the polyphase bookkeeping (which had 1.5x the
    forward's lax ops here, 1.2x now, and ran 6x slower: interpolate_op bilinear x1.5,
    8x32x64², 320 vs 54 ms, one interleaved run on the shared 2-core CPU)."""

    q = jnp.asarray(np.random.default_rng(0).standard_normal((5, 5)), jnp.float32)
    A = ca.lower(ca.down((2, 2)) @ ca.conv(q) @ ca.up((3, 3)), strategy="shift")
    x = jax.ShapeDtypeStruct((1, 2, 6, 6), jnp.float32)

    def n_ops(op, s):
        return sum(Counter(n for n, _ in lax_ops(recorded(op, s)[3])).values())

    assert n_ops(ca.transpose(A, x), A.out_struct(x)) < 1.3 * n_ops(A, x)
    assert ca.testing.check_adjoint(A, x) < 1e-5
