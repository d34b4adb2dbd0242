"""The README's Snakemake command lines (after "Once installed, Snakemake can be used directly
with any config file"), parsed from README.md and run as written on small partial configs, in
a scratch folder: only the binary differs (`python -m snakemake --snakefile <checkout>/Snakefile`
for `.venv/bin/snakemake`). config.yaml must be the base, and results land where the README
says. The README's own example of a partial config is the `runs/a/config.yaml` used."""

import re
import shlex
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from conftest import ROOT, SNAKEFILE, planned_jobs

pytestmark = pytest.mark.workflow

README = ROOT / "README.md"
COMMANDS = "Once installed, Snakemake can be used directly with any config file"
EXAMPLE = "For example `runs/a/config.yaml`:"
#: my.yaml: only what it changes (a quick KMeans run on digits)
MY_YAML = {"run": {"datasets": ["digits"], "pipelines": ["kmeans"], "seeds": [0]},
           "clusterers": {"kmeans": {"n_init": 2}}, "figures": {"view": "pca"}}


def readme_block(after: str) -> str:
    """The first fenced code block of README.md after the text ``after``."""
    text = README.read_text()
    assert after in text, f"README.md no longer says {after!r}"
    return re.compile(r"^```\w*\n(.*?)^```", re.M | re.S).search(text, text.index(after))[1]


def readme_commands() -> list[list[str]]:
    """The arguments of each `.venv/bin/snakemake ...` line of the block (comments dropped)."""
    commands = []
    for line in readme_block(COMMANDS).splitlines():
        binary, *args = shlex.split(line, comments=True)
        assert binary == ".venv/bin/snakemake", line
        commands.append(args)
    return commands


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def run(folder, args: list[str]) -> str:
    """Snakemake's output (stdout and stderr) of the README line ``args``, run in ``folder``."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), *args]
    result = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{output}"
    return output


def test_readme_has_the_commands_this_test_runs():
    commands = readme_commands()
    assert ["--cores", "2"] in commands
    assert ["--lint"] in commands
    assert sum("--report" in c for c in commands) == 2
    assert {option(c, "--configfile") for c in commands} == {None, "my.yaml",
                                                             "runs/a/config.yaml"}
    assert {option(c, "--directory") for c in commands} == {None, "runs/a"}


def test_readme_commands_run_as_written_on_partial_configs(tmp_path):
    partials = {"my.yaml": MY_YAML, "runs/a/config.yaml": yaml.safe_load(readme_block(EXAMPLE))}
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    ran = set()  # (configfile, directory) of the runs made (not dry runs)
    for args in readme_commands():
        configfile, directory = option(args, "--configfile"), option(args, "--directory")
        workdir = tmp_path / directory if directory else tmp_path
        config = partials[configfile] if configfile else base
        if "--lint" in args:
            assert "Congratulations, your workflow is in a good condition!" in run(tmp_path, args)
        elif "--report" in args:
            if (configfile, directory) not in ran:  # the config.yaml run: too long to make
                assert configfile is None
                continue
            run(tmp_path, args)
            report = workdir / option(args, "--report")
            assert report.stat().st_size > 100_000 and report.read_text().startswith("<!")
        elif configfile is None:  # the full config.yaml run: planned, not run
            jobs = planned_jobs(run(tmp_path, [*args, "--dry-run"]))
            assert jobs["evaluate"] == len(base["run"]["pipelines"]) * len(base["run"]["seeds"])
        else:
            path = tmp_path / configfile
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(config))
            run(tmp_path, args)
            ran.add((configfile, directory))
            results = workdir / "results"
            pipelines = config["run"]["pipelines"]
            board = pd.read_csv(results / "leaderboard.csv")
            assert sorted(board["pipeline"]) == sorted(pipelines)
            for pipeline in pipelines:
                assert (results / f"digits/pipelines/{pipeline}/seed0/metrics.json").exists()
            encoder = config.get("encoders", {}).get("ae")
            if encoder:  # merged over config.yaml's ae: these settings, the rest from there
                history = pd.read_csv(results / "digits/encoded/ae/seed0/history.csv")
                assert len(history) == encoder["epochs"]
                log = (workdir / "results/logs/train_autoencoder/digits/ae/seed0.log").read_text()
                shift = base["encoders"]["ae"]["augment_images"]["shift"]
                assert f"augmenting images: shifts up to {shift:g}" in log  # config.yaml's
    assert ran == {("my.yaml", None), ("runs/a/config.yaml", "runs/a")}
    assert not (tmp_path / "results/digits/encoded").exists()  # runs/a's training stayed there
