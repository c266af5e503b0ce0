"""``precision=`` and ``preferred_element_type=``: lax's meaning, everywhere the program goes.

Every ``conv_general_dilated`` and ``dot_general`` of the lowered program (forward, both
transpose routes, kernel gradient; strategies lax, shift and fft) carries the operator's
precision and preferred element type, read back from the jaxpr; bfloat16/float16 data with
``preferred_element_type=float32`` accumulates in float32 (checked against a float64 NumPy
oracle); unknown values fail at construction with one line.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import convalgebra as ca
from convalgebra._lower import cost

CONTRACTIONS = ("conv_general_dilated", "dot_general")
DEFAULT = (lax.Precision.DEFAULT, lax.Precision.DEFAULT)
HIGHEST = (lax.Precision.HIGHEST, lax.Precision.HIGHEST)


def contractions(fn, *args) -> list[tuple[str, object, object]]:
    """``(primitive, precision, preferred_element_type)`` of every convolution and
    ``dot_general`` in ``fn``'s jaxpr, nested jaxprs included."""
    out = []

    def walk(j):
        j = getattr(j, "jaxpr", j)
        for eqn in j.eqns:
            if eqn.primitive.name in CONTRACTIONS:
                p = eqn.params
                out.append((eqn.primitive.name, p["precision"], p["preferred_element_type"]))
            for v in eqn.params.values():
                for s in v if isinstance(v, (tuple, list)) else (v,):
                    if hasattr(s, "eqns") or hasattr(getattr(s, "jaxpr", None), "eqns"):
                        walk(s)

    walk(jax.make_jaxpr(fn)(*args))
    return out


def _data(dtype, rng, b=2, cin=3, cout=4, n=23, k=5):
    x = jnp.asarray(rng.standard_normal((b, cin, n)), dtype)
    w = jnp.asarray(rng.standard_normal((cout, cin, k)), dtype)
    return x, w


# the operators: a strided layer (polyphase transpose), a transposed layer (up-sampled,
# polyphase forward) and a plain stride-1 correlation (JAX's own transposes)
BUILDS = {
    "strided": lambda w, **kw: ca.down(2) @ ca.corr(w, "same", ndim=1, **kw),
    "transposed": lambda w, **kw: ca.conv(jnp.swapaxes(w, 0, 1), "full", ndim=1, **kw) @ ca.up(2),
    "plain": lambda w, **kw: ca.corr(w, "valid", ndim=1, **kw),
}


def _in_shape(build: str, x: jax.Array) -> jax.Array:
    """The input of ``build``: the transposed layer maps ``C_out`` channels to ``C_in``."""
    return x if build != "transposed" else jnp.concatenate([x, x[:, :1]], axis=1)


def _routes(build, strategy, kw, x, w):
    """Name -> (function, args): forward, both transposes and the kernel gradient."""
    x = _in_shape(build, x)

    def op(w):
        return ca.lower(BUILDS[build](w, **kw), strategy=strategy)

    a = op(w)
    y = jax.eval_shape(a, x)
    ct = jnp.ones(y.shape, y.dtype)

    def kgrad(w):
        return jax.grad(lambda w: jnp.sum(op(w)(x).astype(jnp.float32)))(w)

    return {
        "forward": (a, (x,)),
        "transpose (linear_transpose)": (ca.transpose(a, x, "linear_transpose"), (ct,)),
        "transpose (vjp)": (ca.transpose(a, x, "vjp"), (ct,)),
        "kernel gradient": (kgrad, (w,)),
    }


@pytest.mark.parametrize("strategy", ["lax", "shift", "fft"])
@pytest.mark.parametrize("build", list(BUILDS))
def test_precision_reaches_every_contraction(build, strategy, rng):
    """precision="default" (not the platform's "highest") on every conv and dot_general."""
    x, w = _data(jnp.float32, rng)
    for name, (fn, args) in _routes(build, strategy, {"precision": "default"}, x, w).items():
        ops = contractions(fn, *args)
        # fft: the per-frequency channel mixing is the only contraction (its FFTs have no
        # precision setting); lax and shift: convolutions or per-tap dot_generals
        assert ops, (build, strategy, name)
        assert all(p == DEFAULT for _, p, _ in ops), (build, strategy, name, ops)


@pytest.mark.parametrize("strategy", ["lax", "shift", "fft"])
def test_default_precision_is_tunings(strategy, rng):
    """precision=None: TUNING's default (highest) on every contraction, transposes included."""
    x, w = _data(jnp.float32, rng)
    want = cost.tuning(jax.default_backend())["precision"]
    assert want == "highest"
    for name, (fn, args) in _routes("strided", strategy, {}, x, w).items():
        ops = contractions(fn, *args)
        assert ops and all(p == HIGHEST for _, p, _ in ops), (strategy, name, ops)


def test_jax_default_matmul_precision_is_honoured(rng):
    """precision=None with jax_default_matmul_precision set: lax's own rule (the config)."""
    x, w = _data(jnp.float32, rng)
    a = ca.down(2) @ ca.corr(w, "same", ndim=1)
    with jax.default_matmul_precision("bfloat16"):  # lax's name for DEFAULT
        ops = contractions(a, x)
    assert ops and all(p == DEFAULT for _, p, _ in ops), ops
    assert all(p == HIGHEST for _, p, _ in contractions(a, x))


@pytest.mark.parametrize("strategy", ["lax", "shift"])
@pytest.mark.parametrize("build", list(BUILDS))
def test_preferred_element_type_reaches_every_contraction(build, strategy, rng):
    """bfloat16 data, preferred_element_type=float32: every contraction accumulates in float32,
    forward, both transposes and the kernel gradient (fft cannot run bfloat16: XLA's FFTs take
    float32/64, so the cost model never picks it and pinning it is refused)."""
    x, w = _data(jnp.bfloat16, rng)
    kw = {"preferred_element_type": jnp.float32}
    for name, (fn, args) in _routes(build, strategy, kw, x, w).items():
        ops = contractions(fn, *args)
        assert ops, (build, strategy, name)
        assert all(t == np.float32 for _, _, t in ops), (build, strategy, name, ops)
        out = jax.eval_shape(fn, *args)
        want = {"forward": jnp.float32}.get(name, jnp.bfloat16)  # transposes: the input's dtype
        assert out.dtype == want, (name, out.dtype)


def test_fft_with_preferred_element_type_float64(rng):
    """fft: the transforms run in preferred_element_type (float32 data, float64 result)."""
    x, w = _data(jnp.float32, rng, n=64, k=9)
    a = ca.lower(
        ca.corr(w, "same", ndim=1, preferred_element_type=jnp.float64, precision="highest"),
        strategy="fft",
    )
    y = a(x)
    assert y.dtype == jnp.float64
    ref = lax.conv_general_dilated(
        x.astype(jnp.float64), w.astype(jnp.float64), (1,), [(4, 4)], precision="highest"
    )
    assert float(jnp.max(jnp.abs(y - ref))) < 1e-12 * float(jnp.max(jnp.abs(ref)))
    ops = contractions(a, x)
    assert ops and all(p == HIGHEST for _, p, _ in ops)


def _oracle(x, w, stride):
    """The strided 1-D correlation ("same"-free: VALID) in float64 NumPy."""
    x64, w64 = np.asarray(x, np.float64), np.asarray(w, np.float64)
    k = w64.shape[-1]
    n_out = (x64.shape[-1] - k) // stride + 1
    idx = np.arange(n_out)[:, None] * stride + np.arange(k)[None, :]
    return np.einsum("bctk,ock->bot", x64[:, :, idx], w64)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
@pytest.mark.parametrize("strategy", ["lax", "shift"])
def test_half_precision_accumulates_in_float32(dtype, strategy, rng):
    """Sums of 64·9 = 576 products: float32 accumulation is ~1e-6 relative; the half-precision
    result alone is rounded to 2^-8 (bfloat16) or 2^-11 (float16) relative."""
    x, w = _data(dtype, rng, b=2, cin=64, cout=8, n=41, k=9)
    ref = _oracle(x, w, 2)
    scale = float(np.max(np.abs(ref)))
    eps = float(jnp.finfo(dtype).eps)

    def layer(pet):
        a = ca.down(2) @ ca.corr(w, "valid", ndim=1, preferred_element_type=pet)
        return ca.lower(a, strategy=strategy)(x)

    y32, yh = layer(jnp.float32), layer(None)
    lax_y = lax.conv_general_dilated(x, w, (2,), "VALID", preferred_element_type=jnp.float32)
    assert y32.dtype == lax_y.dtype == jnp.float32 and yh.dtype == dtype
    err32 = float(np.max(np.abs(np.asarray(y32, np.float64) - ref))) / scale
    errh = float(np.max(np.abs(np.asarray(yh, np.float64) - ref))) / scale
    assert err32 < 1e-3 * eps, (err32, eps)
    assert errh > 30 * err32, (errh, err32)  # what the half-precision result gives instead
    # the nn layer: the same argument, lax's result dtype
    yn = ca.nn.conv(x, w, stride=2, preferred_element_type=jnp.float32)
    assert yn.dtype == jnp.float32
    assert float(np.max(np.abs(np.asarray(yn, np.float64) - ref))) / scale < 1e-3 * eps


@pytest.mark.parametrize("strategy", ["lax", "shift"])
def test_half_precision_transposes_are_lax(strategy, rng):
    """bfloat16 data, preferred_element_type=float32: both transposes and the kernel gradient
    equal JAX's own rules for lax.conv_general_dilated (float32 cotangent, computed in float32,
    returned in bfloat16), to within one bfloat16 rounding."""
    x, w = _data(jnp.bfloat16, rng, b=2, cin=16, cout=8, n=41, k=9)

    def ref(x, w):
        return lax.conv_general_dilated(
            x, w, (2,), "VALID", precision="highest", preferred_element_type=jnp.float32
        )

    y, vjp = jax.vjp(ref, x, w)
    ct = jnp.asarray(rng.standard_normal(y.shape), jnp.float32)
    rx, rw = vjp(ct)

    def op(w):
        a = ca.down(2) @ ca.corr(w, "valid", ndim=1, preferred_element_type=jnp.float32)
        return ca.lower(a, strategy=strategy)

    got = {m: ca.transpose(op(w), x, m)(ct) for m in ("linear_transpose", "vjp")}
    got["kernel gradient"] = jax.vjp(lambda w: op(w)(x), w)[1](ct)[0]
    for name, g in got.items():
        r = rw if name == "kernel gradient" else rx
        assert g.dtype == r.dtype == jnp.bfloat16, name
        g32, r32 = g.astype(jnp.float32), r.astype(jnp.float32)
        err = float(jnp.max(jnp.abs(g32 - r32))) / float(jnp.max(jnp.abs(r32)))
        assert err <= float(jnp.finfo(jnp.bfloat16).eps), (name, err)


def test_nn_layers_pass_precision_and_type(rng):
    """ca.nn.conv, conv_transpose, conv_op, conv_transpose_op: both arguments reach lax."""
    x, w = _data(jnp.bfloat16, rng, n=16, k=4)
    kw = {"precision": "default", "preferred_element_type": jnp.float32}
    wt = w  # (C_in, C_out, K) = (4, 3, 4) as PyTorch's ConvTranspose weight: 4 channels in
    xt = jnp.concatenate([x, x[:, :1]], axis=1)
    fns = {
        "conv": (lambda x: ca.nn.conv(x, w, None, 2, 1, **kw), x),
        "conv_op": (ca.nn.conv_op(w, 2, 1, **kw), x),
        "conv_transpose": (lambda x: ca.nn.conv_transpose(x, wt, None, 2, 1, **kw), xt),
        "conv_transpose_op": (ca.nn.conv_transpose_op(wt, 2, 1, **kw), xt),
        "conv channels_last": (
            lambda x: ca.nn.conv(x, w, None, 2, 1, data_format="channels_last", **kw),
            jnp.swapaxes(x, 1, 2),
        ),
    }
    for name, (fn, arg) in fns.items():
        ops = contractions(fn, arg)
        assert ops and all(p == DEFAULT and t == np.float32 for _, p, t in ops), (name, ops)
        y = fn(arg)
        ref = (
            lax.conv_general_dilated(x, w, (2,), [(1, 1)], preferred_element_type=jnp.float32)
            if "transpose" not in name
            else None
        )
        assert y.dtype == jnp.float32, name
        if ref is not None:
            yc = y if "last" not in name else jnp.swapaxes(y, 1, 2)
            assert float(jnp.max(jnp.abs(yc - ref))) <= 1e-5 * float(jnp.max(jnp.abs(ref)))


def test_precision_is_static_structure(rng):
    """Part of the treedef, hence of jit's cache key: a new precision retraces."""
    x, w = _data(jnp.float32, rng)
    a, b = ca.corr(w, ndim=1), ca.corr(w, ndim=1, precision="default")
    c = ca.corr(w, ndim=1, preferred_element_type=jnp.float64)
    ts = [jax.tree_util.tree_structure(op) for op in (a, b, c)]
    assert repr(b) == "corr(q(4, 3, 5), 'full', precision=default)", repr(b)
    assert ts[0] != ts[1] and ts[0] != ts[2] and ts[1] != ts[2]
    assert jax.tree_util.tree_structure(ca.corr(w, ndim=1, precision="DEFAULT")) == ts[1]
    traces = []

    @jax.jit
    def f(op, x):
        traces.append(1)
        return op(x)

    f(a, x)
    f(ca.corr(2 * w, ndim=1), x)  # same structure, new kernel: no retrace
    assert len(traces) == 1
    assert f(c, x).dtype == jnp.float64
    assert len(traces) == 2


def test_cpu_default_equals_highest(rng):
    """TUNING's "highest" costs nothing on XLA:CPU: DEFAULT computes the same float32 bits."""
    x, w = _data(jnp.float32, rng, b=4, cin=32, cout=16, n=64, k=7)
    ys = {p: ca.nn.conv(x, w, stride=2, padding=3, precision=p) for p in ("default", "highest")}
    if jax.default_backend() == "cpu":
        assert bool(jnp.array_equal(ys["default"], ys["highest"]))
    else:  # TF32 on NVIDIA GPUs since Ampere: 10 mantissa bits
        scale = float(jnp.max(jnp.abs(ys["highest"])))
        assert float(jnp.max(jnp.abs(ys["default"] - ys["highest"]))) < 1e-2 * scale


BAD = [
    ("conv", lambda **kw: ca.conv(jnp.ones(3), **kw)),
    ("corr", lambda **kw: ca.corr(jnp.ones(3), **kw)),
    ("conv", lambda **kw: ca.nn.conv(jnp.ones((1, 1, 8)), jnp.ones((1, 1, 3)), **kw)),
    ("conv_op", lambda **kw: ca.nn.conv_op(jnp.ones((1, 1, 3)), **kw)),
    (
        "conv_transpose",
        lambda **kw: ca.nn.conv_transpose(jnp.ones((1, 1, 8)), jnp.ones((1, 1, 3)), **kw),
    ),
    ("conv_transpose_op", lambda **kw: ca.nn.conv_transpose_op(jnp.ones((1, 1, 3)), **kw)),
]


@pytest.mark.parametrize("fn, build", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
@pytest.mark.parametrize(
    "arg, value, choices",
    [
        ("precision", "fast", "'highest'"),
        ("precision", 3, "DotAlgorithmPreset"),
        ("precision", ("highest",), "a pair"),
        ("preferred_element_type", "int32", "'float32'"),
        ("preferred_element_type", "float33", "'bfloat16'"),
    ],
)
def test_unknown_values_fail_at_construction(fn, build, arg, value, choices):
    with pytest.raises(ValueError, match=rf"^{fn}: {arg} must be ") as e:
        build(**{arg: value})
    msg = str(e.value)
    assert "\n" not in msg and choices in msg and repr(value) in msg


def test_narrow_preferred_type_fails_at_binding():
    """float16 cannot hold a float32 convolution (lax's rule), said when the input is known."""
    a = ca.conv(jnp.ones(3, jnp.float32), preferred_element_type=jnp.float16)
    label = r"conv\(q\(3,\), 'full', preferred_element_type=float16\)"
    with pytest.raises(ValueError, match=rf"^{label}: preferred_element_type=float16 cannot"):
        a(jnp.ones(8, jnp.float32))
    with pytest.raises(ValueError, match="cannot hold a complex64"):
        ca.corr(jnp.ones(3, jnp.complex64), preferred_element_type=jnp.float64).on(
            jax.ShapeDtypeStruct((8,), jnp.complex64)
        )
