"""The README and the documentation site: short, generated where they give numbers, free of
lab-notebook material, and complete (every schema key described, every page reachable)."""

import re
import subprocess
import sys

import docgen
import yaml
from conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: files that speak to users and must carry no lab-notebook material
USER_FILES = [README, ROOT / "config.yaml", *sorted(DOCS.rglob("*.md")),
              *sorted((ROOT / "deepclust").rglob("*.py")), *sorted((ROOT / "rules").glob("*")),
              *sorted((ROOT / "scripts").glob("*.py")), ROOT / "Snakefile"]


def _nav_pages(nav) -> list[str]:
    pages = []
    for entry in nav:
        for value in entry.values():
            pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def _mkdocs() -> dict:
    # the !!python/name tags of some extensions do not occur in ours: plain YAML
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def test_readme_fits_on_two_screens():
    assert len(README.read_text().splitlines()) <= 150


def test_readme_results_table_is_generated_from_bench_results():
    text = README.read_text()
    assert docgen.readme_with_table(text) == text, \
        "README.md's results table is stale: run python docs/docgen.py --readme"
    table = text[text.index(docgen.README_START):text.index(docgen.README_END)]
    assert "`dec_long300` 0.984 ± 0.000" in table  # read from bench/results.json


def test_no_issue_session_commit_or_date_in_user_files():
    commits = set(subprocess.run(["git", "rev-list", "--all"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.split())
    problems = []
    for path in USER_FILES:
        text = path.read_text()
        for pattern in (r"\b[Ii]ssues? #?\d+", r"\b[Ss]essions?\b", r"\b20\d\d-\d\d-\d\d\b"):
            problems += [f"{path.relative_to(ROOT)}: {m[0]!r}" for m in re.finditer(pattern, text)]
        for token in re.findall(r"\b[0-9a-f]{7,40}\b", text):
            if any(commit.startswith(token) for commit in commits):
                problems.append(f"{path.relative_to(ROOT)}: commit {token}")
    assert not problems, problems


def test_every_schema_key_has_a_description():
    schema = yaml.safe_load((ROOT / "schemas/config.schema.yaml").read_text())
    keys = docgen.all_keys(schema)
    assert len(keys) > 150
    assert [key.path for key in keys if not key.description] == []


def test_config_reference_lists_every_key_with_its_default():
    schema = yaml.safe_load((ROOT / "schemas/config.schema.yaml").read_text())
    page = docgen.config_reference(schema)
    for key in docgen.all_keys(schema):
        assert f"| `{key.path}` |" in page
    assert "| `datasets.<name>.k_range` | array of integer | `[2, 15]` |" in page
    assert "| `clusterers.<name>[kind=dec|idec].tol` | number | `0.001` | ≥ 0 |" in page


def test_config_reference_finds_a_key_without_description():
    schema = {"type": "object", "properties": {
        "threads": {"type": "integer", "default": 1, "description": "how many"},
        "figures": {"type": "object", "properties": {"view": {"enum": ["pca", "tsne"]}}}}}
    keys = {key.path: key for key in docgen.schema_keys(schema)}
    assert keys["threads"].description == "how many" and keys["threads"].default == "`1`"
    assert keys["figures.view"].description == ""
    assert keys["figures.view"].allowed == '`"pca"`, `"tsne"`'


def test_pipeline_table_reads_bench_results():
    results = {"runs": [
        {"dataset": "bbc", "pipeline": "kmeans", "seed": s, "acc": 0.9 + s / 100, "nmi": 0.8,
         "ari": 0.7, "silhouette": None, "seconds": {"total": 20.0 + s}, "peak_rss_mb": 100}
        for s in range(3)]}
    config = {"pipelines": {"kmeans": {"clusterer": "kmeans"}}}
    table = docgen.pipeline_table(results, config, ["kmeans"], ["bbc"])
    assert "| `kmeans` | none → none → kmeans | bbc | 3 | 0.910 ± 0.008 | 0.800 ± 0.000 " \
           "| – | 21 |" in table


def test_every_page_is_in_the_nav_and_linked_from_the_readme():
    """Each page is one click from the README, so any question is at most two clicks away."""
    pages = _nav_pages(_mkdocs()["nav"])
    generated = {"lab-notebook.md"}  # bench/NOTES.md, added at build time
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert on_disk == set(pages) - generated
    readme = README.read_text()
    for page in set(pages) - generated:
        assert f"(docs/{page})" in readme, f"README.md does not link docs/{page}"


def test_newcomer_questions_have_their_page():
    """The questions a newcomer asks, each answered on the page the README's map names."""
    answers = {
        "own-data.md": ["labels: none", "k: auto"],
        "choosing-a-pipeline.md": ["umap_cosine_kmeans", "lsa_kmeans"],
        "slurm.md": ["DEEPCLUST_SLURM_ACCOUNT", "--profile profiles/slurm"],
        "extending.md": ["make_clusterer", "schemas/config.schema.yaml"],
        "new-data.md": ["python -m deepclust.assign", "unassigned"],
    }
    for page, phrases in answers.items():
        text = (DOCS / page).read_text()
        for phrase in phrases:
            assert phrase in text, f"docs/{page} does not say {phrase!r}"


def test_results_md_holds_generated_tables_and_links_the_notebook():
    results = (ROOT / "bench/RESULTS.md").read_text()
    notes = (ROOT / "bench/NOTES.md").read_text().splitlines()
    prose = {line for line in notes if len(line) > 40 and not line.startswith(("|", "#"))}
    assert not prose & set(results.splitlines())
    assert "[the lab notebook](NOTES.md)" in results


def test_python_examples_of_the_api_page_run():
    examples = [m["body"] for m in re.finditer(r"^```python\n(?P<body>.*?)^```",
                                               (DOCS / "api.md").read_text(), re.M | re.S)]
    assert examples
    for code in examples:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(r"ACC 0\.[7-9]\d\d\n", done.stdout), done.stdout


def test_changelog_keeps_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog")
    assert "## [Unreleased]" in text and "keepachangelog.com" in text
    assert re.search(r"^### (Added|Changed|Fixed|Removed)$", text, re.M)
