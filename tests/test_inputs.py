"""Typed flow inputs and flow outputs (runtime/inputs.py), against KESTRA.md §1.1 and §1.2."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import FlowcRuntimeError, InputError
from runtime.inputs import (
    OutputError,
    parse_cli_inputs,
    render_flow_outputs,
    resolve_inputs,
    secret_input_ids,
    unknown_inputs,
)
from runtime.storage import Storage

NS, FLOW, EXEC = "company.team", "my_flow", "exec1"


def one(spec: dict[str, Any], value: Any = None, *, provided: bool = True, **kw: Any) -> Any:
    """Resolve a single input ``x`` and return its value."""
    spec = {"id": "x", **spec}
    given = {"x": value} if provided else {}
    return resolve_inputs([spec], given, context=kw.pop("context", {}), **kw)["x"]


def problem(spec: dict[str, Any], value: Any = None, *, provided: bool = True, **kw: Any) -> str:
    with pytest.raises(InputError) as info:
        one(spec, value, provided=provided, **kw)
    return str(info.value)


# -- accepted values, by type ---------------------------------------------------------------------

ACCEPTED = [
    # STRING family: strings kept, scalars coerced as Java prints them
    ({"type": "STRING"}, "hello", "hello"),
    ({"type": "STRING"}, 42, "42"),
    ({"type": "STRING"}, 1.0, "1.0"),
    ({"type": "STRING"}, True, "true"),
    ({"type": "STRING"}, "", ""),
    ({"type": "ENUM", "values": ["a", "b"]}, "b", "b"),
    ({"type": "SELECT", "values": ["dev", "prod"]}, "prod", "prod"),
    ({"type": "SELECT", "values": [1, 2]}, 2, "2"),
    ({"type": "SELECT", "values": ["a"], "allowCustomValue": True}, "zzz", "zzz"),
    ({"type": "SECRET"}, "s3cr3t", "s3cr3t"),
    ({"type": "EMAIL"}, "ada@example.com", "ada@example.com"),
    ({"type": "EMAIL"}, "o'brien+tag@mail.example.org", "o'brien+tag@mail.example.org"),
    # STRING validator: a full match, like Java's String.matches
    ({"type": "STRING", "validator": "[a-z]+"}, "abc", "abc"),
    ({"type": "SECRET", "validator": "\\d{4}"}, "1234", "1234"),
    # INT
    ({"type": "INT"}, "42", 42),
    ({"type": "INT"}, "-7", -7),
    ({"type": "INT"}, "+7", 7),
    ({"type": "INT"}, 5, 5),
    ({"type": "INT"}, 3.0, 3),
    ({"type": "INT"}, "2147483647", 2147483647),
    ({"type": "INT", "min": 1, "max": 10}, "1", 1),
    ({"type": "INT", "min": 1, "max": 10}, "10", 10),
    # FLOAT
    ({"type": "FLOAT"}, "1.5", 1.5),
    ({"type": "FLOAT"}, "2", 2.0),
    ({"type": "FLOAT"}, "1e3", 1000.0),
    ({"type": "FLOAT"}, ".5", 0.5),
    ({"type": "FLOAT"}, 3, 3.0),
    ({"type": "FLOAT", "min": 0.5, "max": 1.5}, "0.5", 0.5),
    # BOOLEAN / BOOL
    ({"type": "BOOLEAN"}, "true", True),
    ({"type": "BOOLEAN"}, "FALSE", False),
    ({"type": "BOOLEAN"}, "True", True),
    ({"type": "BOOL"}, False, False),
    # DATETIME: normalised like Instant.toString
    ({"type": "DATETIME"}, "2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"),
    ({"type": "DATETIME"}, "2024-01-15T10:00Z", "2024-01-15T10:00:00Z"),
    ({"type": "DATETIME"}, "2024-01-15T10:00:00+02:00", "2024-01-15T08:00:00Z"),
    ({"type": "DATETIME"}, "2024-01-15T01:00:00-05:30", "2024-01-15T06:30:00Z"),
    ({"type": "DATETIME"}, "2024-01-15T10:00:00.5Z", "2024-01-15T10:00:00.500Z"),
    ({"type": "DATETIME"}, "2024-01-15T10:00:00.1234Z", "2024-01-15T10:00:00.123400Z"),
    ({"type": "DATETIME"}, "2024-01-15T10:00:00.123456789Z", "2024-01-15T10:00:00.123456789Z"),
    (
        {"type": "DATETIME", "after": "2024-01-01T00:00:00Z", "before": "2024-12-31T00:00:00Z"},
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z",
    ),
    # DATE / TIME
    ({"type": "DATE"}, "2024-02-29", "2024-02-29"),
    ({"type": "DATE", "after": "2024-01-01", "before": "2024-12-31"}, "2024-12-31", "2024-12-31"),
    ({"type": "TIME"}, "10:30", "10:30:00"),
    ({"type": "TIME"}, "10:30:15", "10:30:15"),
    ({"type": "TIME"}, "23:59:59.250", "23:59:59.25"),
    ({"type": "TIME", "after": "09:00", "before": "17:00"}, "09:00:00", "09:00:00"),
    # DURATION: validated, printed like Duration.toString
    ({"type": "DURATION"}, "PT5M", "PT5M"),
    ({"type": "DURATION"}, "P1D", "PT24H"),
    ({"type": "DURATION"}, "P1DT2H", "PT26H"),
    ({"type": "DURATION"}, "PT1H30M", "PT1H30M"),
    ({"type": "DURATION"}, "pt90s", "PT1M30S"),
    ({"type": "DURATION"}, "PT0.5S", "PT0.5S"),
    ({"type": "DURATION"}, "-PT1.5S", "PT-1.5S"),
    ({"type": "DURATION", "min": "PT1M", "max": "PT1H"}, "PT60M", "PT1H"),
    # JSON / YAML: parsed from strings, other values kept
    ({"type": "JSON"}, '{"a": [1, 2], "b": null}', {"a": [1, 2], "b": None}),
    ({"type": "JSON"}, "[1, 2]", [1, 2]),
    ({"type": "JSON"}, "3", 3),
    ({"type": "JSON"}, {"already": "parsed"}, {"already": "parsed"}),
    ({"type": "YAML"}, "a: 1\nb: [x, y]\n", {"a": 1, "b": ["x", "y"]}),
    ({"type": "YAML"}, "when: 2024-01-15", {"when": "2024-01-15"}),  # no timestamps
    ({"type": "YAML"}, "flag: yes\non: 010", {"flag": "yes", "on": 10}),  # YAML 1.2, as Jackson
    ({"type": "YAML"}, ["kept"], ["kept"]),
    # URI: Kestra's URI_PATTERN
    ({"type": "URI"}, "https://kestra.io/docs", "https://kestra.io/docs"),
    ({"type": "URI"}, "ftp://files.example.com/a/b.csv", "ftp://files.example.com/a/b.csv"),
    ({"type": "URI"}, "http://127.0.0.1:8080/x?y=1", "http://127.0.0.1:8080/x?y=1"),
    # MULTISELECT: JSON list, comma-separated or list; items in `values`
    ({"type": "MULTISELECT", "values": ["a", "b", "c"]}, '["a", "c"]', ["a", "c"]),
    ({"type": "MULTISELECT", "values": ["a", "b", "c"]}, "a, b", ["a", "b"]),
    ({"type": "MULTISELECT", "values": ["a", "b", "c"]}, ["c"], ["c"]),
    ({"type": "MULTISELECT", "values": ["a", "b"]}, "", []),
    ({"type": "MULTISELECT", "options": ["a", "b"]}, "b", ["b"]),
    ({"type": "MULTISELECT", "values": ["a"], "allowCustomValue": True}, "a,z", ["a", "z"]),
    ({"type": "MULTISELECT", "values": ["1", "2"], "itemType": "INT"}, "1,2", [1, 2]),
    # ARRAY: JSON string or list, each item parsed to itemType
    ({"type": "ARRAY", "itemType": "INT"}, "[1, 2, 3]", [1, 2, 3]),
    ({"type": "ARRAY", "itemType": "INT"}, ["1", 2], [1, 2]),
    ({"type": "ARRAY", "itemType": "STRING"}, ["a", 1], ["a", "1"]),
    ({"type": "ARRAY", "itemType": "DATE"}, '["2024-01-01"]', ["2024-01-01"]),
    ({"type": "ARRAY", "itemType": "JSON"}, '[{"a": 1}]', [{"a": 1}]),
    ({"type": "ARRAY", "itemType": "BOOLEAN"}, ["true", False], [True, False]),
]


@pytest.mark.parametrize(("spec", "value", "expected"), ACCEPTED)
def test_accepted(spec: dict[str, Any], value: Any, expected: Any) -> None:
    result = one(spec, value)
    assert result == expected
    assert type(result) is type(expected)


def test_lower_case_type_names_are_accepted() -> None:
    assert one({"type": "int"}, "3") == 3


# -- rejected values, by type ---------------------------------------------------------------------

REJECTED = [
    ({"type": "STRING"}, {"a": 1}, "'x' must be a string (got a map)"),
    ({"type": "STRING"}, [1], "'x' must be a string (got a list)"),
    (
        {"type": "STRING", "validator": "[a-z]+"},
        "abc1",
        "'x' must match the validator '[a-z]+' (got 'abc1')",
    ),
    ({"type": "STRING", "validator": "b"}, "abc", "must match the validator 'b'"),  # full match
    ({"type": "STRING", "validator": "("}, "a", "validator that is not a valid regular expression"),
    (
        {"type": "SELECT", "values": ["dev", "prod"]},
        "test",
        "'x' must be one of 'dev', 'prod' (got 'test')",
    ),
    ({"type": "ENUM", "values": ["a"]}, "b", "must be one of 'a'"),
    ({"type": "EMAIL"}, "not-an-email", "'x' must be an email address (got 'not-an-email')"),
    ({"type": "EMAIL"}, "a@b c", "must be an email address"),
    ({"type": "INT"}, "abc", "'x' must be an integer (got 'abc')"),
    ({"type": "INT"}, "1.5", "'x' must be an integer (got '1.5')"),
    ({"type": "INT"}, 1.5, "'x' must be an integer (got 1.5)"),
    ({"type": "INT"}, True, "'x' must be an integer (got true)"),
    ({"type": "INT"}, "1_000", "must be an integer"),
    ({"type": "INT"}, "2147483648", "must be an integer between -2147483648 and 2147483647"),
    ({"type": "INT", "min": 1}, "0", "'x' must be >= 1 (got '0')"),
    ({"type": "INT", "max": 10}, 11, "'x' must be <= 10 (got 11)"),
    ({"type": "INT", "min": "one"}, 1, "'x' has an invalid 'min' bound 'one'"),
    ({"type": "FLOAT"}, "abc", "'x' must be a number (got 'abc')"),
    ({"type": "FLOAT"}, "nan", "must be a number"),
    ({"type": "FLOAT"}, "Infinity", "must be a number"),
    ({"type": "FLOAT"}, False, "must be a number"),
    ({"type": "FLOAT", "min": 0.5}, "0.25", "'x' must be >= 0.5 (got '0.25')"),
    ({"type": "FLOAT", "max": 1.5}, 2, "'x' must be <= 1.5 (got 2)"),
    ({"type": "BOOLEAN"}, "yes", "'x' must be true or false (got 'yes')"),
    ({"type": "BOOL"}, 1, "must be true or false (got 1)"),
    (
        {"type": "DATETIME"},
        "2024-01-15",
        "'x' must be an ISO-8601 instant such as 2024-01-15T10:00:00Z",
    ),
    ({"type": "DATETIME"}, "2024-01-15T10:00:00", "must be an ISO-8601 instant"),  # no zone
    ({"type": "DATETIME"}, "2024-13-15T10:00:00Z", "must be an ISO-8601 instant"),
    ({"type": "DATETIME"}, "2024-01-15 10:00:00Z", "must be an ISO-8601 instant"),
    ({"type": "DATETIME"}, 1700000000, "must be an ISO-8601 instant"),
    (
        {"type": "DATETIME", "after": "2024-01-01T00:00:00Z"},
        "2023-12-31T23:59:59.999Z",
        "'x' must not be before 2024-01-01T00:00:00Z (got 2023-12-31T23:59:59.999Z)",
    ),
    (
        {"type": "DATETIME", "before": "2024-01-01T00:00:00Z"},
        "2024-01-01T01:00:00+00:30",
        "'x' must not be after 2024-01-01T00:00:00Z (got 2024-01-01T00:30:00Z)",
    ),
    ({"type": "DATE"}, "2024-02-30", "'x' must be a date such as 2024-01-15 (got '2024-02-30')"),
    ({"type": "DATE"}, "15/01/2024", "must be a date"),
    ({"type": "DATE"}, "2024-01-15T00:00:00Z", "must be a date"),
    (
        {"type": "DATE", "after": "2024-01-01"},
        "2023-12-31",
        "'x' must not be before 2024-01-01 (got 2023-12-31)",
    ),
    (
        {"type": "DATE", "before": "2024-01-01"},
        "2024-01-02",
        "'x' must not be after 2024-01-01 (got 2024-01-02)",
    ),
    ({"type": "DATE", "after": "soon"}, "2024-01-02", "'x' has an invalid 'after' bound 'soon'"),
    ({"type": "TIME"}, "25:00", "'x' must be a time such as 10:30:00 (got '25:00')"),
    ({"type": "TIME"}, "10h30", "must be a time"),
    (
        {"type": "TIME", "after": "09:00"},
        "08:59:59",
        "'x' must not be before 09:00:00 (got 08:59:59)",
    ),
    (
        {"type": "TIME", "before": "17:00"},
        "17:00:01",
        "'x' must not be after 17:00:00 (got 17:00:01)",
    ),
    ({"type": "DURATION"}, "5 minutes", "'x' must be an ISO-8601 duration such as PT5M"),
    ({"type": "DURATION"}, "P1W", "must be an ISO-8601 duration"),  # java.time.Duration: no weeks
    ({"type": "DURATION"}, "P1M", "must be an ISO-8601 duration"),  # nor months
    ({"type": "DURATION"}, "PT", "must be an ISO-8601 duration"),
    ({"type": "DURATION"}, "P1DT", "must be an ISO-8601 duration"),
    ({"type": "DURATION"}, 300, "must be an ISO-8601 duration"),
    ({"type": "DURATION", "min": "PT1M"}, "PT30S", "'x' must be at least PT1M (got PT30S)"),
    ({"type": "DURATION", "max": "PT1H"}, "P1D", "'x' must be at most PT1H (got PT24H)"),
    ({"type": "JSON"}, "{not json", "'x' must be valid JSON"),
    ({"type": "JSON"}, "NaN", "must be valid JSON"),
    ({"type": "YAML"}, "a: [1,", "'x' must be valid YAML"),
    (
        {"type": "URI"},
        "not a uri",
        "'x' must be a URI such as https://example.com/path (got 'not a uri')",
    ),
    ({"type": "URI"}, "http://localhost:8080/x", "must be a URI"),  # Kestra's pattern needs a dot
    ({"type": "URI"}, "HTTP://example.com", "must be a URI"),  # lower-case scheme only
    ({"type": "URI"}, "s3://bucket.data/a.csv", "must be a URI"),  # letters only: [a-z]+://
    (
        {"type": "MULTISELECT", "values": ["a", "b"]},
        "a,z",
        "'x' has the value 'z', which is not one of 'a', 'b'",
    ),
    ({"type": "MULTISELECT", "values": ["a"]}, '["a", ', "'x' must be a JSON list"),
    (
        {"type": "MULTISELECT", "values": ["a"]},
        {"a": 1},
        "'x' must be a list, a JSON list or comma-separated values",
    ),
    (
        {"type": "MULTISELECT", "values": ["1"], "itemType": "INT"},
        "1,x",
        "'x' item 1 must be an integer (got 'x')",
    ),
    ({"type": "ARRAY", "itemType": "INT"}, "[1, 'two']", "'x' must be a JSON list"),
    (
        {"type": "ARRAY", "itemType": "INT"},
        '[1, "two"]',
        "'x' item 1 must be an integer (got 'two')",
    ),
    ({"type": "ARRAY", "itemType": "INT"}, "1,2", "'x' must be a list or a JSON list"),
    ({"type": "ARRAY", "itemType": "INT"}, '{"a": 1}', "must be a list or a JSON list"),
    (
        {"type": "ARRAY", "itemType": "DATE"},
        ["2024-01-01", "tomorrow"],
        "'x' item 1 must be a date",
    ),
    ({"type": "ARRAY", "itemType": "FILE"}, ["a"], "'x' cannot hold items of type FILE"),
    ({"type": "NUMBER"}, "1", "'x' has an unknown type 'NUMBER'"),
    ({}, "1", "'x' has no type"),
]


@pytest.mark.parametrize(("spec", "value", "message"), REJECTED)
def test_rejected(spec: dict[str, Any], value: Any, message: str) -> None:
    text = problem(spec, value)
    assert text.startswith("invalid inputs: ")
    assert message in text


def test_secret_values_are_never_echoed() -> None:
    text = problem({"type": "SECRET", "validator": "\\d{4}"}, "hunter2")
    assert text == "invalid inputs: 'x' must match the validator '\\d{4}' (got a hidden value)"
    assert "hunter2" not in text


def test_select_values_from_an_expression() -> None:
    spec = {"type": "SELECT", "expression": "{{ vars.envs }}"}
    context = {"vars": {"envs": ["dev", "prod"]}}
    assert one(spec, "prod", context=context) == "prod"
    assert "must be one of 'dev', 'prod'" in problem(spec, "qa", context=context)
    bad = {"type": "SELECT", "expression": "{{ vars.one }}"}
    assert "gave a str, not a list" in problem(bad, "a", context={"vars": {"one": "x"}})


def test_auto_select_first() -> None:
    spec = {"type": "SELECT", "values": ["first", "second"], "autoSelectFirst": True}
    assert one(spec, provided=False) == "first"


# -- required, optional, defaults ------------------------------------------------------------------


def test_missing_required_input() -> None:
    text = problem({"type": "STRING"}, provided=False)
    assert text == "invalid inputs: missing required input 'x'"


def test_none_counts_as_not_provided() -> None:
    assert "missing required input 'x'" in problem({"type": "STRING"}, None)
    assert one({"type": "INT", "defaults": 3}, None) == 3


def test_optional_input_is_defined_as_none() -> None:
    result = resolve_inputs([{"id": "x", "type": "INT", "required": False}], {}, context={})
    assert result == {"x": None}


def test_defaults_are_parsed_by_type() -> None:
    assert one({"type": "INT", "defaults": "7"}, provided=False) == 7
    assert one({"type": "BOOLEAN", "defaults": True}, provided=False) is True
    assert one({"type": "JSON", "defaults": {"a": 1}}, provided=False) == {"a": 1}
    assert one({"type": "ARRAY", "itemType": "INT", "defaults": [1, "2"]}, provided=False) == [1, 2]
    assert one({"type": "DURATION", "defaults": "P1D"}, provided=False) == "PT24H"


def test_provided_value_wins_over_default() -> None:
    assert one({"type": "INT", "defaults": 7}, "8") == 8


def test_invalid_default_is_reported() -> None:
    assert "'x' must be an integer (got 'seven')" in problem(
        {"type": "INT", "defaults": "seven"}, provided=False
    )


def test_default_expressions_render_against_context_and_earlier_inputs() -> None:
    declared = [
        {"id": "name", "type": "STRING"},
        {
            "id": "greeting",
            "type": "STRING",
            "defaults": "Hello {{ inputs.name }} from {{ flow.id }}",
        },
        {"id": "n", "type": "INT", "defaults": "{{ inputs.name | length }}"},
        {"id": "cfg", "type": "JSON", "defaults": "{{ vars.cfg }}"},
        {
            "id": "copy",
            "type": "ARRAY",
            "itemType": "STRING",
            "defaults": ["{{ inputs.name }}", "b"],
        },
    ]
    context = {"flow": {"id": "f1"}, "vars": {"cfg": {"k": [1]}}}
    result = resolve_inputs(declared, {"name": "Ada"}, context=context)
    assert result == {
        "name": "Ada",
        "greeting": "Hello Ada from f1",
        "n": 3,
        "cfg": {"k": [1]},
        "copy": ["Ada", "b"],
    }


def test_default_datetime_from_now() -> None:
    value = one({"type": "DATETIME", "defaults": "{{ now() }}"}, provided=False)
    assert value.endswith("Z") and value[10] == "T"


def test_default_that_fails_to_render() -> None:
    text = problem({"type": "STRING", "defaults": "{{ nope.x }}"}, provided=False)
    assert text.startswith("invalid inputs: 'x' has a default that failed to render: ")
    assert "nope" in text


def test_literal_braces_in_defaults_are_not_rendered() -> None:
    assert one({"type": "STRING", "defaults": "{a}"}, provided=False) == "{a}"


# -- dotted ids ------------------------------------------------------------------------------------


def test_dotted_ids_become_nested_maps() -> None:
    declared = [
        {"id": "db.host", "type": "STRING"},
        {"id": "db.port", "type": "INT", "defaults": 5432},
        {"id": "url", "type": "STRING", "defaults": "{{ inputs.db.host }}:{{ inputs.db.port }}"},
    ]
    result = resolve_inputs(declared, {"db.host": "pg"}, context={})
    assert result == {"db": {"host": "pg", "port": 5432}, "url": "pg:5432"}


def test_dotted_ids_read_nested_provided_values() -> None:
    declared = [{"id": "db.port", "type": "INT"}]
    assert resolve_inputs(declared, {"db": {"port": "1"}}, context={}) == {"db": {"port": 1}}


def test_clashing_dotted_ids() -> None:
    declared = [{"id": "a", "type": "STRING"}, {"id": "a.b", "type": "STRING"}]
    with pytest.raises(InputError, match="input ids 'a' and 'a.b' clash"):
        resolve_inputs(declared, {"a": "x", "a.b": "y"}, context={})


def test_duplicate_ids() -> None:
    declared = [{"id": "a", "type": "STRING"}, {"id": "a", "type": "INT"}]
    with pytest.raises(InputError, match="input 'a' is declared twice"):
        resolve_inputs(declared, {"a": "1"}, context={})


def test_name_is_an_alias_of_id() -> None:
    assert resolve_inputs([{"name": "old", "type": "INT"}], {"old": "1"}, context={}) == {"old": 1}


# -- dependsOn -------------------------------------------------------------------------------------

DEPENDS = [
    {"id": "cloud", "type": "SELECT", "values": ["aws", "gcp"]},
    {
        "id": "region",
        "type": "STRING",
        "dependsOn": {"inputs": ["cloud"], "condition": "{{ inputs.cloud == 'aws' }}"},
    },
    {"id": "zone", "type": "STRING", "required": False, "dependsOn": {"inputs": ["region"]}},
]


def test_depends_on_condition_true() -> None:
    result = resolve_inputs(DEPENDS, {"cloud": "aws", "region": "eu-west-1"}, context={})
    assert result == {"cloud": "aws", "region": "eu-west-1", "zone": None}


def test_depends_on_condition_false_disables_the_input_and_its_dependents() -> None:
    # region is required but disabled: no error, absent; zone depends on region: absent too
    result = resolve_inputs(DEPENDS, {"cloud": "gcp", "region": "ignored"}, context={})
    assert result == {"cloud": "gcp"}


@pytest.mark.parametrize(
    ("condition", "enabled"),
    [
        ("{{ true }}", True),
        ("{{ false }}", False),
        ("false", False),
        ("0", False),
        ("-0", False),
        ("", False),
        ("{{ null }}", False),
        ("{{ 0 }}", False),
        ("{{ 'no' }}", True),
        ("{{ 1 }}", True),
        ("yes {{ false }}", True),
        ("{{ 'false' }}\n", False),
    ],
)
def test_depends_on_condition_truthiness(condition: str, enabled: bool) -> None:
    spec = {"id": "x", "type": "STRING", "defaults": "v", "dependsOn": {"condition": condition}}
    assert ("x" in resolve_inputs([spec], {}, context={})) is enabled


def test_depends_on_resolves_later_declared_inputs_first() -> None:
    declared = [
        {
            "id": "b",
            "type": "STRING",
            "defaults": "{{ inputs.a }}!",
            "dependsOn": {"inputs": ["a"]},
        },
        {"id": "a", "type": "STRING", "defaults": "A"},
    ]
    assert resolve_inputs(declared, {}, context={}) == {"b": "A!", "a": "A"}


def test_depends_on_a_failed_input_reports_only_the_cause() -> None:
    declared = [
        {"id": "n", "type": "INT"},
        {
            "id": "m",
            "type": "INT",
            "dependsOn": {"inputs": ["n"], "condition": "{{ inputs.n > 1 }}"},
        },
    ]
    with pytest.raises(InputError) as info:
        resolve_inputs(declared, {"n": "abc", "m": "1"}, context={})
    assert info.value.problems == ["'n' must be an integer (got 'abc')"]


def test_depends_on_cycle() -> None:
    declared = [
        {"id": "a", "type": "STRING", "defaults": "1", "dependsOn": {"inputs": ["b"]}},
        {"id": "b", "type": "STRING", "defaults": "2", "dependsOn": {"inputs": ["a"]}},
    ]
    with pytest.raises(InputError, match="depends on itself"):
        resolve_inputs(declared, {}, context={})


def test_depends_on_condition_that_fails_to_render() -> None:
    spec = {"id": "x", "type": "STRING", "dependsOn": {"condition": "{{ inputs.ghost == 1 }}"}}
    with pytest.raises(InputError, match="'x' has a dependsOn.condition that failed to render"):
        resolve_inputs([spec], {"x": "v"}, context={})


# -- several problems at once ----------------------------------------------------------------------


def test_all_problems_are_reported_in_one_error() -> None:
    declared = [
        {"id": "n", "type": "INT"},
        {"id": "url", "type": "URI"},
        {"id": "ok", "type": "STRING"},
    ]
    with pytest.raises(InputError) as info:
        resolve_inputs(declared, {"n": "abc", "ok": "fine", "extra": 1}, context={})
    assert str(info.value) == (
        "invalid inputs: 'n' must be an integer (got 'abc'); missing required input 'url'"
    )
    assert info.value.problems == [
        "'n' must be an integer (got 'abc')",
        "missing required input 'url'",
    ]


def test_many_problems_are_listed_one_per_line() -> None:
    declared = [{"id": f"i{k}", "type": "INT"} for k in range(4)]
    with pytest.raises(InputError) as info:
        resolve_inputs(declared, {"i0": "a", "i1": "b"}, context={})
    assert str(info.value) == (
        "invalid inputs:\n"
        "  - 'i0' must be an integer (got 'a')\n"
        "  - 'i1' must be an integer (got 'b')\n"
        "  - missing required input 'i2'\n"
        "  - missing required input 'i3'"
    )


def test_input_error_pickles_with_its_problems() -> None:
    with pytest.raises(InputError) as info:
        one({"type": "INT"}, "abc")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is InputError
    assert str(again) == str(info.value)
    assert again.problems == ["'x' must be an integer (got 'abc')"]


def test_undeclared_inputs_are_dropped_and_named() -> None:
    declared = [{"id": "a", "type": "STRING"}, {"id": "db.port", "type": "INT"}]
    provided = {"a": "1", "db": {"port": "2", "user": "u"}, "zzz": 1}
    assert resolve_inputs(declared, provided, context={}) == {"a": "1", "db": {"port": 2}}
    assert unknown_inputs(declared, provided) == ["db.user", "zzz"]


def test_no_inputs() -> None:
    assert resolve_inputs(None, {"a": 1}, context={}) == {}
    assert resolve_inputs([], None, context={}) == {}


def test_secret_input_ids() -> None:
    declared = [
        {"id": "pw", "type": "SECRET"},
        {"id": "api.token", "type": "secret"},
        {"id": "user", "type": "STRING"},
    ]
    assert secret_input_ids(declared) == {"pw", "api.token"}
    assert secret_input_ids(None) == set()


# -- FILE inputs -----------------------------------------------------------------------------------


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage(tmp_path / "storage")


def file_kw(storage: Storage) -> dict[str, Any]:
    return {"storage": storage, "namespace": NS, "flow_id": FLOW, "execution_id": EXEC}


def test_file_input_is_uploaded(tmp_path: Path, storage: Storage) -> None:
    local = tmp_path / "data.csv"
    local.write_text("a,b\n1,2\n")
    uri = one({"type": "FILE"}, str(local), **file_kw(storage))
    assert uri == storage.input_uri(NS, FLOW, EXEC, "x", "data.csv")
    assert uri.startswith("kestra:///company/team/")
    assert storage.read_text(uri) == "a,b\n1,2\n"


def test_file_input_from_a_file_url(tmp_path: Path, storage: Storage) -> None:
    local = tmp_path / "my file.txt"
    local.write_text("hi")
    uri = one({"type": "FILE"}, local.as_uri(), **file_kw(storage))
    assert uri.endswith("/inputs/x/my file.txt")
    assert storage.read_text(uri) == "hi"


def test_file_input_from_a_default(tmp_path: Path, storage: Storage) -> None:
    local = tmp_path / "d.txt"
    local.write_text("d")
    uri = one({"type": "FILE", "defaults": local.as_uri()}, provided=False, **file_kw(storage))
    assert storage.read_text(uri) == "d"


def test_file_input_with_an_existing_kestra_uri(storage: Storage) -> None:
    stored = storage.put_bytes(storage.input_uri(NS, FLOW, "older", "x", "f.bin"), b"\x00")
    assert one({"type": "FILE"}, stored, **file_kw(storage)) == stored


def test_file_input_errors(tmp_path: Path, storage: Storage) -> None:
    missing = tmp_path / "nope.csv"
    text = problem({"type": "FILE"}, str(missing), **file_kw(storage))
    assert f"'x' names a file that does not exist: '{missing}'" in text
    gone = "kestra:///company/team/my-flow/executions/e/inputs/x/gone.txt"
    assert "does not exist in internal storage" in problem(
        {"type": "FILE"}, gone, **file_kw(storage)
    )
    assert "must be a local file path" in problem(
        {"type": "FILE"}, "http://example.com/a.csv", **file_kw(storage)
    )
    assert "must be a file path or a kestra:// URI (got 3)" in problem(
        {"type": "FILE"}, 3, **file_kw(storage)
    )
    local = tmp_path / "ok.txt"
    local.write_text("x")
    assert "no internal storage was given" in problem({"type": "FILE"}, str(local))


def test_file_is_not_uploaded_when_another_input_is_invalid(
    tmp_path: Path, storage: Storage
) -> None:
    local = tmp_path / "data.csv"
    local.write_text("x")
    declared = [{"id": "f", "type": "FILE"}, {"id": "n", "type": "INT"}]
    with pytest.raises(InputError, match="'n' must be an integer"):
        resolve_inputs(declared, {"f": str(local), "n": "x"}, context={}, **file_kw(storage))
    assert storage.list(storage.execution_prefix(NS, FLOW, EXEC)) == []


def test_file_uri_is_visible_to_later_defaults(tmp_path: Path, storage: Storage) -> None:
    local = tmp_path / "data.csv"
    local.write_text("x")
    declared = [
        {"id": "f", "type": "FILE"},
        {"id": "where", "type": "STRING", "defaults": "{{ inputs.f }}"},
    ]
    result = resolve_inputs(declared, {"f": str(local)}, context={}, **file_kw(storage))
    assert result["where"] == result["f"] == storage.input_uri(NS, FLOW, EXEC, "f", "data.csv")


# -- parse_cli_inputs ------------------------------------------------------------------------------


def test_cli_pairs() -> None:
    assert parse_cli_inputs(["a=1", "b=x=y", "c=", " d =v"]) == {
        "a": "1",
        "b": "x=y",
        "c": "",
        "d": "v",
    }
    assert parse_cli_inputs(["a=1", "a=2"]) == {"a": "2"}


@pytest.mark.parametrize("pair", ["novalue", "=v", ""])
def test_cli_bad_pair(pair: str) -> None:
    with pytest.raises(InputError) as info:
        parse_cli_inputs([pair])
    assert str(info.value) == f"--input expects key=value, got '{pair}'"


def test_cli_files_json_and_yaml(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_text(json.dumps({"n": 3, "tags": ["x"], "shared": "json", "cfg": {"k": None}}))
    second = tmp_path / "b.yaml"
    second.write_text("shared: yaml\nflag: true\nwhen: 2024-01-15T10:00:00Z\nday: 2024-01-15\n")
    result = parse_cli_inputs(["shared=pair"], [str(first), str(second)])
    assert result == {
        "n": 3,
        "tags": ["x"],
        "cfg": {"k": None},
        "shared": "pair",  # pairs win over files
        "flag": True,
        "when": "2024-01-15T10:00:00Z",  # YAML timestamps stay strings
        "day": "2024-01-15",
    }
    assert parse_cli_inputs([], [str(first), str(second)])["shared"] == "yaml"  # later file wins


def test_cli_file_values_keep_their_types_through_resolution(tmp_path: Path) -> None:
    path = tmp_path / "in.yml"
    path.write_text("n: 3\nratio: 0.5\non: true\nitems: [1, 2]\nwhen: 2024-01-15T12:00:00+01:00\n")
    declared = [
        {"id": "n", "type": "INT"},
        {"id": "ratio", "type": "FLOAT"},
        {"id": "on", "type": "BOOLEAN"},
        {"id": "items", "type": "ARRAY", "itemType": "INT"},
        {"id": "when", "type": "DATETIME"},
    ]
    assert resolve_inputs(declared, parse_cli_inputs([], [str(path)]), context={}) == {
        "n": 3,
        "ratio": 0.5,
        "on": True,
        "items": [1, 2],
        "when": "2024-01-15T11:00:00Z",
    }


def test_cli_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read inputs file"):
        parse_cli_inputs([], [str(tmp_path / "missing.json")])
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(InputError, match="inputs file '.*bad.json' is not valid JSON or YAML"):
        parse_cli_inputs([], [str(bad)])
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="must hold a mapping .* got a list"):
        parse_cli_inputs([], [str(listed)])
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert parse_cli_inputs(["a=1"], [str(empty)]) == {"a": "1"}


# -- flow outputs ----------------------------------------------------------------------------------

OUT_CONTEXT = {
    "outputs": {
        "count": {"value": "42"},
        "rows": {"rows": [{"id": 1}, {"id": 2}]},
        "file": {"uri": "kestra:///company/team/my-flow/executions/e/tasks/t/r/out.csv"},
    },
    "execution": {"startDate": "2024-01-15T10:00:00.123Z"},
}


def test_flow_outputs_are_typed() -> None:
    declared = [
        {"id": "count", "type": "INT", "value": "{{ outputs.count.value }}"},
        {"id": "rows", "type": "JSON", "value": "{{ outputs.rows.rows }}"},
        {
            "id": "ids",
            "type": "ARRAY",
            "itemType": "INT",
            "value": "{{ outputs.rows.rows | jq('.[].id') }}",
        },
        {"id": "ok", "type": "BOOLEAN", "value": "{{ outputs.count.value == '42' }}"},
        {"id": "ratio", "type": "FLOAT", "value": 0.5},
        {"id": "started", "type": "DATETIME", "value": "{{ execution.startDate }}"},
        {"id": "took", "type": "DURATION", "value": "P1D"},
        {"id": "file", "type": "FILE", "value": "{{ outputs.file.uri }}"},
        {"id": "summary", "type": "STRING", "value": "{{ outputs.count.value }} rows"},
        {"id": "literal", "type": "JSON", "value": {"k": ["{{ outputs.count.value }}", 1]}},
        {"id": "untyped", "value": "{{ outputs.count.value }}"},
    ]
    outputs, warnings = render_flow_outputs(declared, OUT_CONTEXT)
    assert warnings == []
    assert outputs == {
        "count": 42,
        "rows": [{"id": 1}, {"id": 2}],
        "ids": [1, 2],
        "ok": True,
        "ratio": 0.5,
        "started": "2024-01-15T10:00:00.123Z",
        "took": "PT24H",
        "file": OUT_CONTEXT["outputs"]["file"]["uri"],
        "summary": "42 rows",
        "literal": {"k": ["42", 1]},
        "untyped": "42",
    }


def test_optional_output_that_fails_to_render_is_null_with_a_warning() -> None:
    declared = [
        {"id": "count", "type": "INT", "value": "{{ outputs.count.value }}"},
        {
            "id": "maybe",
            "type": "STRING",
            "value": "{{ outputs.skipped.value }}",
            "required": False,
        },
    ]
    outputs, warnings = render_flow_outputs(declared, OUT_CONTEXT)
    assert outputs == {"count": 42, "maybe": None}
    assert len(warnings) == 1
    assert warnings[0].startswith("optional flow output 'maybe' failed to render, set to null: ")
    assert "skipped" in warnings[0]


def test_required_output_that_fails_to_render_raises() -> None:
    declared = [
        {"id": "x", "type": "STRING", "value": "{{ outputs.skipped.value }}", "required": True}
    ]
    with pytest.raises(OutputError) as info:
        render_flow_outputs(declared, OUT_CONTEXT)
    assert str(info.value).startswith("failed to render flow output 'x': ")
    assert info.value.output_id == "x"
    assert isinstance(info.value, FlowcRuntimeError)


def test_output_of_the_wrong_type_raises_even_when_optional() -> None:
    declared = [
        {"id": "n", "type": "INT", "value": "{{ outputs.rows.rows }}"},
        {"id": "when", "type": "DATE", "value": "soon", "required": False},
        {"id": "f", "type": "FILE", "value": "/tmp/local.csv"},
    ]
    with pytest.raises(OutputError) as info:
        render_flow_outputs(declared, OUT_CONTEXT)
    assert str(info.value) == (
        "failed to render flow output 'n': the value must be an integer "
        '(got \'[{"id":1},{"id":2}]\'); '
        "failed to render flow output 'when': the value must be a date such as 2024-01-15 "
        "(got 'soon'); "
        "failed to render flow output 'f': the value must be a kestra:// URI (got '/tmp/local.csv')"
    )
    assert info.value.output_id == "n"


def test_output_without_value() -> None:
    with pytest.raises(OutputError, match="failed to render flow output 'x': it has no 'value'"):
        render_flow_outputs([{"id": "x", "type": "STRING"}], {})


def test_output_error_pickles() -> None:
    error = OutputError("failed to render flow output 'x': boom", output_id="x")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is OutputError
    assert (str(again), again.output_id) == (str(error), "x")


def test_no_outputs() -> None:
    assert render_flow_outputs(None, {}) == ({}, [])
