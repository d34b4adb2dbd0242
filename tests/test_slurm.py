"""The workflow on a real single-node SLURM cluster (tests/slurm_cluster.py), through the
command of docs/slurm.md, with its partition and account exports: every job that is not a
local rule goes through sbatch under that account, the results equal a local run's byte for
byte, and a job that can never start fails the run at once.

The cluster needs root and Debian's packages: the test installs them with apt-get when they
are missing, and skips (saying why) only where that is impossible.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SNAKEFILE, planned_jobs, tiny_config, write_config
from docs_pages import block_after, runnable
from slurm_cluster import SlurmCluster, Unavailable

pytestmark = pytest.mark.workflow



def docs_slurm_command() -> list[str]:
    """The arguments of the SLURM command of docs/slurm.md."""
    binary, *args = shlex.split(block_after("slurm.md", "## The command").strip())
    assert binary == ".venv/bin/snakemake"
    return args


def docs_slurm_exports() -> dict[str, str]:
    """The variables docs/slurm.md exports to set the partition and account."""
    exports = {}
    for line in block_after("slurm.md", "## Partition and account").splitlines():
        command, assignment = shlex.split(line, comments=True)
        assert command == "export"
        name, value = assignment.split("=", 1)
        exports[name] = value
    assert set(exports) == {"DEEPCLUST_SLURM_PARTITION", "DEEPCLUST_SLURM_ACCOUNT"}
    return exports


SLURM_COMMAND = docs_slurm_command()
EXPORTS = docs_slurm_exports()
#: rules that run where Snakemake runs (Snakefile `localrules`)
LOCAL_RULES = {"all", "download", "leaderboard", "plot_leaderboard"}
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) "
                       r"\(log: \S*/slurm_logs/(rule|group)_(\w+?)/")


def small_config() -> dict:
    """The tiny config's raw and autoencoder pipelines, seed 0: every kind of job (the
    session's local run of the whole tiny config, tiny_run, has the same runs)."""
    config = tiny_config(seeds=(0,))
    config["run"]["pipelines"] = ["kmeans", "ae_kmeans"]
    return config


@pytest.fixture(scope="module")
def cluster():
    try:
        with SlurmCluster() as running:
            yield running
    except Unavailable as reason:
        pytest.skip(f"no SLURM cluster for this test: {reason}")


def snakemake_on_slurm(workdir: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    """The docs' command, run from the repository (where profiles/ is), in ``workdir``."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE),
               "--directory", str(workdir), *SLURM_COMMAND,
               "--configfile", str(workdir / "config.yaml"), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1500,
                          env=env)


def submissions(log: str) -> list[tuple[str, list[str]]]:
    """(SLURM job id, rules in the submission) of every sbatch, from Snakemake's output. A
    group job's log folder is ``group_<group>_<rule>_<rule>...`` (rules in lexical order)."""
    names = sorted(planned_jobs(log), key=len, reverse=True)
    found = []
    for job_id, kind, name in SUBMITTED.findall(log):
        if kind == "rule":
            found.append((job_id, [name]))
            continue
        rest, rules = name.split("_", 1)[1], []
        while rest:
            rule = next(n for n in names if rest == n or rest.startswith(n + "_"))
            rules.append(rule)
            rest = rest[len(rule) + 1:]
        found.append((job_id, rules))
    return found


def test_the_workflow_runs_on_slurm_as_it_does_locally(cluster, request, tmp_path):
    write_config(tmp_path / "slurm", small_config())
    start = time.monotonic()
    slurm = snakemake_on_slurm(tmp_path / "slurm", env={**os.environ, **EXPORTS})
    print(f"\nsmall config on SLURM: {time.monotonic() - start:.0f} s")
    log = slurm.stdout + slurm.stderr
    assert slurm.returncode == 0, log[-5000:]

    # every job of a non-local rule went through sbatch exactly once (a run's evaluate and
    # plot jobs together, as one group job), and the local rules ran here
    jobs = planned_jobs(log)
    submitted = submissions(log)
    print(f"{len(submitted)} sbatch submissions for {sum(jobs.values())} jobs")
    per_rule: dict[str, int] = {}
    for _, rules in submitted:
        for rule in rules:
            per_rule[rule] = per_rule.get(rule, 0) + 1
    expected = {rule: n for rule, n in jobs.items() if rule not in LOCAL_RULES}
    assert per_rule == expected
    assert any(len(rules) > 1 for _, rules in submitted), "no group job was submitted"
    for rule in LOCAL_RULES & set(jobs):
        assert f"localrule {rule}:" in log
    # each job's own log names the SLURM job that ran it
    job_ids = {job_id for job_id, _ in submitted}
    logs = list((tmp_path / "slurm" / "results" / "logs").rglob("*.log"))
    for path in logs:
        rule = path.relative_to(tmp_path / "slurm" / "results" / "logs").parts[0]
        match = re.search(r"SLURM job (\d+) on ", path.read_text())
        if rule in LOCAL_RULES:
            assert match is None, path
        else:
            assert match and match.group(1) in job_ids, f"{path} names no submitted job"
    assert len(logs) == sum(n for rule, n in jobs.items() if rule != "all")
    # the last job under the exported partition and account (SLURM keeps a finished job's
    # record for MinJobAge, 300 s by default)
    record = subprocess.run(["scontrol", "show", "job", submitted[-1][0]], capture_output=True,
                            text=True, check=True).stdout
    assert f"Account={EXPORTS['DEEPCLUST_SLURM_ACCOUNT']}" in record, record
    assert f"Partition={EXPORTS['DEEPCLUST_SLURM_PARTITION']}" in record, record

    # the same bytes as the local run of the same runs (asked for only now: while SLURM
    # polled, the other test process could be making it)
    local, _ = request.getfixturevalue("tiny_run")
    compared = 0
    for name in ("clusters.csv", "metrics.json"):
        for path in sorted((tmp_path / "slurm" / "results").rglob(name)):
            twin = local / path.relative_to(tmp_path / "slurm")
            assert path.read_bytes() == twin.read_bytes(), f"{path.name} differs: {path}"
            compared += 1
    assert compared == 4


def test_the_command_line_form_sets_partition_and_account(cluster, tmp_path):
    """docs/slurm.md's alternative to the exports: every planned job gets them."""
    documented = shlex.split(block_after("slurm.md", "on the command line instead"))
    assert "--default-resources" in documented
    write_config(tmp_path, small_config())
    command = [*runnable(documented), "--directory", str(tmp_path),
               "--configfile", str(tmp_path / "config.yaml"), "--dry-run"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    resources = re.findall(r"resources: (.*)", log)
    assert resources and all(f"slurm_partition={EXPORTS['DEEPCLUST_SLURM_PARTITION']}" in r
                             and f"slurm_account={EXPORTS['DEEPCLUST_SLURM_ACCOUNT']}" in r
                             for r in resources), resources[:3]


def test_a_job_that_can_never_start_fails_the_run_at_once(cluster, tmp_path):
    write_config(tmp_path, small_config())
    start = time.monotonic()
    result = snakemake_on_slurm(
        tmp_path, "--set-threads", "train_autoencoder=64",
        "--set-resources", "cluster:mem_mb=99000000")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert time.monotonic() - start < 300
    assert "these jobs can never start on this SLURM cluster, so nothing was submitted" in log
    assert re.search(r"rule train_autoencoder: asks 64 of CPUs \(the largest node has \d+\) "
                     r"in partition 'debug'", log), log[-3000:]
    assert re.search(r"group run \(cluster, evaluate, .*\): asks .*99000000 MB of memory", log)
    assert "submitted with SLURM jobid" not in log
