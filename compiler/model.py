"""Nodes -> a Flow with its task tree, inputs, outputs and variables, every part with a span.

The model is tolerant: a malformed part is reported (``invalid-flow``) and skipped, so that the
rest of the flow is still checked. Kestra's structure rules live here: which fields of a
flowable hold child tasks, and how each flowable runs its children.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from compiler.diagnostics import Collector
from compiler.loader import YMap, YNode, YScalar, YSeq
from compiler.source import SourceFile, Span

#: Fields that hold lists of child tasks, wherever a flowable has them.
CHILD_LIST_FIELDS = ("tasks", "then", "else", "defaults", "errors", "finally", "afterExecution")
#: Flowables whose child list runs concurrently (everything else runs its children in order).
CONCURRENT_FLOWABLES = {"Parallel", "EachParallel", "Dag"}
#: Flowables whose children run once per value: their outputs are keyed by the value.
LOOP_FLOWABLES = {"ForEach", "EachSequential", "EachParallel"}
#: Branching flowables: their children may not run.
BRANCH_FIELDS = {"then", "else", "cases", "defaults"}
#: Keys never rendered by Kestra (UI text), so never parsed for expressions.
NOT_RENDERED = frozenset({"description", "displayName", "extend", "id", "type"})


def short_type(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1] if type_name else ""


@dataclass(eq=False)
class Task:
    id: str
    type: str
    node: YMap
    path: str  # YAML path, e.g. tasks[1].then[0]
    section: str  # tasks | errors | finally | afterExecution (of the flow)
    parent: Task | None = None
    field: str = "tasks"  # the parent's field holding this task (cases.<key> for Switch)
    children: list[Task] = dc_field(default_factory=list)
    depends_on: list[tuple[str, YScalar]] = dc_field(default_factory=list)  # Dag entries

    @property
    def span(self) -> Span:
        key = self.node.get("id")
        return key.span if key is not None else self.node.span

    @property
    def type_span(self) -> Span:
        node = self.node.get("type")
        return node.span if node is not None else self.node.span

    @property
    def short_type(self) -> str:
        return short_type(self.type)

    @property
    def line(self) -> int:
        return self.span.line

    def ancestors(self) -> Iterator[Task]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def top(self) -> Task:
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def loop_ancestors(self) -> list[Task]:
        return [a for a in self.ancestors() if a.short_type in LOOP_FLOWABLES]

    def prop(self, name: str) -> YNode | None:
        return self.node.get(name)


@dataclass(eq=False)
class Declared:
    """An input, flow output or trigger: an id with its node."""

    id: str
    node: YMap
    path: str

    @property
    def span(self) -> Span:
        key = self.node.get("id") or self.node.get("name")
        return key.span if key is not None else self.node.span

    @property
    def type(self) -> str:
        value = self.node.value("type")
        return value if isinstance(value, str) else ""


@dataclass(eq=False)
class PluginDefault:
    type: str
    forced: bool
    values: YMap | None
    path: str


@dataclass(eq=False)
class Flow:
    source: SourceFile
    root: YMap
    id: str = ""
    namespace: str = ""
    tasks: list[Task] = dc_field(default_factory=list)  # top-level main tasks
    errors: list[Task] = dc_field(default_factory=list)
    finally_: list[Task] = dc_field(default_factory=list)
    after_execution: list[Task] = dc_field(default_factory=list)
    inputs: list[Declared] = dc_field(default_factory=list)
    outputs: list[Declared] = dc_field(default_factory=list)
    triggers: list[Declared] = dc_field(default_factory=list)
    variables: YMap | None = None
    plugin_defaults: list[PluginDefault] = dc_field(default_factory=list)
    _all: list[Task] | None = dc_field(default=None, repr=False)
    _props: dict[int, dict[str, Any]] = dc_field(default_factory=dict, repr=False)

    def all_tasks(self) -> list[Task]:
        """Every task of the flow, depth first, in file order (computed once: the model does
        not change after it is built)."""
        if self._all is None:
            self._all = self._walk()
        return self._all

    def _walk(self) -> list[Task]:
        result: list[Task] = []

        def visit(tasks: list[Task]) -> None:
            for task in tasks:
                result.append(task)
                visit(task.children)

        for section in (self.tasks, self.errors, self.finally_, self.after_execution):
            visit(section)
        return result

    def sections(self) -> dict[str, list[Task]]:
        return {
            "tasks": self.tasks,
            "errors": self.errors,
            "finally": self.finally_,
            "afterExecution": self.after_execution,
        }

    def effective_props(self, task: Task) -> dict[str, Any]:
        """The task's properties with ``pluginDefaults`` applied: a default applies when its
        type equals the task's or is a prefix of it, and the task's own value wins unless the
        default is forced. Computed once per task; callers must not mutate the result."""
        cached = self._props.get(id(task))
        if cached is None:
            cached = task.node.to_python()
            for default in self.defaults_for(task.type):
                if default.values is None:
                    continue
                for key, value in default.values.to_python().items():
                    if default.forced or key not in cached:
                        cached[key] = value
            self._props[id(task)] = cached
        return cached

    def defaults_for(self, type_name: str) -> list[PluginDefault]:
        return [
            d for d in self.plugin_defaults if type_name == d.type or type_name.startswith(d.type)
        ]


# Top-level keys Kestra knows, with the YAML kind each must have.
TOP_LEVEL: dict[str, type | tuple[type, ...]] = {
    "id": YScalar,
    "namespace": YScalar,
    "revision": YScalar,
    "description": YScalar,
    "labels": (YSeq, YMap),
    "inputs": YSeq,
    "variables": YMap,
    "tasks": YSeq,
    "errors": YSeq,
    "finally": YSeq,
    "afterExecution": YSeq,
    "outputs": (YSeq, YMap),
    "triggers": YSeq,
    "pluginDefaults": YSeq,
    "taskDefaults": YSeq,
    "concurrency": YMap,
    "retry": YMap,
    "disabled": YScalar,
    "sla": YSeq,
    "workerGroup": YMap,
    "deleted": YScalar,
    "tenantId": YScalar,
    "checks": YSeq,
    "quotas": YSeq,
    "extend": YMap,
    "listeners": YSeq,  # deprecated since 0.x; old flows still carry it
}


def build(root: YNode | None, source: SourceFile, collector: Collector) -> Flow | None:
    """Build the flow model; report structural problems as ``invalid-flow``."""
    if not isinstance(root, YMap):
        span = root.span if root is not None else Span(1, 1, 1, 1)
        collector.add(
            "invalid-flow",
            "a flow must be a YAML mapping with 'id', 'namespace' and 'tasks'",
            span,
            hint="start the file with 'id: my_flow', 'namespace: company.team' and a 'tasks:' list",
        )
        return None
    flow = Flow(source, root)
    for key, value in root.pairs:
        expected = TOP_LEVEL.get(key.value)
        if expected is None:
            collector.add(
                "invalid-flow",
                f"unknown top-level key '{key.value}'",
                key.span,
                hint=_close_top_level(str(key.value)),
            )
        elif not isinstance(value, expected) and not (
            isinstance(value, YScalar) and value.value is None
        ):
            kind = "a list" if expected is YSeq else "a mapping" if expected is YMap else "a value"
            collector.add("invalid-flow", f"'{key.value}' must be {kind}", value.span)
    for key in ("id", "namespace"):
        node = root.get(key)
        if node is None:
            collector.add(
                "invalid-flow",
                f"the flow has no '{key}'",
                _first_line(root),
                hint=f"add '{key}:' at the top level",
            )
        elif isinstance(node, YScalar) and isinstance(node.value, (str, int)):
            setattr(flow, key, str(node.value))
    tasks_node = root.get("tasks")
    if (
        tasks_node is None
        or (isinstance(tasks_node, YSeq) and not tasks_node.items)
        or (isinstance(tasks_node, YScalar) and tasks_node.value is None)
    ):
        where = tasks_node.span if tasks_node is not None else _first_line(root)
        collector.add(
            "invalid-flow",
            "the flow has no tasks: 'tasks' must not be empty",
            where,
            hint="add at least one task under 'tasks:'",
        )
    for section, attr in (
        ("tasks", "tasks"),
        ("errors", "errors"),
        ("finally", "finally_"),
        ("afterExecution", "after_execution"),
    ):
        node = root.get(section)
        if isinstance(node, YSeq):
            setattr(flow, attr, _task_list(node, section, section, None, section, collector))
    flow.inputs = _declared(root.get("inputs"), "inputs", collector)
    flow.outputs = _declared(root.get("outputs"), "outputs", collector)
    flow.triggers = _declared(root.get("triggers"), "triggers", collector)
    variables = root.get("variables")
    flow.variables = variables if isinstance(variables, YMap) else None
    for key in ("pluginDefaults", "taskDefaults"):
        node = root.get(key)
        if isinstance(node, YSeq):
            for i, item in enumerate(node.items):
                if isinstance(item, YMap) and isinstance(item.value("type"), str):
                    values = item.get("values")
                    flow.plugin_defaults.append(
                        PluginDefault(
                            item.value("type"),
                            item.value("forced") is True,
                            values if isinstance(values, YMap) else None,
                            f"{key}[{i}]",
                        )
                    )
    return flow


def _first_line(root: YMap) -> Span:
    return Span(
        root.span.line,
        root.span.column,
        root.span.line,
        root.span.column + 1,
        root.span.offset,
        root.span.offset,
    )


def _close_top_level(name: str) -> str:
    from compiler.diagnostics import did_you_mean

    match = did_you_mean(name, TOP_LEVEL)
    return (
        f"did you mean '{match}'?" if match else "known keys are: " + ", ".join(sorted(TOP_LEVEL))
    )


def _declared(node: YNode | None, section: str, collector: Collector) -> list[Declared]:
    result: list[Declared] = []
    if isinstance(node, YMap) and section == "outputs":  # legacy map form: {id: value}
        return result
    if not isinstance(node, YSeq):
        return result
    for i, item in enumerate(node.items):
        path = f"{section}[{i}]"
        if not isinstance(item, YMap):
            collector.add(
                "invalid-flow",
                f"each entry of '{section}' must be a mapping with an 'id'",
                item.span,
            )
            continue
        ident = item.get("id") or item.get("name")
        if not isinstance(ident, YScalar) or ident.value is None:
            collector.add(
                "invalid-flow",
                f"an entry of '{section}' has no 'id'",
                item.span,
                hint="add 'id: <name>'",
            )
            continue
        if item.get("type") is None and section in ("inputs", "triggers", "outputs"):
            collector.add(
                "invalid-flow", f"{section[:-1]} '{ident.value}' has no 'type'", ident.span
            )
        result.append(Declared(str(ident.value), item, path))
    return result


def _task_list(
    node: YSeq, path: str, section: str, parent: Task | None, field_name: str, collector: Collector
) -> list[Task]:
    tasks: list[Task] = []
    for i, item in enumerate(node.items):
        task = _task(item, f"{path}[{i}]", section, parent, field_name, collector)
        if task is not None:
            tasks.append(task)
    return tasks


def _task(
    item: YNode, path: str, section: str, parent: Task | None, field_name: str, collector: Collector
) -> Task | None:
    if not isinstance(item, YMap):
        collector.add("invalid-flow", "a task must be a mapping with 'id' and 'type'", item.span)
        return None
    ident = item.get("id")
    type_node = item.get("type")
    if not isinstance(ident, YScalar) or ident.value in (None, ""):
        collector.add(
            "invalid-flow", "a task has no 'id'", item.span, hint="add 'id: <task_id>' to the task"
        )
        return None
    if not isinstance(type_node, YScalar) or not isinstance(type_node.value, str):
        collector.add(
            "invalid-flow",
            f"task '{ident.value}' has no 'type'",
            ident.span,
            hint="add 'type: io.kestra.plugin...'",
        )
        return None
    task = Task(str(ident.value), type_node.value, item, path, section, parent, field_name)
    for key, value in item.pairs:
        name = key.value
        if name in CHILD_LIST_FIELDS and isinstance(value, YSeq):
            if task.short_type == "Dag" and name == "tasks":
                task.children.extend(_dag_entries(value, f"{path}.tasks", section, task, collector))
            elif _looks_like_tasks(value):
                task.children.extend(
                    _task_list(value, f"{path}.{name}", section, task, name, collector)
                )
        elif name == "cases" and isinstance(value, YMap):
            for case_key, case_value in value.pairs:
                if isinstance(case_value, YSeq):
                    task.children.extend(
                        _task_list(
                            case_value,
                            f"{path}.cases.{case_key.value}",
                            section,
                            task,
                            f"cases.{case_key.value}",
                            collector,
                        )
                    )
        elif (
            name == "task"
            and isinstance(value, YMap)
            and isinstance(value.get("type"), YScalar)
            and short_type(task.type) in ("AllowFailure", "Template", "ForEachItem")
        ):
            child = _task(value, f"{path}.task", section, task, "tasks", collector)
            if child is not None:
                task.children.append(child)
    return task


def _looks_like_tasks(seq: YSeq) -> bool:
    return all(isinstance(item, YMap) and ("type" in item or "id" in item) for item in seq.items)


def _dag_entries(
    value: YSeq, path: str, section: str, dag: Task, collector: Collector
) -> list[Task]:
    result = []
    for i, entry in enumerate(value.items):
        if not isinstance(entry, YMap) or not isinstance(entry.get("task"), YMap):
            collector.add(
                "invalid-flow",
                "each Dag entry must be a mapping with 'task' and optional 'dependsOn'",
                entry.span,
            )
            continue
        child = _task(entry.get("task"), f"{path}[{i}].task", section, dag, "tasks", collector)
        if child is None:
            continue
        deps = entry.get("dependsOn")
        if isinstance(deps, YSeq):
            child.depends_on = [(str(d.value), d) for d in deps.items if isinstance(d, YScalar)]
        result.append(child)
    return result
