"""Flowable tasks at run time: they decide which of their children run, and how.

Each handler gets the :class:`~runtime.engine.Run`, the task, its raw properties, the scope
its children run in and its variables, and returns ``(state, outputs)``. Children lists run
through ``Run.run_section`` (tasks, then errors if one failed, then finally), so failure,
keep-going and retry rules are the engine's, not repeated here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any

from compiler import catalog
from compiler.model import Task
from runtime import durations
from runtime.errors import TaskError
from runtime.templates import render
from runtime.values import is_truthy_string, to_json

#: (state, outputs) or (state, outputs, error message)
Result = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]


def _children(task: Task, field: str) -> list[Task]:
    return [c for c in task.children if c.field == field]


def _section(run, task: Task, scope, field: str = "tasks", concurrency: int | None = None) -> str:
    retry = run.props(task).get("retry")
    inner = scope.child(retry=retry) if isinstance(retry, dict) else scope
    return run.run_section(
        _children(task, field),
        _children(task, "errors"),
        _children(task, "finally"),
        inner,
        concurrency,
    )


def _int(run, value: Any, variables, what: str) -> int:
    if value is None:
        return 0
    try:
        return int(render(str(value), variables))
    except ValueError:
        raise TaskError(f"'{what}' must be a whole number, got {value!r}") from None


def sequential(run, task, props, scope, variables) -> Result:
    return _section(run, task, scope), {}


def parallel(run, task, props, scope, variables) -> Result:
    limit = _int(run, props.get("concurrent"), variables, "concurrent")
    return _section(run, task, scope, concurrency=limit or None), {}


def allow_failure(run, task, props, scope, variables) -> Result:
    state = _section(run, task, scope)
    return ("WARNING" if state == "FAILED" else state), {}


def if_(run, task, props, scope, variables) -> Result:
    if props.get("condition") is None:
        raise TaskError("If needs a 'condition'")
    decision = is_truthy_string(
        render(str(props["condition"]), variables, services=run.services(task))
    )
    state = _section(run, task, scope, "then" if decision else "else")
    return state, {"evaluationResult": decision}


def switch(run, task, props, scope, variables) -> Result:
    value = render(str(props.get("value", "")), variables, services=run.services(task))
    cases = {c.field[len("cases.") :] for c in task.children if c.field.startswith("cases.")}
    field = f"cases.{value}" if value in cases else "defaults"
    state = _section(run, task, scope, field)
    return state, {"value": value, "defaults": field == "defaults"}


def _values(run, task, props, variables) -> list[str]:
    raw = props.get("values", props.get("value"))
    if raw is None:
        raise TaskError(f"{task.short_type} '{task.id}' needs 'values'")
    if isinstance(raw, str):
        rendered = run.render_typed(raw, variables, task)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                raise TaskError(
                    f"'values' must render to a JSON array, got {rendered[:200]!r}"
                ) from None
    else:
        rendered = run.render_typed(raw, variables, task)
    if not isinstance(rendered, list):
        raise TaskError(f"'values' must be a list, got {type(rendered).__name__}")
    result: list[str] = []
    for item in rendered:
        if item is None:
            raise TaskError("'values' cannot contain null")
        text = item if isinstance(item, str) else to_json(item)
        if text not in result:  # Kestra de-duplicates the values
            result.append(text)
    return result


def for_each(run, task, props, scope, variables) -> Result:
    values = _values(run, task, props, variables)
    kind = task.short_type
    if kind == "EachParallel":
        limit = _int(run, props.get("concurrent"), variables, "concurrent")
    elif kind == "EachSequential":
        limit = 1
    else:
        limit = props.get("concurrencyLimit", 1)
        limit = 1 if limit is None else int(limit)
    children = _children(task, "tasks")
    retry = props.get("retry")
    base = scope.child(retry=retry) if isinstance(retry, dict) else scope

    def group(value: str) -> str:
        inner = base.child(
            values=scope.values + (value,),
            value=value,
            iteration=values.index(value),
            parents=({"taskrun": {"value": value}},) + tuple(scope.parents),
        )
        states = run.run_list(children, inner, None)
        from runtime.engine import aggregate

        return aggregate(states.values())

    states = _run_groups(run, values, group, limit or None)
    from runtime.engine import FAILED_STATES, aggregate

    state = aggregate(states)
    if state in FAILED_STATES and _children(task, "errors"):
        run.run_list(_children(task, "errors"), base, 1)
    if _children(task, "finally"):
        run.run_list(_children(task, "finally"), base, 1)
    return state, {}


def _run_groups(
    run, values: list[str], group: Callable[[str], str], limit: int | None
) -> list[str]:
    pending = list(values)
    running: dict[Future, str] = {}
    states: list[str] = []
    failed = False
    while pending or running:
        while (
            pending
            and (limit is None or len(running) < limit)
            and not (failed and not run.options.keep_going)
            and not run.stop.is_set()
        ):
            value = pending.pop(0)
            running[run.engine.control.submit(group, value)] = value
        if not running:
            break
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in done:
            running.pop(future)
            state = future.result()
            states.append(state)
            if state in ("FAILED", "KILLED"):
                failed = True
    return states


def working_directory(run, task, props, scope, variables) -> Result:
    """Children share one temporary directory; ``inputFiles`` go in first, ``outputFiles``
    come out at the end — with the same helpers (and rules) as script tasks."""
    from runtime.tasks.base import TaskContext
    from runtime.tasks.props import Props
    from runtime.tasks.workdir import collect_output_files, input_files_map, write_input_files

    workdir = Path(run.new_workdir())
    ctx = TaskContext(
        namespace=run.flow.namespace,
        flow_id=run.flow.id,
        execution_id=run.execution_id,
        task_id=task.id,
        taskrun_id=scope.parent_taskrun or task.id,
        task_type=task.type,
        variables=variables,
        storage=run.storage,
        services=run.services(task),
        workdir=workdir,
    )
    try:
        extra = {"workingDir": str(workdir)}
        write_input_files(ctx, workdir, input_files_map(Props(props, ctx), extra=extra), extra)
        state = _section(run, task, scope.child(workdir=str(workdir)))
        outputs: dict[str, Any] = {}
        patterns = props.get("outputFiles")
        if patterns and state not in ("FAILED", "KILLED"):
            patterns = run.render_typed(patterns, variables, task)
            outputs["outputFiles"] = collect_output_files(
                ctx, workdir, [patterns] if isinstance(patterns, str) else patterns
            )
        return state, outputs
    finally:
        run.remove_workdir(str(workdir))


def pause(run, task, props, scope, variables) -> Result:
    from runtime.engine import PauseRequested

    previous = run.reuse.get((task.id, scope.values))
    if previous is not None and previous.get("state") in ("PAUSED", "SUCCESS"):
        return "SUCCESS", {}
    duration = props.get("pauseDuration", props.get("delay", props.get("timeout")))
    if duration is None:
        raise PauseRequested
    seconds = durations.seconds(render(str(duration), variables))
    run.stop.wait(seconds)
    return "SUCCESS", {}


def subflow(run, task, props, scope, variables) -> Result:
    namespace = render(str(props.get("namespace", "")), variables)
    flow_id = render(str(props.get("flowId", "")), variables)
    inputs = run.render_typed(props.get("inputs") or {}, variables, task)
    wait_for_it = props.get("wait", True) is not False
    transmit = props.get("transmitFailed", True) is not False
    child = run.engine.flows.find(namespace, flow_id) if run.engine.flows else None
    if child is None:
        where = run.engine.flows.describe() if run.engine.flows else "no --flows-dir was given"
        raise TaskError(f"flow '{namespace}.{flow_id}' not found ({where})")
    if namespace == run.flow.namespace and flow_id == run.flow.id:
        raise TaskError(f"recursive call to flow [{namespace}.{flow_id}]")
    labels = dict(run.labels) if props.get("inheritLabels") is True else {}
    if isinstance(props.get("labels"), dict):
        labels.update(props["labels"])
    if not wait_for_it:
        execution_id = run.engine.start_child(
            child, inputs, parent=run, labels=labels, background=True
        )
        return "SUCCESS", {"executionId": execution_id}
    execution_id, state, outputs = run.engine.run_child(child, inputs, parent=run, labels=labels)
    result = {"executionId": execution_id, "state": state, "outputs": outputs or {}}
    if state in ("FAILED", "KILLED") and transmit:
        return (
            "FAILED",
            result,
            f"subflow execution {execution_id} of {namespace}.{flow_id} ended {state}",
        )
    return "SUCCESS", result


def loop_until(run, task, props, scope, variables) -> Result:
    """Run the children until ``condition`` is true; ``outputs.<id>.iterationCount`` is
    visible to them while the loop runs, as in Kestra."""
    import time

    condition = props.get("condition")
    if condition is None:
        raise TaskError("LoopUntil needs a 'condition'")
    check = props.get("checkFrequency") or {}
    max_iterations = int(check.get("maxIterations", 100))
    max_duration = (
        durations.seconds(str(check["maxDuration"])) if check.get("maxDuration") else None
    )
    interval = durations.seconds(str(check.get("interval", "PT1S")))
    started = time.monotonic()
    iteration = 0
    state = "SUCCESS"
    while True:
        iteration += 1
        run.record_outputs(task, scope, {"iterationCount": iteration})
        state = _section(run, task, scope)
        if state in ("FAILED", "KILLED"):
            return state, {"iterationCount": iteration}
        context = run.task_variables(task, scope, scope.parent_taskrun or "", 1)
        if is_truthy_string(render(str(condition), context, services=run.services(task))):
            return state, {"iterationCount": iteration}
        out_of_time = (
            max_duration is not None and time.monotonic() - started + interval > max_duration
        )
        if iteration >= max_iterations or out_of_time or run.stop.wait(interval):
            break
    if props.get("failOnMaxReached") is True:
        return (
            "FAILED",
            {"iterationCount": iteration},
            f"LoopUntil '{task.id}' reached its limit after {iteration} iterations",
        )
    return state, {"iterationCount": iteration}


def unsupported(run, task, props, scope, variables) -> Result:
    raise TaskError(
        f"{task.short_type} is not supported by flowc's runtime yet; it compiles and draws, but cannot run here"
    )


HANDLERS: dict[str, Callable[..., Result]] = {
    "io.kestra.plugin.core.flow.Sequential": sequential,
    "io.kestra.plugin.core.flow.Parallel": parallel,
    "io.kestra.plugin.core.flow.Dag": parallel,
    "io.kestra.plugin.core.flow.If": if_,
    "io.kestra.plugin.core.flow.Switch": switch,
    "io.kestra.plugin.core.flow.ForEach": for_each,
    "io.kestra.plugin.core.flow.EachSequential": for_each,
    "io.kestra.plugin.core.flow.EachParallel": for_each,
    "io.kestra.plugin.core.flow.WorkingDirectory": working_directory,
    "io.kestra.plugin.core.flow.AllowFailure": allow_failure,
    "io.kestra.plugin.core.flow.Pause": pause,
    "io.kestra.plugin.core.flow.Subflow": subflow,
    "io.kestra.plugin.core.flow.LoopUntil": loop_until,
    "io.kestra.plugin.core.flow.ForEachItem": unsupported,
    "io.kestra.plugin.core.flow.Template": unsupported,
}


def canonical(type_name: str) -> str:
    declared = catalog.lookup(type_name)
    return declared.type if declared is not None else type_name


class Flowables:
    def handles(self, type_name: str) -> bool:
        return canonical(type_name) in HANDLERS

    def run(self, run, task: Task, props: dict[str, Any], scope, taskrun: str, variables) -> Result:
        handler = HANDLERS[canonical(task.type)]
        return handler(run, task, props, scope.child(parent_taskrun=taskrun), variables)
