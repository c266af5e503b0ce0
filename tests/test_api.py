"""The public API: every module lists its names in ``__all__``, every name imports, has a
docstring and is exercised by some test, and every docstring example runs."""

import doctest
import importlib
import inspect
import pathlib
import pkgutil
import re

import jax
import pytest

import convalgebra as ca

# the public modules (docs/conventions.md §1); each must define __all__
PUBLIC_MODULES = [
    "convalgebra",
    "convalgebra.nn",
    "convalgebra.nn.flax",
    "convalgebra.nn.equinox",
    "convalgebra.signal",
    "convalgebra.deconv",
    "convalgebra.plot",
    "convalgebra.testing",
    "convalgebra.bench",
]

TESTS = pathlib.Path(__file__).parent


def _test_text() -> str:
    """All test sources but this file: a public name must appear in one of them."""
    files = [p for p in TESTS.rglob("*.py") if p.name != "test_api.py"]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


_TEXT = _test_text()


def _public(module_name: str) -> list[tuple[str, str]]:
    module = importlib.import_module(module_name)
    return [(module_name, n) for n in getattr(module, "__all__", ())]


def _all_public() -> list[tuple[str, str]]:
    out = []
    for m in PUBLIC_MODULES:
        try:
            out += _public(m)
        except ImportError:  # flax / equinox / torch missing: their own tests say so
            pass
    return out


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_module_has_all(module_name):
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        pytest.skip(f"{module_name} needs an optional dependency that is not installed: {e.name}")
    names = getattr(module, "__all__", None)
    assert names, f"{module_name} has no __all__"
    assert len(set(names)) == len(names), f"{module_name}.__all__ repeats a name"
    exported = {
        n for n in dir(module) if not n.startswith("_") and not inspect.ismodule(getattr(module, n))
    }
    exported -= {"annotations"}  # `from __future__ import annotations`

    def own(n):  # defined in this module or one of its private submodules
        where = getattr(getattr(module, n), "__module__", None) or ""
        return where == module_name or where.startswith(module_name + "._")

    missing = sorted(
        n for n in exported if n not in names and callable(getattr(module, n)) and own(n)
    )
    assert not missing, f"{module_name}: public callables missing from __all__: {missing}"


@pytest.mark.parametrize(("module_name", "name"), _all_public())
def test_public_name(module_name, name):
    """Resolves, is documented, and is named by at least one test."""
    obj = getattr(importlib.import_module(module_name), name)
    assert obj is not None
    if callable(obj) or inspect.ismodule(obj):
        assert (obj.__doc__ or "").strip(), f"{module_name}.{name} has no docstring"
    assert re.search(rf"\b{re.escape(name)}\b", _TEXT), (
        f"{module_name}.{name} is public but no test names it"
    )


def test_top_level_imports_no_optional_dependency():
    """``import convalgebra`` imports neither a framework nor a peer (bench, plots, torch)."""
    import subprocess
    import sys

    code = (
        "import sys, convalgebra; "
        "bad = [m for m in ('torch', 'flax', 'equinox', 'matplotlib', 'pywt', 'scipy', "
        "'convalgebra.bench', 'lineax') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _module_names():
    yield "convalgebra"
    for info in pkgutil.walk_packages(ca.__path__, "convalgebra."):
        if not info.name.endswith("__main__"):
            yield info.name


# the modules whose examples build framework modules or filters (seconds each): slow grid
SLOW_DOCTESTS = {
    "convalgebra.nn.equinox",
    "convalgebra.nn.flax",
    "convalgebra.signal._iir",
    "convalgebra.signal._mra",
    "convalgebra.signal._swtn",
    "convalgebra.signal._packets",
}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_DOCTESTS else n for n in _module_names()],
)
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
