"""Core runnable tasks: log, debug, output, execution control and flow.Sleep.

=====================================================  =========================================
type                                                   does
=====================================================  =========================================
``io.kestra.plugin.core.log.Log``                      logs ``message`` (a string or a list) at
                                                       ``level``
``io.kestra.plugin.core.debug.Return``                 ``value`` = rendered ``format``
``io.kestra.plugin.core.debug.Echo``                   logs ``format`` at ``level`` (deprecated)
``io.kestra.plugin.core.output.OutputValues``          ``values``: strings rendered to strings,
                                                       other values keep their type
``io.kestra.plugin.core.execution.Fail``               fails, or fails when ``condition`` is
                                                       truthy
``io.kestra.plugin.core.execution.Assert``             fails when any of ``conditions`` is falsy
``io.kestra.plugin.core.execution.Labels``             adds labels to the execution
                                                       (``ctx.labels``)
``io.kestra.plugin.core.flow.Sleep``                   waits ``duration``; a cancel ends it
=====================================================  =========================================
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from runtime.errors import TaskError
from runtime.tasks.base import LEVELS, TaskContext
from runtime.tasks.props import Props, truthy

__all__ = ["TASKS"]

CORE = "io.kestra.plugin.core"


def _level(p: Props, name: str = "level") -> str:
    level = p.string(name)
    if level is None or level == "":
        return "INFO"
    upper = level.strip().upper()
    if upper == "WARNING":
        upper = "WARN"
    if upper not in LEVELS:
        raise TaskError(f"property '{name}' must be one of {', '.join(LEVELS)} (got '{level}')")
    return upper


def log(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    level = _level(p)
    message = props.get("message")
    if message is None:
        raise TaskError("property 'message' is required")
    if isinstance(message, str):
        messages = [message]
    elif isinstance(message, list):
        messages = message
    elif isinstance(message, int | float) and not isinstance(message, bool):
        messages = [str(message)]
    else:
        raise TaskError(
            f"invalid message type '{type(message).__name__}': 'message' must be a string or a "
            "list of strings"
        )
    for item in messages:
        text = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
        ctx.log(level, p.render(text))
    return {}


def debug_return(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    value = p.string("format")
    if value is None:
        return {}
    ctx.metric("length", "counter", float(len(value)))
    return {"value": value}


def debug_echo(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    ctx.log(_level(p), p.string("format", required=True) or "")
    return {}


def output_values(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    raw = props.get("values")
    if raw is None:
        return {"values": {}}
    if isinstance(raw, str):
        values = p.map("values") or {}
    elif isinstance(raw, Mapping):
        values = {}
        for key, value in raw.items():
            name = p.render(key) if isinstance(key, str) else str(key)
            values[name] = p.render(value)  # strings -> strings; nested strings rendered
    else:
        raise TaskError(f"property 'values' must be a map (got {type(raw).__name__})")
    return {"values": values}


def fail(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    message = p.string("errorMessage", "Task failure")
    if props.get("condition") is not None:
        if truthy(p.string("condition")):
            raise TaskError(message or "Fail on a condition")
        return {}
    raise TaskError(message or "Task failure")


def assert_(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    conditions = props.get("conditions")
    if conditions is None:
        raise TaskError("property 'conditions' is required")
    if isinstance(conditions, str):
        conditions = [conditions]
    if not isinstance(conditions, list):
        raise TaskError("property 'conditions' must be a list of expressions")
    failed = success = 0
    for condition in conditions:
        source = condition if isinstance(condition, str) else json.dumps(condition)
        try:
            rendered = p.render(source)
        except TaskError as exc:
            ctx.log("ERROR", f"Assertion `{source}` failed, failed to render `{exc}`")
            failed += 1
            continue
        if truthy(rendered):
            success += 1
        else:
            ctx.log("ERROR", f"Assertion `{source}` failed!")
            failed += 1
    ctx.metric("success", "counter", float(success))
    ctx.metric("failed", "counter", float(failed))
    if failed:
        message = f"{failed} assertion{'s' if failed > 1 else ''} failed!"
        extra = p.string("errorMessage")
        raise TaskError(message + (f"\n{extra}" if extra else ""))
    return {}


def _label_value(p: Props, value: Any) -> str:
    if isinstance(value, Mapping):
        return json.dumps(p.render(dict(value)), separators=(",", ":"))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return p.render(value if isinstance(value, str) else str(value))


def labels(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    raw = props.get("labels")
    if raw is None:
        raise TaskError("property 'labels' is required")
    result: dict[str, str] = {}
    if isinstance(raw, str):
        rendered = p.render(raw)
        try:
            parsed = json.loads(rendered)
        except ValueError:
            raise TaskError(
                f"property 'labels' must render to a JSON object of key -> value (got '{rendered[:80]}')"
            ) from None
        if isinstance(parsed, list):
            raw = parsed
        elif isinstance(parsed, Mapping):
            result = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}
            raw = None
        else:
            raise TaskError("property 'labels' must render to a JSON object of key -> value")
    if isinstance(raw, list):
        for item in raw:
            if not isinstance(item, Mapping) or "key" not in item:
                raise TaskError(
                    f"invalid label {item!r}: a list of labels holds {{key: ..., value: ...}} maps"
                )
            result[p.render(str(item["key"]))] = _label_value(p, item.get("value"))
    elif isinstance(raw, Mapping):
        for key, value in raw.items():
            result[p.render(str(key))] = _label_value(p, value)
    elif raw is not None:
        raise TaskError(f"property 'labels' must be a map or a list (got {type(raw).__name__})")
    for key, value in result.items():
        if key.startswith("system."):
            raise TaskError(
                f"label '{key}' is a system label; system labels can only be set by flowc itself "
                f"(offending label: {key}={value})"
            )
        if not key:
            raise TaskError("a label key is empty")
    ctx.labels.update(result)
    return {}


def sleep(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    if props.get("duration") is None:
        raise TaskError("property 'duration' is required")
    seconds = p.duration("duration") or 0.0
    if seconds < 0:
        raise TaskError(f"property 'duration' must not be negative (got {seconds:g}s)")
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return {}
        if ctx.cancel.wait(min(left, 0.5)):
            raise TaskError(
                f"sleep of {seconds:g}s interrupted: the task was cancelled (timeout or kill)"
            )


TASKS = {
    f"{CORE}.log.Log": log,
    f"{CORE}.debug.Return": debug_return,
    f"{CORE}.debug.Echo": debug_echo,
    f"{CORE}.output.OutputValues": output_values,
    f"{CORE}.execution.Fail": fail,
    f"{CORE}.execution.Assert": assert_,
    f"{CORE}.execution.Labels": labels,
    f"{CORE}.flow.Sleep": sleep,
}
