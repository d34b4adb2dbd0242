"""Every rule has a pinned conda env whose versions equal requirements.txt's, and that env
installs every package the rule's script imports (also through the library, transitively)."""

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SNAKEFILE
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def _pins(lines):
    pins = {}
    for line in lines:
        # name[extras]==version  # comment
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\[[\w,\-]+\])?==([^\s;#]+)\s*(?:#.*)?",
                             line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_env_versions_match_requirements():
    required = _pins((ROOT / "requirements.txt").read_text().splitlines())
    envs = sorted((ROOT / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        pins = _pins(pip)
        assert pins and len(pins) == len(pip), f"{env.name}: every pip entry must be pinned (==)"
        for name, version in pins.items():
            assert required.get(name) == version, (
                f"{env.name}: {name}=={version} but requirements.txt has {required.get(name)}")


def test_every_rule_has_a_conda_env_log_and_benchmark():
    text = "\n".join(p.read_text() for p in (ROOT / "rules").glob("*.smk"))
    rules = re.split(r"\nrule ", text)[1:]
    assert len(rules) >= 10
    for rule in rules:
        name = rule.split(":", 1)[0]
        for directive in ("conda:", "log:", "benchmark:", "script:"):
            assert directive in rule, f"rule {name} has no {directive}"
        env = re.search(r'conda:\s*(?:"\.\./(envs/[^"]+)"|(\w+)\n)', rule)
        assert env, f"rule {name}: conda: names neither an env file nor a function"
        if env.group(1):  # a function's envs are checked by the tests below
            assert (ROOT / env.group(1)).exists(), f"rule {name}: {env.group(1)} does not exist"


# --- what each rule's script imports, against what its env installs -------------------------

LIBRARY = "deepclust"
# `snakemake` is the rule-script runtime, not a dependency: Snakemake's script preamble puts its
# own package folder on the script's sys.path to unpickle the `snakemake` object (see
# snakemake/script/__init__.py, get_snakemake_searchpaths), so no env installs it. The library
# imports it only in helpers for the Snakefile and the command line (config.validate_config).
RUNTIME = {"snakemake"}
# Snakemake runs envs/NAME.post-deploy.sh after creating the env from envs/NAME.yaml; ours
# installs the library from the workflow folder that rules/config_validation.smk puts in this
# variable.
WORKFLOW_DIR_VARIABLE = "DEEPCLUST_WORKFLOW_DIR"
# Imports behind a switch, counted where the switch is thrown instead: seed_everything imports
# TensorFlow and Keras only when called with tensorflow=True, which only the TensorFlow rules'
# scripts do (every other script seeds too, and its env must not need TensorFlow for that).
GATED = {
    "deepclust/seeding.py": {"tensorflow", "keras"},
}
SWITCHES = {("seed_everything", "tensorflow"): {"tensorflow", "keras"}}

# The workflow's rules as Snakemake itself loads them (the API `snakemake --list-rules` uses):
# name -> [conda env, script, folder the two are relative to]. A subprocess, since loading a
# workflow changes the working directory and Snakemake's logging.
_LIST_RULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ResourceSettings
with SnakemakeApi() as api:
    workflow = api.workflow(ResourceSettings(), snakefile=Path(sys.argv[1]),
                            workdir=Path(sys.argv[2]))._workflow
    # a conda: function lists the envs it can return in its `choices`
    rules = {r.name: [getattr(r.conda_env, "choices", [r.conda_env]), r.script, str(r.basedir)]
             for r in workflow.rules}
print("RULES " + json.dumps(rules))
"""


@pytest.fixture(scope="module")
def workflow_rules(tmp_path_factory) -> dict[str, tuple[list[Path | None], Path | None]]:
    """Rule name -> (its conda env files, its script), resolved as Snakemake resolves them."""
    result = subprocess.run([sys.executable, "-c", _LIST_RULES, str(SNAKEFILE),
                             str(tmp_path_factory.mktemp("workdir"))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RULES "))
    rules = {}
    for name, (envs, script, basedir) in json.loads(line[len("RULES "):]).items():
        base = Path(basedir)
        rules[name] = ([None if env is None else (base / env).resolve() for env in envs],
                       None if script is None else (base / script).resolve())
    return rules


def _imported_names(path: Path, package: str | None) -> set[str]:
    """Every module a file imports, anywhere in it (module level, functions, try blocks);
    ``from a import b`` also names ``a.b``, which may be a submodule."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: only inside the library
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _switched_imports(path: Path) -> set[str]:
    """Modules a file makes a library function import by a switch (see SWITCHES), e.g.
    ``seed_everything(seed, tensorflow=True)``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            function = getattr(node.func, "id", getattr(node.func, "attr", None))
            for keyword in node.keywords:
                switched = SWITCHES.get((function, keyword.arg))
                if switched and not (isinstance(keyword.value, ast.Constant)
                                     and not keyword.value.value):
                    names |= switched
    return names


def _library_files(name: str) -> list[Path]:
    """The library's files that importing ``name`` (``deepclust.x.y``) runs."""
    files, folder = [], ROOT
    for part in name.split("."):
        package, module = folder / part / "__init__.py", folder / f"{part}.py"
        if package.exists():
            files.append(package)
            folder = folder / part
        elif module.exists():
            files.append(module)
            break
        else:  # an attribute, not a module
            break
    return files


def script_imports(script: Path) -> dict[str, set[Path]]:
    """Top-level module -> the files importing it, for a rule script and, transitively, the
    library modules (and sibling scripts) it imports. The standard library and the
    Snakemake runtime are left out; the library itself is kept (the env must install it)."""
    found: dict[str, set[Path]] = {}
    queue, seen = [script], set()
    while queue:
        file = queue.pop()
        if file in seen:
            continue
        seen.add(file)
        in_library = file.is_relative_to(ROOT / LIBRARY)
        package = ".".join(file.relative_to(ROOT).parts[:-1]) if in_library else None
        gated = GATED.get(_shown(file), set())
        for name in (_imported_names(file, package) | _switched_imports(file)):
            top = name.split(".")[0]
            if top in gated:
                continue
            if top == LIBRARY:
                queue.extend(_library_files(name))
            elif not in_library and (file.parent / f"{top}.py").exists():
                queue.append(file.parent / f"{top}.py")  # a script's sibling module
                continue
            if top and top not in sys.stdlib_module_names and top not in RUNTIME:
                found.setdefault(top, set()).add(file)
    return found


@cache
def _requires(distribution: str) -> frozenset[str]:
    """The distributions ``distribution`` requires (installed metadata, markers evaluated for
    this platform, no extras)."""
    try:
        requirements = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{distribution} is in an env but not installed here (requirements.txt)")
    environment = {**default_environment(), "extra": ""}
    return frozenset(canonicalize_name(r.name) for r in map(Requirement, requirements)
                     if r.marker is None or r.marker.evaluate(environment))


def installs_library(env_file: Path) -> bool:
    """Whether the env's post-deploy script installs the library from the workflow folder."""
    post_deploy = env_file.with_name(env_file.stem + ".post-deploy.sh")
    command = rf'pip install --no-deps -e "\${WORKFLOW_DIR_VARIABLE}"'
    return post_deploy.exists() and re.search(command, post_deploy.read_text()) is not None


def env_distributions(env_file: Path) -> set[str]:
    """What an env installs: its pip entries, what they require (transitively) and the
    library when its post-deploy script installs it."""
    spec = yaml.safe_load(env_file.read_text())
    pip = next((d["pip"] for d in spec["dependencies"] if isinstance(d, dict)), [])
    todo = [canonicalize_name(Requirement(entry).name) for entry in pip]
    installed: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in installed:
            installed.add(name)
            todo.extend(_requires(name))
    if installs_library(env_file):
        installed.add(LIBRARY)
    return installed


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@cache
def _distributions() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions that provide it."""
    return importlib.metadata.packages_distributions()


def missing_packages(rule: str, env_file: Path, script: Path) -> list[str]:
    """One line for each module the rule's script imports that its env does not install."""
    distributions = _distributions()
    installed = env_distributions(env_file)
    problems = []
    for module, files in sorted(script_imports(script).items()):
        names = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not names & installed:
            where = ", ".join(sorted(_shown(f) for f in files))
            dist = " or ".join(sorted(names)) or "(no installed distribution provides it)"
            problems.append(f"rule {rule}: {_shown(env_file)} lacks {dist} for "
                            f"'import {module}' in {where} (script {_shown(script)})")
    return problems


def test_every_rule_env_installs_what_its_script_imports(workflow_rules):
    scripted = {name: rule for name, rule in workflow_rules.items() if rule[1] is not None}
    assert len(scripted) >= 20
    problems = []
    for name, (env_files, script) in sorted(scripted.items()):
        for env_file in env_files:
            assert env_file is not None and env_file.is_file(), f"rule {name}: no conda env file"
            problems += missing_packages(name, env_file, script)
    assert not problems, "\n".join(problems)


def test_every_env_installs_the_library_from_the_workflow_folder():
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        assert installs_library(env_file), \
            f"{env_file.name}: no {env_file.stem}.post-deploy.sh installing {LIBRARY}"
    common = (ROOT / "rules/config_validation.smk").read_text()
    assert f"os.environ.update({WORKFLOW_DIR_VARIABLE}=workflow.basedir)" in common
    assert "sys.path" not in common and not (ROOT / "scripts" / LIBRARY).exists()


def test_the_import_check_reports_a_missing_package(tmp_path, workflow_rules):
    """The check itself: the autoencoder's script in an env without TensorFlow (and without
    the library) fails, naming both."""
    _, script = workflow_rules["train_autoencoder"]
    fake = tmp_path / "no_tensorflow.yaml"
    spec = yaml.safe_load((ROOT / "envs/tensorflow.yaml").read_text())
    pip = next(d for d in spec["dependencies"] if isinstance(d, dict))
    pip["pip"] = [p for p in pip["pip"] if not p.startswith(("tensorflow", "keras"))]
    fake.write_text(yaml.safe_dump(spec))
    problems = "\n".join(missing_packages("train_autoencoder", fake, script))
    assert "lacks tensorflow for 'import tensorflow'" in problems
    assert "lacks keras for 'import keras'" in problems
    library = next(line for line in problems.splitlines() if "lacks deepclust" in line)
    assert "'import deepclust' in" in library and "scripts/train_encoder.py" in library
    assert library.startswith(f"rule train_autoencoder: {fake}")
    assert "numpy" not in problems  # what the env does install passes


def test_gated_imports_are_still_there():
    """GATED names imports that still exist (else the entry would hide nothing and can go)."""
    for file, modules in GATED.items():
        imported = {name.split(".")[0] for name in _imported_names(ROOT / file, LIBRARY)}
        assert modules <= imported, f"{file} no longer imports {modules - imported}"


def test_each_env_names_the_rules_that_use_it(workflow_rules):
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        header = re.search(r"Used by the rules: (.*?)\.\n", env_file.read_text(), re.S)
        assert header, f"{env_file.name}: no 'Used by the rules: ...' comment"
        named = {name.strip(" #\n") for name in header.group(1).split(",")}
        users = {name for name, (envs, _) in workflow_rules.items() if env_file in envs}
        assert named == users, f"{env_file.name} names {sorted(named)}, used by {sorted(users)}"
