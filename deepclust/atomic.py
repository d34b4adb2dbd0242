"""Model and array files that are either complete or absent.

Every ``.keras``, ``.joblib``, ``.npy`` and ``.npz`` file the workflow writes goes
through :func:`atomic_path`: the writer writes a temporary file in the same folder,
which replaces the final path (``os.replace``, atomic within a file system) only
once the writer has returned. A writer that fails (an exception, a full disk)
leaves neither the final file nor the temporary one; a killed job (SIGKILL, power
loss) can leave a ``*.tmp-*`` file next to it, never a truncated final file.

:func:`load_model_file` reads such files back and turns an unreadable one into an
error that names the file and says how to get a good one again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import zipfile
from pathlib import Path


class ModelFileError(ValueError):
    """A model or array file exists but cannot be read (truncated or corrupt)."""


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``, with the same suffix, to write to.

    On a normal exit the temporary file is flushed to disk and renamed to ``path``;
    on an exception it is removed and the exception propagates. The folder is
    created when missing. Keras needs the ``.keras`` suffix and ``np.save`` adds
    ``.npy`` to a path without it, hence the same suffix::

        with atomic_path(out) as tmp:
            model.save(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")
    try:
        yield tmp
        with open(tmp, "rb") as fh:  # on disk before the rename makes it visible
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_model_file(path, loader, *args, **kwargs):
    """``loader(path, *args, **kwargs)``; a missing file raises :class:`FileNotFoundError`, an
    unreadable one :class:`ModelFileError`, both naming ``path``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    retrain = "delete it and rerun the workflow to recreate it"
    size = path.stat().st_size
    # Keras reports an incomplete .keras file as "File not found"
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: unreadable, not a complete .keras (zip) file ({size} "
                             f"bytes; truncated or corrupt); {retrain}")
    try:
        return loader(path, *args, **kwargs)
    except (ImportError, MemoryError):  # the environment, not the file
        raise
    except Exception as error:
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise ModelFileError(f"{path}: unreadable ({size} bytes; truncated or corrupt?): "
                             f"{detail}; {retrain}") from error
