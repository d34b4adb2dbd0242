"""Rules of the test suite itself: under CI=true a skipped SLURM or browser test fails the
run, and the fast tier refuses to start Snakemake."""

import os
import subprocess
import sys
from pathlib import Path

import conftest
import pytest

TESTS = Path(__file__).resolve().parent


def _pytest(folder: Path, ci: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "-p", "no:xdist", str(folder)], capture_output=True, text=True,
                          env=env, cwd=folder)


def test_a_skipped_slurm_test_fails_under_ci(tmp_path):
    (tmp_path / "conftest.py").write_text(  # the suite's hook, loaded under another name
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('suite', {str(TESTS / 'conftest.py')!r})\n"
        "suite = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(suite)\n"
        "pytest_runtest_makereport = suite.pytest_runtest_makereport\n")
    (tmp_path / "test_slurm.py").write_text(
        "import pytest\n\ndef test_cluster():\n    pytest.skip('no slurmctld here')\n")
    (tmp_path / "test_other.py").write_text(
        "import pytest\n\ndef test_other():\n    pytest.skip('not needed')\n")
    outside = _pytest(tmp_path, ci=False)
    assert outside.returncode == 0 and "2 skipped" in outside.stdout, outside.stdout
    inside = _pytest(tmp_path, ci=True)
    assert inside.returncode == 1, inside.stdout
    assert "skipped under CI=true" in inside.stdout and "no slurmctld here" in inside.stdout
    assert "1 failed, 1 skipped" in inside.stdout


def test_the_fast_tier_refuses_to_run_snakemake(tmp_path, monkeypatch):
    monkeypatch.setenv(conftest.FAST_TIER, "1")
    with pytest.raises(AssertionError, match="mark it `workflow`"):
        conftest.snakemake(tmp_path, "--dry-run")
