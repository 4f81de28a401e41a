"""The YAML loader: positions, Jackson's scalar rules, duplicate keys, aliases and merges."""

from __future__ import annotations

import textwrap

import pytest

from compiler.diagnostics import Collector
from compiler.loader import YMap, YScalar, YSeq, load, resolve_plain
from compiler.source import SourceFile


def load_one(text: str):
    collector = Collector("f.yaml")
    docs = load(SourceFile("f.yaml", textwrap.dedent(text)), collector)
    return (docs[0].root if docs else None), collector


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"),
        ("yes", "yes"),
        ("no", "no"),
        ("off", "off"),
        ("2024-01-15", "2024-01-15"),
        ("2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("42", 42),
        ("-7", -7),
        ("0x1F", 31),
        ("0o17", 15),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("PT5M", "PT5M"),
        ("012", 12),
    ],
)
def test_plain_scalars_resolve_like_jackson(text, value):
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_quoted_scalars_stay_strings():
    root, _ = load_one("a: \"42\"\nb: 'true'\nc: 42\n")
    assert root.value("a") == "42" and root.value("b") == "true" and root.value("c") == 42


def test_positions_of_keys_and_values():
    root, _ = load_one(
        """\
        id: flow
        tasks:
          - id: a
            type: x
        """
    )
    task = root.get("tasks").items[0]
    assert isinstance(task, YMap)
    assert (task.get("type").span.line, task.get("type").span.column) == (4, 11)
    assert (task.key_node("type").span.line, task.key_node("type").span.column) == (4, 5)


def test_duplicate_keys_are_reported_and_the_first_wins():
    root, collector = load_one("a: 1\nb: 2\na: 3\n")
    assert root.value("a") == 1
    [d] = list(collector)
    assert d.code == "duplicate-key" and (d.span.line, d.span.column) == (3, 1)
    assert "line 1" in d.message


def test_anchors_aliases_and_merge_keys():
    root, collector = load_one(
        """\
        base: &base
          type: io.kestra.plugin.core.log.Log
          level: INFO
        task:
          <<: *base
          level: WARN
          message: hi
        again: *base
        """
    )
    assert list(collector) == []
    assert root.value("task") == {
        "level": "WARN",
        "message": "hi",
        "type": "io.kestra.plugin.core.log.Log",
    }
    assert root.get("again") is root.get("base")


def test_syntax_error_is_a_diagnostic_with_a_hint():
    _, collector = load_one("a:\n\tb: 1\n")
    [d] = list(collector)
    assert d.code == "yaml-syntax" and d.span.line == 2
    assert "tabs" in (d.hint or "")


def test_block_scalars_keep_their_text():
    root, _ = load_one(
        """\
        literal: |
          line one
          line {{ two }}
        folded: >
          a
          b
        """
    )
    assert root.value("literal") == "line one\nline {{ two }}\n"
    assert root.value("folded") == "a b\n"
    assert isinstance(root.get("literal"), YScalar) and root.get("literal").style == "|"


def test_sequences():
    root, _ = load_one("xs: [1, two, 3.0]\n")
    xs = root.get("xs")
    assert isinstance(xs, YSeq) and xs.to_python() == [1, "two", 3.0]


def test_a_recursive_alias_is_a_diagnostic_not_a_crash():
    root, collector = load_one("a: &x\n  - 1\n  - *x\n")
    [d] = list(collector)
    assert d.code == "yaml-syntax" and "recursive" in d.message
    assert root.value("a") == [1, None]
