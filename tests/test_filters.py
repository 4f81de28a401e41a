"""The filter, function and test library (runtime.filters), called directly.

Sources of the expected values: /work/shared/pebble-conformance.json (row ids P…/Q… in comments),
Kestra's own tests (core/src/test/java/io/kestra/core/runners/pebble/**, cited as "Kestra
<TestClass>"), Pebble 3.2.4's filter sources, and the JDK's documented formats.

Names used by the real flows of /work/shared/corpus (928 public files), counted with the script of
``test_corpus_names_are_known`` (``| name`` filters, ``name(`` calls not after ``|`` or ``.``, and
``is [not] name`` tests, inside ``{{ }}`` and ``{% %}``, string literals blanked):

  filters:   date 73, jq 55, first 42, json 34, default 26, dateAdd 21, replace 19, length 17,
             round 14*, trim 10, dateFormat 7*, number 7, toJson 7, base64encode 6, keys 3,
             slugify 3, split 3, flatten 2, timestamp 2, base64 1*, base64decode 1, distinct 1,
             fromJson 1*, reverse 1, startsWith 1, string 1, substringAfter 1, title 1,
             truncate 1*, urlencode 1
  functions: secret 1008, render 247, kv 166, read 112, now 59, json 46, fromJson 37,
             tasksWithState 23, fromIon 22, errorLogs 16, random 14*, randomPort 5, subflow 2*,
             assets 1*, date 1*, file 1*, isFileEmpty 1, isLastWorkingDay 1*, range 1, secrets 1*
  tests:     defined 33, null 20, json 4

  * not defined by Kestra 1.0.3: listed in ``runtime.filters.KESTRA_ABSENT`` with a hint.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import ExpressionError, SandboxError
from runtime.filters import (
    FILTERS,
    FUNCTIONS,
    KESTRA_ABSENT,
    TESTS,
    DefaultServices,
    EvalContext,
    RuntimeServices,
    pass_context,
)
from runtime.values import to_string, type_name

CORPUS = Path("/work/shared/corpus/public")
UTC = dt.UTC


@dataclass(frozen=True)
class Printed:
    """Expect the result to print (``{{ }}``) as this text."""

    text: str


def check(result: Any, expected: Any) -> None:
    if isinstance(expected, Printed):
        assert to_string(result) == expected.text
    else:
        assert result == expected
        assert type(result) is type(expected)


# --- filters: (name, input, args, kwargs, expected) ------------------------------------------------

FILTER_CASES: list[tuple[str, Any, tuple, dict, Any]] = [
    # abbreviate
    (
        "abbreviate",
        "This is a test of the abbreviate filter",
        (16,),
        {},
        "This is a tes...",
    ),  # P395
    (
        "abbreviate",
        "This is a test of the abbreviate filter",
        (),
        {"length": 16},
        "This is a tes...",
    ),
    ("abbreviate", None, (16,), {}, None),  # P397
    ("abbreviate", "1234567", (2,), {}, "12"),  # P398: < 4, plain truncation
    ("abbreviate", "x", (3,), {}, "x"),  # Q079
    ("abbreviate", "abcdef", (5,), {}, "ab..."),  # Q079
    ("abbreviate", "abc", (10,), {}, "abc"),
    # abs
    ("abs", -5, (), {}, 5),  # P383
    ("abs", -5.2, (), {}, 5.2),  # P384
    ("abs", -2.50, (), {}, Printed("2.5")),  # Q052
    ("abs", Decimal("-1.5"), (), {}, Decimal("1.5")),
    # base64
    ("base64encode", "test", (), {}, "dGVzdA=="),  # P442
    ("base64encode", None, (), {}, None),
    ("base64encode", 12, (), {}, "MTI="),  # input.toString()
    ("base64decode", "dGVzdA==", (), {}, "test"),  # P443
    ("base64decode", "dGVzdA", (), {}, "test"),  # padding is optional for java.util.Base64
    ("base64decode", None, (), {}, None),
    # capitalize / title / lower / upper / trim
    ("capitalize", "this should be capitalized.", (), {}, "This should be capitalized."),  # P399
    ("capitalize", " \nthis should be capitalized.", (), {}, " \nThis should be capitalized."),
    ("capitalize", "", (), {}, ""),  # P402
    ("capitalize", None, (), {}, None),  # P401
    ("capitalize", "hELLO wORLD", (), {}, "HELLO wORLD"),  # Q067
    ("title", "test test", (), {}, "Test Test"),  # P406
    ("title", "TEST TEST", (), {}, "TEST TEST"),  # P406: the rest is not lower-cased
    ("title", " \ntest", (), {}, " \nTest"),  # P407
    ("title", "hello-world foo_bar", (), {}, "Hello-world Foo_bar"),  # Q068
    ("title", None, (), {}, None),
    ("lower", "TEMPLATE", (), {}, "template"),  # P386
    ("lower", None, (), {}, None),  # P387
    ("lower", True, (), {}, "true"),  # toString() first
    ("upper", "template", (), {}, "TEMPLATE"),  # P388
    ("upper", None, (), {}, None),  # P389
    ("trim", "        \t\tThis should be trimmed. \t\t", (), {}, "This should be trimmed."),  # P408
    ("trim", None, (), {}, None),  # P409
    ("trim", "\u00a0 x \n", (), {}, "\u00a0 x"),  # Q069: only chars <= U+0020
    # default
    ("default", None, ("TWO",), {}, "TWO"),  # P410
    ("default", "  ", ("THREE",), {}, "THREE"),  # P410: blank string
    ("default", 4, ("FOUR",), {}, 4),  # P410
    ("default", None, (), {"default": "ONE"}, "ONE"),  # P412
    ("default", "x", ("y",), {}, "x"),  # Q032
    ("default", 0, ("y",), {}, 0),  # Q032: not 0 ...
    ("default", False, ("y",), {}, False),  # Q032: ... nor false
    ("default", [], ("y",), {}, "y"),  # Q032
    ("default", {}, ("y",), {}, "y"),
    # first / last / length
    ("first", ["Alex", "Joe", "Bob"], (), {}, "Alex"),  # P413
    ("first", None, (), {}, None),  # P414
    ("first", "Alex", (), {}, "A"),  # P415
    ("first", [], (), {}, None),  # P416
    ("first", [28, 30], (), {}, 28),  # P429
    ("last", ["Alex", "Joe", "Bob"], (), {}, "Bob"),  # P423
    ("last", None, (), {}, None),  # P424
    ("last", "Alex", (), {}, "x"),  # P425
    ("last", [28, 30], (), {}, 30),  # P427
    ("last", "héllo", (), {}, "o"),  # Q043
    ("last", [], (), {}, None),  # Q074
    ("length", "test", (), {}, 4),  # P440
    ("length", None, (), {}, 0),  # Q019
    ("length", {"a": 1}, (), {}, 1),  # Q019
    ("length", [1, 2, 3], (), {}, 3),
    # join
    ("join", ["Alex", "Joe", "Bob"], (",",), {}, "Alex,Joe,Bob"),  # P417
    ("join", ["Alex", "Joe", "Bob"], (), {}, "AlexJoeBob"),  # P418
    ("join", [1, 2, 3], (",",), {}, "1,2,3"),  # P419
    ("join", None, (",",), {}, None),  # P420
    ("join", [], (",",), {}, ""),  # P421
    ("join", [1.0, 2.5, 3.0], (",",), {}, "1.0,2.5,3.0"),  # P422
    ("join", [1, "b", 2.5, True], (", ",), {}, "1, b, 2.5, true"),  # Q042
    ("join", ["a", None], (), {"separator": "-"}, "a-null"),  # StringBuilder.append(null)
    # keys / values
    ("keys", {}, (), {}, Printed("[]")),  # Q075
    ("keys", ["a", "b", "c"], (), {}, [0, 1, 2]),  # Kestra KeysFilterTest
    ("keys", {"a": 1, "b": 2}, (), {}, ["a", "b"]),
    ("keys", None, (), {}, None),
    ("values", {}, (), {}, Printed("[]")),  # Q075
    ("values", {"a": 1, "b": "x"}, (), {}, [1, "x"]),
    ("values", None, (), {}, None),
    # sort / rsort / reverse
    (
        "sort",
        ["zebra", "apple", " cat", "123", "Apple", "cat"],
        (),
        {},
        [" cat", "123", "Apple", "apple", "cat", "zebra"],  # P403
    ),
    (
        "rsort",
        ["zebra", "apple", " cat", "123", "Apple", "cat"],
        (),
        {},
        ["zebra", "cat", "apple", "Apple", "123", " cat"],  # P404
    ),
    ("sort", [3, 2, 1, 0], (), {}, [0, 1, 2, 3]),  # P622
    ("sort", None, (), {}, None),
    ("reverse", ["one", "two", "three"], (), {}, ["three", "two", "one"]),  # P405
    ("reverse", [1, 2, 3], (), {}, Printed("[3,2,1]")),  # Q055 (after sort)
    ("reverse", None, (), {}, None),
    # slice
    ("slice", None, (), {}, None),  # P430
    ("slice", "Alex", (), {}, "Alex"),  # P431
    ("slice", "abcdefghijklmnopqrstuvwxyz", (2, 4), {}, "cd"),  # P433
    ("slice", "Alexander", (2, 5), {}, "exa"),  # P436
    (
        "slice",
        ["Alex", "Joe", "Bob", "Sarah", "Mary", "Marge"],
        (2, 5),
        {},
        Printed('["Bob","Sarah","Mary"]'),  # P437
    ),
    ("slice", ["name", 10, "three", 1.9], (1, 3), {}, Printed('[10,"three"]')),  # P621
    ("slice", [1, 2, 3], (1,), {}, Printed("[2,3]")),  # Q053
    ("slice", "abc", (1, 2), {}, "b"),  # Q054
    ("slice", "abc", (), {"fromIndex": 1, "toIndex": 3}, "bc"),
    ("slice", "abc", (1.9,), {}, "bc"),  # Number.intValue()
    # merge
    ("merge", {"one": 1}, ({"two": 2},), {}, {"one": 1, "two": 2}),  # P448
    ("merge", [1], ([2],), {}, Printed("[1,2]")),  # P449
    ("merge", {"one": 1}, (["two"],), {}, {"one": 1, "two": "two"}),  # P450
    ("merge", {"a": 1}, ({"a": 2},), {}, Printed('{"a":2}')),  # Q056
    ("merge", {"two": 2}, ({"one": 1},), {}, Printed('{"one":1,"two":2}')),  # HashMap order
    ("merge", None, ([1],), {}, [1]),
    ("merge", [1], (None,), {}, [1]),
    ("merge", [1], ({"a": 2},), {}, [1, {"a": 2}]),  # map entries appended
    # split
    ("split", "one|two|three", (r"\|",), {}, ["one", "two", "three"]),  # P483: a regex
    ("split", "one,two,three,four,five", (",", 3), {}, ["one", "two", "three,four,five"]),  # P484
    ("split", "one,two,three,four,five", (",", -1), {}, ["one", "two", "three", "four", "five"]),
    ("split", "one,two,three,four,five", (",", 0), {}, ["one", "two", "three", "four", "five"]),
    ("split", None, (",",), {}, None),  # P481
    ("split", "a,b", (",",), {}, Printed('["a","b"]')),  # Q026
    ("split", "a.b.c", (".",), {}, []),  # Q027: '.' matches everything
    ("split", "a,,b,", (",",), {}, ["a", "", "b"]),  # Q028: trailing empties dropped
    ("split", "a,,b,", (",", -1), {}, ["a", "", "b", ""]),
    ("split", "", (",",), {}, [""]),  # no match: the input itself
    ("split", ",a", (",",), {}, ["", "a"]),  # a leading empty string is kept
    ("split", "abc", ("",), {}, ["a", "b", "c"]),  # zero-width match at 0 skipped
    ("split", "a1b22c", (), {"delimiter": r"\d+"}, ["a", "b", "c"]),
    # replace (Kestra's)
    (
        "replace",
        "I like %this% and %that%.",
        ({"%this%": "foo", "%that%": "bar"},),
        {},
        "I like foo and bar.",  # P441
    ),
    ("replace", "john doe is john doe", ({"john": "jane"},), {}, "jane doe is jane doe"),
    (
        "replace",
        "aa1bb2cc3dd4ee5",
        ({r"(\d)": "-$1-"},),
        {"regexp": True},
        "aa-1-bb-2-cc-3-dd-4-ee-5-",  # Kestra ReplaceFilterTest
    ),
    ("replace", "a.b", ({".": "-"},), {}, "a-b"),  # literal by default
    ("replace", "a.b", ({".": "-"},), {"regexp": True}, "---"),
    (
        "replace",
        "2024-01-15",
        ({r"(?<y>\d{4})-(\d\d)": "${y}/$2"},),
        {"regexp": True},
        "2024/01-15",
    ),
    ("replace", None, ({"a": "b"},), {}, None),
    ("replace", {"k": "a-a", "n": 1}, ({"a": "b"},), {}, {"k": "b-b", "n": "1"}),
    ("replace", ["a", ["a"]], ({"a": "b"},), {}, ["b", ["b"]]),
    # hashes
    (
        "sha256",
        "test",
        (),
        {},
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # P447
    ),
    ("sha256", None, (), {}, None),
    ("sha1", "test", (), {}, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
    ("md5", "test", (), {}, "098f6bcd4621d373cade4e832627b4f6"),
    (
        "sha512",
        "test",
        (),
        {},
        "ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff",
    ),
    # url
    ("urlencode", "The string ü@foo-bar", (), {}, "The+string+%C3%BC%40foo-bar"),  # P390
    ("urlencode", None, (), {}, None),  # P391
    ("urlencode", "a b", (), {}, "a+b"),  # Q080
    ("urlencode", "*~._-", (), {}, "*%7E._-"),  # URLEncoder keeps only . - * _
    ("urldecode", "a+b%C3%BC", (), {}, "a bü"),
    ("urldecode", None, (), {}, None),
    # escapeChar (Kestra EscapeCharFilterTest)
    ("escapeChar", "L'eau c'est la vie", ("single",), {}, "L\\'eau c\\'est la vie"),
    ("escapeChar", '"Hello"', ("double",), {}, '\\"Hello\\"'),
    ("escapeChar", "L'eau c'est la vie", ("shell",), {}, "L'\\''eau c'\\''est la vie"),
    ("escapeChar", "", ("single",), {}, ""),
    ("escapeChar", 'a\\b"c', ("double",), {}, 'a\\b\\"c'),  # Q077: backslashes untouched
    ("escapeChar", {"k": "it's", "l": ["it's"]}, ("SINGLE",), {}, {"k": "it\\'s", "l": ["it\\'s"]}),
    ("escapeChar", None, ("single",), {}, None),
    # indent / nindent (Kestra IndentFilterTest, NindentFilterTest)
    ("indent", None, (2,), {}, None),
    ("indent", "", (2,), {}, ""),
    ("indent", "\n\n", (2,), {}, "\n  \n  "),
    ("indent", "string", (2,), {}, "string"),
    ("indent", 1, (2,), {}, "1"),
    ("indent", "first line\r\nsecond line", (2,), {}, "first line\r\n  second line"),
    ("indent", "first line\nsecond line", (2,), {}, "first line\n  second line"),
    ("indent", "first line\rsecond line", (2,), {}, "first line\r  second line"),
    ("indent", "first line\nsecond line", (2, "\t"), {}, "first line\n\t\tsecond line"),
    ("nindent", "first line\nsecond line", (2,), {}, "\n  first line\n  second line"),
    ("nindent", "string", (), {"amount": 2, "prefix": "-"}, "\n--string"),
    # slugify / substrings / startsWith (Kestra SlugifyFilterTest, SubstringFilterTest)
    ("slugify", "Test\t\t\ntest*", (), {}, "test-test"),
    ("slugify", "Héllo Wörld_2024!", (), {}, "hello-world-2024"),
    ("slugify", None, (), {}, None),
    ("substringBefore", "a.b.c", (".",), {}, "a"),
    ("substringBefore", "abc", ("x",), {}, "abc"),
    ("substringAfter", "a.b.c", (), {"separator": "."}, "b.c"),
    ("substringAfter", "abc", ("x",), {}, ""),
    ("substringBeforeLast", "a.b.c", (), {"separator": "."}, "a.b"),
    ("substringBeforeLast", "a.b.c", (".",), {}, "a.b"),
    ("substringAfterLast", "a.b.c", (".",), {}, "c"),
    ("substringAfterLast", "abc.", (".",), {}, ""),
    ("substringAfter", None, (".",), {}, None),
    ("startsWith", "kestra", ("kes",), {}, True),
    ("startsWith", "kestra", (), {"value": "tra"}, False),
    ("endsWith", "kestra", ("tra",), {}, True),
    ("endsWith", 1234, ("34",), {}, True),
    # string / number / className (Kestra NumberFilterTest)
    ("string", 1.5, (), {}, "1.5"),
    ("string", 42, (), {}, "42"),
    ("string", "1e3", (), {}, "1E+3"),  # BigDecimal.toString
    ("string", "007.50", (), {}, "7.50"),
    ("string", None, (), {}, None),
    ("number", "41", ("INT",), {}, 41),  # Q065
    ("number", "1.5", (), {}, 1.5),  # Q065: inferred
    ("number", "12.3", (), {}, 12.3),  # a Float in Kestra, a float here
    ("number", "2147483647", (), {}, 2147483647),
    ("number", "9223372036854775807", (), {}, 9223372036854775807),
    ("number", "9223372036854775807", ("BIGDECIMAL",), {}, Decimal("9223372036854775807")),
    ("number", "9223372036854775807", ("BIGINTEGER",), {}, 9223372036854775807),
    ("number", "9223372036854775807", ("DOUBLE",), {}, 9.223372036854776e18),
    ("number", "012", (), {}, 10),  # NumberUtils.createNumber: a leading 0 is octal
    ("number", "0x1F", (), {}, 31),
    ("number", "1.5f", ("FLOAT",), {}, 1.5),
    ("number", "2.5E3", (), {}, 2500.0),
    ("number", "1234567890123456789012", (), {}, 1234567890123456789012),
    ("number", "0.12345678901234567890", (), {}, Decimal("0.12345678901234567890")),
    ("number", None, (), {}, None),
    ("className", "x", (), {}, "java.lang.String"),
    ("className", 1, (), {}, "java.lang.Integer"),
    ("className", None, (), {}, None),
    # collections (Kestra ChunkFilterTest, FlattenFilterTest)
    ("chunk", [1, 2, 3, 4, 5, 6, 7, 8, 9], (2,), {}, Printed("[[1,2],[3,4],[5,6],[7,8],[9]]")),
    ("chunk", None, (2,), {}, None),
    ("flatten", ["a", ["b", "c"], "d", ["e"]], (), {}, ["a", "b", "c", "d", "e"]),
    ("flatten", [[1, [2]]], (), {}, [1, [2]]),  # one level only
    ("flatten", None, (), {}, None),
    ("distinct", [1, 2, 1, "1", 2], (), {}, [1, 2, "1"]),
    ("distinct", [1, 1.0], (), {}, [1, 1.0]),  # equals(): Long 1 is not Double 1.0
    ("distinct", None, (), {}, "null"),  # Kestra returns the string "null"
    # serialisers (Kestra ToJsonFilterTest, ToIonFilterTest, YamlFilterTest)
    ("toJson", "string", (), {}, '"string"'),
    ("toJson", 1, (), {}, "1"),
    ("toJson", ["string", 1, 1.123], (), {}, '["string",1,1.123]'),
    ("toJson", {"empty_object": {}}, (), {}, '{"empty_object":{}}'),
    ("toJson", None, (), {}, "null"),
    ("toJson", {"a": None, "b": 1}, (), {}, '{"b":1}'),  # Q002
    ("toJson", dt.datetime(2013, 9, 8, 16, 19, tzinfo=UTC), (), {}, '"2013-09-08T16:19:00Z"'),
    ("json", "string", (), {}, '"string"'),  # deprecated alias
    ("toIon", "string", (), {}, '"string"'),
    ("toIon", 1, (), {}, "1"),
    ("toIon", ["string", 1, 1.5], (), {}, '["string",1,1.5e0]'),
    ("toIon", True, (), {}, "true"),
    ("toIon", {"empty_object": {}}, (), {}, "{empty_object:{}}"),
    ("toIon", {"a b": None, "n": Decimal("1.50")}, (), {}, "{'a b':null,n:1.50}"),
    ("toIon", None, (), {}, "null"),
    (
        "toIon",
        dt.datetime(2013, 9, 8, 16, 19, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        (),
        {},
        'ZonedDateTime::"2013-09-08T16:19:00+02:00"',
    ),
    ("yaml", "string", (), {}, "string\n"),
    ("yaml", 1, (), {}, "1\n"),
    ("yaml", 1.123, (), {}, "1.123\n"),
    ("yaml", ["string", 1, 1.123], (), {}, " - string\n - 1\n - 1.123\n"),
    ("yaml", True, (), {}, "true\n"),
    ("yaml", dt.datetime(2013, 9, 8, 16, 19, tzinfo=UTC), (), {}, "2013-09-08T16:19:00Z\n"),
    ("yaml", {"int": 1, "string": "string"}, (), {}, "int: 1\nstring: string\n"),
    (
        "yaml",
        {"a": {"b": [1, {"c": "x", "d": "y"}]}, "e": "true", "f": "a: b", "g": [], "h": None},
        (),
        {},
        'a:\n  b:\n   - 1\n   - c: x\n     d: "y"\ne: "true"\nf: "a: b"\ng: []\nh: null\n',
    ),
    ("yaml", {"text": "line 1\nline 2"}, (), {}, "text: |-\n  line 1\n  line 2\n"),
    ("yaml", None, (), {}, "null"),
    # jq (Kestra JqFilterTest)
    ("jq", [1, 2, 3], (".[0]",), {}, [1]),
    ("jq", {"test": [1, 2, 3]}, (".test[0]",), {}, [1]),
    ("jq", {"second": [1, 2, 3]}, (".second[]",), {}, [1, 2, 3]),
    ("jq", {"second": {"string": "string"}}, (".second.string",), {}, ["string"]),
    ("jq", {"float": 1.123, "bool": True}, (".float, .bool",), {}, [1.123, True]),
    ("jq", {"object": {"key": "value"}}, (".object",), {}, [{"key": "value"}]),
    ("jq", '{"a": [{"x": 1}, {"x": 2}]}', (".a[].x",), {}, [1, 2]),  # a string is parsed first
    ("jq", {"a": None}, (".a",), {}, [None]),  # NON_NULL: the key is gone, .a is null
    (
        "jq",
        {"d": dt.datetime(2013, 9, 8, 16, 19, tzinfo=UTC)},
        (".d",),
        {},
        ["2013-09-08T16:19:00Z"],
    ),
    ("jq", [3, 1, 2], (), {"expression": "sort | first"}, [1]),
    ("jq", None, (".a",), {}, None),
    # numberFormat (java.text.DecimalFormat, English symbols, HALF_EVEN)
    ("numberFormat", 3.141592653, ("#.##",), {}, "3.14"),  # Pebble docs example
    ("numberFormat", 1234567.891, ("#,##0.00",), {}, "1,234,567.89"),
    ("numberFormat", 0.5, ("0.###",), {}, "0.5"),
    ("numberFormat", 0.456, ("#.##",), {}, ".46"),  # no integer digit with '#'
    ("numberFormat", 0, ("#.##",), {}, "0"),
    ("numberFormat", 12345, (), {}, "12,345"),  # NumberFormat.getInstance(): #,##0.###
    ("numberFormat", 1234.5678, (), {}, "1,234.568"),
    ("numberFormat", 0.125, ("0.00",), {}, "0.12"),  # HALF_EVEN
    ("numberFormat", 0.375, ("0.00",), {}, "0.38"),
    ("numberFormat", 1.005, ("0.00",), {}, "1.00"),  # the double is 1.00499999...
    ("numberFormat", -1234.5, ("#,##0.0",), {}, "-1,234.5"),
    ("numberFormat", -0.001, ("0.00",), {}, "-0.00"),  # the sign is kept
    ("numberFormat", 0.25, ("#%",), {}, "25%"),
    ("numberFormat", 42, ("000000",), {}, "000042"),
    ("numberFormat", 5, ("0.00",), {}, "5.00"),
    ("numberFormat", 12345.678, ("0.###E0",), {}, "1.235E4"),
    ("numberFormat", 0.00012, ("0.00E00",), {}, "1.20E-04"),
    ("numberFormat", 9.999, ("0.00E0",), {}, "1.00E1"),
    ("numberFormat", 1234, ("'#'#",), {}, "#1234"),
    ("numberFormat", -5, ("0;(0)",), {}, "(5)"),
    ("numberFormat", Decimal("2.345"), ("0.00",), {}, "2.34"),
    ("numberFormat", None, ("0.00",), {}, None),
    # dates (Q rows, Kestra DateFilterTest; the default zone is Etc/UTC)
    ("date", "2024-01-15T10:00:00Z", ("yyyy-MM-dd",), {}, "2024-01-15"),  # Q046
    (
        "date",
        "2024-01-15T10:00:00Z",
        ("EEEE dd MMMM yyyy",),
        {"timeZone": "UTC"},
        "Monday 15 January 2024",
    ),
    ("date", "2024-01-15", ("yyyy-MM-dd HH:mm",), {}, "2024-01-15 00:00"),  # Q049
    ("date", 5, ("yyyy",), {}, "1970"),  # Q051: epoch seconds
    ("date", None, ("yyyy",), {}, None),
    ("date", "July 24, 2001", ("yyyy-MM-dd",), {"existingFormat": "MMMM dd, yyyy"}, "2001-07-24"),
    ("date", "08.09.2023", ("yyyy-MM-dd",), {"existingFormat": "dd.MM.yyyy"}, "2023-09-08"),
    ("date", "08092023", ("yyyy-MM-dd",), {"existingFormat": "ddMMyyyy"}, "2023-09-08"),
    (
        "date",
        "2013-09-08T17:19:12+02:00",
        (),
        {"timeZone": "Europe/Paris"},
        "2013-09-08T17:19:12.000000+02:00",
    ),
    (
        "date",
        "2013-09-08T17:19:12",
        (),
        {"timeZone": "Europe/Paris"},
        "2013-09-08T17:19:12.000000+02:00",
    ),
    ("date", "2013-09-08", (), {"timeZone": "Europe/Paris"}, "2013-09-08T00:00:00.000000+02:00"),
    (
        "date",
        "Tue, 08 Feb 2022 19:38:26 GMT",
        (),
        {"existingFormat": "rfc_1123_date_time", "timeZone": "Europe/Paris"},
        "2022-02-08T20:38:26.000000+01:00",
    ),
    (
        "date",
        1378653552,
        (),
        {"format": "iso_sec", "timeZone": "Europe/Paris"},
        "2013-09-08T17:19:12+02:00",
    ),
    (
        "date",
        1378653552123,
        (),
        {"format": "iso_milli", "timeZone": "Europe/Paris"},
        "2013-09-08T17:19:12.123+02:00",
    ),
    ("date", 1378653552123, (), {"timeZone": "Europe/Paris"}, "2013-09-08T17:19:12.123000+02:00"),
    (
        "date",
        1378653552123,
        (),
        {"format": "iso_zoned_date_time", "timeZone": "Europe/Paris"},
        "2013-09-08T17:19:12.123+02:00[Europe/Paris]",
    ),
    (
        "date",
        1378653552123456000,
        (),
        {"format": "iso", "timeZone": "Europe/Paris"},
        "2013-09-08T17:19:12.123456+02:00",
    ),
    (
        "date",
        1378653552,
        (),
        {"format": "sql_sec", "timeZone": "Europe/Paris"},
        "2013-09-08 17:19:12",
    ),
    (
        "date",
        1378653552123,
        (),
        {"format": "sql_milli", "timeZone": "UTC"},
        "2013-09-08 15:19:12.123",
    ),
    (
        "date",
        1378653552123456000,
        (),
        {"format": "sql", "timeZone": "Europe/Paris"},
        "2013-09-08 17:19:12.123456",
    ),
    (
        "date",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456),
        ("yyyy-MM-dd HH:mm:ss.SSS",),
        {"timeZone": "UTC"},
        "2013-09-08 16:19:12.123",
    ),
    (
        "date",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456),
        ("yyyy-MM-dd HH:mm:ss.SSSSSSXXX",),
        {"timeZone": "Europe/Paris"},
        "2013-09-08 16:19:12.123456+02:00",
    ),
    ("date", dt.date(2024, 1, 15), ("HH:mm",), {}, "12:00"),  # a LocalDate is taken at NOON
    ("date", "2024-03-01T00:00:00Z", ("Q QQQ QQQQ",), {}, "1 Q1 1st quarter"),
    ("date", "2024-12-29T00:00:00Z", ("YYYY ww e",), {}, "2025 01 1"),  # US weeks: Sunday first
    ("date", "2024-12-29T00:00:00Z", ("iso_week_date",), {}, "2024-W52-7Z"),
    ("date", "2024-01-15T10:05:00Z", ("h:mm a",), {}, "10:05 AM"),
    (
        "date",
        "2024-01-15T22:05:00Z",
        ("hh 'o''clock' a, z zzzz VV",),
        {},
        "10 o'clock PM, UTC Coordinated Universal Time Etc/UTC",
    ),
    (
        "date",
        "2024-07-01T12:00:00Z",
        ("z zzzz O XXX Z",),
        {"timeZone": "Europe/Paris"},
        "CEST Central European Summer Time GMT+2 +02:00 +0200",
    ),
    (
        "date",
        "2024-01-15T10:00:00Z",
        ("full",),
        {},
        "Monday, January 15, 2024 at 10:00:00\u202fAM Coordinated Universal Time",
    ),
    ("date", "2024-01-15T10:00:00Z", ("medium",), {}, "Jan 15, 2024, 10:00:00\u202fAM"),
    ("date", "2024-01-15T10:00:00Z", ("short",), {}, "1/15/24, 10:00\u202fAM"),
    ("date", "2024-01-15T10:00:00Z", ("iso_date",), {}, "2024-01-15Z"),
    ("date", "2024-01-15T10:00:00.5Z", ("iso_local_date_time",), {}, "2024-01-15T10:00:00.5"),
    (
        "date",
        "2024-01-15T10:00:00Z",
        ("iso_instant",),
        {"timeZone": "Asia/Tokyo"},
        "2024-01-15T10:00:00Z",
    ),
    ("date", "2024-01-15T10:00:00Z", ("rfc_1123_date_time",), {}, "Mon, 15 Jan 2024 10:00:00 GMT"),
    (
        "date",
        "2024-01-15T10:00:00Z",
        ("yyyy-MM-dd'T'HH:mm:ss'Z'",),
        {"timeZone": "UTC"},
        "2024-01-15T10:00:00Z",
    ),  # corpus
    ("date", "2024-01-15T10:00:00Z", ("D DDD",), {}, "15 015"),
    ("dateAdd", "2024-01-31", (1, "MONTHS"), {"format": "yyyy-MM-dd"}, "2024-02-29"),  # Q048
    (
        "dateAdd",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        (-1, "DAYS"),
        {"timeZone": "Europe/Paris"},
        "2013-09-07T17:19:12.123456+02:00",  # Kestra DateFilterTest.add
    ),
    (
        "dateAdd",
        "2024-03-30T12:00:00+01:00",
        (1, "DAYS"),
        {"timeZone": "Europe/Paris", "format": "iso_sec"},
        "2024-03-31T12:00:00+02:00",
    ),
    (
        "dateAdd",
        "2024-03-30T12:00:00+01:00",
        (24, "HOURS"),
        {"timeZone": "Europe/Paris", "format": "iso_sec"},
        "2024-03-31T13:00:00+02:00",
    ),
    ("dateAdd", "2024-02-29", (1, "YEARS"), {"format": "yyyy-MM-dd"}, "2025-02-28"),
    ("dateAdd", "2024-01-15T10:00:00Z", (-90, "MINUTES"), {"format": "HH:mm"}, "08:30"),
    ("dateAdd", "2024-01-15T10:00:00Z", (2, "WEEKS"), {"format": "yyyy-MM-dd"}, "2024-01-29"),
    ("dateAdd", None, (1, "DAYS"), {}, None),
    ("timestamp", "2024-01-15T00:00:00Z", (), {}, 1705276800),  # Q050
    (
        "timestamp",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        (),
        {"timeZone": "Europe/Paris"},
        1378653552,
    ),
    (
        "timestampMilli",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        (),
        {},
        1378653552123,
    ),
    (
        "timestampMicro",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        (),
        {},
        "1378653552123456",
    ),
    (
        "timestampNano",
        dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        (),
        {},
        "1378653552123456000",
    ),
    (
        "timestamp",
        "15/01/2024",
        (),
        {"existingFormat": "dd/MM/yyyy", "timeZone": "Europe/Paris"},
        1705273200,
    ),
    ("timestamp", None, (), {}, None),
]


@pytest.mark.parametrize(
    ("name", "value", "args", "kwargs", "expected"),
    FILTER_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FILTER_CASES)],
)
def test_filter(name: str, value: Any, args: tuple, kwargs: dict, expected: Any) -> None:
    check(FILTERS[name](value, *args, **kwargs), expected)


FILTER_ERRORS: list[tuple[str, Any, tuple, dict, str]] = [
    (
        "abbreviate",
        "x",
        (),
        {"WRONG": 16},
        "has no argument named 'WRONG'; its arguments are 'length'",
    ),  # P697
    ("abbreviate", "x", (1, 2), {}, "takes at most 1 argument"),
    ("abbreviate", "x", (16,), {"length": 16}, "twice"),
    ("abbreviate", "x", (), {}, "needs the argument 'length'"),
    ("abbreviate", "x", (-1,), {}, "zero or more"),
    ("abbreviate", 5, (2,), {}, "can only be applied to a string"),
    ("abs", None, (), {}, "cannot be applied to null"),
    ("abs", "5", (), {}, "needs a number"),
    ("base64decode", "this is not a base64 encoded string", (), {}, "base64"),  # P444
    ("base64decode", {"foo": 1}, (), {}, "string"),  # P445
    ("sha256", {"foo": 1}, (), {}, "needs a string to hash"),  # P446
    ("slice", "Alex", (-1,), {}, "fromIndex"),  # P432
    ("slice", "Alex", (0, -1), {}, "toIndex"),  # P434
    ("slice", "Alex", (0, 1000), {}, "at most the input size 4"),  # P435
    ("slice", 1, (2, 5), {}, "can only be applied to a string or a list"),  # P439
    ("slice", "Alex", ("a",), {}, "expects a number"),
    ("merge", {"one": 1}, ("No way!",), {}, "can only merge"),  # P451
    ("merge", [1], ("No way!",), {}, "can only merge"),  # P452
    ("merge", None, (None,), {}, "both sides are null"),
    ("merge", "x", ([1],), {}, "can only be applied to a map or a list"),
    ("split", "one,two,three", (), {}, "needs the argument 'delimiter'"),  # P482
    ("split", "a", ("[",), {}, "invalid regular expression"),
    ("first", "", (), {}, "empty string"),  # charAt(0)
    ("first", {"a": 1}, (), {}, "can only be applied to a list or a string"),
    ("join", "abc", (",",), {}, "expects a list"),
    ("keys", 5, (), {}, "list or a map"),
    ("values", [1], (), {}, "map"),
    ("sort", [1, "a"], (), {}, "different types"),
    ("sort", [None, 1], (), {}, "cannot compare"),
    ("reverse", "abc", (), {}, "can only be applied to a list"),
    ("trim", 5, (), {}, "can only be applied to a string"),
    ("replace", "x", (), {}, "needs the argument 'replace_pairs'"),
    ("replace", "x", ("a",), {}, "expects a map"),
    ("replace", "x", ({"a": "b"},), {"regexp": "yes"}, "expects a boolean"),
    ("replace", "x", ({"(": "b"},), {"regexp": True}, "invalid regular expression"),
    ("replace", "x", ({"x": "$2"},), {"regexp": True}, "invalid replacement"),
    ("escapeChar", "x", (), {}, "needs the argument 'type'"),
    ("escapeChar", "x", ("foo",), {}, "'single', 'double' or 'shell'"),  # EscapeCharFilterTest
    ("escapeChar", "x", ("",), {}, "'single', 'double' or 'shell'"),
    ("indent", "a\nb", (), {}, "needs the argument 'amount'"),
    ("indent", "a\nb", (-1,), {}, "zero or more"),
    ("indent", "a\nb", (1.5,), {}, "expects an integer"),
    ("startsWith", None, ("a",), {}, "cannot be applied to null"),
    ("substringAfter", "a.b", (), {}, "needs the argument 'separator'"),
    ("urldecode", "%zz", (), {}, "invalid escape"),
    ("string", "abc", (), {}, "expects a valid number"),
    ("string", [1], (), {}, "expects a number"),
    ("number", 5, (), {}, "can only be applied to a string"),
    ("number", "1.5", ("INT",), {}, "cannot read '1.5' as an INT"),
    ("number", "3000000000", ("INT",), {}, "as an INT"),
    ("number", "abc", (), {}, "cannot read 'abc'"),
    ("number", " ", (), {}, "blank"),
    ("chunk", 1, (2,), {}, "can only be applied to a list"),  # ChunkFilterTest.exception
    ("chunk", [1], (), {}, "needs the argument 'size'"),
    ("chunk", [1], (0,), {}, "greater than zero"),
    ("flatten", "abc", (), {}, "can only be applied to a list"),
    ("distinct", "abc", (), {}, "can only be applied to a list"),
    ("jq", {"a": 1}, (), {}, "needs the argument 'expression'"),
    ("jq", {"a": 1}, (".[",), {}, "invalid expression"),
    ("jq", {"a": 3}, (".a.b",), {}, "failed to resolve"),
    ("jq", "{not json", (".",), {}, "cannot parse its input as JSON"),
    ("numberFormat", "5", ("0.0",), {}, "needs a number"),
    ("numberFormat", 5, ("abc",), {}, "no digits"),
    ("date", "2024-13-45", ("yyyy",), {}, "could not be parsed"),
    ("date", "2024-01-15 10:00:00", ("yyyy",), {}, "could not be parsed"),  # not ISO
    ("date", "15/01/2024", ("yyyy",), {"existingFormat": "yyyy-MM-dd"}, "could not be parsed"),
    ("date", "2024-02-31", ("yyyy",), {"existingFormat": "yyyy-MM-dd'T'"}, "could not be parsed"),
    (
        "date",
        "2024-01-15",
        ("yyyy",),
        {"timeZone": "Mars/Olympus"},
        "unknown time zone 'Mars/Olympus'",
    ),
    ("date", "2024-01-15", ("bb",), {}, "unknown pattern letter 'b'"),
    ("date", "2024-01-15", ("basic_iso_date",), {}, "unknown pattern letter"),  # not a Kestra name
    ("date", "2024-01-15", ("HHH",), {}, "wrong number of letters"),
    ("date", "2024-01-15", ("'open",), {}, "unclosed quote"),
    ("date", 1.5, ("yyyy",), {}, "cannot read a date"),
    ("date", True, ("yyyy",), {}, "cannot read a date"),
    ("date", [1], ("yyyy",), {}, "cannot read a date"),
    ("dateAdd", "2024-01-15", (), {}, "needs the argument 'amount'"),
    ("dateAdd", "2024-01-15", (1,), {}, "needs the argument 'unit'"),
    ("dateAdd", "2024-01-15", (1, "days"), {}, "unknown time unit 'days'"),
    ("dateAdd", "2024-01-15", (1.5, "DAYS"), {}, "expects an integer"),
    ("dateAdd", "2024-01-15", (1, "FOREVER"), {}, "Unsupported unit"),
    ("timestamp", "2024-01-15", ("UTC",), {"timeZone": "UTC"}, "twice"),
    ("length", "x", (1,), {}, "takes no arguments, 1 given"),
]


@pytest.mark.parametrize(
    ("name", "value", "args", "kwargs", "message"),
    FILTER_ERRORS,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FILTER_ERRORS)],
)
def test_filter_error(name: str, value: Any, args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        FILTERS[name](value, *args, **kwargs)
    assert message in str(info.value)


def test_date_default_format_and_zone() -> None:
    # no format: "iso" (yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX) in the default zone Etc/UTC
    assert FILTERS["date"]("2024-01-15T10:00:00+02:00") == "2024-01-15T08:00:00.000000Z"
    assert FILTERS["date"](dt.datetime(2024, 1, 15, 8, tzinfo=UTC), "VV") == "Etc/UTC"


# --- tests ------------------------------------------------------------------------------------------

TEST_CASES: list[tuple[str, Any, bool]] = [
    ("defined", "yes", True),  # P465
    ("defined", None, False),  # Q070: a null value is not "defined"
    ("defined", 0, True),
    ("null", None, True),  # P459
    ("null", 2, False),  # P459
    ("null", ["Bob"], False),  # P637
    ("empty", None, True),  # P460
    ("empty", "  ", True),  # P460
    ("empty", [], True),  # P460
    ("empty", {}, True),  # P666
    ("empty", {"John": "Cobra"}, False),  # P665
    ("empty", [0, 1, 2], False),  # P640
    ("empty", "?", False),  # P503
    ("empty", 0, False),
    ("even", 2, True),  # P453
    ("even", 3, False),  # P453
    ("odd", 3, True),  # P456
    ("odd", 2, False),
    ("odd", -3, True),
    ("iterable", [], True),  # P461
    ("iterable", None, False),  # P461
    ("iterable", {}, False),  # P461, P667: a Map is not Iterable
    ("iterable", "abc", False),
    ("map", {}, True),  # P464
    ("map", [], False),
    ("json", '{"a":1}', True),  # Q036
    ("json", "abc", False),  # Q036
    ("json", "[1, 2]", True),
    ("json", "1", True),
    ("json", "", True),  # readTree("") is a MissingNode
    ("json", "NaN", False),
    ("json", "{'a': 1}", False),
]


@pytest.mark.parametrize(("name", "value", "expected"), TEST_CASES)
def test_test(name: str, value: Any, expected: bool) -> None:
    assert TESTS[name](value) is expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("even", None, "null"),  # P455
        ("odd", None, "null"),  # P458
        ("even", 2.0, "needs an integer"),  # (Long) cast of a Double
        ("even", True, "needs an integer"),
        ("json", 1, "needs a string"),  # (String) cast in JsonTest
        ("null", 1, "takes no arguments"),
    ],
)
def test_test_errors(name: str, value: Any, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        if name == "null":
            TESTS[name](value, 1)
        else:
            TESTS[name](value)


# --- functions without context ----------------------------------------------------------------

FUNCTION_CASES: list[tuple[str, tuple, dict, Any]] = [
    ("range", (0, 5), {}, [0, 1, 2, 3, 4, 5]),  # P469: inclusive
    ("range", (0, 10, 2), {}, [0, 2, 4, 6, 8, 10]),  # P470
    ("range", (10, 0, -2), {}, [10, 8, 6, 4, 2, 0]),  # P471
    ("range", ("a", "e"), {}, ["a", "b", "c", "d", "e"]),  # P473
    ("range", ("a", "f", 2), {}, ["a", "c", "e"]),  # P474
    ("range", ("f", "a", -2), {}, ["f", "d", "b"]),  # P475
    ("range", (0, 5.5), {}, [0, 1, 2, 3, 4, 5]),  # P478: a double bound is truncated
    ("range", (0, 5, 2.0), {}, [0, 2, 4]),  # P480
    ("range", (1, 1), {}, [1]),  # P615
    ("range", (5, 1), {}, []),
    ("range", (), {"start": 1, "end": 3, "increment": 1}, [1, 2, 3]),
    ("min", (8.0, 1, 4, 5, 20), {}, 1),  # P467: the argument itself (Long 1 prints "1")
    ("max", (8.0, 1, 4, 5, 20), {}, 20),  # P468
    ("max", (5, 10), {}, 10),  # P571
    ("min", (100, -1), {}, -1),  # P503
    ("max", (), {}, None),
    ("max", (None, 3), {}, 3),
    (
        "fromJson",
        ('{"test1": 1, "test2": 2, "test3": 3}',),
        {},
        {"test1": 1, "test2": 2, "test3": 3},
    ),
    ("fromJson", ('{"test1": [{"test1": 666}, 2, 3]}',), {}, {"test1": [{"test1": 666}, 2, 3]}),
    ("fromJson", ("[1, 2, 3]",), {}, [1, 2, 3]),
    ("fromJson", ('{"empty_object":{}}',), {}, {"empty_object": {}}),
    ("fromJson", (None,), {}, None),  # FromJsonFunctionTest
    ("fromJson", ("1.0",), {}, 1.0),
    ("fromJson", ('{"a": 1} trailing',), {}, {"a": 1}),  # Jackson stops after the first value
    ("json", ('{"test1": 1}',), {}, {"test1": 1}),  # deprecated alias
    (
        "fromIon",
        ('{date:2024-04-21T23:00:00.000Z, title:"Main_Page",views:109787}',),
        {},
        {"date": dt.datetime(2024, 4, 21, 23, tzinfo=UTC), "title": "Main_Page", "views": 109787},
    ),
    ("fromIon", (None,), {}, None),  # FromIonFunctionTest
    ("fromIon", ("{a:1}\n{a:2}",), {}, {"a": 1}),
    ("fromIon", ("{a:1}\n{a:2}",), {"allRows": True}, [{"a": 1}, {"a": 2}]),
    (
        "fromIon",
        ("{a:1.5e0,b:2.5,c:sym,d:null,e:[true]}",),
        {},
        {"a": 1.5, "b": Decimal("2.5"), "c": "sym", "d": None, "e": [True]},
    ),
    ("fromIon", ("",), {"allRows": True}, []),
    # YamlFunctionTest; like Jackson, only true/false are booleans and dates stay strings
    (
        "yaml",
        (
            'string: string\nint: 123\nbool: true\nfloat: 1.23\ninstant: "1918-02-24T00:00:00Z"\n'
            "date: 1991-08-20\nyes: no\n'null':\nobject:\n  child:\n    key: value\narray:\n  - string\n",
        ),
        {},
        {
            "string": "string",
            "int": 123,
            "bool": True,
            "float": 1.23,
            "instant": "1918-02-24T00:00:00Z",
            "date": "1991-08-20",
            "yes": "no",
            "null": None,
            "object": {"child": {"key": "value"}},
            "array": ["string"],
        },
    ),
    ("yaml", ("a: 1\n---\nb: 2\n",), {}, {"a": 1}),  # the first document
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "expected"),
    FUNCTION_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FUNCTION_CASES)],
)
def test_function(name: str, args: tuple, kwargs: dict, expected: Any) -> None:
    check(FUNCTIONS[name](*args, **kwargs), expected)


FUNCTION_ERRORS: list[tuple[str, tuple, dict, str]] = [
    ("range", (0, 5, 0), {}, "different from 0"),  # P472
    ("range", ("a", "e", 0), {}, "different from 0"),  # P476
    ("range", ("a", 5), {}, "numbers, or strings of one character"),  # P598
    ("range", ("ab", "c"), {}, "one character"),
    ("range", (0, 5, "x"), {}, "needs a number for 'increment'"),
    ("range", (0, 1, 2, 3), {}, "takes at most 3 arguments"),
    ("max", ("a", 1), {}, "only numbers can be compared"),
    ("max", (), {"a": 1}, "takes no named arguments"),
    ("fromJson", (), {}, "needs the argument 'json'"),  # FromJsonFunctionTest.exception
    ("fromIon", (), {}, "needs the argument 'ion'"),  # FromIonFunctionTest.exception
    ("fromJson", ("{not: json}",), {}, "invalid JSON"),
    ("fromJson", ("NaN",), {}, "invalid JSON"),
    ("fromJson", ("",), {}, "invalid JSON"),
    ("fromJson", (5,), {}, "expects a string"),
    ("fromIon", ("{not: ion",), {}, "invalid Ion"),  # FromIonFunctionTest.exception
    ("fromIon", ("{a:1}",), {"allRows": "yes"}, "expects a boolean"),
    ("yaml", (None,), {}, "expects a string"),
    ("yaml", ("a: [",), {}, "invalid YAML"),
    ("randomInt", (5,), {}, "needs the argument 'upper'"),
    ("randomInt", (5, 1), {}, "at least 'lower'"),
    ("randomInt", (1.5, 3), {}, "expects an integer"),
    ("encrypt", ("toto",), {}, "needs the argument 'plaintext'"),  # EncryptDecryptFunctionTest
    ("decrypt", ("toto",), {}, "needs the argument 'encrypted'"),
    ("encrypt", ("not base64!", "x"), {}, "base64 AES key"),
    ("now", (), {"timeZone": "Nowhere/City"}, "unknown time zone"),
    ("now", (), {"format": "bb"}, "unknown pattern letter"),
    ("uuid", (1,), {}, "takes no arguments"),
    ("http", (), {}, "needs the argument 'uri'"),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "message"),
    FUNCTION_ERRORS,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FUNCTION_ERRORS)],
)
def test_function_error(name: str, args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        FUNCTIONS[name](*args, **kwargs)
    assert message in str(info.value)


def test_range_is_bounded() -> None:
    assert len(FUNCTIONS["range"](1, 100_000)) == 100_000
    with pytest.raises(SandboxError, match="the limit is 100000"):
        FUNCTIONS["range"](0, 2_000_000_000)
    with pytest.raises(SandboxError):
        FUNCTIONS["range"](0, 10**9, -1 * -1)


def test_random_functions() -> None:
    seen = {FUNCTIONS["randomInt"](1, 4) for _ in range(300)}
    assert seen == {1, 2, 3}  # upper is exclusive
    assert FUNCTIONS["randomInt"](7, 7) == 7
    port = FUNCTIONS["randomPort"]()
    assert isinstance(port, int) and 0 < port < 65536
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", FUNCTIONS["uuid"]()
    )
    ids = {FUNCTIONS["id"]() for _ in range(50)}
    assert len(ids) == 50 and all(re.fullmatch(r"[0-9A-Za-z]{1,22}", i) for i in ids)
    first, second = FUNCTIONS["ksuid"](), FUNCTIONS["ksuid"]()
    assert len(first) == 27 and re.fullmatch(r"[0-9A-Za-z]{27}", first) and first != second


def test_now() -> None:
    text = FUNCTIONS["now"]()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)  # iso, Etc/UTC
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs((dt.datetime.now(UTC) - parsed).total_seconds()) < 5
    assert FUNCTIONS["now"](format="yyyy") == str(dt.datetime.now(UTC).year)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", FUNCTIONS["now"](format="sql_milli")
    )
    assert FUNCTIONS["now"](format="XXX", timeZone="Asia/Kolkata") == "+05:30"
    assert FUNCTIONS["now"]("iso_local_date") == dt.datetime.now(UTC).date().isoformat()


def test_encrypt_decrypt_round_trip() -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    encrypted = FUNCTIONS["encrypt"](key, "toto")
    assert encrypted != "toto" and FUNCTIONS["decrypt"](key, encrypted) == "toto"
    assert FUNCTIONS["encrypt"](key, encrypted) != FUNCTIONS["encrypt"](key, encrypted)  # random IV
    assert FUNCTIONS["encrypt"](key, "") == ""
    other = base64.b64encode(bytes(32)).decode()
    with pytest.raises(ExpressionError, match="cannot decrypt"):
        FUNCTIONS["decrypt"](other, encrypted)


# --- functions with context ------------------------------------------------------------------------


@dataclass
class FakeServices:
    files: dict[str, str] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)

    def read(self, path: str, namespace: str | None) -> str:
        self.calls.append(("read", path, namespace))
        return self.files[path]

    def file_size(self, path: str, namespace: str | None) -> int:
        return len(self.files[path].encode())

    def file_exists(self, path: str, namespace: str | None) -> bool:
        return path in self.files

    def file_uri(self, path: str, namespace: str | None) -> str:
        return f"kestra:///{(namespace or 'company.team').replace('.', '/')}/_files/{path}"

    def kv(self, key: str, namespace: str | None, error_on_missing: bool) -> Any:
        self.calls.append(("kv", key, namespace, error_on_missing))
        return self.store.get(key)

    def secret(self, key: str, namespace: str | None, subkey: str | None) -> str:
        self.calls.append(("secret", key, namespace, subkey))
        return "s3cr3t"

    def tasks_with_state(self, state: str) -> list[dict]:
        return [{"taskId": "from-services", "state": state}]

    def error_logs(self) -> list[dict]:
        return [{"taskId": "t1", "message": "boom", "level": "ERROR"}]


@dataclass
class FakeContext:
    variables: Mapping[str, Any]
    services: Any = field(default_factory=FakeServices)
    rendered: list[tuple[str, bool]] = field(default_factory=list)

    def render(self, template: str, recursive: bool = True) -> str:
        self.rendered.append((template, recursive))
        return template.replace("{{ x }}", "X")


def call(name: str, ctx: FakeContext, *args: Any, **kwargs: Any) -> Any:
    fn = FUNCTIONS[name]
    assert getattr(fn, "pass_context", False), name
    return fn(ctx, *args, **kwargs)


def test_context_protocols() -> None:
    assert isinstance(FakeServices(), RuntimeServices)
    assert isinstance(DefaultServices(), RuntimeServices)
    assert isinstance(FakeContext({}), EvalContext)


def test_storage_functions_go_through_services() -> None:
    services = FakeServices(files={"kestra:///a/b/c.txt": "hello", "empty.txt": ""})
    ctx = FakeContext({}, services)
    assert call("read", ctx, "kestra:///a/b/c.txt") == "hello"
    assert call("read", ctx, path="kestra:///a/b/c.txt", namespace="other") == "hello"
    assert services.calls[-1] == ("read", "kestra:///a/b/c.txt", "other")
    assert call("fileSize", ctx, "kestra:///a/b/c.txt") == 5
    assert call("fileExists", ctx, "empty.txt") is True
    assert call("fileExists", ctx, "missing.txt") is False
    assert call("isFileEmpty", ctx, "empty.txt") is True
    assert call("isFileEmpty", ctx, "kestra:///a/b/c.txt") is False
    assert call("fileURI", ctx, "scripts/a.py") == "kestra:///company/team/_files/scripts/a.py"
    with pytest.raises(ExpressionError, match="'../'"):
        call("fileURI", ctx, "../secret")
    with pytest.raises(ExpressionError, match="needs the argument 'path'"):
        call("read", ctx)


def test_kv_and_secret() -> None:
    services = FakeServices(store={"k": {"a": 1}})
    ctx = FakeContext({}, services)
    assert call("kv", ctx, "k") == {"a": 1}
    assert services.calls[-1] == ("kv", "k", None, True)  # errorOnMissing defaults to true
    call("kv", ctx, "k", "other.ns", False)
    assert services.calls[-1] == ("kv", "k", "other.ns", False)
    assert call("secret", ctx, "API_KEY") == "s3cr3t"
    call("secret", ctx, key="JSON", namespace="ns", subkey="user")
    assert services.calls[-1] == ("secret", "JSON", "ns", "user")
    with pytest.raises(ExpressionError, match="needs the argument 'key'"):
        call("secret", ctx)
    with pytest.raises(ExpressionError, match="expects a boolean"):
        call("kv", ctx, "k", errorOnMissing="no")


def test_default_services_secret_from_environment() -> None:
    services = DefaultServices(
        {
            "SECRET_API_KEY": base64.b64encode(b"abc").decode(),
            "SECRET_lower_name": base64.b64encode(b"low").decode(),
            "SECRET_JSON": base64.b64encode(b'{"user": "u", "port": 5432, "o": {"a": 1}}').decode(),
            "SECRET_WRAPPED": "YW\nJj",  # line breaks are removed before decoding
            "SECRET_BAD": "not base64!",
        }
    )
    ctx = FakeContext({}, services)
    assert call("secret", ctx, "API_KEY") == "abc"
    assert call("secret", ctx, "api_key") == "abc"  # keys are upper-cased
    assert call("secret", ctx, "LOWER_NAME") == "low"
    assert call("secret", ctx, "WRAPPED") == "abc"
    assert call("secret", ctx, "JSON", subkey="user") == "u"
    assert call("secret", ctx, "JSON", subkey="port") == "5432"
    assert call("secret", ctx, "JSON", subkey="o") == '{"a":1}'
    with pytest.raises(ExpressionError, match="set the environment variable 'SECRET_MISSING'"):
        call("secret", ctx, "missing")
    with pytest.raises(ExpressionError, match="base64"):
        call("secret", ctx, "BAD")
    with pytest.raises(ExpressionError, match="sub-key 'nope'"):
        call("secret", ctx, "JSON", subkey="nope")
    with pytest.raises(ExpressionError, match="valid JSON"):
        call("secret", ctx, "API_KEY", subkey="x")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("read", ("a.txt",)),
        ("fileSize", ("kestra:///x",)),
        ("fileExists", ("x",)),
        ("isFileEmpty", ("x",)),
        ("fileURI", ("x",)),
        ("kv", ("k",)),
        ("errorLogs", ()),
    ],
)
def test_default_services_need_a_run(name: str, args: tuple) -> None:
    ctx = FakeContext({}, DefaultServices({}))
    with pytest.raises(ExpressionError, match="needs a run"):
        call(name, ctx, *args)


def test_tasks_with_state_reads_the_tasks_variable() -> None:
    tasks = {
        "hello": {"state": "FAILED"},
        "ok": {"state": "SUCCESS"},
        "loop": {"a": {"state": "FAILED"}, "b": {"state": "SUCCESS"}},
    }
    ctx = FakeContext({"tasks": tasks})
    assert call("tasksWithState", ctx, "failed") == [
        {"taskId": "hello", "state": "FAILED"},
        {"taskId": "loop", "state": "FAILED", "value": "a"},
    ]
    assert call("tasksWithState", ctx, state="SUCCESS") == [
        {"taskId": "ok", "state": "SUCCESS"},
        {"taskId": "loop", "state": "SUCCESS", "value": "b"},
    ]
    assert call("tasksWithState", FakeContext({}), "FAILED") == [
        {"taskId": "from-services", "state": "FAILED"}
    ]
    with pytest.raises(ExpressionError, match="needs the argument 'state'"):
        call("tasksWithState", ctx)


def test_error_logs() -> None:
    assert call("errorLogs", FakeContext({})) == [
        {"taskId": "t1", "message": "boom", "level": "ERROR"}
    ]


def test_current_each_output() -> None:
    outputs = {"v1": {"inner": {"value": "one"}}, "v2": {"inner": {"value": "two"}}}
    ctx = FakeContext({"parents": [{"taskrun": {"value": "v2"}}], "taskrun": {"value": "inner"}})
    assert call("currentEachOutput", ctx, outputs) == {"value": "two"}
    nested = {"a": {"b": {"c": 42}}}
    ctx = FakeContext(
        {
            "parents": [{"taskrun": {"value": "b"}}, {"taskrun": {"value": "a"}}],  # nearest first
            "taskrun": {"value": "c"},
        }
    )
    assert call("currentEachOutput", ctx, nested) == 42
    flat = FakeContext({"taskrun": {"value": "x"}})
    assert call("currentEachOutput", flat, {"x": {"v": 1}}) == {"v": 1}
    with pytest.raises(ExpressionError, match="no output for the loop value 'y'"):
        call("currentEachOutput", FakeContext({"taskrun": {"value": "y"}}), {"x": 1})
    with pytest.raises(ExpressionError, match="expects a map"):
        call("currentEachOutput", flat, [1])


def test_print_context() -> None:
    ctx = FakeContext({"test": "value", "array": ["a", "b", "c"], "_secrets": "x", "fn": len})
    context = call("printContext", ctx)
    assert context == {"test": "value", "array": ["a", "b", "c"]}  # FetchContextFunctionTest
    assert call("fetchContext", ctx) == context


def test_render_and_render_once() -> None:
    ctx = FakeContext({})
    assert call("render", ctx, "a {{ x }}") == "a X"
    assert ctx.rendered[-1] == ("a {{ x }}", True)
    call("render", ctx, "{{ x }}", False)
    assert ctx.rendered[-1] == ("{{ x }}", False)
    assert call("renderOnce", ctx, "{{ x }}") == "X"
    assert ctx.rendered[-1] == ("{{ x }}", False)
    assert call("render", ctx, {"k {{ x }}": ["{{ x }}", 1]}) == {"k X": ["X", 1]}
    assert call("render", ctx, None) is None
    assert call("render", ctx, 5) == 5
    with pytest.raises(ExpressionError, match="expects a boolean"):
        call("render", ctx, "x", "yes")
    with pytest.raises(ExpressionError, match="needs the argument 'toRender'"):
        call("renderOnce", ctx)


def test_pass_context_decorator() -> None:
    @pass_context
    def fn(ctx: Any, value: Any) -> Any:
        return value

    assert fn.pass_context is True
    assert not getattr(FUNCTIONS["uuid"], "pass_context", False)
    assert not any(getattr(f, "pass_context", False) for f in FILTERS.values())


# --- catalog hygiene ------------------------------------------------------------------------------

KESTRA_FILTERS = {  # Pebble core kept by Kestra + Kestra 1.0.3's Extension.getFilters()
    "abbreviate", "abs", "base64decode", "base64encode", "capitalize", "chunk", "className",
    "date", "dateAdd", "default", "distinct", "endsWith", "escapeChar", "first", "flatten",
    "indent", "join", "jq", "json", "keys", "last", "length", "lower", "md5", "merge",
    "nindent", "number", "numberFormat", "replace", "reverse", "rsort", "sha1", "sha256",
    "sha512", "slice", "slugify", "sort", "split", "startsWith", "string", "substringAfter",
    "substringAfterLast", "substringBefore", "substringBeforeLast", "timestamp",
    "timestampMicro", "timestampMilli", "timestampNano", "title", "toIon", "toJson", "trim",
    "upper", "urldecode", "urlencode", "values", "yaml",
}  # fmt: skip
KESTRA_FUNCTIONS = {
    "currentEachOutput", "decrypt", "encrypt", "errorLogs", "fetchContext", "fileExists",
    "fileSize", "fileURI", "fromIon", "fromJson", "http", "id", "isFileEmpty", "json", "ksuid",
    "kv", "max", "min", "now", "printContext", "randomInt", "randomPort", "range", "read",
    "render", "renderOnce", "secret", "tasksWithState", "uuid", "yaml",
}  # fmt: skip
KESTRA_TESTS = {"defined", "empty", "even", "iterable", "json", "map", "null", "odd"}


def test_catalog_names() -> None:
    assert set(FILTERS) == KESTRA_FILTERS
    assert set(FUNCTIONS) == KESTRA_FUNCTIONS
    assert set(TESTS) == KESTRA_TESTS
    # removed by Kestra or never there
    for name in ("escape", "raw", "numberformat", "round", "jqFirst", "int", "tojson"):
        assert name not in FILTERS
    for kind, name in KESTRA_ABSENT:
        assert name not in (FILTERS if kind == "filter" else FUNCTIONS)


def test_every_name_is_exercised() -> None:
    covered_filters = {c[0] for c in FILTER_CASES}
    covered_functions = {c[0] for c in FUNCTION_CASES} | {c[0] for c in FUNCTION_ERRORS} | {
        "randomInt", "randomPort", "uuid", "id", "ksuid", "now", "encrypt", "decrypt", "read",
        "fileSize", "fileExists", "isFileEmpty", "fileURI", "kv", "secret", "tasksWithState",
        "errorLogs", "currentEachOutput", "printContext", "fetchContext", "render", "renderOnce",
    }  # fmt: skip
    assert set(FILTERS) <= covered_filters, set(FILTERS) - covered_filters
    assert set(FUNCTIONS) - {"http"} <= covered_functions
    assert set(TESTS) <= {c[0] for c in TEST_CASES}


def test_argument_names_are_pebble_names() -> None:
    assert FILTERS["date"].argument_names == ("format", "timeZone", "existingFormat", "locale")
    assert FILTERS["dateAdd"].argument_names == (
        "amount", "unit", "format", "timeZone", "existingFormat", "locale",
    )  # fmt: skip
    assert FILTERS["replace"].argument_names == ("replace_pairs", "regexp")
    assert FILTERS["split"].argument_names == ("delimiter", "limit")
    assert FILTERS["slice"].argument_names == ("fromIndex", "toIndex")
    assert FILTERS["startsWith"].argument_names == ("value",)
    assert FUNCTIONS["kv"].argument_names == ("key", "namespace", "errorOnMissing")
    assert FUNCTIONS["render"].argument_names == ("toRender", "recursive")
    assert FUNCTIONS["range"].argument_names == ("start", "end", "increment")
    assert FUNCTIONS["max"].argument_names == ()


# --- the corpus: every name real flows use is known ---------------------------------------------

_BLOCK = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_KEYWORDS = {"and", "or", "not", "in", "is", "if", "elseif", "for", "set", "macro", "filter",
             "block", "contains", "equals"}  # fmt: skip


def corpus_names() -> dict[str, dict[str, int]]:
    """Count filters, functions and tests used in the corpus (the numbers in this docstring)."""
    counts: dict[str, dict[str, int]] = {"filter": {}, "function": {}, "test": {}}
    macros: set[str] = set()
    for path in sorted(CORPUS.rglob("*.y*ml")):
        text = path.read_text(errors="replace")
        for match in _BLOCK.finditer(text):
            expr = _STRING.sub(
                '""', match.group(1) if match.group(1) is not None else match.group(2)
            )
            macros.update(re.findall(r"^\s*macro\s+([A-Za-z_]\w*)", expr))
            for name in re.findall(r"\|\s*([A-Za-z_]\w*)", expr):
                counts["filter"][name] = counts["filter"].get(name, 0) + 1
            for name in re.findall(r"\bis\s+(?:not\s+)?([A-Za-z_]\w*)", expr):
                counts["test"][name] = counts["test"].get(name, 0) + 1
            for m in re.finditer(r"([A-Za-z_]\w*)\s*\(", expr):
                before = expr[: m.start()].rstrip()
                if before.endswith(("|", ".")) or re.search(r"\bis(\s+not)?$", before):
                    continue
                if m.group(1) not in _KEYWORDS and m.group(1) not in macros:
                    counts["function"][m.group(1)] = counts["function"].get(m.group(1), 0) + 1
    return counts


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not available")
def test_corpus_names_are_known() -> None:
    counts = corpus_names()
    registry = {"filter": FILTERS, "function": FUNCTIONS, "test": TESTS}
    unknown = {
        (kind, name)
        for kind, names in counts.items()
        for name in names
        if name not in registry[kind] and (kind, name) not in KESTRA_ABSENT
    }
    assert not unknown, sorted(unknown)
    assert counts["function"]["secret"] == 1008
    assert counts["filter"]["date"] == 73
    assert counts["test"] == {"defined": 33, "null": 20, "json": 4}


def test_type_name_of_results() -> None:
    # number() results have the Java types Kestra reports (NumberFilterTest), within flowc's model
    assert type_name(FILTERS["number"]("2147483647")) == "java.lang.Integer"
    assert type_name(FILTERS["number"]("9223372036854775807")) == "java.lang.Long"
    assert (
        type_name(FILTERS["number"]("9223372036854775807", "BIGDECIMAL")) == "java.math.BigDecimal"
    )
    assert type_name(FILTERS["number"]("9223372036854775807", "DOUBLE")) == "java.lang.Double"
