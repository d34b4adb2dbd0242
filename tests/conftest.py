"""Shared helpers: run the real workflow in a scratch folder with a given config."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEFILE = ROOT / "Snakefile"


#: set by `make test-fast`, the unit tier, which runs no Snakemake
FAST_TIER = "DEEPCLUST_FAST_TESTS"
#: test files whose skip fails the run under CI=true (a missing SLURM or browser would
#: otherwise pass unnoticed)
MUST_RUN_IN_CI = {"test_slurm.py", "test_slurm_gpu.py", "test_report_browser.py",
                  "test_docs_site.py"}


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run Snakemake on the repository's Snakefile with ``workdir`` as working directory."""
    if os.environ.get(FAST_TIER):
        raise AssertionError("this test runs Snakemake: mark it `workflow` (the fast tier, "
                             "make test-fast, leaves those out)")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE),
           "--directory", str(workdir), "--cores", "2", *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_config(workdir: Path, config: dict) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_workflow(workdir: Path, config: dict, *args: str, check: bool = True):
    path = write_config(workdir, config)
    return snakemake(workdir, *args, "--configfile", str(path), check=check)


def planned_jobs(output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a Snakemake (dry) run."""
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\ntotal\s+\d+", output, re.S)
    if not match:
        return {}
    jobs = {}
    for line in match.group(1).splitlines():
        name, count = line.split()
        jobs[name] = int(count)
    return jobs


#: the tiny config of the workflow tests, a YAML file as a user's --configfile is
TINY = ROOT / ".test" / "config_tiny.yaml"


def tiny_config(seeds=(0,), k="labels") -> dict:
    """A fast config on digits (``.test/config_tiny.yaml``): a small autoencoder, every
    reducer and clusterer kind, with these seeds and this ``k``."""
    config = yaml.safe_load(TINY.read_text())
    config["run"]["seeds"] = list(seeds)
    config["datasets"]["digits"]["k"] = k
    return config


def pytest_sessionstart(session):
    """The real datasets must sit beside the checkout: tests that need them fail, not skip.
    A test cluster's slurm.conf left by an interrupted session is removed (it would make
    every Snakemake start wait 9 s for its stopped controller: slurm_cluster.remove_config)."""
    from dataserver import DATA
    from slurm_cluster import remove_config

    if not DATA.is_dir():
        raise pytest.UsageError(f"the real datasets are missing: expected {DATA} "
                                "(../shared/data beside the checkout; see its README.md)")
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # once, in pytest's main process (xdist)
        remove_config()


def pytest_collection_modifyitems(items):
    """The test files that run the workflow first (the ``workflow`` mark), each file's tests
    together: ``make test`` hands whole files to three processes (pytest-xdist, ``--dist
    loadfile`` in this order), so the long files start early and the many quick ones fill
    the end. The order within a file is kept."""
    slow = {item.path for item in items if item.get_closest_marker("workflow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: False (slow) first


#: test files that read one session-wide run: ``--dist loadfile`` hands them to one process
#: as one unit, so the run is made once (pytest-xdist's own ``loadgroup`` ignores its groups
#: under pytest 9)
SHARED_RUN_FILES = {"test_quality.py": "digits_main_run",
                    "test_som_contrastive_workflow.py": "digits_main_run"}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent without it
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the files of SHARED_RUN_FILES together."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesAndSharedRuns(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return SHARED_RUN_FILES.get(Path(file).name, file)

    return FilesAndSharedRuns(config, log)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished subprocesses (Snakemake and its jobs)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


CPU_START = pytest.StashKey[float]()
#: test file -> CPU seconds of its tests, fixtures included (pytest's main process)
CPU_BY_FILE: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item.stash[CPU_START] = _cpu_seconds()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped SLURM or browser test is a failure, with the skip's reason.
    The teardown's report carries the CPU seconds of the whole test (``cpu_s``)."""
    report = (yield).get_result()
    if report.skipped and os.environ.get("CI") == "true" and item.path.name in MUST_RUN_IN_CI:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome, report.longrepr = "failed", f"skipped under CI=true: {reason}"
    if call.when == "teardown" and CPU_START in item.stash:  # not under pytester's runs
        report.user_properties.append(("cpu_s", _cpu_seconds() - item.stash[CPU_START]))


def pytest_runtest_logreport(report):
    for name, value in report.user_properties:
        if name == "cpu_s":
            file = report.nodeid.split("::")[0]
            CPU_BY_FILE[file] = CPU_BY_FILE.get(file, 0.0) + value


def pytest_terminal_summary(terminalreporter):
    """CPU seconds per test file, the largest first: on two cores the suite's wall time is
    about its CPU time over two, so this is where time can be saved (wall times per test
    depend on what the other process runs meanwhile). SLURM's jobs run outside the tests'
    processes and are not counted."""
    if not CPU_BY_FILE or os.environ.get(FAST_TIER):
        return
    terminalreporter.section("CPU seconds per test file (tests, their fixtures, subprocesses)")
    for file, seconds in sorted(CPU_BY_FILE.items(), key=lambda kv: -kv[1])[:15]:
        terminalreporter.write_line(f"{seconds:8.1f}  {file}")
    terminalreporter.write_line(f"{sum(CPU_BY_FILE.values()):8.1f}  every test file")


#: pipelines of config.yaml beyond its main job's, run with it in digits_main_run
SOM_PIPELINES = ["som", "ae_som", "ae_umap_som"]
CONTRASTIVE_PIPELINES = ["contrastive_kmeans", "contrastive_umap_gmm"]


#: what the digits_main_run fixture makes: rule all, without the runs' figures
#: (figures.seeds: none; the scores are the point, and the figures are tested on the tiny run),
#: and the first seed's self-organising maps, which the SOM tests look at
DIGITS_MAIN_TARGETS = ["all"] + [f"results/digits/pipelines/{pipeline}/seed0/{figure}"
                                 for pipeline in SOM_PIPELINES
                                 for figure in ("som_umatrix.png", "som_hits.png")]


@pytest.fixture(scope="session")
def digits_main_run(tmp_path_factory):
    """config.yaml on digits with its seeds, run once (SHARED_RUN_FILES): the main job's
    pipelines (``make run``) and the self-organising map and contrastive ones, which share its
    autoencoder, making DIGITS_MAIN_TARGETS. Returns (folder, Snakemake's output, leaderboard
    by pipeline)."""
    workdir = tmp_path_factory.mktemp("digits_main")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["run"]["pipelines"] += SOM_PIPELINES + CONTRASTIVE_PIPELINES
    config["figures"]["seeds"] = "none"
    result = run_workflow(workdir, config, *DIGITS_MAIN_TARGETS)
    board = pd.read_csv(workdir / "results/leaderboard.csv").set_index("pipeline")
    return workdir, result, board


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The tiny config run once to completion (shared by several tests; do not modify).

    Once per session also when the tests run in several processes (pytest-xdist): the first
    process to need it runs it under a lock in the session's shared temporary folder, the
    others wait for the lock and read its outcome."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, above each process's own
    workdir, outcome = shared / "tiny", shared / "tiny-outcome.json"
    with open(shared / "tiny.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            result = run_workflow(workdir, tiny_config())
            outcome.write_text(json.dumps({"args": result.args, "stdout": result.stdout,
                                           "stderr": result.stderr}))
    saved = json.loads(outcome.read_text())
    return workdir, subprocess.CompletedProcess(saved["args"], 0, saved["stdout"],
                                                saved["stderr"])
