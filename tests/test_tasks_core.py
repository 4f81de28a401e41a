"""Core runnable tasks: Log, Return, Echo, OutputValues, Fail, Assert, Labels, Sleep."""

from __future__ import annotations

import threading
import time

import pytest
from fixtures.context import make_context

from runtime.errors import TaskError
from runtime.tasks import implementation

CORE = "io.kestra.plugin.core"


def run(type_name: str, props: dict, ctx):
    impl = implementation(type_name)
    assert impl is not None, type_name
    return impl(props, ctx)


# --------------------------------------------------------------------------- log.Log


def test_log_renders_a_string_at_info(tmp_path):
    ctx = make_context(tmp_path, variables={"inputs": {"who": "Ada"}})
    assert run(f"{CORE}.log.Log", {"message": "hello {{ inputs.who }}"}, ctx) == {}
    assert [(x.level, x.message) for x in ctx.logs] == [("INFO", "hello Ada")]


def test_log_renders_each_item_of_a_list_at_the_level(tmp_path):
    ctx = make_context(tmp_path, variables={"n": 2})
    run(f"{CORE}.log.Log", {"message": ["a {{ n }}", "b {{ n + 1 }}"], "level": "warn"}, ctx)
    assert [(x.level, x.message) for x in ctx.logs] == [("WARN", "a 2"), ("WARN", "b 3")]


@pytest.mark.parametrize("level", ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"])
def test_log_levels(tmp_path, level):
    ctx = make_context(tmp_path)
    run(f"{CORE}.log.Log", {"message": "x", "level": level}, ctx)
    assert ctx.logs[0].level == level


def test_legacy_log_alias_runs(tmp_path):
    ctx = make_context(tmp_path)
    run("io.kestra.core.tasks.log.Log", {"message": "old"}, ctx)
    assert ctx.logs[0].message == "old"


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({}, "property 'message' is required"),
        ({"message": {"a": 1}}, "invalid message type 'dict'"),
        ({"message": "x", "level": "LOUD"}, "property 'level' must be one of"),
        ({"message": "{{ nope }}"}, "nope"),
    ],
)
def test_log_bad_input_fails_with_a_task_error(tmp_path, props, fragment):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match=fragment.replace("(", r"\(")):
        run(f"{CORE}.log.Log", props, ctx)


# --------------------------------------------------------------------------- debug


def test_return_renders_format_to_value(tmp_path):
    ctx = make_context(tmp_path, variables={"inputs": {"n": 21}})
    out = run(f"{CORE}.debug.Return", {"format": "{{ inputs.n * 2 }}"}, ctx)
    assert out == {"value": "42"}
    assert ctx.metrics[0].name == "length" and ctx.metrics[0].value == 2


def test_return_without_format_has_no_value_key(tmp_path):
    assert run(f"{CORE}.debug.Return", {}, make_context(tmp_path)) == {}


def test_legacy_return_alias(tmp_path):
    out = run("io.kestra.core.tasks.debugs.Return", {"format": "x"}, make_context(tmp_path))
    assert out == {"value": "x"}


def test_echo_logs_format_at_level(tmp_path):
    ctx = make_context(tmp_path)
    assert run(f"{CORE}.debug.Echo", {"format": "e {{ 1 }}", "level": "ERROR"}, ctx) == {}
    assert [(x.level, x.message) for x in ctx.logs] == [("ERROR", "e 1")]


# --------------------------------------------------------------------------- OutputValues


def test_output_values_render_strings_to_strings_and_keep_other_types(tmp_path):
    ctx = make_context(tmp_path, variables={"inputs": {"name": "x"}})
    values = {
        "sum": "{{ 1 + 1 }}",
        "number": 7,
        "flag": True,
        "nothing": None,
        "list": [1, "{{ inputs.name }}"],
        "map": {"k": "{{ inputs.name }}-y", "n": 1.5},
    }
    out = run(f"{CORE}.output.OutputValues", {"values": values}, ctx)
    assert out == {
        "values": {
            "sum": "2",
            "number": 7,
            "flag": True,
            "nothing": None,
            "list": [1, "x"],
            "map": {"k": "x-y", "n": 1.5},
        }
    }


def test_output_values_from_an_expression_string(tmp_path):
    ctx = make_context(tmp_path, variables={"m": {"a": 1}})
    out = run(f"{CORE}.output.OutputValues", {"values": "{{ m }}"}, ctx)
    assert out == {"values": {"a": 1}}


def test_output_values_absent_and_bad(tmp_path):
    ctx = make_context(tmp_path)
    assert run(f"{CORE}.output.OutputValues", {}, ctx) == {"values": {}}
    with pytest.raises(TaskError, match="property 'values' must be a map"):
        run(f"{CORE}.output.OutputValues", {"values": [1, 2]}, ctx)


# --------------------------------------------------------------------------- execution.Fail / Assert


def test_fail_without_condition_fails_with_the_error_message(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="^Task failure$"):
        run(f"{CORE}.execution.Fail", {}, ctx)
    with pytest.raises(TaskError, match="^custom 3$"):
        run(f"{CORE}.execution.Fail", {"errorMessage": "custom {{ 1 + 2 }}"}, ctx)


@pytest.mark.parametrize(
    ("condition", "fails"),
    [
        ("{{ 1 == 1 }}", True),
        ("yes", True),
        ("False", True),  # truthiness is case-sensitive, as Kestra's
        (True, True),
        ("{{ 1 == 2 }}", False),
        ("0", False),
        ("-0", False),
        ("", False),
        (False, False),
    ],
)
def test_fail_condition_uses_kestra_truthiness(tmp_path, condition, fails):
    ctx = make_context(tmp_path)
    props = {"condition": condition, "errorMessage": "stop"}
    if fails:
        with pytest.raises(TaskError, match="stop"):
            run(f"{CORE}.execution.Fail", props, ctx)
    else:
        assert run(f"{CORE}.execution.Fail", props, ctx) == {}


def test_assert_passes_when_every_condition_is_truthy(tmp_path):
    ctx = make_context(tmp_path, variables={"inputs": {"x": "ok"}})
    conditions = ["{{ inputs.x == 'ok' }}", "{{ 2 > 1 }}"]
    assert run(f"{CORE}.execution.Assert", {"conditions": conditions}, ctx) == {}
    assert {(m.name, m.value) for m in ctx.metrics} == {("success", 2), ("failed", 0)}


def test_assert_counts_failures_and_appends_the_error_message(tmp_path):
    ctx = make_context(tmp_path)
    conditions = ["{{ 1 + 1 == 3 }}", "{{ true }}", "{{ missing.value }}"]
    with pytest.raises(TaskError) as err:
        run(
            f"{CORE}.execution.Assert",
            {"conditions": conditions, "errorMessage": "bad data"},
            ctx,
        )
    assert str(err.value) == "2 assertions failed!\nbad data"
    errors = [x.message for x in ctx.logs if x.level == "ERROR"]
    assert errors[0] == "Assertion `{{ 1 + 1 == 3 }}` failed!"
    assert errors[1].startswith("Assertion `{{ missing.value }}` failed, failed to render")


def test_assert_needs_conditions(tmp_path):
    with pytest.raises(TaskError, match="'conditions' is required"):
        run(f"{CORE}.execution.Assert", {}, make_context(tmp_path))


# --------------------------------------------------------------------------- execution.Labels


def test_labels_from_a_map_are_rendered_to_strings(tmp_path):
    ctx = make_context(tmp_path, variables={"inputs": {"id": 42}})
    labels = {"order": "{{ inputs.id }}", "flag": True, "n": 3, "meta": {"a": "{{ inputs.id }}"}}
    assert run(f"{CORE}.execution.Labels", {"labels": labels}, ctx) == {}
    assert ctx.labels == {"order": "42", "flag": "true", "n": "3", "meta": '{"a":"42"}'}


def test_labels_from_a_list_and_from_a_json_string(tmp_path):
    ctx = make_context(tmp_path, variables={"v": "x"})
    run(
        f"{CORE}.execution.Labels",
        {"labels": [{"key": "a", "value": "{{ v }}"}, {"key": "a", "value": "last"}]},
        ctx,
    )
    assert ctx.labels == {"a": "last"}
    run(f"{CORE}.execution.Labels", {"labels": '{{ {"b": v} }}'}, ctx)
    assert ctx.labels == {"a": "last", "b": "x"}


@pytest.mark.parametrize(
    ("labels", "fragment"),
    [
        ({"system.readOnly": "true"}, "system label"),
        (["just-a-string"], "invalid label"),
        ("not json", "must render to a JSON object"),
        (5, "must be a map or a list"),
    ],
)
def test_labels_bad_input(tmp_path, labels, fragment):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match=fragment):
        run(f"{CORE}.execution.Labels", {"labels": labels}, ctx)
    assert ctx.labels == {}


# --------------------------------------------------------------------------- flow.Sleep


def test_sleep_waits_the_duration(tmp_path):
    ctx = make_context(tmp_path)
    started = time.monotonic()
    assert run(f"{CORE}.flow.Sleep", {"duration": "PT0.3S"}, ctx) == {}
    assert time.monotonic() - started >= 0.3


def test_sleep_is_interrupted_by_cancel(tmp_path):
    ctx = make_context(tmp_path)
    threading.Timer(0.2, ctx.cancel.set).start()
    started = time.monotonic()
    with pytest.raises(TaskError, match="interrupted"):
        run(f"{CORE}.flow.Sleep", {"duration": "PT30S"}, ctx)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("duration", "fragment"),
    [("soon", "not a duration"), ("-PT1S", "must not be negative"), (None, "is required")],
)
def test_sleep_bad_duration(tmp_path, duration, fragment):
    props = {} if duration is None else {"duration": duration}
    with pytest.raises(TaskError, match=fragment):
        run(f"{CORE}.flow.Sleep", props, make_context(tmp_path))
