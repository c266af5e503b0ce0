"""MkDocs hooks: make the generated pages before the build reads the docs folder.

* ``figures/``: the pictures of ``ca.plot`` (the algebra page shows them);
* ``examples.md`` and ``generated/``: every script of ``examples/`` is run in a scratch folder;
  its docstring, source, printed output and the images it wrote become one section;
* ``changelog.md``: a copy of ``CHANGELOG.md``.

Everything written here is listed in ``.gitignore``: the docs always show what the code does now.
"""

from __future__ import annotations

import ast
import logging
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TIMEOUT_S = 600


def _figures() -> None:
    import convalgebra as ca

    out = DOCS / "figures"
    out.mkdir(exist_ok=True)
    ca.plot.save(out, ["matrix", "sliding-strip", "sliding-discrete", "overlap"], quick=True)


def _run_example(script: pathlib.Path, generated: pathlib.Path) -> str:
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    title, _, rest = doc.partition("\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        if r.returncode != 0:
            raise RuntimeError(f"docs: examples/{script.name} failed:\n{r.stderr[-2000:]}")
        images = []
        for img in sorted(pathlib.Path(tmp).rglob("*")):
            if img.suffix.lower() in (".png", ".gif", ".svg"):
                name = f"{script.stem}-{img.name}"
                shutil.copy(img, generated / name)
                images.append(name)
    source = script.read_text(encoding="utf-8")
    parts = [
        f"## `{script.name}`: {title.strip()}",
        "",
        rest.strip(),
        "",
        *[f"![{name}](generated/{name})" for name in images],
        "",
        "Output:",
        "",
        "```text",
        r.stdout.strip()[-4000:],
        "```",
        "",
        f'??? note "Source of `examples/{script.name}`"',
        "",
        "    ```python",
        *("    " + line if line else "" for line in source.splitlines()),
        "    ```",
        "",
    ]
    return "\n".join(parts)


def _examples() -> None:
    generated = DOCS / "generated"
    generated.mkdir(exist_ok=True)
    sections = [
        "# Examples",
        "",
        "Every script in `examples/` is run by the tests and again when these pages are built: "
        "the output and pictures below are from that run.",
        "",
    ]
    for script in sorted((ROOT / "examples").glob("*.py")):
        sections.append(_run_example(script, generated))
    (DOCS / "examples.md").write_text("\n".join(sections), encoding="utf-8")


def _changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    # links written for the repository root point into docs/; the copy lives in docs/ itself
    (DOCS / "changelog.md").write_text(text.replace("](docs/", "]("), encoding="utf-8")


class _GroupedArgs(logging.Filter):
    """Our docstrings document several arguments on one line ("stride, padding: as for ...");
    griffe's Google parser warns that it cannot split that line. The text renders as written."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to get 'name: description' pair" not in record.getMessage()


def on_startup(**kwargs) -> None:
    for name in ("mkdocs.plugins.griffe", "griffe", "mkdocs.plugins.mkdocstrings"):
        logging.getLogger(name).addFilter(_GroupedArgs())


def on_pre_build(config, **kwargs) -> None:
    _changelog()
    _figures()
    if os.environ.get("CONVALGEBRA_DOCS_SKIP_EXAMPLES"):  # a quick local preview
        (DOCS / "examples.md").write_text("# Examples\n\n(skipped in this build)\n")
    else:
        _examples()
