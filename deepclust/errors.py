"""Errors the library raises for bad input (kept apart so that every module can import them)."""


class DatasetError(ValueError):
    """A dataset cannot be loaded or cleaned; the message names the file/column/setting."""
