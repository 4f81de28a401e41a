"""The Pebble parser as the compiler sees it: precedence, spans, and the constructs real flows
use (the evaluator's conformance table covers what they mean)."""

from __future__ import annotations

import pytest

from compiler.expr import nodes as n
from compiler.expr.lexer import TemplateSyntaxError
from compiler.expr.parser import BINARY_OPERATORS, parse, parse_expression


def shape(expr: n.Expr) -> str:
    if isinstance(expr, n.Binary):
        return f"({shape(expr.left)} {expr.op} {shape(expr.right)})"
    if isinstance(expr, n.Filter):
        return f"({shape(expr.value)} | {expr.name})"
    if isinstance(expr, n.Test):
        return f"({shape(expr.value)} is {'not ' if expr.negated else ''}{expr.name})"
    if isinstance(expr, n.Unary):
        return f"({expr.op} {shape(expr.operand)})"
    if isinstance(expr, n.Cond):
        return f"({shape(expr.test)} ? {shape(expr.then)} : {shape(expr.otherwise)})"
    if isinstance(expr, n.GetAttr):
        return f"{shape(expr.obj)}.{expr.attr}"
    if isinstance(expr, n.GetItem):
        return f"{shape(expr.obj)}[{shape(expr.key)}]"
    if isinstance(expr, n.Name):
        return expr.name
    if isinstance(expr, n.Literal):
        return repr(expr.value)
    if isinstance(expr, n.Call):
        return f"{expr.name}()"
    return type(expr).__name__


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a ?? b | upper", "((a ?? b) | upper)"),  # Kestra 1.0: ?? binds tighter than |
        ("a ~ b | upper", "((a ~ b) | upper)"),
        ("1 + 2 | abs", "(1 + (2 | abs))"),
        ("-5 | abs", "((- 5) | abs)"),
        ("a or b and c", "(a or (b and c))"),
        ("a == b and c", "((a == b) and c)"),
        ("x is not null and y", "((x is not null) and y)"),
        ("a contains 'x'", "(a contains 'x')"),
        ("1..3", "(1 .. 3)"),
        ("x isIn [1, 2]", "(x isIn ListLit)"),
        ("c ? a : b", "(c ? a : b)"),
        ("a ??? b ?? c", "((a ??? b) ?? c)"),
        ("outputs['task-id'].body", "outputs['task-id'].body"),
        ("outputs.t[taskrun.value].x", "outputs.t[taskrun.value].x"),
        ("now() | date('yyyy')", "(now() | date)"),
    ],
)
def test_precedence(source, expected):
    assert shape(parse_expression(source)) == expected


def test_the_precedence_table_is_kestra_1_0():
    assert (
        BINARY_OPERATORS["??"]
        > BINARY_OPERATORS["~"]
        > BINARY_OPERATORS["|"]
        > BINARY_OPERATORS["+"]
    )
    assert BINARY_OPERATORS["or"] < BINARY_OPERATORS["and"] < BINARY_OPERATORS["=="]


def test_spans_point_into_the_template():
    template = parse("Code: {{ outputs.api.code }} ok")
    [text, output, tail] = template.body
    assert isinstance(output, n.Print)
    assert template.source[output.expr.span[0] : output.expr.span[1]] == "outputs.api.code"
    assert text.text == "Code: " and tail.text == " ok"


def test_tags_comments_raw_and_whitespace_control():
    template = parse(
        "{# note #}{% for x in xs -%}  {{ x }}{% else %}none{% endfor %}"
        "{% if a %}A{% elseif b %}B{% else %}C{% endif %}{% raw %}{{ not parsed }}{% endraw %}"
        "{% set y = 1 %}{% macro m(p, q=2) %}{{ p }}{% endmacro %}{% filter upper %}x{% endfilter %}"
    )
    kinds = [type(node).__name__ for node in template.body]
    assert kinds == ["For", "If", "Raw", "Set", "Macro", "FilterBlock"]
    loop = template.body[0]
    assert isinstance(loop.body[0], n.Print)  # '-%}' trimmed the spaces before {{ x }}
    assert template.body[2].text == "{{ not parsed }}"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("{{ 1 + }}", "expected a value"),
        ("{{ a", "has no matching '}}'"),
        ("{% if a %}x", "endif"),
        ("{% unknown %}", "unknown tag"),
        ("{{ 'abc }}", "unclosed string"),
        ("{{ x | }}", "filter name"),
    ],
)
def test_errors_have_an_offset_and_a_message(source, fragment):
    with pytest.raises(TemplateSyntaxError) as err:
        parse(source)
    assert fragment in err.value.message
    assert 0 <= err.value.offset <= len(source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ outputs.api.body }}",
        "x {{ a }} y {{b.c}} z",
        "{{outputs.t1.value}}{{ outputs.t2.value }}",
        "plain text, no expression",
        "{{ true }}",
        "{{ a.and }}",
        "a } b } {{ c }} {",
    ],
)
def test_the_fast_path_builds_what_the_parser_builds(source):
    from compiler.expr.parser import Parser

    assert parse(source) == Parser(source).parse_template()
