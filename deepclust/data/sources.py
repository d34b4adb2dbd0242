"""Where a dataset's raw files come from: URLs (http, https, file), Kaggle, or a local path.

Every raw file is a file Snakemake tracks, so that editing it reruns its dataset's chain:

* A file with a URL (or a Kaggle file, when API credentials are configured) is the output
  of one ``download`` job: :func:`download_file` fetches it into
  ``<downloads>/<dataset>/<name>`` (git-ignored, separate from ``results/``) and writes
  beside it a record ``<name>.download.json`` of its source and sha256. A cached file that
  still verifies is never fetched again; a ``file://`` source is an input of its job, so
  editing the source copies it anew.
* A plain local path (a user's own CSV, say) is used where it is; so is a file without URL
  put by the user at ``<downloads>/<dataset>/<filename>`` (a Kaggle file without
  credentials). Both are plain inputs of the prepare rule.

:func:`raw_files` plans where each file of a dataset is read (the rules' input functions);
:func:`verified_files` checks each one against its configured sha256 and the sha256
recorded at download before the prepare rule reads it, so that a cached file changed on
disk is never used silently.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlsplit
from urllib.request import url2pathname

from deepclust.data.download import DownloadError, fetch, sha256_of
from deepclust.workflow.config import ConfigError

log = logging.getLogger(__name__)


def file_name(entry: dict) -> str:
    """Local file name of a ``files`` entry: ``filename``, else the URL's or Kaggle file's
    base name."""
    if entry.get("filename"):
        return entry["filename"]
    if entry.get("url"):
        return os.path.basename(urlparse(entry["url"]).path) or "download"
    return entry["kaggle_file"]


def kaggle_credentials() -> bool:
    return bool(os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY")) or \
        (Path.home() / ".kaggle" / "kaggle.json").exists() or \
        bool(os.environ.get("KAGGLE_CONFIG_DIR"))


def fetch_from_kaggle(entry: dict, dest: Path) -> None:
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi  # optional: Kaggle sources only
    except ImportError:
        raise DownloadError("Kaggle credentials are configured but the 'kaggle' package is not "
                            "installed: pip install kaggle") from None
    api = KaggleApi()
    api.authenticate()
    log.info("downloading %s from Kaggle dataset %s", entry["kaggle_file"], entry["kaggle"])
    api.dataset_download_file(entry["kaggle"], entry["kaggle_file"], path=str(dest.parent),
                              quiet=False)
    zipped = dest.parent / (entry["kaggle_file"] + ".zip")
    if zipped.exists():  # Kaggle zips large files
        with zipfile.ZipFile(zipped) as archive:
            archive.extract(entry["kaggle_file"], dest.parent)
        zipped.unlink()
    fetched = dest.parent / entry["kaggle_file"]
    if fetched != dest:
        fetched.replace(dest)


def is_local_path(url: str) -> bool:
    return "://" not in url


def file_url_path(url: str | None) -> str | None:
    """The local path of a ``file://`` URL (None for any other source)."""
    if not url or urlsplit(url).scheme.lower() != "file" or \
            urlsplit(url).netloc not in ("", "localhost"):
        return None
    return url2pathname(urlsplit(url).path)


#: suffix of the record the download rule writes beside each file it fetches
RECORD_SUFFIX = ".download.json"
#: source of a raw file that is not downloaded (the user's own path, or a file put in place)
LOCAL = "local"


@dataclass(frozen=True)
class RawFile:
    """One raw file of a dataset: where the prepare rule reads it and where it comes from."""

    key: str
    path: str  #: the cached download, or the user's own file
    source: str  #: URL, ``kaggle:<owner>/<dataset>/<file>``, or ``local``
    sha256: str | None = None  #: the configured checksum
    name: str = ""  #: a download's name under ``<downloads>/<dataset>/``

    @property
    def downloaded(self) -> bool:
        """True when the download rule fetches this file (and records its sha256)."""
        return self.source != LOCAL

    @property
    def record(self) -> str | None:
        return self.path + RECORD_SUFFIX if self.downloaded else None


def raw_files(dataset: str, files: dict, folder, kaggle: bool | None = None) -> dict:
    """``{key: RawFile}`` of a dataset's ``source.files``, the same whether or not the files
    exist yet. ``kaggle``: Kaggle API credentials are configured (default: look).

    Raises :class:`~deepclust.workflow.config.ConfigError` when two keys land on one local file.
    """
    if kaggle is None:
        kaggle = any(entry.get("kaggle") and not entry.get("url") for entry in files.values()) \
            and kaggle_credentials()
    planned = {}
    for key, entry in files.items():
        url = entry.get("url")
        if url and is_local_path(url):
            planned[key] = RawFile(key, url, LOCAL, entry.get("sha256"))
            continue
        name = file_name(entry)
        path = os.path.join(str(folder), dataset, name)
        if url:
            source = url
        elif entry.get("kaggle") and kaggle:
            source = f"kaggle:{entry['kaggle']}/{entry['kaggle_file']}"
        else:
            source = LOCAL
        planned[key] = RawFile(key, path, source, entry.get("sha256"), name)
    _check_names(dataset, planned)
    return planned


def _check_names(dataset: str, planned: dict) -> None:
    where = f"datasets.{dataset}.source.files"
    seen = {}
    for key, raw in planned.items():
        if raw.downloaded and raw.path.endswith(RECORD_SUFFIX):
            raise ConfigError(f"{where}.{key}: the local name {raw.name!r} "
                              f"ends in {RECORD_SUFFIX}, which the download records use; "
                              "set another filename")
        path = os.path.normpath(raw.path)
        if path in seen and raw.downloaded:
            raise ConfigError(f"{where}: {seen[path]} and {key} are both saved as {raw.path}; "
                              f"give {key} another filename")
        if path in seen:
            raise ConfigError(f"{where}: {seen[path]} and {key} both read {raw.path}; each "
                              "key needs its own file")
        seen[path] = key


def check_present(dataset: str, key: str, entry: dict, raw: RawFile) -> None:
    """Raise :class:`DownloadError` saying what to do when a file that is not downloaded
    (the user's own, or one to put in place) is missing."""
    if raw.downloaded or os.path.isfile(raw.path):
        return
    if entry.get("url"):
        raise DownloadError(f"cannot read {raw.path}: file not found "
                            f"(datasets.{dataset}.source.files.{key}.url)")
    how = (f" from https://www.kaggle.com/datasets/{entry['kaggle']} (file "
           f"{entry['kaggle_file']}), or configure Kaggle API credentials "
           "(KAGGLE_USERNAME and KAGGLE_KEY, or ~/.kaggle/kaggle.json)"
           if entry.get("kaggle") else "")
    raise DownloadError(f"datasets.{dataset}.source.files.{key}: no url is configured and "
                        f"{raw.path} does not exist; download it{how} and put it at {raw.path}")


def read_record(path) -> dict | None:
    """The record the download rule wrote beside a file (None if missing or unreadable)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def download_file(dataset: str, key: str, entry: dict, dest, record) -> dict:
    """Fetch one raw file into ``dest`` (from its URL, or Kaggle) and record its source and
    sha256 in ``record``; return the record.

    ``dest`` may be there already (the download rule keeps its output when it reruns, e.g.
    after a config or code change): it is kept if it matches the configured sha256, or,
    without one, the sha256 recorded when it was fetched from the same source; a
    ``file://`` source is copied anew (the job reruns when that file changed). Otherwise it
    is fetched again.
    """
    dest, record = Path(dest), Path(record)
    url = entry.get("url")
    source = url or f"kaggle:{entry['kaggle']}/{entry['kaggle_file']}"
    expected = entry.get("sha256")
    where = f"datasets.{dataset}.source.files.{key}"
    actual = None
    if dest.is_file():
        actual = sha256_of(dest)
        previous = read_record(record) or {}
        if file_url_path(url):
            keep, why = False, f"its source {url} may have changed"
        elif expected:
            keep, why = actual == expected, f"the configured sha256 is {expected}"
        else:
            keep = previous.get("source") == source and previous.get("sha256") == actual
            why = (f"it was recorded as {previous.get('sha256')} from {previous.get('source')}"
                   if previous else f"no record of its download ({record})")
        if keep:
            log.info("cached: %s (sha256 %s, verified)", dest, actual)
        else:
            log.info("existing %s has sha256 %s, but %s: fetching it anew", dest, actual, why)
            dest.unlink()
            actual = None
    if actual is None:
        if url:
            fetch(url, dest, expected)  # checks the digest while streaming
            actual = expected or sha256_of(dest)
        else:
            fetch_from_kaggle(entry, dest)
            actual = sha256_of(dest)
            if expected and actual != expected:
                dest.unlink()
                raise DownloadError(f"{dest}: checksum mismatch: expected sha256 {expected}, "
                                    f"got {actual} ({where}.sha256); the file was deleted")
    written = {"file": dest.name, "source": source, "sha256": actual,
               "bytes": dest.stat().st_size}
    record.write_text(json.dumps(written, indent=2) + "\n")
    return written


def record_input(key: str) -> str:
    """Name of the prepare rule's input that is the download record of file ``key``."""
    return f"{key}_record"


def prepare_inputs(dataset: str, files: dict, planned: dict) -> dict:
    """The prepare rule's inputs: every raw file by its key, and each download's record.

    A file that is not downloaded must exist (else :class:`DownloadError` says what to do);
    which files are inputs never depends on what exists.
    """
    inputs = {}
    for key, raw in planned.items():
        check_present(dataset, key, files[key], raw)
        inputs[key] = raw.path
        if raw.downloaded:
            inputs[record_input(key)] = raw.record
    return inputs


def verified_files(dataset: str, files: dict, inputs: dict) -> dict:
    """``{key: path}`` of a dataset's raw files for the loaders, once each file matches its
    configured sha256 and, for a download, the sha256 recorded when it was fetched.

    ``inputs`` are the prepare job's (:func:`prepare_inputs`). A mismatch raises
    :class:`DownloadError` naming the file, both digests and what to do.
    """
    paths = {}
    for key, entry in files.items():
        path, record_path = inputs[key], inputs.get(record_input(key))
        expected = entry.get("sha256")
        record = read_record(record_path) if record_path else None
        if expected or record:
            actual = sha256_of(path)
            fix = ("; it changed after it was downloaded: delete it and run again: the "
                   "download rule fetches it anew" if record_path else
                   "; check the file, or update the sha256 in the config if the file is "
                   "meant to change")
            if expected and actual != expected:
                raise DownloadError(f"{path}: sha256 {actual}, expected {expected} "
                                    f"(datasets.{dataset}.source.files.{key}.sha256){fix}")
            if record and record.get("sha256") != actual:
                raise DownloadError(f"{path}: sha256 {actual}, but it was "
                                    f"{record.get('sha256')} when downloaded from "
                                    f"{record.get('source')} ({record_path}){fix}")
        paths[key] = path
    return paths
