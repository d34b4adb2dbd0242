"""An encoder with ``gpu: true`` asks SLURM for a GPU: the sbatch line of its training job,
recorded by stand-in SLURM commands (nothing is submitted; no cluster is needed)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SNAKEFILE, run_workflow, write_config

pytestmark = pytest.mark.workflow

FAKE = {
    # sinfo answers the workflow's check (node classes, deepclust.workflow.slurm.SINFO_FORMAT) and
    # the
    # plugin (-o %P: partitions)
    "sinfo": """#!/bin/sh
case "$*" in
  *"%P|"*) echo "gpu*|8|64000|$FAKE_GRES|2-00:00:00" ;;
  *) echo "gpu*" ;;
esac
""",
    # sbatch records its command line and refuses, so the run stops after one submission
    "sbatch": """#!/bin/sh
echo "sbatch $*" >> "$FAKE_RECORD"
echo "sbatch: error: stand-in sbatch of tests/test_slurm_gpu.py" >&2
exit 1
""",
    "squeue": "#!/bin/sh\nexit 0\n",
    "scancel": "#!/bin/sh\nexit 0\n",
}


def gpu_config() -> dict:
    return {
        "run": {"datasets": ["digits"], "pipelines": ["ae_kmeans"], "seeds": [0]},
        "encoders": {"ae": {"hidden_units": [32], "epochs": 1, "gpu": True}},
        "threads": 2,
    }


def submit_training(tmp_path: Path, gres: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run the slurm executor up to the first sbatch: the autoencoder's training job (its
    inputs are made locally first). A GPU job on a cluster without GPUs never gets this far:
    tests/test_slurm_checks.py checks that message."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in FAKE.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)
    work = tmp_path / "work"
    config = gpu_config()
    run_workflow(work, config, "results/digits/vectorized/features.npz")
    write_config(work, config)
    record = tmp_path / "sbatch.txt"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "FAKE_RECORD": str(record), "FAKE_GRES": gres}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "results/digits/encoded/ae/seed0/autoencoder.keras",
         "--snakefile", str(SNAKEFILE), "--directory", str(work), "--profile", "profiles/slurm",
         "--slurm-status-command", "squeue", "--configfile", str(work / "config.yaml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return result, record.read_text() if record.exists() else ""


def test_a_gpu_encoder_asks_slurm_for_a_gpu(tmp_path):
    result, sbatch = submit_training(tmp_path, gres="gpu:a100:2(S:0)")
    log = result.stdout + result.stderr
    assert result.returncode != 0 and "stand-in sbatch" in log, log[-3000:]
    lines = sbatch.splitlines()
    assert len(lines) == 2, sbatch  # the profile's one retry
    for line in lines:
        assert "rule_train_autoencoder" in line and "--gpus=1" in line
        assert "--cpus-per-task=2" in line  # the rule's threads (config `threads`)
        assert re.search(r" -p '?gpu'? ", line)
    # the retry asks twice the memory and time of the first attempt
    (mem1, mem2), (t1, t2) = ([int(re.search(pattern, line).group(1)) for line in lines]
                              for pattern in (r" --mem (\d+) ", r" -t '?(\d+)'? "))
    assert mem2 == 2 * mem1 and t2 == 2 * t1 and mem1 >= 1000 and t1 >= 10
    assert "--attempt 2" in lines[1]
