"""The benchmark's helpers (the benchmark itself is `make bench`, kept out of the suite)."""

import json
import math
from pathlib import Path

import pytest
from benchmark_results import (
    RUN_KEYS,
    deep_merge,
    load_bench_config,
    machine_description,
    merge_results,
    phase_config,
    phase_run,
    results_markdown,
    run_record,
    summarize,
)

ROOT = Path(__file__).resolve().parents[1]


def _run(pipeline, seed, acc, total, dataset="mnist-test"):
    return {"dataset": dataset, "pipeline": pipeline, "seed": seed, "acc": acc, "nmi": acc - 0.1,
            "ari": acc - 0.2, "silhouette": 0.5, "n_clusters": 10, "peak_rss_mb": 900.0 + seed,
            "seconds": {"download": 1.0, "train": total - 11.0, "reduce": 10.0, "total": total}}


def test_deep_merge_overrides_leaves_and_keeps_siblings():
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "f": [1]}
    merged = deep_merge(base, {"a": {"c": {"d": 20}}, "f": [2]})
    assert merged == {"a": {"b": 1, "c": {"d": 20, "e": 3}}, "f": [2]}
    assert base["a"]["c"]["d"] == 2  # not modified


def test_bench_config_points_every_url_at_the_data_folder(tmp_path):
    merged, phases = load_bench_config(ROOT)
    run = phases[0]["run"]
    config = phase_config(merged, run, tmp_path)
    assert config["run"] == run and "phases" not in config
    files = config["datasets"]["mnist-test"]["source"]["files"]
    assert files["images"]["url"] == f"file://{tmp_path}/mnist/t10k-images-idx3-ubyte.gz"
    assert files["images"]["sha256"].startswith("16731000")  # the local copy's checksum
    assert config["datasets"]["imdb"]["source"]["files"]["archive"]["url"].startswith(
        f"file://{tmp_path}/imdb/")
    assert config["datasets"]["mnist"]["source"]["files"]["images"]["url"].startswith("https://")


def test_phase_run_narrows_seeds_and_pipelines_and_skips_a_phase_left_empty():
    phase = {"name": "DEC", "run": {"datasets": ["usps"], "pipelines": ["dec", "idec"],
                                    "seeds": [0, 1, 2]}}
    assert phase_run(phase) == phase["run"]
    assert phase_run(phase, seeds=[4], pipelines=["dec", "n2d_long"]) == {
        "datasets": ["usps"], "pipelines": ["dec"], "seeds": [4]}
    assert phase_run(phase, pipelines=["kmeans"]) is None
    assert phase["run"]["pipelines"] == ["dec", "idec"]  # the phase itself is unchanged


def test_run_record_has_exactly_the_published_schema():
    record = run_record(_run("n2d", 0, 0.95, 200.123456))
    assert list(record) == RUN_KEYS
    assert record["seconds"]["total"] == 200.12 and record["silhouette"] == 0.5
    assert "n_clusters" not in record


def test_summarize_gives_mean_std_min_max_over_seeds():
    rows = summarize([_run("n2d", s, acc, t) for s, (acc, t) in
                      enumerate([(0.94, 200), (0.96, 220), (0.95, 210)])])
    (row,) = rows
    assert row["seeds"] == [0, 1, 2]
    assert row["acc"]["mean"] == pytest.approx(0.95) and row["acc"]["min"] == 0.94
    assert row["acc"]["max"] == 0.96 and row["acc"]["std"] == pytest.approx(0.008165, abs=1e-6)
    assert row["total_s"]["max"] == 220 and row["stage_s"]["reduce"] == 10.0
    assert row["peak_rss_mb"]["max"] == 902.0


def test_results_markdown_tables(tmp_path):
    results = {"date": "2026-11-23", "machine": "test machine", "matmul_gflops": 120.0,
               "autoencoder_gflops": 80.0, "autoencoder_samples_per_second": 4000,
               "autoencoder_to_matmul": 0.667,
               "commands": [{"name": "make bench", "phases": ["N2D"], "seconds": 1800,
                             "reused_workdir": False}],
               "trainings": [{"dataset": "mnist-test", "encoder": "ae", "seed": 0, "threads": 2,
                              "batch_size": 256, "epochs_run": 50, "seconds_per_epoch": 2.5,
                              "samples_per_second": 4000, "gflops": 80.0}],
               "runs": [run_record(_run("n2d", s, 0.95 + s / 100, 200)) for s in range(2)]}
    md = results_markdown(results)
    assert "Date: 2026-11-23" in md and "Machine: test machine" in md
    assert "- `make bench`, 30.0 min: N2D" in md
    assert "| mnist-test | n2d | 2 | 0.955 | 0.005 | 0.950 | 0.960 |" in md
    assert "80.0 GFLOP/s = 67% of the matrix multiply" in md
    # every run: stages a pipeline does not have (here: clustering) are dashes, not nan
    assert "| mnist-test | n2d | 1 | 0.9600 | 0.8600 | 0.7600 | 200 | 189 | 10 | – | 901 |" in md
    assert "nan" not in md
    assert "[the lab notebook](NOTES.md)" in md  # the notes are linked, never copied
    json.dumps(results)  # what results.json holds is plain JSON


def test_a_later_command_adds_its_runs_and_replaces_reruns():
    def command(name, seconds, runs, trainings, gflops):
        return {"date": "2026-11-24", "machine": "m", "matmul_gflops": 100.0,
                "autoencoder_gflops": gflops, "runs": runs, "trainings": trainings,
                "commands": [{"name": name, "phases": [name], "seconds": seconds,
                              "reused_workdir": name != "make bench"}]}

    ae0 = {"dataset": "mnist-test", "encoder": "ae", "seed": 0, "gflops": 80.0}
    earlier = command("make bench", 1800, [run_record(_run("n2d", s, 0.95, 200)) for s in (0, 1)],
                      [ae0], 80.0)
    earlier["date"] = "2026-11-23"
    later = command("make bench-dec", 600,
                    [run_record(_run("dec", 0, 0.85, 90)), run_record(_run("n2d", 1, 0.96, 210))],
                    [dict(ae0, gflops=70.0)], 70.0)
    merged = merge_results(earlier, later)
    assert [(r["pipeline"], r["seed"], r["acc"]) for r in merged["runs"]] == [
        ("n2d", 0, 0.95), ("dec", 0, 0.85), ("n2d", 1, 0.96)]
    assert [c["name"] for c in merged["commands"]] == ["make bench", "make bench-dec"]
    assert merged["autoencoder_gflops"] == 80.0  # the N2D command's measurement stays
    again = merge_results(merged, command("make bench", 900, [], [], 95.0))
    assert again["autoencoder_gflops"] == 95.0  # make bench measures the machine anew
    assert merged["trainings"] == [dict(ae0, gflops=70.0)] and merged["date"] == "2026-11-24"
    md = results_markdown({**merged, "autoencoder_samples_per_second": 1,
                           "autoencoder_to_matmul": 0.8, "trainings": []})
    assert "- `make bench-dec` *kept*, 10.0 min: make bench-dec" in md  # reused earlier jobs


def test_machine_description_names_cores_and_memory():
    text = machine_description()
    assert "cores" in text and "GiB RAM" in text and "Python" in text
    assert not math.isnan(float(text.split(" GiB")[0].split()[-1]))


def test_bench_dec_runs_dec_and_idec_on_the_autoencoders_n2d_long_trained():
    config, phases = load_bench_config(ROOT)
    assert {p["command"] for p in phases} == {"bench", "bench-dec", "bench-variants",
                                               "bench-som", "bench-contrastive"}
    for dataset in ("mnist-test", "usps"):
        n2d = next(p["run"] for p in phases if p["command"] == "bench"
                   and p["run"]["datasets"] == [dataset] and "n2d_long" in p["run"]["pipelines"])
        pretraining = config["pipelines"]["n2d_long"]["encoder"]
        chains = {config["clusterers"][config["pipelines"][name]["clusterer"]]["kind"]:
                  (config["pipelines"][name]["encoder"], tuple(p["run"]["seeds"]))
                  for p in phases if p["command"] == "bench-dec"
                  and p["run"]["datasets"] == [dataset] for name in p["run"]["pipelines"]
                  if config["pipelines"][name]["encoder"] == pretraining}
        assert set(chains) == {"dec", "idec"} and chains["dec"] == chains["idec"]
        assert len(chains["dec"][1]) == 3  # three seeds for DEC and IDEC
        assert set(chains["dec"][1]) <= set(n2d["seeds"])  # reused from make bench


def test_render_rewrites_results_md_from_results_json_without_running(tmp_path):
    import subprocess
    import sys

    results = {"date": "2026-11-24", "machine": "m", "matmul_gflops": 100.0,
               "autoencoder_gflops": 60.0, "autoencoder_samples_per_second": 3000,
               "autoencoder_to_matmul": 0.6, "trainings": [], "commands": [],
               "runs": [run_record(_run("n2d", 0, 0.95, 90))]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "bench" / "run_benchmark.py"), "--render",
                           "--out", str(tmp_path), "--data", str(tmp_path / "absent")],
                          capture_output=True, text=True, check=True)
    md = (tmp_path / "RESULTS.md").read_text()
    assert "| mnist-test | n2d | 1 | 0.950 | 0.000 | 0.950 | 0.950 |" in md
    notes = (root / "bench" / "NOTES.md").read_text().splitlines()
    assert "[the lab notebook](NOTES.md)" in md  # linked, its prose never copied
    prose = {line for line in notes if len(line) > 40 and not line.startswith(("|", "#"))}
    assert not prose & set(md.splitlines())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md", "results.json"]
    assert "wrote" in done.stdout


def test_results_markdown_shows_unlabelled_runs_with_dashes_and_their_silhouette():
    unlabelled = dict(_run("ae_som", 0, 0.5, 60), dataset="amazon-cellphones",
                      acc=None, nmi=None, ari=None, silhouette=0.31)
    results = {"date": "2026-11-25", "machine": "m", "matmul_gflops": 100.0,
               "autoencoder_gflops": 60.0, "autoencoder_samples_per_second": 3000,
               "autoencoder_to_matmul": 0.6, "trainings": [], "commands": [],
               "runs": [run_record(unlabelled)]}
    markdown = results_markdown(results)
    assert "| amazon-cellphones | ae_som | 0 | – | – | – | 60 |" in markdown
    assert "| amazon-cellphones | ae_som | 1 | – | – | – | – |" in markdown
    assert "| 0.310 | 60 |" in markdown  # silhouette mean, then seconds


def test_interleaved_ratio_alternates_and_ignores_one_slow_spell():
    """The speed check of `make bench`: reference and measure alternate, and the median pair
    ratio is kept, so a spell when another job slows one pair does not move the result."""
    from training_speed import interleaved_ratio

    calls = []
    speeds = iter([100, 60, 100, 20, 100, 62, 100, 58, 100, 61])  # pair 2: a slow spell

    def reference():
        calls.append("reference")
        return next(speeds)

    def measure():
        calls.append("measure")
        return next(speeds)

    result = interleaved_ratio(measure, reference, repeats=5)
    assert calls == ["reference", "measure"] * 5
    assert result["ratios"] == [0.6, 0.2, 0.62, 0.58, 0.61]
    assert result["ratio"] == pytest.approx(0.60)
    assert result["measure"] == 60 and result["reference"] == 100


def test_results_put_each_dataset_beside_its_published_numbers():
    runs = [run_record(_run("n2d", seed, acc, 100 + seed)) for seed, acc in
            ((0, 0.95), (1, 0.97), (2, 0.96))]
    published = {"mnist-test": [{"method": "N2D", "acc": 0.948, "nmi": 0.882, "source": "paper"}],
                 "usps": [{"method": "KMeans", "acc": 0.668, "source": "elsewhere"}]}
    md = results_markdown({"date": "d", "machine": "m", "runs": runs, "matmul_gflops": 1.0,
                           "autoencoder_gflops": 1.0, "autoencoder_samples_per_second": 1,
                           "autoencoder_to_matmul": 1.0}, published=published)
    table = md.split("### mnist-test")[1].split("##")[0]
    assert "| n2d | 3 | 0.960 ± 0.008 (0.950-0.970) | 0.860 | " in table
    assert "| published N2D | | 0.948 | 0.882 | | paper |" in table
    assert "### usps" not in md  # no runs on it


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_training_profile_times_each_part_of_an_epoch_and_renders(precision):
    from training_speed import training_profile

    profile = training_profile(threads=1, rows=512, n_features=64, hidden_units=(32,),
                               embedding_dim=4, batch_size=64, epochs=2, image_shape=(8, 8),
                               precision=precision)
    assert profile["precision"] == precision
    parts = ["matmuls", "step_sgd", "step_adam", "augmentation", "augmented_epoch"]
    assert list(profile["seconds_per_epoch"]) == parts
    assert all(v > 0 for v in profile["seconds_per_epoch"].values())
    assert set(profile["to_matmul"]) == set(parts) - {"augmentation"}
    # the whole step does the multiplies and more: never faster than them alone (with a
    # margin for timer noise on tiny shapes)
    sec = profile["seconds_per_epoch"]
    assert sec["step_sgd"] > 0.5 * sec["matmuls"]
    results = {"date": "2026-11-26", "machine": "m", "matmul_gflops": 100.0,
               "autoencoder_gflops": 50.0, "autoencoder_samples_per_second": 1,
               "autoencoder_to_matmul": 0.5, "commands": [], "runs": [],
               "training_profile": profile}
    md = results_markdown(results)
    assert f"Where an epoch goes (N2D's autoencoder, 512 random rows, batch 64, {precision};" \
        in md
    assert f"the augmented epoch {sec['augmented_epoch']:.2f} s" in md


def test_results_of_text_phases_alone_have_no_training_line():
    results = {"date": "2026-11-26", "machine": "m", "matmul_gflops": 100.0, "commands": [],
               "runs": [run_record(_run("lsa_kmeans", 0, 0.97, 20))]}
    md = results_markdown(results)
    assert "Dense float32 matrix multiply (2048 x 2048, TensorFlow): 100.0 GFLOP/s." in md
    assert "Autoencoder training" not in md


def test_a_training_is_held_to_its_threads_share_of_the_matrix_multiply():
    """`make bench` trains one seed per core: a 1-thread training on 2 cores is compared
    with half the 2-thread multiply, a 2-thread one with all of it."""
    from training_speed import share_of_matmul

    assert share_of_matmul({"gflops": 80.0, "threads": 1}, 200.0, cores=2) == pytest.approx(0.8)
    assert share_of_matmul({"gflops": 80.0, "threads": 2}, 200.0, cores=2) == pytest.approx(0.4)
    assert share_of_matmul({"gflops": 80.0}, 200.0, cores=2) == pytest.approx(0.4)


def test_side_by_side_trainings_run_in_their_own_processes_and_add_up(monkeypatch):
    """The speed check in `make bench`'s mode: the trainings' GFLOP/s summed, each process
    on its own threads; a failing process is an error, not a zero."""
    import subprocess

    import training_speed as bench

    commands = []

    class FakeProcess:
        def __init__(self, cmd, **kwargs):
            commands.append(cmd)
            self.returncode = 0

        def communicate(self):
            return "log line\n70.5\n", ""

    monkeypatch.setattr(subprocess, "Popen", FakeProcess)
    assert bench.side_by_side_training_gflops(2, 1) == pytest.approx(141.0)
    assert len(commands) == 2 and "autoencoder_training_speed(1, rows=10000" in commands[0][-1]

    class FailingProcess(FakeProcess):
        def __init__(self, cmd, **kwargs):
            super().__init__(cmd)
            self.returncode = 1

        def communicate(self):
            return "", "Traceback\nMemoryError\n"

    monkeypatch.setattr(subprocess, "Popen", FailingProcess)
    with pytest.raises(RuntimeError, match=r"a side-by-side training failed \(exit 1\): "
                                           r"\['MemoryError'\]"):
        bench.side_by_side_training_gflops(2, 1)


def test_bench_runs_each_training_rule_on_its_training_threads(monkeypatch, tmp_path):
    """run_benchmark passes --set-threads for every rule that trains a network (the rules
    must exist: a renamed rule would silently train on the config's threads again)."""
    import importlib.util
    import re

    spec = importlib.util.spec_from_file_location("run_benchmark",
                                                  ROOT / "bench" / "run_benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rules = set(re.findall(r"^rule (\w+):", "".join(
        p.read_text() for p in (ROOT / "rules").glob("*.smk")), re.M))
    assert set(module.TRAINING_RULES) <= rules
    seen = []

    class FakeProcess:
        def __init__(self, cmd, **kwargs):
            seen.append(cmd)
            self.stdout, self.returncode = iter(()), 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(module.subprocess, "Popen", FakeProcess)
    with open(tmp_path / "log", "w") as log:
        module.run_snakemake(tmp_path, 2, log, training_threads=1)
        module.run_snakemake(tmp_path, 2, log)
    with_threads, without = seen
    at = with_threads.index("--set-threads")
    assert with_threads[at + 1:at + 4] == ["train_autoencoder=1", "train_contrastive_encoder=1",
                                           "cluster_dec=1"]
    assert with_threads[-2] == "--configfile" and "--set-threads" not in without


def test_results_state_the_bfloat16_multiply_and_each_trainings_precision():
    training = {"dataset": "mnist-test", "encoder": "ae_long", "seed": 0, "threads": 2,
                "batch_size": 256, "epochs_run": 200, "seconds_per_epoch": 1.22,
                "samples_per_second": 8203, "gflops": 157.2}
    results = {"date": "2026-11-26", "machine": "m", "matmul_gflops": 206.0,
               "matmul_bfloat16_gflops": 384.2, "commands": [], "runs": [],
               "training_check": {"ratio": 0.84, "measure": 174.4, "reference": 205.0,
                                  "precision": "mixed_bfloat16", "ratios": [0.84],
                                  "floor": 0.5},
               "trainings": [dict(training, precision="mixed_bfloat16"),
                             dict(training, encoder="ae")]}  # recorded before the setting
    md = results_markdown(results)
    assert "- The same in bfloat16 (what `precision: mixed_bfloat16` multiplies in): " \
           "384.2 GFLOP/s." in md
    assert "Speed check (one training, same process, mixed_bfloat16;" in md
    assert "| mnist-test | ae_long | 0 | 2 | mixed_bfloat16 | 256 | 200 | 1.22 |" in md
    assert "| mnist-test | ae | 0 | 2 | float32 | 256 | 200 | 1.22 |" in md
