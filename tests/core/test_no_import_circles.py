"""No two modules of rankterm import each other, directly or round a circle, even inside a
function. A circle is two modules that are one in all but name: neither can be read, tested or
moved alone (issue #20). Two crept back in with later features (``server.ingest`` ->
``rejudge`` -> ``projects`` -> ``adaptive`` -> ``ingest``, and ``formats.native`` <->
``ranked_read``), each hidden by an import inside a function; this keeps them out.

A package's ``__init__`` that re-exports its modules is its face, not a circle with them: an
import of the package by one of its own modules is left out.
"""

from __future__ import annotations

from tests.core.test_core_has_no_textual import SCRIPTS, _within, graph_of_rankterm


def _edges() -> dict[str, set[str]]:
    graph = graph_of_rankterm()
    modules = [m for m in graph.modules if m.startswith("rankterm") and not _within(m, SCRIPTS)]
    edges: dict[str, set[str]] = {}
    for module in modules:
        edges[module] = {
            target
            for target in graph.find_modules_directly_imported_by(module)
            if target in edges or target in modules
            if not module.startswith(target + ".")  # a module importing its own package
        }
    return edges


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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
    return found


def test_the_finder_finds_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(edges) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_rankterm_is_in_an_import_circle() -> None:
    assert _circles(_edges()) == []
