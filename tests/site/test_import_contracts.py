"""The layers stay apart: the import contracts in .importlinter hold (lint-imports), a module
that breaks one makes lint-imports fail, the request path has no import cycle, and a web
process that has loaded every URL's view and the search path has loaded no training code."""

import os
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import grimp

from tests.conftest import run_python

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
REQUEST_PATH = "importlinter:contract:request-path-never-imports-the-lab"
TRAINING_CODE = ("recommendations.lab", "keras", "tensorflow")
TRAINING_PACKAGES = tuple(f"{name}." for name in TRAINING_CODE)


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), str(config), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def contracts() -> ConfigParser:
    parser = ConfigParser()
    parser.read(CONFIG)
    return parser


def request_path_modules(graph: grimp.ImportGraph) -> set[str]:
    sources = contracts()[REQUEST_PATH]["source_modules"].split()
    modules = set()
    for source in sources:
        modules |= {source} | graph.find_descendants(source)
    return modules


def test_the_import_contracts_are_kept():
    result = lint_imports(CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "never imports the lab KEPT" in result.stdout
    assert ", 0 broken." in result.stdout


def test_a_module_that_imports_the_lab_breaks_the_request_path_contract(tmp_path):
    """The same contract with one more source, a command that does import the lab."""
    parser = contracts()
    section = parser[REQUEST_PATH]
    section["source_modules"] += "\nrecommendations.management.commands.evaluate"
    broken = tmp_path / ".importlinter"
    with broken.open("w") as handle:
        parser.write(handle)

    result = lint_imports(broken)

    report = " ".join(result.stdout.split())  # lint-imports wraps long lines
    assert result.returncode != 0
    assert "BROKEN" in report
    assert (
        "recommendations.management.commands.evaluate is not allowed to import "
        "recommendations.lab" in report
    )


def _strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm, iteratively: the import cycles, as sets of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_module_of_the_request_path_is_in_an_import_cycle():
    """Imports inside functions count (a cycle through them is a cycle at run time); imports
    under `if TYPE_CHECKING:` do not."""
    graph = grimp.build_graph(
        "recommendations", "viewers", "movies", "jobs", exclude_type_checking_imports=True
    )
    request_path = request_path_modules(graph)
    cycles = [sorted(c) for c in _strongly_connected(graph) if c & request_path]
    assert cycles == []


def test_a_search_request_loads_no_training_code():
    """A web process: Django set up (every admin registered), every URL's view resolved, the
    search, its rerank stage, the explanations and the home rows imported. python -X importtime
    lists what was loaded."""
    script = """
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import recommendations.selectors, recommendations.search.pipeline
import recommendations.rerank.serving, recommendations.explain.selectors, recommendations.home
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "recsys_site.settings", "DJANGO_DEBUG": "true"}
    result = run_python("-X", "importtime", "-c", script, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "recommendations.search.pipeline" in loaded  # the report is what it seems
    assert "recommendations.rerank.serving" in loaded
    training = sorted(m for m in loaded if m in TRAINING_CODE or m.startswith(TRAINING_PACKAGES))
    assert training == []
