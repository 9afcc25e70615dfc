"""The architecture holds: packages import one way only, and only the catalogue writes.

The layers, top to bottom (docs/architecture.md): the command line (which
also starts the app), the GUI, the engine, search, indexing, subject groups
and near-duplicates, vision and
library, media, and the foundation modules (terminal progress; tasks and
logs; paths and errors).  A module may import from
its own unit or from a lower layer, never from a higher or a sibling one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import album

PACKAGE = Path(album.__file__).parent

#: unit -> layer number (higher imports lower)
LAYERS = {
    "__main__": 9, "cli": 8, "gui": 7,
    "engine": 6,
    "search": 5, "indexing": 5, "groups": 5, "duplicates": 5,
    "vision": 4, "library": 4,
    "media": 3,
    "terminal_progress": 2,
    "tasks": 1, "logs": 1,
    "paths": 0, "errors": 0, "__init__": 0,
}
#: imports that go down more than one step or sideways on purpose, with the reason
ALLOWED_SIDEWAYS: set[tuple[str, str]] = set()


def unit_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_units(path: Path) -> set[str]:
    units = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "album" and len(parts) > 1 and parts[1] in LAYERS:
                units.add(parts[1])
    return units


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        unit = unit_of(path)
        graph.setdefault(unit, set()).update(imported_units(path) - {unit})
    return graph


def test_every_unit_has_a_layer():
    assert set(import_graph()) <= set(LAYERS)


def test_imports_point_down_only():
    wrong = [(unit, target) for unit, targets in import_graph().items() for target in targets
             if LAYERS[target] >= LAYERS[unit] and (unit, target) not in ALLOWED_SIDEWAYS]
    assert wrong == []


def test_the_package_import_graph_has_no_cycle():
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(unit: str, trail: list[str]) -> None:
        state[unit] = 1
        for target in graph.get(unit, ()):
            assert state.get(target) != 1, "import cycle: " + " -> ".join(trail + [unit, target])
            if target not in state:
                visit(target, trail + [unit])
        state[unit] = 2

    for unit in graph:
        if unit not in state:
            visit(unit, [])


def test_only_the_catalogue_opens_sessions():
    """Every read and write of the database goes through a named method of the catalogue package;
    besides it, only the table definitions and the migrations know SQLAlchemy."""
    catalogue = PACKAGE / "library" / "catalogue"
    database_modules = {PACKAGE / "library" / "schema.py", PACKAGE / "library" / "migrations.py"}
    users = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
             if "sqlalchemy" in imported_modules(path) and catalogue not in path.parents
             and path not in database_modules]
    assert users == []
    sessions = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                if ".session(" in path.read_text() or "session.begin(" in path.read_text()]
    assert sessions and all(path.startswith("library/catalogue/") for path in sessions)


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found
