"""The pre-submission check of SLURM requests (deepclust/workflow/slurm.py) and the resource model
(deepclust/workflow/resources.py)."""

import math
import re

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ROOT

from deepclust.features import matrix_shape, save_matrix
from deepclust.workflow.resources import (
    MEASURED,
    MIN_MEMORY_MB,
    MIN_RUNTIME_MIN,
    Peak,
    collect_peaks,
    dense_mb,
    fit_peaks,
    memory_mb,
    runtime_min,
)
from deepclust.workflow.slurm import (
    NodeClass,
    Request,
    check_requests,
    default_partition,
    parse_sinfo,
    parse_time_limit,
    why_never_starts,
)

SINFO = """debug*|2|24105|(null)|infinite
gpu|32|256000|gpu:a100:4(S:0-1)|2-00:00:00
gpu|64|512000+|gpu:h100:8,shard:16|2-00:00:00
"""


def test_sinfo_lines_become_node_classes():
    nodes = parse_sinfo(SINFO)
    assert nodes[0] == NodeClass("debug", 2, 24105, 0, math.inf)
    assert nodes[1] == NodeClass("gpu", 32, 256000, 4, 2880)
    assert nodes[2] == NodeClass("gpu", 64, 512000, 8, 2880)
    assert default_partition("debug*\ngpu\n") == "debug"
    assert default_partition("a b") is None


@pytest.mark.parametrize("text, minutes", [
    ("infinite", math.inf), ("UNLIMITED", math.inf), ("30", 30), ("30:00", 30),
    ("1:30:00", 90), ("2-00:00:00", 2880), ("1-12", 2160), ("1-00:30", 1470),
])
def test_time_limits(text, minutes):
    assert parse_time_limit(text) == minutes


def test_a_job_that_fits_passes():
    nodes = parse_sinfo(SINFO)
    assert why_never_starts(Request("rule a", cpus=2, memory_mb=1000, runtime_min=600),
                            nodes, "debug") is None
    assert why_never_starts(Request("rule a", cpus=8, gpus=1, partition="gpu"), nodes) is None


def test_each_shortfall_is_named_with_what_the_largest_node_has():
    nodes = parse_sinfo(SINFO)
    reason = why_never_starts(Request("rule t", cpus=4, memory_mb=30000), nodes, "debug")
    assert reason == ("asks 4 of CPUs (the largest node has 2), 30000 MB of memory "
                      "(the largest node has 24105 MB) in partition 'debug'")
    assert "1 of GPUs (the largest node has 0)" in why_never_starts(
        Request("rule t", cpus=1, gpus=1), nodes, "debug")
    assert "3000 min of time (the largest node has 2880 min)" in why_never_starts(
        Request("rule t", cpus=1, runtime_min=3000, partition="gpu"), nodes)
    assert why_never_starts(Request("rule t", cpus=1, partition="nope"), nodes) == (
        "partition 'nope' does not exist (partitions: debug, gpu)")


def test_needs_that_no_single_node_has_together():
    nodes = [NodeClass("p", 64, 1000, 0, math.inf), NodeClass("p", 2, 500000, 0, math.inf)]
    assert "no node has all of them" in why_never_starts(
        Request("rule t", cpus=32, memory_mb=100000), nodes)


def test_check_requests_reports_each_distinct_request_once():
    nodes = parse_sinfo(SINFO)
    big = Request("rule train_autoencoder", cpus=4)
    problems = check_requests([big, big, Request("rule cluster", cpus=1)], nodes, "debug")
    assert problems == ["rule train_autoencoder: asks 4 of CPUs (the largest node has 2) "
                        "in partition 'debug'"]


def test_requests_grow_with_the_data_and_keep_margins():
    for rule in MEASURED:
        assert memory_mb(rule, 0) >= MIN_MEMORY_MB and runtime_min(rule, 0) >= MIN_RUNTIME_MIN
        assert memory_mb(rule, 1000) >= memory_mb(rule, 10) >= memory_mb(rule, 0)
        assert memory_mb(rule, 50) % 100 == 0
    assert memory_mb("train_autoencoder", 500) >= 1.4 * 3326  # the IMDB autoencoder's peak
    assert runtime_min("train_autoencoder", 500) * 60 >= 2 * 414


def test_every_rule_of_the_workflow_has_measured_needs():
    rules = {m for f in (ROOT / "rules").glob("*.smk")
             for m in re.findall(r"^rule (\w+):", f.read_text(), flags=re.M)}
    assert len(rules) > 20
    assert rules <= set(MEASURED), rules - set(MEASURED)


def test_fit_is_an_upper_envelope():
    peaks = [Peak("r", 0.5, 900, 20), Peak("r", 10, 1200, 120), Peak("r", 30, 1300, 130),
             Peak("r", 500, 3300, 400)]
    need = fit_peaks(peaks)["r"]
    for p in peaks:
        assert need.memory(p.data_mb) >= p.memory_mb - 1e-6
        assert need.wall_seconds(p.data_mb) >= p.seconds - 1e-6
    # the memory line extrapolates from the largest datasets, not from the steep start
    assert need.memory_per_data_mb == pytest.approx((3300 - 1300) / 470, abs=0.05)


def test_dense_size_reads_headers_of_dense_and_sparse_features(tmp_path):
    save_matrix(tmp_path / "d.npz", np.zeros((100, 30), dtype=np.float32))
    save_matrix(tmp_path / "s.npz", sp.random(2000, 500, density=0.01, format="csr"))
    assert matrix_shape(tmp_path / "d.npz") == (100, 30)
    assert matrix_shape(tmp_path / "s.npz") == (2000, 500)
    assert dense_mb(tmp_path / "s.npz") == pytest.approx(2000 * 500 * 4 / 1e6)


def test_collect_peaks_reads_benchmark_files(tmp_path):
    bench = tmp_path / "benchmarks" / "cluster" / "toy" / "kmeans"
    bench.mkdir(parents=True)
    (bench / "seed0.tsv").write_text(
        "s\th:m:s\tmax_rss\tmax_vms\n2.5\t0:00:02\t321.5\t900\n")
    (tmp_path / "toy" / "vectorized").mkdir(parents=True)
    save_matrix(tmp_path / "toy" / "vectorized" / "features.npz", np.zeros((250, 4)))
    assert collect_peaks(tmp_path) == [Peak("cluster", 0.004, 321.5, 2.5)]


def test_dense_mb_reads_a_features_header_once_per_version_of_the_file(tmp_path, monkeypatch):
    import os

    import deepclust.workflow.resources as resources
    from deepclust.features import save_matrix

    path = tmp_path / "features.npz"
    save_matrix(path, np.zeros((10, 4), dtype=np.float32))
    reads = []
    real = resources.matrix_shape
    monkeypatch.setattr(resources, "matrix_shape", lambda p: reads.append(p) or real(p))
    assert [dense_mb(path) for _ in range(3)] == [10 * 4 * 4 / 1e6] * 3
    assert len(reads) == 1  # asked three times, read once
    save_matrix(path, np.zeros((20, 4), dtype=np.float32))  # a new version: read again
    os.utime(path, ns=(1, 1))
    assert dense_mb(path) == pytest.approx(20 * 4 * 4 / 1e6) and len(reads) == 2
