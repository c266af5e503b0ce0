"""Every ```python block of the README and the docs pages is self-contained and runs.

A block runs in a fresh namespace (nothing leaks from the block before it), with JAX's defaults
(x64 off, standard dtype promotion), as a user pasting it would run it. A block preceded by the line
``<!-- notest: REASON -->`` is not run (a GPU launch, a multi-process command); the reason is
required and shown here.
"""

from __future__ import annotations

import pathlib
import re

import jax
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
GENERATED = {"examples.md", "changelog.md"}  # written by docs/hooks.py from tested sources
# the pages a new user reads first run in the default tests; the others in the slow grid (CI)
DEFAULT_PAGES = {"README.md", "index.md", "algebra.md", "conventions.md"}
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
NOTEST = re.compile(r"<!--\s*notest:\s*(\S[^>]*)-->\s*$")


def _pages() -> list[pathlib.Path]:
    docs = sorted(p for p in (ROOT / "docs").rglob("*.md") if p.name not in GENERATED)
    return [ROOT / "README.md", *docs]


def _blocks():
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            skip = NOTEST.search(before)
            rel = page.relative_to(ROOT)
            marks = [pytest.mark.skip(reason=f"not run: {skip.group(1).strip()}")] if skip else []
            if page.name not in DEFAULT_PAGES:
                marks.append(pytest.mark.slow)
            yield pytest.param(m.group(1), id=f"{rel}:{line}", marks=marks)


BLOCKS = list(_blocks())


def test_the_docs_have_code():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("code", BLOCKS)
def test_code_block_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a block that writes a file writes it here
    # as pasted into a fresh interpreter: JAX's defaults (x64 off, standard promotion), whatever
    # the test session configured
    with jax.enable_x64(False), jax.numpy_dtype_promotion("standard"):
        exec(compile(code, "<docs block>", "exec"), {"__name__": "__docs__"})
