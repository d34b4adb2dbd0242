"""Vectorizers of documents and tables: scikit-learn's, configured from the dataset's settings.

- Text (a text dataset's documents, or each text column of a table):
  ``CountVectorizer`` (bag of words, the IMDB recipe) or ``TfidfVectorizer`` (sublinear tf,
  L1/L2 norm), with ``max_features``, ``min_df``, ``max_df`` (:func:`make_text_vectorizer`).
- Tables: a ``ColumnTransformer`` (:func:`make_table_vectorizer`): numeric columns through
  ``StandardScaler``, missing-value indicators passed through, categorical columns one-hot
  (``OneHotEncoder``, unseen categories -> all zeros) and one text vectorizer per text column.

Both are fitted scikit-learn estimators, saved with joblib and applied unchanged to new rows.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from deepclust.data.scaling import fit_scaler
from deepclust.data.table_cleaning import MISSING_SUFFIX
from deepclust.data.text import clean_document
from deepclust.errors import DatasetError
from deepclust.features import is_sparse

log = logging.getLogger(__name__)

#: the settings of a dataset's ``text`` section that clean documents
TEXT_CLEANING_KEYS = ("strip_html", "lowercase", "stop_words")


def make_text_vectorizer(settings: dict, preprocessor=None):
    """``CountVectorizer`` (``vectorizer: count``) or ``TfidfVectorizer`` (``tfidf``).

    ``settings`` holds :data:`deepclust.data.text.TEXT_VECTORIZER_KEYS` (missing keys:
    scikit-learn's defaults);
    ``preprocessor`` cleans one document (tables' text columns; text datasets are cleaned
    when they are prepared).
    """

    kind = settings.get("vectorizer", "count")
    common = dict(max_features=settings.get("max_features"), min_df=settings.get("min_df", 1),
                  max_df=settings.get("max_df", 1.0), dtype=np.float32,
                  preprocessor=preprocessor)
    if kind == "count":
        return CountVectorizer(**common)
    if kind == "tfidf":
        norm = settings.get("norm", "l2")
        return TfidfVectorizer(**common, sublinear_tf=settings.get("sublinear_tf", False),
                               norm=None if norm == "none" else norm)
    raise DatasetError(f"text.vectorizer: unknown text vectorizer {kind!r} (known: count, tfidf)")


def fit_text(vectorizer, documents, what: str):
    """``vectorizer.fit_transform(documents)`` with scikit-learn's errors naming ``what``."""
    try:
        return vectorizer.fit_transform(documents)
    except ValueError as error:  # empty vocabulary, max_df below min_df
        raise DatasetError(f"{what}: cannot vectorize the text ({error}); check the dataset's "
                           "text settings (min_df, max_df, stop_words)") from None


def _document_cleaner(settings: dict):
    options = {k: settings[k] for k in TEXT_CLEANING_KEYS if k in settings}
    return functools.partial(clean_document, **options)


def _has_words(values: pd.Series, cleaner) -> bool:

    analyzer = CountVectorizer(preprocessor=cleaner).build_analyzer()
    return any(analyzer(v) for v in values)


def make_table_vectorizer(frame: pd.DataFrame, types: dict, text_settings: dict):
    """An unfitted ``ColumnTransformer`` for the feature columns of ``frame`` (see module doc).

    ``types`` maps each column to its type; ``label``, ``id`` and ``drop`` columns are
    left out. A text column without a single word is left out with a warning.
    """

    numeric = [c for c, k in types.items() if k == "numeric" and not c.endswith(MISSING_SUFFIX)]
    flags = [c for c, k in types.items() if k == "numeric" and c.endswith(MISSING_SUFFIX)]
    categorical = [c for c, k in types.items() if k == "categorical"]
    cleaner = _document_cleaner(text_settings)
    text = []
    for column in (c for c, k in types.items() if k == "text"):
        if _has_words(frame[column], cleaner):
            text.append(column)
        else:
            log.warning("table vectorizer: text column %r has no words; left out", column)
    steps = []
    if numeric:
        steps.append(("numeric", StandardScaler(), numeric))
    if flags:
        steps.append(("missing", "passthrough", flags))
    if categorical:
        steps.append(("categorical", OneHotEncoder(handle_unknown="ignore", dtype=np.float32),
                      categorical))
    for column in text:
        steps.append((f"text_{column}", make_text_vectorizer(text_settings, cleaner), column))
    if not steps:
        raise DatasetError("table vectorizer: no numeric, categorical or text column to "
                           f"vectorize (column types: {types})")
    log.info("table vectorizer: %d numeric (+%d missing indicators), %d categorical, "
             "%d text columns", len(numeric), len(flags), len(categorical), len(text))
    return ColumnTransformer(steps, remainder="drop", sparse_threshold=0.3)


def feature_names(vectorizer) -> list[str]:
    """One name per feature column of a fitted vectorizer (e.g. ``numeric__price``,
    ``categorical__brand_Samsung``, ``text_title__phone``; text: the terms)."""
    return [str(n) for n in vectorizer.get_feature_names_out()]


def vectorize(data, modality: str, settings: dict):
    """Fit the vectorizer of a modality on prepared rows; return ``(vectorizer, features)``.

    images / numeric matrices -> a scaler (dense float32); text -> CountVectorizer or
    TF-IDF (scipy CSR, kept sparse until a model needs dense batches); tables -> a
    ColumnTransformer (:func:`make_table_vectorizer`).
    """
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
