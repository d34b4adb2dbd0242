"""Scalers of dense features (images, numeric matrices): fitted scikit-learn transformers,
saved with joblib so that new data is later scaled exactly like the training data."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

log = logging.getLogger(__name__)


class GlobalMinMaxScaler(TransformerMixin, BaseEstimator):
    """Scale every feature by the same global minimum and range (pixels -> [0, 1]).

    Unlike a per-column MinMaxScaler this keeps the relative intensities of
    image pixels intact.
    """

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = X.shape[1]
        self.min_ = float(X.min())
        self.range_ = float(X.max() - self.min_) or 1.0
        return self

    def transform(self, X):
        return ((np.asarray(X, dtype=np.float64) - self.min_) / self.range_).astype(np.float32)


SCALERS = {
    "global_minmax": GlobalMinMaxScaler,
    "minmax": MinMaxScaler,
    "standard": StandardScaler,
    "none": lambda: FunctionTransformer(validate=True),
}


def make_scaler(kind: str):
    try:
        return SCALERS[kind]()
    except KeyError:
        raise ValueError(f"unknown scaling {kind!r} (known: {sorted(SCALERS)})") from None


def fit_scaler(features: np.ndarray, kind: str):
    """Fit the scaler named ``kind``; return (scaler, scaled float32 features)."""
    scaler = make_scaler(kind)
    scaled = np.asarray(scaler.fit_transform(features), dtype=np.float32)
    log.info("scaling %s: %d x %d, range after scaling [%.3g, %.3g]",
             kind, *scaled.shape, float(scaled.min()), float(scaled.max()))
    return scaler, scaled
