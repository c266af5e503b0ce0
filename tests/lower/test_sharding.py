"""Operators on sharded arrays (issue 11): 8 host devices, explicit and auto mesh axes.

ONE subprocess (``sharding_check.py``, with ``--xla_force_host_platform_device_count=8`` set
before JAX is imported: this process stays single-device) runs every case under ``jax.jit`` and
prints a JSON list; the tests below assert on it. ``-m slow`` runs the batch grid on every form
(2-D stride 1, 1-D single-channel strided and polyphase) as well.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TRANSPOSES = ("linear_transpose", "vjp")


@functools.cache
def _run(slow: bool) -> list[dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("JAX_ENABLE_X64", None)
    args = [sys.executable, os.path.join(HERE, "sharding_check.py")] + (["--slow"] if slow else [])
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-4000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["devices"] == 8, result["devices"]
    return result["cases"]


# One 8-device subprocess (about a minute): in the slow run, which CI runs.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return _run(False)


def _where(c: dict) -> str:
    keys = ("mode", "shard", "form", "strategy", "route")
    return "/".join(str(c[k]) for k in keys) + f": {c.get('error') or c.get('spec')}"


def _check_batch(cases: list[dict]) -> None:
    # kernel gradients included: under explicit axes the library computes them with auto axes
    # (JAX's transpose rule of conv_general_dilated in the kernel sets no out_sharding)
    batch = [c for c in cases if c["shard"] == "batch"]
    assert len(batch) >= 40
    bad = [_where(c) for c in batch if not c["ok"] or c["spec"] != c["want"]]
    assert not bad, bad
    # lax and shift keep every array sharded over the batch: no all-gather at all
    gathered = [_where(c) for c in batch if c["strategy"] != "fft" and c["all_gathers"]]
    assert not gathered, gathered
    # XLA all-gathers the operand of an FFT even over batch axes: a pinned "fft" warns
    fft = [c for c in batch if c["strategy"] == "fft" and c["mode"] == "explicit"]
    assert fft and all(any("all-gathers" in w for w in c["warnings"]) for c in fft)


def test_batch_sharded(cases):
    """Every lowered form, forward, both transposes, kernel gradient: values and sharding."""
    _check_batch(cases)
    issue = {c["form"] for c in cases if c["strategy"] == "default" and c["ok"]}
    assert issue == {"nn.conv_transpose", "transpose(conv_op)", "grad_x(nn.conv)"}, issue


def test_several_outputs_keep_the_batch_sharding(cases):
    """A two-level filter-bank cascade (ca.branch/ca.parallel): forward, both derived
    transposes (tuple cotangents) and kernel gradients, explicit and auto axes."""
    casc = [c for c in cases if c["form"] == "cascade"]
    assert len(casc) == 8
    bad = [_where(c) for c in casc if not c["ok"] or c["spec"] != c["want"] or c["all_gathers"]]
    assert not bad, bad


def test_spatial_lax_keeps_sharding_by_halo_exchange(cases):
    """Strided, stride-1 and transposed (stacked polyphase) convs and both transposes."""
    lax_ = [c for c in cases if c["shard"] == "spatial" and c["strategy"] == "lax"]
    assert len(lax_) == 18
    bad = [_where(c) for c in lax_ if not c["ok"] or c["spec"] != c["want"]]
    assert not bad, bad
    # the compiled HLO: no all-gather; the halos move by collective-permutes
    assert not [_where(c) for c in lax_ if c["all_gathers"]]
    assert all(c["permutes"] >= 1 for c in lax_)


def test_spatial_fft(cases):
    """Explicit axes: a pinned "fft" on a sharded spatial axis is refused with a clear error.

    Auto axes: the sharding is invisible at trace time; XLA's partitioner all-gathers the axis
    (documented: pin "lax" there).
    """
    fft = [c for c in cases if c["shard"] == "spatial" and c["strategy"] == "fft"]
    assert len(fft) == 6
    for c in fft:
        if c["mode"] == "explicit":
            assert "ValueError" in c["error"] and "sharded" in c["error"], _where(c)
        else:
            assert c["ok"] and c["all_gathers"], _where(c)


def test_cost_model_avoids_fft_on_sharded_axes(cases):
    (ex,) = [c for c in cases if c["form"] == "long_kernel" and c["mode"] == "explicit"]
    assert ex["fft_unsharded"] and not ex["fft_sharded"]  # one device: fft; sharded: lax
    assert ex["ok"] and ex["spec"] == ex["want"] and not ex["all_gathers"], _where(ex)
    (auto,) = [c for c in cases if c["form"] == "long_kernel" and c["mode"] == "auto"]
    assert auto["ok"] and auto["fft_sharded"]  # auto axes: invisible to the cost model


def test_pad_like_jnp_pad(cases):
    """``ca.pad`` keeps a sharded axis whose padded length the mesh divides, as ``jnp.pad``."""
    by = {(c["mode"], c["form"]): c for c in cases if "pad" in c["form"]}
    for mode in ("explicit", "auto"):
        c = by[mode, "pad_divisible"]
        assert c["ok"] and c["spec"] == c["want"] and not c["all_gathers"], _where(c)
        ours, theirs = by[mode, "pad_uneven"], by[mode, "jnp.pad_uneven"]
        assert ours["ok"] == theirs["ok"] and ours.get("spec") == theirs.get("spec")


def test_spatial_halo_longer_than_a_piece(cases):
    """16 samples over 8 devices (pieces of 2), 1-D kernels of 7 to 28 taps.

    A halo longer than a piece is kept (several collective-permute hops, no all-gather). Where
    each piece needs the whole axis (XLA would all-gather it) explicit axes get a ValueError
    naming the operator, the piece and the halo; with auto axes the sharding is invisible when
    the program is traced and XLA all-gathers (documented).
    """
    by = {(c["mode"], c["form"]): c for c in cases if c["shard"] == "halo"}
    assert len(by) == 12
    for mode in ("explicit", "auto"):
        for form in ("k7_s1", "k7_s2", "k7_up2"):
            c = by[mode, form]
            assert c["ok"] and c["spec"] == c["want"] and not c["all_gathers"], _where(c)
            assert c["permutes"] >= 2, _where(c)
    assert by["explicit", "k7_s1"]["permutes"] >= 4  # halo 3 over pieces of 2: two hops a side
    for form in ("k15_s1", "k16_s2", "k28_up2"):
        err = by["explicit", form].get("error") or ""
        assert err.startswith("ValueError: lower: conv(") and "pieces of 2" in err, err
        assert "halo of" in err and "all-gathers" in err, err
    for form in ("k15_s1", "k16_s2"):
        c = by["auto", form]
        assert c["ok"] and c["all_gathers"], _where(c)


@pytest.mark.slow
def test_batch_sharded_every_form():
    """The batch grid on every form (2-D stride 1, 1-D single-channel strided and polyphase)."""
    _check_batch(_run(True))
