"""Model and array files are written atomically (deepclust.atomic) and an unreadable one
is reported as such, naming the file."""

import numpy as np
import pytest

from deepclust.atomic import ModelFileError, atomic_path, load_model_file
from deepclust.features import load_fitted, load_matrix, save_array, save_fitted, save_matrix


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_success_leaves_exactly_the_final_file(tmp_path):
    final = tmp_path / "sub" / "embedding.npy"  # the folder is created
    with atomic_path(final) as tmp:
        assert tmp.parent == final.parent and tmp.suffix == ".npy" and tmp != final
        np.save(tmp, np.arange(5))
        assert not final.exists()  # nothing at the final path until the block is done
    assert _files(final.parent) == ["embedding.npy"]
    np.testing.assert_array_equal(np.load(final), np.arange(5))


def test_an_exception_in_the_block_leaves_no_file_and_no_temporary_file(tmp_path):
    final = tmp_path / "clusterer.joblib"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"half a model")
            raise RuntimeError("boom")
    assert _files(tmp_path) == []


def test_a_writer_that_writes_half_and_fails_keeps_the_previous_complete_file(tmp_path):
    final = tmp_path / "model.joblib"
    save_fitted({"version": 1}, final)

    class DiskFull:
        def __reduce__(self):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        save_fitted({"version": 2, "big": np.zeros(100_000), "tail": DiskFull()}, final)
    assert _files(tmp_path) == ["model.joblib"]
    assert load_fitted(final) == {"version": 1}


def test_a_failed_first_write_leaves_nothing(tmp_path):
    class Unpicklable:
        def __reduce__(self):
            raise TypeError("cannot pickle this")

    with pytest.raises(TypeError):
        save_fitted([np.zeros(10_000), Unpicklable()], tmp_path / "reducer.joblib")
    class NoArray:
        def __array__(self, dtype=None, copy=None):
            raise ValueError("not an array")

    with pytest.raises(ValueError):
        save_array(tmp_path / "embedding.npy", NoArray())
    with pytest.raises(ValueError):
        save_matrix(tmp_path / "features.npz", NoArray())
    assert _files(tmp_path) == []


def test_arrays_and_matrices_round_trip_under_their_own_names(tmp_path):
    import scipy.sparse as sp

    save_array(tmp_path / "view.npy", np.eye(3))
    save_matrix(tmp_path / "dense.npz", np.ones((2, 3), np.float32))
    save_matrix(tmp_path / "sparse.npz", sp.random(5, 4, density=0.5, format="csr"))
    assert _files(tmp_path) == ["dense.npz", "sparse.npz", "view.npy"]  # no ".npy.npy"
    np.testing.assert_array_equal(load_matrix(tmp_path / "view.npy"), np.eye(3))
    assert load_matrix(tmp_path / "dense.npz").shape == (2, 3)
    assert sp.issparse(load_matrix(tmp_path / "sparse.npz"))


def test_a_keras_model_saved_through_the_path_reloads(tmp_path):
    import keras

    from deepclust.encoders.training import load_autoencoder

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    final = tmp_path / "autoencoder.keras"
    with atomic_path(final) as tmp:
        model.save(tmp)
    assert _files(tmp_path) == ["autoencoder.keras"]
    x = np.random.default_rng(0).random((2, 4)).astype(np.float32)
    np.testing.assert_allclose(load_autoencoder(final).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_keras_model_is_reported_as_unreadable_not_as_missing(tmp_path):
    import keras

    from deepclust.cluster.dec import load_dec

    final = tmp_path / "dec.keras"
    with atomic_path(final) as tmp:
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]).save(tmp)
    _truncate(final)
    with pytest.raises(ModelFileError) as info:
        load_dec(final)
    message = str(info.value)
    assert message.startswith(f"{final}: unreadable, not a complete .keras (zip) file (")
    assert "truncated or corrupt); delete it and rerun the workflow to recreate it" in message
    assert "not found" not in message.lower()


@pytest.mark.parametrize("size", ["half", "empty"])
def test_a_truncated_joblib_or_npy_file_is_reported_as_unreadable(tmp_path, size):
    fitted, array = tmp_path / "clusterer.joblib", tmp_path / "embedding.npy"
    save_fitted({"centers": np.zeros((10, 8))}, fitted)
    save_array(array, np.zeros((10, 8)))
    for path, load in ((fitted, load_fitted), (array, load_matrix)):
        if size == "half":
            _truncate(path)
        else:
            path.write_bytes(b"")
        with pytest.raises(ModelFileError, match=r"^" + str(path).replace(".", r"\.")
                           + r": unreadable \(\d+ bytes; truncated or corrupt\?\): \w+"):
            load(path)
        with pytest.raises(ModelFileError, match="delete it and rerun the workflow"):
            load(path)


def test_a_missing_model_file_is_reported_as_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"^{tmp_path / 'x.joblib'}: file not found$"):
        load_fitted(tmp_path / "x.joblib")
    with pytest.raises(FileNotFoundError):
        load_model_file(tmp_path / "x.keras", lambda path: None)
