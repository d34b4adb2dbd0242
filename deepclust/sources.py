"""Where a dataset's raw files come from: URLs (http, https, file), Kaggle, or a local path.

URLs are fetched into the downloads folder; a plain local path (a user's own
CSV, say) is used where it is, after the same checksum check.

:func:`acquire` turns the ``source.files`` entry of a dataset into local,
checksum-verified files under the downloads folder (git-ignored, separate from
``results/``) and returns the manifest the prepare rule reads. Files already
there with the right checksum are never fetched again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from urllib.parse import urlparse

from deepclust.download import DownloadError, fetch, sha256_of

log = logging.getLogger(__name__)


def file_name(entry: dict) -> str:
    """Local file name of a ``files`` entry: ``filename``, else the URL's or Kaggle file's base name."""
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
        from kaggle.api.kaggle_api_extended import KaggleApi
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
        import zipfile
        with zipfile.ZipFile(zipped) as archive:
            archive.extract(entry["kaggle_file"], dest.parent)
        zipped.unlink()
    fetched = dest.parent / entry["kaggle_file"]
    if fetched != dest:
        fetched.replace(dest)


def is_local_path(url: str) -> bool:
    return "://" not in url


def acquire_file(dataset: str, key: str, entry: dict, folder: Path) -> dict:
    dest = folder / file_name(entry)
    expected = entry.get("sha256")
    verified = False
    if entry.get("url") and is_local_path(entry["url"]):
        dest = Path(entry["url"])  # the user's own file: used in place, not copied
        if not dest.is_file():
            raise DownloadError(f"cannot read {dest}: file not found "
                                f"(datasets.{dataset}.source.files.{key}.url)")
    elif entry.get("url"):
        fetch(entry["url"], dest, expected)
        verified = expected is not None  # fetch checked the digest while streaming
    elif entry.get("kaggle") and kaggle_credentials() and not dest.exists():
        fetch_from_kaggle(entry, dest)
    elif not dest.exists():
        how = (f" from https://www.kaggle.com/datasets/{entry['kaggle']} (file "
               f"{entry['kaggle_file']}), or configure Kaggle API credentials "
               "(KAGGLE_USERNAME and KAGGLE_KEY, or ~/.kaggle/kaggle.json)"
               if entry.get("kaggle") else "")
        raise DownloadError(f"datasets.{dataset}.source.files.{key}: no url is configured and "
                            f"{dest} does not exist; download it{how} and put it at {dest}")
    actual = expected if verified else sha256_of(dest)
    if expected and actual != expected:
        raise DownloadError(f"{dest}: checksum mismatch: expected sha256 {expected}, got {actual} "
                            f"(datasets.{dataset}.source.files.{key}.sha256)")
    return {"path": str(dest), "sha256": actual, "source": entry.get("url") or
            (f"kaggle:{entry['kaggle']}/{entry['kaggle_file']}" if entry.get("kaggle")
             else "local")}


def acquire(dataset: str, files: dict, folder) -> dict:
    """Fetch (or find) every file of a dataset; return the manifest ``{key: {path, sha256, source}}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {key: acquire_file(dataset, key, entry, folder) for key, entry in files.items()}


def write_manifest(manifest: dict, path) -> None:
    Path(path).write_text(json.dumps(manifest, indent=2) + "\n")


def local_files(manifest_path) -> dict:
    """``{key: local path}`` from a manifest written by the download rule."""
    if manifest_path is None:
        return {}
    manifest = json.loads(Path(manifest_path).read_text())
    return {key: item["path"] for key, item in manifest.items()}
