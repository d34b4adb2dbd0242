"""The type of every column of a table: declared in the config, or inferred and logged.

Types (:data:`COLUMN_TYPES`): ``numeric``, ``categorical`` and ``text`` columns become
features; ``label`` (ground truth, at most one), ``id`` (row ids, at most one) and ``drop``
columns never do.

No label leaks: a column named ``label`` is the label unless declared otherwise. Any other
undeclared column that looks like a label (named ``class``, ``target``, ``y``,
``category`` ...) stops with an error saying how to declare it; one that looks like a row id
(named ``id`` or ``Unnamed: 0``, or holding the values 0..n-1 or 1..n) is taken as the id
(dropped when there is one already), never as a feature.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from deepclust.errors import DatasetError

log = logging.getLogger(__name__)

COLUMN_TYPES = ("numeric", "categorical", "text", "label", "id", "drop")
FEATURE_TYPES = ("numeric", "categorical", "text")

#: the name of the label column when none is declared
LABEL_NAME = "label"
#: undeclared columns with these names (any case) look like ground truth: an error
LABEL_LIKE_NAMES = frozenset({"labels", "class", "classes", "target", "targets", "y",
                              "category", "categories", "ground_truth", "truth"})
#: undeclared columns with these names (any case) look like row ids
ID_LIKE_NAMES = re.compile(r"(?i)^(id|index|row_?id|unnamed: ?\d+|)$")

_URL = re.compile(r"(?i)https?://")


def check_types(frame: pd.DataFrame, types: dict, path, what: str = "column") -> None:
    """Every type is known, every typed column exists, at most one label and one id."""
    for column, kind in types.items():
        if kind not in COLUMN_TYPES:
            raise DatasetError(f"{path}: column {column!r} has unknown type {kind!r} "
                               f"(allowed: {', '.join(COLUMN_TYPES)})")
        if column not in frame.columns:
            raise DatasetError(f"{path}: {what} {column!r} ({kind}) is not in the table; "
                               f"columns are: {', '.join(map(str, frame.columns))}")
    for kind in ("label", "id"):
        named = [c for c, k in types.items() if k == kind]
        if len(named) > 1:
            raise DatasetError(f"{path}: at most one {kind} column, got {', '.join(named)}")


def _is_stringlike(series: pd.Series) -> bool:
    return (ptypes.is_string_dtype(series.dtype) or ptypes.is_object_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype))


def is_row_number(series: pd.Series) -> bool:
    """True when the values are exactly 0..n-1 or 1..n (in any order): a saved row index."""
    if ptypes.is_bool_dtype(series.dtype) or not ptypes.is_numeric_dtype(series.dtype):
        return False
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if len(values) < 3 or not np.isfinite(values).all() or (values != np.round(values)).any():
        return False
    ordered = np.sort(values)
    return ordered[0] in (0, 1) and bool((np.diff(ordered) == 1).all())


def _infer(name, series: pd.Series, n_rows: int, have_id: str | None) -> tuple[str, str]:
    """(type, reason) of one undeclared column."""
    values = series.dropna()
    if values.empty:
        return "drop", "no values: every row is empty"
    id_reason = None
    if ID_LIKE_NAMES.match(str(name).strip()):
        id_reason = f"named like a row id ({str(name)!r})"
    elif is_row_number(series):
        id_reason = f"row numbers: the values are {int(series.min())}..{int(series.max())}"
    if id_reason:
        if have_id is None:
            return "id", id_reason
        return "drop", f"{id_reason}, but {have_id!r} is already the id column"
    if ptypes.is_bool_dtype(series.dtype) or ptypes.is_numeric_dtype(series.dtype):
        return "numeric", f"numeric dtype {series.dtype}"
    if not _is_stringlike(series):
        return "drop", f"unsupported dtype {series.dtype}"
    text = values.astype(str)
    url_share = float(text.str.match(_URL).mean())
    if url_share > 0.5:
        return "drop", f"looks like URLs ({url_share:.0%} of the values start with http(s)://)"
    n_unique = int(text.nunique())
    if len(text) == n_rows and n_unique == n_rows and not text.str.contains(r"\s").any():
        reason = f"identifier-like: all {n_rows} values unique, no spaces"
        if have_id is None:
            return "id", reason
        return "drop", f"{reason}, but {have_id!r} is already the id column"
    limit = max(20, int(0.05 * n_rows))
    if n_unique <= limit:
        return "categorical", f"strings with {n_unique} distinct values (<= {limit})"
    return "text", (f"strings with {n_unique} distinct values (> {limit}), "
                    f"{text.str.len().mean():.0f} characters on average")


def _label_leak(path, column, where: str, label: str | None) -> DatasetError:
    now = f"; {label!r} is the label" if label else ""
    return DatasetError(
        f"{path}: column {column!r} looks like a label (by its name) and is not declared{now}. "
        f"Clustering on it would leak the answer into the features. Declare it in "
        f"{where}: `{column}: label` (the ground truth, never a feature), "
        f"`{column}: categorical` (really a feature) or `{column}: drop`")


def infer_column_types(frame: pd.DataFrame, declared: dict[str, str] | None,
                       path="table", where: str = "source.columns") -> dict[str, str]:
    """A type from :data:`COLUMN_TYPES` for every column of ``frame`` (in column order).

    Declared types are kept; the others are inferred, each logged with its reason:
    a column named ``label`` -> label (when no label is declared); a label-like name
    (:data:`LABEL_LIKE_NAMES`) -> an error saying how to declare it; an id-like name or
    the values 0..n-1 / 1..n -> id (the first; later ones -> drop); numeric dtype ->
    numeric; mostly ``http(s)://`` values -> drop; all values unique strings without
    spaces -> id (or drop when there is an id); at most max(20, 5% of rows) distinct
    strings -> categorical; other strings -> text; no value at all -> drop. ``where``
    names the config setting to declare columns in (for the messages).
    """
    declared = dict(declared or {})
    check_types(frame, declared, path, what="declared column")
    have_id = next((c for c, k in declared.items() if k == "id"), None)
    label = next((c for c, k in declared.items() if k == "label"), None)
    types = {}
    n_rows = len(frame)
    for column in frame.columns:
        if column in declared:
            types[column] = declared[column]
            log.debug("%s: column %r is %s (declared)", path, column, declared[column])
            continue
        name = str(column).strip().lower()
        if name == LABEL_NAME and label is None:
            kind, reason = "label", f"named {LABEL_NAME!r}: the ground truth, not a feature"
            label = column
        elif name in LABEL_LIKE_NAMES or name == LABEL_NAME:
            raise _label_leak(path, column, where, label)
        else:
            kind, reason = _infer(column, frame[column], n_rows, have_id)
        if kind == "id":
            have_id = column
        types[column] = kind
        log.info("%s: column %r -> %s (inferred: %s)", path, column, kind, reason)
    return types
