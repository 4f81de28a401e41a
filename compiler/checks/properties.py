"""Task types and their properties, read from the task catalog."""

from __future__ import annotations

from functools import lru_cache

from compiler import catalog
from compiler.checks.context import CheckContext
from compiler.diagnostics import Severity, did_you_mean

CORE_PREFIXES = ("io.kestra.plugin.core.", "io.kestra.core.tasks.")

_FLOWABLE_FIELDS = ("errors", "finally")


@lru_cache(maxsize=4096)
def _suggest_type(type_name: str) -> str | None:
    """A close catalogued type in the same package (a typo in the class name)."""
    package = type_name.rsplit(".", 1)[0]
    siblings = [
        name
        for t in catalog.all_types()
        for name in (t.type, *t.aliases)
        if name.rsplit(".", 1)[0] == package
    ]
    return did_you_mean(type_name, siblings) if siblings else None


def unknown_task_type(ctx: CheckContext) -> None:
    for task in ctx.flow.all_tasks():
        if catalog.lookup(task.type) is not None:
            continue
        match = _suggest_type(task.type)
        # Core plugins always ship with Kestra and the catalog declares all of them: an
        # unknown core type is certainly invalid ("Invalid type"), not just unchecked.
        core = (
            task.type.startswith(CORE_PREFIXES)
            and ".test." not in task.type
            and "Test$" not in task.type
        )
        ctx.collector.add(
            "unknown-task-type",
            f"task type '{task.type}' does not exist in Kestra's core plugins"
            if core
            else f"task type '{task.type}' is not in flowc's catalog: its properties and outputs are not checked",
            task.type_span,
            hint=f"did you mean '{match}'?" if match else None,
            task=task.id,
            severity=Severity.ERROR if core else None,
        )


def missing_property(ctx: CheckContext) -> None:
    for task in ctx.flow.all_tasks():
        task_type = catalog.lookup(task.type)
        if task_type is None:
            continue
        props = ctx.effective_props(task)
        for prop in task_type.properties.values():
            if (
                prop.required
                and props.get(prop.name) is None
                and not _alias_given(task_type, prop.name, props)
            ):
                ctx.collector.add(
                    "missing-property",
                    f"task '{task.id}' ({task_type.short_name}) has no '{prop.name}', which is required",
                    task.span,
                    hint=f"add '{prop.name}:' to the task"
                    + (f" ({prop.description})" if prop.description else ""),
                    task=task.id,
                )


def _alias_given(task_type: catalog.TaskType, name: str, props: dict) -> bool:
    # Deprecated spellings that Kestra still maps onto the required property.
    alternatives = {"message": (), "format": (), "sql": (), "uri": ("url",)}
    return any(props.get(alt) is not None for alt in alternatives.get(name, ()))


def unknown_property(ctx: CheckContext) -> None:
    for task in ctx.flow.all_tasks():
        task_type = catalog.lookup(task.type)
        if task_type is None or not task_type.closed:
            continue
        allowed = set(catalog.COMMON_TASK_PROPERTIES) | set(task_type.properties)
        if task_type.kind == "flowable":
            allowed.update(_FLOWABLE_FIELDS)
        for key, _ in task.node.pairs:
            name = key.value
            if name in allowed:
                continue
            match = did_you_mean(str(name), allowed - {"id", "type"})
            own = sorted(task_type.properties)
            hint = (
                f"did you mean '{match}'?"
                if match
                else (
                    f"{task_type.short_name} properties are: "
                    + ", ".join(own[:25])
                    + (" ..." if len(own) > 25 else "")
                    if own
                    else f"{task_type.short_name} has no properties of its own"
                )
            )
            ctx.collector.add(
                "unknown-property",
                f"task '{task.id}': {task_type.short_name} has no property '{name}'",
                key.span,
                hint=hint,
                task=task.id,
            )
