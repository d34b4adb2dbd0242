"""Axis names of the 3-D views, importable without matplotlib or scikit-learn: the Snakefile
names the axes when it plans the view jobs."""

from __future__ import annotations


def axis_names(method: str, source: str) -> list[str]:
    """Axis labels of a 3-D view: ``source 1..3`` for the representation itself (e.g.
    "embedding"), ``PCA 1..3`` / ``UMAP 1..3`` for a projection."""
    name = source if method == "none" else method.upper()
    return [f"{name} {i}" for i in (1, 2, 3)]
