"""Downloading dataset files: cached, checksummed, atomic, with retries.

:func:`fetch` copies one file from a source to a destination path:

* ``source`` is an ``http://``/``https://`` URL, a ``file://`` URL or a plain
  local path (absolute, or relative to the working directory).
* If the destination already exists and matches the expected SHA-256 (or no
  checksum is given), it is returned without touching the source.
* Data are streamed in chunks to a temporary ``<dest name>.<random>.part`` file
  beside the destination, checked against the expected SHA-256, and only then
  renamed to the destination with :func:`os.replace` (atomic on one file
  system). Whatever goes wrong, including Ctrl-C, the temporary file is removed
  and the destination is not created: a file at ``dest`` is always complete.
* Transient network errors (connection refused/reset, time-outs, truncated
  bodies, HTTP 5xx and 429) are retried with exponential back-off; permanent
  ones (other HTTP 4xx, missing or unreadable local files) fail at once.
* Progress is logged at INFO level on this module's logger.

Every failure raises :class:`DownloadError`, whose message names the URL or
file and says what went wrong.

Only the standard library is used, so Snakemake rules can call it from any
environment.
"""

from __future__ import annotations

import hashlib
import http
import http.client
import logging
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

USER_AGENT = "deepclust-download/0.1 (+python-urllib)"

#: Progress is logged every tenth of the size, or every this many bytes when
#: the size is unknown.
PROGRESS_BYTES_UNKNOWN_SIZE = 10 * 1000 * 1000

_HASH_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A file could not be downloaded or copied; the message names the URL/file and the cause."""


class _TransientError(Exception):
    """An attempt failed in a way worth retrying (message says why)."""


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest (64 lowercase characters) of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(source: str | os.PathLike, dest: str | os.PathLike, sha256: str | None = None, *,
          retries: int = 3, backoff: float = 1.0, timeout: float = 60.0,
          chunk_size: int = 1 << 20) -> Path:
    """Make ``dest`` a verified copy of ``source`` and return ``dest`` as a :class:`~pathlib.Path`.

    Parameters
    ----------
    source
        ``http(s)://`` URL, ``file://`` URL, or local path.
    dest
        Destination file; missing parent folders are created.
    sha256
        Expected hex SHA-256 of the file (case-insensitive). When given, an
        existing ``dest`` is only reused if it matches, and a download that
        does not match is deleted and reported.
    retries
        How many times a transient HTTP failure is retried (so at most
        ``retries + 1`` attempts). Local files are never retried.
    backoff
        Seconds to wait before the first retry; the wait doubles each time
        (``backoff * 2**attempt``).
    timeout
        Socket time-out in seconds for connecting and for each read.
    chunk_size
        Bytes read and written at a time.

    Raises
    ------
    DownloadError
        The source cannot be read, the download failed (permanently, or on
        every attempt), the checksum does not match, or ``dest`` cannot be
        written. ``dest`` is then left as it was and no temporary file remains.
    ValueError
        Invalid arguments (malformed checksum, negative retries, ...).
    """
    source = os.fspath(source)
    dest = Path(dest)
    expected = _normalise_sha256(sha256)
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    if backoff < 0:
        raise ValueError(f"backoff must be >= 0, got {backoff}")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be > 0, got {chunk_size}")

    kind, location = _classify(source)

    if _is_cached(dest, expected):
        return dest

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create folder {dest.parent} for {source}: "
                            f"{_os_reason(exc)}") from exc

    tmp, out = _open_temp(dest, source)
    try:
        with out:
            if kind == "http":
                size, actual = _download_http(location, out, tmp, retries=retries,
                                              backoff=backoff, timeout=timeout,
                                              chunk_size=chunk_size)
            else:
                size, actual = _copy_local(Path(location), out, tmp, chunk_size=chunk_size)
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                raise DownloadError(f"cannot write {tmp} (downloading {source}): "
                                    f"{_os_reason(exc)}") from exc
        if expected is not None and actual != expected:
            raise DownloadError(f"checksum mismatch for {source}: expected sha256 {expected}, "
                                f"got {actual}; the file was deleted")
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            raise DownloadError(f"cannot move {tmp} to {dest} (downloading {source}): "
                                f"{_os_reason(exc)}") from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    log.info("saved %s (%s, sha256 %s%s)", dest, _fmt_bytes(size), actual,
             ", verified" if expected is not None else "")
    return dest


# --------------------------------------------------------------------------- helpers


def _normalise_sha256(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    value = sha256.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"sha256 must be 64 hexadecimal characters, got {sha256!r}")
    return value


def _classify(source: str) -> tuple[str, str]:
    """('http', url) or ('local', filesystem path) for a source string."""
    if "://" not in source:
        return "local", source
    parts = urllib.parse.urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return "http", source
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise DownloadError(f"cannot read {source}: file URLs on another host "
                                f"({parts.netloc}) are not supported")
        return "local", urllib.request.url2pathname(parts.path)
    raise DownloadError(f"cannot download {source}: unsupported URL scheme {parts.scheme!r} "
                        "(use http://, https://, file:// or a local path)")


def _is_cached(dest: Path, expected: str | None) -> bool:
    """True if ``dest`` exists and is acceptable as it is (logs why or why not)."""
    if dest.is_dir():
        raise DownloadError(f"cannot download to {dest}: it is a directory")
    if not dest.exists():
        return False
    if expected is None:
        log.info("cached: %s (exists; no checksum to verify)", dest)
        return True
    try:
        actual = sha256_of(dest)
    except OSError as exc:
        log.warning("cannot read existing %s (%s); downloading again", dest, _os_reason(exc))
        return False
    if actual == expected:
        log.info("cached: %s (sha256 verified)", dest)
        return True
    log.warning("existing %s has sha256 %s, expected %s; downloading again",
                dest, actual, expected)
    return False


def _open_temp(dest: Path, source: str):
    """Create a new, uniquely named ``<dest>.<random>.part`` beside dest, opened for writing."""
    for _ in range(100):
        tmp = dest.with_name(f"{dest.name}.{os.urandom(4).hex()}.part")
        try:
            # 0o666 minus the umask: the final file gets ordinary permissions.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise DownloadError(f"cannot write {tmp} (downloading {source}): "
                                f"{_os_reason(exc)}") from exc
        return tmp, os.fdopen(fd, "wb")
    raise DownloadError(f"cannot create a temporary file beside {dest} (downloading {source})")


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:  # pragma: no cover - nothing better to do while failing
        log.warning("could not remove temporary file %s: %s", path, exc)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return exc.strerror or str(exc)


def _fmt_bytes(n: float | None) -> str:
    if n is None:
        return "size unknown"
    if n < 1000:
        return f"{int(n)} B"
    if n < 1000 ** 2:
        return f"{n / 1000:.1f} kB"
    if n < 1000 ** 3:
        return f"{n / 1000 ** 2:.1f} MB"
    return f"{n / 1000 ** 3:.2f} GB"


class _Progress:
    """Logs start, every ~10 % (or every 10 MB if the size is unknown) and end of a transfer."""

    def __init__(self, source: str, total: int | None):
        self.source = source
        self.total = total
        self.done = 0
        self.step = total / 10 if total else PROGRESS_BYTES_UNKNOWN_SIZE
        self.next = self.step
        self.start = time.monotonic()
        log.info("downloading %s (%s)", source, _fmt_bytes(total))

    def _rate(self) -> str:
        elapsed = time.monotonic() - self.start
        return f"{self.done / 1e6 / elapsed:.1f} MB/s" if elapsed > 0 else "- MB/s"

    def update(self, n: int) -> None:
        self.done += n
        if self.done < self.next or (self.total and self.done >= self.total):
            return
        if self.total:
            log.info("%s: %s / %s (%d%%), %s", self.source, _fmt_bytes(self.done),
                     _fmt_bytes(self.total), 100 * self.done // self.total, self._rate())
        else:
            log.info("%s: %s, %s", self.source, _fmt_bytes(self.done), self._rate())
        self.next = (self.done // self.step + 1) * self.step

    def finish(self) -> None:
        elapsed = time.monotonic() - self.start
        log.info("finished %s: %s in %.1f s (%s)", self.source, _fmt_bytes(self.done),
                 elapsed, self._rate())


def _stream(reader, out, tmp: Path, source: str, progress: _Progress,
            chunk_size: int) -> tuple[int, str]:
    """Copy ``reader`` to ``out`` from its start; (bytes written, hex sha256).

    Read errors propagate unchanged (the caller decides whether to retry);
    write errors become a :class:`DownloadError`. The caller checks the size
    and then calls ``progress.finish()``.
    """
    try:
        out.seek(0)
        out.truncate()
    except OSError as exc:
        raise DownloadError(f"cannot write {tmp} (downloading {source}): "
                            f"{_os_reason(exc)}") from exc
    digest = hashlib.sha256()
    while chunk := reader.read(chunk_size):
        try:
            out.write(chunk)
        except OSError as exc:
            raise DownloadError(f"cannot write {tmp} (downloading {source}): "
                                f"{_os_reason(exc)}") from exc
        digest.update(chunk)
        progress.update(len(chunk))
    return progress.done, digest.hexdigest()


def _copy_local(path: Path, out, tmp: Path, *, chunk_size: int) -> tuple[int, str]:
    try:
        reader = open(path, "rb")
    except OSError as exc:
        raise DownloadError(f"cannot read {path}: {_os_reason(exc)}") from exc
    with reader:
        try:
            progress = _Progress(str(path), os.fstat(reader.fileno()).st_size)
            result = _stream(reader, out, tmp, str(path), progress, chunk_size)
        except OSError as exc:  # write errors are already DownloadErrors
            raise DownloadError(f"cannot read {path}: {_os_reason(exc)}") from exc
    progress.finish()
    return result


def _http_status(code: int) -> str:
    try:
        return f"HTTP {code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _download_http(url: str, out, tmp: Path, *, retries: int, backoff: float,
                   timeout: float, chunk_size: int) -> tuple[int, str]:
    attempts = retries + 1
    for attempt in range(attempts):
        try:
            return _http_attempt(url, out, tmp, timeout=timeout, chunk_size=chunk_size)
        except _TransientError as exc:
            reason = str(exc)
        if attempt + 1 < attempts:
            wait = backoff * 2 ** attempt
            log.warning("attempt %d of %d for %s failed (%s); retrying in %.1f s",
                        attempt + 1, attempts, url, reason, wait)
            time.sleep(wait)
    plural = "attempt" if attempts == 1 else "attempts"
    raise DownloadError(f"cannot download {url} after {attempts} {plural}: {reason}")


def _http_attempt(url: str, out, tmp: Path, *, timeout: float,
                  chunk_size: int) -> tuple[int, str]:
    """One GET of ``url`` into ``out``; raises _TransientError for retryable failures."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.strip().isdigit() else None
            progress = _Progress(url, total)
            size, digest = _stream(response, out, tmp, url, progress, chunk_size)
    except urllib.error.HTTPError as exc:
        status = _http_status(exc.code)
        exc.close()
        if exc.code == 429 or exc.code >= 500:
            raise _TransientError(status) from exc
        raise DownloadError(f"cannot download {url}: {status} "
                            "(permanent error, not retried)") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise DownloadError(f"cannot download {url}: {reason} "
                                "(permanent error, not retried)") from exc
        if isinstance(reason, TimeoutError):
            raise _TransientError(f"timed out after {timeout:g} s") from exc
        raise _TransientError(str(reason)) from exc
    except TimeoutError as exc:
        raise _TransientError(f"timed out after {timeout:g} s") from exc
    except http.client.IncompleteRead as exc:
        raise _TransientError(f"connection closed early ({exc!r})") from exc
    except (http.client.HTTPException, OSError) as exc:
        # Connection reset/aborted, malformed responses, TLS errors while reading.
        raise _TransientError(f"{type(exc).__name__}: {exc}") from exc
    if total is not None and size != total:
        # http.client returns a short body silently when the server hangs up.
        raise _TransientError(f"connection closed early: got {size} of {total} bytes")
    progress.finish()
    return size, digest
