"""Cluster colours, matched to the classes when there are labels, and where a cluster's
number goes in a 2-D view."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.sparse import coo_matrix  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from deepclust.evaluate.matching import match_clusters_to_classes  # noqa: E402

NOISE_COLOUR = "#c8c8c8"


OTHER_COLOUR = "#b0b0b0"


def palette(n: int) -> list:
    """``n`` distinct colours: tab10 up to 10, tab20 up to 20, then tab20 + tab20b + tab20c
    and a sampled rainbow beyond."""
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    colours = [plt.get_cmap(name)(i) for name in ("tab20", "tab20b", "tab20c")
               for i in range(20)]
    if n > len(colours):
        extra = plt.get_cmap("gist_rainbow")(np.linspace(0, 1, n - len(colours)))
        colours += [tuple(c) for c in extra]
    return colours[:n]


def matched_colours(clusters, classes=None) -> tuple[dict, dict]:
    """Colours of clusters and classes such that a cluster matched to class c (Hungarian
    matching, :func:`deepclust.evaluate.matching.match_clusters_to_classes`) has class c's colour.

    Returns ``(cluster -> colour, class -> colour)``; noise (-1) is left out of both.
    Unmatched clusters get colours no class uses. Without classes, clusters take the
    palette in order.
    """
    clusters = np.asarray(clusters)
    cluster_ids = [c.item() for c in np.unique(clusters) if c != -1]
    if classes is None:
        return dict(zip(cluster_ids, palette(len(cluster_ids)))), {}
    classes = np.asarray(classes)
    class_ids = [c.item() for c in np.unique(classes) if c != -1]
    mapping = match_clusters_to_classes(classes, clusters)
    unmatched = [c for c in cluster_ids if c not in mapping]
    colours = palette(len(class_ids) + len(unmatched))
    class_colour = dict(zip(class_ids, colours))
    cluster_colour = {c: class_colour[mapping[c]] for c in cluster_ids if c in mapping}
    cluster_colour.update(zip(unmatched, colours[len(class_ids):]))
    return cluster_colour, class_colour


def island_anchor(points, max_points: int = 3000, seed: int = 0,
                  gap: float = 0.0) -> np.ndarray:
    """A point of the largest island of ``points`` (n x 2): the member nearest the median of
    the biggest group connected at a scale of twice the median 5th-neighbour distance, or
    ``gap`` if larger (e.g. a few percent of the whole figure: gaps narrower than that do
    not separate islands to the eye).

    A cluster whose 2-D view splits into many islands gets its number on the biggest one,
    never in the empty space between them (where the median of all its points may fall).
    The islands are the connected parts of the graph joining points at most that scale
    apart (DBSCAN with one sample per core), found with SciPy: scikit-learn's import would
    be most of a figure job's time.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) <= 2:
        return points[0] if len(points) else np.zeros(points.shape[1])
    if len(points) > max_points:
        points = points[np.random.default_rng(seed).choice(len(points), max_points,
                                                           replace=False)]
    k = min(5, len(points) - 1)
    tree = cKDTree(points)
    distances, _ = tree.query(points, k=k + 1)
    eps = max(2 * float(np.median(distances[:, k])), gap)
    if eps <= 0:
        eps = 1e-9
    pairs = tree.query_pairs(eps, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                       shape=(len(points), len(points)))
    _, groups = connected_components(graph, directed=False)
    biggest = np.bincount(groups).argmax()
    island = points[groups == biggest]
    centre = np.median(island, axis=0)
    return island[np.argmin(((island - centre) ** 2).sum(axis=1))]
