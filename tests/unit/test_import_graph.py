"""The package's import graph (read by grimp, function-level and ``TYPE_CHECKING`` imports
included): no two modules import each other, so that a new import cycle cannot creep in.

The layers between packages are import-linter's contract (pyproject.toml); these tests are
about modules inside one package, which the contract does not see.
"""

from __future__ import annotations

import itertools

import grimp
import pytest

PACKAGE = "jupyter_pipelines"

#: Pairs that still import each other, outside model/ and stores/ (untangled there). Each
#: must still be a cycle: untangling one means deleting it here, so this list only shrinks.
KNOWN_MUTUAL_IMPORTS = {
    ("engine.experiment", "engine.interactive"),
    ("engine.experiment", "engine.pipeline"),
    ("engine.experiment", "engine.runs"),
    ("engine.experiment", "engine.workspace"),
    ("engine.interactive", "engine.run_lookup"),
    ("engine.pipeline", "engine.publishing"),
    ("engine.progress", "engine.runs"),
    ("engine.publishing", "engine.runs"),
    ("engine.run_lookup", "engine.runs"),
    ("engine.runs", "engine.step_run"),
    ("engine.step_files", "engine.step_run"),
    ("executors.dask.transport", "executors.dask.worker_side"),
    ("runtime.file_run", "runtime.run"),
    ("runtime.lookup", "runtime.run"),
    ("runtime.run", "runtime.run_children"),
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE)


def mutual_imports(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """Each pair of modules (names relative to the package, in order) that import each
    other directly."""
    pairs = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if module < imported and module in graph.find_modules_directly_imported_by(imported):
                pairs.add((_short(module), _short(imported)))
    return pairs


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def test_no_two_modules_import_each_other(graph: grimp.ImportGraph) -> None:
    new = sorted(mutual_imports(graph) - KNOWN_MUTUAL_IMPORTS)
    assert not new, (
        f"these modules import each other: {new}; move what both need into a module of its "
        "own (as stores/compute_base.py), move the function to the module that uses it, or "
        "pass a callable"
    )


def test_the_known_mutual_imports_are_still_there(graph: grimp.ImportGraph) -> None:
    gone = sorted(KNOWN_MUTUAL_IMPORTS - mutual_imports(graph))
    assert not gone, f"no longer import each other: delete {gone} from KNOWN_MUTUAL_IMPORTS"


@pytest.mark.parametrize("package", ["model", "stores"])
def test_model_and_stores_have_no_mutual_imports(graph: grimp.ImportGraph, package: str) -> None:
    inside = sorted(p for p in mutual_imports(graph) if p[0].startswith(package + "."))
    assert not inside, f"modules of {package}/ import each other: {inside}"


def test_stores_has_no_import_cycle_at_all(graph: grimp.ImportGraph) -> None:
    modules = sorted(m for m in graph.modules if m.startswith(f"{PACKAGE}.stores."))
    cycles = [
        (_short(a), _short(b))
        for a, b in itertools.combinations(modules, 2)
        if graph.chain_exists(a, b) and graph.chain_exists(b, a)
    ]
    assert not cycles, f"modules of stores/ reach each other through imports: {cycles}"
