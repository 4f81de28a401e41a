"""Java ``java.time`` formatting and parsing for Kestra's date filters, on ``datetime``.

Kestra's ``date``, ``dateAdd``, ``timestamp*`` filters and ``now()`` use ``DateTimeFormatter``
patterns (``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``), not strftime. This module:

- compiles a pattern (quotes, ``[optional]`` sections, every pattern letter of
  ``DateTimeFormatterBuilder.appendPattern``) and formats a zoned ``datetime`` with it;
- knows Kestra's named formats (``iso``, ``iso_milli``, ``sql``, ``iso_date_time``, ...,
  ``full``/``long``/``medium``/``short``), see :data:`NAMED_FORMATS`;
- parses text the way ``AbstractDate.convert`` does: ``ZonedDateTime``, then
  ``LocalDateTime``, then ``LocalDate``, with ISO or an ``existingFormat`` pattern;
- prints ``Instant``/``ZonedDateTime``/``LocalDateTime`` like their ``toString()``.

Facts fixed here, as Kestra runs them (Java 21, CLDR, JVM defaults in the official image):

- the default time zone is ``Etc/UTC`` (:data:`DEFAULT_ZONE_ID`), the JVM default of
  Kestra's container; ``timeZone=`` overrides it;
- the locale is English (US week rules: weeks start on Sunday, week 1 holds January 1st);
  other ``locale=`` values are accepted but names stay English;
- ``datetime`` has microseconds, Java nanoseconds: digits below the microsecond are zero.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runtime.errors import ExpressionError

__all__ = [
    "DEFAULT_ZONE_ID",
    "NAMED_FORMATS",
    "add_unit",
    "format_datetime",
    "get_zone",
    "java_temporal_str",
    "now",
    "parse_datetime",
    "to_zoned",
    "zone_id",
]

DEFAULT_ZONE_ID = "Etc/UTC"

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
QUARTERS = ("1st quarter", "2nd quarter", "3rd quarter", "4th quarter")
NNBSP = "\u202f"  # CLDR 42+ (Java 20+) puts a narrow no-break space before AM/PM

# Full names for `zzzz` (Java/CLDR); other zones print their abbreviation.
_ZONE_FULL_NAMES: dict[str, tuple[str, str]] = {
    "UTC": ("Coordinated Universal Time", "Coordinated Universal Time"),
    "GMT": ("Greenwich Mean Time", "Greenwich Mean Time"),
    "CET": ("Central European Standard Time", "Central European Summer Time"),
    "EET": ("Eastern European Standard Time", "Eastern European Summer Time"),
    "WET": ("Western European Standard Time", "Western European Summer Time"),
    "EST": ("Eastern Standard Time", "Eastern Daylight Time"),
    "CST": ("Central Standard Time", "Central Daylight Time"),
    "MST": ("Mountain Standard Time", "Mountain Daylight Time"),
    "PST": ("Pacific Standard Time", "Pacific Daylight Time"),
    "IST": ("India Standard Time", "India Standard Time"),
    "JST": ("Japan Standard Time", "Japan Standard Time"),
}
_SUMMER_ABBREVIATIONS = {
    "CEST": "CET",
    "EEST": "EET",
    "WEST": "WET",
    "EDT": "EST",
    "CDT": "CST",
    "MDT": "MST",
    "PDT": "PST",
    "BST": "GMT",
}
# Zone names accepted when parsing `z`.
_PARSE_ZONE_NAMES = {
    "UTC": "UTC",
    "GMT": "GMT",
    "Z": "UTC",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "EET": "Europe/Athens",
    "EEST": "Europe/Athens",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "BST": "Europe/London",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "JST": "Asia/Tokyo",
    "IST": "Asia/Kolkata",
}


def _error(message: str) -> ExpressionError:
    return ExpressionError(message)


# --- zones -------------------------------------------------------------------------------------


class _NamedOffset(dt.tzinfo):
    """A fixed-offset zone with a region-like id (``UTC+02:00``, ``UT``)."""

    def __init__(self, name: str, offset: dt.timedelta) -> None:
        self._name = name
        self._offset = offset

    def utcoffset(self, _: dt.datetime | None) -> dt.timedelta:
        return self._offset

    def dst(self, _: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, _: dt.datetime | None) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"_NamedOffset({self._name!r})"

    def __reduce__(self):
        return (_NamedOffset, (self._name, self._offset))


_OFFSET_RE = re.compile(r"([+-])(\d{1,2})(?::?(\d{2})(?::?(\d{2}))?)?")


def _parse_offset_text(text: str) -> dt.timedelta | None:
    if text in ("Z", "z"):
        return dt.timedelta(0)
    m = _OFFSET_RE.fullmatch(text)
    if not m:
        return None
    hours, minutes, seconds = int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0)
    if hours > 18 or minutes > 59 or seconds > 59:
        return None
    delta = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return -delta if m.group(1) == "-" else delta


@lru_cache(maxsize=256)
def get_zone(zone: str | None) -> dt.tzinfo:
    """``ZoneId.of(zone)``; None is the default zone. Unknown ids raise ExpressionError."""
    if zone is None:
        zone = DEFAULT_ZONE_ID
    if not isinstance(zone, str):
        raise _error(f"time zone must be a string, got '{zone!r}'")
    if zone == "Z" or zone.startswith(("+", "-")):
        offset = _parse_offset_text(zone)
        if offset is None:
            raise _error(f"invalid time zone offset '{zone}'; use a form like '+02:00'")
        return dt.UTC if offset == dt.timedelta(0) else dt.timezone(offset)
    for prefix in ("UTC", "GMT", "UT"):
        if zone.startswith(prefix) and zone[len(prefix) :].startswith(("+", "-")):
            offset = _parse_offset_text(zone[len(prefix) :])
            if offset is None:
                raise _error(f"invalid time zone '{zone}'")
            return _NamedOffset(f"{prefix}{_offset_id(offset)}", offset)
    if zone == "UT":
        return _NamedOffset("UT", dt.timedelta(0))
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _error(
            f"unknown time zone '{zone}'; use a region id like 'Europe/Paris', 'UTC' "
            "or an offset like '+02:00'"
        ) from exc


def zone_id(tz: dt.tzinfo | None) -> str:
    """The Java ``ZoneId.getId()`` of a tzinfo."""
    if tz is None:
        return DEFAULT_ZONE_ID
    if isinstance(tz, ZoneInfo):
        return tz.key
    if isinstance(tz, _NamedOffset):
        return tz.tzname(None)
    offset = tz.utcoffset(None) or dt.timedelta(0)
    return _offset_id(offset)


def _is_region(tz: dt.tzinfo | None) -> bool:
    return isinstance(tz, ZoneInfo | _NamedOffset)


def _offset_id(offset: dt.timedelta) -> str:
    """``ZoneOffset.getId()``: ``Z``, ``+02:00``, ``-05:30``, ``+01:02:03``."""
    total = int(offset.total_seconds())
    if total == 0:
        return "Z"
    sign = "+" if total > 0 else "-"
    total = abs(total)
    text = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
    return text + (f":{total % 60:02d}" if total % 60 else "")


# --- toString() ----------------------------------------------------------------------------------


def fraction_groups(nanos: int) -> str:
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1000 == 0:
        return f".{nanos // 1000:06d}"
    return f".{nanos:09d}"


def _year_str(year: int) -> str:
    return f"{year:04d}" if year <= 9999 else f"+{year}"


def _local_time_str(t: dt.time | dt.datetime) -> str:
    text = f"{t.hour:02d}:{t.minute:02d}"
    nanos = t.microsecond * 1000
    if t.second or nanos:
        text += f":{t.second:02d}" + fraction_groups(nanos)
    return text


def _local_date_str(d: dt.date) -> str:
    return f"{_year_str(d.year)}-{d.month:02d}-{d.day:02d}"


def java_temporal_str(value: Any) -> str:
    """``toString()`` of the Java type a date/time value stands for (see runtime.values)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return f"{_local_date_str(value)}T{_local_time_str(value)}"
        if value.tzinfo is dt.UTC:  # Instant: ISO_INSTANT, seconds always written
            v = value
            return (
                f"{_local_date_str(v)}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
                f"{fraction_groups(v.microsecond * 1000)}Z"
            )
        offset = value.utcoffset() or dt.timedelta(0)
        text = f"{_local_date_str(value)}T{_local_time_str(value)}{_offset_id(offset)}"
        if _is_region(value.tzinfo):
            text += f"[{zone_id(value.tzinfo)}]"
        return text
    if isinstance(value, dt.date):
        return _local_date_str(value)
    if isinstance(value, dt.time):
        return _local_time_str(value)
    if isinstance(value, dt.timedelta):
        return _duration_str(value)
    return str(value)


def _duration_str(value: dt.timedelta) -> str:
    """``Duration.toString()``: ``PT1H30M``, ``PT0.5S``, ``PT-1S``."""
    total_us = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if total_us == 0:
        return "PT0S"
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    hours, rest = divmod(total_us, 3600 * 1_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    text = "PT"
    if hours:
        text += f"{sign}{hours}H"
    if minutes:
        text += f"{sign}{minutes}M"
    if seconds or micros:
        frac = f".{micros:06d}".rstrip("0") if micros else ""
        text += f"{sign}{seconds}{frac}S"
    return text


# --- pattern compilation -------------------------------------------------------------------------

_MAX_COUNTS = {
    "G": 5,
    "u": 19,
    "y": 19,
    "Y": 19,
    "Q": 5,
    "q": 5,
    "M": 5,
    "L": 5,
    "w": 2,
    "W": 1,
    "d": 2,
    "D": 3,
    "F": 1,
    "E": 5,
    "e": 5,
    "c": 5,
    "a": 1,
    "h": 2,
    "K": 2,
    "k": 2,
    "H": 2,
    "m": 2,
    "s": 2,
    "S": 9,
    "A": 19,
    "n": 19,
    "N": 19,
    "V": 2,
    "v": 4,
    "z": 4,
    "O": 4,
    "X": 5,
    "x": 5,
    "Z": 5,
}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "lit", "field", "opt"
    text: str = ""
    count: int = 0
    body: tuple[_Tok, ...] = ()


@lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[_Tok, ...]:
    """Tokenize a DateTimeFormatter pattern (``DateTimeFormatterBuilder.appendPattern``)."""
    stack: list[list[_Tok]] = [[]]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch.isascii() and ch.isalpha():
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            count = j - i
            if ch not in _MAX_COUNTS:
                raise _error(f"invalid date pattern '{pattern}': unknown pattern letter '{ch}'")
            if (
                count > _MAX_COUNTS[ch]
                or (ch == "V" and count != 2)
                or (ch in "vO" and count not in (1, 4))
            ):
                raise _error(
                    f"invalid date pattern '{pattern}': wrong number of letters '{ch * count}'"
                )
            stack[-1].append(_Tok("field", ch, count))
            i = j
        elif ch == "'":
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise _error(f"invalid date pattern '{pattern}': unclosed quote")
                if pattern[j] == "'":
                    if j + 1 < n and pattern[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(pattern[j])
                j += 1
            stack[-1].append(_Tok("lit", "".join(buf) if j > i + 1 else "'"))
            i = j + 1
        elif ch == "[":
            stack.append([])
            i += 1
        elif ch == "]":
            if len(stack) == 1:
                raise _error(f"invalid date pattern '{pattern}': unmatched ']'")
            body = tuple(stack.pop())
            stack[-1].append(_Tok("opt", body=body))
            i += 1
        elif ch in "{}#":
            raise _error(f"invalid date pattern '{pattern}': reserved character '{ch}'")
        else:
            stack[-1].append(_Tok("lit", ch))
            i += 1
    while len(stack) > 1:  # an unclosed '[' runs to the end
        body = tuple(stack.pop())
        stack[-1].append(_Tok("opt", body=body))
    return tuple(stack[0])


# --- week fields (Locale.US: Sunday first, minimal days 1; ISO: Monday, 4) -----------------------


def _local_dow(d: dt.date, first: int) -> int:
    """1-based day of week counted from ``first`` (ISO number: 1 Monday .. 7 Sunday)."""
    return (d.isoweekday() - first) % 7 + 1


def _week_start(year: int, first: int, min_days: int) -> dt.date:
    jan1 = dt.date(year, 1, 1)
    offset = _local_dow(jan1, first) - 1  # days since week start
    start = jan1 - dt.timedelta(days=offset)
    if 7 - offset < min_days:  # the week holding Jan 1 is too short: week 1 is the next one
        start += dt.timedelta(days=7)
    return start


def _week_based(d: dt.date, first: int = 7, min_days: int = 1) -> tuple[int, int]:
    """(week-based-year, week-of-week-based-year)."""
    year = d.year
    for candidate in (year + 1, year, year - 1):
        if dt.MINYEAR <= candidate <= dt.MAXYEAR and d >= _week_start(candidate, first, min_days):
            return candidate, (d - _week_start(candidate, first, min_days)).days // 7 + 1
    return year, 1


def _week_of_month(d: dt.date, first: int = 7, min_days: int = 1) -> int:
    first_of_month = d.replace(day=1)
    offset = _local_dow(first_of_month, first) - 1
    week = (d.day + offset - 1) // 7 + (1 if 7 - offset >= min_days else 0)
    return week


# --- formatting ----------------------------------------------------------------------------------


def _pad(value: int, width: int, max_width: int = 19, exceeds_pad: bool = False) -> str:
    sign = "-" if value < 0 else ""
    digits = str(abs(value))
    if len(digits) > max_width:
        raise _error(f"value {value} exceeds the maximum width {max_width}")
    if exceeds_pad and not sign and len(digits) > width:
        sign = "+"
    return sign + digits.rjust(width, "0")


def _format_offset(total: int, pattern: str, zero_text: str) -> str:
    if total == 0:
        return zero_text
    sign = "+" if total > 0 else "-"
    total = abs(total)
    hours, minutes, seconds = total // 3600, total % 3600 // 60, total % 60
    colon = ":" if ":" in pattern else ""
    text = f"{sign}{hours:02d}"
    want_seconds = "SS" in pattern or ("ss" in pattern and seconds)
    if "MM" in pattern or ("mm" in pattern and (minutes or seconds)) or want_seconds:
        text += f"{colon}{minutes:02d}"
        if want_seconds:
            text += f"{colon}{seconds:02d}"
    return text


def _localized_offset(total: int, full: bool) -> str:
    if total == 0:
        return "GMT"
    sign = "+" if total > 0 else "-"
    total = abs(total)
    hours, minutes, seconds = total // 3600, total % 3600 // 60, total % 60
    if full:
        text = f"GMT{sign}{hours:02d}:{minutes:02d}"
        return text + (f":{seconds:02d}" if seconds else "")
    text = f"GMT{sign}{hours}"
    if minutes or seconds:
        text += f":{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
    return text


def _zone_text(value: dt.datetime, full: bool) -> str:
    tz = value.tzinfo
    if not _is_region(tz):
        return zone_id(tz)
    abbreviation = value.tzname() or zone_id(tz)
    if abbreviation.startswith(("+", "-")):  # tzdata numeric abbreviations: Java prints GMT+03:00
        return _localized_offset(int((value.utcoffset() or dt.timedelta(0)).total_seconds()), True)
    if not full:
        return abbreviation
    standard = _SUMMER_ABBREVIATIONS.get(abbreviation, abbreviation)
    names = _ZONE_FULL_NAMES.get(standard)
    if names is None:
        return abbreviation
    return names[1] if standard != abbreviation else names[0]


def _text(value: int, count: int, full: tuple[str, ...], short_len: int = 3) -> str:
    name = full[value - 1]
    if count == 4:
        return name
    if count == 5:
        return name[0]
    return name[:short_len]


def _format_field(letter: str, count: int, v: dt.datetime) -> str:
    nanos = v.microsecond * 1000
    if letter == "G":
        return "Anno Domini" if count == 4 else "A" if count == 5 else "AD"
    if letter in "yu":
        if count == 2:
            return f"{v.year % 100:02d}"
        return _pad(v.year, count, 19, exceeds_pad=count >= 4)
    if letter == "Y":
        year = _week_based(v.date())[0]
        if count == 2:
            return f"{year % 100:02d}"
        return _pad(year, count, 19, exceeds_pad=count >= 4)
    if letter in "Qq":
        quarter = (v.month - 1) // 3 + 1
        if count <= 2:
            return _pad(quarter, count)
        if count == 3:
            return f"Q{quarter}"
        return QUARTERS[quarter - 1] if count == 4 else str(quarter)
    if letter in "ML":
        if count <= 2:
            return _pad(v.month, count)
        return _text(v.month, count, MONTHS)
    if letter == "w":
        return _pad(_week_based(v.date())[1], count)
    if letter == "W":
        return str(_week_of_month(v.date()))
    if letter == "d":
        return _pad(v.day, count)
    if letter == "D":
        return _pad(v.timetuple().tm_yday, count)
    if letter == "F":
        return str((v.day - 1) // 7 + 1)
    if letter == "E":
        return _text(v.isoweekday(), count, DAYS)
    if letter in "ec":
        if count <= 2:
            return _pad(_local_dow(v.date(), 7), count)
        return _text(v.isoweekday(), count, DAYS)
    if letter == "a":
        return "AM" if v.hour < 12 else "PM"
    if letter == "h":
        return _pad((v.hour % 12) or 12, count)
    if letter == "K":
        return _pad(v.hour % 12, count)
    if letter == "k":
        return _pad(v.hour or 24, count)
    if letter == "H":
        return _pad(v.hour, count)
    if letter == "m":
        return _pad(v.minute, count)
    if letter == "s":
        return _pad(v.second, count)
    if letter == "S":
        return f"{nanos:09d}"[:count]
    if letter == "A":
        millis = ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000
        return _pad(millis, count)
    if letter == "n":
        return _pad(nanos, count)
    if letter == "N":
        return _pad(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000_000 + nanos, count)
    total = int((v.utcoffset() or dt.timedelta(0)).total_seconds())
    if letter == "V":
        return zone_id(v.tzinfo)
    if letter in "zv":
        return _zone_text(v, full=count == 4)
    if letter == "O":
        return _localized_offset(total, full=count == 4)
    if letter == "X":
        patterns = ("+HHmm", "+HHMM", "+HH:MM", "+HHMMss", "+HH:MM:ss")
        return _format_offset(total, patterns[count - 1], "Z")
    if letter == "x":
        patterns = ("+HHmm", "+HHMM", "+HH:MM", "+HHMMss", "+HH:MM:ss")
        zeros = ("+00", "+0000", "+00:00", "+0000", "+00:00")
        return _format_offset(total, patterns[count - 1], zeros[count - 1])
    if letter == "Z":
        if count <= 3:
            return _format_offset(total, "+HHMM", "+0000")
        if count == 4:
            return _localized_offset(total, full=True)
        return _format_offset(total, "+HH:MM:ss", "Z")
    raise _error(f"unsupported pattern letter '{letter}'")  # pragma: no cover


def _format_tokens(tokens: tuple[_Tok, ...], v: dt.datetime) -> str:
    out = []
    for tok in tokens:
        if tok.kind == "lit":
            out.append(tok.text)
        elif tok.kind == "field":
            out.append(_format_field(tok.text, tok.count, v))
        else:
            out.append(_format_tokens(tok.body, v))
    return "".join(out)


def _iso_fraction(v: dt.datetime) -> str:
    # appendFraction(NANO_OF_SECOND, 0, 9, true): as many digits as needed, none for zero
    if not v.microsecond:
        return ""
    return "." + f"{v.microsecond:06d}".rstrip("0")


def _iso_local_time(v: dt.datetime) -> str:
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}{_iso_fraction(v)}"


def _offset(v: dt.datetime) -> str:
    return _offset_id(v.utcoffset() or dt.timedelta(0))


def _region(v: dt.datetime) -> str:
    return f"[{zone_id(v.tzinfo)}]" if _is_region(v.tzinfo) else ""


def _rfc_1123(v: dt.datetime) -> str:
    total = int((v.utcoffset() or dt.timedelta(0)).total_seconds())
    return (
        f"{DAYS[v.weekday()][:3]}, {v.day} {MONTHS[v.month - 1][:3]} {v.year:04d} "
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d} {_format_offset(total, '+HHMM', 'GMT')}"
    )


def _iso_week(v: dt.datetime) -> str:
    year, week, day = v.date().isocalendar()
    return f"{_year_str(year)}-W{week:02d}-{day}{_offset(v)}"


def _iso_instant(v: dt.datetime) -> str:
    return java_temporal_str(v.astimezone(dt.UTC))


_STYLES = {
    "full": ("EEEE, MMMM d, y", f"h:mm:ss{NNBSP}a zzzz", " 'at' "),
    "long": ("MMMM d, y", f"h:mm:ss{NNBSP}a z", " 'at' "),
    "medium": ("MMM d, y", f"h:mm:ss{NNBSP}a", ", "),
    "short": ("M/d/yy", f"h:mm{NNBSP}a", ", "),
}

NAMED_FORMATS: dict[str, str | Callable[[dt.datetime], str]] = {
    # Kestra's AbstractDate.FORMATTERS (1.0): patterns ...
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_milli": "yyyy-MM-dd HH:mm:ss.SSS",
    "sql_sec": "yyyy-MM-dd HH:mm:ss",
    # ... and java.time's ISO constants
    "iso_date_time": lambda v: f"{v:%Y-%m-%d}T{_iso_local_time(v)}{_offset(v)}{_region(v)}",
    "iso_date": lambda v: f"{_local_date_str(v)}{_offset(v)}",
    "iso_time": lambda v: f"{_iso_local_time(v)}{_offset(v)}",
    "iso_local_date": lambda v: _local_date_str(v),
    "iso_instant": _iso_instant,
    "iso_local_date_time": lambda v: f"{_local_date_str(v)}T{_iso_local_time(v)}",
    "iso_local_time": _iso_local_time,
    "iso_offset_time": lambda v: f"{_iso_local_time(v)}{_offset(v)}",
    "iso_ordinal_date": lambda v: f"{_year_str(v.year)}-{v.timetuple().tm_yday:03d}{_offset(v)}",
    "iso_week_date": _iso_week,
    "iso_zoned_date_time": (
        lambda v: f"{_local_date_str(v)}T{_iso_local_time(v)}{_offset(v)}{_region(v)}"
    ),
    "rfc_1123_date_time": _rfc_1123,
}
for _name, (_date, _time, _join) in _STYLES.items():
    NAMED_FORMATS[_name] = f"{_date}{_join}{_time}"


def format_datetime(value: dt.datetime, fmt: str | None = "iso") -> str:
    """Format a zoned datetime with a Kestra named format or a DateTimeFormatter pattern."""
    if fmt is None:
        fmt = "iso"
    if not isinstance(fmt, str):
        raise _error(f"date format must be a string, got '{fmt!r}'")
    named = NAMED_FORMATS.get(fmt)
    if callable(named):
        return named(value)
    return _format_tokens(_compile(named or fmt), value)


# --- parsing -------------------------------------------------------------------------------------


def _alternatives(names: list[str]) -> str:
    return "(?:" + "|".join(re.escape(x) for x in sorted(set(names), key=len, reverse=True)) + ")"


_X_REGEX = (
    r"Z|[+-]\d{2}(?:\d{2})?",
    r"Z|[+-]\d{4}",
    r"Z|[+-]\d{2}:\d{2}",
    r"Z|[+-]\d{4}(?:\d{2})?",
    r"Z|[+-]\d{2}:\d{2}(?::\d{2})?",
)


def _field_regex(letter: str, count: int) -> str:
    if letter in "yuY":
        if count == 2:
            return r"\d{2}"
        return rf"[+-]?\d{{{max(count, 1)},19}}"
    if letter in "ML" and count >= 3:
        return _alternatives([_text(i, count, MONTHS) for i in range(1, 13)])
    if letter in "Eec" and (letter == "E" or count >= 3):
        return _alternatives([_text(i, count, DAYS) for i in range(1, 8)])
    if letter in "Qq" and count >= 3:
        return (
            r"Q[1-4]" if count == 3 else (_alternatives(list(QUARTERS)) if count == 4 else "[1-4]")
        )
    if letter == "G":
        return _alternatives(["AD", "BC", "Anno Domini", "Before Christ", "A", "B"])
    if letter == "a":
        return "AM|PM"
    if letter == "S":
        return rf"\d{{{count}}}"
    if letter in "nNA":
        return rf"\d{{{count},19}}"
    if letter == "D":
        return {1: r"\d{1,3}", 2: r"\d{2,3}", 3: r"\d{3}"}[count]
    if letter in "MLdhKkHmsQqwWFec":
        return r"\d{1,2}" if count == 1 else r"\d{2}"
    if letter == "X":
        return _X_REGEX[count - 1]
    if letter == "x":
        return _X_REGEX[count - 1].replace("Z|", "")
    if letter == "Z":
        if count <= 3:
            return r"[+-]\d{4}"
        if count == 4:
            return r"GMT(?:[+-]\d{2}:\d{2}(?::\d{2})?)?"
        return _X_REGEX[4]
    if letter == "O":
        return r"GMT(?:[+-]\d{1,2}(?::\d{2}(?::\d{2})?)?)?"
    if letter == "V":
        return r"Z|[+-][\d:]+|[A-Za-z][A-Za-z0-9~/._+-]*"
    if letter in "zv":
        names = list(_PARSE_ZONE_NAMES)
        names += [n for pair in _ZONE_FULL_NAMES.values() for n in pair]
        return _alternatives(names)
    raise _error(f"cannot parse with pattern letter '{letter}'")  # pragma: no cover


def _parse_regex(tokens: tuple[_Tok, ...], fields: list[tuple[str, int]]) -> str:
    out = []
    for tok in tokens:
        if tok.kind == "lit":
            out.append(re.escape(tok.text))
        elif tok.kind == "field":
            fields.append((tok.text, tok.count))
            out.append(f"(?P<f{len(fields) - 1}>{_field_regex(tok.text, tok.count)})")
        else:
            out.append(f"(?:{_parse_regex(tok.body, fields)})?")
    return "".join(out)


@lru_cache(maxsize=256)
def _pattern_parser(pattern: str) -> tuple[re.Pattern[str], tuple[tuple[str, int], ...]]:
    fields: list[tuple[str, int]] = []
    regex = _parse_regex(_compile(pattern), fields)
    return re.compile(regex), tuple(fields)


@dataclass
class _Parsed:
    """Fields found in a text, before resolution."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    day_of_year: int | None = None
    week_year: int | None = None
    week: int | None = None
    local_dow: int | None = None
    dow: int | None = None
    hour: int | None = None
    clock_hour_ampm: int | None = None
    hour_ampm: int | None = None
    ampm: int | None = None
    minute: int | None = None
    second: int | None = None
    micro: int | None = None
    offset: dt.timedelta | None = None
    zone: dt.tzinfo | None = None


def _name_index(text: str, names: tuple[str, ...], count: int) -> int:
    for i in range(len(names)):
        if _text(i + 1, count, names) == text:
            return i + 1
    raise _error(f"unknown name '{text}'")  # pragma: no cover


def _offset_value(text: str) -> dt.timedelta:
    if text.startswith("GMT"):
        text = text[3:] or "Z"
    offset = _parse_offset_text(text)
    if offset is None:
        raise _error(f"invalid offset '{text}'")
    return offset


def _assign(p: _Parsed, letter: str, count: int, text: str) -> None:
    if letter in "yu":
        p.year = 2000 + int(text) if count == 2 else int(text)
    elif letter == "Y":
        p.week_year = 2000 + int(text) if count == 2 else int(text)
    elif letter in "ML":
        p.month = int(text) if count <= 2 else _name_index(text, MONTHS, count)
    elif letter == "d":
        p.day = int(text)
    elif letter == "D":
        p.day_of_year = int(text)
    elif letter == "w":
        p.week = int(text)
    elif letter in "ec" and count <= 2:
        p.local_dow = int(text)
    elif letter in "Eec":
        p.dow = _name_index(text, DAYS, count)
    elif letter == "a":
        p.ampm = 0 if text == "AM" else 1
    elif letter == "H":
        p.hour = int(text)
    elif letter == "k":
        p.hour = int(text) % 24
    elif letter == "h":
        p.clock_hour_ampm = int(text)
    elif letter == "K":
        p.hour_ampm = int(text)
    elif letter == "m":
        p.minute = int(text)
    elif letter == "s":
        p.second = int(text)
    elif letter == "S":
        p.micro = int(text.ljust(9, "0")[:6])
    elif letter == "n":
        p.micro = int(text) // 1000
    elif letter in "XxZO":
        p.offset = _offset_value(text)
    elif letter == "V":
        p.zone = get_zone(text)
    elif letter in "zv":
        p.zone = get_zone(_PARSE_ZONE_NAMES.get(text, "UTC"))
    # G, Q, q, W, F, A, N: read and ignored


def _resolve_date(p: _Parsed) -> dt.date | None:
    try:
        if p.year is not None and p.month is not None and p.day is not None:
            if not 1 <= p.month <= 12:
                raise ValueError(f"month {p.month} is out of range")
            if not 1 <= p.day <= 31:
                raise ValueError(f"day-of-month {p.day} is out of range")
            # ResolverStyle.SMART clamps day 29-31 to the end of the month
            day = min(p.day, _month_length(p.year, p.month))
            date = dt.date(p.year, p.month, day)
        elif p.year is not None and p.day_of_year is not None:
            date = dt.date(p.year, 1, 1) + dt.timedelta(days=p.day_of_year - 1)
            if date.year != p.year:
                raise ValueError("day-of-year out of range")
        elif p.week_year is not None and p.week is not None and p.local_dow is not None:
            start = _week_start(p.week_year, 7, 1)
            date = start + dt.timedelta(days=(p.week - 1) * 7 + p.local_dow - 1)
        else:
            return None
    except ValueError as exc:
        raise _error(f"invalid date: {exc}") from exc
    if p.dow is not None and date.isoweekday() != p.dow:
        raise _error(f"conflict: {date.isoformat()} is not a {DAYS[p.dow - 1]}")
    return date


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (dt.date(year, month + 1, 1) - dt.timedelta(days=1)).day


def _resolve_time(p: _Parsed) -> dt.time | None:
    hour = p.hour
    if hour is None and p.ampm is not None:
        if p.clock_hour_ampm is not None:
            hour = p.clock_hour_ampm % 12 + 12 * p.ampm
        elif p.hour_ampm is not None:
            hour = p.hour_ampm + 12 * p.ampm
    if hour is None:
        return None
    if p.minute is None and (p.second is not None or p.micro is not None):
        return None
    if p.minute is not None and p.second is None and p.micro is not None:
        return None
    try:
        return dt.time(hour, p.minute or 0, p.second or 0, p.micro or 0)
    except ValueError as exc:
        raise _error(f"invalid time: {exc}") from exc


# ISO forms (java.time's ISO constants); T and Z are case-insensitive there.
_ISO_DATE = r"(?P<year>[+-]?\d{4,10})-(?P<month>\d{2})-(?P<day>\d{2})"
_ISO_TIME = r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
_ISO_OFFSET = r"(?P<offset>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)"
_ISO_ZONE = r"(?:\[(?P<zone>[^\]]+)\])"
_ISO_PARSERS = {
    "zoned": rf"{_ISO_DATE}T{_ISO_TIME}{_ISO_OFFSET}{_ISO_ZONE}?",
    "local_date_time": rf"{_ISO_DATE}T{_ISO_TIME}",
    "local_date": _ISO_DATE,
    "iso_date_time": rf"{_ISO_DATE}T{_ISO_TIME}(?:{_ISO_OFFSET}{_ISO_ZONE}?)?",
    "iso_date": rf"{_ISO_DATE}{_ISO_OFFSET}?",
    "iso_time": rf"{_ISO_TIME}{_ISO_OFFSET}?",
    "iso_local_date": _ISO_DATE,
    "iso_instant": rf"{_ISO_DATE}T{_ISO_TIME}{_ISO_OFFSET}",
    "iso_local_date_time": rf"{_ISO_DATE}T{_ISO_TIME}",
    "iso_local_time": _ISO_TIME,
    "iso_offset_time": rf"{_ISO_TIME}{_ISO_OFFSET}",
    "iso_ordinal_date": r"(?P<year>[+-]?\d{4,10})-(?P<doy>\d{3})" + f"{_ISO_OFFSET}?",
    "iso_zoned_date_time": rf"{_ISO_DATE}T{_ISO_TIME}{_ISO_OFFSET}{_ISO_ZONE}?",
    "rfc_1123_date_time": (
        r"(?:(?P<downame>Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(?P<day>\d{1,2}) "
        r"(?P<monthname>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<year>\d{4}) "
        r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? "
        r"(?P<offset>GMT|[+-]\d{4})"
    ),
}
_ISO_COMPILED = {
    name: re.compile(rx, 0 if name == "rfc_1123_date_time" else re.IGNORECASE)
    for name, rx in _ISO_PARSERS.items()
}


def _parse_iso(text: str, name: str) -> _Parsed | None:
    m = _ISO_COMPILED[name].fullmatch(text)
    if m is None:
        return None
    g = m.groupdict()
    p = _Parsed()
    if g.get("year"):
        p.year = int(g["year"])
    if g.get("month"):
        p.month = int(g["month"])
    if g.get("monthname"):
        p.month = _name_index(g["monthname"], MONTHS, 3)
    if g.get("downame"):
        p.dow = _name_index(g["downame"], DAYS, 3)
    if g.get("day"):
        p.day = int(g["day"])
    if g.get("doy"):
        p.day_of_year = int(g["doy"])
    if g.get("hour"):
        p.hour = int(g["hour"])
        p.minute = int(g["minute"])
        p.second = int(g["second"]) if g.get("second") else None
        if g.get("fraction"):
            p.micro = int(g["fraction"].ljust(9, "0")[:6])
    if g.get("offset"):
        p.offset = _offset_value(g["offset"].upper())
    if g.get("zone"):
        p.zone = get_zone(g["zone"])
    return p


def _parse_fields(text: str, fmt: str) -> _Parsed:
    """Read ``text`` with a named format or a DateTimeFormatter pattern."""
    if fmt in _ISO_PARSERS:
        parsed = _parse_iso(text, fmt)
    else:
        pattern = NAMED_FORMATS.get(fmt, fmt)
        if callable(pattern):  # iso_week_date: only ISO week dates
            parsed = None
        else:
            regex, fields = _pattern_parser(pattern)
            m = regex.fullmatch(text)
            parsed = None
            if m is not None:
                parsed = _Parsed()
                for i, (letter, count) in enumerate(fields):
                    value = m.group(f"f{i}")
                    if value is not None:
                        _assign(parsed, letter, count, value)
    if parsed is None:
        raise _error(f"Text '{text}' could not be parsed with format '{fmt}'")
    return parsed


def parse_datetime(text: str, existing_format: str | None, zone: dt.tzinfo) -> dt.datetime:
    """Kestra's ``AbstractDate.convert`` for a string.

    Tries a zoned date-time (the text carries an offset or zone), then a local date-time (read
    in ``zone``), then a local date (start of day in ``zone``).
    """
    if not isinstance(text, str):
        raise _error(f"cannot read a date from '{text!r}'")
    if existing_format is None:
        # ZonedDateTime.parse, then LocalDateTime.parse, then LocalDate.parse
        for form in ("zoned", "local_date_time", "local_date"):
            found = _parse_iso(text, form)
            if found is not None:
                parsed = found
                break
        else:
            raise _error(
                f"Text '{text}' could not be parsed as an ISO-8601 date; give its pattern with "
                "existingFormat='...'"
            )
    else:
        parsed = _parse_fields(text, existing_format)
    try:
        date = _resolve_date(parsed)
        time = _resolve_time(parsed)
    except ExpressionError as exc:
        raise _error(f"Text '{text}' could not be parsed: {exc.message}") from None
    if date is None:
        raise _error(
            f"Text '{text}' could not be parsed: no complete date in it"
            + (f" for format '{existing_format}'" if existing_format else "")
        )
    text_zone = parsed.zone or (None if parsed.offset is None else _fixed(parsed.offset))
    if time is not None and text_zone is not None:
        return _localize(dt.datetime.combine(date, time), text_zone, prefer=parsed.offset)
    if time is not None:
        return _localize(dt.datetime.combine(date, time), zone)
    return _localize(dt.datetime.combine(date, dt.time()), zone)


def _fixed(offset: dt.timedelta) -> dt.tzinfo:
    return dt.UTC if offset == dt.timedelta(0) else dt.timezone(offset)


def _localize(
    local: dt.datetime, zone: dt.tzinfo, prefer: dt.timedelta | None = None
) -> dt.datetime:
    """``ZonedDateTime.ofLocal``: earlier offset in overlaps, shifted forward in gaps."""
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    if prefer is not None and second.utcoffset() == prefer:
        first = second
    round_trip = first.astimezone(dt.UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local:  # a gap: move forward by its length
        gap = (second.utcoffset() or dt.timedelta(0)) - (first.utcoffset() or dt.timedelta(0))
        shifted = (local + abs(gap)).replace(tzinfo=zone, fold=0)
        return shifted
    return first


# --- conversion (AbstractDate.convert) -----------------------------------------------------------


def _from_epoch(value: int, zone: dt.tzinfo) -> dt.datetime:
    """An epoch number: 10 digits or fewer are seconds, 13 millis, 16 micros, 19 nanos."""
    digits = len(str(abs(value)))
    if digits <= 10:
        seconds, micros = value, 0
    elif digits <= 13:
        seconds, micros = divmod(value, 1000)
        micros *= 1000
    elif digits <= 16:
        seconds, micros = divmod(value, 1_000_000)
    else:
        seconds, nanos = divmod(value, 1_000_000_000)
        micros = nanos // 1000
    try:
        instant = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(microseconds=micros)
    except (OverflowError, OSError, ValueError) as exc:
        raise _error(f"epoch value {value} is out of range") from exc
    return instant.astimezone(zone)


def to_zoned(value: Any, zone: dt.tzinfo, existing_format: str | None = None) -> dt.datetime:
    """Any date-like value as an aware datetime in ``zone`` (``AbstractDate.convert``).

    Instants and zoned values keep their instant; local date-times are read in ``zone``;
    a ``date`` object is taken at noon (``LocalDate`` at ``NOON``, as Kestra does) while a date
    *string* is taken at the start of the day; integers are epoch values (see
    :func:`_from_epoch`); strings are parsed (:func:`parse_datetime`).
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return _localize(value, zone)
        return value.astimezone(zone)
    if isinstance(value, dt.date):
        return _localize(dt.datetime.combine(value, dt.time(12)), zone)
    if isinstance(value, bool):
        raise _error("cannot read a date from a boolean")
    if isinstance(value, int):
        return _from_epoch(value, zone)
    if isinstance(value, str):
        return parse_datetime(value, existing_format, zone).astimezone(zone)
    kind = type(value).__name__
    raise _error(
        f"cannot read a date from a value of type '{kind}'; expected a date, an ISO string "
        "or an epoch number (use number('LONG') to convert a numeric string)"
    )


# --- arithmetic ----------------------------------------------------------------------------------

_UNIT_DELTAS = {
    "NANOS": dt.timedelta(microseconds=0.001),
    "MICROS": dt.timedelta(microseconds=1),
    "MILLIS": dt.timedelta(milliseconds=1),
    "SECONDS": dt.timedelta(seconds=1),
    "MINUTES": dt.timedelta(minutes=1),
    "HOURS": dt.timedelta(hours=1),
    "HALF_DAYS": dt.timedelta(hours=12),
}
_DATE_UNITS = {"DAYS": 1, "WEEKS": 7}
_MONTH_UNITS = {"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}
CHRONO_UNITS = (*_UNIT_DELTAS, *_DATE_UNITS, *_MONTH_UNITS, "ERAS", "FOREVER")


def add_unit(value: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """``ZonedDateTime.plus(amount, ChronoUnit.valueOf(unit))``.

    Time units move the instant; date units move the local date-time and keep the offset when
    it is still valid (DST-aware); months clamp to the end of the month.
    """
    if unit in _UNIT_DELTAS:
        if unit == "NANOS":
            moved = value.astimezone(dt.UTC) + dt.timedelta(microseconds=amount // 1000)
        else:
            moved = value.astimezone(dt.UTC) + _UNIT_DELTAS[unit] * amount
        return moved.astimezone(value.tzinfo)
    local = value.replace(tzinfo=None)
    try:
        if unit in _DATE_UNITS:
            local = local + dt.timedelta(days=amount * _DATE_UNITS[unit])
        elif unit in _MONTH_UNITS:
            months = local.year * 12 + local.month - 1 + amount * _MONTH_UNITS[unit]
            year, month = divmod(months, 12)
            month += 1
            day = min(local.day, _month_length(year, month))
            local = local.replace(year=year, month=month, day=day)
        elif unit in ("ERAS", "FOREVER"):
            raise _error(f"Unsupported unit: {unit.title()}")
        else:
            raise _error(
                f"unknown time unit '{unit}'; use a ChronoUnit name: " + ", ".join(CHRONO_UNITS)
            )
    except (OverflowError, ValueError) as exc:
        raise _error(f"date out of range after adding {amount} {unit}") from exc
    return _localize(local, value.tzinfo or dt.UTC, prefer=value.utcoffset())


def now(zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.now(zone)
