"""The module graph stays easy to change: no import cycles, and the store layer
never reaches into the console."""

from __future__ import annotations

from tests.unit.import_graph import cycles, import_graph


def test_no_module_imports_itself_back_through_others():
    graph = import_graph()
    assert cycles(graph) == [], "import cycles (break them with the app's navigation or a shared module)"


def test_the_store_layer_never_imports_the_console():
    graph = import_graph()
    leaks = {name: sorted(t for t in targets if t.startswith("sokka_tui")) for name, targets in graph.items()
             if name.startswith("stores")}
    assert {name: targets for name, targets in leaks.items() if targets} == {}


def test_the_graph_sees_function_level_imports():
    # The console imports screens lazily, inside functions: those count too.
    graph = import_graph()
    assert "sokka_tui.app" in graph["sokka_tui.cli"]
