"""Helpers for rule scripts: send everything a job prints to its log file."""

from __future__ import annotations

import contextlib
import logging
import os
import sys


@contextlib.contextmanager
def logged(log_path):
    """Redirect stdout/stderr (also of C/C++ libraries such as TensorFlow) to ``log_path``.

    Python ``logging`` goes there too, one timestamped line per message, so
    epoch-by-epoch progress shows in the rule's log while the job runs.
    An exception is logged with its traceback and re-raised, so the job fails.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log_path, "w", buffering=1) as log_file:
        saved = os.dup(1), os.dup(2)
        os.dup2(log_file.fileno(), 1)
        os.dup2(log_file.fileno(), 2)
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = log_file
        logging.basicConfig(level=logging.INFO, force=True, stream=log_file,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
        try:
            yield
        except BaseException:
            logging.getLogger("rule").exception("job failed")
            raise
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
