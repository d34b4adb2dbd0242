"""Raw input files are tracked: editing a user's local table, or the
file:// source of a download, reruns exactly its dataset's chain; a config in which two
files of one dataset land on the same local name is rejected."""

import pandas as pd
import pytest
from conftest import planned_jobs, run_workflow

pytestmark = pytest.mark.workflow


def table(path, rows, offset=0):
    """A small two-class table: x, y numeric, label 0/1."""
    lines = ["x,y,label"] + [f"{i + offset},{(i * 7) % 11},{i % 2}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def table_dataset(url):
    return {"modality": "tabular", "k": 2,
            "source": {"kind": "table", "files": {"table": {"url": url}},
                       "columns": {"x": "numeric", "y": "numeric", "label": "label"}}}


def two_tables(alpha_url, beta_url):
    return {
        "run": {"datasets": ["alpha", "beta"], "pipelines": ["kmeans"], "seeds": [0]},
        "datasets": {"alpha": table_dataset(alpha_url), "beta": table_dataset(beta_url)},
        "clusterers": {"kmeans": {"kind": "kmeans", "n_init": 2}},
        "pipelines": {"kmeans": {"clusterer": "kmeans"}},
        "figures": {"view": "pca"},
    }


def planned_datasets(output):
    """The dataset wildcard of every job in a dry-run's plan."""
    return {line.split("dataset=")[1].split(",")[0].strip()
            for line in output.splitlines()
            if line.strip().startswith("wildcards:") and "dataset=" in line}


def dry_run(workdir, config, *targets):
    result = run_workflow(workdir, config, "-n", *targets)
    output = result.stdout + result.stderr
    return planned_jobs(output), planned_datasets(output)


def test_editing_a_local_table_reruns_exactly_its_dataset(tmp_path):
    alpha = table(tmp_path / "alpha.csv", 40)
    table(tmp_path / "beta.csv", 40)
    config = two_tables(str(alpha), str(tmp_path / "beta.csv"))
    # both datasets' chains up to their metrics (the figures hang on them the same way)
    metrics = [f"results/{name}/pipelines/kmeans/seed0/metrics.json" for name in ("alpha", "beta")]
    run_workflow(tmp_path, config, *metrics)
    assert dry_run(tmp_path, config, *metrics) == ({}, set())  # everything is up to date

    with alpha.open("a") as handle:  # the user adds rows to their own file
        handle.write("100,3,0\n101,4,1\n")

    jobs, datasets = dry_run(tmp_path, config, *metrics)
    assert datasets == {"alpha"}
    assert jobs == {"prepare_dataset": 1, "vectorize_features": 1, "cluster": 1, "evaluate": 1}
    run_workflow(tmp_path, config, "results/alpha/prepared/rows.csv")
    rows = pd.read_csv(tmp_path / "results/alpha/prepared/rows.csv")
    assert len(rows) == 42  # the edited file was read, in place (not copied)
    assert not (tmp_path / "downloads/alpha").exists()


def test_editing_a_file_url_source_fetches_it_anew(tmp_path):
    source = table(tmp_path / "source.csv", 30)
    config = two_tables(source.as_uri(), source.as_uri())
    config["run"]["datasets"] = ["alpha"]
    targets = ["results/alpha/prepared/rows.csv", "results/alpha/vectorized/features.npz"]
    run_workflow(tmp_path, config, *targets)
    cached = tmp_path / "downloads/alpha/source.csv"
    assert cached.read_text() == source.read_text()
    assert dry_run(tmp_path, config, *targets) == ({}, set())

    table(source, 35, offset=1000)  # the source changes

    jobs, datasets = dry_run(tmp_path, config, *targets)
    assert jobs == {"download": 1, "prepare_dataset": 1, "vectorize_features": 1}
    assert datasets == {"alpha"}
    run_workflow(tmp_path, config, *targets)
    assert cached.read_text() == source.read_text()
    assert len(pd.read_csv(tmp_path / "results/alpha/prepared/rows.csv")) == 35


def test_a_pinned_file_url_source_with_a_new_modification_time_reruns_nothing(tmp_path):
    """With a sha256 the content is fixed: a copy or a remount that only gives the source a
    new modification time leaves every result current; new content fails the checksum."""
    import hashlib
    import os

    source = table(tmp_path / "source.csv", 30)
    config = two_tables(source.as_uri(), source.as_uri())
    config["run"]["datasets"] = ["alpha"]
    config["datasets"]["alpha"]["source"]["files"]["table"]["sha256"] = \
        hashlib.sha256(source.read_bytes()).hexdigest()
    targets = ["results/alpha/prepared/rows.csv", "results/alpha/vectorized/features.npz"]
    run_workflow(tmp_path, config, *targets)
    later = os.stat(source).st_mtime + 3600
    os.utime(source, (later, later))  # same bytes, newer than every result

    assert dry_run(tmp_path, config, *targets) == ({}, set())

    table(source, 35, offset=1000)  # new content: the pinned sha256 no longer matches
    config["datasets"]["alpha"]["source"]["files"]["table"]["sha256"] = "0" * 64
    result = run_workflow(tmp_path, config, *targets, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "sha256" in output, output
    assert "0" * 64 in output, output


def test_two_files_of_a_dataset_with_one_local_name_are_a_config_error(tmp_path):
    config = two_tables("a.csv", "b.csv")
    config["run"]["datasets"] = ["alpha"]
    config["datasets"]["alpha"] = {
        "modality": "image",
        "source": {"kind": "idx", "files": {
            "images": {"url": "https://example.org/a/data.gz"},
            "labels": {"url": "https://example.org/b/data.gz"}}}}
    result = run_workflow(tmp_path, config, "-n", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Invalid config: datasets.alpha.source.files: images and labels are both saved " \
           "as downloads/alpha/data.gz" in output, output
