"""Vectorizing and scaling features before they reach a model.

Every scaler is a fitted scikit-learn transformer, saved with joblib so that
new data can later be transformed exactly like the training data.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from deepclust.atomic import atomic_path, load_model_file
from deepclust.errors import DatasetError

log = logging.getLogger(__name__)


def is_sparse(features) -> bool:
    """True for a scipy sparse matrix (text features stay sparse until a model needs rows)."""
    return sp.issparse(features)


def to_dense(features) -> np.ndarray:
    """``features`` as a dense array (sparse matrices are expanded)."""
    return features.toarray() if is_sparse(features) else np.asarray(features)


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


def vectorize(data, modality: str, settings: dict):
    """Fit the vectorizer of a modality on prepared rows; return ``(vectorizer, features)``.

    images / numeric matrices -> a scaler (dense float32); text -> CountVectorizer or
    TF-IDF (scipy CSR, kept sparse until a model needs dense batches); tables -> a
    ColumnTransformer (:func:`deepclust.vectorizers.make_table_vectorizer`).
    """
    from deepclust.vectorizers import fit_text, make_table_vectorizer, make_text_vectorizer

    if modality == "text":
        text = settings["text"]
        vectorizer = make_text_vectorizer(text)
        features = fit_text(vectorizer, data, "text vectorizer").astype(np.float32).tocsr()
        log.info("text vectorizer %s: %d rows x %d terms, %.2f%% non-zero", text["vectorizer"],
                 *features.shape, 100 * features.nnz / max(1, np.prod(features.shape)))
        return vectorizer, features
    if modality == "tabular":
        vectorizer = make_table_vectorizer(data, settings["column_types"], settings["text"])
        try:
            features = _float32(vectorizer.fit_transform(data))
        except ValueError as error:  # a text column's min_df/max_df
            raise DatasetError(f"table vectorizer: {error}; check the dataset's text "
                               "settings") from None
        log.info("table vectorizer: %d rows x %d features (%s)", *features.shape,
                 "sparse" if is_sparse(features) else "dense")
        return vectorizer, features
    return fit_scaler(np.asarray(data, dtype=np.float32), settings["scaling"])


def _float32(features):
    return features.astype(np.float32).tocsr() if is_sparse(features) \
        else np.asarray(features, dtype=np.float32)


def apply_vectorizer(vectorizer, data, modality: str):
    """Features of new rows from a vectorizer fitted by :func:`vectorize` (same dtype/format)."""
    if modality == "text":
        return vectorizer.transform(data).astype(np.float32).tocsr()
    if modality == "tabular":
        return _float32(vectorizer.transform(data))
    return np.asarray(vectorizer.transform(np.asarray(data, dtype=np.float32)), dtype=np.float32)


def save_matrix(path, features) -> None:
    """Save a dense array or a scipy sparse matrix to one ``.npz`` file (atomically)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:  # a file object: no ".npz" appended
        if is_sparse(features):
            sp.save_npz(fh, features.tocsr(), compressed=False)
        else:
            np.savez(fh, dense=np.asarray(features))


def save_array(path, array) -> None:
    """``np.save`` to a ``.npy`` file, atomically."""
    with atomic_path(path) as tmp:
        np.save(tmp, array)


def _load_matrix(path):
    if str(path).endswith(".npy"):
        return np.load(path)
    with np.load(path, allow_pickle=False) as npz:
        if "dense" in npz.files:
            return npz["dense"]
    return sp.load_npz(path).tocsr()


def matrix_shape(path) -> tuple[int, ...]:
    """The shape of a matrix written by :func:`save_matrix` (or a ``.npy`` array), read from
    the file's headers without loading the data."""
    if str(path).endswith(".npy"):
        return tuple(np.load(path, mmap_mode="r").shape)
    with np.load(path, allow_pickle=False) as npz:
        if "shape" in npz.files:  # scipy sparse
            return tuple(int(n) for n in npz["shape"])
        with npz.zip.open("dense.npy") as member:
            major, _ = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            shape, _, _ = read_header(member)
    return tuple(shape)


def load_matrix(path):
    """A matrix written by :func:`save_matrix` (dense ndarray or scipy CSR), or a ``.npy`` array."""
    return load_model_file(path, _load_matrix)


def save_fitted(model, path) -> None:
    """Save a fitted model (vectorizer, reducer, clusterer) to one file (joblib), atomically."""
    import joblib

    with atomic_path(path) as tmp:
        joblib.dump(model, tmp)


def load_fitted(path):
    """A model saved by :func:`save_fitted`."""
    import joblib

    return load_model_file(path, joblib.load)
