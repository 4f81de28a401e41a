"""What expressions read: tasks, their outputs and output files, inputs and variables."""

from __future__ import annotations

from compiler import catalog
from compiler.checks.context import CheckContext
from compiler.diagnostics import did_you_mean
from compiler.globs import java_glob_match
from compiler.graph import is_related
from compiler.model import BRANCH_FIELDS, Task
from compiler.references import Reference, Segment


def _report(ctx: CheckContext, code: str, message: str, ref: Reference, hint: str | None) -> None:
    """A diagnostic at the reference, attributed to the task that reads it."""
    ctx.collector.add(code, message, ref.span, hint=hint, task=ref.task.id if ref.task else None)


def _bracket(root: str, name: str, rest: tuple[Segment, ...]) -> str:
    return f"{root}['{name}']" + "".join(s.render() for s in rest)


def hyphen_dot_access(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs", "inputs"):
        if ref.hyphen_dotted is None:
            continue
        fixed = _bracket(ref.root, ref.name or "", ref.segments)
        _report(
            ctx,
            "hyphen-dot-access",
            f"'{ref.hyphen_dotted}' is read as a subtraction: '{ref.name}' contains '-'",
            ref,
            f"write {fixed}",
        )


def unknown_task(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs", "tasks"):
        if ref.name is None or ref.guarded or ref.name in ctx.tasks:
            continue
        match = did_you_mean(ref.name, ctx.tasks)
        _report(
            ctx,
            "unknown-task",
            f"'{ref.text}' reads task '{ref.name}', which does not exist"
            + (f" (through render(vars.{ref.via}))" if ref.via else ""),
            ref,
            f"did you mean '{match}'?" if match else _known("tasks", ctx.tasks),
        )
    for task in ctx.flow.all_tasks():
        siblings = {c.id for c in task.parent.children} if task.parent else set()
        for dep, node in task.depends_on:
            if dep in siblings and dep != task.id:
                continue
            if dep == task.id:
                message = f"task '{task.id}' depends on itself"
            elif dep in ctx.tasks:
                message = f"dependsOn '{dep}' is not a task of the same Dag"
            else:
                message = f"dependsOn names task '{dep}', which does not exist"
            match = did_you_mean(dep, siblings - {task.id})
            ctx.collector.add(
                "unknown-task",
                message,
                node.span,
                hint=f"did you mean '{match}'?"
                if match
                else _known("Dag tasks", siblings - {task.id}),
                task=task.id,
            )


def _known(what: str, names) -> str:
    names = sorted(names)
    if not names:
        return f"there are no {what}"
    shown = ", ".join(f"'{n}'" for n in names[:12])
    return f"known {what}: {shown}" + (" ..." if len(names) > 12 else "")


def _output_segments(
    ref: Reference, producer: Task, ctx: CheckContext
) -> tuple[list[Segment], bool] | None:
    """Drop the loop value keys of a looped producer; None when a key is missing (a
    loop-reference, reported elsewhere) or the output cannot be known."""
    segments = list(ref.segments)
    if ref.loop_keyed:
        return segments, True
    depth = len(producer.loop_ancestors())
    declared = _declared_outputs(producer, ctx)
    for _ in range(depth):
        if not segments:
            return segments, False
        seg = segments[0]
        if seg.item or seg.key is None:
            segments.pop(0)
        elif declared is not None and seg.key in declared:
            return None  # value key missing
        else:
            segments.pop(0)  # a literal value written with a dot
    return segments, True


def _declared_outputs(task: Task, ctx: CheckContext) -> dict[str, catalog.OutputDecl] | None:
    cache = ctx.outputs_cache
    if id(task) not in cache:
        task_type = catalog.lookup(task.type)
        if task_type is None or task_type.outputs_open:
            cache[id(task)] = None
        else:
            cache[id(task)] = catalog.outputs_for(task_type, ctx.effective_props(task))
    return cache[id(task)]


def unknown_output(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs"):
        producer = ctx.tasks.get(ref.name or "")
        if producer is None or ref.guarded:
            continue
        declared = _declared_outputs(producer, ctx)
        if declared is None:
            continue
        parts = _output_segments(ref, producer, ctx)
        if parts is None or not parts[0]:
            continue
        seg = parts[0][0]
        if seg.key is None or seg.key in declared:
            continue
        name = str(seg.key)
        task_type = catalog.lookup(producer.type)
        assert task_type is not None
        other = catalog.outputs_in_other_modes(task_type, ctx.effective_props(producer))
        if name in other:
            hint = other[name]
        else:
            match = did_you_mean(name, declared)
            hint = (
                f"did you mean '{match}'?"
                if match
                else (
                    f"{task_type.short_name} outputs are: "
                    + ", ".join(f"'{d}'" for d in sorted(declared))
                    if declared
                    else f"{task_type.short_name} declares no outputs in this configuration"
                )
            )
        _report(
            ctx,
            "unknown-output",
            f"'{ref.text}': task '{producer.id}' ({task_type.short_name}) has no output '{name}'",
            ref,
            hint,
        )


def unknown_output_file(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs"):
        producer = ctx.tasks.get(ref.name or "")
        if producer is None or ref.guarded:
            continue
        task_type = catalog.lookup(producer.type)
        if task_type is None or task_type.output_files is None:
            continue
        parts = _output_segments(ref, producer, ctx)
        if parts is None or len(parts[0]) < 2:
            continue
        seg, key = parts[0][0], parts[0][1]
        if seg.key != "outputFiles" or key.key is None:
            continue
        props = ctx.effective_props(producer)
        if _writes_output_dir(props):
            continue  # every file written to {{ outputDir }} becomes an output file
        declared = props.get("outputFiles")
        if isinstance(declared, str) and "{{" in declared:
            continue
        if declared is None:
            declared = []
        if isinstance(declared, str):
            declared = [declared]
        if not isinstance(declared, list) or any(
            not isinstance(d, str) or "{{" in d for d in declared
        ):
            continue
        wanted = str(key.key)
        if task_type.output_files == "names":
            found = wanted in declared
        else:
            found = any(java_glob_match(pattern, wanted) for pattern in declared)
        if found:
            continue
        listed = ", ".join(f"'{d}'" for d in declared) or "none"
        _report(
            ctx,
            "unknown-output-file",
            f"'{ref.text}': task '{producer.id}' declares no output file matching '{wanted}'",
            ref,
            f"its outputFiles are: {listed}; add '{wanted}' to outputFiles or fix the name",
        )


def _writes_output_dir(props: dict) -> bool:
    if props.get("outputDirectory") is True:
        return True
    text = repr(
        {k: props.get(k) for k in ("script", "commands", "beforeCommands", "env", "inputFiles")}
    )
    return "outputDir" in text or "OUTPUT_DIR" in text


def _undeclared(
    ctx: CheckContext,
    root: str,
    code: str,
    kind: str,
    declared: set[str],
    also: set[str] = frozenset(),
) -> None:
    """``inputs.X`` / ``vars.X`` naming nothing the flow declares (``also``: other accepted
    names, such as the head of a dotted input id)."""
    for ref in ctx.references(root):
        if (
            ref.name is None
            or ref.guarded
            or ref.hyphen_dotted
            or ref.name in declared
            or ref.name in also
        ):
            continue
        match = did_you_mean(ref.name, declared)
        plural = f"{kind}s"
        _report(
            ctx,
            code,
            f"'{ref.text}' reads {kind} '{ref.name}', which the flow does not declare",
            ref,
            f"did you mean '{match}'?"
            if match
            else (
                _known(plural, declared)
                if declared
                else f"declare it under '{root if root == 'inputs' else 'variables'}:'"
            ),
        )


def unknown_input(ctx: CheckContext) -> None:
    declared = {i.id for i in ctx.flow.inputs}
    heads = {i.split(".", 1)[0] for i in declared}  # a dotted input id becomes a nested map
    _undeclared(ctx, "inputs", "unknown-input", "input", declared, heads)


def unknown_variable(ctx: CheckContext) -> None:
    variables = set(ctx.flow.variables.keys()) if ctx.flow.variables is not None else set()
    for task in ctx.flow.all_tasks():  # SetVariables adds variables at run time
        if task.short_type == "SetVariables":
            added = task.node.value("variables")
            if isinstance(added, dict):
                variables.update(str(k) for k in added)
    _undeclared(ctx, "vars", "unknown-variable", "variable", variables)


def dynamic_reference(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs"):
        if ref.name is not None:
            continue
        _report(
            ctx,
            "dynamic-reference",
            f"'{ref.text}' computes the task id at run time: flowc cannot tell which task it reads",
            ref,
            "the reader now waits for every task that does not wait for it; write a literal id to get a precise graph",
        )


def self_reference(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs"):
        task = ref.task
        if task is None or ref.guarded or ref.name != task.id:
            continue
        ctx.collector.add(
            "self-reference",
            f"task '{task.id}' reads its own outputs in '{ref.text}'",
            ref.span,
            hint="a task's outputs exist only after it ran; read another task's outputs",
            task=task.id,
        )


def _condition(producer: Task, consumer: Task | None) -> str | None:
    """Why the producer may not run (from the consumer's point of view), or None."""
    if producer.prop("runIf") is not None:
        return f"task '{producer.id}' has runIf"
    if producer.parent is not None:  # a top-level producer is in no branch
        reason = _other_branch(producer, consumer)
        if reason is not None:
            return reason
    top = producer.top()
    if top.section in ("errors", "finally") and (
        consumer is None or consumer.top().section != top.section
    ):
        return f"task '{producer.id}' runs only in '{top.section}'"
    if producer.node.value("allowFailure") is True:
        return f"task '{producer.id}' has allowFailure: it may fail without outputs"
    return None


def _other_branch(producer: Task, consumer: Task | None) -> str | None:
    """The If/Switch branch or errors list the producer sits in, when the consumer is not in
    that same branch."""
    chain = [consumer, *consumer.ancestors()] if consumer is not None else []
    consumer_branches = {(id(node.parent), node.field) for node in chain}
    for node in [producer, *producer.ancestors()]:
        base = node.field.split(".")[0]
        if node.parent is None or (id(node.parent), node.field) in consumer_branches:
            continue
        if base in BRANCH_FIELDS:
            kind = "an If branch" if base in ("then", "else") else "a Switch case"
            return f"task '{producer.id}' is in {kind} of '{node.parent.id}'"
        if base == "errors":
            return f"task '{producer.id}' runs only when '{node.parent.id}' fails"
    return None


def conditional_reference(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs"):
        producer = ctx.tasks.get(ref.name or "")
        if (
            producer is None
            or ref.guarded
            or (ref.task is not None and is_related(producer, ref.task))
        ):
            continue
        reason = _condition(producer, ref.task)
        if reason is None:
            continue
        _report(
            ctx,
            "conditional-reference",
            f"'{ref.text}' may be missing at run time: {reason}",
            ref,
            f"guard it: {{{{ {ref.text} ?? 'fallback' }}}}",
        )


def loop_reference(ctx: CheckContext) -> None:
    for ref in ctx.references("outputs"):
        producer = ctx.tasks.get(ref.name or "")
        if producer is None or ref.guarded or not producer.loop_ancestors():
            continue
        if _output_segments(ref, producer, ctx) is not None:
            continue
        loop = producer.loop_ancestors()[0]
        rest = "".join(s.render() for s in ref.segments)
        _report(
            ctx,
            "loop-reference",
            f"'{ref.text}': task '{producer.id}' runs once per value of '{loop.id}', so its outputs are keyed by value",
            ref,
            f"write outputs.{producer.id}[taskrun.value]{rest} inside the loop, or currentEachOutput(outputs.{producer.id}){rest}",
        )
