"""Date filters and ``now()`` (Kestra's ``AbstractDate`` family), on ``runtime.javatime``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from runtime import javatime
from runtime.filters._base import need, want_int, want_str

K = "filter"


def _zone(timeZone: Any, kind: str, name: str) -> dt.tzinfo:
    return javatime.get_zone(
        None if timeZone is None else want_str(timeZone, kind, name, "timeZone")
    )


def _convert(value: Any, timeZone: Any, existingFormat: Any, name: str) -> dt.datetime:
    zone = _zone(timeZone, K, name)
    fmt = None if existingFormat is None else want_str(existingFormat, K, name, "existingFormat")
    return javatime.to_zoned(value, zone, fmt).astimezone(zone)


def _format(value: dt.datetime, format: Any, kind: str, name: str) -> str:
    fmt = "iso" if format is None else want_str(format, kind, name, "format")
    return javatime.format_datetime(value, fmt)


def do_date(
    value: Any,
    /,
    format: Any = None,
    timeZone: Any = None,
    existingFormat: Any = None,
    locale: Any = None,
) -> Any:
    """``date(format='iso', timeZone, existingFormat, locale)``: a formatted string.

    The input may be a datetime, a date (taken at noon), an ISO string, a string in
    ``existingFormat``, or an epoch number (10 digits: seconds, 13: millis, 19: nanos). The
    output zone is ``timeZone``, else ``Etc/UTC``. Names are English whatever ``locale`` is.
    """
    if value is None:
        return None
    return _format(_convert(value, timeZone, existingFormat, "date"), format, K, "date")


def do_dateAdd(
    value: Any,
    /,
    amount: Any = None,
    unit: Any = None,
    format: Any = None,
    timeZone: Any = None,
    existingFormat: Any = None,
    locale: Any = None,
) -> Any:
    """``dateAdd(amount, unit)``: adds ``amount`` ChronoUnits (``DAYS``, ``MONTHS``...);
    returns a formatted string like ``date``.
    """
    if value is None:
        return None
    count = want_int(need(amount, K, "dateAdd", "amount"), K, "dateAdd", "amount")
    chrono = want_str(need(unit, K, "dateAdd", "unit"), K, "dateAdd", "unit")
    moved = javatime.add_unit(_convert(value, timeZone, existingFormat, "dateAdd"), count, chrono)
    return _format(moved, format, K, "dateAdd")


def _epoch_micros(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def do_timestamp(value: Any, /, timeZone: Any = None, existingFormat: Any = None) -> Any:
    """Epoch seconds (a number)."""
    if value is None:
        return None
    return _epoch_micros(_convert(value, timeZone, existingFormat, "timestamp")) // 1_000_000


def do_timestampMilli(value: Any, /, timeZone: Any = None, existingFormat: Any = None) -> Any:
    """Epoch milliseconds (a number)."""
    if value is None:
        return None
    return _epoch_micros(_convert(value, timeZone, existingFormat, "timestampMilli")) // 1000


def do_timestampMicro(value: Any, /, timeZone: Any = None, existingFormat: Any = None) -> Any:
    """Epoch microseconds, as a string (Kestra returns ``String.valueOf``)."""
    if value is None:
        return None
    return str(_epoch_micros(_convert(value, timeZone, existingFormat, "timestampMicro")))


def do_timestampNano(value: Any, /, timeZone: Any = None, existingFormat: Any = None) -> Any:
    """Epoch nanoseconds, as a string; digits below the microsecond are zero."""
    if value is None:
        return None
    return str(_epoch_micros(_convert(value, timeZone, existingFormat, "timestampNano")) * 1000)


def fn_now(
    format: Any = None, timeZone: Any = None, existingFormat: Any = None, locale: Any = None
) -> str:
    """``now(format='iso', timeZone)``: the current time as a formatted string."""
    zone = _zone(timeZone, "function", "now")
    return _format(javatime.now(zone), format, "function", "now")
