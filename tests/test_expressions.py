"""The expression engine against Pebble's behaviour: conformance rows, Kestra specifics, corpus.

- ``tests/data/pebble-conformance.json``: template -> expected rendering rows taken from Pebble
  3.2.4's own tests and from observed Kestra behaviour (each row's ``source`` cites it).
- ``KESTRA_ROWS``: what real flows rely on (outputs, loops, ``??``, ``render``, ``jq``...).
- the corpus test renders every template of ``../shared/corpus`` with a stub context: no
  Python exception other than ExpressionError may escape (that would be an evaluator bug).
"""

from __future__ import annotations

import ast
import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.expr import nodes as n
from compiler.expr.lexer import TemplateSyntaxError
from compiler.expr.parser import parse
from runtime.errors import ExpressionError, SandboxError, UndefinedError
from runtime.templates import (
    Renderer,
    evaluate_expression,
    render,
    render_typed,
    render_value,
)

DATA = Path(__file__).parent / "data" / "pebble-conformance.json"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "public"

# --- the conformance rows ----------------------------------------------------------------------

ROWS = json.loads(DATA.read_text(encoding="utf-8"))["rows"]

#: Rows that need something flowc cannot provide, with the reason (keep this short).
XFAIL: dict[str, str] = {}


def _java_value(value: Any, java_type: str) -> Any:
    """A row's context value as the Java type its ``context_types`` hint names."""
    if java_type.startswith("java.math.BigDecimal") and value is not None:
        return Decimal(repr(float(value)))
    if java_type in ("java.lang.Double", "java.lang.Float", "float[]") and value is not None:
        return [float(x) for x in value] if isinstance(value, list) else float(value)
    # int[], long[], String[], Integer, Long, BigInteger, LinkedHashMap: Python lists/ints/dicts
    return value


def _context(row: dict) -> dict:
    context = json.loads(json.dumps(row["context"]))
    for path, java_type in (row.get("context_types") or {}).items():
        *parents, last = path.split(".")
        target = context
        for part in parents:
            target = target[part]
        target[last] = _java_value(target[last], java_type)
    return context


def check(expect: dict, template: str, context: Mapping[str, Any]) -> None:
    """Assert one expectation: ``text``, ``json``, ``contains``, ``error``, ``error_contains``."""
    if "error" in expect or "error_contains" in expect:
        with pytest.raises(ExpressionError) as info:
            render(template, context)
        if "error_contains" in expect:
            assert expect["error_contains"] in str(info.value)
        return
    out = render(template, context)
    if "text" in expect:
        assert out == expect["text"]
    if "json" in expect:
        assert json.loads(out) == expect["json"]
    for fragment in expect.get("contains", ()):
        assert fragment in out


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_conformance(row: dict) -> None:
    if row["id"] in XFAIL:
        pytest.xfail(XFAIL[row["id"]])
    assert row["mode"] == "render"
    check(row["expect"], row["template"], _context(row))


def test_conformance_rows_are_complete() -> None:
    assert len(ROWS) == 397
    assert all(r["source"] for r in ROWS), "every row cites where it comes from"
    assert len({r["id"] for r in ROWS}) == len(ROWS)


# --- Kestra specifics --------------------------------------------------------------------------

DUMMYJSON = json.dumps(
    {
        "products": [
            {
                "id": 1,
                "title": "Essence Mascara Lash Princess",
                "price": 9.99,
                "rating": 4.94,
                "tags": ["beauty", "mascara"],
                "inStock": True,
                "discount": None,
            },
            {
                "id": 2,
                "title": "Eyeshadow Palette with Mirror",
                "price": 19.99,
                "rating": 3.28,
                "tags": ["beauty", "eyeshadow"],
                "inStock": False,
                "discount": 5,
            },
        ],
        "total": 194,
        "skip": 0,
        "limit": 2,
    }
)

KCTX: dict[str, Any] = {
    "flow": {"id": "hello", "namespace": "company.team", "revision": 3},
    "execution": {"id": "4wjtkzwVGBM9yKnjm3yv8r", "startDate": "2024-01-15T10:00:00.000Z"},
    "task": {"id": "log", "type": "io.kestra.plugin.core.log.Log"},
    "taskrun": {"id": "tr1", "value": "b", "attemptsCount": 0},
    "parents": [{"taskrun": {"value": "x"}}],
    "inputs": {"name": "Ada", "optional": None, "count": 3, "my-input": "dashed", "flag": False},
    "vars": {
        "greeting": "Hello {{ inputs.name }}",
        "nested": "{{ vars.greeting }}!",
        "plain": "no braces",
        "braces": "{{ '{{' }} literally",
    },
    "outputs": {
        "api": {"body": DUMMYJSON, "code": 200, "headers": {"Content-Type": ["application/json"]}},
        "t": {
            "exitCode": 0,
            "outputFiles": {"out.csv": "kestra:///company/team/hello/executions/e/out.csv"},
            "vars": {"rows": 12, "ok": True},
        },
        "each": {"a": {"value": "A!"}, "b": {"value": "B!"}},
        "loop2": {"x": {"a": {"value": "XA"}, "b": {"value": "XB"}}},
        "my-task": {"value": "v"},
        "kv_getkeys": {"keys": ["k1", "k2"]},
    },
    "labels": {"team": "data"},
    "envs": {"foo": "bar"},
    "globals": {"env": "dev"},
}


@dataclass(frozen=True)
class Raises:
    error: type[ExpressionError] = ExpressionError
    contains: str = ""


@dataclass(frozen=True)
class Typed:
    value: Any


U = "Unable to find"
# (id, template, context overrides, expected): a str is the exact rendering, Typed is the
# native value of render_typed, Raises is an error (class, fragment of its message).
KESTRA_ROWS: list[tuple[str, str, dict, Any]] = [
    # -- strict variables, in Kestra's words
    (
        "K01",
        "{{ outputs.api.bodyy }}",
        {},
        Raises(
            UndefinedError,
            "Unable to find `bodyy` used in the expression `{{ outputs.api.bodyy }}` at line 1",
        ),
    ),
    (
        "K02",
        "line one\nline two {{ outputs.nope.value }}",
        {},
        Raises(UndefinedError, "Unable to find `nope` used in the expression"),
    ),
    ("K03", "a\nb\n{{ missing }}", {}, Raises(UndefinedError, "at line 3")),
    ("K04", "{{ inputs.optional.x }}", {}, Raises(UndefinedError, f"{U} `x`")),
    ("K05", "{{ inputs.nope | upper }}", {}, Raises(UndefinedError, f"{U} `nope`")),
    ("K06", "{{ outputs['my-task'].value }}", {}, "v"),
    ("K07", "{{ outputs.my-task.value }}", {}, Raises(ExpressionError)),
    ("K08", "{{ inputs['my-input'] }}", {}, "dashed"),
    # -- ?? and ??? (KESTRA.md 1.1: an optional input not given is defined, with null)
    ("K09", "{{ inputs.optional ?? 'd' }}", {}, "d"),
    ("K10", "[{{ inputs.optional ??? 'd' }}]", {}, "[]"),
    ("K11", "{{ inputs.absent ?? 'd' }}", {}, "d"),
    ("K12", "{{ inputs.absent ??? 'd' }}", {}, "d"),
    ("K13", "{{ outputs.nope.value ?? outputs.t.exitCode }}", {}, "0"),
    ("K14", "{{ inputs.absent ?? inputs.optional ?? 'last' }}", {}, "last"),
    ("K15", "{{ inputs.absent ?? 'x' | upper }}", {}, "X"),
    ("K16", "{{ trigger.date ?? execution.startDate }}", {}, "2024-01-15T10:00:00.000Z"),
    ("K17", "{{ inputs.name ?? 'd' }}", {}, "Ada"),
    ("K18", "{{ inputs.flag ?? true }}", {}, "false"),
    ("K19", "{{ inputs.absent is defined }}|{{ inputs.optional is defined }}", {}, "false|false"),
    ("K20", "{{ inputs.absent.deeper | default('dflt') }}", {}, "dflt"),
    # -- outputs and jq
    (
        "K21",
        "{{ outputs.api.body | jq('.products[0].title') | first }}",
        {},
        "Essence Mascara Lash Princess",
    ),
    ("K22", "{{ outputs.api.body | jq('.total') | first + 1 }}", {}, "195"),
    ("K23", "{{ fromJson(outputs.api.body).products | length }}", {}, "2"),
    ("K24", "{{ fromJson(outputs.api.body).products[1].tags[0] }}", {}, "beauty"),
    ("K25", "{{ outputs.t.vars.rows > 10 ? 'many' : 'few' }}", {}, "many"),
    (
        "K26",
        "{{ outputs.t.outputFiles['out.csv'] }}",
        {},
        KCTX["outputs"]["t"]["outputFiles"]["out.csv"],
    ),
    ("K27", "{{ outputs.t.outputFiles }}", {}, Typed(KCTX["outputs"]["t"]["outputFiles"])),
    ("K28", "{{ outputs.t.vars.rows }}", {}, Typed(12)),
    ("K29", "{{ outputs.t.vars.ok and outputs.t.exitCode == 0 }}", {}, Typed(True)),
    ("K30", "rows: {{ outputs.t.vars.rows }}", {}, Typed("rows: 12")),
    ("K31", "{{ inputs.optional }}", {}, Typed(None)),
    ("K32", "{{ outputs.t.vars }}", {}, '{"rows":12,"ok":true}'),
    ("K33", "{{ outputs.api.headers['Content-Type'] | first }}", {}, "application/json"),
    ("K34", "{{ outputs.kv_getkeys.keys.size() == 0 }}", {}, "false"),
    ("K35", "{{ outputs.kv_getkeys.keys.size }}|{{ inputs.name.length }}", {}, "2|3"),
    ("K35b", "{{ outputs.kv_getkeys.keys.0 }}|{{ outputs.kv_getkeys.keys['1'] }}", {}, "k1|k2"),
    ("K35c", "{{ outputs.kv_getkeys.keys[2] }}", {}, Raises(UndefinedError, f"{U} `2`")),
    # -- ForEach addressing, currentEachOutput
    ("K36", "{{ outputs.each[taskrun.value].value }}", {}, "B!"),
    ("K37", "{{ outputs.loop2[parents[0].taskrun.value][taskrun.value].value }}", {}, "XB"),
    (
        "K38",
        "{{ outputs.loop2[parent.taskrun.value]['a'].value }}",
        {"parent": {"taskrun": {"value": "x"}}},
        "XA",
    ),
    ("K39", "{{ currentEachOutput(outputs.loop2).value }}", {}, "XB"),
    ("K40", "{{ currentEachOutput(outputs.each).value }}", {"parents": []}, "B!"),
    ("K41", "{{ outputs.each['zzz'].value }}", {}, Raises(UndefinedError, f"{U} `zzz`")),
    # -- render(): vars are not rendered unless asked
    ("K42", "{{ vars.greeting }}", {}, "Hello {{ inputs.name }}"),
    ("K43", "{{ render(vars.greeting) }}", {}, "Hello Ada"),
    ("K44", "{{ render(vars.nested) }}", {}, "Hello Ada!"),
    ("K45", "{{ renderOnce(vars.nested) }}", {}, "Hello {{ inputs.name }}!"),
    ("K46", "{{ render(vars.plain) }}", {}, "no braces"),
    ("K47", "{{ render(vars.nested, recursive=false) }}", {}, "Hello {{ inputs.name }}!"),
    ("K48", "{{ render(outputs.t.vars.rows) }}", {}, "12"),
    ("K49", "{% set who = 'Bob' %}{{ render('Hi {{ who }}') }}", {}, "Hi Bob"),
    ("K50", "{{ render('{{ nope }}') }}", {}, Raises(UndefinedError, f"{U} `nope`")),
    # -- loops
    (
        "K51",
        "{% for p in fromJson(outputs.api.body).products %}{{ loop.index }}:{{ p.id }}"
        "{% if not loop.last %},{% endif %}{% endfor %}",
        {},
        "0:1,1:2",
    ),
    (
        "K52",
        "{% for e in outputs.each %}{{ e.key }}={{ e.value.value }};{% endfor %}",
        {},
        "a=A!;b=B!;",
    ),
    ("K53", "{% for x in [] %}x{% else %}none{% endfor %}", {}, "none"),
    (
        "K54",
        "{% for i in 1..3 %}{{ loop.revindex }}{{ loop.first }}{% endfor %}",
        {},
        "2true1false0false",
    ),
    ("K55", "{% for i in [1,2] %}{% set last = i %}{% endfor %}{{ last is defined }}", {}, "false"),
    ("K56", "{% set n = 0 %}{% for i in [1,2,3] %}{% set n = n + i %}{% endfor %}{{ n }}", {}, "6"),
    # -- macros
    (
        "K57",
        "{% macro hi(who='you') %}hi {{ who }}{% endmacro %}{{ hi() }}/{{ hi('Ada') }}",
        {},
        "hi you/hi Ada",
    ),
    (
        "K58",
        "{% macro show() %}{{ inputs.name }}{% endmacro %}{{ show() }}",
        {},
        Raises(UndefinedError, f"{U} `inputs`"),
    ),
    ("K59", "{% macro m(x) %}{{ x }}{% endmacro %}{{ m([1, 'a']) }}", {}, "[1, a]"),
    (
        "K60",
        "{% macro m(x) %}{{ x }}{% endmacro %}{{ m(y=1) }}",
        {},
        Raises(ExpressionError, "has no argument 'y'"),
    ),
    # -- filter blocks, whitespace control, raw, comments
    (
        "K61",
        "{% filter lower | capitalize %}HELLO {{ inputs.name }}{% endfilter %}",
        {},
        "Hello ada",
    ),
    ("K62", "  {{- inputs.name -}}  \n", {}, "Ada"),
    ("K63", "{% if true -%}\n  yes\n{%- endif %}", {}, "yes"),
    ("K64", "{% raw %}{{ inputs.name }}{% endraw %}", {}, "{{ inputs.name }}"),
    ("K65", "a{# a comment {{ nope }} #}b", {}, "ab"),
    # -- printing
    (
        "K66",
        "{{ inputs.count / 2 }}|{{ inputs.count / 2.0 }}|{{ 1.0 * 10000000 }}",
        {},
        "1|1.5|1.0E7",
    ),
    ("K67", "{{ [1, 'a', null, true] }}|{{ {'k': [1.5]} }}", {}, '[1,"a",null,true]|{"k":[1.5]}'),
    ("K68", "{{ 'x' ~ [1, 2] ~ {'a': 1} }}", {}, "x[1, 2]{a=1}"),
    ("K69", "{{ inputs.name ~ ' (' ~ flow.namespace ~ ')' }}", {}, "Ada (company.team)"),
    ("K70", '{{ "#{flow.id}-#{inputs.count + 1}" }}', {}, "hello-4"),
    ("K71", "{{ vars.braces }}", {}, "{{ '{{' }} literally"),
    ("K72", "{{ 'n\\n' }}", {}, "n\\n"),
    # -- operators
    ("K73", "{{ 'data' isIn ['data', 'ops'] }}|{{ 3 isIn ['3'] }}", {}, "true|true"),
    ("K74", "{{ labels.team == 'data' and envs.foo equals 'bar' }}", {}, "true"),
    (
        "K75",
        "{{ [1, 2] contains 2 }}|{{ {'a': 1} contains 'a' }}|{{ 'abc' contains 'bc' }}",
        {},
        "true|true|true",
    ),
    ("K76", "{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 - 3 }}|{{ -(1 + 1) }}", {}, "1|-1|-1|-2"),
    # -- Java-style methods (whitelisted) and sandbox refusals
    ("K77", "{{ inputs.name.toUpperCase() }}|{{ inputs.name.substring(1) }}", {}, "ADA|da"),
    (
        "K78",
        "{{ outputs.t.vars.keySet() }}|{{ outputs.t.vars.containsKey('ok') }}",
        {},
        '["rows","ok"]|true',
    ),
    ("K79", "{{ inputs.name.getClass() }}", {}, Raises(SandboxError, "getClass")),
    ("K80", "{{ inputs.name.encode() }}", {}, Raises(SandboxError, "encode")),
    (
        "K80b",
        "{{ row._id }}|{{ row.class }}|{{ row._rev ?? 'none' }}",
        {"row": {"_id": 7, "class": "a"}},
        "7|a|none",
    ),
    # -- secrets, syntax errors
    ("K81", "{{ secret('API_TOKEN') }}", {}, "s3cr3t-value"),
    ("K82", "{{ secret('NOPE_NOT_SET') }}", {}, Raises(ExpressionError, "SECRET_NOPE_NOT_SET")),
    ("K83", "hello {{ inputs.name ", {}, Raises(ExpressionError, "(hello {{ inputs.name :1)")),
    ("K84", "{% if true %}never closed", {}, Raises(ExpressionError, "endif")),
    (
        "K85",
        "{{ unknownFunction(1) }}",
        {},
        Raises(ExpressionError, "Function or Macro [unknownFunction] does not exist"),
    ),
]


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_API_TOKEN", base64.b64encode(b"s3cr3t-value").decode())


@pytest.mark.parametrize(
    ("template", "overrides", "expected"),
    [pytest.param(t, c, e, id=i) for i, t, c, e in KESTRA_ROWS],
)
def test_kestra(template: str, overrides: dict, expected: Any, secret_env: None) -> None:
    context = {**KCTX, **overrides}
    if isinstance(expected, Raises):
        with pytest.raises(expected.error) as info:
            render(template, context)
        assert expected.contains in str(info.value)
    elif isinstance(expected, Typed):
        assert render_typed(template, context) == expected.value
    else:
        assert render(template, context) == expected


def test_kestra_rows_are_many_and_unique() -> None:
    ids = [row[0] for row in KESTRA_ROWS]
    assert len(ids) == len(set(ids)) >= 60


def test_jq_first_gives_json_usable_as_python_literal() -> None:
    """The tutorial passes ``| jq('.products') | first`` into a Python script as a literal."""
    out = render("{{ outputs.api.body | jq('.products') | first }}", KCTX)
    products = json.loads(out)
    assert [p["id"] for p in products] == [1, 2]
    assert "discount" not in products[0]  # null map entries are omitted, as Kestra's Jackson does
    literal = out.replace("true", "True").replace("false", "False").replace("null", "None")
    assert ast.literal_eval(literal) == products


def test_undefined_error_names_the_missing_part() -> None:
    with pytest.raises(UndefinedError) as info:
        render("{{ outputs.api.bodyy }}", KCTX)
    assert info.value.name == "bodyy"
    assert info.value.expression == "{{ outputs.api.bodyy }}"
    assert info.value.message == (
        "Unable to find `bodyy` used in the expression `{{ outputs.api.bodyy }}` at line 1"
    )


def test_runtime_errors_say_where() -> None:
    with pytest.raises(ExpressionError) as info:
        render("first\n{{ [1] | merge('x') }}", {})
    assert info.value.expression == "first\n{{ [1] | merge('x') }}"
    assert info.value.message.endswith("(first\n{{ [1] | merge('x') }}:2)")


def test_syntax_error_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError) as info:
        render("{{ 1 + }}", {})
    assert not isinstance(info.value, TemplateSyntaxError)
    assert "{{ 1 + }}" in info.value.message


def test_fast_path_returns_the_same_string() -> None:
    text = "no templating here: $HOME [a] (b)"
    assert render(text, {}) is text
    assert render_typed(text, {}) is text
    assert render("a } b", {}) == "a } b"


def test_nothing_is_rendered_twice() -> None:
    assert render("{{ x }}", {"x": "{{ y }}", "y": "no"}) == "{{ y }}"


def test_render_typed() -> None:
    assert render_typed("{{ 1 + 1 }}", {}) == 2
    assert render_typed("{{ [1, 2] }}", {}) == [1, 2]
    assert render_typed("{{ 1 }} ", {}) == "1 "
    assert render_typed("{{ x }}", {"x": {"a": [1]}}) == {"a": [1]}


def test_render_value_walks_properties() -> None:
    props = {
        "uri": "https://x/{{ inputs.name }}",
        "headers": {"X-{{ labels.team }}": ["{{ inputs.count }}", 7]},
        "n": 3,
    }
    assert render_value(props, KCTX) == {
        "uri": "https://x/Ada",
        "headers": {"X-data": ["3", 7]},
        "n": 3,
    }
    assert render_value(["{{ inputs.count }}"], KCTX, typed=True) == [3]


def test_evaluate_expression() -> None:
    assert evaluate_expression("inputs.count > 2 and inputs.name == 'Ada'", KCTX) is True
    assert evaluate_expression("outputs.t.outputFiles", KCTX) == KCTX["outputs"]["t"]["outputFiles"]
    with pytest.raises(UndefinedError):
        evaluate_expression("inputs.nope", KCTX)


def test_the_context_is_never_modified() -> None:
    context = {"x": 1, "items": [1, 2]}
    render("{% set x = 2 %}{% set items = items + [3] %}{{ x }}{{ items }}", context)
    assert context == {"x": 1, "items": [1, 2]}


def test_cache_is_bounded_and_optional() -> None:
    renderer = Renderer(cache_size=2)
    for i in range(5):
        assert renderer.render(f"{{{{ {i} }}}}", {}) == str(i)
    assert renderer.compile.cache_info().currsize == 2  # type: ignore[attr-defined]
    uncached = Renderer(cache_size=0)
    assert uncached.render("{{ 'a' }}", {}) == "a"


def test_renderer_services() -> None:
    class Services:
        def secret(self, key: str, namespace: str | None, subkey: str | None) -> str:
            return f"<{key}>"

    assert Renderer(Services()).render("{{ secret('k') }}", {}) == "<k>"
    assert render("{{ secret('k') }}", {}, services=Services()) == "<k>"


# --- the corpus: every template parses; those we can feed render without an internal error ------

#: Templates in the corpus that do not parse because their authors made a mistake.
KNOWN_BAD_TEMPLATES = {
    # ''T'' inside a single-quoted Pebble string ends it: two adjacent strings
    "blueprints__flows_dropbox-backup-to-s3.yaml",
    # an unbalanced ')' in "{{ trigger.date | date('yyyy') != now() | date('yyyy')) }}"
    "elcapo-data-engineering-zoomcamp__proyecto-analisis-del-boc_flows_main_boc."
    "schedule_update_current_year_bulletins@2c93f7e2.yaml",
    # a '{% for %}' tag inside a '{{ }}' expression
    "kestra__core_src_test_resources_flows_valids_flowable-with-parent-fail.yaml",
}


class Stub(Mapping):
    """A map that has every key: a stand-in for outputs, inputs and trigger data of unknown shape."""

    def __getitem__(self, key: Any) -> Any:
        return STUB

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


STUB = Stub()
STUB_CONTEXT: dict[str, Any] = {
    "flow": {"id": "f", "namespace": "company.team", "revision": 1, "tenantId": "main"},
    "execution": {
        "id": "e1",
        "startDate": "2024-01-15T10:00:00Z",
        "originalId": "e1",
        "state": "RUNNING",
        "outputs": STUB,
    },
    "task": {"id": "t", "type": "io.kestra.plugin.core.log.Log"},
    "taskrun": {"id": "tr", "value": "v", "startDate": "2024-01-15T10:00:00Z", "attemptsCount": 0},
    "parent": STUB,
    "parents": [STUB],
    "inputs": STUB,
    "outputs": STUB,
    "vars": STUB,
    "trigger": STUB,
    "schedule": STUB,
    "labels": STUB,
    "envs": STUB,
    "globals": STUB,
    "kestra": {"environment": "dev", "url": "http://localhost:8080"},
    "namespace": STUB,
    "tasks": STUB,
    "workingDir": "/tmp/wd",
    "outputDir": "/tmp/wd/out",
    "outputFiles": STUB,
    "dbFilePath": "/tmp/wd/db.duckdb",
    "item": STUB,  # ForEachItem
    "error": STUB,
}


def _corpus_templates() -> Iterator[tuple[str, str]]:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key != "description":
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif isinstance(node, str) and ("{{" in node or "{%" in node):
            yield node

    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".yml", ".yaml") or not path.is_file():
            continue
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            continue
        for document in documents:
            for template in walk(document):
                yield path.name, template


def _free_names(tree: n.Template) -> set[str]:
    """Root names a template reads and does not bind itself (set, for, macro parameters)."""
    names: set[str] = set()
    bound = {"loop"}
    for node in n.walk(tree):
        if isinstance(node, n.Name):
            names.add(node.name)
        elif isinstance(node, n.Set):
            bound.add(node.name)
        elif isinstance(node, n.For):
            bound.add(node.target)
        elif isinstance(node, n.Macro):
            bound.update(p for p, _ in node.params)
    return names - bound


def test_corpus(record_property: Any) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"../shared/corpus not present: {CORPUS} (the corpus lives beside the repo)")
    counts = dict.fromkeys(
        ("templates", "parsed", "known_bad", "rendered", "expression_error", "skipped", "internal"),
        0,
    )
    internal: list[str] = []
    parse_failures: list[str] = []
    for name, template in _corpus_templates():
        counts["templates"] += 1
        try:
            tree = parse(template)
        except TemplateSyntaxError as exc:
            if name in KNOWN_BAD_TEMPLATES:
                counts["known_bad"] += 1
            else:
                parse_failures.append(f"{name}: {exc.message}: {template[:80]!r}")
            continue
        counts["parsed"] += 1
        if not _free_names(tree) <= STUB_CONTEXT.keys():
            counts["skipped"] += 1
            continue
        try:
            render(template, STUB_CONTEXT)
            counts["rendered"] += 1
        except ExpressionError:
            counts["expression_error"] += 1
        except Exception as exc:  # an evaluator (or filter) bug
            counts["internal"] += 1
            internal.append(f"{name}: {exc!r}: {template[:100]!r}")
    for key, value in counts.items():
        record_property(key, value)
    print("corpus templates:", counts)
    assert not parse_failures, "\n".join(parse_failures)
    assert not internal, "\n".join(internal[:30])
    assert counts["rendered"] > counts["templates"] // 2
