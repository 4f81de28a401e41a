"""The task catalog: what flowc knows about each Kestra plugin type.

This is the one contract read by both halves of flowc. The compiler uses it to
check properties (``unknown-property``, ``missing-property``) and output
references (``unknown-output``); the runtime uses it to find the family, the
child-task fields and the output modes of a task.

The declarations themselves live in ``compiler/catalog_data/`` (one module per
plugin family); this module holds the data model, the lookup API and the names
of the expression library (filters, functions, tests).

Facts come from reading the Kestra sources (kestra-io/kestra, plugin-scripts,
plugin-jdbc, ...), see ``docs/catalog.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

__all__ = [
    "COMMON_TASK_PROPERTIES",
    "COMMON_TRIGGER_PROPERTIES",
    "FAMILIES",
    "FILTERS",
    "FUNCTIONS",
    "INPUT_TYPES",
    "KINDS",
    "PROP_TYPES",
    "TESTS",
    "OutputDecl",
    "Prop",
    "TaskType",
    "all_types",
    "iter_child_tasks",
    "lookup",
    "outputs_for",
    "outputs_in_other_modes",
]

#: Flow input (and output) types, Kestra's ``Type`` enum.
INPUT_TYPES = frozenset(
    {
        "STRING",
        "ENUM",
        "SELECT",
        "SECRET",
        "EMAIL",
        "INT",
        "FLOAT",
        "BOOLEAN",
        "BOOL",
        "DATETIME",
        "DATE",
        "TIME",
        "DURATION",
        "FILE",
        "JSON",
        "YAML",
        "URI",
        "ARRAY",
        "MULTISELECT",
    }
)

PROP_TYPES = frozenset(
    {
        "string",
        "integer",
        "number",
        "boolean",
        "duration",
        "list",
        "map",
        "object",
        "task",
        "tasks",
        "any",
    }
)
KINDS = frozenset({"runnable", "flowable", "trigger", "runner", "condition"})
FAMILIES = frozenset(
    {
        "http",
        "script",
        "sql",
        "log",
        "flowable",
        "subflow",
        "storage",
        "kv",
        "flow-control",
        "other",
    }
)


@dataclass(frozen=True)
class Prop:
    """One property of a task type, as written in the flow YAML."""

    name: str
    required: bool = False
    type: str = "any"  # one of PROP_TYPES
    default: object = None
    dynamic: bool = True  # rendered with Pebble at run time
    deprecated: bool = False
    description: str = ""


@dataclass(frozen=True)
class OutputDecl:
    """One top-level output attribute (``outputs.<task>.<name>``)."""

    name: str
    # The output exists only when every listed property has one of the listed values,
    # e.g. {"fetchType": ("FETCH",)}; None means always.
    when: Mapping[str, tuple] | None = None
    open: bool = False  # any sub-key below it is valid (vars.*, values.*, headers.*)
    description: str = ""


def _empty_props() -> Mapping[str, Prop]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TaskType:
    """A plugin type: a task, a trigger, a task runner or a condition."""

    type: str  # canonical FQCN
    aliases: tuple[str, ...] = ()  # legacy names accepted by Kestra
    kind: str = "runnable"  # one of KINDS
    family: str = "other"  # one of FAMILIES (used for graph colours)
    properties: Mapping[str, Prop] = field(default_factory=_empty_props)  # own properties only
    outputs: tuple[OutputDecl, ...] = ()
    outputs_open: bool = False  # outputs not knowable statically
    closed: bool = True  # properties is complete: unknown properties may be reported
    child_task_fields: tuple[str, ...] = ()  # fields holding nested tasks
    output_files: str | None = None  # "globs" | "names" | None
    short_name: str = ""

    def __post_init__(self) -> None:
        if not self.short_name:
            object.__setattr__(self, "short_name", self.type.rsplit(".", 1)[-1])
        if not isinstance(self.properties, MappingProxyType):
            object.__setattr__(self, "properties", MappingProxyType(dict(self.properties)))


def _props(*props: Prop) -> Mapping[str, Prop]:
    return MappingProxyType({p.name: p for p in props})


# Task.java (kestra-io/kestra): fields every task accepts.
COMMON_TASK_PROPERTIES: Mapping[str, Prop] = _props(
    Prop("id", required=True, type="string", dynamic=False),
    Prop("type", required=True, type="string", dynamic=False),
    Prop("description", type="string", dynamic=False),
    Prop("retry", type="object", dynamic=False),
    Prop("timeout", type="duration"),
    Prop("disabled", type="boolean", default=False, dynamic=False),
    Prop("allowFailure", type="boolean", default=False, dynamic=False),
    Prop("allowWarning", type="boolean", default=False, dynamic=False),
    Prop("runIf", type="string", default="true"),
    Prop("logLevel", type="string", dynamic=False),
    Prop("logToFile", type="boolean", default=False, dynamic=False),
    Prop("workerGroup", type="object", dynamic=False),
    Prop("taskCache", type="object", dynamic=False),
    Prop("version", type="string", dynamic=False),
    Prop("assets", type="object", description="asset declarations (Kestra 1.x)"),
    Prop("pluginDefaultsRef", type="string", dynamic=False, description="Kestra 1.x"),
    Prop(
        "when",
        type="string",
        description="develop (2.0): a condition; the task is skipped when falsy",
    ),
)

# AbstractTrigger.java: fields every trigger accepts.
COMMON_TRIGGER_PROPERTIES: Mapping[str, Prop] = _props(
    Prop("id", required=True, type="string", dynamic=False),
    Prop("type", required=True, type="string", dynamic=False),
    Prop("description", type="string", dynamic=False),
    Prop("conditions", type="list", dynamic=False),
    Prop("disabled", type="boolean", default=False, dynamic=False),
    Prop("workerGroup", type="object", dynamic=False),
    Prop("logLevel", type="string", dynamic=False),
    Prop("logToFile", type="boolean", default=False, dynamic=False),
    Prop("labels", type="any", dynamic=False),
    Prop("stopAfter", type="list", dynamic=False),
    Prop("failOnTriggerError", type="boolean", default=False, dynamic=False),
    Prop("allowConcurrent", type="boolean", default=False, dynamic=False),
    Prop("minLogLevel", type="string", dynamic=False),
    Prop("version", type="string", dynamic=False),
    Prop(
        "when",
        type="string",
        description="develop (2.0): a condition evaluated when the trigger fires",
    ),
)


# --------------------------------------------------------------------------------------
# Expression library names (Pebble core + Kestra), see KESTRA.md §3.4/3.5.
# runtime/filters.py implements them; a parity test keeps both sets equal.

FILTERS: frozenset[str] = frozenset(
    {
        # Pebble core (CoreExtension), less escape, raw and numberformat, which Kestra removes
        "abbreviate",
        "abs",
        "base64decode",
        "base64encode",
        "capitalize",
        "date",
        "default",
        "first",
        "join",
        "last",
        "length",
        "lower",
        "merge",
        "replace",
        "reverse",
        "rsort",
        "sha256",
        "slice",
        "sort",
        "split",
        "title",
        "trim",
        "upper",
        "urlencode",
        # Kestra (core/runners/pebble/Extension.java)
        "chunk",
        "className",
        "dateAdd",
        "distinct",
        "endsWith",
        "escapeChar",
        "flatten",
        "indent",
        "jq",
        "json",
        "keys",
        "md5",
        "nindent",
        "number",
        "numberFormat",
        "sha1",
        "sha512",
        "slugify",
        "startsWith",
        "string",
        "substringAfter",
        "substringAfterLast",
        "substringBefore",
        "substringBeforeLast",
        "timestamp",
        "timestampMicro",
        "timestampMilli",
        "timestampNano",
        "toIon",
        "toJson",
        "urldecode",
        "values",
        "yaml",
        # Kestra develop (2.0) additions
        "regexExtract",
        "regexMatch",
        "regexReplace",
    }
)

FUNCTIONS: frozenset[str] = frozenset(
    {
        # Pebble core (i18n is removed by Kestra)
        "block",
        "max",
        "min",
        "parent",
        "range",
        # Kestra
        "currentEachOutput",
        "decrypt",
        "encrypt",
        "errorLogs",
        "fetchContext",
        "fileExists",
        "fileSize",
        "fileURI",
        "fromIon",
        "fromJson",
        "http",
        "id",
        "isFileEmpty",
        "json",
        "ksuid",
        "kv",
        "now",
        "printContext",
        "randomInt",
        "randomPort",
        "read",
        "render",
        "renderOnce",
        "secret",
        "tasksWithState",
        "uuid",
        "yaml",
        # Kestra develop (2.0) additions
        "env",
        "isLastWorkingDay",
        "loopOutputs",
        "nanoId",
        "subflow",
        # Enterprise Edition
        "assets",
    }
)

TESTS: frozenset[str] = frozenset(
    {"defined", "empty", "even", "iterable", "json", "map", "null", "odd"}
)


# --------------------------------------------------------------------------------------
# Registry


@cache
def _registry() -> tuple[tuple[TaskType, ...], Mapping[str, TaskType]]:
    from compiler.catalog_data import ALL_TYPES

    by_name: dict[str, TaskType] = {}
    for task_type in ALL_TYPES:
        for name in (task_type.type, *task_type.aliases):
            if name in by_name:
                raise ValueError(f"catalog: {name!r} is declared twice")
            by_name[name] = task_type
    third_party = [t for t in plugin_declarations() if t.type not in by_name]
    for task_type in third_party:
        for name in (task_type.type, *task_type.aliases):
            by_name.setdefault(name, task_type)
    return tuple(ALL_TYPES) + tuple(third_party), MappingProxyType(by_name)


ENTRY_POINT_GROUP = "flowc.tasks"


def plugin_declarations() -> list[TaskType]:
    """Declarations of third-party task types registered under the ``flowc.tasks`` entry
    point group (each entry point: an implementation with a ``declaration`` attribute, or a
    ``(declaration, implementation)`` tuple). A broken plugin is skipped, never fatal."""
    from importlib.metadata import entry_points

    found: list[TaskType] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry.load()
        except Exception:  # a plugin that fails to import must not break flowc lint
            continue
        declaration = obj[0] if isinstance(obj, tuple) else getattr(obj, "declaration", None)
        if isinstance(declaration, TaskType):
            found.append(declaration)
    return found


def lookup(type_name: str) -> TaskType | None:
    """The task type named ``type_name`` (canonical FQCN or legacy alias), or None."""
    return _registry()[1].get(type_name)


def all_types() -> tuple[TaskType, ...]:
    """Every declared type, each once (aliases are not repeated)."""
    return _registry()[0]


# --------------------------------------------------------------------------------------
# Output modes

_EXPRESSION = re.compile(r"\{\{|\{%")

# jdbc AbstractJdbcBaseQuery.renderFetchType: the deprecated booleans win, in this order.
_FETCH_BOOLEANS = (("fetch", "FETCH"), ("fetchOne", "FETCH_ONE"), ("store", "STORE"))


def _norm(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _is_expression(value: object) -> bool:
    return isinstance(value, str) and bool(_EXPRESSION.search(value))


def _truthy_static(value: object) -> bool | None:
    """True/False for a static boolean-ish value, None for an expression."""
    if _is_expression(value):
        return None
    return _norm(value) == "true"


def _effective(task_type: TaskType, props: Mapping[str, object]) -> dict[str, object]:
    """Static property values with declared defaults filled in and legacy modes folded."""
    values: dict[str, object] = {
        name: prop.default
        for name, prop in task_type.properties.items()
        if prop.default is not None
    }
    values.update(props)
    if "fetchType" in task_type.properties:
        for flag, mode in _FETCH_BOOLEANS:
            if flag in task_type.properties and flag in props:
                truth = _truthy_static(props[flag])
                if truth is None:
                    values["fetchType"] = props[flag]  # an expression: permissive
                    break
                if truth:
                    values["fetchType"] = mode
                    break
    return values


def _matches(decl: OutputDecl, values: Mapping[str, object]) -> bool:
    if not decl.when:
        return True
    for prop_name, allowed in decl.when.items():
        value = values.get(prop_name)
        if _is_expression(value):
            continue
        if _norm(value) not in {_norm(a) for a in allowed}:
            return False
    return True


def outputs_for(task_type: TaskType, props: Mapping[str, object]) -> dict[str, OutputDecl]:
    """The outputs that exist for this task given its static property values.

    A mode property whose value is an expression matches every mode (the union).
    """
    values = _effective(task_type, props)
    return {d.name: d for d in task_type.outputs if _matches(d, values)}


def _describe_when(when: Mapping[str, tuple]) -> str:
    parts = []
    for prop_name, allowed in when.items():
        shown = [_norm(a) if isinstance(a, bool) else str(a) for a in allowed]
        if len(shown) == 1:
            choice = shown[0]
        else:
            choice = ", ".join(shown[:-1]) + " or " + shown[-1]
        parts.append(f"{prop_name}: {choice}")
    return " and ".join(parts)


def outputs_in_other_modes(task_type: TaskType, props: Mapping[str, object]) -> dict[str, str]:
    """Outputs declared for this type that do not exist in this task's mode, with why."""
    present = outputs_for(task_type, props)
    result: dict[str, str] = {}
    for decl in task_type.outputs:
        if decl.name in present or not decl.when:
            continue
        result[decl.name] = f"'{decl.name}' exists only with {_describe_when(decl.when)}"
    return result


def iter_child_tasks(
    task_type: TaskType, task: Mapping[str, object]
) -> Iterable[Mapping[str, object]]:
    """Nested task mappings of ``task`` (a parsed YAML mapping) per ``child_task_fields``.

    Handles lists of tasks, Switch ``cases`` (map of lists), Dag entries
    (``{task: ..., dependsOn: [...]}``) and single-task fields.
    """
    for field_name in task_type.child_task_fields:
        value = task.get(field_name)
        groups: list[object]
        if isinstance(value, Mapping) and field_name == "cases":
            groups = [v for v in value.values() if isinstance(v, list)]
        elif isinstance(value, list):
            groups = [value]
        elif isinstance(value, Mapping):
            groups = [[value]]
        else:
            continue
        for group in groups:
            for item in group:  # type: ignore[union-attr]
                if not isinstance(item, Mapping):
                    continue
                if "type" not in item and isinstance(item.get("task"), Mapping):
                    yield item["task"]  # Dag entry
                else:
                    yield item
