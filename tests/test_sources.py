"""deepclust.data.sources: where raw files are read, one download with its record, and the
checks before the prepare rule reads them (real MNIST labels file from ../shared/data)."""

import json
import logging
import os
import shutil

import pytest
from dataserver import DATA, Server

from deepclust.data.download import DownloadError, sha256_of
from deepclust.data.sources import (
    download_file,
    prepare_inputs,
    raw_files,
    record_input,
    verified_files,
)
from deepclust.workflow.config import ConfigError

LABELS = DATA / "mnist/t10k-labels-idx1-ubyte.gz"
LABELS_SHA = "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c"


def test_raw_files_are_planned_without_looking_at_the_disk():
    files = {"images": {"url": "https://example.org/x/images.gz", "sha256": "a" * 64},
             "labels": {"url": "file:///data/labels.gz", "filename": "y.gz"},
             "table": {"url": "mine/table.csv"},
             "kaggled": {"kaggle": "owner/set", "kaggle_file": "items.csv"},
             "placed": {"filename": "placed.h5"}}

    planned = raw_files("d", files, "dl", kaggle=True)

    assert {k: (f.path, f.source, f.downloaded) for k, f in planned.items()} == {
        "images": ("dl/d/images.gz", "https://example.org/x/images.gz", True),
        "labels": ("dl/d/y.gz", "file:///data/labels.gz", True),
        "table": ("mine/table.csv", "local", False),  # the user's own file, used in place
        "kaggled": ("dl/d/items.csv", "kaggle:owner/set/items.csv", True),
        "placed": ("dl/d/placed.h5", "local", False),  # put there by the user
    }
    assert planned["images"].record == "dl/d/images.gz.download.json"
    assert planned["images"].sha256 == "a" * 64
    assert planned["table"].record is None
    # without Kaggle credentials the user puts the Kaggle file in place
    assert not raw_files("d", files, "dl", kaggle=False)["kaggled"].downloaded


def test_two_keys_on_one_local_file_are_a_config_error():
    with pytest.raises(ConfigError) as info:
        raw_files("d", {"images": {"url": "https://a.org/data.gz"},
                        "labels": {"url": "https://b.org/data.gz"}}, "dl", kaggle=False)
    assert str(info.value) == ("datasets.d.source.files: images and labels are both saved "
                               "as dl/d/data.gz; give labels another filename")
    with pytest.raises(ConfigError, match=r"a and b both read \./t.csv; each key needs"):
        raw_files("d", {"a": {"url": "t.csv"}, "b": {"url": "./t.csv"}}, "dl", kaggle=False)
    with pytest.raises(ConfigError, match="download records use"):
        raw_files("d", {"a": {"url": "https://a.org/x.download.json"}}, "dl", kaggle=False)


def test_prepare_inputs_name_each_file_by_key_and_missing_local_files_say_what_to_do(
        tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("x\n1\n")
    files = {"images": {"url": "https://a.org/i.gz"}, "table": {"url": str(table)}}
    inputs = prepare_inputs("d", files, raw_files("d", files, "dl", kaggle=False))
    assert inputs == {"images": "dl/d/i.gz", "images_record": "dl/d/i.gz.download.json",
                      "table": str(table)}  # the downloads need not exist yet

    table.unlink()
    with pytest.raises(DownloadError, match=f"cannot read {table}: file not found "
                                            r"\(datasets.d.source.files.table.url\)"):
        prepare_inputs("d", files, raw_files("d", files, "dl", kaggle=False))
    files = {"table": {"kaggle": "o/s", "kaggle_file": "items.csv"}}
    with pytest.raises(DownloadError, match="kaggle.com/datasets/o/s .* put it at "
                                            "dl/d/items.csv"):
        prepare_inputs("d", files, raw_files("d", files, "dl", kaggle=False))


def download(tmp_path, entry):
    dest = tmp_path / "dl" / "labels.gz"
    dest.parent.mkdir(exist_ok=True)
    record = download_file("d", "labels", entry, dest, f"{dest}.download.json")
    return dest, record


def test_download_records_the_source_and_sha256(tmp_path):
    entry = {"url": LABELS.as_uri()}
    dest, record = download(tmp_path, entry)
    assert record == {"file": "labels.gz", "source": LABELS.as_uri(), "sha256": LABELS_SHA,
                      "bytes": 4542}
    assert json.loads((tmp_path / "dl/labels.gz.download.json").read_text()) == record
    assert sha256_of(dest) == LABELS_SHA


def test_a_rerun_keeps_a_verified_file_and_fetches_a_changed_one(tmp_path, caplog):
    server = Server(DATA)
    try:
        entry = {"url": server.url("mnist/t10k-labels-idx1-ubyte.gz")}
        dest, _ = download(tmp_path, entry)
        with caplog.at_level(logging.INFO, logger="deepclust.data.sources"):
            download(tmp_path, entry)  # same source, recorded sha256: kept
            download(tmp_path, dict(entry, sha256=LABELS_SHA))  # configured sha256: kept
        assert sum("cached" in r.getMessage() for r in caplog.records) == 2
        assert server.requests("mnist/t10k-labels-idx1-ubyte.gz") == 1

        dest.write_bytes(b"changed on disk")
        download(tmp_path, entry)  # no longer what was recorded: fetched anew
        assert server.requests("mnist/t10k-labels-idx1-ubyte.gz") == 2
        assert sha256_of(dest) == LABELS_SHA

        (tmp_path / "dl/labels.gz.download.json").unlink()
        download(tmp_path, entry)  # no record of the download: fetched anew
        assert server.requests("mnist/t10k-labels-idx1-ubyte.gz") == 3
        download(tmp_path, dict(entry, url=entry["url"] + "?v=2"))  # another source
        assert server.requests("mnist/t10k-labels-idx1-ubyte.gz") == 4
    finally:
        server.close()


def test_a_file_url_source_is_copied_anew(tmp_path):
    source = tmp_path / "labels.gz"
    shutil.copyfile(LABELS, source)
    dest, _ = download(tmp_path, {"url": source.as_uri()})
    source.write_bytes(b"a new version")
    dest, record = download(tmp_path, {"url": source.as_uri()})
    assert dest.read_bytes() == b"a new version"
    assert record["sha256"] == sha256_of(source)


def test_verified_files_check_configured_and_recorded_sha256(tmp_path):
    dest, _ = download(tmp_path, {"url": LABELS.as_uri()})
    inputs = {"labels": str(dest), record_input("labels"): f"{dest}.download.json"}
    files = {"labels": {"url": LABELS.as_uri()}}
    assert verified_files("d", files, inputs) == {"labels": str(dest)}

    os.chmod(dest, 0o644)
    dest.write_bytes(b"tampered")
    actual = sha256_of(dest)
    with pytest.raises(DownloadError) as info:
        verified_files("d", files, inputs)
    assert str(info.value) == (
        f"{dest}: sha256 {actual}, but it was {LABELS_SHA} when downloaded from "
        f"{LABELS.as_uri()} ({dest}.download.json); it changed after it was downloaded: "
        "delete it and run again: the download rule fetches it anew")

    files = {"labels": {"url": str(dest), "sha256": LABELS_SHA}}  # the user's own file
    with pytest.raises(DownloadError) as info:
        verified_files("d", files, {"labels": str(dest)})
    assert str(info.value).startswith(
        f"{dest}: sha256 {actual}, expected {LABELS_SHA} (datasets.d.source.files.labels."
        "sha256); check the file")
