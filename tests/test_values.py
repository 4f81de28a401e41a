"""Java/Kestra value semantics (runtime.values) and the runtime exception tree (runtime.errors).

Expected values come from /work/shared/pebble-conformance.json (row ids in comments: P… rows are
Pebble 3.2.4's own tests, Q… rows observed Kestra behaviour), Pebble's OperatorUtils, Java's
documented toString() formats and Kestra's TruthUtils.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from runtime import errors, values
from runtime.errors import (
    ExpressionError,
    FlowcRuntimeError,
    InputError,
    SandboxError,
    StorageError,
    TaskError,
    UndefinedError,
)
from runtime.values import (
    add,
    compare,
    concat,
    contains,
    div,
    equals,
    ge,
    gt,
    is_in,
    is_truthy_string,
    java_double_str,
    java_equals,
    java_hashmap,
    java_str,
    le,
    length,
    lt,
    mod,
    mul,
    neg,
    pebble_truthy,
    pos,
    sub,
    to_json,
    to_string,
    type_name,
)

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")

# --- printing -------------------------------------------------------------------------------------

DOUBLE_STRINGS = [
    (1.5, "1.5"),
    (2.0, "2.0"),  # Q015: a whole Double keeps '.0'
    (3.0, "3.0"),
    (1e10, "1.0E10"),
    (1e-5, "1.0E-5"),
    (10000000.0, "1.0E7"),  # Q014: scientific from 1e7
    (9999999.0, "9999999.0"),
    (0.0001, "1.0E-4"),  # Q014: and below 1e-3
    (0.001, "0.001"),
    (0.1 + 0.2, "0.30000000000000004"),  # Q016
    (123456.789, "123456.789"),
    (1.2345e-7, "1.2345E-7"),
    (-2.5, "-2.5"),
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (1.7976931348623157e308, "1.7976931348623157E308"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
    (math.nan, "NaN"),
]


@pytest.mark.parametrize(("value", "expected"), DOUBLE_STRINGS)
def test_java_double_str(value: float, expected: str) -> None:
    assert java_double_str(value) == expected


TO_STRING = [
    (None, ""),  # Q004
    ('a"b', 'a"b'),  # Q076: strings print raw
    (True, "true"),
    (False, "false"),
    (1, "1"),
    (100000000000, "100000000000"),  # Q017
    (1.0, "1.0"),
    (Decimal("1.50"), "1.50"),
    (Decimal("1E+3"), "1E+3"),  # BigDecimal.toString
    ({"a": 1, "b": [1, 2]}, '{"a":1,"b":[1,2]}'),
    ({"a": None, "b": 1}, '{"b":1}'),  # Q001: NON_NULL inclusion
    ([1, None, "x"], '[1,null,"x"]'),  # Q003: nulls inside lists are kept
    (['a"b', "c/d", "é"], '["a\\"b","c/d","é"]'),  # Q076
    ([], "[]"),  # P616
    ([[], ["test"]], '[[],["test"]]'),  # P629
    ({1: 1}, '{"1":1}'),  # P630: number keys are written as strings
    ({}, "{}"),  # P654
    ({"array": []}, '{"array":[]}'),  # P670
    (dt.datetime(2024, 1, 1, tzinfo=UTC), "2024-01-01T00:00:00Z"),  # Instant.toString
    (dt.datetime(2024, 1, 1, 10, 0, 0, 123000, tzinfo=UTC), "2024-01-01T10:00:00.123Z"),
    (dt.datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC), "2024-01-01T10:00:00.123456Z"),
    (dt.datetime(2024, 1, 1, 10, 0), "2024-01-01T10:00"),  # LocalDateTime.toString drops :00
    (dt.datetime(2024, 1, 1, 10, 0, 5), "2024-01-01T10:00:05"),
    (dt.datetime(2024, 1, 1, 10, 0, tzinfo=PARIS), "2024-01-01T10:00+01:00[Europe/Paris]"),
    (dt.datetime(2024, 7, 1, 10, 0, tzinfo=PARIS), "2024-07-01T10:00+02:00[Europe/Paris]"),
    (dt.date(2024, 1, 1), "2024-01-01"),
    (dt.time(9, 30), "09:30"),
    (dt.timedelta(hours=1, minutes=30), "PT1H30M"),
    (dt.timedelta(seconds=0.5), "PT0.5S"),
]


@pytest.mark.parametrize(("value", "expected"), TO_STRING)
def test_to_string(value: object, expected: str) -> None:
    assert to_string(value) == expected


JSON = [
    (None, "null"),
    ("é\n\t\x01/", '"é\\n\\t\\u0001/"'),  # Jackson: control chars escaped, non-ASCII kept
    (2.0, "2.0"),
    (1e10, "1.0E10"),
    (math.nan, '"NaN"'),  # QUOTE_NON_NUMERIC_NUMBERS
    (Decimal("1.10"), "1.10"),
    ({"a": None}, "{}"),
    ({"a": {"b": None, "c": [None]}}, '{"a":{"c":[null]}}'),
    ((1, 2), "[1,2]"),
    (b"hi", '"aGk="'),  # byte[] as base64
    (dt.datetime(2013, 9, 8, 16, 19, tzinfo=UTC), '"2013-09-08T16:19:00Z"'),
    (dt.datetime(2013, 9, 8, 16, 19, tzinfo=PARIS), '"2013-09-08T16:19:00+02:00"'),
    (dt.datetime(2013, 9, 8, 16, 19), '"2013-09-08T16:19:00"'),
    (dt.date(2013, 9, 8), '"2013-09-08"'),
]


@pytest.mark.parametrize(("value", "expected"), JSON)
def test_to_json(value: object, expected: str) -> None:
    assert to_json(value) == expected


JAVA_STR = [
    (None, "null"),
    ([1, "a", None], "[1, a, null]"),  # AbstractCollection.toString
    ({"Bob": "Marley"}, "{Bob=Marley}"),  # P662: AbstractMap.toString
    (2.0, "2.0"),
    (True, "true"),
]


@pytest.mark.parametrize(("value", "expected"), JAVA_STR)
def test_java_str(value: object, expected: str) -> None:
    assert java_str(value) == expected


# --- truthiness -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("false", False),
        ("0", False),
        ("-0", False),
        ("", False),
        (None, False),
        ("true", True),
        ("False", True),  # TruthUtils compares exactly
        (" ", True),
        ("no", True),
        ("0.0", True),
    ],
)
def test_is_truthy_string(text: str | None, expected: bool) -> None:
    assert is_truthy_string(text) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),  # P505
        (0, False),  # P506
        ("not empty", True),  # P507
        ("false", True),  # Q021: any non-empty string is truthy
        ("", False),  # P508
        (0.000001, True),  # P509
        (0.0, False),  # P510
        (Decimal("0"), False),
        (math.nan, True),  # NaN != 0.0
    ],
)
def test_pebble_truthy(value: object, expected: bool) -> None:
    for where in ("if", "and", "or", "not", "ternary"):
        assert pebble_truthy(value, where) is expected


def test_pebble_truthy_null() -> None:
    assert pebble_truthy(None, "ternary") is False  # TernaryExpression: null is false
    with pytest.raises(ExpressionError, match=r"Wrong operand\(s\) type in conditional"):
        pebble_truthy(None, "if")  # P519
    with pytest.raises(ExpressionError, match="null value used in and operator"):
        pebble_truthy(None, "and")  # P529
    with pytest.raises(ExpressionError, match="null value used in or operator"):
        pebble_truthy(None, "or")
    with pytest.raises(ExpressionError, match=r"null value given to not\(\)"):
        pebble_truthy(None, "not")  # P515


@pytest.mark.parametrize("value", [[], [1], {}, {"a": 1}])
@pytest.mark.parametrize("where", ["if", "and", "or", "not", "ternary"])
def test_pebble_truthy_rejects_collections(value: object, where: str) -> None:
    with pytest.raises(ExpressionError) as info:
        pebble_truthy(value, where)
    if where == "if":  # Q020
        assert "Wrong operand(s) type in conditional expression" in str(info.value)


# --- equality and comparison ------------------------------------------------------------------------

EQUALS = [
    (1, 1.0, True),  # Q023: numbers by value across types
    ("5", 5, False),  # Q023: no string/number coercion
    ("a", "a", True),
    (None, None, True),
    (None, 0, False),
    ([1, 2], [1, 2], True),  # Q024
    ({"a": 1}, {"a": 1}, True),  # Q024
    ([1], [1.0], False),  # List.equals uses Long.equals(Double): false
    (True, 1, False),  # a Boolean is not a Number
    (999999, 999999.0, True),  # P549
    (Decimal("1.0"), 1, True),
]


@pytest.mark.parametrize(("a", "b", "expected"), EQUALS)
def test_equals(a: object, b: object, expected: bool) -> None:
    assert equals(a, b) is expected
    assert equals(b, a) is expected


def test_java_equals_is_type_strict() -> None:
    assert java_equals(1, 1)
    assert not java_equals(1, 1.0)
    assert not java_equals(False, 0)
    assert java_equals(math.nan, math.nan)  # Double.equals
    assert not java_equals(Decimal("1.0"), Decimal("1.00"))  # BigDecimal.equals uses the scale
    assert java_equals({"a": [1]}, {"a": [1]})
    assert not java_equals({"a": 1}, {"b": 1})


@pytest.mark.parametrize(
    ("a", "b", "lt_", "le_", "gt_", "ge_"),
    [
        (3, 2, False, False, True, True),
        (2, 2, False, True, False, True),
        (2, 3.0, True, True, False, False),  # P541
        (1.234, 2.0, True, True, False, False),  # P550
        (None, 2.0, False, False, False, False),  # P552: null compares false, no error
        (3.0, None, False, False, False, False),  # P553
    ],
)
def test_comparisons(a: object, b: object, lt_: bool, le_: bool, gt_: bool, ge_: bool) -> None:
    assert (lt(a, b), le(a, b), gt(a, b), ge(a, b)) == (lt_, le_, gt_, ge_)


def test_compare() -> None:
    assert compare(1, 2) == -1
    assert compare(2.0, 2) == 0
    assert compare(None, 1) is None
    with pytest.raises(ExpressionError, match="only numbers can be compared"):
        compare("a", "b")  # Q025: 1.0.3 compares numbers only
    with pytest.raises(ExpressionError, match="GREATER_THAN"):
        gt("a", 1)


# --- arithmetic ---------------------------------------------------------------------------------

ARITHMETIC = [
    (div, 7, 2, 3),  # Q010: integer division truncates
    (div, 7, 2.0, 3.5),
    (div, -7, 2, -3),  # Q010: toward zero (Python floors to -4)
    (mod, 10, 3, 1),
    (mod, -7, 2, -1),  # Java remainder: sign of the dividend
    (mod, 7, -2, 1),
    (mul, 2, 1.5, 3.0),
    (add, 8, 5 * 4, 28),
    (div, 11, 3, 3),  # P523
    (mod, 4, 3, 1),
    (add, 100.0, 30.0 * 100.0 / 30.0, 200.0),  # P524
    (mod, 100.0, 30.0, 10.0),
    (mod, 100, 30, 10),  # P525
    (div, 1.0, 0, math.inf),  # double division by zero
    (div, -1.0, 0.0, -math.inf),
    (add, 2**63 - 1, 1, -(2**63)),  # long overflow wraps
    (add, Decimal("1.1"), 2, Decimal("3.1")),  # BigDecimal.valueOf(double) on both sides
    (div, Decimal(1), 3, Decimal("0.3333333333333333333333333333333333")),  # DECIMAL128
]


@pytest.mark.parametrize(("op", "a", "b", "expected"), ARITHMETIC)
def test_arithmetic(op, a, b, expected) -> None:
    result = op(a, b)
    assert result == expected
    assert type(result) is type(expected)


def test_add_concatenates_and_appends() -> None:
    assert add("a", 1) == "a1"  # Q008
    assert add(1, "1") == "11"  # Q009
    assert add("key", 1) == "key1"  # P658
    assert add("a", None) == "anull"  # String.valueOf(null)
    assert add("a", [1, 2]) == "a[1, 2]"  # Java toString of the list
    assert add("x", 2.0) == "x2.0"
    assert add([0, 1], 2) == [0, 1, 2]  # P624
    assert add([0, 1], [2, 3]) == [0, 1, 2, 3]  # P625
    assert add([0], {"a": 1}) == [0, {"a": 1}]  # a Map is not a Collection: appended


def test_sub_removes_from_lists() -> None:
    assert sub([0, 1, 2], 1) == [0, 2]  # P626
    assert sub([0, 1, 2], [0, 2, 3]) == [1]  # P627
    assert sub([1, 2, 1], 1) == [2, 1]  # List.remove(Object): first occurrence only
    assert sub([1, 1, 2], [1]) == [2]  # removeAll: every occurrence


@pytest.mark.parametrize(
    ("op", "a", "b", "message"),
    [
        (mul, "ab", 2, "Could not perform multiplication"),  # Q013
        (add, 1, [0, 1], "Could not perform addition"),  # P648
        (sub, 1, [0, 2], "Could not perform subtraction"),  # P649
        (add, {"Bob": "Marley"}, 1, "Could not perform addition"),  # P663
        (sub, {"Bob": "Marley"}, 1, "Could not perform subtraction"),  # P664
        (add, True, 1, "invalid operands"),  # Boolean is not a Number
        (div, 1, 0, "/ by zero"),  # ArithmeticException for longs
        (mod, 1, 0, "/ by zero"),
        (add, None, 1, "invalid operands"),
    ],
)
def test_arithmetic_errors(op, a, b, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        op(a, b)


def test_unary() -> None:
    assert neg(5) == -5  # Q073
    assert pos(5) == 5
    assert neg(2.5) == -2.5
    with pytest.raises(ExpressionError):
        neg("a")


def test_concat() -> None:
    assert concat("x", None) == "x"  # Q007
    assert concat(None, None) == ""
    assert concat("a", 1.0) == "a1.0"
    assert concat("", "?") == "?"  # P503
    assert concat("x", [1, 2]) == "x[1, 2]"  # toString(), not JSON


# --- membership -----------------------------------------------------------------------------------

CONTAINS = [
    ("abc", "b", True),  # Q044
    (None, "John", False),  # P557
    (["Bob", "Maria", "John"], "John", True),  # P556
    ({"Bob": "Bob", "Maria": "Maria"}, "Maria", True),  # P558: keys
    ({"Bob": "Marley"}, "Marley", False),  # values are not searched
    (["Bob", "Maria", "John"], "Cobra", False),  # P559
    ("Bob Maria John", "Cobra", False),  # P560
    ([1, 2], 1, True),  # P565
    ([0, 1, 2], [1, 2], True),  # P644: all of them
    ([0, 1, 2], [1, 5], False),
    ([0, 1, 2], 10, False),  # P645
    ([1, 2], 1.0, False),  # Collection.contains uses equals()
    ("a1", 1, True),  # String.valueOf(item)
]


@pytest.mark.parametrize(("container", "item", "expected"), CONTAINS)
def test_contains(container: object, item: object, expected: bool) -> None:
    assert contains(container, item) is expected


def test_contains_rejects_scalars() -> None:
    with pytest.raises(ExpressionError, match="Contains operator can only be used on"):
        contains(5, 1)


IS_IN = [
    ("a", ["a", "b"], True),
    (1, ["1", "2"], True),  # toString() comparison
    ("1", [1, 2], True),
    ("c", ["a", "b"], False),
    ("k", {"k": "v"}, True),  # map keys...
    ("v", {"k": "v"}, True),  # ... or values
    ("x", {"k": "v"}, False),
    (None, ["a"], False),
    ("a", None, False),
    ("a", "abc", False),  # not a collection
]


@pytest.mark.parametrize(("item", "collection", "expected"), IS_IN)
def test_is_in(item: object, collection: object, expected: bool) -> None:
    assert is_in(item, collection) is expected


# --- types and sizes --------------------------------------------------------------------------------

TYPE_NAMES = [
    ("x", "java.lang.String"),
    (1, "java.lang.Integer"),
    (2**31, "java.lang.Long"),
    (2**63, "java.math.BigInteger"),
    (1.5, "java.lang.Double"),
    (True, "java.lang.Boolean"),
    (Decimal("1"), "java.math.BigDecimal"),
    ([1], "java.util.ArrayList"),
    ({"a": 1}, "java.util.LinkedHashMap"),
    (dt.datetime(2024, 1, 1, tzinfo=UTC), "java.time.Instant"),
    (dt.datetime(2024, 1, 1, tzinfo=PARIS), "java.time.ZonedDateTime"),
    (dt.datetime(2024, 1, 1), "java.time.LocalDateTime"),
    (dt.date(2024, 1, 1), "java.time.LocalDate"),
]


@pytest.mark.parametrize(("value", "expected"), TYPE_NAMES)
def test_type_name(value: object, expected: str) -> None:
    assert type_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("test", 4),  # P440
        ("héllo", 5),  # Q043
        ("😀", 2),  # String.length counts UTF-16 units
        (None, 0),  # Q019
        ({"a": 1}, 1),  # Q019
        ([1, 2, 3], 3),
        (5, 0),
    ],
)
def test_length(value: object, expected: int) -> None:
    assert length(value) == expected


# --- java.util.HashMap order ----------------------------------------------------------------------


def test_java_hashmap_orders_like_java() -> None:
    # Q045: {'b':1,'a':2} prints {"a":2,"b":1}; capacity ceil(2 / 0.75) as MapExpression uses
    assert list(java_hashmap({"b": 1, "a": 2}, math.ceil(2 / 0.75))) == ["a", "b"]
    # merge() of two one-entry maps: new HashMap<>(1 + 1 + 16); "one" hashes to bucket 7, "two" 13
    assert list(java_hashmap([("two", 2), ("one", 1)], 18)) == ["one", "two"]
    # String.hashCode("Hello") = 69609650 (bucket 2 of 16) ; "a" = 97 (bucket 1)
    assert list(java_hashmap([("Hello", 1), ("a", 2)])) == ["a", "Hello"]
    # a later put() of an existing key keeps the value but not a new place
    assert java_hashmap([("a", 1), ("a", 2)]) == {"a": 2}
    # growth: 13 entries exceed 16 * 0.75, the table doubles to 32 buckets
    keys = [f"k{i}" for i in range(13)]
    ordered = list(java_hashmap([(k, 0) for k in keys]))
    assert sorted(ordered) == sorted(keys)
    buckets = [(values._java_hash(k) ^ (values._java_hash(k) >> 16)) & 31 for k in ordered]
    assert buckets == sorted(buckets)


# --- errors -------------------------------------------------------------------------------------


def test_exception_tree() -> None:
    for cls in (ExpressionError, TaskError, InputError, StorageError):
        assert issubclass(cls, FlowcRuntimeError)
    assert issubclass(UndefinedError, ExpressionError)
    assert issubclass(SandboxError, ExpressionError)
    assert set(errors.__all__) == {
        "ExpressionError",
        "FlowcRuntimeError",
        "InputError",
        "SandboxError",
        "StorageError",
        "TaskError",
        "UndefinedError",
    }


@pytest.mark.parametrize(
    "exc",
    [
        ExpressionError("bad filter", "{{ x | nope }}"),
        ExpressionError("no expression"),
        UndefinedError("Unable to find `x`", "x", "{{ x }}"),
        SandboxError("forbidden", "{{ a.getClass() }}"),
        TaskError("task 'a' failed"),
        InputError("input 'n' is missing"),
        StorageError("cannot read"),
    ],
)
def test_errors_pickle(exc: FlowcRuntimeError) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert copy.__dict__ == exc.__dict__
    assert str(copy) == str(exc)
    assert copy.args == exc.args


def test_error_messages() -> None:
    assert str(ExpressionError("bad", "{{ x }}")) == "bad (in `{{ x }}`)"
    assert str(ExpressionError("bad")) == "bad"
    undefined = UndefinedError("Unable to find `x`", "x")
    assert undefined.name == "x" and undefined.expression is None
