"""Reading a table file (CSV/TSV/Parquet) into a DataFrame, with errors that name the file.

The path of a table through the workflow::

    tables.read_table -> column_types.infer_column_types -> table_cleaning.clean_table
    -> vectorizers.make_table_vectorizer (scikit-learn ColumnTransformer)

(:func:`deepclust.data.table_cleaning.prepare_tabular` chains the first three.)
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import logging
import lzma
from pathlib import Path

import pandas as pd

from deepclust.errors import DatasetError

log = logging.getLogger(__name__)

FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
COMPRESSIONS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".zip": None, ".zst": None}


def table_format(path) -> str:
    """``csv``, ``tsv`` or ``parquet`` from the file name (a compression suffix is skipped)."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise DatasetError(f"{path}: unknown table format {suffix or p.name!r} "
                           f"(known: {', '.join(FORMATS)})")
    return fmt


def _decode_error(path, encoding: str, error: UnicodeDecodeError) -> DatasetError:
    """The decode error as a message naming the 1-based line of the first undecodable byte."""
    opener = COMPRESSIONS.get(Path(path).suffix.lower(), open) or open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
        decoder = codecs.getincrementaldecoder(encoding)()
        decoder.decode(raw, final=True)
        where = f"({error.reason})"
    except UnicodeDecodeError as exact:
        line = raw.count(b"\n", 0, exact.start) + 1
        bad = raw[exact.start:exact.end].hex(" ")
        where = f"line {line}: byte(s) {bad} ({exact.reason})"
    except (OSError, EOFError):
        where = f"({error.reason})"
    return DatasetError(f"{path}: cannot decode as {encoding} at {where}; set the file's "
                        "encoding with the dataset's source.encoding (e.g. latin-1, cp1252)")


def read_table(path, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a ``.csv``/``.tsv``/``.txt`` (``pandas.read_csv``) or ``.parquet``/``.pq`` table.

    Empty cells become NaN (pandas' default missing markers). A compressed
    CSV (``.csv.gz`` ...) is read too. Text is decoded with ``encoding``; a
    byte that does not decode is an error naming its line. The index is the
    0-based data row.
    """
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"{path}: file not found")
    if p.is_dir():
        raise DatasetError(f"{path}: is a directory, not a table file")
    fmt = table_format(p)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DatasetError(f"{path}: unknown encoding {encoding!r} (source.encoding)") from None
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(p)
        else:
            frame = pd.read_csv(p, sep="\t" if fmt == "tsv" else ",", encoding=encoding)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: no rows") from None
    except UnicodeDecodeError as error:
        raise _decode_error(p, encoding, error) from None
    except (ValueError, OSError, ImportError) as error:  # ParserError, Arrow*
        raise DatasetError(f"{path}: cannot read as {fmt.upper()} ({error})") from None
    if len(frame) == 0:
        raise DatasetError(f"{path}: no rows")
    log.info("read %s: %d rows x %d columns", path, *frame.shape)
    return frame.reset_index(drop=True)
