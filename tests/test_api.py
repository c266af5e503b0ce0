"""The public API: every exported name imports, and every docstring example runs."""

import doctest
import importlib
import pkgutil

import jax
import pytest

import convalgebra as ca

PUBLIC = [
    # primitives and their classes
    "conv", "corr", "up", "down", "pad", "crop", "identity", "linear", "dilate",
    "Filter", "Resample", "Pad", "Crop", "Identity", "Linear",
    # the algebra
    "Operator", "Compose", "Sum", "Scale", "Bound", "Transposed", "Pinned", "chain",
    "transpose", "adjoint", "matrix", "notation", "node",
    # the lowering
    "lower", "as_written", "explain", "measure", "optimize", "Plan", "STRATEGIES",
    # sub-packages
    "nn", "testing",
]  # fmt: skip


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name(name):
    assert hasattr(ca, name), name


def test_every_reexport_resolves():
    for name in dir(ca):
        if not name.startswith("_"):
            assert getattr(ca, name) is not None


def _module_names():
    yield "convalgebra"
    for info in pkgutil.walk_packages(ca.__path__, "convalgebra."):
        if not info.name.endswith("__main__"):
            yield info.name


@pytest.mark.parametrize("name", list(_module_names()))
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as e:  # an optional dependency (torch, matplotlib, ...) is missing
        pytest.skip(f"{name} needs an optional dependency that is not installed: {e.name}")
    # doctests run with JAX's default promotion, as a user would see them
    with jax.numpy_dtype_promotion("standard"):
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    assert result.failed == 0
