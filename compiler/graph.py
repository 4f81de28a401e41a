"""Stage 5: references -> a networkx DAG over every task, each edge saying why it exists.

Two kinds of edges:
- *data*: the consumer's expressions read the producer's outputs (or ``tasks.X.state``);
- *order*: Dag ``dependsOn``, children of flowables that run their list in order, the
  ``errors``/``finally`` lists, and with ``--order kestra`` the top-level list itself.

Containment of a task in a flowable is structure, not an edge. The graph stays internal;
callers get plain :class:`Edge` views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from compiler.model import CONCURRENT_FLOWABLES, Flow, Task
from compiler.references import Extraction, Reference

ORDERS = ("data", "kestra")


@dataclass(frozen=True)
class Via:
    expression: str
    path: str
    line: int
    column: int
    carried: str

    def to_dict(self) -> dict[str, object]:
        return {
            "expression": self.expression,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "carries": self.carried,
        }


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # data | order
    via: tuple[Via, ...] = ()

    @property
    def label(self) -> str:
        carried: list[str] = []
        for v in self.via:
            if v.carried and v.carried not in carried:
                carried.append(v.carried)
        return ", ".join(carried)


@dataclass
class TaskGraph:
    """All tasks and their edges, plus where inputs and flow outputs attach."""

    graph: nx.DiGraph
    tasks: dict[str, Task]
    input_uses: list[tuple[str, str, Via]] = field(default_factory=list)  # (input id, task id, via)
    output_sources: list[tuple[str, str, Via]] = field(
        default_factory=list
    )  # (task id, flow output id, via)
    dynamic_consumers: list[str] = field(default_factory=list)
    lifted_cache: dict[tuple[str, ...], nx.DiGraph] = field(default_factory=dict, repr=False)
    _tops: dict[str, str] | None = field(default=None, repr=False)

    def top_ids(self) -> dict[str, str]:
        """Task id -> the id of its top-level ancestor."""
        if self._tops is None:
            self._tops = {task_id: task.top().id for task_id, task in self.tasks.items()}
        return self._tops

    def edges(self) -> list[Edge]:
        return [
            Edge(u, v, data["kind"], tuple(data["via"]))
            for u, v, data in self.graph.edges(data=True)
        ]


def _via(ref: Reference, carried: str | None = None) -> Via:
    expression = ref.expression if len(ref.expression) <= 200 else ref.expression[:197] + "..."
    return Via(
        expression,
        ref.path,
        ref.span.line,
        ref.span.column,
        carried if carried is not None else ref.carried,
    )


def is_related(a: Task, b: Task) -> bool:
    """True when one task contains the other (no edge between them makes sense)."""
    return a is b or a in b.ancestors() or b in a.ancestors()


def build(flow: Flow, extraction: Extraction, order: str = "data") -> TaskGraph:
    tasks: dict[str, Task] = {}
    for task in flow.all_tasks():
        tasks.setdefault(task.id, task)  # duplicates are reported by a check
    graph = nx.DiGraph()
    for task_id, task in tasks.items():
        graph.add_node(task_id, task=task)
    result = TaskGraph(graph, tasks)

    def add(u: str, v: str, kind: str, via: Via | None = None) -> None:
        if graph.has_edge(u, v):
            data = graph.edges[u, v]
            if kind == "data":
                data["kind"] = "data"
            if via is not None and via not in data["via"]:
                data["via"].append(via)
        else:
            graph.add_edge(u, v, kind=kind, via=[via] if via is not None else [])

    for ref in extraction.references:
        site = ref.site
        if site.owner_kind == "variable" and ref.via is None:
            continue
        if ref.root == "inputs" and ref.name is not None:
            owner = site.task.id if site.task else f"{site.owner_kind}:{site.owner}"
            result.input_uses.append((ref.name, owner, _via(ref, ref.name)))
            continue
        if ref.root not in ("outputs", "tasks"):
            continue
        if ref.name is None:
            if site.task is not None:
                result.dynamic_consumers.append(site.task.id)
            continue
        producer = tasks.get(ref.name)
        if producer is None:
            continue
        carried = ref.carried if ref.root == "outputs" else "state"
        if site.owner_kind == "output":
            result.output_sources.append((producer.id, site.owner, _via(ref, carried)))
            continue
        consumer = site.task
        if consumer is None or is_related(producer, consumer):
            continue
        add(producer.id, consumer.id, "data", _via(ref, carried))

    for task in tasks.values():
        for dep, node in task.depends_on:
            if dep in tasks and dep != task.id:
                add(
                    dep,
                    task.id,
                    "order",
                    Via(
                        f"dependsOn: {dep}",
                        f"{task.path}.dependsOn",
                        node.span.line,
                        node.span.column,
                        "dependsOn",
                    ),
                )
        _sequential_children(task, add)
    for name, section in flow.sections().items():
        if name != "tasks" or order == "kestra":
            _chain(section, add)
        _barriers(section, add)
    _conservative_edges(result, add)
    return result


def _chain(tasks: list[Task], add) -> None:
    for a, b in zip(tasks, tasks[1:]):
        add(a.id, b.id, "order")


def _barriers(tasks: list[Task], add) -> None:
    """A Pause stops its list until someone resumes it: in data order too, nothing after it
    starts before it, and it waits for everything before it."""
    for i, task in enumerate(tasks):
        if task.short_type != "Pause":
            continue
        for before in tasks[:i]:
            add(before.id, task.id, "order")
        for after in tasks[i + 1 :]:
            add(task.id, after.id, "order")


def _sequential_children(task: Task, add) -> None:
    groups: dict[str, list[Task]] = {}
    for child in task.children:
        groups.setdefault(child.field, []).append(child)
    for field_name, children in groups.items():
        # A concurrent flowable runs its 'tasks' together; its errors/finally still run in order.
        if field_name == "tasks" and task.short_type in CONCURRENT_FLOWABLES:
            _barriers(children, add)
            continue
        _chain(children, add)


def _conservative_edges(result: TaskGraph, add) -> None:
    """A computed ``outputs[...]`` may read any task: make the reader wait for every task that
    does not itself wait for the reader (so no cycle is introduced)."""
    graph = result.graph
    for consumer_id in dict.fromkeys(result.dynamic_consumers):
        consumer = result.tasks[consumer_id]
        downstream = nx.descendants(graph, consumer_id)
        for other_id, other in result.tasks.items():
            if (
                other_id in downstream
                or is_related(other, consumer)
                or other.section != consumer.section
            ):
                continue
            add(
                other_id,
                consumer_id,
                "order",
                Via("outputs[<computed>]", consumer.path, consumer.line, 1, "(any output)"),
            )


def lifted(graph: TaskGraph, section: list[Task]) -> nx.DiGraph:
    """The graph between the top-level tasks of one section: edges between nested tasks are
    carried up to their top-level ancestors. Computed once per section and graph."""
    key = tuple(t.id for t in section)
    cached = graph.lifted_cache.get(key)
    if cached is not None:
        return cached
    top_ids = set(key)
    if len(top_ids) == len(graph.tasks) and top_ids == graph.tasks.keys():
        graph.lifted_cache[key] = graph.graph  # a flat flow: nothing to carry up
        return graph.graph
    result = nx.DiGraph()
    result.add_nodes_from(key)
    if top_ids:
        tops = graph.top_ids()
        for u, v, data in graph.graph.edges(data=True):
            tu, tv = tops[u], tops[v]
            if tu == tv or tu not in top_ids or tv not in top_ids:
                continue
            if result.has_edge(tu, tv):
                edge = result.edges[tu, tv]
                edge["via"].extend(data["via"])
                if data["kind"] == "data":
                    edge["kind"] = "data"
            else:
                result.add_edge(tu, tv, kind=data["kind"], via=list(data["via"]))
    graph.lifted_cache[key] = result
    return result
