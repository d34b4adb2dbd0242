import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.workflow
def test_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT,
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Lints for" not in output, output
    assert "Congratulations, your workflow is in a good condition!" in output


def _tool(name):
    return str(ROOT / ".venv" / "bin" / name) if (ROOT / ".venv" / "bin" / name).exists() \
        else name


def test_snakefmt_and_ruff_are_clean():
    """`make lint`'s formatters: the Snakefile and rules are formatted, the Python is clean."""
    for cmd in ([_tool("snakefmt"), "--check", "Snakefile", "rules/"],
                [_tool("ruff"), "check", "deepclust", "scripts", "tests", "bench"]):
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(cmd)}:\n{result.stdout}{result.stderr}"
