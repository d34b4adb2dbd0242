import logging
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from deepclust.workflow.rule import logged


class _Named(list):
    def items(self):
        return [("dataset", "digits")]


def _job(tmp_path):
    return SimpleNamespace(log=[str(tmp_path / "job.log")], rule="cluster",
                           wildcards=_Named(), input=["in.npy"], output=["out.csv"])


def test_logged_records_the_job_and_what_it_printed(tmp_path):
    job = _job(tmp_path)
    with logged(job):
        print("hello from the script")
        logging.getLogger("x").info("progress 50%%")
    text = (tmp_path / "job.log").read_text()
    for expected in ("wildcards: {'dataset': 'digits'}", "input: ['in.npy']",
                     "output: ['out.csv']", "hello from the script", "progress 50%", "done in"):
        assert expected in text


def test_logged_records_and_reraises_errors(tmp_path):
    job = _job(tmp_path)
    with pytest.raises(ValueError, match="bad K"):
        with logged(job):
            raise ValueError("bad K")
    text = (tmp_path / "job.log").read_text()
    assert "job failed after" in text and "ValueError: bad K" in text


#: what TensorFlow 2.21's C++ runtime prints on a start without GPU (from a job log)
TENSORFLOW_START = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795629292.933471    9573 port.cc:153] oneDNN custom operations are on. You may see \
slightly different numerical results due to floating-point round-off errors from different \
computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1795629292.934590    9573 cudart_stub.cc:31] Could not find cuda drivers on your \
machine, GPU will not be used.
I0000 00:00:1795629292.984272    9573 cpu_feature_guard.cc:227] This TensorFlow binary is \
optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other \
operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1795629295.081514    9573 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA \
error: Failed call to cuInit: UNKNOWN ERROR (303)
E0000 00:00:1795629295.233241    9573 node_def_util.cc:682] NodeDef mentions attribute \
use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; \
signature=input_dataset:variant, other_arguments: -> handle:variant>
"""
REAL_ERROR = ("E0000 00:00:1795629295.3 9573 op_kernel.cc:1857] OP_REQUIRES failed at "
              "matmul_op.cc:91 : INVALID_ARGUMENT: Matrix size-incompatible")


def test_tensorflows_harmless_start_lines_are_kept_out_but_errors_reach_the_log(tmp_path):
    job = _job(tmp_path)
    with pytest.raises(RuntimeError, match="training failed"):
        with logged(job):
            os.write(2, TENSORFLOW_START.encode())  # as the C++ runtime writes: to fd 2
            print("epoch 1/4 loss=0.09")
            os.write(2, (REAL_ERROR + "\n").encode())
            raise RuntimeError("training failed")
    lines = (tmp_path / "job.log").read_text().splitlines()
    assert not [line for line in lines if line.startswith(("E0000", "I0000", "WARNING: All log",
                                                           "To enable the following"))
                and line != REAL_ERROR]
    assert "epoch 1/4 loss=0.09" in lines and REAL_ERROR in lines
    text = "\n".join(lines)
    assert "Traceback (most recent call last)" in text and "RuntimeError: training failed" in text
    assert lines.index("epoch 1/4 loss=0.09") < lines.index(REAL_ERROR)  # in the order printed


def test_what_a_job_printed_before_it_crashed_still_reaches_the_log(tmp_path):
    """A C++ abort kills the job's process: the filter, a process of its own, still writes."""
    log = tmp_path / "job.log"
    code = f"""
import os, sys
from types import SimpleNamespace
from deepclust.workflow.rule import logged
job = SimpleNamespace(log=[{str(log)!r}], rule="train", wildcards={{}}, input=[], output=[])
with logged(job):
    os.write(2, b"F0000 00:00:1.0 1 tensor.cc:1] Check failed: a fatal C++ error\\n")
    os.abort()
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert result.returncode != 0
    deadline = time.monotonic() + 20
    while "Check failed" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "F0000 00:00:1.0 1 tensor.cc:1] Check failed: a fatal C++ error" in log.read_text()
