"""Helpers for rule scripts: send everything a job prints to its log file."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time


@contextlib.contextmanager
def logged(snakemake):
    """Send everything the job prints to its log file (``snakemake.log[0]``).

    Redirects stdout/stderr, also of C/C++ libraries such as TensorFlow;
    Python ``logging`` goes there too, one timestamped line per message, so
    epoch-by-epoch progress shows in the log while the job runs. The log opens
    with the job's rule, wildcards, inputs and outputs and closes with its
    duration. An exception is logged with its traceback and re-raised, so the
    job fails (and Snakemake removes its outputs).
    """
    log_path = snakemake.log[0]
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
        log = logging.getLogger(f"rule.{snakemake.rule}")
        log.info("wildcards: %s", dict(snakemake.wildcards.items()))
        log.info("input: %s", list(snakemake.input))
        log.info("output: %s", list(snakemake.output))
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            log.exception("job failed after %.1f s", time.perf_counter() - start)
            raise
        else:
            log.info("done in %.1f s", time.perf_counter() - start)
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
