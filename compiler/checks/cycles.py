"""Cycles: between tasks, and between top-level tasks once nested edges are carried up."""

from __future__ import annotations

import networkx as nx

from compiler.checks.context import CheckContext
from compiler.graph import lifted


def _path(cycle: list[tuple[str, str]]) -> str:
    nodes = [u for u, _ in cycle] + [cycle[0][0]]
    return " -> ".join(nodes)


def _report(ctx: CheckContext, graph: nx.DiGraph, scope: str) -> bool:
    if nx.is_directed_acyclic_graph(graph):
        return False
    found = False
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        found = True
        cycle = nx.find_cycle(graph.subgraph(component))
        first = ctx.tasks[min(component, key=lambda t: ctx.tasks[t].line)]
        reasons = []
        for u, v in cycle:
            via = graph.edges[u, v]["via"]
            reasons.append(
                f"{v} reads {u} (line {via[0].line})"
                if via and graph.edges[u, v]["kind"] == "data"
                else f"{v} runs after {u}"
            )
        hint = "; ".join(reasons)
        if ctx.order == "kestra":
            hint += "; with --order kestra the top-level list order counts: move the producer before its readers"
        ctx.collector.add(
            "cycle",
            f"{scope}dependency cycle: {_path(cycle)}",
            first.span,
            hint=hint,
            task=first.id,
        )
    return found


def cycle(ctx: CheckContext) -> None:
    if _report(ctx, ctx.graph.graph, ""):
        return
    for section in ctx.flow.sections().values():
        if len(section) > 1 and any(task.children for task in section):  # flat: seen above
            _report(ctx, lifted(ctx.graph, section), "top-level ")
