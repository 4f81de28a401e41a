"""A JSON Schema (draft-07) for flow files, generated from the task catalog.

Editors with a YAML language server use it to validate and complete flows: each task type is
an ``if type == X then {its properties}`` branch, so completion shows the right properties.
"""

from __future__ import annotations

from typing import Any

from compiler import catalog

_JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "number": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    "boolean": {"anyOf": [{"type": "boolean"}, {"type": "string"}]},
    "duration": {"type": "string", "description": "ISO-8601 duration, e.g. PT5M"},
    "list": {"anyOf": [{"type": "array"}, {"type": "string"}]},
    "map": {"anyOf": [{"type": "object"}, {"type": "string"}]},
    "object": {"type": "object"},
    "task": {"$ref": "#/definitions/task"},
    "tasks": {"type": "array", "items": {"$ref": "#/definitions/task"}},
    "any": {},
}
_TASK_LIST = {"type": "array", "items": {"$ref": "#/definitions/task"}}
_ID = {"type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_-]*$", "maxLength": 256}


def _prop_schema(prop: catalog.Prop) -> dict[str, Any]:
    schema = dict(_JSON_TYPES.get(prop.type, {}))
    if prop.description:
        schema["description"] = prop.description
    if prop.default is not None:
        schema["default"] = prop.default
    if prop.deprecated:
        schema["deprecated"] = True
    return schema


def _task_branch(task_type: catalog.TaskType) -> dict[str, Any]:
    properties: dict[str, Any] = {
        name: _prop_schema(p) for name, p in catalog.COMMON_TASK_PROPERTIES.items()
    }
    properties["id"] = _ID
    properties.update({name: _prop_schema(p) for name, p in task_type.properties.items()})
    for field in task_type.child_task_fields:
        properties[field] = (
            {"type": "object", "additionalProperties": _TASK_LIST}
            if field == "cases"
            else _TASK_LIST
        )
    if task_type.kind == "flowable":
        properties.setdefault("errors", _TASK_LIST)
        properties.setdefault("finally", _TASK_LIST)
    names = (task_type.type, *task_type.aliases)
    then: dict[str, Any] = {"properties": properties}
    required = sorted(name for name, p in task_type.properties.items() if p.required)
    if required:
        then["required"] = required
    if task_type.closed:
        then["additionalProperties"] = False
    return {
        "if": {"properties": {"type": {"enum": list(names)}}, "required": ["type"]},
        "then": then,
    }


def flow_schema() -> dict[str, Any]:
    tasks = [t for t in catalog.all_types() if t.kind in ("runnable", "flowable")]
    type_names = sorted({name for t in tasks for name in (t.type, *t.aliases)})
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://flowc.dev/schema/flow.json",
        "title": "Kestra flow (flowc)",
        "type": "object",
        "required": ["id", "namespace", "tasks"],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9._-]*$", "maxLength": 100},
            "namespace": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$", "maxLength": 150},
            "description": {"type": "string"},
            "labels": {"anyOf": [{"type": "object"}, {"type": "array"}]},
            "inputs": {"type": "array", "items": {"$ref": "#/definitions/input"}},
            "variables": {"type": "object"},
            "tasks": {**_TASK_LIST, "minItems": 1},
            "errors": _TASK_LIST,
            "finally": _TASK_LIST,
            "afterExecution": _TASK_LIST,
            "outputs": {
                "type": "array",
                "items": {"type": "object", "required": ["id", "type", "value"]},
            },
            "triggers": {"type": "array", "items": {"type": "object", "required": ["id", "type"]}},
            "pluginDefaults": {"type": "array", "items": {"type": "object", "required": ["type"]}},
            "taskDefaults": {"type": "array", "deprecated": True},
            "concurrency": {"type": "object", "required": ["limit"]},
            "retry": {"type": "object"},
            "disabled": {"type": "boolean"},
            "revision": {"type": "integer"},
        },
        "definitions": {
            "task": {
                "type": "object",
                "required": ["id", "type"],
                "properties": {
                    "id": _ID,
                    "type": {
                        "anyOf": [
                            {"enum": type_names},
                            {"type": "string", "pattern": r"^[a-zA-Z_$][\w$.]*$"},
                        ]
                    },
                },
                "allOf": [_task_branch(t) for t in tasks],
            },
            "input": {
                "type": "object",
                "required": ["id", "type"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"},
                    "type": {"enum": sorted(catalog.INPUT_TYPES)},
                    "required": {"type": "boolean"},
                    "description": {"type": "string"},
                },
            },
        },
    }
