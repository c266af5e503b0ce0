"""Test configuration: float64 available, strict dtype promotion (no silent mixing)."""

import contextlib

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def tol(dtype) -> float:
    """A relative tolerance suited to ``dtype``."""
    return 1e-4 if np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.complex64)) else 1e-10


def rand(rng: np.random.Generator, shape, dtype=np.float64) -> np.ndarray:
    """Random normal array (complex dtypes get a random imaginary part too)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(np.dtype(dtype), np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# XLA:CPU's fusion emitters dominate the compile time of tiny test programs (about 4x); the
# values do not depend on them. Per-jit compiler options: nothing global changes.
_FAST_COMPILE = {"xla_cpu_use_fusion_emitters": False}


def fast_jit(fn):
    """``jax.jit(fn)`` compiled with ``_FAST_COMPILE`` where the backend knows the option."""
    fast, plain = jax.jit(fn, compiler_options=_FAST_COMPILE), jax.jit(fn)

    def call(*args):
        try:
            return fast(*args)
        except Exception as e:  # another backend or XLA version: no such option
            if "compile option" not in str(e):
                raise
        return plain(*args)

    return call


@pytest.fixture(scope="module")
def quick_compiles():
    """XLA's optimisation passes triple the compile time of tiny programs; the values do not
    depend on them. Restored afterwards, as is PyTorch's thread count (1: tiny tensors)."""
    old = jax.config.values["jax_disable_most_optimizations"]
    jax.config.update("jax_disable_most_optimizations", True)
    with contextlib.ExitStack() as stack:
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            stack.callback(torch.set_num_threads, threads)
        yield
    jax.config.update("jax_disable_most_optimizations", old)
