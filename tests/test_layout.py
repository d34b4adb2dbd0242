"""The package's shape: one subpackage per concern, no import cycle, imports at the top, small
modules and thin rule scripts."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LIBRARY = ROOT / "deepclust"
#: what a rule script may hold at most: reading inputs, one library call, writing outputs
MAX_SCRIPT_LINES = 50
#: a library module above this is a sign that it holds more than one job
MAX_MODULE_LINES = 400
#: packages a library function may import lazily: heavy ones, or ones only some runs need
LAZY_ALLOWED = {"tensorflow", "keras", "umap", "numba", "sklearn", "snakemake", "jsonschema",
                "kaggle", "h5py"}
#: what the Snakefile's process must not import (seconds on every start, and every dry run)
HEAVY = ("sklearn", "tensorflow", "keras", "umap", "numba")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def imported_modules(node) -> list[str]:
    """The modules an import statement names (``from deepclust import x`` names the
    submodule ``deepclust.x``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.module == "deepclust":
        return [f"deepclust.{alias.name}" for alias in node.names]
    return [node.module or ""]


def function_imports(tree) -> list:
    """Import statements inside functions (and methods)."""
    return [node for function in ast.walk(tree)
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))]


def named_modules(tree, modules: set[str]) -> set[str]:
    """The library modules a module names in a string, as a table of modules it imports by
    name (``importlib.import_module``) names them."""
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in modules}


def import_graph() -> dict[str, set[str]]:
    """Library module -> the library modules it imports: at its top level, or by name (each
    submodule also importing its packages' ``__init__``)."""
    modules = {module_name(path) for path in library_files()}
    graph = {}
    for path in library_files():
        tree = ast.parse(path.read_text())
        edges = named_modules(tree, modules)
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= {name for name in imported_modules(node) if name in modules}
        graph[module_name(path)] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (the first repeated at the end), or None."""
    state: dict[str, str] = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt, path + [nxt])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_library_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 40 and graph["deepclust.cluster.clusterers"]
    assert "deepclust.cluster.dec" in graph["deepclust.assign"]  # imported by name
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_library_imports_itself_at_the_top_only():
    local = [f"{path.relative_to(ROOT)}:{node.lineno}: {name}"
             for path in library_files()
             for node in function_imports(ast.parse(path.read_text()))
             for name in imported_modules(node) if name.split(".")[0] == "deepclust"]
    assert not local, "function-local imports of the library:\n" + "\n".join(local)


def test_modules_imported_by_name_are_library_modules_in_a_table():
    """``import_module`` takes its name from a table of the library's modules (which the
    import graph, and so the cycle check, counts), never a name built at run time."""
    modules = {module_name(path) for path in library_files()}
    problems = []
    for path in library_files():
        tree = ast.parse(path.read_text())
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"]
        if calls and not named_modules(tree, modules):
            problems.append(f"{path.relative_to(ROOT)}: import_module without a table of modules")
    assert not problems, "\n".join(problems)


def test_lazy_imports_are_heavy_or_optional_packages_and_say_why():
    problems = []
    for path in library_files():
        lines = path.read_text().splitlines()
        for node in function_imports(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for name in imported_modules(node):
                if name.split(".")[0] not in LAZY_ALLOWED:
                    problems.append(f"{where}: {name} is not heavy: import it at the top")
            first = node.lineno - 1
            while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                first -= 1  # a group of lazy imports shares the comment above it
            group = lines[first:node.end_lineno]
            if not any("#" in line for line in group) and \
                    not lines[first - 1].strip().startswith("#"):
                problems.append(f"{where}: a lazy import without a comment giving the reason")
    assert not problems, "\n".join(problems)


def test_modules_are_small_and_scripts_thin():
    long_modules = [f"{path.relative_to(ROOT)}: {n} lines" for path in library_files()
                    if (n := len(path.read_text().splitlines())) >= MAX_MODULE_LINES]
    assert not long_modules, f"modules of {MAX_MODULE_LINES} lines or more: {long_modules}"
    scripts = sorted((ROOT / "scripts").glob("*.py"))
    assert len(scripts) >= 20
    long_scripts = [f"{path.name}: {n} lines" for path in scripts
                    if (n := len(path.read_text().splitlines())) > MAX_SCRIPT_LINES]
    assert not long_scripts, f"rule scripts over {MAX_SCRIPT_LINES} lines: {long_scripts}"


def test_the_package_is_laid_out_by_concern():
    packages = {path.parent.name for path in LIBRARY.glob("*/__init__.py")}
    assert packages == {"data", "encoders", "reduce", "cluster", "evaluate", "figures",
                        "explain", "workflow"}
    for package in packages:
        assert ast.get_docstring(ast.parse((LIBRARY / package / "__init__.py").read_text()))
    shared = {path.stem for path in LIBRARY.glob("*.py")}
    assert shared == {"__init__", "assign", "atomic", "errors", "features", "registry",
                      "seeding"}


def test_the_snakefiles_imports_leave_out_the_heavy_packages():
    """What the Snakefile and rules/*.smk import from the library, imported in a fresh
    process: none of scikit-learn, TensorFlow, Keras, umap or numba comes with it."""
    modules = sorted({match.group(1) for path in [ROOT / "Snakefile",
                                                  *sorted((ROOT / "rules").glob("*.smk"))]
                      for match in re.finditer(r"^\s*from (deepclust[\w.]*) import",
                                               path.read_text(), re.M)})
    assert len(modules) >= 8
    code = "".join(f"import {module}\n" for module in modules) + (
        f"import json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
