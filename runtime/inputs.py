"""Typed flow inputs and typed flow outputs (KESTRA.md §1.1 and §1.2).

::

    parse_cli_inputs(["n=3"], ["more.yaml"])             -> {"n": "3", ...}
    resolve_inputs(flow["inputs"], provided, context=ctx, storage=st,
                   namespace=ns, flow_id=fid, execution_id=eid)   -> {"n": 3, "a": {"b": "x"}}
    secret_input_ids(flow["inputs"])                       -> {"password"}
    render_flow_outputs(flow["outputs"], ctx)              -> ({"count": 3}, ["warning", ...])

Inputs resolve as Kestra's ``FlowInputOutput`` does: ``dependsOn`` first (a falsy condition, or
a disabled dependency, disables the input: it is absent from the result), then the provided
value, else the rendered ``defaults``, else ``missing required input`` for a required input
(``required`` defaults to true) or ``None`` for an optional one. A value is then parsed by type
(strings are coerced) and validated (``validator``, ``min``/``max``, ``after``/``before``,
``values``). Every problem is collected and one :class:`InputError` lists them all (its
``problems`` attribute holds them one by one). Undeclared provided keys are ignored:
:func:`unknown_inputs` names them for a warning.

Values are the JSON-like values templates see (see ``runtime.values``): DATETIME, DATE, TIME and
DURATION inputs become the strings Kestra serialises them to (``Instant.toString``,
``LocalDate``, ``LocalTime`` with seconds, ``Duration.toString``: ``P1D`` -> ``PT24H``); FILE
inputs become the ``kestra:///`` URI the file was uploaded to. Files are uploaded only when every
input is valid. SECRET values are never echoed in messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from compiler.catalog import INPUT_TYPES
from compiler.loader import resolve_plain
from runtime.errors import ExpressionError, FlowcRuntimeError, InputError, StorageError
from runtime.javatime import fraction_groups
from runtime.templates import render_typed, render_value
from runtime.values import is_truthy_string, java_str

__all__ = [
    "INPUT_TYPES",
    "OutputError",
    "parse_cli_inputs",
    "render_flow_outputs",
    "resolve_inputs",
    "secret_input_ids",
    "unknown_inputs",
]

#: Item types ARRAY and MULTISELECT cannot hold (Kestra's InputValidator).
_FORBIDDEN_ITEM_TYPES = frozenset({"ARRAY", "MULTISELECT", "SELECT", "SECRET", "FILE"})
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_MAX_PROBLEMS_ON_ONE_LINE = 3


class OutputError(FlowcRuntimeError):
    """A flow output failed to render or to parse to its declared type.

    ``output_id`` is the first failing output; the message names every failure.
    """

    def __init__(self, message: str, output_id: str | None = None) -> None:
        super().__init__(message)
        self.output_id = output_id


class _Invalid(Exception):
    """A value does not fit its type; ``message`` continues "'<id>' ...", e.g. "must be ..."."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_MISSING = object()


# -- showing values in messages ---------------------------------------------------------------


def _kind_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    return f"a {type(value).__name__}"


def _show(value: Any, limit: int = 80) -> str:
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return "'" + text.replace("\n", "\\n") + "'"
    try:
        text = json.dumps(value, default=java_str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = java_str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(value: Any, secret: bool) -> str:
    return "(got a hidden value)" if secret else f"(got {_show(value)})"


def _quoted_list(values: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:limit])
    return shown + (f", ... ({len(values)} values)" if len(values) > limit else "")


# -- YAML read as Kestra's Jackson parser reads it (YAML 1.2 core schema) ---------------------------


class _Loader(yaml.SafeLoader):
    """Plain scalars resolve like ``compiler.loader``: ``on``/``yes`` and dates stay strings."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)


_PLAIN_TAG = "tag:flowc,2024:plain"
_Loader.add_constructor(
    _PLAIN_TAG, lambda loader, node: resolve_plain(loader.construct_scalar(node))
)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _load_json(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


# -- date and time (java.time semantics) ------------------------------------------------------


_INSTANT_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2})(?::(\d{2}))?)"
)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?")
_DURATION_RE = re.compile(
    r"([-+]?)P(?:([-+]?[0-9]+)D)?"
    r"(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?",
    re.IGNORECASE,
)
_NANOS = 1_000_000_000


def _nanos_of(fraction: str | None) -> int:
    return int((fraction or "").ljust(9, "0")) if fraction else 0


def _fraction_min(nanos: int) -> str:
    """ISO_LOCAL_TIME prints the fraction without trailing zeros."""
    return f".{nanos:09d}".rstrip("0") if nanos else ""


def _parse_instant(value: Any) -> tuple[dt.datetime, int]:
    """``Instant.parse``: ``(UTC datetime to the second, nanoseconds)``."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Invalid("must be an instant with a time zone, e.g. 2024-01-15T10:00:00Z")
        utc = value.astimezone(dt.UTC)
        return utc.replace(microsecond=0), utc.microsecond * 1000
    if not isinstance(value, str):
        raise ValueError
    m = _INSTANT_RE.fullmatch(value.strip())
    if not m:
        raise ValueError
    year, month, day, hour, minute = (int(m[i]) for i in range(1, 6))
    second = int(m[6] or 0)
    local = dt.datetime(year, month, day, hour, minute, second)  # ValueError if out of range
    offset = dt.timedelta(0)
    if not m[8]:
        sign = -1 if m[9] == "-" else 1
        hours, minutes, secs = int(m[10]), int(m[11]), int(m[12] or 0)
        if hours > 18 or minutes > 59 or secs > 59:
            raise ValueError
        offset = sign * dt.timedelta(hours=hours, minutes=minutes, seconds=secs)
    return (local - offset).replace(tzinfo=dt.UTC), _nanos_of(m[7])


def _instant_str(instant: tuple[dt.datetime, int]) -> str:
    v, nanos = instant
    return f"{v:%Y-%m-%dT%H:%M:%S}{fraction_groups(nanos)}Z"


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError
    m = _DATE_RE.fullmatch(value.strip())
    if not m:
        raise ValueError
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _parse_time(value: Any) -> tuple[dt.time, int]:
    if isinstance(value, dt.time):
        return value.replace(microsecond=0, tzinfo=None), value.microsecond * 1000
    if not isinstance(value, str):
        raise ValueError
    m = _TIME_RE.fullmatch(value.strip())
    if not m:
        raise ValueError
    return dt.time(int(m[1]), int(m[2]), int(m[3] or 0)), _nanos_of(m[4])


def _time_str(value: tuple[dt.time, int]) -> str:
    t, nanos = value
    return f"{t:%H:%M:%S}{_fraction_min(nanos)}"


def _parse_duration(value: Any) -> int:
    """``Duration.parse``: the total in nanoseconds (days are 24 hours; no Y, M, W)."""
    if isinstance(value, dt.timedelta):
        return ((value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds) * 1000
    if not isinstance(value, str):
        raise ValueError
    m = _DURATION_RE.fullmatch(value.strip())
    if not m or m[3] in ("T", "t") or not any(m[i] for i in (2, 4, 5, 6)):
        raise ValueError
    seconds = int(m[2] or 0) * 86400 + int(m[4] or 0) * 3600 + int(m[5] or 0) * 60
    seconds += int(m[6] or 0)
    nanos = _nanos_of(m[7])
    if m[6] and m[6].startswith("-"):
        nanos = -nanos
    total = seconds * _NANOS + nanos
    return -total if m[1] == "-" else total


def _duration_str(total: int) -> str:
    """``Duration.toString()``, including its way of writing negative fractions."""
    if total == 0:
        return "PT0S"
    seconds, nanos = divmod(total, _NANOS)  # floor, so 0 <= nanos < 1e9 as in Java

    def tdiv(a: int, b: int) -> int:  # Java's truncating division
        q = abs(a) // b
        return q if a >= 0 else -q

    effective = seconds + 1 if seconds < 0 and nanos > 0 else seconds
    hours = tdiv(effective, 3600)
    rest = effective - hours * 3600
    minutes = tdiv(rest, 60)
    secs = rest - minutes * 60
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs == 0 and nanos == 0 and len(out) > 2:
        return out
    out += "-0" if seconds < 0 and nanos > 0 and secs == 0 else str(secs)
    if nanos > 0:
        frac = str(2 * _NANOS - nanos if seconds < 0 else nanos + _NANOS).rstrip("0")
        out += "." + frac[1:]
    return out + "S"


# -- scalar coercions -------------------------------------------------------------------------


_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?")
_URI_RE = re.compile(
    r"[a-z]+://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    r"(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*)",
    re.ASCII,
)  # FlowInputOutput.URI_PATTERN: a host with a dot is required
_EMAIL_RE = re.compile(r"|[a-zA-Z0-9_!#$%&'’*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+")  # EmailInput


def _as_str(value: Any, secret: bool = False) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, Mapping | list | tuple | set | bytes):
        raise _Invalid(f"must be a string (got {_kind_name(value)})")
    return java_str(value)


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        result = value
    elif isinstance(value, float | Decimal):
        if not (math.isfinite(value) and value == int(value)):
            raise ValueError
        result = int(value)
    elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        result = int(value.strip())
    else:
        raise ValueError
    if not _INT32_MIN <= result <= _INT32_MAX:
        raise _Invalid(
            f"must be an integer between {_INT32_MIN} and {_INT32_MAX} (got {_show(value)})"
        )
    return result


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float | Decimal):
        result = float(value)
    elif isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()):
        result = float(value.strip().rstrip("fFdD"))
    else:
        raise ValueError
    if not math.isfinite(result):
        raise ValueError
    return result


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError


def _as_list(value: Any, *, commas: bool) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = _load_json(text)
            except ValueError as exc:
                raise _Invalid(f"must be a JSON list ({exc}) (got {_show(value)})") from None
            if isinstance(parsed, list):
                return parsed
        elif commas:
            return [] if not text else [part.strip() for part in text.split(",")]
    hint = (
        "a list, a JSON list or comma-separated values"
        if commas
        else 'a list or a JSON list such as ["a", "b"]'
    )
    raise _Invalid(f"must be {hint} (got {_show(value)})")


# -- one value, by type -------------------------------------------------------------------------


@dataclass
class _Env:
    """What parsing needs beyond the value: storage for FILE inputs, the uploads to do."""

    storage: Any = None
    namespace: str = ""
    flow_id: str = ""
    execution_id: str = ""
    for_output: bool = False
    uploads: list[tuple[str, str]] = field(default_factory=list)


_MESSAGES = {
    "INT": "must be an integer",
    "FLOAT": "must be a number",
    "BOOLEAN": "must be true or false",
    "DATETIME": "must be an ISO-8601 instant such as 2024-01-15T10:00:00Z",
    "DATE": "must be a date such as 2024-01-15",
    "TIME": "must be a time such as 10:30:00",
    "DURATION": "must be an ISO-8601 duration such as PT5M, PT1H30M or P1D",
    "URI": "must be a URI such as https://example.com/path",
    "EMAIL": "must be an email address",
}


def _parse_file(value: Any, input_id: str, env: _Env) -> str:
    if not isinstance(value, str) or not value:
        raise _Invalid(f"must be a file path or a kestra:// URI (got {_show(value)})")
    storage = env.storage
    if value.startswith(("kestra:", "nsfile:")):
        if storage is None:
            if env.for_output or value.startswith("kestra:"):
                return value
            raise _Invalid(f"needs internal storage to resolve {_show(value)}")
        try:
            uri = storage.resolve(value, env.namespace or "_")
        except StorageError as exc:
            raise _Invalid(f"is not a valid storage URI: {exc}") from None
        if not env.for_output and not storage.exists(uri):
            raise _Invalid(f"names {_show(value)}, which does not exist in internal storage")
        return uri
    if env.for_output:
        raise _Invalid(f"must be a kestra:// URI (got {_show(value)})")
    if value.startswith("file://"):
        parsed = urlparse(value)
        if parsed.netloc not in ("", "localhost"):
            raise _Invalid(f"names a file on another host: {_show(value)}")
        path = unquote(parsed.path)
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        raise _Invalid(
            f"must be a local file path, a file:// URL or a kestra:// URI (got {_show(value)})"
        )
    else:
        path = os.path.expanduser(value)
    if not os.path.isfile(path):
        raise _Invalid(f"names a file that does not exist: {_show(path)}")
    if storage is None:
        raise _Invalid("cannot be uploaded: no internal storage was given")
    try:
        uri = storage.input_uri(
            env.namespace, env.flow_id, env.execution_id, input_id, os.path.basename(path)
        )
    except StorageError as exc:
        raise _Invalid(f"cannot be stored: {exc}") from None
    env.uploads.append((uri, path))
    return uri


def _parse_value(
    kind: str,
    value: Any,
    spec: Mapping[str, Any] | None = None,
    *,
    input_id: str = "value",
    env: _Env | None = None,
    secret: bool = False,
) -> Any:
    """Parse ``value`` to the type ``kind`` (no validators); raises ``_Invalid``.

    ``spec`` gives ``itemType`` for ARRAY/MULTISELECT; ``env`` the storage for FILE values.
    """
    spec = spec or {}
    env = env or _Env()
    kind = kind.upper()
    try:
        if kind in ("STRING", "ENUM", "SELECT", "SECRET", "EMAIL"):
            text = _as_str(value)
            if kind == "EMAIL" and not _EMAIL_RE.fullmatch(text):
                raise ValueError
            return text
        if kind == "INT":
            return _as_int(value)
        if kind == "FLOAT":
            return _as_float(value)
        if kind in ("BOOLEAN", "BOOL"):
            return _as_bool(value)
        if kind == "DATETIME":
            return _instant_str(_parse_instant(value))
        if kind == "DATE":
            return _parse_date(value).isoformat()
        if kind == "TIME":
            return _time_str(_parse_time(value))
        if kind == "DURATION":
            return _duration_str(_parse_duration(value))
        if kind == "URI":
            if not (isinstance(value, str) and _URI_RE.fullmatch(value)):
                raise ValueError
            return value
        if kind == "JSON":
            if not isinstance(value, str):
                return value
            try:
                return _load_json(value)
            except ValueError as exc:
                raise _Invalid(f"must be valid JSON: {exc} {_got(value, secret)}") from None
        if kind == "YAML":
            if not isinstance(value, str):
                return value
            try:
                return _load_yaml(value)
            except yaml.YAMLError as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise _Invalid(f"must be valid YAML: {first} {_got(value, secret)}") from None
        if kind == "FILE":
            return _parse_file(value, input_id, env)
        if kind in ("ARRAY", "MULTISELECT"):
            items = _as_list(value, commas=kind == "MULTISELECT")
            item_kind = str(spec.get("itemType") or ("STRING" if kind == "MULTISELECT" else ""))
            item_kind = item_kind.upper()
            if not item_kind:
                return items
            if item_kind in _FORBIDDEN_ITEM_TYPES or item_kind not in INPUT_TYPES:
                raise _Invalid(f"cannot hold items of type {item_kind}")
            out = []
            for i, item in enumerate(items):
                try:
                    out.append(_parse_value(item_kind, item, input_id=input_id, env=env))
                except _Invalid as exc:
                    raise _Invalid(f"item {i} {exc.message}") from None
            return out
    except ValueError:
        message = _MESSAGES.get("BOOLEAN" if kind == "BOOL" else kind, f"must be a {kind}")
        raise _Invalid(f"{message} {_got(value, secret)}") from None
    raise _Invalid(f"has an unknown type '{kind}'")


# -- validators ---------------------------------------------------------------------------------


def _bound(spec: Mapping[str, Any], name: str, parse: Callable[[Any], Any]) -> Any:
    raw = spec.get(name)
    if raw is None:
        return None
    try:
        return parse(raw)
    except (ValueError, TypeError, _Invalid):
        raise _Invalid(f"has an invalid '{name}' bound {_show(raw)}") from None


def _values_of(spec: Mapping[str, Any], kind: str, context: Mapping[str, Any], services: Any):
    """The allowed values of a SELECT/ENUM/MULTISELECT input (``expression`` rendered)."""
    expression = spec.get("expression")
    if isinstance(expression, str):
        try:
            result = render_typed(expression, context, services=services)
        except ExpressionError as exc:
            raise _Invalid(f"has an 'expression' that failed to render: {exc}") from None
        if isinstance(result, str):
            with contextlib.suppress(ValueError):
                result = _load_json(result)
        if not isinstance(result, list):
            raise _Invalid(f"has an 'expression' that gave {_kind_name(result)}, not a list")
        return [java_str(v) for v in result if v is not None]
    values = spec.get("values")
    if values is None and kind == "MULTISELECT":
        values = spec.get("options")
    if values is None:
        return None
    if not isinstance(values, list | tuple):
        raise _Invalid("has 'values' that are not a list")
    return [java_str(v) for v in values]


def _validate(
    kind: str,
    spec: Mapping[str, Any],
    raw: Any,
    parsed: Any,
    context: Mapping[str, Any],
    services: Any,
) -> None:
    secret = kind == "SECRET"
    if kind in ("STRING", "SECRET") and spec.get("validator") is not None:
        pattern = str(spec["validator"])
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise _Invalid(
                f"has a validator that is not a valid regular expression ({exc})"
            ) from None
        if not regex.fullmatch(parsed):
            raise _Invalid(f"must match the validator '{pattern}' {_got(parsed, secret)}")
    elif kind in ("INT", "FLOAT"):
        parse = _as_int if kind == "INT" else _as_float
        low, high = _bound(spec, "min", parse), _bound(spec, "max", parse)
        if low is not None and parsed < low:
            raise _Invalid(f"must be >= {java_str(low)} {_got(raw, secret)}")
        if high is not None and parsed > high:
            raise _Invalid(f"must be <= {java_str(high)} {_got(raw, secret)}")
    elif kind in ("DATE", "DATETIME", "TIME"):
        parse, show = {
            "DATE": (_parse_date, dt.date.isoformat),
            "DATETIME": (_parse_instant, _instant_str),
            "TIME": (_parse_time, _time_str),
        }[kind]
        value = parse(parsed)
        after, before = _bound(spec, "after", parse), _bound(spec, "before", parse)
        if after is not None and value < after:
            raise _Invalid(f"must not be before {show(after)} (got {show(value)})")
        if before is not None and value > before:
            raise _Invalid(f"must not be after {show(before)} (got {show(value)})")
    elif kind == "DURATION":
        value = _parse_duration(parsed)
        low, high = _bound(spec, "min", _parse_duration), _bound(spec, "max", _parse_duration)
        if low is not None and value < low:
            raise _Invalid(f"must be at least {_duration_str(low)} (got {parsed})")
        if high is not None and value > high:
            raise _Invalid(f"must be at most {_duration_str(high)} (got {parsed})")
    elif kind in ("SELECT", "ENUM", "MULTISELECT"):
        if spec.get("allowCustomValue") is True:
            return
        allowed = _values_of(spec, kind, context, services)
        if allowed is None:
            return
        if kind != "MULTISELECT":
            if parsed not in allowed:
                raise _Invalid(f"must be one of {_quoted_list(allowed)} {_got(parsed, secret)}")
            return
        for item in parsed:
            if java_str(item) not in allowed:
                raise _Invalid(
                    f"has the value {_show(java_str(item))}, which is not one of "
                    f"{_quoted_list(allowed)}"
                )


# -- nesting of dotted ids ----------------------------------------------------------------------


def _nest(flat: Mapping[str, Any], problems: list[str] | None = None) -> dict[str, Any]:
    """``{"a.b": 1, "c": 2}`` -> ``{"a": {"b": 1}, "c": 2}`` (MapUtils.flattenToNestedMap).

    An id that would nest inside another one's value (``a`` and ``a.b``) is a clash: reported
    in ``problems`` (when given) and left out.
    """
    out: dict[str, Any] = {}
    leaves: dict[tuple[str, ...], str] = {}  # path -> the id whose value sits there
    branches: dict[tuple[str, ...], str] = {}  # path -> the first id that nests below it
    for key, value in flat.items():
        parts = tuple(key.split("."))
        clash = next((leaves[parts[:d]] for d in range(1, len(parts)) if parts[:d] in leaves), None)
        clash = clash or leaves.get(parts) or branches.get(parts)
        if clash is not None:
            if problems is not None:
                problems.append(
                    f"input ids '{clash}' and '{key}' clash: one nests inside the other"
                )
            continue
        node = out
        for d in range(1, len(parts)):
            branches.setdefault(parts[:d], key)
            node = node.setdefault(parts[d - 1], {})
        node[parts[-1]] = value
        leaves[parts] = key
    return out


def _lookup(provided: Mapping[str, Any], key: str) -> Any:
    if key in provided:
        return provided[key]
    node: Any = provided
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


# -- inputs -----------------------------------------------------------------------------------


def _input_id(spec: Mapping[str, Any]) -> str:
    return str(spec.get("id") or spec.get("name") or "")


def _has_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _render_default(default: Any, context: Mapping[str, Any], services: Any) -> Any:
    if isinstance(default, str):
        return (
            render_typed(default, context, services=services) if _has_template(default) else default
        )
    if isinstance(default, Mapping | list | tuple):
        return render_value(default, context, services=services, typed=True)
    return default


def _condition_true(rendered: Any) -> bool:
    if isinstance(rendered, bool):
        return rendered
    if rendered is None:
        return False
    text = rendered if isinstance(rendered, str) else java_str(rendered)
    return is_truthy_string(text.strip())


def _format_problems(head: str, problems: Sequence[str]) -> str:
    if len(problems) <= _MAX_PROBLEMS_ON_ONE_LINE:
        return f"{head}: " + "; ".join(problems)
    return f"{head}:\n" + "\n".join(f"  - {p}" for p in problems)


def resolve_inputs(
    declared: Sequence[Mapping[str, Any]] | None,
    provided: Mapping[str, Any] | None,
    *,
    context: Mapping[str, Any],
    storage: Any = None,
    namespace: str = "",
    flow_id: str = "",
    execution_id: str = "",
    services: Any = None,
) -> dict[str, Any]:
    """The typed inputs of an execution, dotted ids nested (``inputs.a.b``).

    ``provided`` maps input ids to raw values (strings from the command line, typed values
    from an inputs file or a Subflow call); a nested map also serves a dotted id. Defaults,
    ``dependsOn.condition`` and SELECT ``expression`` render against ``context`` with
    ``inputs`` replaced by the inputs resolved so far (dependencies are resolved first).
    Disabled inputs are absent; optional ones without a value are ``None``. Raises one
    :class:`InputError` listing every problem (``.problems``). FILE values are uploaded to
    ``storage`` at ``input_uri(namespace, flow_id, execution_id, id, file name)`` once every
    input is valid.
    """
    declared = list(declared or [])
    provided = provided or {}
    env = _Env(storage, namespace, flow_id, execution_id)
    problems: list[str] = []
    by_id: dict[str, Mapping[str, Any]] = {}
    for spec in declared:
        iid = _input_id(spec)
        if not iid:
            problems.append(f"an input has no id: {_show(dict(spec))}")
        elif iid in by_id:
            problems.append(f"input '{iid}' is declared twice")
        else:
            by_id[iid] = spec

    values: dict[str, Any] = {}  # enabled, resolved inputs, in resolution order
    state: dict[str, str] = {}  # id -> "busy" | "ok" | "off" | "failed"

    def ctx() -> dict[str, Any]:
        return {**context, "inputs": _nest(values)}

    def resolve(iid: str) -> str:
        if iid in state:
            if state[iid] == "busy":
                problems.append(f"input '{iid}' depends on itself through dependsOn.inputs")
                return "failed"
            return state[iid]
        state[iid] = "busy"
        state[iid] = _resolve_one(iid)
        return state[iid]

    def _resolve_one(iid: str) -> str:
        spec = by_id[iid]
        kind = str(spec.get("type") or "").upper()
        depends = spec.get("dependsOn")
        depends = depends if isinstance(depends, Mapping) else {}
        deps = [d for d in (depends.get("inputs") or []) if d != iid and d in by_id]
        outcomes = [resolve(d) for d in deps]
        if "failed" in outcomes:
            return "failed"  # its dependency was reported; say nothing more
        if "off" in outcomes:
            return "off"
        condition = depends.get("condition")
        if condition is not None:
            try:
                rendered = (
                    render_typed(condition, ctx(), services=services)
                    if isinstance(condition, str)
                    else condition
                )
            except ExpressionError as exc:
                problems.append(f"'{iid}' has a dependsOn.condition that failed to render: {exc}")
                return "failed"
            if not _condition_true(rendered):
                return "off"
        if not kind:
            problems.append(f"'{iid}' has no type")
            return "failed"
        if kind not in INPUT_TYPES:
            problems.append(f"'{iid}' has an unknown type '{spec.get('type')}'")
            return "failed"
        value = _lookup(provided, iid)
        if value is _MISSING or value is None:
            value = None
            if spec.get("defaults") is not None:
                try:
                    value = _render_default(spec["defaults"], ctx(), services)
                except ExpressionError as exc:
                    problems.append(f"'{iid}' has a default that failed to render: {exc}")
                    return "failed"
            if value is None and spec.get("autoSelectFirst") is True and kind != "MULTISELECT":
                try:
                    allowed = _values_of(spec, kind, ctx(), services) or []
                except _Invalid as exc:
                    problems.append(f"'{iid}' {exc.message}")
                    return "failed"
                value = allowed[0] if allowed else None
        if value is None:
            if spec.get("required", True) is False:
                values[iid] = None
                return "ok"
            problems.append(f"missing required input '{iid}'")
            return "failed"
        try:
            parsed = _parse_value(kind, value, spec, input_id=iid, env=env, secret=kind == "SECRET")
            _validate(kind, spec, value, parsed, ctx(), services)
        except _Invalid as exc:
            problems.append(f"'{iid}' {exc.message}")
            return "failed"
        values[iid] = parsed
        return "ok"

    for iid in by_id:
        resolve(iid)

    result = _nest({k: values[k] for k in by_id if k in values}, problems)
    if not problems:
        for uri, path in env.uploads:
            try:
                storage.put_file(uri, path)
            except StorageError as exc:
                problems.append(f"could not upload {_show(path)}: {exc}")
    if problems:
        error = InputError(_format_problems("invalid inputs", problems))
        error.problems = list(problems)
        raise error
    return result


def unknown_inputs(
    declared: Sequence[Mapping[str, Any]] | None, provided: Mapping[str, Any]
) -> list[str]:
    """Provided keys no input declares (Kestra drops them; the engine warns), sorted."""
    ids = {_input_id(spec) for spec in declared or []}
    unknown: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            full = f"{prefix}{key}"
            if full in ids:
                continue
            if isinstance(value, Mapping) and any(i.startswith(full + ".") for i in ids):
                walk(value, full + ".")
            else:
                unknown.append(full)

    walk(provided or {}, "")
    return sorted(unknown)


def secret_input_ids(declared: Sequence[Mapping[str, Any]] | None) -> set[str]:
    """Ids of SECRET inputs (or outputs): the engine masks their values in logs."""
    return {
        _input_id(spec)
        for spec in declared or []
        if str(spec.get("type") or "").upper() == "SECRET" and _input_id(spec)
    }


# -- the command line -------------------------------------------------------------------------


def parse_cli_inputs(pairs: Sequence[str], files: Sequence[str] = ()) -> dict[str, Any]:
    """``--inputs FILE`` mappings (JSON, or YAML for any other name; later files win), then
    ``--input key=value`` pairs (split on the first ``=``; they win over files).

    Pair values stay strings; file values keep their JSON/YAML types (YAML timestamps stay
    strings, ``on``/``yes`` are strings: YAML 1.2 as Kestra reads it). Raises
    :class:`InputError` for a bad pair or file.
    """
    result: dict[str, Any] = {}
    for name in files:
        try:
            with open(name, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read inputs file '{name}': {exc.strerror or exc}") from None
        try:
            data = _load_json(text) if str(name).lower().endswith(".json") else _load_yaml(text)
        except (ValueError, yaml.YAMLError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"inputs file '{name}' is not valid JSON or YAML: {first}") from None
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise InputError(
                f"inputs file '{name}' must hold a mapping of input ids to values at the top, "
                f"got {_kind_name(data)}"
            )
        result.update({str(k): v for k, v in data.items()})
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--input expects key=value, got '{pair}'")
        result[key.strip()] = value
    return result


# -- flow outputs -----------------------------------------------------------------------------


def render_flow_outputs(
    declared: Sequence[Mapping[str, Any]] | None,
    context: Mapping[str, Any],
    *,
    services: Any = None,
) -> tuple[dict[str, Any], list[str]]:
    """Render the flow's ``outputs:`` at the end of an execution: ``(outputs, warnings)``.

    Values render in the string context (every string inside, as Kestra renders the map), then
    parse to their declared ``type`` (FILE keeps its ``kestra://`` URI; a missing type keeps
    the value). An optional output (``required: false``) that fails to render is ``None`` with
    a warning. A required output that fails to render, or any value that does not parse to its
    type, raises :class:`OutputError` naming every failing output.
    """
    outputs: dict[str, Any] = {}
    warnings: list[str] = []
    failures: list[tuple[str, str]] = []
    env = _Env(for_output=True)
    for spec in declared or []:
        oid = _input_id(spec)
        kind = str(spec.get("type") or "").upper()
        optional = spec.get("required") is False
        if "value" not in spec:
            failures.append((oid, "it has no 'value'"))
            continue
        try:
            rendered = render_value(spec["value"], context, services=services)
        except ExpressionError as exc:
            if optional:
                warnings.append(
                    f"optional flow output '{oid}' failed to render, set to null: {exc}"
                )
                outputs[oid] = None
            else:
                failures.append((oid, str(exc)))
            continue
        if rendered is None or not kind:
            outputs[oid] = rendered
            continue
        try:
            outputs[oid] = _parse_value(kind, rendered, spec, input_id=oid, env=env)
        except _Invalid as exc:
            failures.append((oid, f"the value {exc.message}"))
    if failures:
        message = "; ".join(f"failed to render flow output '{oid}': {why}" for oid, why in failures)
        raise OutputError(message, output_id=failures[0][0])
    return outputs, warnings
