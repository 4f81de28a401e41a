"""Amazon Ion files as Kestra writes and reads them: one value (a struct, usually) per line.

Kestra stores row data in internal storage as Ion *text*: ``FileSerde.write`` serialises each row
with Jackson-Ion and ends it with ``\\n``. Kestra's ``IonModule`` decides how Java values look:

=======================  =====================================================
Java value               Ion text written
=======================  =====================================================
``LocalDate``            a day-precision timestamp: ``2024-01-15``
``Instant``              a timestamp: ``2024-01-15T10:00:00.000Z``
``ZonedDateTime``        an annotated string: ``ZonedDateTime::"2024-01-15T10:00:00Z"``
``OffsetDateTime``       ``OffsetDateTime::"..."`` (likewise ``LocalDateTime``, ``LocalTime``,
                         ``OffsetTime``)
``BigDecimal``           an Ion decimal: ``12.50``
``double``               an Ion float: ``12.5e0``
``byte[]``               a blob: ``{{YWI=}}``
=======================  =====================================================

:func:`dumps` follows the same table for Python values (``date``, aware and naive ``datetime``,
``time``, ``Decimal``, ``float``, ``bytes``, ``UUID``, ``timedelta``). :func:`iter_values` reads
any Ion text or binary stream (JSON lines are Ion too), and :func:`to_plain` turns what it reads
into plain Python values for expressions and outputs (decimals become ``int``/``float``,
timestamps ISO strings, symbols strings), as Kestra's Jackson mapping does.

Also here: :func:`java_iso`, the ISO-8601 spelling Java's ``DateTimeFormatter.ISO_*`` produce
(seconds always written, fraction without trailing zeros, ``Z`` for UTC), used wherever a date
leaves flowc as text.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

__all__ = [
    "annotated",
    "dumps",
    "duration_iso",
    "iter_values",
    "java_iso",
    "loads_line",
    "timestamp",
    "to_plain",
    "write_values",
]


# --------------------------------------------------------------------------- ISO spellings


def _fraction(microsecond: int) -> str:
    if not microsecond:
        return ""
    return "." + f"{microsecond:06d}".rstrip("0")


def _offset(value: dt.datetime | dt.time) -> str:
    off = value.utcoffset()
    if off is None:
        return ""
    seconds = int(off.total_seconds())
    if seconds == 0:
        return "Z"
    sign = "+" if seconds > 0 else "-"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    if seconds % 60:
        text += f":{seconds % 60:02d}"
    return text


def java_iso(value: dt.date | dt.datetime | dt.time) -> str:
    """``DateTimeFormatter.ISO_*`` spelling: ``2024-01-15``, ``10:00:00``,
    ``2024-01-15T10:00:00.5Z``, ``2024-01-15T10:00:00+02:00``."""
    if isinstance(value, dt.datetime):
        text = f"{value.date().isoformat()}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        return text + _fraction(value.microsecond) + _offset(value)
    if isinstance(value, dt.time):
        text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        return text + _fraction(value.microsecond) + _offset(value)
    return value.isoformat()


def duration_iso(value: dt.timedelta) -> str:
    """``java.time.Duration.toString()``: ``PT1H30M``, ``PT0.5S``, ``PT-1S``, ``PT0S``."""
    total = value.days * 86400 + value.seconds
    micros = value.microseconds
    if total == 0 and micros == 0:
        return "PT0S"
    negative = total < 0
    if negative and micros:  # Java: seconds rounded toward zero, fraction negative
        total += 1
        micros = 1_000_000 - micros
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    sign = "-" if negative else ""
    out = "PT"
    if hours:
        out += f"{sign}{hours}H"
    if minutes:
        out += f"{sign}{minutes}M"
    if seconds or micros:
        out += f"{sign}{seconds}" + _fraction(micros) + "S"
    return out


# --------------------------------------------------------------------------- writing

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_KEYWORDS = frozenset({"null", "true", "false", "nan"})


def _symbol(name: str) -> str:
    """A field name or annotation: bare when it is an identifier, else quoted."""
    if _IDENTIFIER.match(name) and name not in _KEYWORDS and not re.match(r"^\$\d+$", name):
        return name
    return (
        "'"
        + json.dumps(name, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
        + "'"
    )


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text + "e0"


def _decimal(value: decimal.Decimal) -> str:
    if not value.is_finite():
        return _float(float(value))
    sign, digits, exponent = value.as_tuple()
    coefficient = "".join(map(str, digits)) or "0"
    prefix = "-" if sign else ""
    if isinstance(exponent, int) and exponent < 0 and -exponent <= len(coefficient) + 6:
        text = str(value)  # plain notation, e.g. 12.50 or 0.001
        return text if "E" not in text else f"{prefix}{coefficient}d{exponent}"
    return f"{prefix}{coefficient}d{exponent}"


def _timestamp_text(value: Any) -> str:
    """An Ion timestamp: day precision for a date, else seconds (+ fraction) with offset."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return java_iso(value) + "-00:00"  # Ion: unknown local offset
        return java_iso(value)
    return value.isoformat()


def _ion_type_name(value: Any) -> str | None:
    ion_type = getattr(value, "ion_type", None)
    return getattr(ion_type, "name", None)


def _is_ion_null(value: Any) -> bool:
    return type(value).__name__ == "IonPyNull"


def _write(value: Any, out: list[str]) -> None:
    annotations = [str(getattr(a, "text", a)) for a in getattr(value, "ion_annotations", ()) or ()]
    for annotation in annotations:
        out.append(_symbol(annotation) + "::")
    ion_type = _ion_type_name(value)
    if value is None or _is_ion_null(value):
        out.append("null")
    elif ion_type == "SYMBOL":
        out.append(_symbol(str(getattr(value, "text", "") or "")))
    elif isinstance(value, bool) or ion_type == "BOOL":
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_float(float(value)))
    elif isinstance(value, decimal.Decimal):
        out.append(_decimal(value))
    elif isinstance(value, str):
        out.append(_string(str(value)))
    elif isinstance(value, bytes | bytearray | memoryview):
        out.append("{{" + base64.b64encode(bytes(value)).decode("ascii") + "}}")
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_symbol(str(k)) + ":")
            _write(v, out)
        out.append("}")
    elif isinstance(value, list | tuple | set | frozenset):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    elif isinstance(value, _Timestamp):
        out.append(value.text)
    elif isinstance(value, dt.datetime) and hasattr(value, "precision"):  # read by simpleion
        out.append(_ion_timestamp(value))
    elif isinstance(value, dt.datetime):
        if value.tzinfo is None:  # a LocalDateTime
            out.append("LocalDateTime::" + _string(java_iso(value)))
        else:  # an OffsetDateTime
            out.append("OffsetDateTime::" + _string(java_iso(value)))
    elif isinstance(value, dt.date):  # a LocalDate: an Ion timestamp of day precision
        out.append(value.isoformat())
    elif isinstance(value, dt.time):
        name = "OffsetTime" if value.tzinfo else "LocalTime"
        out.append(f"{name}::" + _string(java_iso(value)))
    elif isinstance(value, dt.timedelta):
        out.append("Duration::" + _string(duration_iso(value)))
    elif isinstance(value, uuid.UUID):
        out.append(_string(str(value)))
    elif callable(getattr(value, "item", None)):  # numpy scalars
        _write(value.item(), out)
    elif getattr(value, "text", None) is not None:  # a simpleion symbol
        out.append(_symbol(str(value.text)))
    else:
        out.append(_string(str(value)))


def _ion_timestamp(value: Any) -> str:
    from amazon.ion.core import TimestampPrecision

    precision = getattr(value, "precision", None)
    if precision == TimestampPrecision.YEAR:
        return f"{value.year:04d}T"
    if precision == TimestampPrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}T"
    if precision == TimestampPrecision.DAY:
        return value.date().isoformat()
    return _timestamp_text(value)


class _Timestamp:
    """An Ion timestamp written as is (see :func:`timestamp`)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def timestamp(value: dt.date | dt.datetime) -> _Timestamp:
    """Write ``value`` as an Ion timestamp (Kestra's ``Instant``), not as a Java-typed string."""
    return _Timestamp(_timestamp_text(value))


def annotated(annotation: str, text: str) -> Any:
    """A string with an Ion annotation, e.g. ``ZonedDateTime::"2024-01-15T10:00:00Z"``."""
    from amazon.ion.core import IonType
    from amazon.ion.simple_types import IonPyText

    return IonPyText.from_value(IonType.STRING, text, annotations=(annotation,))


def dumps(value: Any) -> str:
    """One Ion text value on one line, spelled as Jackson-Ion does (``12.5e0``, ``12.50``,
    ``{a:1,'b c':"x"}``), Java dates per Kestra's IonModule."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def write_values(fh: IO[str], values: Iterable[Any]) -> int:
    """Write each value on its own line (Kestra's FileSerde.write); returns the count."""
    count = 0
    for value in values:
        fh.write(dumps(value))
        fh.write("\n")
        count += 1
    return count


# --------------------------------------------------------------------------- reading


def loads_line(line: str) -> Any:
    """One Ion text value (a line of a Kestra Ion file), as simpleion objects."""
    from amazon.ion import simpleion

    return simpleion.loads(line, single_value=True)


def iter_values(data: bytes | str) -> Iterator[Any]:
    """Every top-level value of an Ion stream (text or binary), as simpleion objects."""
    from amazon.ion import simpleion

    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        return iter(())
    return iter(simpleion.loads(data, single_value=False))


def to_plain(value: Any) -> Any:
    """simpleion objects -> plain Python (dict, list, str, int, float, bool, None).

    Decimals become ``int`` when integral, else ``float``; timestamps ISO strings (a
    day-precision timestamp ``2024-01-15``); blobs and clobs stay ``bytes``; symbols and
    annotated strings their text; a typed null ``None``.
    """
    from amazon.ion.core import IonType, Timestamp, TimestampPrecision

    if value is None or _is_ion_null(value) or getattr(value, "ion_type", None) is IonType.NULL:
        return None
    if _ion_type_name(value) == "SYMBOL":
        return str(getattr(value, "text", "") or "")
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or _ion_type_name(value) == "BOOL":
        return bool(value)
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Timestamp | dt.datetime):
        precision = getattr(value, "precision", None)
        if precision in (TimestampPrecision.YEAR, TimestampPrecision.MONTH, TimestampPrecision.DAY):
            return value.date().isoformat()
        return java_iso(dt.datetime(*value.timetuple()[:6], value.microsecond, value.tzinfo))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    text = getattr(value, "text", None)  # symbols
    if isinstance(text, str):
        return text
    return value
