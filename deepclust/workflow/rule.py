"""Helpers for rule scripts: send everything a job prints to its log file."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import time

#: Lines TensorFlow's C++ runtime (absl logging, which ignores TF_CPP_MIN_LOG_LEVEL before it is
#: initialised) prints on every start on a CPU-only machine: harmless, but "E0000 ..." reads as
#: an error in a job log. Exactly these are kept out of the logs; every other line, C++ errors
#: and Python tracebacks included, goes through.
HARMLESS = re.compile(
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\r?$"
    rb"|[IWE]\d{4} [\d:.]+ +\d+ (?:"
    rb"port\.cc:\d+\] oneDNN custom operations are on\."
    rb"|cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, GPU will not be used\."
    rb"|cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized to use available CPU "
    rb"instructions in performance-critical operations\."
    rb"|cuda_platform\.cc:\d+\] failed call to cuInit: "
    rb"|node_def_util\.cc:\d+\] NodeDef mentions attribute use_unbounded_threadpool which is "
    rb"not in the op definition: )"
    rb"|To enable the following instructions: [A-Z0-9_, ]+, in other operations, rebuild "
    rb"TensorFlow with the appropriate compiler flags\.\r?$")


def drop_harmless(source, sink) -> None:
    """Copy the lines of the binary stream ``source`` to ``sink`` as they come, leaving out
    the :data:`HARMLESS` ones (the filter process of :func:`logged`)."""
    for line in iter(source.readline, b""):
        if not HARMLESS.match(line):
            sink.write(line)
            sink.flush()


@contextlib.contextmanager
def logged(snakemake):
    """Send everything the job prints to its log file (``snakemake.log[0]``).

    Redirects stdout/stderr, also of C/C++ libraries such as TensorFlow;
    Python ``logging`` goes there too, one timestamped line per message, so
    epoch-by-epoch progress shows in the log while the job runs. The log opens
    with the job's rule, wildcards, inputs and outputs (and, on SLURM, the job id and
    node) and closes with its duration. An exception is logged with its traceback and
    re-raised, so the job fails (and Snakemake removes its outputs).

    Everything goes through a pipe to a small filter process that leaves out
    TensorFlow's :data:`HARMLESS` start-up lines and writes the rest to the log in
    order; being a process of its own, it still writes what a job printed just
    before it crashed (e.g. a C++ abort).
    """
    log_path = snakemake.log[0]
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log_path, "wb") as log_file:
        read_end, write_end = os.pipe()
        # -I: only the standard library on sys.path (not deepclust/, whose modules would
        # shadow it)
        log_filter = subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__)],
                                      stdin=read_end, stdout=log_file, stderr=log_file)
        os.close(read_end)
        saved = os.dup(1), os.dup(2)
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        stream = open(os.dup(1), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = stream
        logging.basicConfig(level=logging.INFO, force=True, stream=stream,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
        log = logging.getLogger(f"rule.{snakemake.rule}")
        log.info("wildcards: %s", dict(snakemake.wildcards.items()))
        log.info("input: %s", list(snakemake.input))
        log.info("output: %s", list(snakemake.output))
        if os.environ.get("SLURM_JOB_ID"):  # which cluster job wrote this log, and where
            log.info("SLURM job %s on %s (%s CPUs)", os.environ["SLURM_JOB_ID"],
                     os.environ.get("SLURMD_NODENAME", "?"),
                     os.environ.get("SLURM_CPUS_PER_TASK", "?"))
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
            stream.close()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            # the filter ends when every writer has closed the pipe; a process the job started
            # that still holds it (e.g. a joblib worker) keeps it writing to the log
            with contextlib.suppress(subprocess.TimeoutExpired):
                log_filter.wait(timeout=30)


if __name__ == "__main__":  # the filter process of logged(): stdin -> stdout (the log)
    drop_harmless(sys.stdin.buffer, sys.stdout.buffer)
