"""Deep Embedded Clustering (DEC, Xie et al. 2016) and Improved DEC (IDEC, Guo et al. 2017).

Both put a :class:`ClusteringLayer` on the pretrained encoder and train the
encoder *for* clustering: every ``update_interval`` batches the soft
assignments ``q`` of all rows give a sharper target ``p``
(:func:`target_distribution`); in between, the network minimises KL(p || q) on
mini-batches. IDEC also keeps the decoder and adds ``gamma`` times the
reconstruction loss, so that the embedding keeps describing the data.

:class:`DEC` and :class:`IDEC` are scikit-learn clusterers: a keyword-only ``__init__`` that
stores its parameters (the pretrained autoencoder is one, ``encoder``), ``fit(X)``, then
``labels_``, ``predict``, ``predict_proba`` and ``transform``.
"""

from __future__ import annotations

import logging
import time

import keras
import numpy as np
import pandas as pd
from keras import ops
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from deepclust.atomic import load_model_file
from deepclust.cluster.choose_k import check_k
from deepclust.encoders.augment import augmenter_for
from deepclust.encoders.optimizers import make_optimizer
from deepclust.encoders.training import dense_batch, embed, encoder_from, predict_rows
from deepclust.evaluate.matching import cluster_accuracy
from deepclust.registry import build

log = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="deepclust")
class ClusteringLayer(keras.layers.Layer):
    """Soft assignment of embeddings to ``n_clusters`` trainable centres.

    ``q[i, j]`` is proportional to ``(1 + |z_i - mu_j|^2 / alpha)^(-(alpha + 1) / 2)``
    (Student's t kernel with ``alpha`` degrees of freedom), normalised per row.
    """

    def __init__(self, n_clusters: int, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.n_clusters = int(n_clusters)
        self.alpha = float(alpha)

    def build(self, input_shape):
        self.clusters = self.add_weight(name="clusters", shape=(self.n_clusters, input_shape[-1]),
                                        initializer="glorot_uniform")

    def call(self, inputs):
        squared = ops.sum(ops.square(ops.expand_dims(inputs, 1) - self.clusters), axis=2)
        q = ops.power(1.0 + squared / self.alpha, -(self.alpha + 1.0) / 2.0)
        return q / ops.sum(q, axis=1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_clusters)

    def get_config(self):
        return {**super().get_config(), "n_clusters": self.n_clusters, "alpha": self.alpha}


def target_distribution(q: np.ndarray) -> np.ndarray:
    """DEC's auxiliary target: ``q**2`` divided by each cluster's frequency, rows renormalised.

    It sharpens confident assignments and keeps large clusters from swallowing small ones.
    """
    weight = q ** 2 / q.sum(axis=0)
    return (weight.T / weight.sum(axis=1)).T


def label_change(previous: np.ndarray, current: np.ndarray) -> float:
    """Fraction of rows whose cluster label changed (DEC's stop criterion compares it to
    ``tol``)."""
    return float(np.mean(previous != current))


class DEC(ClusterMixin, BaseEstimator):
    """DEC: a clustering layer on a pretrained autoencoder's encoder, trained with KL(p || q).

    Parameters follow the papers' reference code: centres from KMeans with ``n_init`` starts
    on the pretrained embedding (``init="kmeans"``), or the mean embedding of each cluster of
    a given labelling (``init``: one cluster per row of ``X``, exactly ``n_clusters`` of
    them); a new target every ``update_interval`` batches of ``batch_size`` rows, taken in
    order; stop when fewer than ``tol`` of the rows changed label between two targets, or
    after ``maxiter`` batches. ``encoder`` is the pretrained autoencoder (a Keras model whose
    bottleneck layer is named ``embedding``, as
    :class:`deepclust.encoders.estimators.DenseAutoencoder`
    and the workflow's encoders make); it is copied, never changed. ``augment_images`` (with
    the images' ``image_shape``) trains on shifted and rotated copies of image batches
    (DEC-DA). ``random_state`` seeds KMeans and the augmentation; call
    :func:`deepclust.seeding.seed_everything` first for a reproducible network.

    After :meth:`fit`: ``model_`` (inputs -> q, a Keras model with the trained encoder and
    :class:`ClusteringLayer`), ``labels_``, ``q_``, ``history_`` (one dict per target
    update), ``n_iter_`` and ``converged_``.
    """

    #: weight of the reconstruction loss: none for DEC (see :class:`IDEC`)
    gamma = 0.0

    def __init__(self, n_clusters: int = 8, *, encoder: keras.Model | None = None,
                 init="kmeans", alpha: float = 1.0, n_init: int = 20,
                 update_interval: int = 140, tol: float = 0.001, maxiter: int = 20000,
                 batch_size: int = 256, optimizer: str = "sgd", learning_rate: float = 0.01,
                 momentum: float = 0.9, augment_images: dict | None = None, image_shape=None,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.encoder = encoder
        self.init = init
        self.alpha = alpha
        self.n_init = n_init
        self.update_interval = update_interval
        self.tol = tol
        self.maxiter = maxiter
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.augment_images = augment_images
        self.image_shape = image_shape
        self.random_state = random_state

    @property
    def method(self) -> str:
        return "IDEC" if self.gamma > 0 else "DEC"

    def _optimizer(self):
        optimizer = make_optimizer(self.optimizer, self.learning_rate)
        if hasattr(optimizer, "momentum"):
            optimizer.momentum = self.momentum
        return optimizer

    def _build(self, autoencoder: keras.Model, centres: np.ndarray):
        encoder = encoder_from(autoencoder)
        layer = ClusteringLayer(self.n_clusters, self.alpha, name="clustering")
        q = layer(encoder.output)
        layer.set_weights([centres.astype(np.float32)])
        model = keras.Model(encoder.input, q, name=self.method.lower())
        if self.gamma > 0:  # IDEC: train q and the reconstruction together
            train = keras.Model(autoencoder.input, {"clustering": q,
                                                    "reconstruction": autoencoder.output},
                                name="idec_training")
            train.compile(optimizer=self._optimizer(),
                          loss={"clustering": "kl_divergence", "reconstruction": "mse"},
                          loss_weights={"clustering": 1.0, "reconstruction": self.gamma})
        else:
            train = model
            train.compile(optimizer=self._optimizer(), loss="kl_divergence")
        return model, train

    def _initial_centres(self, embedding: np.ndarray, start=None):
        """``(centres, labels)``: KMeans with ``n_init`` starts on the embedding, or, given
        ``start`` (a cluster per row, e.g. another pipeline's), each cluster's mean."""
        if start is not None:
            clusters, labels = np.unique(np.asarray(start), return_inverse=True)
            if len(clusters) != self.n_clusters:
                raise ValueError(f"{self.method} starts from {len(clusters)} clusters "
                                 f"(init_from), but K is {self.n_clusters}")
            centres = np.stack([embedding[labels == j].mean(axis=0)
                                for j in range(self.n_clusters)])
            return centres, labels

        kmeans = KMeans(self.n_clusters, n_init=self.n_init, random_state=self.random_state)
        labels = kmeans.fit_predict(embedding)
        return kmeans.cluster_centers_, labels

    def fit(self, X, y=None, *, embedding=None) -> "DEC":
        """Train on ``X`` (rows as the autoencoder was trained on). ``y``, when given, is only
        used to log ACC and NMI at each target update; ``embedding``, when given, is the
        pretrained encoder's output for ``X`` (else it is computed)."""

        if self.encoder is None:
            raise ValueError(f"{self.method} fine-tunes a pretrained autoencoder: pass it as "
                             "encoder= (e.g. the model_ of a fitted "
                             "deepclust.encoders.estimators.DenseAutoencoder)")
        if isinstance(self.init, str) and self.init != "kmeans":
            raise ValueError(f"init={self.init!r}: 'kmeans' or a cluster label per row")
        start = None if isinstance(self.init, str) else self.init
        autoencoder, features, image_shape = self.encoder, X, self.image_shape
        n = features.shape[0]
        check_k(self.n_clusters, n)
        began = time.perf_counter()
        if embedding is None:
            embedding = embed(autoencoder, features)
        centres, previous = self._initial_centres(embedding, start)
        autoencoder = copy_model(autoencoder)  # training must not change the caller's model
        if start is None:
            log.info("%s: KMeans (%d starts) on the pretrained %d-d embedding of %d rows in "
                     "%.1f s", self.method, self.n_init, embedding.shape[1], n,
                     time.perf_counter() - began)
        else:
            log.info("%s: centres from the given clusters' mean embeddings (%d-d, %d rows)",
                     self.method, embedding.shape[1], n)
        self.model_, train = self._build(autoencoder, centres)
        # DEC-DA: the batches' images shifted and rotated (None: the rows as they are)
        augmenter = augmenter_for(self.augment_images, image_shape, self.random_state,
                                  compiled=True, purpose=self.method)
        self.history_, self.converged_ = [], False
        losses, position, iteration = [], 0, 0
        while True:
            if iteration % self.update_interval == 0:
                q = self.predict_proba(features)
                target = target_distribution(q)
                labels = q.argmax(axis=1)
                record = {"iteration": iteration,
                          "loss": mean_of(losses, "loss"),
                          "label_change": label_change(previous, labels),
                          "seconds": round(time.perf_counter() - began, 2)}
                if self.gamma > 0:
                    record["kl_loss"] = mean_of(losses, "clustering_loss")
                    record["reconstruction_loss"] = mean_of(losses, "reconstruction_loss")
                if y is not None:
                    record["acc"] = cluster_accuracy(y, labels)
                    record["nmi"] = float(normalized_mutual_info_score(y, labels))
                self.history_.append(record)
                log.info("%s iteration %d: %s", self.method, iteration, ", ".join(
                    f"{k} {v:.4g}" for k, v in record.items()
                    if k != "iteration" and v is not None))
                previous, losses = labels, []
                if iteration > 0 and record["label_change"] < self.tol:
                    self.converged_ = True
                    log.info("%s stopped: label change %.4g < tol %g", self.method,
                             record["label_change"], self.tol)
                    break
            if iteration >= self.maxiter:
                log.info("%s stopped at maxiter %d", self.method, self.maxiter)
                break
            rows = np.arange(position, min(position + self.batch_size, n))
            batch = dense_batch(features, rows)
            if augmenter is not None:  # p of the image as it is, q of a transformed copy
                batch = np.asarray(augmenter(batch))
            targets = {"clustering": target[rows], "reconstruction": batch} \
                if self.gamma > 0 else target[rows]
            losses.append(train.train_on_batch(batch, targets, return_dict=True))
            position = position + self.batch_size if position + self.batch_size < n else 0
            iteration += 1
        self.n_iter_ = iteration
        # converged: no batch since the last update; maxiter: batches may have followed it
        self.q_ = q if self.converged_ else self.predict_proba(features)
        self.labels_ = self.q_.argmax(axis=1)
        return self

    def predict_proba(self, features) -> np.ndarray:
        """Soft assignments q (rows sum to 1)."""
        return soft_assignments(self.model_, features)

    def predict(self, features) -> np.ndarray:
        return self.predict_proba(features).argmax(axis=1)

    def transform(self, features) -> np.ndarray:
        """The trained encoder's embedding of ``features``."""
        return embed(self.model_, features)


class IDEC(DEC):
    """IDEC: :class:`DEC` that keeps the decoder and adds ``gamma`` times the reconstruction
    loss, so that the embedding keeps describing the data (Guo et al. 2017)."""

    def __init__(self, n_clusters: int = 8, *, gamma: float = 0.1,
                 encoder: keras.Model | None = None, init="kmeans", alpha: float = 1.0,
                 n_init: int = 20, update_interval: int = 140, tol: float = 0.001,
                 maxiter: int = 20000, batch_size: int = 256, optimizer: str = "sgd",
                 learning_rate: float = 0.01, momentum: float = 0.9,
                 augment_images: dict | None = None, image_shape=None, random_state: int = 0):
        super().__init__(n_clusters, encoder=encoder, init=init, alpha=alpha, n_init=n_init,
                         update_interval=update_interval, tol=tol, maxiter=maxiter,
                         batch_size=batch_size, optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum,
                         augment_images=augment_images, image_shape=image_shape,
                         random_state=random_state)
        self.gamma = gamma


#: the clusterers of the ``cluster_dec`` rule, which train the pipeline's encoder further
DEEP_CLUSTERERS = {"dec": DEC, "idec": IDEC}


def make_deep_clusterer(settings: dict, k: int, seed: int, **params) -> DEC:
    """The :class:`DEC` or :class:`IDEC` of a ``kind: dec`` or ``kind: idec`` clusterer config
    entry, with K, the seed and ``params`` (the encoder, the start, the image shape)."""
    return build(DEEP_CLUSTERERS, "clusterer", settings, n_clusters=k, random_state=seed,
                 **params)


def copy_model(model: keras.Model) -> keras.Model:
    """An independent copy of a Keras model: same architecture and weights."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def mean_of(logs: list[dict], key: str) -> float | None:
    """Mean of one loss over the batches since the last target update (None before any)."""
    return float(np.mean([float(entry[key]) for entry in logs])) if logs else None


def soft_assignments(model: keras.Model, features, batch_size: int = 1024) -> np.ndarray:
    """q of a (reloaded) DEC model for every row, float64 so that rows sum to 1 exactly."""
    q = predict_rows(model, features, batch_size).astype(np.float64)
    return q / q.sum(axis=1, keepdims=True)


def load_dec(path) -> keras.Model:
    return load_model_file(path, keras.models.load_model)


def read_start_clusters(path, rows, pipeline_name: str) -> np.ndarray:
    """The cluster of every row in another pipeline's clusters.csv (the start of a DEC/IDEC
    run: clusterer ``init_from``), checked against this dataset's rows (ids in order) and
    with every row clustered (no DBSCAN noise)."""

    start = pd.read_csv(path)
    if list(start["id"]) != list(rows["id"]):
        raise ValueError(f"{path}: the clusters of pipeline {pipeline_name!r} (init_from) are "
                         f"not of this dataset's {len(rows)} rows in order")
    labels = start["cluster"].to_numpy()
    if (labels < 0).any():
        raise ValueError(f"{path}: pipeline {pipeline_name!r} (init_from) left "
                         f"{int((labels < 0).sum())} rows as noise; DEC needs a cluster for "
                         "every row to start from (use a clusterer without noise, e.g. GMM)")
    return labels
