"""Kestra's structural validators (FlowValidator and the task-specific validators)."""

from __future__ import annotations

import re

from compiler.catalog import INPUT_TYPES
from compiler.checks.context import CheckContext
from compiler.loader import YMap, YScalar, YSeq

#: ARRAY/MULTISELECT item types Kestra refuses (InputValidator).
FORBIDDEN_ITEM_TYPES = {"ARRAY", "SECRET", "MULTISELECT", "SELECT", "FILE"}
NEEDS_TASKS = (
    "Sequential",
    "Parallel",
    "ForEach",
    "WorkingDirectory",
    "Dag",
    "EachSequential",
    "EachParallel",
)
SCHEDULE_TRIGGERS = (
    "io.kestra.plugin.core.trigger.Schedule",
    "io.kestra.core.models.triggers.types.Schedule",
)


def input_rules(ctx: CheckContext) -> None:
    add = ctx.collector.add
    for inp in ctx.flow.inputs:
        kind = inp.type.upper()
        type_node = inp.node.get("type")
        if type_node is not None and kind not in INPUT_TYPES:
            add(
                "invalid-flow",
                f"input '{inp.id}' has unknown type '{inp.type}'",
                type_node.span,
                hint="input types are: " + ", ".join(sorted(INPUT_TYPES)),
            )
        item = inp.node.get("itemType")
        if (
            kind in ("ARRAY", "MULTISELECT")
            and isinstance(item, YScalar)
            and str(item.value).upper() in FORBIDDEN_ITEM_TYPES
        ):
            add(
                "invalid-flow",
                f"input '{inp.id}': {kind} cannot hold items of type {item.value}",
                item.span,
                hint="use STRING, INT, FLOAT, BOOLEAN, DATE, DATETIME, TIME, DURATION, JSON, URI or EMAIL items",
            )
        if kind == "ARRAY" and item is None:
            add(
                "invalid-flow",
                f"input '{inp.id}': an ARRAY input needs 'itemType'",
                inp.span,
                hint="add 'itemType: STRING' (or another type)",
            )
        if kind == "FILE" and inp.node.get("defaults") is not None:
            node = inp.node.get("defaults")
            value = node.value if isinstance(node, YScalar) else None
            if not (isinstance(value, str) and re.match(r"^(kestra|nsfile|file)://", value)):
                add(
                    "invalid-flow",
                    f"input '{inp.id}': a FILE input's default must be a kestra://, nsfile:// or file:// URI",
                    node.span,
                )
        validator = inp.node.get("validator")
        if isinstance(validator, YScalar) and isinstance(validator.value, str):
            try:
                re.compile(validator.value)
            except re.error as exc:
                add(
                    "invalid-flow",
                    f"input '{inp.id}': validator is not a valid regular expression ({exc})",
                    validator.span,
                )
        for bound in ("min", "max"):
            node = inp.node.get(bound)
            if (
                isinstance(node, YScalar)
                and kind in ("INT", "FLOAT")
                and not isinstance(node.value, (int, float))
            ):
                add("invalid-flow", f"input '{inp.id}': '{bound}' must be a number", node.span)


def scheduled_inputs(ctx: CheckContext) -> None:
    """A scheduled flow cannot prompt for inputs: required ones need defaults."""
    schedules = [
        t
        for t in ctx.flow.triggers
        if t.type in SCHEDULE_TRIGGERS and t.node.value("disabled") is not True
    ]
    if not schedules:
        return
    for inp in ctx.flow.inputs:
        required = inp.node.value("required", True)
        if (
            required is False
            or inp.node.get("defaults") is not None
            or inp.node.get("prefill") is not None
        ):
            continue
        given = [
            t
            for t in schedules
            if isinstance(t.node.value("inputs"), dict) and inp.id in t.node.value("inputs")
        ]
        if len(given) < len(schedules):
            ctx.collector.add(
                "invalid-flow",
                f"input '{inp.id}' is required and has no default, but trigger '{schedules[0].id}' starts the flow without inputs",
                inp.span,
                hint="add 'defaults:' or 'required: false'",
            )


def flowable_rules(ctx: CheckContext) -> None:
    add = ctx.collector.add
    ns, flow_id = ctx.flow.namespace, ctx.flow.id
    for task in ctx.flow.all_tasks():
        kind = task.short_type
        if kind == "Switch" and not any(
            c.field.startswith("cases.") or c.field == "defaults" for c in task.children
        ):
            add(
                "missing-property",
                f"Switch '{task.id}' has no task: neither 'cases' nor 'defaults' hold any",
                task.span,
                hint="add tasks under 'cases:' or 'defaults:'",
                task=task.id,
            )
        elif kind in NEEDS_TASKS and not [c for c in task.children if c.field == "tasks"]:
            add(
                "missing-property",
                f"{kind} '{task.id}' has no tasks: 'tasks' cannot be empty",
                task.span,
                hint="add child tasks under 'tasks:'",
                task=task.id,
            )
        if kind == "WorkingDirectory":
            from compiler import catalog

            for child in task.children:
                child_type = catalog.lookup(child.type)
                if (
                    child.field == "tasks"
                    and child_type is not None
                    and child_type.kind == "flowable"
                ):
                    add(
                        "invalid-flow",
                        f"WorkingDirectory '{task.id}' accepts only runnable tasks, not {child.short_type} '{child.id}'",
                        child.type_span,
                        task=child.id,
                    )
        if (
            kind == "Subflow"
            and task.node.value("namespace") == ns
            and task.node.value("flowId") == flow_id
            and ns
        ):
            add(
                "self-reference",
                f"Subflow '{task.id}' calls its own flow {ns}.{flow_id}: a recursive call",
                task.span,
                hint="call another flow",
                task=task.id,
            )
        worker_group = task.node.get("workerGroup")
        if isinstance(worker_group, YMap):
            add(
                "invalid-flow",
                f"task '{task.id}': workerGroup is a Kestra Enterprise feature",
                worker_group.span,
                hint="remove 'workerGroup' to run on open-source Kestra and flowc",
                task=task.id,
            )


def listener_rules(ctx: CheckContext) -> None:
    """The deprecated top-level ``listeners`` still need tasks."""
    listeners = ctx.flow.root.get("listeners")
    if not isinstance(listeners, YSeq):
        return
    for item in listeners.items:
        tasks = item.get("tasks") if isinstance(item, YMap) else None
        if not isinstance(tasks, YSeq) or not tasks.items:
            ctx.collector.add(
                "invalid-flow",
                "a listener needs at least one task",
                item.span,
                hint="listeners are deprecated: move their tasks to 'afterExecution'",
            )


def trigger_rules(ctx: CheckContext) -> None:
    seen: dict[str, int] = {}
    for trigger in ctx.flow.triggers:
        pre = trigger.node.get("preconditions")
        if isinstance(pre, YMap) and isinstance(pre.get("id"), YScalar):
            node = pre.get("id")
            key = str(node.value)
            if key in seen:
                ctx.collector.add(
                    "duplicate-id",
                    f"preconditions id '{key}' is already used on line {seen[key]}",
                    node.span,
                    hint="each Flow trigger's preconditions need their own id",
                )
            else:
                seen[key] = node.span.line
