"""deepclust.data.download.fetch against the real MNIST files, served over HTTP on 127.0.0.1.

The files are read from ../shared/data (see its README.md), never copied into
the repository; the destinations are in pytest's tmp_path.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import socket
import struct
from pathlib import Path

import pytest
from dataserver import DATA, Server

from deepclust.data import download
from deepclust.data.download import DownloadError, fetch, sha256_of

LABELS = "mnist/t10k-labels-idx1-ubyte.gz"
LABELS_SHA = "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c"
IMAGES = "mnist/t10k-images-idx3-ubyte.gz"
IMAGES_SHA = "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b"



@pytest.fixture
def serve():
    """serve(folder) -> a running Server; all are shut down after the test."""
    servers = []

    def start(root: Path) -> Server:
        servers.append(Server(root))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def server(serve):
    """The real data folder over HTTP."""
    return serve(DATA)


def assert_no_leftovers(folder: Path):
    assert not folder.exists() or sorted(os.listdir(folder)) == []


def read_idx1_header(path: Path) -> tuple[int, int]:
    with gzip.open(path, "rb") as handle:
        return struct.unpack(">II", handle.read(8))


# --------------------------------------------------------------------------- HTTP


def test_http_fetch_gives_the_verified_labels_file(server, tmp_path):
    dest = tmp_path / "raw" / "labels.gz"  # parent folder does not exist yet
    result = fetch(server.url(LABELS), dest, LABELS_SHA)

    assert result == dest
    assert sha256_of(dest) == LABELS_SHA
    assert dest.stat().st_size == (DATA / LABELS).stat().st_size == 4542
    assert read_idx1_header(dest) == (2049, 10_000)  # IDX1 magic, 10,000 labels
    assert os.listdir(dest.parent) == ["labels.gz"]  # no temporary file left
    assert server.requests(LABELS) == 1


def test_checksum_mismatch_deletes_the_download(serve, tmp_path):
    corrupt_dir = tmp_path / "served"
    corrupt_dir.mkdir()
    corrupt = corrupt_dir / "labels.gz"
    data = bytearray((DATA / LABELS).read_bytes())
    data[100] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    actual = sha256_of(corrupt)
    assert actual != LABELS_SHA
    server = serve(corrupt_dir)
    out = tmp_path / "out"

    with pytest.raises(DownloadError) as info:
        fetch(server.url("labels.gz"), out / "labels.gz", LABELS_SHA, backoff=0)

    message = str(info.value)
    assert "checksum mismatch" in message
    assert server.url("labels.gz") in message
    assert f"expected sha256 {LABELS_SHA}" in message
    assert f"got {actual}" in message
    assert_no_leftovers(out)
    assert server.requests("labels.gz") == 1  # a wrong checksum is not retried


def test_second_fetch_uses_the_cache_without_a_request(server, tmp_path, caplog):
    dest = tmp_path / "labels.gz"
    fetch(server.url(LABELS), dest, LABELS_SHA)
    mtime = dest.stat().st_mtime_ns
    assert server.requests(LABELS) == 1

    with caplog.at_level(logging.INFO, logger="deepclust.data.download"):
        assert fetch(server.url(LABELS), dest, LABELS_SHA) == dest
        assert fetch(server.url(LABELS), dest) == dest  # no checksum: existence suffices

    assert server.requests(LABELS) == 1
    assert dest.stat().st_mtime_ns == mtime
    assert sum("cached" in r.getMessage() for r in caplog.records) == 2


def test_cached_file_with_wrong_digest_is_downloaded_again(server, tmp_path):
    dest = tmp_path / "labels.gz"
    dest.write_bytes(b"stale partial content")

    fetch(server.url(LABELS), dest, LABELS_SHA)

    assert server.requests(LABELS) == 1
    assert sha256_of(dest) == LABELS_SHA


def test_cache_hit_does_not_open_the_source(tmp_path):
    dest = tmp_path / "labels.gz"
    shutil.copyfile(DATA / LABELS, dest)
    # The source does not exist: reaching it would fail.
    assert fetch(tmp_path / "missing.gz", dest, LABELS_SHA) == dest


def test_http_404_fails_at_once(server, tmp_path):
    url = server.url("mnist/no-such-file.gz")
    with pytest.raises(DownloadError) as info:
        fetch(url, tmp_path / "out" / "x.gz", backoff=0)

    message = str(info.value)
    assert url in message
    assert "HTTP 404" in message
    assert "not retried" in message
    assert server.requests("mnist/no-such-file.gz") == 1
    assert_no_leftovers(tmp_path / "out")


def test_http_403_is_permanent(server, tmp_path):
    server.fail_first(LABELS, 403)
    with pytest.raises(DownloadError, match="HTTP 403"):
        fetch(server.url(LABELS), tmp_path / "labels.gz", backoff=0)
    assert server.requests(LABELS) == 1


def test_transient_503_is_retried_until_success(server, tmp_path, caplog):
    server.fail_first(LABELS, 503, 503)
    dest = tmp_path / "labels.gz"

    with caplog.at_level(logging.INFO, logger="deepclust.data.download"):
        fetch(server.url(LABELS), dest, LABELS_SHA, backoff=0)

    assert server.requests(LABELS) == 3
    assert sha256_of(dest) == LABELS_SHA
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2
    assert all("503" in line for line in retries)
    assert os.listdir(tmp_path) == ["labels.gz"]


def test_transient_errors_give_up_after_the_retries(server, tmp_path):
    server.fail_first(LABELS, 503, 503)
    url = server.url(LABELS)

    with pytest.raises(DownloadError) as info:
        fetch(url, tmp_path / "out" / "labels.gz", LABELS_SHA, retries=1, backoff=0)

    message = str(info.value)
    assert f"cannot download {url} after 2 attempts" in message
    assert "HTTP 503" in message
    assert server.requests(LABELS) == 2
    assert_no_leftovers(tmp_path / "out")


@pytest.mark.parametrize("failure", [429, 500, "truncate", "stall"])
def test_other_transient_failures_are_retried(server, tmp_path, failure):
    server.fail_first(LABELS, failure)
    dest = tmp_path / "labels.gz"

    fetch(server.url(LABELS), dest, LABELS_SHA, backoff=0, timeout=0.3)

    assert server.requests(LABELS) == 2
    assert sha256_of(dest) == LABELS_SHA
    assert os.listdir(tmp_path) == ["labels.gz"]


def test_backoff_doubles_between_attempts(server, tmp_path, monkeypatch):
    waits = []
    monkeypatch.setattr(download.time, "sleep", waits.append)
    server.fail_first(LABELS, 503, 503, 503)

    fetch(server.url(LABELS), tmp_path / "labels.gz", LABELS_SHA, retries=3, backoff=0.5)

    assert waits == [0.5, 1.0, 2.0]
    assert server.requests(LABELS) == 4


def test_connection_refused_fails_after_the_retries(tmp_path):
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/labels.gz"

    with pytest.raises(DownloadError) as info:
        fetch(url, tmp_path / "out" / "labels.gz", retries=2, backoff=0, timeout=2)

    message = str(info.value)
    assert f"cannot download {url} after 3 attempts" in message
    assert "refused" in message.lower()
    assert_no_leftovers(tmp_path / "out")


# --------------------------------------------------------------------------- local files


def test_file_url_and_plain_paths(tmp_path, monkeypatch):
    by_url = fetch((DATA / LABELS).as_uri(), tmp_path / "a" / "labels.gz", LABELS_SHA)
    by_path = fetch(DATA / LABELS, tmp_path / "b" / "labels.gz", LABELS_SHA)
    by_str = fetch(str(DATA / IMAGES), tmp_path / "c" / "images.gz", IMAGES_SHA)
    monkeypatch.chdir(DATA)
    by_relative = fetch(LABELS, tmp_path / "d" / "labels.gz", LABELS_SHA)

    for dest in (by_url, by_path, by_relative):
        assert sha256_of(dest) == LABELS_SHA
        assert read_idx1_header(dest) == (2049, 10_000)
        assert os.listdir(dest.parent) == ["labels.gz"]
    assert by_str.stat().st_size == (DATA / IMAGES).stat().st_size
    assert sha256_of(by_str) == IMAGES_SHA


def test_missing_local_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.gz"
    for source in (missing, missing.as_uri()):
        with pytest.raises(DownloadError) as info:
            fetch(source, tmp_path / "out" / "nope.gz")
        assert str(info.value) == f"cannot read {missing}: file not found"
    assert_no_leftovers(tmp_path / "out")


def test_local_checksum_mismatch(tmp_path):
    wrong = "0" * 64
    with pytest.raises(DownloadError) as info:
        fetch(DATA / LABELS, tmp_path / "out" / "labels.gz", wrong)
    assert f"expected sha256 {wrong}, got {LABELS_SHA}" in str(info.value)
    assert_no_leftovers(tmp_path / "out")


def test_invalid_checksum_and_scheme_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="64 hexadecimal"):
        fetch(DATA / LABELS, tmp_path / "x", "abc")
    with pytest.raises(DownloadError, match="unsupported URL scheme"):
        fetch("ftp://example.org/x.gz", tmp_path / "x")


# --------------------------------------------------------------------------- progress, interrupts


def test_progress_is_logged(server, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="deepclust.data.download"):
        fetch(server.url(IMAGES), tmp_path / "images.gz", IMAGES_SHA, chunk_size=64 * 1024)

    lines = [r.getMessage() for r in caplog.records if r.name == "deepclust.data.download"]
    url = server.url(IMAGES)
    assert lines[0] == f"downloading {url} (1.6 MB)"  # Content-Length was sent
    progress = [line for line in lines if line.startswith(f"{url}: ") and "MB/s" in line]
    assert 8 <= len(progress) <= 10  # about every 10 %
    assert "/ 1.6 MB (" in progress[0]
    percents = [int(line.split("(")[1].split("%")[0]) for line in progress]
    assert percents == sorted(percents) and percents[0] >= 10 and percents[-1] < 100
    assert any(line.startswith(f"finished {url}: 1.6 MB in ") for line in lines)


def test_interrupt_midway_leaves_nothing(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="deepclust.data.download")  # so progress records exist
    out = tmp_path / "out"
    seen_part = []

    class InterruptOnProgress(logging.Filter):
        def filter(self, record):
            if "%)" in record.getMessage():  # the first progress line, mid-transfer
                seen_part.extend(p.name for p in out.iterdir())
                raise KeyboardInterrupt
            return True

    logger = logging.getLogger("deepclust.data.download")
    interrupter = InterruptOnProgress()
    logger.addFilter(interrupter)
    try:
        with pytest.raises(KeyboardInterrupt):
            fetch(DATA / IMAGES, out / "images.gz", IMAGES_SHA, chunk_size=64 * 1024)
    finally:
        logger.removeFilter(interrupter)

    assert len(seen_part) == 1 and seen_part[0].endswith(".part")  # it was mid-download
    assert_no_leftovers(out)
