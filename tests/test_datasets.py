import json

import numpy as np
import pytest

from deepclust.data.datasets import (
    Dataset,
    DatasetError,
    clean,
    load_dataset,
    read_labels,
    read_prepared,
    write_prepared,
)
from deepclust.data.scaling import fit_scaler

DIGITS = {"modality": "image", "source": {"kind": "sklearn", "name": "digits"},
          "labels": "builtin"}


def test_digits_loads_with_labels_and_ids():
    ds = load_dataset("digits", DIGITS)
    assert ds.data.shape == (1797, 64) and ds.data.dtype == np.float32
    assert sorted(np.unique(ds.labels)) == list(range(10))
    assert (ds.ids == np.arange(1797)).all()
    assert ds.meta["image_shape"] == [8, 8, 1]


def test_labels_none_drops_the_labels():
    assert load_dataset("digits", dict(DIGITS, labels="none")).labels is None


def test_unknown_bundled_dataset_names_the_setting():
    with pytest.raises(DatasetError, match=r"datasets\.x\.source\.name: .* 'nope'"):
        load_dataset("x", dict(DIGITS, source={"kind": "sklearn", "name": "nope"}))


def test_head_keeps_the_first_rows_of_every_modality():
    import pandas as pd

    ds = load_dataset("digits", DIGITS).head(100)
    assert ds.data.shape == (100, 64) and ds.ids.tolist() == list(range(100))
    assert len(ds.labels) == 100 and ds.meta["sliced_from"] == 1797
    text = Dataset(["a", "b", "c"], np.arange(3), np.array([0, 1, 0])).head(2)
    assert text.data == ["a", "b"] and text.labels.tolist() == [0, 1]
    table = Dataset(pd.DataFrame({"x": [1, 2, 3]}, index=[5, 6, 7]), np.arange(3)).head(1)
    assert table.data["x"].tolist() == [1] and table.data.index.tolist() == [0]
    whole = load_dataset("digits", DIGITS)
    assert whole.head(None) is whole and whole.head(5000) is whole


def test_clean_drops_rows_with_missing_values():
    X = np.array([[1, 2], [np.nan, 1], [3, np.inf], [4, 5]], dtype=np.float32)
    ds = clean(Dataset(X, np.arange(4), np.array([0, 1, 1, 1])), "t")
    assert ds.ids.tolist() == [0, 3] and ds.labels.tolist() == [0, 1]


def test_clean_rejects_single_class_labels_and_empty_data():
    with pytest.raises(DatasetError, match="single class"):
        clean(Dataset(np.ones((3, 2), np.float32), np.arange(3), np.zeros(3)), "t")
    with pytest.raises(DatasetError, match=r"every row was dropped \(missing/infinite values\)"):
        clean(Dataset(np.full((2, 2), np.nan, np.float32), np.arange(2)), "t")


def test_write_prepared_round_trip(tmp_path):
    ds = load_dataset("digits", DIGITS)
    paths = [tmp_path / n for n in ("data.joblib", "rows.csv", "meta.json")]
    write_prepared(ds, *paths)
    assert read_prepared(paths[0]).shape == (1797, 64)
    assert (read_labels(paths[1]) == ds.labels).all()
    meta = json.loads(paths[2].read_text())
    assert meta["n_rows"] == 1797 and meta["has_labels"] is True


@pytest.mark.parametrize("kind", ["global_minmax", "minmax", "standard", "none"])
def test_scalers(kind):
    X = np.array([[0, 16], [8, 4], [16, 0]], dtype=np.float32)
    scaler, scaled = fit_scaler(X, kind)
    assert scaled.dtype == np.float32
    assert np.allclose(scaler.transform(X), scaled)
    if kind == "global_minmax":
        assert np.allclose(scaled, X / 16)


def test_an_image_dataset_without_a_scaling_setting_keeps_its_pixels_relative(tmp_path):
    """Found in a new-user run: an HDF5 of 8x8 digits (pixels 0..16) without a scaling setting
    was standardised pixel by pixel (range -3..42), which blew up rare border pixels and made
    shifted copies fill with non-background values; KMeans fell from 0.79 to 0.59."""
    from deepclust.data.vectorizers import vectorize
    from deepclust.workflow.config import load_config

    mine = tmp_path / "mine.yaml"
    mine.write_text("datasets:\n  mine: {modality: image, source: {kind: sklearn, name: digits},"
                    " labels: none, k: 10}\n")
    settings = load_config(mine)["datasets"]["mine"]
    assert settings["scaling"] == "global_minmax"
    pixels = np.random.default_rng(0).integers(0, 17, size=(50, 64)).astype(np.float32)
    pixels[:, 0] = 0
    pixels[0, 0] = 16  # a pixel lit in one image only
    np.testing.assert_allclose(vectorize(pixels, "image", settings)[1], pixels / 16, rtol=1e-6)
    _, standardised = vectorize(pixels, "image", {**settings, "scaling": "standard"})
    assert standardised[0, 0] == pytest.approx(7.0, rel=1e-3)  # what the old default did to it
