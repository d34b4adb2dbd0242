"""Loaders of downloaded files, on small files made here (real data: test_real_datasets.py)."""

import gzip
import io
import tarfile

import numpy as np
import pytest

from deepclust.data.datasets import DatasetError, clean, clean_text, load_dataset, read_idx


def write_idx(path, array, compress=True):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    (gzip.open if compress else open)(path, "wb").write(payload)


def make_imdb(path, reviews):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in reviews.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


IDX = {"modality": "image", "source": {"kind": "idx"}}
IMDB = {"modality": "text", "source": {"kind": "imdb", "splits": ["train"]}}


@pytest.mark.parametrize("compress", [True, False])
def test_idx_images_and_labels(tmp_path, compress):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    write_idx(tmp_path / "i.gz", images, compress)
    write_idx(tmp_path / "l.gz", np.array([7, 1, 7], np.uint8), compress)
    ds = load_dataset("m", IDX, {"images": tmp_path / "i.gz", "labels": tmp_path / "l.gz"})
    assert ds.data.shape == (3, 20) and ds.data.dtype == np.float32
    assert (ds.data[1] == images[1].ravel()).all()
    assert ds.labels.tolist() == [7, 1, 7] and ds.meta["image_shape"] == [4, 5, 1]


def test_idx_errors_name_the_file(tmp_path):
    bad = tmp_path / "images.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DatasetError, match=r"images\.gz: cannot read the gzip stream"):
        read_idx(bad)
    bad.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(DatasetError, match=r"images\.gz: not an IDX file \(bad magic number"):
        read_idx(bad)
    write_idx(tmp_path / "i.gz", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "l.gz", np.zeros(2, np.uint8))
    with pytest.raises(DatasetError, match=r"l\.gz: 2 labels for 3 images"):
        load_dataset("m", IDX, {"images": tmp_path / "i.gz", "labels": tmp_path / "l.gz"})


def test_imdb_reads_reviews_and_labels_from_the_archive(tmp_path):
    make_imdb(tmp_path / "a.tar.gz", {
        "aclImdb/README": "readme",
        "aclImdb/train/pos/1_9.txt": "Great<br />film!",
        "aclImdb/train/neg/2_1.txt": "Awful.",
        "aclImdb/train/unsup/3_0.txt": "unlabelled",
        "aclImdb/test/pos/4_8.txt": "test split",
    })
    ds = load_dataset("imdb", IMDB, {"archive": tmp_path / "a.tar.gz"})
    assert ds.ids.tolist() == ["train/neg/2_1", "train/pos/1_9"]
    assert ds.labels.tolist() == [0, 1] and ds.data == ["Awful.", "Great<br />film!"]
    both = dict(IMDB, source={"kind": "imdb", "splits": ["train", "test"]})
    assert len(load_dataset("imdb", both, {"archive": tmp_path / "a.tar.gz"}).data) == 3


def test_imdb_archive_that_is_not_gzip_tar(tmp_path):
    (tmp_path / "a.tar.gz").write_text("<html>404 not found</html>")
    with pytest.raises(DatasetError, match=r"a\.tar\.gz: not a readable gzip/tar archive"):
        load_dataset("imdb", IMDB, {"archive": tmp_path / "a.tar.gz"})


def test_text_cleaning_strips_html_case_and_stop_words():
    assert clean_text(["This is a GREAT film.<br /><br />The best"]) == ["great film best"]
    assert clean_text(["A <b>B</b>"], stop_words="none", lowercase=False) == ["A  B "]


def test_clean_drops_texts_that_end_up_empty():
    from deepclust.data.datasets import Dataset
    ds = Dataset(["the and of", "good movie", "bad"], np.array(["a", "b", "c"]),
                 np.array([0, 1, 0]))
    cleaned = clean(ds, "t")
    assert cleaned.data == ["good movie", "bad"] and cleaned.ids.tolist() == ["b", "c"]


def write_usps_like(path, n_train=5, n_test=3, flat=True):
    import h5py

    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as h5:
        for split, n in (("train", n_train), ("test", n_test)):
            images = rng.random((n, 16, 16), dtype=np.float32)
            h5[f"{split}/data"] = images.reshape(n, -1) if flat else images
            h5[f"{split}/target"] = np.arange(n, dtype=np.int32) % 3


HDF5 = {"modality": "image", "source": {"kind": "hdf5", "splits": [
    {"images": "train/data", "labels": "train/target"},
    {"images": "test/data", "labels": "test/target"}]}}


@pytest.mark.parametrize("flat", [True, False])
def test_hdf5_splits_are_concatenated_in_order(tmp_path, flat):
    write_usps_like(tmp_path / "u.h5", flat=flat)
    ds = load_dataset("usps", HDF5, {"data": tmp_path / "u.h5"})
    assert ds.data.shape == (8, 256) and ds.data.dtype == np.float32
    assert ds.labels.tolist() == [0, 1, 2, 0, 1, 0, 1, 2]
    assert list(ds.ids[:2]) == ["train/0", "train/1"] and ds.ids[5] == "test/0"
    assert ds.meta["image_shape"] == [16, 16, 1]


def test_hdf5_errors_name_the_file_and_setting(tmp_path):
    write_usps_like(tmp_path / "u.h5")
    spec = {"modality": "image", "source": {"kind": "hdf5", "splits": [{"images": "tr/data"}]}}
    with pytest.raises(DatasetError) as error:
        load_dataset("usps", spec, {"data": tmp_path / "u.h5"})
    assert str(error.value) == (f"{tmp_path / 'u.h5'}: no dataset 'tr/data' in the HDF5 file "
                                "(datasets.usps.source.splits); it holds: test/data, "
                                "test/target, train/data, train/target")
    (tmp_path / "bad.h5").write_bytes(b"not hdf5")
    with pytest.raises(DatasetError, match=r"bad\.h5: not a readable HDF5 file"):
        load_dataset("usps", HDF5, {"data": tmp_path / "bad.h5"})
    odd = dict(HDF5["source"], image_shape=[10, 10])
    with pytest.raises(DatasetError, match=r"rows of 256 values do not make images of shape "
                                           r"\[10, 10\]; set datasets\.usps\.source\.image_shape"):
        load_dataset("usps", dict(HDF5, source=odd), {"data": tmp_path / "u.h5"})
