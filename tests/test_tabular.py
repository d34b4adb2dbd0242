"""The tabular path: reading, column-type inference, cleaning and the Keras vectorizer."""

import logging
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepclust.datasets import DatasetError
from deepclust.tabular import TabularVectorizer, clean_table, infer_column_types, \
    prepare_tabular, read_table

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
    caplog.set_level(logging.INFO, logger="deepclust.tabular")
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
    caplog.set_level(logging.INFO, logger="deepclust.tabular")
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
    caplog.set_level(logging.INFO, logger="deepclust.tabular")
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
    caplog.set_level(logging.INFO, logger="deepclust.tabular")
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
    data, types, ids, labels, report = prepare_tabular(tmp_path / "t.parquet", {"id": "id"},
                                                       label="y")
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


# --------------------------------------------------------------------------- vectorizer

@pytest.fixture(scope="module")
def fitted():
    frame = mixed_frame()
    frame.loc[[3, 7], "price"] = np.nan
    frame["y"] = ["u", "v"] * 20
    types = infer_column_types(frame, {"y": "label"})
    clean, _ = clean_table(frame, types)
    return clean, TabularVectorizer(types).fit(clean)


def test_vectorizer_layout_and_values(fitted):
    clean, vectorizer = fitted
    X = vectorizer.transform(clean)
    names = vectorizer.feature_names()
    assert X.dtype == np.float32 and X.shape == (40, len(names))
    assert names[:2] == ["price", "price__missing"]
    assert sorted(n for n in names if n.startswith("brand=")) == \
        ["brand=Apple", "brand=Nokia", "brand=Samsung", "brand=[UNK]"]
    assert not any(n.split("=")[0].split(":")[0] in ("sku", "sku2", "page", "y") for n in names)
    col = {n: i for i, n in enumerate(names)}
    price = X[:, col["price"]]
    assert abs(price.mean()) < 1e-5 and abs(price.std() - 1) < 1e-3
    assert X[:, col["price__missing"]].tolist() == [1.0 if i in (3, 7) else 0.0 for i in range(40)]
    onehot = X[:, [i for n, i in col.items() if n.startswith("brand=")]]
    assert set(np.unique(onehot)) == {0.0, 1.0} and (onehot.sum(axis=1) == 1).all()
    assert X[:, col["brand=[UNK]"]].sum() == 0  # nothing unseen in the fitted rows
    text = {n: i for n, i in col.items() if n.startswith("title:")}
    assert set(np.unique(X[:, list(text.values())])) == {0.0, 1.0}
    for row in (0, 5, 13):
        words = set(clean["title"].iloc[row].lower().split())
        marked = {n[len("title:"):] for n, i in text.items() if X[row, i] == 1}
        assert marked == words & {n[len("title:"):] for n in text}


def test_unseen_category_and_new_rows(fitted):
    clean, vectorizer = fitted
    new = pd.DataFrame({"price": [100.0, 250.0], "brand": ["Samsung", "Fairphone"],
                        "title": ["red phone", "unknownword"], "sku": ["x", "y"]})
    X = vectorizer.transform(new)  # no price__missing column: no missing values, zeros
    names = vectorizer.feature_names()
    assert X.shape == (2, len(names)) and np.isfinite(X).all()
    assert X[:, names.index("price__missing")].tolist() == [0.0, 0.0]
    assert X[:, names.index("brand=Samsung")].tolist() == [1.0, 0.0]
    assert X[:, names.index("brand=[UNK]")].tolist() == [0.0, 1.0]
    assert X[1, names.index("title:[UNK]")] == 1.0 and X[0, names.index("title:red")] == 1.0
    with pytest.raises(DatasetError, match="column 'brand' \\(categorical\\) is not in the table"):
        vectorizer.transform(new.drop(columns="brand"))


def test_save_load_and_pickle_round_trip(fitted, tmp_path):
    clean, vectorizer = fitted
    X = vectorizer.transform(clean)
    vectorizer.save(tmp_path / "v.keras")
    assert [p.name for p in tmp_path.iterdir()] == ["v.keras"]  # one file
    loaded = TabularVectorizer.load(tmp_path / "v.keras")
    assert loaded.feature_names() == vectorizer.feature_names()
    assert np.array_equal(loaded.transform(clean), X)
    assert sorted(loaded.model.input) == sorted(["price", "price__missing", "brand", "title"])
    unpickled = pickle.loads(pickle.dumps(vectorizer))
    assert np.array_equal(unpickled.transform(clean), X)


def test_tf_idf_mode_round_trips(tmp_path):
    frame = pd.DataFrame({"t": ["red phone", "red case", "blue phone case", "red"],
                          "odd/name": [1.0, 2.0, 3.0, 4.0]})  # '/' is not allowed in Keras names
    vectorizer = TabularVectorizer({"odd/name": "numeric", "t": "text"}, text_mode="tf_idf",
                                   text_max_tokens=3).fit(frame)
    X = vectorizer.transform(frame)
    assert vectorizer.feature_names()[0] == "odd/name" and X.shape == (4, 1 + 3)
    vectorizer.save(tmp_path / "v.keras")
    loaded = TabularVectorizer.load(tmp_path / "v.keras")
    assert loaded.text_mode == "tf_idf" and loaded.text_max_tokens == 3
    assert np.array_equal(loaded.transform(frame), X)


def test_text_column_without_words_is_left_out(caplog):
    frame = pd.DataFrame({"t": ["", "!!", ""], "n": [1.0, 2.0, 3.0]})
    vectorizer = TabularVectorizer({"t": "text", "n": "numeric"}).fit(frame)
    assert vectorizer.feature_names() == ["n"] and vectorizer.transform(frame).shape == (3, 1)
    assert "text column 't' has no words; left out" in caplog.text


# --------------------------------------------------------------------------- real data

def test_amazon_items_keep_all_rows_by_default():
    frame, types, ids, labels, report = prepare_tabular(AMAZON, AMAZON_COLUMNS)
    assert len(frame) == 720 and len(set(ids)) == 720 and labels is None
    assert report["missing_values"] == 0 and (frame["brand"] == "(missing)").sum() == 4
    X = TabularVectorizer(types).fit(frame).transform(frame)
    assert X.shape[0] == 720 and np.isfinite(X).all()
