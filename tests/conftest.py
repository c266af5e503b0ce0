"""Test configuration: float64 available, strict dtype promotion (no silent mixing)."""

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
