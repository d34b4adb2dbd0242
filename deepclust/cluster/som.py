"""Self-organising map (Kohonen) clustering with MiniSom, as a scikit-learn clusterer.

A SOM fits a grid of nodes (a codebook of weight vectors) to the rows so that
neighbouring nodes hold similar weights. Each row belongs to its best-matching
node. Clusters then come from the codebook:

- ``node_clusters: kmeans`` (default): the node weights are grouped into K clusters
  by KMeans, each node weighted by the rows it holds (so empty nodes do not pull the
  centres), and a row takes the cluster of its node. ACC measures these K clusters.
- ``node_clusters: agglomerative``: the same with Ward's agglomerative clustering
  of the weights of the nodes that hold rows, restricted to grid neighbours, so a
  cluster is a connected region of the map (empty nodes take their nearest cluster).
- ``node_clusters: per_node``: one cluster per node that holds rows. With more
  nodes than classes, ACC's one-to-one matching is meaningless; purity (the share
  of rows in their cluster's majority class) measures these.

The fit also records the map's quality: the quantization error (mean distance of a
row to its node's weights) and the topographic error (share of rows whose two
best-matching nodes are not neighbours on the grid).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from minisom import MiniSom, _build_iteration_indexes
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.neighbors import kneighbors_graph
from sklearn.utils.validation import check_is_fitted, validate_data

from deepclust.features import to_dense

log = logging.getLogger(__name__)

NODE_CLUSTERS = ("kmeans", "agglomerative", "per_node")


def auto_grid(n_rows: int, max_side: int = 40) -> tuple[int, int]:
    """Grid of about 5 sqrt(n) nodes (Vesanto's rule of thumb), as square as possible."""
    nodes = max(4, 5 * math.sqrt(n_rows))
    rows = min(max_side, max(2, round(math.sqrt(nodes))))
    cols = min(max_side, max(2, math.ceil(nodes / rows)))
    return rows, cols


class SOMClusterer(ClusterMixin, BaseEstimator):
    """Kohonen self-organising map (MiniSom) whose nodes are grouped into clusters.

    Parameters follow MiniSom's: ``grid`` (rows, columns; ``None`` = :func:`auto_grid`),
    ``sigma`` (start neighbourhood radius in nodes; ``None`` = a quarter of the longer
    side), ``learning_rate`` and its ``decay_function``, ``sigma_decay_function``,
    ``neighborhood_function``, ``topology``; ``iterations`` single-row updates (``None``
    = ``epochs`` passes over the rows, in a seeded random order), ``initialization``
    (``pca``: the codebook spans the first two principal components; ``random``: rows
    drawn at random). ``n_clusters`` and ``node_clusters`` say how nodes become clusters
    (module docstring). ``random_state`` seeds MiniSom and the node clustering.

    After ``fit``: ``labels_``, ``nodes_`` (best-matching node of each row, flat index),
    ``node_labels_`` (cluster of each node), ``weights_`` (grid x grid x features),
    ``hits_`` (rows per node), ``quantization_error_``, ``topographic_error_``,
    ``iterations_``, ``grid_``.
    """

    def __init__(self, n_clusters: int | None = 8, *, grid=None, sigma: float | None = None,
                 learning_rate: float = 0.5, decay_function: str = "asymptotic_decay",
                 sigma_decay_function: str = "asymptotic_decay",
                 neighborhood_function: str = "gaussian", topology: str = "rectangular",
                 iterations: int | None = None, epochs: int = 10,
                 initialization: str = "pca", node_clusters: str = "kmeans",
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.grid = grid
        self.sigma = sigma
        self.learning_rate = learning_rate
        self.decay_function = decay_function
        self.sigma_decay_function = sigma_decay_function
        self.neighborhood_function = neighborhood_function
        self.topology = topology
        self.iterations = iterations
        self.epochs = epochs
        self.initialization = initialization
        self.node_clusters = node_clusters
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------------

    def _make_som(self, n_rows: int, n_features: int):

        rows, cols = (int(v) for v in self.grid) if self.grid else auto_grid(n_rows)
        sigma = self.sigma if self.sigma is not None else max(1.0, max(rows, cols) / 4)
        self.grid_ = (rows, cols)
        self.sigma_ = float(sigma)
        return MiniSom(rows, cols, n_features, sigma=sigma, learning_rate=self.learning_rate,
                       decay_function=self.decay_function,
                       sigma_decay_function=self.sigma_decay_function,
                       neighborhood_function=self.neighborhood_function,
                       topology=self.topology, random_seed=int(self.random_state))

    def fit(self, X, y=None):
        if self.node_clusters not in NODE_CLUSTERS:
            raise ValueError(f"node_clusters must be one of {', '.join(NODE_CLUSTERS)}, "
                             f"got {self.node_clusters!r}")
        X = np.asarray(to_dense(validate_data(self, X, accept_sparse="csr", dtype=np.float64)))
        if X.shape[0] < 2:
            raise ValueError(f"a SOM needs at least 2 rows, got n_samples = {X.shape[0]}")
        if self.initialization == "pca" and X.shape[1] < 2:
            raise ValueError("initialization 'pca' needs at least 2 features, got n_features = "
                             f"{X.shape[1]}: use initialization 'random'")
        if self.node_clusters != "per_node" and (self.n_clusters is None
                                                 or self.n_clusters < 1):
            raise ValueError("a SOM grouping its nodes into clusters needs a number of "
                             f"clusters K, got {self.n_clusters!r}")
        som = self._make_som(*X.shape)
        if self.initialization == "pca":
            som.pca_weights_init(X)
        elif self.initialization == "random":
            som.random_weights_init(X)
        else:
            raise ValueError(f"initialization must be pca or random, got "
                             f"{self.initialization!r}")
        iterations = int(self.iterations or self.epochs * X.shape[0])
        rows, cols = self.grid_
        log.info("SOM %d x %d (%d nodes) on %d x %d, sigma %.2f, learning rate %g, "
                 "%d iterations", rows, cols, rows * cols, *X.shape, self.sigma_,
                 self.learning_rate, iterations)
        started = time.perf_counter()
        self._train(som, X, iterations)
        log.info("SOM trained in %.1f s", time.perf_counter() - started)
        self.som_ = som
        self.iterations_ = iterations
        self.weights_ = som.get_weights().copy()
        self.nodes_ = self._nodes(X)
        self.hits_ = np.bincount(self.nodes_, minlength=rows * cols).reshape(rows, cols)
        self.quantization_error_ = float(som.quantization_error(X))
        self.topographic_error_ = float(som.topographic_error(X))
        self.node_labels_ = self._cluster_nodes()
        self.labels_ = self.node_labels_[self.nodes_]
        log.info("SOM quantization error %.4f, topographic error %.4f; %d of %d nodes hold "
                 "rows; %d clusters", self.quantization_error_, self.topographic_error_,
                 int((self.hits_ > 0).sum()), rows * cols, len(np.unique(self.labels_)))
        return self

    @staticmethod
    def _train(som, X, iterations: int, reports: int = 10) -> None:
        """MiniSom's ``train(X, iterations, random_order=True)``, logging progress
        ``reports`` times: the same seeded order of rows and the same updates (a test checks
        the weights are identical), where MiniSom itself only prints a terminal bar."""

        order = _build_iteration_indexes(len(X), iterations, False, som._random_generator)
        step = max(1, iterations // reports)
        for t, row in enumerate(order):
            som.update(X[row], som.winner(X[row]), t, iterations)
            if (t + 1) % step == 0:
                rate = som._learning_rate_decay_function(som._learning_rate, t, iterations)
                sigma = som._sigma_decay_function(som._sigma, t, iterations)
                log.info("SOM iteration %d/%d: learning rate %.4f, sigma %.3f", t + 1,
                         iterations, rate, sigma)

    def _nodes(self, X) -> np.ndarray:
        """Flat index of each row's best-matching node (all rows at once)."""
        weights = self.weights_.reshape(-1, self.weights_.shape[-1])
        squared = ((X ** 2).sum(1)[:, None] - 2 * X @ weights.T
                   + (weights ** 2).sum(1)[None, :])
        return np.argmin(squared, axis=1).astype(np.int64)

    def _cluster_nodes(self) -> np.ndarray:
        """Cluster of each node (flat), by :attr:`node_clusters`."""
        weights = self.weights_.reshape(-1, self.weights_.shape[-1])
        hits = self.hits_.ravel()
        held = np.flatnonzero(hits)
        if self.node_clusters == "per_node":  # clusters 0.. over the nodes that hold rows
            labels = np.full(len(hits), -1, dtype=np.int64)
            labels[held] = np.arange(len(held))
            return self._nearest_held(weights, labels)
        k = int(self.n_clusters)
        if k > len(held):
            raise ValueError(f"K={k} is larger than the number of SOM nodes that hold rows "
                             f"({len(held)} of {len(hits)}): use a larger grid or a smaller K")
        if self.node_clusters == "kmeans":

            kmeans = KMeans(n_clusters=k, n_init=10, random_state=int(self.random_state))
            kmeans.fit(weights[held], sample_weight=hits[held])
            return kmeans.predict(weights).astype(np.int64)

        labels = np.full(len(hits), -1, dtype=np.int64)
        rows, cols = self.grid_
        coords = np.stack(np.unravel_index(held, (rows, cols)), axis=1).astype(float)
        # neighbours on the grid among the held nodes (a connected region per cluster)
        connectivity = kneighbors_graph(coords, n_neighbors=min(8, len(held) - 1),
                                        include_self=False)
        labels[held] = AgglomerativeClustering(n_clusters=k, linkage="ward",
                                               connectivity=connectivity).fit_predict(
            weights[held])
        return self._nearest_held(weights, labels)

    @staticmethod
    def _nearest_held(weights, labels) -> np.ndarray:
        """Nodes without a cluster (-1: they hold no row) take the cluster of the nearest
        node, by weights, that has one: a new row landing there still gets a cluster."""
        empty, held = np.flatnonzero(labels < 0), np.flatnonzero(labels >= 0)
        if len(empty):
            distance = ((weights[empty, None, :] - weights[None, held, :]) ** 2).sum(-1)
            labels = labels.copy()
            labels[empty] = labels[held[np.argmin(distance, axis=1)]]
        return labels

    # -- using the fit -----------------------------------------------------------------

    def predict(self, X) -> np.ndarray:
        """Cluster of new rows: the cluster of their best-matching node."""
        check_is_fitted(self)
        # scikit-learn's check names both widths: "X has 5 features, but ... expecting 64"
        X = np.asarray(to_dense(validate_data(self, X, accept_sparse="csr", dtype=np.float64,
                                              reset=False)))
        return self.node_labels_[self._nodes(X)]

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # rows of TF-IDF are made dense for MiniSom
        return tags

    def map_quality(self) -> dict:
        """What metrics.json records of the map."""
        rows, cols = self.grid_
        return {"som_grid": [rows, cols], "som_quantization_error": self.quantization_error_,
                "som_topographic_error": self.topographic_error_,
                "som_nodes_with_rows": int((self.hits_ > 0).sum()),
                "som_iterations": self.iterations_, "som_sigma": self.sigma_,
                "som_node_clusters": self.node_clusters}

    def distance_map(self) -> np.ndarray:
        """The U-matrix: each node's mean distance to its grid neighbours' weights,
        scaled to [0, 1] (MiniSom's ``distance_map``)."""
        return self.som_.distance_map()
