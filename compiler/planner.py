"""Stage 7: the graph -> a plan: topological layers, the critical path and the maximum width.

Layers are computed between top-level tasks (flowables run their own children); the runtime
starts a task as soon as its dependencies are done, which the layers only summarise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from compiler.graph import TaskGraph, lifted
from compiler.model import Flow


@dataclass(frozen=True)
class Plan:
    order: str
    layers: tuple[tuple[str, ...], ...]
    critical_path: tuple[str, ...]
    width: int
    #: top-level task id -> the top-level tasks it waits for (main section)
    waits_for: dict[str, frozenset[str]] = field(default_factory=dict)
    #: every task id -> the tasks it waits for, at any depth (data and order edges)
    dependencies: dict[str, frozenset[str]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    finally_: tuple[str, ...] = ()
    after_execution: tuple[str, ...] = ()


def plan(flow: Flow, graph: TaskGraph, order: str) -> Plan:
    top = lifted(graph, flow.tasks)
    order_key = _file_order(flow)
    if nx.is_directed_acyclic_graph(top):
        layers = tuple(
            tuple(sorted(layer, key=order_key)) for layer in nx.topological_generations(top)
        )
        topo = [task for layer in layers for task in layer]
        critical = tuple(nx.dag_longest_path(top, topo_order=topo)) if topo else ()
    else:  # reported as a cycle; keep the file order so that tools still get a plan
        layers = tuple((t.id,) for t in flow.tasks)
        critical = ()
    return Plan(
        order=order,
        layers=layers,
        critical_path=critical,
        width=max((len(layer) for layer in layers), default=0),
        waits_for={node: frozenset(top.predecessors(node)) for node in top.nodes},
        dependencies={
            node: frozenset(graph.graph.predecessors(node)) for node in graph.graph.nodes
        },
        errors=tuple(t.id for t in flow.errors),
        finally_=tuple(t.id for t in flow.finally_),
        after_execution=tuple(t.id for t in flow.after_execution),
    )


def _file_order(flow: Flow):
    index = {t.id: i for i, t in enumerate(flow.all_tasks())}
    return lambda task_id: index.get(task_id, 0)
