"""Cleaning a typed table: numbers parsed, missing values imputed or dropped, ids and labels.

:func:`prepare_tabular` chains reading (:mod:`deepclust.data.tables`), column types
(:mod:`deepclust.data.column_types`) and :func:`clean_table`. Every input error raises
:class:`deepclust.errors.DatasetError` naming the file, column and (where it applies) row.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from deepclust.data.column_types import check_types, infer_column_types
from deepclust.data.tables import read_table
from deepclust.errors import DatasetError

log = logging.getLogger(__name__)

USED_TYPES = ("numeric", "categorical", "text", "label")  # a missing value here matters
MISSING_CATEGORY = "(missing)"
MISSING_SUFFIX = "__missing"  # 0/1 indicator column added by imputation: "<col>__missing"


def to_numeric(series: pd.Series, column, path) -> pd.Series:
    """Float64 values; a present value that is not a number is an error naming its row."""
    if ptypes.is_bool_dtype(series.dtype):
        series = series.astype("float64")
    if ptypes.is_numeric_dtype(series.dtype):
        numbers = series.astype("float64")
    else:
        stripped = series.astype("object").where(series.notna())
        stripped = stripped.map(lambda v: v.strip() if isinstance(v, str) else v)
        stripped = stripped.where(stripped != "")
        numbers = pd.to_numeric(stripped, errors="coerce").astype("float64")
        bad = np.flatnonzero(stripped.notna().to_numpy() & numbers.isna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise DatasetError(f"{path}: column {column!r} is declared numeric but row {row + 1} "
                               f"has {str(series.iloc[row])!r}")
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        log.info("%s: column %r: %d infinite values treated as missing", path, column,
                 int(infinite.sum()))
        numbers = numbers.mask(infinite)
    return numbers


def _strings(series: pd.Series, fill: str) -> pd.Series:
    """Python strings (object dtype), missing values replaced by ``fill``."""
    return series.astype("object").where(series.notna(), fill).map(str).astype("object")


def _check_ids(out: pd.DataFrame, id_column: str, path) -> None:
    ids = out[id_column]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DatasetError(f"{path}: id column {id_column!r} is empty in row {row + 1}")
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = ids.iloc[np.flatnonzero(duplicated)[0]]
        same = np.flatnonzero((ids == first).to_numpy()) + 1
        raise DatasetError(f"{path}: id column {id_column!r} has duplicate values, e.g. "
                           f"{str(first)!r} in rows {', '.join(map(str, same[:5]))}")


def _impute(out: pd.DataFrame, types: dict, used: list, path) -> None:
    """Median plus a 0/1 indicator for numbers, ``(missing)`` for categories, ``""`` for text."""
    for column in used:
        kind = types[column]
        absent = out[column].isna()
        count = int(absent.sum())
        if kind == "label" or count == 0:
            continue
        if kind == "numeric":
            median = out[column].median()
            if pd.isna(median):
                raise DatasetError(f"{path}: numeric column {column!r} has no values to "
                                   "impute from")
            indicator = f"{column}{MISSING_SUFFIX}"
            if indicator in out.columns:
                raise DatasetError(f"{path}: cannot add the missing-value indicator "
                                   f"{indicator!r}: the table already has such a column")
            out[column] = out[column].fillna(median)
            out[indicator] = absent.astype("float32")
            log.info("%s: column %r: imputed %d missing values with the median %g "
                     "(indicator column %r)", path, column, count, median, indicator)
        else:
            fill = MISSING_CATEGORY if kind == "categorical" else ""
            log.info("%s: column %r: imputed %d missing values with %r", path, column, count, fill)


def clean_table(frame: pd.DataFrame, types: dict, missing: str = "impute",
                path="table") -> tuple[pd.DataFrame, dict]:
    """Make a typed table usable; return ``(cleaned frame, report)``.

    - numeric columns -> float64 (a present non-number is an error naming its 1-based
      data row; infinite values count as missing);
    - rows without a label are always dropped;
    - ``missing="drop"``: rows with a missing numeric/categorical/text/label value are dropped;
      ``missing="impute"``: numeric -> median plus a 0/1 column ``<col>__missing`` (only for
      columns that had missing values), categorical -> ``"(missing)"``, text -> ``""``;
    - categorical and text values become strings; the id column must be complete and unique;
      a label column needs at least two classes.

    The frame keeps the input's index (the 0-based data row). ``report`` maps each step to
    the number of rows it dropped: ``{"missing_label": n, "missing_values": n}``.
    """
    if missing not in ("impute", "drop"):
        raise DatasetError(f"{path}: missing must be 'impute' or 'drop', got {missing!r}")
    check_types(frame, types, path)
    out = frame.copy()
    label = next((c for c, k in types.items() if k == "label"), None)
    id_column = next((c for c, k in types.items() if k == "id"), None)
    if id_column is not None:
        _check_ids(out, id_column, path)
    for column, kind in types.items():
        if kind == "numeric":
            out[column] = to_numeric(out[column], column, path)

    report = {"missing_label": 0, "missing_values": 0}
    n_before = len(out)
    if label is not None:
        out = out[out[label].notna()]
        report["missing_label"] = n_before - len(out)
        log.info("%s: dropped %d of %d rows with a missing label in %r", path,
                 report["missing_label"], n_before, label)
    used = [c for c, k in types.items() if k in USED_TYPES]
    n_before = len(out)
    if missing == "drop":
        out = out.dropna(subset=used) if used else out
        report["missing_values"] = n_before - len(out)
        log.info("%s: missing=drop: dropped %d of %d rows with a missing value in %s", path,
                 report["missing_values"], n_before, ", ".join(map(repr, used)) or "no column")
    else:
        _impute(out, types, used, path)
        log.info("%s: missing=impute: dropped 0 of %d rows with a missing value", path, n_before)
    for column, kind in types.items():
        if kind == "categorical":
            out[column] = _strings(out[column], MISSING_CATEGORY)
        elif kind == "text":
            out[column] = _strings(out[column], "")
    if len(out) == 0:
        raise DatasetError(f"{path}: no rows left after dropping rows with missing values")
    if label is not None:
        classes = out[label].unique()
        if len(classes) < 2:
            raise DatasetError(f"{path}: label column {label!r} has a single class "
                               f"({str(classes[0])!r}); clustering metrics need at least two")
    log.info("%s: %d rows after cleaning", path, len(out))
    return out, report


def prepare_tabular(path, declared: dict | None, missing: str = "impute",
                    encoding: str = "utf-8", where: str = "source.columns"):
    """Read, type and clean a table; return ``(frame, types, ids, labels, report)``.

    - ``frame``: the cleaned DataFrame (see :func:`clean_table`), index = 0-based data row;
    - ``types``: column -> type for every column of ``frame``, including the added
      ``<col>__missing`` indicator columns (``numeric``);
    - ``ids``: the id column's values, else the 0-based data row numbers (numpy array);
    - ``labels``: the label column encoded as int64 ``0..C-1`` (classes sorted), or ``None``;
    - ``report``: rows dropped per step (``missing_label``, ``missing_values``),
      ``label_column`` and ``class_names`` (``class_names[i]`` is the class encoded as ``i``).
    """
    frame = read_table(path, encoding=encoding)
    types = infer_column_types(frame, declared, path, where=where)
    frame, report = clean_table(frame, types, missing=missing, path=path)
    for column in frame.columns:
        if column not in types:  # indicator columns added by imputation
            types[column] = "numeric"
    id_column = next((c for c, k in types.items() if k == "id"), None)
    label_column = next((c for c, k in types.items() if k == "label"), None)
    ids = frame[id_column].to_numpy() if id_column else frame.index.to_numpy()
    labels = None
    report = dict(report, class_names=None, label_column=label_column)
    if label_column:
        codes, classes = pd.factorize(frame[label_column], sort=True)
        labels = codes.astype(np.int64)
        report["class_names"] = [str(c) for c in classes]
        log.info("%s: label %r: %d classes %s", path, label_column, len(classes),
                 report["class_names"][:20])
    return frame, types, ids, labels, report
