"""dbt-style graph selectors over the task graph, for ``flowc graph --select``.

One selector names a task, optionally with graph operators (dbt's syntax)::

    task        the task itself
    +task       the task and all its ancestors        2+task   ... up to 2 edges upstream
    task+       the task and all its descendants      task+1   ... up to 1 edge downstream
    +task+      both
    @task       the task, its descendants, and every ancestor of those descendants

The name may be a shell-style pattern (``extract_*+``). Selectors separated by spaces are a
union; selectors joined by commas are an intersection (``+load,extract_*+``), as in dbt.

Both edge kinds count (data and order); containment of a task in a flowable is structure, not
an edge, so it is left to the caller (``compiler.draw`` draws a selected flowable whole).
"""

from __future__ import annotations

import fnmatch
import re
from collections import deque
from collections.abc import Callable, Iterable

import networkx as nx

from compiler.diagnostics import did_you_mean

__all__ = ["SelectorError", "select"]

_SELECTOR = re.compile(
    r"""^(?:(?P<at>@)|(?P<up_depth>\d*)(?P<up>\+))?
        (?P<name>[^@+,\s]+)
        (?:(?P<down>\+)(?P<down_depth>\d*))?$""",
    re.VERBOSE,
)
_GLOB = re.compile(r"[*?\[]")


class SelectorError(ValueError):
    """Raised for a malformed selector, or one that names no task of the flow."""


def select(graph: nx.DiGraph, expression: str) -> set[str]:
    """The task ids that ``expression`` selects in ``graph``."""
    items = expression.split()
    if not items:
        raise SelectorError("empty selector: give a task id, e.g. '+load' or 'extract+'")
    selected: set[str] = set()
    for item in items:
        parts = item.split(",")
        result = _one(graph, parts[0])
        for part in parts[1:]:
            result &= _one(graph, part)
        selected |= result
    return selected


def _one(graph: nx.DiGraph, selector: str) -> set[str]:
    match = _SELECTOR.match(selector)
    if match is None or (match["at"] and match["down"]):
        raise SelectorError(
            f"invalid selector '{selector}': expected [N]+task, task+[N], +task+ or @task"
        )
    roots = _names(graph, match["name"], selector)
    if match["at"]:
        below = _reach(graph.successors, roots, None)
        return below | _reach(graph.predecessors, below, None)
    result = set(roots)
    if match["up"]:
        result |= _reach(graph.predecessors, roots, _depth(match["up_depth"]))
    if match["down"]:
        result |= _reach(graph.successors, roots, _depth(match["down_depth"]))
    return result


def _names(graph: nx.DiGraph, name: str, selector: str) -> set[str]:
    if _GLOB.search(name):
        found = {node for node in graph.nodes if fnmatch.fnmatchcase(node, name)}
        if not found:
            raise SelectorError(f"no task matches '{name}' in selector '{selector}'")
        return found
    if name in graph:
        return {name}
    match = did_you_mean(name, graph.nodes)
    hint = f": did you mean '{match}'?" if match else ""
    raise SelectorError(f"unknown task '{name}' in selector '{selector}'{hint}")


def _depth(text: str) -> int | None:
    return int(text) if text else None


def _reach(
    neighbours: Callable[[str], Iterable[str]], roots: Iterable[str], depth: int | None
) -> set[str]:
    """Every node reachable from ``roots`` in at most ``depth`` steps (roots included)."""
    seen = set(roots)
    queue = deque((root, 0) for root in seen)
    while queue:
        node, distance = queue.popleft()
        if depth is not None and distance >= depth:
            continue
        for nxt in neighbours(node):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, distance + 1))
    return seen
