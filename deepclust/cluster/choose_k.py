"""The number of clusters K: which clusterers need one, and where it comes from (a number in
the config, the number of classes, or the elbow of KMeans inertia over a range of K).

Imported by the Snakefile on every start, so scikit-learn is imported where it is used.
"""

from __future__ import annotations

import json
import logging

import numpy as np

log = logging.getLogger(__name__)


#: clusterer kinds that need the number of clusters K (a SOM unless it keeps one cluster per
#: node: see needs_k)
NEEDS_K = {"kmeans", "gmm", "dec", "idec", "som"}



def needs_k(settings: dict) -> bool:
    """True when a clusterer config entry needs the number of clusters K."""
    return settings["kind"] in NEEDS_K and settings.get("node_clusters") != "per_node"



def check_k(k: int, n_rows: int) -> None:
    """K cannot exceed the number of rows (checked before anything is fitted)."""
    if k > n_rows:
        raise ValueError(f"K={k} is larger than the number of rows ({n_rows})")



def elbow_index(ks, inertias) -> int:
    """Index of the elbow of a decreasing curve (the "kneedle" rule).

    Both axes are scaled to [0, 1]; the elbow is the point farthest below the
    straight line from the first to the last point.
    """
    ks = np.asarray(ks, dtype=float)
    y = np.asarray(inertias, dtype=float)
    if len(ks) < 3:
        raise ValueError("the elbow method needs at least 3 values of K")
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = y[0] - y[-1]
    yn = (y - y[-1]) / span if span > 0 else np.zeros_like(y)
    # the chord goes from (0, 1) to (1, 0): distance below it is 1 - x - yn
    return int(np.argmax(1.0 - x - yn))



def choose_k(features: np.ndarray, k_min: int, k_max: int, seed: int, method: str = "elbow",
             n_init: int = 4, max_silhouette_rows: int = 5000) -> dict:
    """Choose K by the elbow of KMeans inertia, with silhouette as a second opinion."""
    # scikit-learn here, not at the top: the Snakefile imports this module on every start
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    k_max = min(k_max, features.shape[0] - 1)
    if k_max - k_min < 2:
        raise ValueError(f"K range [{k_min}, {k_max}] is too small for the elbow method "
                         f"({features.shape[0]} rows)")
    ks = list(range(k_min, k_max + 1))
    inertias, silhouettes = [], []
    sample = min(features.shape[0], max_silhouette_rows)
    for k in ks:
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(features)
        inertias.append(float(km.inertia_))
        silhouettes.append(float(silhouette_score(features, km.labels_, sample_size=sample,
                                                  random_state=seed)))
        log.info("K=%d inertia=%.4g silhouette=%.4f", k, inertias[-1], silhouettes[-1])
    k_elbow = ks[elbow_index(ks, inertias)]
    k_silhouette = ks[int(np.argmax(silhouettes))]
    chosen = k_elbow if method == "elbow" else k_silhouette
    log.info("K by elbow: %d, by silhouette: %d; chosen (%s): %d", k_elbow, k_silhouette,
             method, chosen)
    return {"k": chosen, "method": method, "k_elbow": k_elbow, "k_silhouette": k_silhouette,
            "ks": ks, "inertia": inertias, "silhouette": silhouettes}



def resolve_k(k_spec, settings: dict, rows, selection_path=None) -> int | None:
    """K for a clusterer: a number from config, the number of classes, or the elbow choice.

    Returns ``None`` for clusterers that find the number of clusters themselves.
    """
    if not needs_k(settings):
        return None
    if isinstance(k_spec, int):
        return k_spec
    if k_spec == "labels":
        if "label" not in rows:
            raise ValueError("k is 'labels' but the dataset has no label column")
        return int(rows["label"].nunique())
    if k_spec == "auto":
        if selection_path is None:
            raise ValueError("k is 'auto' but no K selection (k.json) was given")
        with open(selection_path) as fh:
            return int(json.load(fh)["k"])
    raise ValueError(f"k must be a positive integer, 'labels' or 'auto', got {k_spec!r}")
