"""Serialisation filters and functions: JSON, YAML, Ion, and ``jq``.

Heavy libraries (``jq``, ``amazon.ion``, ``yaml``) are imported where they are used.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from runtime.errors import ExpressionError
from runtime.filters._base import MISSING, fail, want_bool, want_str
from runtime.values import java_double_str, java_str, to_json, type_name

K = "filter"

# --- JSON -----------------------------------------------------------------------------------


def do_toJson(value: Any, /) -> str:
    """Compact JSON as Kestra's Jackson writes it; null gives ``"null"``."""
    return "null" if value is None else to_json(value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard token '{name}'")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def read_json(text: str) -> Any:
    """Jackson's ``readValue``: the first JSON value of ``text`` (trailing text ignored)."""
    stripped = text.lstrip(" \t\n\r")
    if not stripped:
        raise ValueError("no content to map due to end-of-input")
    value, _ = _DECODER.raw_decode(stripped)
    return value


def fn_fromJson(json: Any = MISSING) -> Any:
    """``fromJson(json)``: parses a JSON string; null gives null."""
    if json is MISSING:
        raise fail("function", "fromJson", "needs the argument 'json', a JSON string")
    if json is None:
        return None
    if not isinstance(json, str):
        raise fail("function", "fromJson", f"expects a string, got {type_name(json)}")
    try:
        return read_json(json)
    except ValueError as exc:
        raise fail("function", "fromJson", f"got invalid JSON: {exc}") from None


def is_json_text(value: Any) -> bool:
    """Kestra's ``json`` test: Jackson's ``readTree`` accepts the string."""
    if not isinstance(value, str):
        raise ExpressionError(f"test 'json' needs a string, got {type_name(value)}")
    if not value.strip(" \t\n\r"):
        return True  # readTree("") is a MissingNode, not an error
    try:
        read_json(value)
    except ValueError:
        return False
    return True


# --- YAML (Jackson YAMLGenerator: MINIMIZE_QUOTES, INDENT_ARRAYS) ----------------------------

_RESERVED = {
    word
    for base in ("true", "false", "yes", "no", "y", "n", "on", "off", "null")
    for word in (base, base.upper(), base.capitalize())
} | {"~"}
_QUOTE_FIRST = set("-?:,[]{}#&*!|>'\"%@` ")


def _yaml_needs_quotes(text: str) -> bool:
    return (
        text == ""
        or text in _RESERVED
        or text[0] in _QUOTE_FIRST
        or text[-1] in " :"
        or ": " in text
        or " #" in text
        or any(ch < " " or ch == "\x7f" for ch in text)
    )


def _yaml_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        value = json.loads(to_json(value))
    text = value if isinstance(value, str) else java_str(value)
    return _yaml_quoted(text) if _yaml_needs_quotes(text) else text


def _yaml_literal(text: str, indent: int) -> list[str]:
    """A multi-line string as a literal block (``|-``, ``|`` or ``|+`` by trailing newlines)."""
    if not text.endswith("\n"):
        header, body = "|-", text
    elif text.endswith("\n\n"):
        header, body = "|+", text[:-1]
    else:
        header, body = "|", text[:-1]
    return [header] + [(" " * indent + line) if line else "" for line in body.split("\n")]


def _yaml_value(value: Any, indent: int) -> tuple[str, list[str]]:
    """(text after ``key:`` or ``- ``, following lines)."""
    if isinstance(value, Mapping):
        if not value:
            return " {}", []
        return "", _yaml_map(value, indent + 2)
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            return " []", []
        return "", _yaml_seq(list(value), indent)
    if isinstance(value, str) and "\n" in value:
        head, *rest = _yaml_literal(value, indent + 2)
        return " " + head, rest
    return " " + _yaml_scalar(value), []


def _yaml_map(mapping: Mapping, indent: int) -> list[str]:
    lines = []
    for key, value in mapping.items():
        inline, rest = _yaml_value(value, indent)
        lines.append(f"{' ' * indent}{_yaml_scalar(key if key is not None else 'null')}:{inline}")
        lines.extend(rest)
    return lines


def _yaml_seq(items: list, indent: int) -> list[str]:
    lines = []
    dash = " " * (indent + 1) + "- "
    for item in items:
        if isinstance(item, Mapping) and item:
            sub = _yaml_map(item, indent + 3)
        elif isinstance(item, list | tuple) and item:
            sub = _yaml_seq(list(item), indent + 2)
        else:
            inline, rest = _yaml_value(item, indent + 1)
            lines.append(dash + inline.lstrip(" "))
            lines.extend(rest)
            continue
        lines.append(dash + sub[0][indent + 3 :])
        lines.extend(sub[1:])
    return lines


def to_yaml(value: Any) -> str:
    if isinstance(value, Mapping) and value:
        lines = _yaml_map(value, 0)
    elif isinstance(value, list | tuple | set | frozenset) and value:
        lines = _yaml_seq(list(value), 0)
    else:
        inline, lines = _yaml_value(value, -2)
        lines = [inline.lstrip(" "), *lines]
    return "\n".join(lines) + "\n"


def do_yaml(value: Any, /) -> str:
    """YAML text as Kestra's ``yaml`` filter writes it (Jackson, minimal quotes)."""
    return "null" if value is None else to_yaml(value)


@lru_cache(maxsize=1)
def _yaml_loader() -> type:
    import yaml

    class JacksonLikeLoader(yaml.SafeLoader):
        """YAML as Jackson reads it: only true/false are booleans, dates stay strings."""

    resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag not in _DROPPED_TAGS]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    JacksonLikeLoader.yaml_implicit_resolvers = resolvers
    JacksonLikeLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    return JacksonLikeLoader


_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}


def fn_yaml(yaml: Any = None) -> Any:
    """``yaml(yaml)``: parses a YAML string (the first document)."""
    if not isinstance(yaml, str):
        raise fail("function", "yaml", f"expects a string, got {type_name(yaml)}")
    import yaml as pyyaml

    try:
        for document in pyyaml.load_all(yaml, Loader=_yaml_loader()):
            return document
    except pyyaml.YAMLError as exc:
        raise fail("function", "yaml", f"got invalid YAML: {exc}") from None
    return None


# --- Ion ----------------------------------------------------------------------------------------

_ION_SYMBOL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ION_KEYWORDS = {"null", "true", "false", "nan"}


def _ion_text(value: str, quote: str) -> str:
    out = []
    for ch in value:
        if ch == quote or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch < " ":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def _ion_field(key: Any) -> str:
    name = key if isinstance(key, str) else java_str(key)
    if _ION_SYMBOL.fullmatch(name) and name not in _ION_KEYWORDS:
        return name
    return _ion_text(name, "'")


def to_ion(value: Any) -> str:
    """Ion text as Kestra's Jackson Ion mapper writes it (nulls kept, floats ``1.5e0``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "+inf" if value > 0 else "-inf"
        text = java_double_str(value)
        return text.replace("E", "e") if "E" in text else text + "e0"
    if isinstance(value, Decimal):
        text = str(value).replace("E+", "d").replace("E", "d")
        return text if ("." in text or "d" in text) else text + "."
    if isinstance(value, str):
        return _ion_text(value, '"')
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_ion_field(k)}:{to_ion(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ",".join(to_ion(v) for v in value) + "]"
    if isinstance(value, bytes):
        import base64

        return "{{" + base64.b64encode(value).decode("ascii") + "}}"
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        annotation = type_name(value).rsplit(".", 1)[-1]
        return f"{annotation}::" + _ion_text(json.loads(to_json(value)), '"')
    return _ion_text(java_str(value), '"')


def do_toIon(value: Any, /) -> str:
    """Ion text; null gives ``"null"``."""
    return to_ion(value)


def _from_ion_value(value: Any) -> Any:
    from amazon.ion.simple_types import IonPyNull
    from amazon.ion.symbols import SymbolToken

    if value is None or isinstance(value, IonPyNull):
        return None
    if isinstance(value, SymbolToken):
        return value.text
    if isinstance(value, Mapping):
        return {str(k): _from_ion_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_from_ion_value(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal):
        return Decimal(value)
    if isinstance(value, dt.datetime):
        plain = dt.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
        if plain.tzinfo is not None and plain.utcoffset() == dt.timedelta(0):
            return plain.astimezone(dt.UTC)
        return plain
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return str(value)
    return value


def fn_fromIon(ion: Any = MISSING, allRows: Any = None) -> Any:
    """``fromIon(ion, allRows=false)``: the first Ion value, or all of them as a list."""
    if ion is MISSING:
        raise fail("function", "fromIon", "needs the argument 'ion', an Ion string")
    if ion is None:
        return None
    if not isinstance(ion, str):
        raise fail("function", "fromIon", f"expects a string, got {type_name(ion)}")
    every = False if allRows is None else want_bool(allRows, "function", "fromIon", "allRows")
    from amazon.ion import simpleion

    try:
        values = simpleion.loads(ion, single_value=False) if ion.strip() else []
    except Exception as exc:  # amazon.ion raises bare Exceptions and ValueErrors
        raise fail("function", "fromIon", f"got invalid Ion: {exc}") from None
    rows = [_from_ion_value(v) for v in values]
    if every:
        return rows
    return rows[0] if rows else None


# --- jq -------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _jq_program(expression: str) -> Any:
    import jq

    return jq.compile(expression)


def do_jq(value: Any, /, expression: Any = None) -> Any:
    """``jq(expression)``: always a list of results; a string input is parsed as JSON first."""
    if value is None:
        return None
    if expression is None:
        raise fail(K, "jq", "needs the argument 'expression'")
    program_text = want_str(expression, K, "jq", "expression")
    if isinstance(value, str):
        try:
            text = json.dumps(read_json(value))
        except ValueError as exc:
            raise fail(K, "jq", f"cannot parse its input as JSON: {exc}") from None
    else:
        text = to_json(value)
    try:
        program = _jq_program(program_text)
    except ValueError as exc:
        raise fail(K, "jq", f"has an invalid expression '{program_text}': {exc}") from None
    try:
        return program.input_text(text).all()
    except ValueError as exc:
        raise fail(K, "jq", f"failed to resolve '{program_text}': {exc}") from None
