"""MkDocs hooks: generated tables filled into the pages, and the lab notebook added as a page.

The tables come from ``docs/docgen.py`` (the config schema and ``bench/results.json``), so a
page never holds a copy of a measured number.
"""

import sys
from pathlib import Path

from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent))  # docgen.py sits beside this file

from docgen import fill  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "bench" / "NOTES.md"


def on_files(files, config):
    """bench/NOTES.md, the lab notebook, as the page lab-notebook.md."""
    files.append(File.generated(config, "lab-notebook.md", content=NOTEBOOK.read_text()))
    return files


def on_page_markdown(markdown, page, config, files):
    return fill(markdown)
