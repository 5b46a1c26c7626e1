"""No module of the app imports, even for type checking only, a module that imports it
back: a cycle ties two modules so that neither can change or be tested alone."""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    path: list[str] = []

    def walk(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                walk(imported)
        path.pop()
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            walk(module)
    return found


def test_the_app_has_no_import_cycle() -> None:
    graph = grimp.build_graph("monitor", "adapters", exclude_type_checking_imports=False)
    assert len(graph.modules) > 100  # the whole app was read
    assert [" -> ".join(c) for c in _cycles(graph)] == []


def test_a_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    assert _cycles(graph) == [["a", "b", "c", "a"]]
