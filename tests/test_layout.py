"""The package's layout as CONTRIBUTING.md describes it: folders by concern, each importing only
the folders below it, no import cycle, small modules.

The import graph is read from the source (every ``import`` and ``from ... import``, at module level
or inside a function, ``TYPE_CHECKING`` blocks included): a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scaling_cli"

MAX_MODULE_LINES = 400
MAX_FOLDER_MODULES = 15

# What each area may import (besides itself, the standard library and third-party packages).
# An area is a top folder of the package, or a sub-folder of fitting/ and cli/. The root package
# (`scaling_cli`, for `__version__`) may be imported by any area: it imports only core eagerly.
FITTING_SHARED = {"fitting.bootstrap", "fitting.threads", "fitting.progress"}
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "laws": {"core"},
    "hardware": {"core"},
    "planning": {"core", "laws", "hardware"},
    "fitting.bootstrap": {"core"},
    "fitting.threads": set(),
    "fitting.progress": set(),
    "fitting.runs": {"core"},
    "fitting.solvers": {"core", "laws"},
    "fitting.check": {"core", "laws", "fitting.solvers", "fitting.runs", *FITTING_SHARED},
    "fitting.loss_law": {"core", "laws", "fitting.solvers", "fitting.runs", "fitting.check", *FITTING_SHARED},
    "fitting.forms": {"core", "laws", "fitting.solvers", "fitting.runs", "fitting.check", "fitting.loss_law", *FITTING_SHARED},
    "fitting.tasks": {"core", "laws", "fitting.solvers", "fitting.runs", "fitting.check", *FITTING_SHARED},
    "fitting.compare": {"core", "laws", "fitting.solvers", "fitting.runs", *FITTING_SHARED},
    "fitting.pattern": {"core", "laws", "fitting.runs", "fitting.loss_law", *FITTING_SHARED},
    "fitting.hparams": {"core", "laws", "fitting.runs", *FITTING_SHARED},
    "fitting.curves": {"core", "laws", "fitting.runs", *FITTING_SHARED},
    # The package's front door and the calibration harness: anything of fitting.
    "fitting": {"core", "laws", "fitting.*"},
    "fitting.simulate": {"core", "laws", "fitting.*"},
    "fitting.examples": {"core", "fitting.simulate"},
    "plots": {"core", "laws", "hardware", "planning", "fitting.*"},
    "cli.render": {"core", "laws", "hardware", "planning", "fitting", "fitting.*"},
    # cli/: options, output, progress, group and main; cli/commands/ the commands; cli/app.py
    # assembles them. No command imports the app.
    "cli": {"core", "laws", "hardware", "planning", "fitting", "fitting.*", "plots", "cli.render", "cli.app"},
    "cli.commands": {"core", "laws", "hardware", "planning", "fitting", "fitting.*", "plots", "cli.render", "cli"},
    "cli.app": {"cli", "cli.commands"},
}
CORE_PACKAGES = ("core", "laws", "hardware", "planning", "fitting", "plots")
"""The library: never Typer, Rich or click (the CLI renders; the core computes)."""


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """(modules of the package, top-level third-party or stdlib names) that ``name`` imports."""
    is_package = path.name == "__init__.py"
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("scaling_cli"):
                outside.add(target.split(".")[0])
                continue
            for alias in node.names:  # `from . import memory` imports the module memory
                child = f"{target}.{alias.name}"
                inside.add(child if child in known else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                (inside if alias.name.startswith("scaling_cli") else outside).add(
                    alias.name if alias.name.startswith("scaling_cli") else alias.name.split(".")[0]
                )
    inside.discard(name)
    return inside, outside


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known))[0] for name, path in known.items()}


def area(module: str) -> str:
    """``scaling_cli.fitting.loss_law.core`` -> ``fitting.loss_law``; ``scaling_cli.core.units`` -> ``core``;
    the package's own ``__init__`` and ``__main__`` -> ``""`` (the front door: no rule)."""
    parts = module.split(".")[1:]
    if not parts or parts == ["__main__"]:
        return ""
    if parts[0] == "fitting" and len(parts) > 1:
        return f"fitting.{parts[1]}"
    if parts[0] == "cli" and len(parts) > 1 and parts[1] in ("render", "commands", "app"):
        return f"cli.{parts[1]}"
    return parts[0]


def allowed(source: str, target: str) -> bool:
    if target == "" or source == target:
        return True
    rules = ALLOWED[source]
    if "*" in rules or target in rules:
        return True
    return any(rule.endswith(".*") and target.startswith(rule[:-1]) for rule in rules)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in graph:
                continue
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above can fail: a two-module and a three-module loop are both found."""
    loop = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(cycles(loop)) == [["a", "b"], ["c", "d", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_area_imports_only_what_it_may(graph):
    areas = {area(module) for module in graph} - {""}
    assert areas <= set(ALLOWED), f"areas without a rule: {sorted(areas - set(ALLOWED))}"
    broken = sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if area(source) and not allowed(area(source), area(target))
    )
    assert broken == []


def test_the_area_rules_reject_an_upward_import():
    assert not allowed("core", "laws")
    assert not allowed("hardware", "planning")
    assert not allowed("fitting.solvers", "fitting.loss_law")
    assert not allowed("planning", "cli")
    assert not allowed("cli.commands", "cli.app")
    assert allowed("fitting.loss_law", "fitting.check")
    assert allowed("plots", "fitting.loss_law")


def test_the_library_never_imports_the_cli_stack():
    known = modules()
    offending = sorted(
        f"{name} imports {', '.join(sorted(outside & {'typer', 'rich', 'click'}))}"
        for name, path in known.items()
        if area(name).split(".")[0] in CORE_PACKAGES
        for outside in [imports_of(name, path, set(known))[1]]
        if outside & {"typer", "rich", "click"}
    )
    assert offending == []


def test_modules_and_folders_stay_small():
    too_long = {
        str(path.relative_to(PACKAGE)): n for path in PACKAGE.rglob("*.py") if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
    crowded = {
        str(folder.relative_to(PACKAGE)): n
        for folder in [PACKAGE, *PACKAGE.rglob("*")]
        if folder.is_dir() and (n := len(list(folder.glob("*.py")))) > MAX_FOLDER_MODULES
    }
    assert crowded == {}


def test_every_folder_says_what_it_owns_and_may_import():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc, f"{init.relative_to(PACKAGE)} has no docstring"
        if init.parent != PACKAGE:
            assert "May import" in doc or "may import" in doc, f"{init.relative_to(PACKAGE)} does not say what it may import"


def test_contributing_describes_every_folder():
    contributing = (PACKAGE.parent / "CONTRIBUTING.md").read_text()
    folders = sorted(init.parent.relative_to(PACKAGE).as_posix() + "/" for init in PACKAGE.rglob("__init__.py") if init.parent != PACKAGE)
    assert [folder for folder in folders if f"`{folder}`" not in contributing] == []


def test_no_name_a_package_exports_hides_one_of_its_modules():
    """``scaling_cli.fitting.fit`` is the function: a subpackage of that name could be imported
    but not reached as an attribute (``import scaling_cli.fitting.fit.core as m`` fails)."""
    import importlib

    hidden = []
    for init in PACKAGE.rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(PACKAGE.parent).parts)
        for child in sorted(
            p.stem if p.is_file() else p.name
            for p in init.parent.iterdir()
            if (p.suffix == ".py" and p.stem not in ("__init__", "__main__")) or (p / "__init__.py").is_file()
        ):
            module = importlib.import_module(f"{package}.{child}")
            if getattr(importlib.import_module(package), child) is not module:
                hidden.append(f"{package}.{child}")
    assert hidden == []
