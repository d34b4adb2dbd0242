"""Every example of the documentation runs: its configs and its commands, as written.

- Each config of "Your own data" runs for real on the small files of ``example_files`` (one
  seed, encoders trained for a few epochs: what a reader gets, only shorter), through the
  page's own commands; the first config of each modality draws its figures (labels add
  figure jobs, such as the confusion matrix, whose code does not depend on the modality).
- Each config of "Choosing a pipeline" is planned by a dry run (they name the benchmark's
  large datasets).
- "Getting started" and "Clustering new data" run their commands in order in a scratch
  folder, with the files the page names (``# NAME.yaml`` blocks).
- Every other command in the docs is of a kind a test runs: ``make`` targets (CI runs
  lint, docs and test; every target shown must exist), the SLURM command and its exports
  (``tests/test_slurm.py`` runs them on a real SLURM), and environment variables the
  workflow reads.

The one command not run is the report of the whole ``config.yaml`` run (it needs that run,
which ``make run`` makes); ``tests/test_report_browser.py`` and the ``runs/a`` report here
cover ``--report``.
"""

import json
import re
import subprocess

import pandas as pd
import pytest
import yaml
from conftest import ROOT, planned_jobs
from docs_pages import DOCS, blocks, commands, named_files, option, runnable
from example_files import write_example_files

pytestmark = pytest.mark.workflow

OWN_DATA = blocks("own-data.md", "yaml")
CHOOSING = blocks("choosing-a-pipeline.md", "yaml")
BASE = yaml.safe_load((ROOT / "config.yaml").read_text())


def _run(folder, args: list[str], env=None) -> str:
    result = subprocess.run(runnable(args), cwd=folder, capture_output=True, text=True, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{output[-5000:]}"
    return output


def _encoders(config: dict) -> dict[str, str]:
    """Pipeline -> its encoder, for the pipelines a config runs."""
    pipelines = {**BASE["pipelines"], **config.get("pipelines", {})}
    return {p: pipelines[p].get("encoder", "none") for p in config["run"]["pipelines"]}


def _modality(config: dict) -> str:
    """The modality of a config's (first) dataset: what its figures show differs by it."""
    return config["datasets"][config["run"]["datasets"][0]]["modality"]


#: the modality of each config of "Your own data", in page order
MODALITIES = [_modality(yaml.safe_load(block)) for block in OWN_DATA]


def _quick(config: dict, number: int) -> dict:
    """The overlay that shortens a documented config's run: one seed, every encoder its
    pipelines use trained for 20 epochs (the example files are small), and figures only for
    the page's first config of each modality (a later one draws them with the same code)."""
    first_of_modality = MODALITIES.index(MODALITIES[number]) == number
    return {"run": {"seeds": [0]},
            "encoders": {name: {"epochs": 20} for name in set(_encoders(config).values())
                         - {"none"}},
            "figures": {"seeds": "first" if first_of_modality else "none"}}


def _input_rows(config: dict, folder, dataset: str) -> int | None:
    """Rows of a table dataset's file, or None for other sources."""
    source = config["datasets"][dataset]["source"]
    if source["kind"] != "table":
        return None
    encoding = source.get("encoding", "utf-8")
    return len(pd.read_csv(folder / source["files"]["table"]["url"], encoding=encoding))


def test_docs_commands_are_commands_the_tests_run():
    variables = "\n".join(p.read_text() for folder in ("deepclust", "rules", "profiles")
                          for p in (ROOT / folder).rglob("*") if p.is_file())
    kinds = set()
    for page in sorted(DOCS.glob("*.md")):
        for args in commands(page.name):
            kinds.add(args[0])
            if args[0] == "make":
                made = subprocess.run(["make", "-n", *args[1:]], cwd=ROOT, capture_output=True)
                assert made.returncode == 0, f"docs/{page.name}: make {args[1:]} is no target"
            elif args[0] == "export":
                name = args[1].split("=")[0]
                assert name in variables, f"docs/{page.name}: nothing reads {name}"
            elif args[:2] == [".venv/bin/python", "-m"]:
                assert args[2] == "deepclust.assign", f"docs/{page.name}: {args}"
            else:
                assert args[0] == ".venv/bin/snakemake", f"docs/{page.name}: {args}"
                runs_it = {"getting-started.md", "own-data.md", "new-data.md", "slurm.md"}
                assert page.name in runs_it, f"docs/{page.name}: no test runs {args}"
    assert {"make", ".venv/bin/snakemake", ".venv/bin/python", "export"} <= kinds


@pytest.fixture
def data_folder(tmp_path):
    write_example_files(tmp_path)
    return tmp_path


@pytest.mark.parametrize("number", range(len(OWN_DATA)))
def test_own_data_config_runs_with_the_page_commands(number, data_folder):
    config = yaml.safe_load(OWN_DATA[number])
    assert "run" in config, f"own-data.md's config {number} is not complete"
    (data_folder / "my.yaml").write_text(OWN_DATA[number])
    quick = _quick(config, number)
    (data_folder / "quick.yaml").write_text(yaml.safe_dump(quick))
    for args in commands("own-data.md"):
        assert option(args, "--configfile") == "my.yaml", args
        at = args.index("my.yaml") + 1  # a second --configfile would replace the first
        _run(data_folder, [*args[:at], "quick.yaml", *args[at:]])
    results = data_folder / "results"
    board = pd.read_csv(results / "leaderboard.csv")
    datasets, pipelines = config["run"]["datasets"], config["run"]["pipelines"]
    pipeline_encoders = _encoders(config)
    assert len(board) == len(datasets) * len(pipelines)
    for dataset in datasets:
        rows = _input_rows(config, data_folder, dataset)
        for pipeline in pipelines:
            run = results / dataset / "pipelines" / pipeline / "seed0"
            clusters = pd.read_csv(run / "clusters.csv")
            metrics = json.loads((run / "metrics.json").read_text())
            assert len(clusters) > 0 and (rows is None or len(clusters) <= rows)
            assert metrics["n_clusters"] >= 2
            if metrics.get("acc") is not None:  # labelled: the files hold easy structure
                # an encoder trained 20 epochs only: above chance, not at its full score
                trained = pipeline_encoders[pipeline] != "none"
                floor = 2 / metrics["n_clusters"] if trained else 0.6
                assert metrics["acc"] >= floor, (dataset, pipeline, metrics["acc"])
            if quick["figures"]["seeds"] == "first":
                assert (run / "clusters.png").stat().st_size > 10_000
            else:
                assert not (run / "clusters.png").exists()


@pytest.mark.parametrize("number", range(len(CHOOSING)))
def test_choosing_a_pipeline_config_plans_every_run(number, data_folder):
    config = yaml.safe_load(CHOOSING[number])
    (data_folder / "my.yaml").write_text(CHOOSING[number])
    jobs = planned_jobs(_run(data_folder, [".venv/bin/snakemake", "-n", "--configfile",
                                           "my.yaml"]))
    run = config["run"]
    seeds = run.get("seeds", BASE["run"]["seeds"])
    expected = len(run["datasets"]) * len(run["pipelines"]) * len(seeds)
    assert jobs["evaluate"] == expected


def test_getting_started_commands_run_as_written(data_folder):
    """Each command in order: make targets exist, the full config.yaml run is planned, runs of
    a partial config are made and land where the page says."""
    files = named_files("getting-started.md")
    if "Copy `my.yaml` to `runs/a/config.yaml`" in (DOCS / "getting-started.md").read_text():
        files["runs/a/config.yaml"] = files["my.yaml"]
    for name, text in files.items():
        (data_folder / name).parent.mkdir(parents=True, exist_ok=True)
        (data_folder / name).write_text(text)
    made = set()
    for args in commands("getting-started.md"):
        configfile, directory = option(args, "--configfile"), option(args, "--directory")
        workdir = data_folder / directory if directory else data_folder
        if args[0] == "make":
            continue  # checked by test_docs_commands_are_commands_the_tests_run
        if "--report" in args:
            if configfile is None:
                continue  # the whole config.yaml run's report: see the module docstring
            assert (configfile, directory) in made, "a report before its run"
            _run(data_folder, args)
            report = workdir / option(args, "--report")
            assert report.stat().st_size > 100_000 and report.read_text().startswith("<!")
        elif configfile is None:
            jobs = planned_jobs(_run(data_folder, [*args, "--dry-run"]))
            assert jobs["evaluate"] == len(BASE["run"]["pipelines"]) * len(BASE["run"]["seeds"])
        else:
            assert configfile in files, f"getting-started.md does not show {configfile}"
            _run(data_folder, args)
            made.add((configfile, directory))
            config = yaml.safe_load(files[configfile])
            board = pd.read_csv(workdir / "results" / "leaderboard.csv")
            assert sorted(board["pipeline"]) == sorted(config["run"]["pipelines"])
            encoder = config.get("encoders", {}).get("ae")
            if encoder:  # merged over config.yaml's ae: these settings, the rest from there
                history = pd.read_csv(workdir / "results/digits/encoded/ae/seed0/history.csv")
                assert len(history) == encoder["epochs"]
    assert len(made) >= 2
    assert not (data_folder / "results/digits/encoded").exists() or \
        ("my.yaml", None) in made  # runs/a's training stayed in runs/a


def test_new_data_commands_run_as_written(data_folder):
    for name, text in named_files("new-data.md").items():
        (data_folder / name).write_text(text)
    for args in commands("new-data.md"):
        if args[0] == ".venv/bin/snakemake":
            _run(data_folder, args)
        else:
            output = _run(data_folder, args)
            new = pd.read_csv(data_folder / "data/new-products.csv")
            assigned = pd.read_csv(data_folder / option(args, "--output"))
            assert list(assigned.columns[:3]) == ["id", "cluster", "reason"]
            assert list(assigned["id"]) == list(new["sku"])
            assert re.search(rf"{len(new)} rows -> ", output), output
