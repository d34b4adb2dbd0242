"""Reading the documentation's code blocks: the configs and commands the tests run as written.

Conventions of the pages (docs/development.md says so too):
- a ```bash block holds only commands, one a line, a test runs each;
- a ```yaml block whose first line is ``# NAME.yaml`` is the file NAME.yaml the page's
  commands use; on "Your own data" and "Choosing a pipeline" every ```yaml block is a
  complete config (with ``run:``) that a test runs.
"""

from __future__ import annotations

import re
import shlex
import sys

from conftest import ROOT, SNAKEFILE

DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(?P<lang>\w+)[^\n]*\n(?P<body>.*?)^```", re.M | re.S)


def blocks(page: str, lang: str) -> list[str]:
    """The bodies of the page's fenced blocks of language ``lang``, in order."""
    return [m["body"] for m in FENCE.finditer((DOCS / page).read_text()) if m["lang"] == lang]


def block_after(page: str, text: str, lang: str = "bash") -> str:
    """The first ``lang`` block of the page after the words ``text``."""
    source = (DOCS / page).read_text()
    assert text in source, f"docs/{page} no longer says {text!r}"
    return next(m["body"] for m in FENCE.finditer(source, source.index(text))
                if m["lang"] == lang)


def named_files(page: str) -> dict[str, str]:
    """The page's yaml blocks that name their file on their first line: name -> text."""
    files = {}
    for body in blocks(page, "yaml"):
        first = body.splitlines()[0]
        if re.fullmatch(r"# \S+\.ya?ml", first):
            files[first[2:]] = body
    return files


def commands(page: str) -> list[list[str]]:
    """Every command of the page's bash blocks, split as a shell would (comments dropped)."""
    found = []
    for body in blocks(page, "bash"):
        found += [shlex.split(line, comments=True) for line in body.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")]
    return found


def runnable(args: list[str]) -> list[str]:
    """A documented command as this test process runs it: the same interpreter and, for
    Snakemake, the checkout's Snakefile (the only differences from the page)."""
    binary, *rest = args
    if binary == ".venv/bin/snakemake":
        return [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), *rest]
    if binary == ".venv/bin/python":
        return [sys.executable, *rest]
    raise ValueError(f"not a command the tests run: {shlex.join(args)}")


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None
