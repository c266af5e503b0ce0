"""The public API: every exported name imports, and every docstring example runs."""

import doctest
import importlib
import pkgutil

import jax
import pytest

import convalgebra as ca

PUBLIC = [
    "conv",
    "corr",
    "up",
    "down",
    "pad",
    "crop",
    "identity",
    "linear",
    "transpose",
    "adjoint",
    "matrix",
    "notation",
    "testing",
    "Operator",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name(name):
    assert hasattr(ca, name), name


def test_every_reexport_resolves():
    for name in dir(ca):
        if not name.startswith("_"):
            assert getattr(ca, name) is not None


def _modules():
    yield ca
    for info in pkgutil.walk_packages(ca.__path__, "convalgebra."):
        if info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


@pytest.mark.parametrize("module", list(_modules()), ids=lambda m: m.__name__)
def test_docstring_examples(module):
    # doctests run with JAX's default promotion, as a user would see them
    with jax.numpy_dtype_promotion("standard"):
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    assert result.failed == 0
