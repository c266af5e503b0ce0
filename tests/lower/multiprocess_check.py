"""Multi-process SPMD on localhost: run by ``test_multiprocess.py``, never imported.

``python multiprocess_check.py OUT.npz single`` computes every case in ONE plain process (one
CPU device, nothing sharded) and saves the results. ``python multiprocess_check.py OUT.npz
PROCESS_ID PORT`` is one of TWO processes of a ``jax.distributed`` job: each process has 4 host
devices (``--xla_force_host_platform_device_count=4``, set here before JAX is imported), the CPU
collectives are gloo's, and one global mesh of 8 devices shards the batch axis. Every case runs
under ``jax.jit`` on globally sharded inputs; process 0 gathers the results
(``process_allgather``) and saves them. The test compares the two files.

The cases: a strided layer (``ca.nn.conv``, stride 2), its derived transpose
(``ca.transpose`` of ``ca.nn.conv_op``), a filter-bank cascade (``ca.signal.wavedec_op``, two
levels of db2) and its derived transpose, and the kernel gradient of the strided layer (a sum
over the sharded batch: an all-reduce across the two processes).
"""

from __future__ import annotations

import os
import sys

MODE = sys.argv[2] if len(sys.argv) > 2 else "single"
if MODE != "single":
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    ).strip()
os.environ["JAX_PLATFORMS"] = "cpu"
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import convalgebra as ca  # noqa: E402
import convalgebra.signal as cs  # noqa: E402

B = 16  # batch: two samples per device of the global mesh


def data() -> dict[str, np.ndarray]:
    """The same inputs in every process (a fixed seed)."""
    rng = np.random.default_rng(19)
    f32 = np.float32
    return {
        "x": rng.standard_normal((B, 4, 16, 16)).astype(f32),
        "w": (rng.standard_normal((6, 4, 3, 3)) / 6).astype(f32),
        "g": rng.standard_normal((B, 6, 8, 8)).astype(f32),
        "s": rng.standard_normal((B, 64)).astype(f32),
    }


def cases(d: dict[str, np.ndarray]):
    """``name -> (f, args, sharded)``: ``f(*args)`` under jit; ``sharded[i]``: arg ``i`` is
    batch-sharded (else replicated)."""
    conv = ca.nn.conv_op(jnp.asarray(d["w"]), stride=2, padding=1)
    conv_t = ca.transpose(conv, jax.ShapeDtypeStruct(d["x"].shape, jnp.float32))
    bank = cs.wavedec_op("db2", "periodization", level=2, in_size=64)
    bank_t = ca.transpose(bank, jax.ShapeDtypeStruct(d["s"].shape, jnp.float32))

    def layer(x, w):
        return ca.nn.conv(x, w, stride=2, padding=1)

    def kernel_grad(x, w, g):
        return jax.grad(lambda w: jnp.sum(layer(x, w) * g))(w)

    return {
        "conv": (layer, (d["x"], d["w"]), (True, False)),
        "conv_transpose": (conv_t, (d["g"],), (True,)),
        "cascade": (bank, (d["s"],), (True,)),
        "cascade_transpose": (bank_t, (bank(jnp.asarray(d["s"])),), (True,)),
        "kernel_grad": (kernel_grad, (d["x"], d["w"], d["g"]), (True, False, True)),
    }


def flat(name: str, out) -> dict[str, np.ndarray]:
    return {f"{name}/{i}": np.asarray(a) for i, a in enumerate(jax.tree.leaves(out))}


def single(path: str) -> None:
    results: dict[str, np.ndarray] = {}
    for name, (f, args, _) in cases(data()).items():
        results.update(flat(name, jax.jit(f)(*args)))
    np.savez(path, **results)


def distributed(path: str, pid: int, port: int) -> None:
    from jax.experimental import multihost_utils
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=2,
        process_id=pid,
        initialization_timeout=60,
    )
    assert jax.process_count() == 2 and jax.local_device_count() == 4, jax.devices()
    assert jax.device_count() == 8, jax.devices()
    mesh = jax.make_mesh((8,), ("b",), axis_types=(jax.sharding.AxisType.Explicit,))

    def put(a, sharded: bool):
        """A global array from the full host copy: each process fills its own shards."""
        a = np.asarray(a)
        spec = P("b") if sharded else P()
        return jax.make_array_from_callback(a.shape, NamedSharding(mesh, spec), lambda i: a[i])

    results: dict[str, np.ndarray] = {}
    with jax.set_mesh(mesh):
        for name, (f, args, sharded) in cases(data()).items():
            gargs = [jax.tree.map(lambda a, s=s: put(a, s), arg) for arg, s in zip(args, sharded)]
            out = jax.jit(f)(*gargs)
            full = multihost_utils.process_allgather(out, tiled=True)
            results.update(flat(name, full))
            specs = [str(tuple(a.sharding.spec)) for a in jax.tree.leaves(out)]
            results[f"spec:{name}"] = np.array(specs)
    if pid == 0:
        np.savez(path, **results)
    jax.distributed.shutdown()


if __name__ == "__main__":
    if MODE == "single":
        single(sys.argv[1])
    else:
        distributed(sys.argv[1], int(MODE), int(sys.argv[3]))
