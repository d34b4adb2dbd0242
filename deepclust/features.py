"""Feature matrices on disk: dense arrays and scipy sparse matrices saved atomically, their
shapes read from the headers, fitted models saved with joblib.

Importing this module does not import scikit-learn (the Snakefile and the figure jobs use
it); fitting vectorizers and scalers is in :mod:`deepclust.data.vectorizers` and
:mod:`deepclust.data.scaling`.
"""

from __future__ import annotations

import logging

import joblib
import numpy as np
import scipy.sparse as sp

from deepclust.atomic import atomic_path, load_model_file

log = logging.getLogger(__name__)


def is_sparse(features) -> bool:
    """True for a scipy sparse matrix (text features stay sparse until a model needs rows)."""
    return sp.issparse(features)


def to_dense(features) -> np.ndarray:
    """``features`` as a dense array (sparse matrices are expanded)."""
    return features.toarray() if is_sparse(features) else np.asarray(features)


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

    with atomic_path(path) as tmp:
        joblib.dump(model, tmp)


def load_fitted(path):
    """A model saved by :func:`save_fitted`."""

    return load_model_file(path, joblib.load)
