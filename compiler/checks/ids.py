"""Id rules and uniqueness (Kestra's FlowValidator and model regexes)."""

from __future__ import annotations

import re

from compiler.checks.context import CheckContext
from compiler.loader import YScalar

FLOW_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
TASK_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
DECLARED_ID = re.compile(r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$")
RESERVED_FLOW_IDS = {
    "pause",
    "resume",
    "force-run",
    "change-status",
    "kill",
    "executions",
    "search",
    "source",
    "disable",
    "enable",
}


def _suggest(value: str, allowed: str) -> str:
    fixed = re.sub(f"[^{allowed}]", "_", value)
    fixed = re.sub(r"^[^a-zA-Z0-9]+", "", fixed) or "my_id"
    return fixed


def invalid_id(ctx: CheckContext) -> None:
    flow, add = ctx.flow, ctx.collector.add
    root = flow.root
    node = root.get("id")
    if isinstance(node, YScalar) and node.value is not None:
        value = str(node.value)
        if not FLOW_ID.match(value) or len(value) > 100:
            add(
                "invalid-id",
                f"flow id '{value}' must match [a-zA-Z0-9][a-zA-Z0-9._-]* (at most 100 characters)",
                node.span,
                hint=f"write '{_suggest(value, 'a-zA-Z0-9._-')[:100]}'",
            )
        elif value in RESERVED_FLOW_IDS:
            add(
                "invalid-id",
                f"flow id '{value}' is reserved by Kestra",
                node.span,
                hint="choose another id",
            )
    node = root.get("namespace")
    if isinstance(node, YScalar) and node.value is not None:
        value = str(node.value)
        if not NAMESPACE.match(value) or len(value) > 150:
            add(
                "invalid-id",
                f"namespace '{value}' must be lower-case and match [a-z0-9][a-z0-9._-]*",
                node.span,
                hint=f"write '{_suggest(value.lower(), 'a-z0-9._-')}'",
            )
    for task in flow.all_tasks():
        if not TASK_ID.match(task.id) or len(task.id) > 256:
            hint = (
                "task ids cannot contain dots"
                if "." in task.id
                else "use letters, digits, '_' and '-'"
            )
            add(
                "invalid-id",
                f"task id '{task.id}' must match [a-zA-Z0-9][a-zA-Z0-9_-]*",
                task.span,
                hint=f"{hint}: write '{_suggest(task.id, 'a-zA-Z0-9_-')}'",
                task=task.id,
            )
    for trigger in flow.triggers:
        if not TASK_ID.match(trigger.id):
            add(
                "invalid-id",
                f"trigger id '{trigger.id}' must match [a-zA-Z0-9][a-zA-Z0-9_-]*",
                trigger.span,
                hint=f"write '{_suggest(trigger.id, 'a-zA-Z0-9_-')}'",
            )
    for kind, declared in (("input", flow.inputs), ("output", flow.outputs)):
        for item in declared:
            if not DECLARED_ID.match(item.id):
                add(
                    "invalid-id",
                    f"{kind} id '{item.id}' must match [a-zA-Z0-9][.a-zA-Z0-9_-]*",
                    item.span,
                    hint=f"write '{_suggest(item.id, 'a-zA-Z0-9._-')}'",
                )


def duplicate_task_id(ctx: CheckContext) -> None:
    seen: dict[str, object] = {}
    for task in ctx.flow.all_tasks():
        first = seen.get(task.id)
        if first is None:
            seen[task.id] = task
            continue
        ctx.collector.add(
            "duplicate-task-id",
            f"task id '{task.id}' is already used on line {first.line}",
            task.span,
            hint="task ids must be unique across the whole flow, including errors, finally and nested tasks",
            task=task.id,
        )


def duplicate_id(ctx: CheckContext) -> None:
    for kind, declared in (
        ("input", ctx.flow.inputs),
        ("output", ctx.flow.outputs),
        ("trigger", ctx.flow.triggers),
    ):
        seen: dict[str, int] = {}
        for item in declared:
            if item.id in seen:
                ctx.collector.add(
                    "duplicate-id",
                    f"{kind} id '{item.id}' is already declared on line {seen[item.id]}",
                    item.span,
                    hint=f"rename or remove one of the two {kind}s",
                )
            else:
                seen[item.id] = item.span.line
