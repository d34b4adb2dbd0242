"""Tables of mixed column types (CSV/TSV/Parquet): reading, column types, cleaning, vectorizing.

The path of a table through the workflow::

    read_table -> infer_column_types -> clean_table -> TabularVectorizer.fit/transform

(:func:`prepare_tabular` chains the first three). Every column has one of
:data:`COLUMN_TYPES`: ``numeric``, ``categorical`` and ``text`` columns become
features; ``label`` (ground truth, at most one), ``id`` (row ids, at most one)
and ``drop`` columns never do. Declared types are kept, the others are inferred
and each inference is logged with its reason.

The vectorizer follows the Keras "structured data classification from scratch"
example: a Keras model with one named input per used column and Keras
preprocessing layers fitted with ``adapt()`` (``Normalization`` for numbers,
``StringLookup`` one-hot for categories, ``TextVectorization`` multi-hot/TF-IDF
for text), saved as one ``.keras`` file.

Every input error raises :class:`deepclust.datasets.DatasetError` naming the
file, column and (where it applies) row.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from deepclust.datasets import DatasetError

log = logging.getLogger(__name__)

COLUMN_TYPES = ("numeric", "categorical", "text", "label", "id", "drop")
FEATURE_TYPES = ("numeric", "categorical", "text")
USED_TYPES = ("numeric", "categorical", "text", "label")  # a missing value here matters

MISSING_CATEGORY = "(missing)"
MISSING_SUFFIX = "__missing"  # 0/1 indicator column added by imputation: "<col>__missing"
TEXT_MODES = ("multi_hot", "tf_idf")

FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")

LAYER_PREFIX = "prep"  # preprocessing layers: prep000_numeric_price, prep001_categorical_brand...
OUTPUT_LAYER = "prep_features"
_LAYER_KINDS = {"Normalization": "numeric", "Identity": "flag", "StringLookup": "categorical",
                "TextVectorization": "text"}

_URL = re.compile(r"(?i)https?://")


# --------------------------------------------------------------------------- reading

def read_table(path) -> pd.DataFrame:
    """Read a ``.csv``/``.tsv``/``.txt`` (``pandas.read_csv``) or ``.parquet``/``.pq`` table.

    Empty cells become NaN (pandas' default missing markers). A compressed
    CSV (``.csv.gz`` ...) is read too. The index is the 0-based data row.
    """
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if not p.exists():
        raise DatasetError(f"{path}: file not found")
    if p.is_dir():
        raise DatasetError(f"{path}: is a directory, not a table file")
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise DatasetError(f"{path}: unknown table format {suffix or p.name!r} "
                           f"(known: {', '.join(FORMATS)})")
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(p)
        else:
            frame = pd.read_csv(p, sep="\t" if fmt == "tsv" else ",")
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: no rows") from None
    except (ValueError, OSError, ImportError) as error:  # ParserError, UnicodeDecodeError, Arrow*
        raise DatasetError(f"{path}: cannot read as {fmt.upper()} ({error})") from None
    if len(frame) == 0:
        raise DatasetError(f"{path}: no rows")
    log.info("read %s: %d rows x %d columns", path, *frame.shape)
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- column types

def _is_stringlike(series: pd.Series) -> bool:
    return (ptypes.is_string_dtype(series.dtype) or ptypes.is_object_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype))


def _infer(series: pd.Series, n_rows: int, have_id: str | None) -> tuple[str, str]:
    """(type, reason) of one undeclared column."""
    values = series.dropna()
    if values.empty:
        return "drop", "no values: every row is empty"
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


def infer_column_types(frame: pd.DataFrame, declared: dict[str, str] | None,
                       path="table") -> dict[str, str]:
    """A type from :data:`COLUMN_TYPES` for every column of ``frame`` (in column order).

    Declared types are kept; the others are inferred, each logged with its reason:
    numeric dtype -> numeric; mostly ``http(s)://`` values -> drop; all values
    unique strings without spaces -> id (the first such column; later ones and
    any when an id is declared -> drop); at most max(20, 5% of rows) distinct
    strings -> categorical; other strings -> text; no value at all -> drop.
    """
    declared = dict(declared or {})
    _check_types(frame, declared, path, what="declared column")
    have_id = next((c for c, k in declared.items() if k == "id"), None)
    types = {}
    n_rows = len(frame)
    for column in frame.columns:
        if column in declared:
            types[column] = declared[column]
            log.debug("%s: column %r is %s (declared)", path, column, declared[column])
            continue
        kind, reason = _infer(frame[column], n_rows, have_id)
        if kind == "id":
            have_id = column
        types[column] = kind
        log.info("%s: column %r -> %s (inferred: %s)", path, column, kind, reason)
    return types


# --------------------------------------------------------------------------- cleaning

def _check_types(frame: pd.DataFrame, types: dict, path, what: str = "column") -> None:
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


def _to_numeric(series: pd.Series, column, path) -> pd.Series:
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


def clean_table(frame: pd.DataFrame, types: dict, missing: str = "impute",
                path="table") -> tuple[pd.DataFrame, dict]:
    """Make a typed table usable; return ``(cleaned frame, report)``.

    - numeric columns -> float64 (``pd.to_numeric``; a present non-number is an error
      naming its 1-based data row; infinite values count as missing);
    - rows without a label are always dropped;
    - ``missing="drop"``: rows with a missing numeric/categorical/text/label value are dropped;
      ``missing="impute"``: numeric -> median plus a 0/1 column ``<col>__missing`` (only for
      columns that had missing values), categorical -> ``"(missing)"``, text -> ``""``;
    - categorical and text values become strings; the id column must be complete and unique;
      a label column needs at least two classes.

    The frame keeps the input's index (the 0-based data row for a frame from
    :func:`read_table`). ``report`` maps each step to the number of rows it dropped:
    ``{"missing_label": n, "missing_values": n}``.
    """
    if missing not in ("impute", "drop"):
        raise DatasetError(f"{path}: missing must be 'impute' or 'drop', got {missing!r}")
    _check_types(frame, types, path)
    out = frame.copy()
    label = next((c for c, k in types.items() if k == "label"), None)
    id_column = next((c for c, k in types.items() if k == "id"), None)

    if id_column is not None:
        ids = out[id_column]
        if ids.isna().any():
            row = int(np.flatnonzero(ids.isna().to_numpy())[0])
            raise DatasetError(f"{path}: id column {id_column!r} is empty in row {row + 1}")
        duplicated = ids.duplicated(keep=False).to_numpy()
        if duplicated.any():
            rows = np.flatnonzero(duplicated)
            first = ids.iloc[rows[0]]
            same = np.flatnonzero((ids == first).to_numpy()) + 1
            raise DatasetError(f"{path}: id column {id_column!r} has duplicate values, e.g. "
                               f"{str(first)!r} in rows {', '.join(map(str, same[:5]))}")

    for column, kind in types.items():
        if kind == "numeric":
            out[column] = _to_numeric(out[column], column, path)

    report = {"missing_label": 0, "missing_values": 0}
    n_before = len(out)
    if label is not None:
        out = out[out[label].notna()]
        report["missing_label"] = n_before - len(out)
        log.info("%s: dropped %d of %d rows with a missing label in %r", path,
                 report["missing_label"], n_before, label)
    else:
        log.info("%s: dropped 0 of %d rows with a missing label (no label column)", path, n_before)

    used = [c for c, k in types.items() if k in USED_TYPES]
    n_before = len(out)
    if missing == "drop":
        out = out.dropna(subset=used) if used else out
        report["missing_values"] = n_before - len(out)
        log.info("%s: missing=drop: dropped %d of %d rows with a missing value in %s", path,
                 report["missing_values"], n_before, ", ".join(map(repr, used)) or "no column")
    else:
        for column in used:
            kind = types[column]
            absent = out[column].isna()
            count = int(absent.sum())
            if kind == "label" or count == 0:
                continue
            if kind == "numeric":
                median = out[column].median()
                if pd.isna(median):
                    raise DatasetError(f"{path}: numeric column {column!r} has no values "
                                       "to impute from")
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
                log.info("%s: column %r: imputed %d missing values with %r", path, column,
                         count, fill)
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


# --------------------------------------------------------------------------- convenience

def prepare_tabular(path, declared: dict | None, missing: str = "impute", label: str | None = None):
    """Read, type and clean a table; return ``(frame, types, ids, labels, report)``.

    - ``frame``: the cleaned DataFrame (see :func:`clean_table`), index = 0-based data row;
    - ``types``: column -> type for every column of ``frame``, including the added
      ``<col>__missing`` indicator columns (``numeric``);
    - ``ids``: the id column's values, else the 0-based data row numbers (numpy array);
    - ``labels``: the label column encoded as int64 ``0..C-1`` (classes sorted), or ``None``;
    - ``report``: rows dropped per step (``missing_label``, ``missing_values``) and
      ``class_names`` (list of str: ``class_names[i]`` is the class encoded as ``i``; ``None``
      without a label column).

    ``label`` names the label column (same as declaring it ``"label"``).
    """
    declared = dict(declared or {})
    if label is not None:
        other = [c for c, k in declared.items() if k == "label" and c != label]
        if other:
            raise DatasetError(f"{path}: label={label!r} but {other[0]!r} is declared as the "
                               "label column")
        declared[label] = "label"
    frame = read_table(path)
    types = infer_column_types(frame, declared, path)
    frame, report = clean_table(frame, types, missing=missing, path=path)
    for column in frame.columns:
        if column not in types:  # indicator columns added by imputation
            types[column] = "numeric"
    id_column = next((c for c, k in types.items() if k == "id"), None)
    label_column = next((c for c, k in types.items() if k == "label"), None)
    ids = frame[id_column].to_numpy() if id_column else frame.index.to_numpy()
    labels = None
    report = dict(report, class_names=None)
    if label_column:
        codes, classes = pd.factorize(frame[label_column], sort=True)
        labels = codes.astype(np.int64)
        report["class_names"] = [str(c) for c in classes]
        log.info("%s: label %r: %d classes %s", path, label_column, len(classes),
                 report["class_names"][:20])
    return frame, types, ids, labels, report


# --------------------------------------------------------------------------- vectorizing

def _input_name(column: str) -> str:
    """Keras names cannot contain '/': percent-escape it (and '%') in input names."""
    return str(column).replace("%", "%25").replace("/", "%2F")


def _column_name(input_name: str) -> str:
    return input_name.replace("%2F", "/").replace("%25", "%")


def _safe(column: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(column))[:40]


def _preprocessing_layers(model) -> list:
    """The layers named ``prep<index>_<kind>_<column>``, by index (= feature order)."""
    named = [(int(m.group(1)), layer) for layer in model.layers
             if type(layer).__name__ in _LAYER_KINDS
             and (m := re.match(rf"{LAYER_PREFIX}(\d+)_", layer.name))]
    return [layer for _, layer in sorted(named, key=lambda pair: pair[0])]


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


class TabularVectorizer:
    """Numeric/categorical/text columns -> one float32 matrix, via Keras preprocessing layers.

    - numeric -> ``Normalization`` (one per column: mean 0, variance 1 on the fitted rows);
      a 0/1 imputation indicator ``<col>__missing`` (in ``types`` or found in the fitted
      frame next to a numeric ``<col>``) passes through unscaled (``Identity``);
    - categorical -> ``StringLookup(output_mode="one_hot")`` with one OOV bucket ``[UNK]``
      (unseen categories at transform time land there);
    - text -> ``TextVectorization(output_mode=text_mode, max_tokens=text_max_tokens,
      standardize="lower_and_strip_punctuation")``.

    ``label``/``id``/``drop`` columns (and columns not in ``types``) are ignored. The
    fitted model takes a dict of named inputs (one per used column: float32 of shape
    (1,), or string of shape (1,) for categories and () for text) and outputs the
    concatenated features; :meth:`save` writes it as one ``.keras`` file and
    :meth:`load` restores everything from it. The vectorizer also pickles (joblib).
    """

    def __init__(self, types: dict, text_mode: str = "multi_hot", text_max_tokens: int = 2000):
        if text_mode not in TEXT_MODES:
            raise DatasetError(f"text_mode must be one of {', '.join(TEXT_MODES)}, "
                               f"got {text_mode!r}")
        if int(text_max_tokens) < 1:
            raise DatasetError(f"text_max_tokens must be >= 1, got {text_max_tokens!r}")
        for column, kind in dict(types).items():
            if kind not in COLUMN_TYPES:
                raise DatasetError(f"column {column!r} has unknown type {kind!r} "
                                   f"(allowed: {', '.join(COLUMN_TYPES)})")
        self.types = dict(types)
        self.text_mode = text_mode
        self.text_max_tokens = int(text_max_tokens)
        self.model = None
        self.columns_: list[tuple[str, str]] = []  # (kind, column), kind also "flag"

    # -- layout

    def _layout(self, frame: pd.DataFrame) -> list[tuple[str, str]]:
        numeric = [c for c, k in self.types.items() if k == "numeric"]
        layout, seen = [], set()
        for column, kind in self.types.items():
            if kind not in FEATURE_TYPES or column in seen:
                continue
            base = column[:-len(MISSING_SUFFIX)] if column.endswith(MISSING_SUFFIX) else None
            if kind == "numeric" and base in numeric:
                continue  # placed right after its numeric column
            layout.append((kind, column))
            seen.add(column)
            indicator = f"{column}{MISSING_SUFFIX}"
            if kind == "numeric" and (indicator in frame.columns
                                      or self.types.get(indicator) == "numeric"):
                layout.append(("flag", indicator))
                seen.add(indicator)
        if not layout:
            raise DatasetError("vectorizer: no numeric, categorical or text column to vectorize "
                               f"(types: {self.types})")
        return layout

    def _inputs(self, frame: pd.DataFrame, columns, fitting: bool) -> dict[str, np.ndarray]:
        """Arrays per used column, as the model's inputs expect them."""
        arrays = {}
        for kind, column in columns:
            if column not in frame.columns:
                if kind == "flag" and not fitting:  # no missing values in the new rows
                    arrays[column] = np.zeros((len(frame), 1), np.float32)
                    continue
                raise DatasetError(f"vectorizer: column {column!r} ({kind}) is not in the table; "
                                   f"columns are: {', '.join(map(str, frame.columns))}")
            series = frame[column]
            if kind in ("numeric", "flag"):
                values = _to_numeric(series, column, "vectorizer")
                if values.isna().any():
                    row = int(np.flatnonzero(values.isna().to_numpy())[0])
                    raise DatasetError(f"vectorizer: numeric column {column!r} has a missing "
                                       f"value in row {row + 1}; clean the table first "
                                       "(clean_table)")
                arrays[column] = values.to_numpy(np.float32).reshape(-1, 1)
            elif kind == "categorical":
                arrays[column] = _strings(series, MISSING_CATEGORY).to_numpy().reshape(-1, 1)
            else:
                arrays[column] = _strings(series, "").to_numpy()
        return arrays

    # -- fitting and transforming

    def fit(self, frame: pd.DataFrame) -> "TabularVectorizer":
        """Adapt one preprocessing layer per used column on ``frame``; build the model."""
        keras = _keras()
        if len(frame) == 0:
            raise DatasetError("vectorizer: cannot fit on a table without rows")
        layout = self._layout(frame)
        arrays = self._inputs(frame, layout, fitting=True)
        inputs, outputs, self.columns_ = {}, [], []
        for kind, column in layout:
            i = len(self.columns_)
            name = _input_name(column)
            layer_name = f"{LAYER_PREFIX}{i:03d}_{kind}_{_safe(column)}"
            values = arrays[column]
            if kind == "text":
                layer = keras.layers.TextVectorization(
                    max_tokens=self.text_max_tokens, output_mode=self.text_mode,
                    standardize="lower_and_strip_punctuation", name=layer_name)
                layer.adapt(values)
                if len(layer.get_vocabulary()) <= 1:  # an empty vocabulary cannot look up
                    log.warning("tabular vectorizer: text column %r has no words; left out",
                                column)
                    continue
                inputs[name] = keras.Input(shape=(), dtype="string", name=name)
            else:
                dtype = "string" if kind == "categorical" else "float32"
                inputs[name] = keras.Input(shape=(1,), dtype=dtype, name=name)
                if kind == "categorical":
                    layer = keras.layers.StringLookup(output_mode="one_hot", num_oov_indices=1,
                                                      name=layer_name)
                elif kind == "numeric":
                    layer = keras.layers.Normalization(axis=-1, name=layer_name)
                else:
                    layer = keras.layers.Identity(name=layer_name)
            if kind in ("numeric", "categorical"):
                layer.adapt(values)
            outputs.append(layer(inputs[name]))
            self.columns_.append((kind, column))
        if not outputs:
            raise DatasetError("vectorizer: no column left to vectorize (every text column "
                               "is empty)")
        merged = (keras.layers.Concatenate(name=OUTPUT_LAYER)(outputs) if len(outputs) > 1
                  else keras.layers.Identity(name=OUTPUT_LAYER)(outputs[0]))
        self.model = keras.Model(inputs, merged, name="tabular_vectorizer")
        counts = {k: sum(1 for kind, _ in self.columns_ if kind == k)
                  for k in ("numeric", "flag", "categorical", "text")}
        log.info("tabular vectorizer: %d numeric (+%d missing indicators), %d categorical, "
                 "%d text columns -> %d features", counts["numeric"], counts["flag"],
                 counts["categorical"], counts["text"], len(self.feature_names()))
        return self

    def _check_fitted(self):
        if self.model is None:
            raise DatasetError("vectorizer: not fitted (call fit() or load())")

    def transform(self, frame: pd.DataFrame, batch_size: int = 4096) -> np.ndarray:
        """Float32 features, rows x :meth:`feature_names`; the same layout for any new rows."""
        self._check_fitted()
        import tensorflow as tf

        n_features = len(self.feature_names())
        if len(frame) == 0:
            return np.zeros((0, n_features), np.float32)
        arrays = self._inputs(frame, self.columns_, fitting=False)
        parts = []
        for start in range(0, len(frame), batch_size):
            batch = {_input_name(c): tf.constant(a[start:start + batch_size])
                     for c, a in arrays.items()}
            parts.append(np.asarray(self.model(batch, training=False), dtype=np.float32))
        features = np.concatenate(parts, axis=0)
        assert features.shape == (len(frame), n_features), features.shape
        return features

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    def _layers(self):
        """The preprocessing layer of each used column, in feature order."""
        return _preprocessing_layers(self.model)

    def feature_names(self) -> list[str]:
        """One name per feature column: ``"price"``, ``"price__missing"``, ``"brand=Samsung"``,
        ``"brand=[UNK]"`` (the OOV bucket), ``"title:phone"``, ``"title:[UNK]"``."""
        self._check_fitted()
        names = []
        for (kind, column), layer in zip(self.columns_, self._layers()):
            if kind in ("numeric", "flag"):
                names.append(column)
            elif kind == "categorical":
                names += [f"{column}={v}" for v in layer.get_vocabulary()]
            else:
                names += [f"{column}:{v}" for v in layer.get_vocabulary()]
        return names

    # -- persistence

    def save(self, path) -> None:
        """Write the fitted model to one ``.keras`` file (everything :meth:`load` needs)."""
        self._check_fitted()
        if not str(path).endswith(".keras"):
            raise DatasetError(f"{path}: a tabular vectorizer is saved as a .keras file")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.model.save(path)

    @classmethod
    def load(cls, path) -> "TabularVectorizer":
        """A vectorizer from a file written by :meth:`save`."""
        if not Path(path).is_file():
            raise DatasetError(f"{path}: file not found")
        keras = _keras()
        return cls._from_model(keras.models.load_model(path))

    @classmethod
    def _from_model(cls, model) -> "TabularVectorizer":
        layers = _preprocessing_layers(model)
        columns = [(_LAYER_KINDS[type(layer).__name__], _column_name(layer.input.name))
                   for layer in layers]
        text = next((layer.get_config() for layer in layers
                     if type(layer).__name__ == "TextVectorization"), {})
        types = {c: ("numeric" if k == "flag" else k) for k, c in columns}
        self = cls(types, text_mode=text.get("output_mode", "multi_hot"),
                   text_max_tokens=text.get("max_tokens") or 2000)
        self.model = model
        self.columns_ = columns
        return self

    def __getstate__(self):
        state = dict(self.__dict__)
        if self.model is not None:  # pickle (joblib) the model as the bytes of a .keras file
            with tempfile.TemporaryDirectory() as tmp:
                file = Path(tmp) / "vectorizer.keras"
                self.model.save(file)
                state["model"] = file.read_bytes()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if isinstance(self.model, bytes):
            keras = _keras()
            with tempfile.TemporaryDirectory() as tmp:
                file = Path(tmp) / "vectorizer.keras"
                file.write_bytes(self.model)
                self.model = keras.models.load_model(file)
