"""KMeans, optionally on L2-normalised rows ("spherical" KMeans): clusters by direction, the
cosine geometry of TF-IDF documents and LSA vectors, where a long document and a short one on
the same subject should fall together."""

from __future__ import annotations

from sklearn import cluster
from sklearn.preprocessing import normalize as unit_rows


class KMeans(cluster.KMeans):
    """scikit-learn's KMeans; with ``normalize=True`` fitted on, and predicting from, rows
    scaled to unit length (sparse rows stay sparse). The centres are then means of unit
    vectors, not renormalised: the usual approximation of spherical k-means, with KMeans's
    own seeding and restarts. ``n_init`` defaults to 10 restarts, the workflow's default."""

    _parameter_constraints = {**cluster.KMeans._parameter_constraints, "normalize": ["boolean"]}

    def __init__(self, n_clusters=8, *, normalize=False, init="k-means++", n_init=10,
                 max_iter=300, tol=1e-4, verbose=0, random_state=None, copy_x=True,
                 algorithm="lloyd"):
        super().__init__(n_clusters=n_clusters, init=init, n_init=n_init, max_iter=max_iter,
                         tol=tol, verbose=verbose, random_state=random_state, copy_x=copy_x,
                         algorithm=algorithm)
        self.normalize = normalize

    def _rows(self, X):
        return unit_rows(X) if self.normalize else X

    def fit(self, X, y=None, sample_weight=None):
        return super().fit(self._rows(X), y, sample_weight=sample_weight)

    def fit_transform(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def predict(self, X):
        return super().predict(self._rows(X))

    def transform(self, X):
        return super().transform(self._rows(X))

    def score(self, X, y=None, sample_weight=None):
        return super().score(self._rows(X), y, sample_weight=sample_weight)
