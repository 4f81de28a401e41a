"""runtime/ion.py: Kestra's Ion spellings, one value per line, readable by the kestra library."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import uuid

import pytest

from runtime.ion import (
    annotated,
    dumps,
    duration_iso,
    iter_values,
    java_iso,
    loads_line,
    timestamp,
    to_plain,
    write_values,
)

UTC = dt.UTC
PLUS2 = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (42, "42"),
        (-7, "-7"),
        (1.5, "1.5e0"),
        (1e300, "1e300"),
        (2.5e-8, "2.5e-8"),
        (float("nan"), "nan"),
        (float("inf"), "+inf"),
        (decimal.Decimal("12.50"), "12.50"),
        (decimal.Decimal("5"), "5d0"),
        (decimal.Decimal("-0.001"), "-0.001"),
        ('a"b\n', '"a\\"b\\n"'),
        ("é😀", '"é😀"'),
        (b"ab", "{{YWI=}}"),
        ([1, [None]], "[1,[null]]"),
        ({"a": 1, "b c": 2, "null": 3, "$1": 4}, "{a:1,'b c':2,'null':3,'$1':4}"),
        (dt.date(2024, 1, 15), "2024-01-15"),
        (dt.datetime(2024, 1, 15, 10, 0), 'LocalDateTime::"2024-01-15T10:00:00"'),
        (
            dt.datetime(2024, 1, 15, 10, 0, tzinfo=PLUS2),
            'OffsetDateTime::"2024-01-15T10:00:00+02:00"',
        ),
        (dt.time(10, 0, 1, 500000), 'LocalTime::"10:00:01.5"'),
        (dt.timedelta(minutes=90), 'Duration::"PT1H30M"'),
        (uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
        (
            timestamp(dt.datetime(2024, 1, 15, 10, 0, 0, 123000, tzinfo=UTC)),
            "2024-01-15T10:00:00.123Z",
        ),
        (
            annotated("ZonedDateTime", "2024-01-15T10:00:00Z"),
            'ZonedDateTime::"2024-01-15T10:00:00Z"',
        ),
    ],
)
def test_dumps_spellings(value, text):
    assert dumps(value) == text


def test_everything_written_reads_back():
    row = {
        "i": 1,
        "f": 1161.7,
        "d": decimal.Decimal("12.50"),
        "s": "x'y\"z\n",
        "n": None,
        "b": True,
        "l": [1, "two", {"three": 3}],
        "date": dt.date(2024, 1, 15),
        "ts": timestamp(dt.datetime(2024, 1, 15, 10, 0, tzinfo=UTC)),
        "weird key": "v",
    }
    plain = to_plain(loads_line(dumps(row)))
    assert plain == {
        "i": 1,
        "f": 1161.7,
        "d": 12.5,
        "s": "x'y\"z\n",
        "n": None,
        "b": True,
        "l": [1, "two", {"three": 3}],
        "date": "2024-01-15",
        "ts": "2024-01-15T10:00:00Z",
        "weird key": "v",
    }
    # values read by simpleion are written back unchanged
    text = '{a:1,b:sym,c:null.string,d:2024-01-15,e:T::"x",f:1.50,g:[true]}'
    assert dumps(loads_line(text)) == '{a:1,b:sym,c:null,d:2024-01-15,e:T::"x",f:1.50,g:[true]}'


def test_write_values_one_per_line_and_iter_values():
    buffer = io.StringIO()
    assert write_values(buffer, [{"a": 1}, {"a": 2}, [3]]) == 3
    assert buffer.getvalue() == "{a:1}\n{a:2}\n[3]\n"
    assert [to_plain(v) for v in iter_values(buffer.getvalue())] == [{"a": 1}, {"a": 2}, [3]]
    assert list(iter_values(b"  \n")) == []
    # JSON lines are Ion too
    assert [to_plain(v) for v in iter_values('{"a": 1}\n{"a": null}\n')] == [{"a": 1}, {"a": None}]


def test_the_kestra_library_reads_our_files(tmp_path):
    from kestra import Kestra

    path = tmp_path / "rows.ion"
    with open(path, "w", encoding="utf-8") as fh:
        write_values(
            fh, [{"brand": "A", "avg_price": 12.5, "n": decimal.Decimal("2.50")}, {"brand": None}]
        )
    rows = Kestra.read(str(path))
    assert rows[0]["brand"] == "A" and rows[0]["avg_price"] == 12.5
    assert float(rows[0]["n"]) == 2.5
    assert rows[1]["brand"] is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.date(2024, 1, 2), "2024-01-02"),
        (dt.time(10, 0), "10:00:00"),
        (dt.time(10, 0, 0, 120000), "10:00:00.12"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=PLUS2), "2024-01-02T03:04:05.000001+02:00"),
        (dt.datetime(2024, 1, 2, 3, 4), "2024-01-02T03:04:00"),
    ],
)
def test_java_iso(value, text):
    assert java_iso(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(0), "PT0S"),
        (dt.timedelta(seconds=5400), "PT1H30M"),
        (dt.timedelta(days=1, seconds=1), "PT24H1S"),
        (dt.timedelta(milliseconds=500), "PT0.5S"),
        (dt.timedelta(seconds=-1), "PT-1S"),
    ],
)
def test_duration_iso(value, text):
    assert duration_iso(value) == text
