"""Figures of a self-organising map: the U-matrix with clusters and classes, and the hit map."""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.ticker import MaxNLocator

from deepclust.evaluate.matching import majority_class
from deepclust.figures.plots import plt, save_figure


def node_majorities(nodes, labels, n_nodes: int, class_names=None) -> list[str]:
    """Per node (flat index), the most frequent class of the rows it holds ('' if none)."""
    marks = [""] * n_nodes
    nodes = np.asarray(nodes)
    for node in np.unique(nodes):
        marks[int(node)] = majority_class(labels, np.flatnonzero(nodes == node), class_names)[0]
    return marks


def _cluster_edges(node_labels):
    """Grid segments between neighbouring nodes of different clusters: [(x0, x1), (y0, y1)]."""
    rows, cols = node_labels.shape
    segments = []
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and node_labels[r, c] != node_labels[r, c + 1]:
                segments.append(((c + 0.5, c + 0.5), (r - 0.5, r + 0.5)))
            if r + 1 < rows and node_labels[r, c] != node_labels[r + 1, c]:
                segments.append(((c - 0.5, c + 0.5), (r + 0.5, r + 0.5)))
    return segments


def _grid_axes(ax, rows: int, cols: int) -> None:

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("SOM column")
    ax.set_ylabel("SOM row")
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")


def plot_umatrix(model, path, title: str, labels=None, class_names=None) -> None:
    """U-matrix (each node's mean distance to its neighbours' weights, scaled to [0, 1]:
    light = a dense region, dark = a border between groups), cluster borders drawn in red,
    and on each node that holds rows its majority class (labelled data) or its cluster,
    coloured by cluster."""
    rows, cols = model.grid_
    umatrix = model.distance_map()
    node_labels = model.node_labels_.reshape(rows, cols)
    hits = model.hits_
    if labels is not None:
        marks = node_majorities(model.nodes_, labels, rows * cols, class_names)
        what = "majority class of each node's rows"
    else:
        marks = [str(v) for v in model.node_labels_]
        what = "cluster of each node"
    per_node = model.node_clusters == "per_node"
    borders = "" if per_node else "; red lines: cluster borders"
    side = max(rows, cols)
    fig, ax = plt.subplots(figsize=(min(15, 3 + 0.5 * cols), min(14, 1.5 + 0.5 * rows)))
    image = ax.imshow(umatrix, cmap="bone_r", vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04,
                 label="mean distance to neighbouring nodes (scaled)")
    if not per_node:
        for xs, ys in _cluster_edges(node_labels):
            ax.plot(xs, ys, color="#d62728", lw=2.2, solid_capstyle="round")
    palette = plt.get_cmap("tab10" if node_labels.max() < 10 else "tab20")
    fontsize = max(5, min(10, int(170 / side)))
    for r in range(rows):
        for c in range(cols):
            if hits[r, c] and marks[r * cols + c]:
                colour = "black" if per_node else palette(int(node_labels[r, c]) % palette.N)
                ax.text(c, r, marks[r * cols + c], ha="center", va="center",
                        fontsize=fontsize, fontweight="bold", color=colour,
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    _grid_axes(ax, rows, cols)
    clusters = "one cluster per node" if per_node else f"{node_labels.max() + 1} clusters"
    ax.set_title(f"{title}\nU-matrix, {rows} x {cols} nodes, {clusters}\ntext: {what}{borders}",
                 fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def plot_hit_map(model, path, title: str) -> None:
    """Rows per node (empty nodes white), with counts written on grids up to 30 x 30."""
    rows, cols = model.grid_
    hits = model.hits_
    fig, ax = plt.subplots(figsize=(min(13, 3 + 0.4 * cols), min(12, 1.5 + 0.4 * rows)))
    shown = np.ma.masked_equal(hits, 0)
    image = ax.imshow(shown, cmap="viridis", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="rows per node")
    if max(rows, cols) <= 30:
        fontsize = max(5, min(9, int(110 / max(rows, cols))))
        threshold = hits.max() * 0.6
        for r in range(rows):
            for c in range(cols):
                if hits[r, c]:
                    ax.text(c, r, str(hits[r, c]), ha="center", va="center", fontsize=fontsize,
                            color="black" if hits[r, c] > threshold else "white")
    _grid_axes(ax, rows, cols)
    empty = int((hits == 0).sum())
    ax.set_title(f"{title}\nhit map: rows per node ({hits.sum():,} rows, {empty} of "
                 f"{rows * cols} nodes empty)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
