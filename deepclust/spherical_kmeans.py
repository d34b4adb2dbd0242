"""KMeans on L2-normalised rows ("spherical" KMeans): clusters by direction, the cosine
geometry of TF-IDF documents and LSA vectors, where a long document and a short one on the
same subject should fall together."""

from __future__ import annotations

from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize


class SphericalKMeans(KMeans):
    """scikit-learn's KMeans fitted on, and predicting from, rows scaled to unit length
    (sparse rows stay sparse). The centres are means of unit vectors, not renormalised:
    the usual approximation of spherical k-means, with KMeans's own seeding and restarts."""

    def fit(self, X, y=None, sample_weight=None):
        return super().fit(normalize(X), y, sample_weight=sample_weight)

    def predict(self, X):
        return super().predict(normalize(X))

    def transform(self, X):
        return super().transform(normalize(X))

    def score(self, X, y=None, sample_weight=None):
        return super().score(normalize(X), y, sample_weight=sample_weight)
