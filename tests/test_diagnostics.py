"""One small flow per diagnostic code: the code, its line and its column."""

from __future__ import annotations

import textwrap

import pytest

from compiler.diagnostics import CODES, Severity
from compiler.pipeline import compile_source

HEAD = "id: f\nnamespace: company.team\n"


def diagnostics(text: str, order: str = "data"):
    return compile_source(textwrap.dedent(text), "flow.yaml", order).diagnostics


def find(text: str, code: str, order: str = "data"):
    found = [d for d in diagnostics(text, order) if d.code == code]
    assert found, f"no {code} in {[(d.code, d.message) for d in diagnostics(text, order)]}"
    return found


# (code, flow, line, column, a fragment the message or hint must contain)
CASES = [
    ("yaml-syntax", HEAD + "tasks:\n  - id: a\n    type: x\n   bad: [\n", 6, None, "invalid YAML"),
    (
        "duplicate-key",
        HEAD
        + "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    message: again\n",
        7,
        5,
        "first defined on line 6",
    ),
    (
        "invalid-flow",
        "id: f\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\n",
        1,
        1,
        "namespace",
    ),
    (
        "invalid-id",
        "id: f\nnamespace: Company.Team\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\n",
        2,
        12,
        "lower-case",
    ),
    (
        "duplicate-task-id",
        HEAD
        + "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\n"
        + "errors:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: y\n",
        8,
        9,
        "already used on line 4",
    ),
    (
        "duplicate-id",
        HEAD + "inputs:\n  - id: x\n    type: STRING\n  - id: x\n    type: INT\n"
        "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\n",
        6,
        9,
        "already declared",
    ),
    (
        "unknown-task-type",
        HEAD + "tasks:\n  - id: a\n    type: com.acme.Thing\n",
        5,
        11,
        "not in flowc's catalog",
    ),
    (
        "missing-property",
        HEAD + "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n",
        4,
        9,
        "'message'",
    ),
    (
        "unknown-property",
        HEAD
        + "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    mesage: typo\n",
        7,
        5,
        "no property 'mesage'",
    ),
    (
        "expression-syntax",
        HEAD
        + 'tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ 1 + }}"\n',
        6,
        22,
        "invalid expression",
    ),
    (
        "unknown-task",
        HEAD
        + "tasks:\n  - id: api\n    type: io.kestra.plugin.core.http.Request\n    uri: http://x\n"
        '  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs.apii.code }}"\n',
        9,
        18,
        "did you mean 'api'",
    ),
    (
        "unknown-output",
        HEAD
        + "tasks:\n  - id: api\n    type: io.kestra.plugin.core.http.Request\n    uri: http://x\n"
        '  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs.api.bodyy }}"\n',
        9,
        18,
        "did you mean 'body'",
    ),
    (
        "unknown-output-file",
        HEAD
        + 'tasks:\n  - id: py\n    type: io.kestra.plugin.scripts.python.Script\n    outputFiles:\n      - "*.csv"\n'
        "    script: print(1)\n"
        "  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ outputs.py.outputFiles['out/x.csv'] }}\"\n",
        11,
        18,
        "'*.csv'",
    ),
    (
        "hyphen-dot-access",
        HEAD
        + "tasks:\n  - id: fetch-data\n    type: io.kestra.plugin.core.http.Request\n    uri: http://x\n"
        '  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs.fetch-data.code }}"\n',
        9,
        18,
        "outputs['fetch-data'].code",
    ),
    (
        "unknown-input",
        HEAD + "inputs:\n  - id: api_url\n    type: STRING\n"
        'tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ inputs.api_urll }}"\n',
        9,
        18,
        "did you mean 'api_url'",
    ),
    (
        "unknown-variable",
        HEAD + "variables:\n  name: x\n"
        'tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ vars.nam }}"\n',
        8,
        18,
        "did you mean 'name'",
    ),
    (
        "unknown-filter",
        HEAD
        + "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ 'a' | tojson }}\"\n",
        6,
        24,
        "toJson",
    ),
    (
        "unknown-function",
        HEAD
        + 'tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ noww() }}"\n',
        6,
        18,
        "did you mean 'now'",
    ),
    (
        "unknown-test",
        HEAD
        + 'tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ 1 is definedd }}"\n',
        6,
        23,
        "unknown test",
    ),
    (
        "dynamic-reference",
        HEAD + "inputs:\n  - id: which\n    type: STRING\n"
        "tasks:\n  - id: a\n    type: io.kestra.plugin.core.debug.Return\n    format: x\n"
        '  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs[inputs.which].value }}"\n',
        12,
        18,
        "computes the task id",
    ),
    (
        "self-reference",
        HEAD
        + 'tasks:\n  - id: a\n    type: io.kestra.plugin.core.debug.Return\n    format: "{{ outputs.a.value }}"\n',
        6,
        17,
        "its own outputs",
    ),
    (
        "cycle",
        HEAD
        + 'tasks:\n  - id: a\n    type: io.kestra.plugin.core.debug.Return\n    format: "{{ outputs.b.value }}"\n'
        '  - id: b\n    type: io.kestra.plugin.core.debug.Return\n    format: "{{ outputs.a.value }}"\n',
        4,
        9,
        "a -> b -> a",
    ),
    (
        "conditional-reference",
        HEAD
        + 'tasks:\n  - id: if\n    type: io.kestra.plugin.core.flow.If\n    condition: "{{ true }}"\n    then:\n'
        "      - id: inner\n        type: io.kestra.plugin.core.debug.Return\n        format: x\n"
        '  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs.inner.value }}"\n',
        13,
        18,
        "If branch",
    ),
    (
        "loop-reference",
        HEAD
        + 'tasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: ["a", "b"]\n    tasks:\n'
        '      - id: inner\n        type: io.kestra.plugin.core.debug.Return\n        format: "{{ taskrun.value }}"\n'
        '  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs.inner.value }}"\n',
        13,
        18,
        "keyed by value",
    ),
]


def test_every_code_has_a_case():
    assert {c[0] for c in CASES} == set(CODES)


@pytest.mark.parametrize(
    ("code", "text", "line", "column", "fragment"), CASES, ids=[c[0] for c in CASES]
)
def test_diagnostic(code, text, line, column, fragment):
    found = find(text, code)
    d = found[0]
    assert d.span.line == line, (d.span, d.message)
    if column is not None:
        assert d.span.column == column, (d.span, d.message)
    assert fragment in d.message + " " + (d.hint or "")
    assert d.severity is CODES[code][0] or code == "unknown-task-type"
    assert d.file == "flow.yaml"


def test_guarded_accesses_are_not_errors():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: api
            type: io.kestra.plugin.core.http.Request
            uri: http://x
          - id: log
            type: io.kestra.plugin.core.log.Log
            message:
              - "{{ outputs.nope.code ?? 'none' }}"
              - "{{ outputs.api.nothing ??? 'none' }}"
              - "{{ outputs.ghost is defined ? outputs.ghost.value : 'no' }}"
              - "{{ outputs.api.missing | default('x') }}"
              - "{% if outputs.other is defined %}{{ outputs.other.value }}{% endif %}"
              - "{{ inputs.undeclared ?? 'd' }}"
        """
    )
    assert [d for d in diagnostics(text) if d.severity is Severity.ERROR] == []


def test_raw_and_comments_are_not_references():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: log  # {{ outputs.fromcomment.x }}
            type: io.kestra.plugin.core.log.Log
            message: "{% raw %}{{ outputs.rawtask.x }}{% endraw %}{# {{ outputs.commented.x }} #}"
        """
    )
    assert [d.code for d in diagnostics(text)] == []


def test_render_of_variable_is_followed():
    text = HEAD + textwrap.dedent(
        """\
        variables:
          url: "{{ outputs.apii.uri }}"
        tasks:
          - id: api
            type: io.kestra.plugin.core.http.Request
            uri: http://x
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "{{ render(vars.url) }}"
        """
    )
    found = find(text, "unknown-task")
    assert found[0].span.line == 4  # inside the variable's own text
    assert "render(vars.url)" in found[0].message


def test_render_of_variable_creates_an_edge():
    text = HEAD + textwrap.dedent(
        """\
        variables:
          code: "{{ outputs.api.code }}"
        tasks:
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "{{ render(vars.code) }}"
          - id: api
            type: io.kestra.plugin.core.http.Request
            uri: http://x
        """
    )
    result = compile_source(text, "f.yaml")
    assert [(e.source, e.target, e.kind) for e in result.graph.edges()] == [("api", "log", "data")]
    assert result.plan.layers == (("api",), ("log",))


def test_duckdb_rows_only_with_fetch():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: q
            type: io.kestra.plugin.jdbc.duckdb.Query
            sql: select 1
            fetchType: STORE
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "{{ outputs.q.rows }}"
        """
    )
    d = find(text, "unknown-output")[0]
    assert "FETCH" in (d.hint or "")


def test_plugin_defaults_supply_required_properties():
    text = HEAD + textwrap.dedent(
        """\
        pluginDefaults:
          - type: io.kestra.plugin.core.log
            values:
              message: from defaults
        tasks:
          - id: log
            type: io.kestra.plugin.core.log.Log
        """
    )
    assert [d.code for d in diagnostics(text) if d.code == "missing-property"] == []


def test_suppression_comment():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: log
            type: io.kestra.plugin.core.log.Log
            # flowc: ignore[unknown-task]
            message: "{{ outputs.nope.code }}"
        """
    )
    result = compile_source(text, "f.yaml")
    assert [d.code for d in result.diagnostics] == []
    assert [d.code for d in result.suppressed] == ["unknown-task"]


def test_every_problem_in_one_pass():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: a.b
            type: io.kestra.plugin.core.log.Log
            message: "{{ outputs.x.y }} {{ inputs.z }} {{ 'a' | nofilter }}"
        """
    )
    codes = sorted(d.code for d in diagnostics(text))
    assert codes == ["invalid-id", "unknown-filter", "unknown-input", "unknown-task"]


def test_kestra_order_turns_a_forward_read_into_a_cycle():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "{{ outputs.api.code }}"
          - id: api
            type: io.kestra.plugin.core.http.Request
            uri: http://x
        """
    )
    assert [d.code for d in diagnostics(text, "data")] == []
    assert "cycle" in [d.code for d in diagnostics(text, "kestra")]


def test_block_scalar_positions_point_at_the_expression():
    text = HEAD + textwrap.dedent(
        """\
        tasks:
          - id: py
            type: io.kestra.plugin.scripts.python.Script
            script: |
              import json
              data = {{ outputs.missing.body }}
        """
    )
    d = find(text, "unknown-task")[0]
    assert (d.span.line, d.span.column) == (8, 17)
