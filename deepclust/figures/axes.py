"""The method and axis names of a view, importable without matplotlib or scikit-learn: the
Snakefile names the axes when it plans the view jobs, and figure jobs name the method."""

from __future__ import annotations

#: above this many rows, ``auto`` views use UMAP (t-SNE's time grows too fast with the rows)
TSNE_MAX_ROWS = 5000


def view_method(method: str, n_rows: int) -> str:
    """The projection a view of ``n_rows`` rows uses: ``auto`` is t-SNE up to
    :data:`TSNE_MAX_ROWS` rows, UMAP above."""
    if method == "auto":
        return "tsne" if n_rows <= TSNE_MAX_ROWS else "umap"
    return method


def axis_names(method: str, source: str) -> list[str]:
    """Axis labels of a 3-D view: ``source 1..3`` for the representation itself (e.g.
    "embedding"), ``PCA 1..3`` / ``UMAP 1..3`` for a projection."""
    name = source if method == "none" else method.upper()
    return [f"{name} {i}" for i in (1, 2, 3)]
