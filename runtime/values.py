"""Kestra/Java value semantics on plain Python values.

Templates see plain Python values; this module gives them the behaviour they have in Kestra,
where they are Java objects handled by Pebble 3.2.4 and Jackson:

=====================  ==========================  =============================================
Python                 Java                        notes
=====================  ==========================  =============================================
``None``               ``null``                    prints as ``""``
``bool``               ``Boolean``                 never a number (unlike Python)
``int``                ``Long`` / ``Integer``      integer arithmetic truncates, wraps at 64 bits
``float``              ``Double``                  prints like ``Double.toString``
``Decimal``            ``BigDecimal``              prints like ``BigDecimal.toString``
``str``                ``String``
``list`` / ``tuple``   ``List``                    prints as compact JSON
``dict``               ``Map``                     prints as compact JSON, null entries omitted
``datetime`` (UTC)     ``Instant``                 ``tzinfo is datetime.timezone.utc``
``datetime`` (zone)    ``ZonedDateTime``           any other ``tzinfo``
``datetime`` (naive)   ``LocalDateTime``
``date`` / ``time``    ``LocalDate`` / ``LocalTime``
``timedelta``          ``Duration``
=====================  ==========================  =============================================

Three ways to turn a value into text, as in Kestra:

- :func:`to_string`: what ``{{ value }}`` prints (Kestra's ``JsonWriter``: collections as JSON);
- :func:`java_str`: Java's ``String.valueOf`` (used by ``~``, ``+`` with a string, ``join``);
- :func:`to_json`: Jackson with Kestra's settings (``toJson``, printed collections).

Operators follow Pebble's ``OperatorUtils``; helpers raise :class:`ExpressionError` with the
evaluator's wording so that it can add the template and position.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, DecimalException, localcontext
from typing import Any

from runtime.errors import ExpressionError
from runtime.javatime import java_temporal_str

__all__ = [
    "add",
    "compare",
    "concat",
    "contains",
    "div",
    "equals",
    "ge",
    "gt",
    "is_in",
    "is_number",
    "is_truthy_string",
    "java_double_str",
    "java_equals",
    "java_hashmap",
    "java_str",
    "le",
    "length",
    "lt",
    "mod",
    "mul",
    "neg",
    "pebble_truthy",
    "pos",
    "sub",
    "to_json",
    "to_string",
    "type_name",
]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


def is_number(value: Any) -> bool:
    """True for Java ``Number``s: int, float, Decimal, but not bool."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


# --- printing ---------------------------------------------------------------------------------


def java_double_str(value: float) -> str:
    """``Double.toString``: shortest round-trip digits, scientific outside [1e-3, 1e7).

    >>> java_double_str(2.0), java_double_str(1e10), java_double_str(1e-5)
    ('2.0', '1.0E10', '1.0E-5')
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as Java 19+ does (JDK-4511638).
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exponent = int(digits_tuple.exponent)
    point = len(digits) + exponent  # decimal point position relative to the digit string
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}.0"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{point - 1}"


def _decimal_str(value: Decimal) -> str:
    # Python's Decimal.__str__ follows the same "scientific string" rules as BigDecimal.toString.
    return str(value)


def to_string(value: Any) -> str:
    """How a value prints in a template (``{{ value }}``) in Kestra's string context."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple | set | frozenset | bytes):
        return to_json(value)
    return java_str(value)


def java_str(value: Any) -> str:
    """Java's ``String.valueOf(value)``: ``null``, ``[a, b]``, ``{k=v}``, ``true``, ``1.0``."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, Decimal):
        return _decimal_str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return java_temporal_str(value)
    return str(value)


# --- JSON (Jackson with Kestra's ObjectMapper settings) ----------------------------------------

_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _json_string(text: str) -> str:
    out = []
    for ch in text:
        esc = _JSON_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def to_json(value: Any) -> str:
    """Compact JSON as Kestra's Jackson mapper writes it.

    Null map entries are omitted (``NON_NULL`` inclusion), non-ASCII is kept, ``/`` is not
    escaped, doubles print like ``Double.toString`` (``2.0``, ``1.0E10``), dates are ISO
    strings.
    """
    parts: list[str] = []
    _write_json(value, parts)
    return "".join(parts)


def _write_json(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            out.append(_json_string(java_double_str(value)))  # QUOTE_NON_NUMERIC_NUMBERS
        else:
            out.append(java_double_str(value))
    elif isinstance(value, Decimal):
        out.append(_decimal_str(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if item is None:
                continue
            if not first:
                out.append(",")
            first = False
            out.append(_json_string(key if isinstance(key, str) else java_str(key)))
            out.append(":")
            _write_json(item, out)
        out.append("}")
    elif isinstance(value, list | tuple | set | frozenset):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write_json(item, out)
        out.append("]")
    elif isinstance(value, bytes):
        out.append(_json_string(base64.b64encode(value).decode("ascii")))
    elif isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        out.append(_json_string(_json_temporal(value)))
    else:
        out.append(_json_string(str(value)))


def _json_temporal(value: Any) -> str:
    # Jackson's JavaTimeModule without timestamps: ISO_OFFSET_DATE_TIME for zoned values,
    # ISO_INSTANT for instants, the ISO local formats otherwise (seconds always written).
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat(timespec=_timespec(value.microsecond))
        if value.tzinfo is dt.UTC:
            return java_temporal_str(value)
        offset = value.utcoffset() or dt.timedelta(0)
        text = value.replace(tzinfo=None).isoformat(timespec=_timespec(value.microsecond))
        return text + _offset_id(offset)
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None).isoformat(timespec=_timespec(value.microsecond))
    return java_temporal_str(value)


def _timespec(microsecond: int) -> str:
    if microsecond == 0:
        return "seconds"
    return "milliseconds" if microsecond % 1000 == 0 else "microseconds"


def _offset_id(offset: dt.timedelta) -> str:
    seconds = int(offset.total_seconds())
    if seconds == 0:
        return "Z"
    sign = "+" if seconds > 0 else "-"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


# --- truthiness --------------------------------------------------------------------------------


def is_truthy_string(text: str | None) -> bool:
    """Kestra's ``TruthUtils.isTruthy``: false only for ``false``, ``0``, ``-0`` and ``""``."""
    return text is not None and text not in ("false", "0", "-0", "")


_NULL_MESSAGES = {
    "if": "Wrong operand(s) type in conditional expression: "
    "null value given to if statement and strict variables is set to true",
    "and": "null value used in and operator and strict variables is set to true",
    "or": "null value used in or operator and strict variables is set to true",
    "not": "null value given to not() and strict variables is set to true",
}


def pebble_truthy(value: Any, where: str = "if") -> bool:
    """Pebble's boolean coercion of a condition.

    ``where`` is the construct asking: ``"if"`` (``if``/``elseif``), ``"and"``, ``"or"``,
    ``"not"`` or ``"ternary"``. Booleans are themselves, numbers are true when non-zero,
    strings when non-empty (so ``'false'`` is true). ``null`` is false for a ternary and an
    error everywhere else (strict variables); lists and maps are errors.
    """
    if isinstance(value, bool):
        return value
    if is_number(value):
        return float(value) != 0.0
    if isinstance(value, str):
        return value != ""
    if value is None:
        if where == "ternary":
            return False
        raise ExpressionError(_NULL_MESSAGES.get(where, _NULL_MESSAGES["if"]))
    kind = type_name(value).rsplit(".", 1)[-1]
    if where in ("if", "not"):
        raise ExpressionError(
            "Wrong operand(s) type in conditional expression: unsupported value type "
            f"'{kind}', expected Boolean, String or Number; test a collection with "
            "'is empty' or '| length > 0'"
        )
    raise ExpressionError(
        f"cannot use a '{kind}' as a boolean in '{where}'; "
        "test a collection with 'is empty' or '| length > 0'"
    )


# --- equality and comparison -------------------------------------------------------------------


def java_equals(a: Any, b: Any) -> bool:
    """Java's ``Objects.equals``: type-strict (``1`` is not ``1.0``, ``true`` is not ``1``)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b and a.as_tuple().exponent == b.as_tuple().exponent
    if is_number(a) or is_number(b):
        return False
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if len(a) != len(b):
            return False
        for key, value in a.items():
            match = _find_key(b, key)
            if match is _MISSING or not java_equals(value, b[match]):
                return False
        return True
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(java_equals(x, y) for x, y in zip(a, b))
    return bool(a == b)


_MISSING = object()


def _find_key(mapping: Mapping, key: Any) -> Any:
    """The key of ``mapping`` Java-equal to ``key``, or ``_MISSING``."""
    if isinstance(key, str):
        return key if key in mapping else _MISSING
    for candidate in mapping:
        if java_equals(candidate, key):
            return candidate
    return _MISSING


def equals(a: Any, b: Any) -> bool:
    """Pebble's ``==`` / ``equals``: numbers by value across types, otherwise ``equals()``."""
    if is_number(a) and is_number(b):
        return float(a) == float(b)
    return java_equals(a, b)


_COMPARISONS = {
    "<": "LESS_THAN",
    "<=": "LESS_THAN_EQUALS",
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_EQUALS",
}


def compare(a: Any, b: Any, op: str = "<") -> int | None:
    """Three-way numeric comparison for ``<``, ``<=``, ``>``, ``>=``.

    Returns None when either side is null (every comparison is then false, as in Pebble).
    Pebble 3.2.4 only compares numbers (doubles): anything else raises ExpressionError.
    """
    if a is None or b is None:
        return None
    if not (is_number(a) and is_number(b)):
        raise ExpressionError(
            f"invalid operands for mathematical comparison [{_COMPARISONS.get(op, op)}]: "
            f"'{type_name(a)}' {op} '{type_name(b)}'; only numbers can be compared"
        )
    x, y = float(a), float(b)
    return (x > y) - (x < y)


def lt(a: Any, b: Any) -> bool:
    result = compare(a, b, "<")
    return result is not None and result < 0


def le(a: Any, b: Any) -> bool:
    result = compare(a, b, "<=")
    return result is not None and result <= 0 and not _nan(a, b)


def gt(a: Any, b: Any) -> bool:
    result = compare(a, b, ">")
    return result is not None and result > 0


def ge(a: Any, b: Any) -> bool:
    result = compare(a, b, ">=")
    return result is not None and result >= 0 and not _nan(a, b)


def _nan(a: Any, b: Any) -> bool:
    return math.isnan(float(a)) or math.isnan(float(b))


# --- arithmetic (OperatorUtils) ----------------------------------------------------------------

_OPERATIONS = {"+": "ADD", "-": "SUBTRACT", "*": "MULTIPLICATION", "/": "DIVISION", "%": "MODULUS"}
_FAILURES = {
    "+": "addition",
    "-": "subtraction",
    "*": "multiplication",
    "/": "division",
    "%": "modulus",
}


def _wrap64(value: int) -> int:
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    return (value - _INT64_MIN) % 2**64 + _INT64_MIN


def _arith(a: Any, b: Any, op: str) -> Any:
    if not (is_number(a) and is_number(b)):
        raise ExpressionError(
            f"Could not perform {_FAILURES[op]}: invalid operands for mathematical operation "
            f"[{_OPERATIONS[op]}]: '{type_name(a)}' {op} '{type_name(b)}'"
        )
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        # BigDecimal.valueOf(x.doubleValue()) on both sides, as Pebble does
        x, y = float(a), float(b)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ExpressionError(f"Could not perform {_FAILURES[op]}: infinite or NaN")
        return _decimal_op(Decimal(java_double_str(x)), Decimal(java_double_str(y)), op)
    if isinstance(a, float) or isinstance(b, float):
        return _double_op(float(a), float(b), op)
    return _long_op(a, b, op)


def _long_op(a: int, b: int, op: str) -> int:
    if op == "+":
        return _wrap64(a + b)
    if op == "-":
        return _wrap64(a - b)
    if op == "*":
        return _wrap64(a * b)
    if b == 0:
        raise ExpressionError(f"Could not perform {_FAILURES[op]}: / by zero")
    quotient = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        quotient = -quotient
    if op == "/":
        return _wrap64(quotient)
    return a - b * quotient  # Java remainder: the sign of the dividend


def _double_op(a: float, b: float, op: str) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0.0:
            if a == 0.0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    if b == 0.0 or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


def _decimal_op(a: Decimal, b: Decimal, op: str) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 34  # MathContext.DECIMAL128
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            return a % b  # BigDecimal.remainder: truncated, sign of the dividend
        except (DecimalException, ZeroDivisionError) as exc:
            raise ExpressionError(
                f"Could not perform {_FAILURES[op]}: {exc.__class__.__name__}"
            ) from exc


def add(a: Any, b: Any) -> Any:
    """Pebble ``+``: string concatenation if either side is a string, list append, or sum."""
    if isinstance(a, str) or isinstance(b, str):
        return java_str(a) + java_str(b)
    if isinstance(a, list | tuple):
        if isinstance(b, list | tuple | set | frozenset):
            return [*a, *b]
        return [*a, b]
    return _arith(a, b, "+")


def sub(a: Any, b: Any) -> Any:
    """Pebble ``-``: removal from a list (all of a collection, else the first equal item)."""
    if isinstance(a, list | tuple):
        if isinstance(b, list | tuple | set | frozenset):
            return [x for x in a if not any(java_equals(x, y) for y in b)]
        result = list(a)
        for i, item in enumerate(result):
            if java_equals(item, b):
                del result[i]
                break
        return result
    return _arith(a, b, "-")


def mul(a: Any, b: Any) -> Any:
    return _arith(a, b, "*")


def div(a: Any, b: Any) -> Any:
    """Pebble ``/``: integer division truncates toward zero (``-7 / 2`` is ``-3``)."""
    return _arith(a, b, "/")


def mod(a: Any, b: Any) -> Any:
    """Pebble ``%``: Java remainder, with the sign of the dividend."""
    return _arith(a, b, "%")


def neg(a: Any) -> Any:
    """Unary minus (``-1 * a`` in Pebble)."""
    return _arith(-1, a, "*")


def pos(a: Any) -> Any:
    """Unary plus (``1 * a`` in Pebble)."""
    return _arith(1, a, "*")


def concat(a: Any, b: Any) -> str:
    """Pebble ``~``: ``toString()`` of both sides, null as nothing."""
    return ("" if a is None else java_str(a)) + ("" if b is None else java_str(b))


# --- membership --------------------------------------------------------------------------------


def contains(container: Any, item: Any) -> bool:
    """Pebble's ``contains`` operator.

    Lists: ``equals()`` membership, or all items when ``item`` is a list. Maps: keys. Strings:
    substring of ``String.valueOf(item)``. ``null`` contains nothing.
    """
    if container is None:
        return False
    if isinstance(container, list | tuple | set | frozenset):
        wanted = item if isinstance(item, list | tuple | set | frozenset) else (item,)
        return all(any(java_equals(x, w) for x in container) for w in wanted)
    if isinstance(container, Mapping):
        return _find_key(container, item) is not _MISSING
    if isinstance(container, str):
        return java_str(item) in container
    raise ExpressionError(
        "Contains operator can only be used on Collections, Maps and arrays. "
        f"Actual type was: {type_name(container)}"
    )


def is_in(item: Any, collection: Any) -> bool:
    """Kestra's ``isIn``: compares ``toString()`` forms; for a map, keys or values match."""
    if item is None or collection is None:
        return False
    needle = java_str(item)
    if isinstance(collection, Mapping):
        return any(java_str(k) == needle or java_str(v) == needle for k, v in collection.items())
    if isinstance(collection, list | tuple | set | frozenset):
        return any(java_str(x) == needle for x in collection)
    return False


# --- types -------------------------------------------------------------------------------------


def type_name(value: Any) -> str:
    """The Java class name Kestra would report (``className`` filter).

    An int is ``java.lang.Integer`` when it fits 32 bits (values parsed from JSON), then
    ``Long``, then ``BigInteger``; Pebble integer literals are Longs in Kestra, which flowc
    does not distinguish.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        if _INT32_MIN <= value <= _INT32_MAX:
            return "java.lang.Integer"
        if _INT64_MIN <= value <= _INT64_MAX:
            return "java.lang.Long"
        return "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, list | tuple):
        return "java.util.ArrayList"
    if isinstance(value, set | frozenset):
        return "java.util.HashSet"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return "java.time.LocalDateTime"
        return "java.time.Instant" if value.tzinfo is dt.UTC else "java.time.ZonedDateTime"
    if isinstance(value, dt.date):
        return "java.time.LocalDate"
    if isinstance(value, dt.time):
        return "java.time.LocalTime"
    if isinstance(value, dt.timedelta):
        return "java.time.Duration"
    if isinstance(value, bytes):
        return "[B"
    return f"python.{type(value).__name__}"


def length(value: Any) -> int:
    """Pebble's ``length``: UTF-16 length of a string, size of a collection, 0 otherwise."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value.encode("utf-16-le")) // 2
    if isinstance(value, Mapping | list | tuple | set | frozenset | bytes):
        return len(value)
    return 0


# --- java.util.HashMap iteration order ----------------------------------------------------------


def _java_hash(key: Any) -> int:
    """``key.hashCode()`` as a signed 32-bit int."""
    if key is None:
        h = 0
    elif isinstance(key, str):
        h = 0
        data = key.encode("utf-16-be", errors="surrogatepass")
        for i in range(0, len(data), 2):  # UTF-16 code units, as String.hashCode
            h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    elif isinstance(key, bool):
        h = 1231 if key else 1237
    elif isinstance(key, int):
        v = key & 0xFFFFFFFFFFFFFFFF  # Long.hashCode
        h = (v ^ (v >> 32)) & 0xFFFFFFFF
    elif isinstance(key, float):
        import struct

        bits = struct.unpack(">Q", struct.pack(">d", key))[0]
        h = (bits ^ (bits >> 32)) & 0xFFFFFFFF
    else:
        h = hash(key) & 0xFFFFFFFF
    return h


def _table_size_for(capacity: int) -> int:
    size = 1
    while size < capacity:
        size <<= 1
    return size


def java_hashmap(items: Iterable[tuple[Any, Any]] | Mapping, initial_capacity: int = 16) -> dict:
    """A dict whose iteration order is that of a ``java.util.HashMap`` filled with ``items``.

    Kestra builds map literals (``{'b': 1, 'a': 2}`` prints ``{"a":2,"b":1}``), ``merge``
    results and several filter outputs as HashMaps; their printed key order is bucket order,
    not insertion order. ``initial_capacity`` is the one passed to the Java constructor.
    """
    pairs = items.items() if isinstance(items, Mapping) else items
    entries: dict[Any, Any] = {}
    for key, value in pairs:
        entries[key] = value  # put() of an existing key keeps its place
    capacity = _table_size_for(max(initial_capacity, 1))
    while len(entries) > int(capacity * 0.75):  # HashMap.resize() doubles the table
        capacity <<= 1
    mask = capacity - 1

    def bucket(key: Any) -> int:
        h = _java_hash(key)
        return (h ^ (h >> 16)) & mask

    order = sorted(enumerate(entries), key=lambda pair: (bucket(pair[1]), pair[0]))
    return {key: entries[key] for _, key in order}
