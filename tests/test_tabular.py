"""The tabular path: reading, column-type inference (no label leaks), cleaning, vectorizing."""

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepclust.data.column_types import infer_column_types
from deepclust.data.datasets import load_dataset
from deepclust.data.table_cleaning import clean_table, prepare_tabular
from deepclust.data.tables import read_table
from deepclust.data.vectorizers import apply_vectorizer, feature_names, vectorize
from deepclust.errors import DatasetError

AMAZON = Path(__file__).resolve().parents[2] / "shared/data/amazon_cellphones/items.csv"
AMAZON_COLUMNS = {"asin": "id", "brand": "categorical", "title": "text", "url": "drop",
                  "image": "drop", "reviewUrl": "drop", "rating": "numeric",
                  "totalReviews": "numeric", "price": "numeric", "originalPrice": "numeric"}
WORDS = ["red", "phone", "blue", "case", "dual", "sim", "glass", "screen", "fast", "charger"]


def mixed_frame(n=40) -> pd.DataFrame:
    """One column of each inferable kind; ``n`` >= 21 keeps 'text' above the categorical limit."""
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "price": rng.normal(100, 30, n).round(2),
        "page": [f"https://shop.example/item/{i}" for i in range(n)],
        "sku": [f"B00{i:05d}X" for i in range(n)],
        "sku2": [f"Z{i:04d}" for i in range(n)],
        "brand": [("Samsung", "Nokia", "Apple")[i % 3] for i in range(n)],
        "title": [f"{WORDS[i % 10]} {WORDS[(i * 3 + 1) % 10]} model {i}" for i in range(n)],
    })


def write_csv(tmp_path, text, name="t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- reading

def test_read_csv_tsv_and_parquet_keep_empty_cells_as_missing(tmp_path):
    frame = read_table(write_csv(tmp_path, "a,b\n1,x\n,\n3,z\n"))
    assert frame.shape == (3, 2)
    assert frame["a"].isna().tolist() == [False, True, False]
    assert frame["b"].isna().tolist() == [False, True, False]
    tsv = read_table(write_csv(tmp_path, "a\tb\n1\tx y\n2\t\n", "t.tsv"))
    assert tsv["b"].tolist()[0] == "x y" and tsv["b"].isna().tolist() == [False, True]
    pd.DataFrame({"a": [1.0, None], "b": ["x", None]}).to_parquet(tmp_path / "t.parquet")
    parquet = read_table(tmp_path / "t.parquet")
    assert parquet["a"].isna().tolist() == [False, True]
    assert parquet["b"].isna().tolist() == [False, True]


def test_read_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(DatasetError, match=f"^{re.escape(str(missing))}: file not found$"):
        read_table(missing)
    empty = write_csv(tmp_path, "", "empty.csv")
    with pytest.raises(DatasetError, match=f"^{re.escape(str(empty))}: no rows$"):
        read_table(empty)
    header = write_csv(tmp_path, "a,b,c\n", "header.csv")
    with pytest.raises(DatasetError, match=f"^{re.escape(str(header))}: no rows$"):
        read_table(header)
    xlsx = write_csv(tmp_path, "a\n1\n", "t.xlsx")
    with pytest.raises(DatasetError, match=r"t\.xlsx: unknown table format '\.xlsx'"):
        read_table(xlsx)
    broken = write_csv(tmp_path, "not parquet at all", "broken.parquet")
    with pytest.raises(DatasetError, match=r"broken\.parquet: cannot read as PARQUET"):
        read_table(broken)


# --------------------------------------------------------------------------- column types

def test_every_undeclared_column_is_inferred_and_logged(caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.column_types")
    types = infer_column_types(mixed_frame(), {}, "t.csv")
    assert types == {"price": "numeric", "page": "drop", "sku": "id", "sku2": "drop",
                     "brand": "categorical", "title": "text"}
    log = caplog.text
    assert "t.csv: column 'price' -> numeric (inferred: numeric dtype float64)" in log
    assert "t.csv: column 'page' -> drop (inferred: looks like URLs (100% of the values" in log
    assert "t.csv: column 'sku' -> id (inferred: identifier-like: all 40 values unique" in log
    assert ("t.csv: column 'sku2' -> drop (inferred: identifier-like: all 40 values unique, "
            "no spaces, but 'sku' is already the id column)") in log
    assert ("t.csv: column 'brand' -> categorical (inferred: strings with 3 distinct values "
            "(<= 20))") in log
    assert "t.csv: column 'title' -> text (inferred: strings with 40 distinct values (> 20)" in log


def test_declared_types_are_kept_and_not_logged_as_inferred(caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.column_types")
    types = infer_column_types(mixed_frame(), {"sku2": "id", "title": "drop"}, "t.csv")
    assert types["sku2"] == "id" and types["title"] == "drop"
    assert types["sku"] == "drop"  # identifier-like, but an id is declared
    assert "column 'title'" not in caplog.text and "column 'sku2'" not in caplog.text


def test_declared_column_absent_and_unknown_type():
    frame = pd.DataFrame({"a": [1], "b": ["x"], "c": [2.0]})
    with pytest.raises(DatasetError) as error:
        infer_column_types(frame, {"x": "numeric"}, "t.csv")
    assert str(error.value) == ("t.csv: declared column 'x' (numeric) is not in the table; "
                                "columns are: a, b, c")
    with pytest.raises(DatasetError) as error:
        infer_column_types(frame, {"a": "number"}, "t.csv")
    assert str(error.value) == ("t.csv: column 'a' has unknown type 'number' "
                                "(allowed: numeric, categorical, text, label, id, drop)")


# --------------------------------------------------------------------------- cleaning

def test_non_numeric_value_in_numeric_column_names_row_and_value(tmp_path):
    prices = [str(i) for i in range(20)]
    prices[16] = "abc"  # data row 17
    path = write_csv(tmp_path, "price,brand\n" + "".join(f"{p},x\n" for p in prices))
    frame = read_table(path)
    with pytest.raises(DatasetError) as error:
        clean_table(frame, {"price": "numeric", "brand": "categorical"}, path=str(path))
    assert str(error.value) == f"{path}: column 'price' is declared numeric but row 17 has 'abc'"


def test_single_class_label_is_an_error():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "a", None]})
    with pytest.raises(DatasetError) as error:
        clean_table(frame, {"x": "numeric", "y": "label"}, path="t.csv")
    assert str(error.value) == ("t.csv: label column 'y' has a single class ('a'); "
                                "clustering metrics need at least two")


def holey_frame() -> tuple[pd.DataFrame, dict]:
    """r1/r4 miss a price, r2 a brand, r3 a title, r5 its label; r0 and r6 are complete."""
    frame = pd.DataFrame({
        "id": [f"r{i}" for i in range(7)],
        "price": [1.0, np.nan, 3.0, 5.0, np.nan, 100.0, 7.0],
        "brand": ["a", "b", None, "a", "b", "a", "b"],
        "title": ["red phone", "blue case", "red case", None, "phone", "sim", "glass"],
        "y": ["p", "q", "p", "q", "p", None, "q"],
    })
    return frame, {"id": "id", "price": "numeric", "brand": "categorical", "title": "text",
                   "y": "label"}


def test_impute_keeps_every_row_and_adds_an_indicator(caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.table_cleaning")
    frame, types = holey_frame()
    clean, report = clean_table(frame, types, path="t.csv")
    assert report == {"missing_label": 1, "missing_values": 0}  # a label is always required
    assert clean["id"].tolist() == ["r0", "r1", "r2", "r3", "r4", "r6"]
    # median of the kept rows' prices 1, 3, 5, 7 (r5's 100 went with its label)
    assert clean["price"].tolist() == [1.0, 4.0, 3.0, 5.0, 4.0, 7.0]
    assert clean["price__missing"].tolist() == [0, 1, 0, 0, 1, 0]
    assert clean["brand"].tolist() == ["a", "b", "(missing)", "a", "b", "b"]
    assert clean["title"].tolist() == ["red phone", "blue case", "red case", "", "phone", "glass"]
    assert "t.csv: dropped 1 of 7 rows with a missing label in 'y'" in caplog.text
    assert "t.csv: missing=impute: dropped 0 of 6 rows with a missing value" in caplog.text
    # no indicator for a column without missing values
    full, report = clean_table(frame.dropna(), types, path="t.csv")
    assert "price__missing" not in full.columns and report["missing_values"] == 0


def test_drop_removes_exactly_the_rows_with_missing_values(caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.table_cleaning")
    frame, types = holey_frame()
    clean, report = clean_table(frame, types, missing="drop", path="t.csv")
    assert clean["id"].tolist() == ["r0", "r6"] and clean.index.tolist() == [0, 6]
    assert report == {"missing_label": 1, "missing_values": 4}
    assert "price__missing" not in clean.columns
    assert "t.csv: missing=drop: dropped 4 of 6 rows with a missing value" in caplog.text
    frame.loc[5, "y"] = "q"
    clean, report = clean_table(frame, types, missing="drop", path="t.csv")
    assert clean["id"].tolist() == ["r0", "r5", "r6"]
    assert report == {"missing_label": 0, "missing_values": 4}
    assert "t.csv: dropped 0 of 7 rows with a missing label in 'y'" in caplog.text


def test_prepare_tabular_chains_and_encodes_labels(tmp_path):
    frame, _ = holey_frame()
    frame.to_parquet(tmp_path / "t.parquet")
    data, types, ids, labels, report = prepare_tabular(tmp_path / "t.parquet",
                                                       {"id": "id", "y": "label"})
    assert types["price"] == "numeric" and types["y"] == "label"
    assert types["price__missing"] == "numeric"  # the indicator is typed too
    assert list(ids) == ["r0", "r1", "r2", "r3", "r4", "r6"]
    assert report["class_names"] == ["p", "q"] and labels.tolist() == [0, 1, 0, 1, 0, 1]
    assert report["missing_label"] == 1 and report["missing_values"] == 0
    # no id column: ids are the 0-based data rows that survived
    _, _, ids, labels, report = prepare_tabular(tmp_path / "t.parquet",
                                                {"id": "drop", "y": "label"}, missing="drop")
    assert ids.tolist() == [0, 6] and labels.tolist() == [0, 1]
    assert report["missing_values"] == 4


# --------------------------------------------------------------------------- no label leaks

def leaky_frame(n=30) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"Unnamed: 0": np.arange(n), "x": rng.normal(size=n),
                         "z": rng.normal(size=n), "label": ["a", "b", "c"] * (n // 3)})


def test_a_column_named_label_is_the_label_not_a_feature(caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.column_types")
    types = infer_column_types(leaky_frame(), {}, "t.csv")
    assert types == {"Unnamed: 0": "id", "x": "numeric", "z": "numeric", "label": "label"}
    assert ("t.csv: column 'label' -> label (inferred: named 'label': the ground truth, "
            "not a feature)") in caplog.text
    assert "t.csv: column 'Unnamed: 0' -> id (inferred: named like a row id" in caplog.text
    # declared otherwise, it is what the declaration says
    assert infer_column_types(leaky_frame(), {"label": "categorical"}, "t.csv")["label"] == \
        "categorical"


@pytest.mark.parametrize("name", ["class", "target", "y", "category", "Class", "labels"])
def test_an_undeclared_label_like_column_stops_with_how_to_declare_it(name):
    frame = leaky_frame().rename(columns={"label": name})
    with pytest.raises(DatasetError) as error:
        infer_column_types(frame, {}, "t.csv", where="datasets.shop.source.columns")
    assert str(error.value) == (
        f"t.csv: column {name!r} looks like a label (by its name) and is not declared. "
        "Clustering on it would leak the answer into the features. Declare it in "
        f"datasets.shop.source.columns: `{name}: label` (the ground truth, never a feature), "
        f"`{name}: categorical` (really a feature) or `{name}: drop`")
    declared = infer_column_types(frame, {name: "label"}, "t.csv")
    assert declared[name] == "label"


def test_id_like_columns_are_ids_never_features(caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.column_types")
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"row": rng.permutation(np.arange(1, 41)), "id": np.arange(40) * 7,
                          "x": rng.normal(size=40)})
    types = infer_column_types(frame, {}, "t.csv")
    assert types == {"row": "id", "id": "drop", "x": "numeric"}
    assert "column 'row' -> id (inferred: row numbers: the values are 1..40)" in caplog.text
    assert ("column 'id' -> drop (inferred: named like a row id ('id'), but 'row' is already "
            "the id column)") in caplog.text


def test_unnamed_index_column_of_a_csv_is_not_clustered(tmp_path):
    path = tmp_path / "t.csv"
    leaky_frame().drop(columns="Unnamed: 0").to_csv(path)  # pandas writes its index unnamed
    frame, types, ids, labels, report = prepare_tabular(path, {})
    assert types["Unnamed: 0"] == "id" and ids.tolist() == list(range(30))
    assert report["label_column"] == "label" and labels.tolist() == [0, 1, 2] * 10
    _, features = vectorize(frame, "tabular", {"column_types": types, "text": {}})
    assert features.shape == (30, 2)  # x and z only: no id, no label


# --------------------------------------------------------------------------- encodings

def test_encoding_option_and_a_decode_error_that_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("name,city\nA,Paris\nB,Köln\n".encode("latin-1"))
    with pytest.raises(DatasetError) as error:
        read_table(path)
    assert str(error.value) == (
        f"{path}: cannot decode as utf-8 at line 3: byte(s) f6 (invalid start byte); set the "
        "file's encoding with the dataset's source.encoding (e.g. latin-1, cp1252)")
    assert read_table(path, encoding="latin-1")["city"].tolist() == ["Paris", "Köln"]
    with pytest.raises(DatasetError, match=r"unknown encoding 'klingon' \(source.encoding\)"):
        read_table(path, encoding="klingon")


# --------------------------------------------------------------------------- text from a table

NEWS = pd.DataFrame({
    "category": ["sport", "tech", "sport", "tech"] * 5,
    "headline": ["match goal", "chip cloud", "league win", "software chip"] * 5,
    "body": ["the team scored twice", "servers and code", "the striker scored",
             "new code for servers"] * 5,
})


def test_text_from_a_table_clusters_the_rows_and_joins_text_columns(tmp_path):
    path = tmp_path / "news.csv"
    NEWS.to_csv(path, index=False)
    spec = {"modality": "text", "labels": "builtin",
            "source": {"kind": "table", "columns": {"category": "label", "headline": "text",
                                                    "body": "text"}}}
    dataset = load_dataset("news", spec, {"table": str(path)})
    assert len(dataset.data) == 20 and dataset.data[0] == "match goal\nthe team scored twice"
    assert dataset.labels.tolist() == [0, 1, 0, 1] * 5
    vectorizer, features = vectorize(dataset.data, "text",
                                     {"text": {"vectorizer": "tfidf", "sublinear_tf": True}})
    assert features.shape[0] == 20  # rows, not the table's column names
    assert {"goal", "striker", "servers"} <= set(vectorizer.get_feature_names_out())


def test_a_table_without_its_label_column_needs_labels_none(tmp_path):
    path = tmp_path / "t.csv"
    NEWS.drop(columns="category").to_csv(path, index=False)
    spec = {"modality": "tabular", "labels": "builtin",
            "source": {"kind": "table", "columns": {"headline": "text", "body": "text"}}}
    with pytest.raises(DatasetError) as error:
        load_dataset("news", spec, {"table": str(path)})
    assert str(error.value) == (
        f"{path}: datasets.news.labels is 'builtin' but the table has no label column (none "
        "declared and none named 'label'); declare it in datasets.news.source.columns (e.g. "
        "`category: label`) or set datasets.news.labels: none")
    assert load_dataset("news", dict(spec, labels="none"), {"table": str(path)}).labels is None


# --------------------------------------------------------------------------- vectorizer

@pytest.fixture(scope="module")
def fitted():
    frame = mixed_frame()
    frame.loc[[3, 7], "price"] = np.nan
    frame["y"] = ["u", "v"] * 20
    types = infer_column_types(frame, {"y": "label"})
    clean, _ = clean_table(frame, types)
    types["price__missing"] = "numeric"
    vectorizer, features = vectorize(clean, "tabular", {"column_types": types, "text": {}})
    return clean, vectorizer, features


def test_vectorizer_layout_and_values(fitted):
    clean, vectorizer, X = fitted
    X = X.toarray() if hasattr(X, "toarray") else X
    names = feature_names(vectorizer)
    assert X.dtype == np.float32 and X.shape == (40, len(names))
    col = {n: i for i, n in enumerate(names)}
    assert names[:2] == ["numeric__price", "missing__price__missing"]
    assert sorted(n for n in names if n.startswith("categorical__")) == \
        ["categorical__brand_Apple", "categorical__brand_Nokia", "categorical__brand_Samsung"]
    assert not any(c in n for n in names for c in ("sku", "page", "__y"))
    price = X[:, col["numeric__price"]]
    assert abs(price.mean()) < 1e-5 and abs(price.std() - 1) < 1e-3
    assert X[:, col["missing__price__missing"]].tolist() == \
        [1.0 if i in (3, 7) else 0.0 for i in range(40)]
    onehot = X[:, [i for n, i in col.items() if n.startswith("categorical__")]]
    assert (onehot.sum(axis=1) == 1).all()
    text = {n.split("__", 1)[1]: i for n, i in col.items() if n.startswith("text_title__")}
    for row in (0, 5, 13):  # counts of the title's words (stop words removed)
        words = clean["title"].iloc[row].lower().split()
        assert {w for w, i in text.items() if X[row, i] > 0} == set(words) & set(text)


def test_unseen_category_and_new_rows(fitted):
    clean, vectorizer, _ = fitted
    new = pd.DataFrame({"price": [100.0, 250.0], "price__missing": [0.0, 0.0],
                        "brand": ["Samsung", "Fairphone"], "title": ["red phone", "unknownword"],
                        "sku": ["x", "y"]})
    X = apply_vectorizer(vectorizer, new, "tabular")
    X = X.toarray() if hasattr(X, "toarray") else X
    names = feature_names(vectorizer)
    assert X.shape == (2, len(names)) and np.isfinite(X).all()
    brand = [i for i, n in enumerate(names) if n.startswith("categorical__")]
    assert X[0, brand].sum() == 1 and X[1, brand].sum() == 0  # unseen: all zeros
    assert X[0, names.index("text_title__red")] == 1.0


def test_tf_idf_options_for_text_columns():
    frame = pd.DataFrame({"t": ["red phone red red", "red case", "blue phone case", "red"],
                          "n": [1.0, 2.0, 3.0, 4.0]})
    settings = {"vectorizer": "tfidf", "sublinear_tf": True, "norm": "l2", "max_features": 3}
    vectorizer, X = vectorize(frame, "tabular", {"column_types": {"n": "numeric", "t": "text"},
                                                  "text": settings})
    X = X.toarray() if hasattr(X, "toarray") else X
    assert X.shape == (4, 1 + 3)
    assert np.allclose(np.linalg.norm(X[:, 1:], axis=1), 1.0)  # each row's terms L2-normed


def test_text_column_without_words_is_left_out(caplog):
    frame = pd.DataFrame({"t": ["", "!!", ""], "n": [1.0, 2.0, 3.0]})
    vectorizer, X = vectorize(frame, "tabular", {"column_types": {"t": "text", "n": "numeric"},
                                                  "text": {}})
    assert feature_names(vectorizer) == ["numeric__n"] and X.shape == (3, 1)
    assert "text column 't' has no words; left out" in caplog.text


# --------------------------------------------------------------------------- real data

def test_amazon_items_keep_all_rows_by_default():
    frame, types, ids, labels, report = prepare_tabular(AMAZON, AMAZON_COLUMNS)
    assert len(frame) == 720 and len(set(ids)) == 720 and labels is None
    assert report["missing_values"] == 0 and (frame["brand"] == "(missing)").sum() == 4
    _, X = vectorize(frame, "tabular", {"column_types": types, "text": {}})
    assert X.shape[0] == 720 and np.isfinite(X.data if hasattr(X, "data") else X).all()
