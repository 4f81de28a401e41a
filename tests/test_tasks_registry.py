"""The registry: every implemented type is declared in the catalog, and what each
implementation returns is a declared output of its type, property for property (parity).

Also the ``flowc.tasks`` entry point group for third-party task types.
"""

from __future__ import annotations

import shutil
import textwrap

import pytest
from fixtures.context import make_context
from fixtures.http_server import http_server_fixture  # noqa: F401

import runtime.tasks as registry
from compiler.catalog import all_types, lookup, outputs_for
from runtime.tasks import TASKS, declarations, implementation, implemented_types
from runtime.tasks.base import TaskResult

CORE = "io.kestra.plugin.core"
SCRIPTS = "io.kestra.plugin.scripts"
DUCKDB = "io.kestra.plugin.jdbc.duckdb"
PROCESS = {"type": "io.kestra.plugin.core.runner.Process"}


def _file(ctx, tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return ctx.put_file(path)


def _ion(ctx, tmp_path):
    return _file(ctx, tmp_path, "rows.ion", '{id:1,k:"a"}\n{id:2,k:"a"}\n{id:3,k:"b"}\n')


# Each example: (type, a function (ctx, tmp_path, server) -> props). Several examples per type
# cover its output modes.
EXAMPLES = [
    (f"{CORE}.log.Log", lambda c, t, s: {"message": ["a", "b"], "level": "DEBUG"}),
    (f"{CORE}.debug.Return", lambda c, t, s: {"format": "{{ 1 }}"}),
    (f"{CORE}.debug.Return", lambda c, t, s: {}),
    (f"{CORE}.debug.Echo", lambda c, t, s: {"format": "x"}),
    (f"{CORE}.output.OutputValues", lambda c, t, s: {"values": {"a": "{{ 2 }}", "b": [1]}}),
    (f"{CORE}.execution.Fail", lambda c, t, s: {"condition": "{{ false }}"}),
    (f"{CORE}.execution.Assert", lambda c, t, s: {"conditions": ["{{ true }}"]}),
    (f"{CORE}.execution.Labels", lambda c, t, s: {"labels": {"a": "b"}}),
    (f"{CORE}.flow.Sleep", lambda c, t, s: {"duration": "PT0S"}),
    (f"{CORE}.http.Request", lambda c, t, s: {"uri": s.url("/products/1")}),
    (f"{CORE}.http.Request", lambda c, t, s: {"uri": s.url("/products"), "method": "HEAD"}),
    (f"{CORE}.http.Download", lambda c, t, s: {"uri": s.url("/data.csv")}),
    (
        f"{SCRIPTS}.python.Script",
        lambda c, t, s: {
            "script": "from kestra import Kestra\nKestra.outputs({'a': 1})\nopen('o.txt', 'w').write('x')",
            "outputFiles": ["o.txt"],
            "taskRunner": PROCESS,
        },
    ),
    (
        f"{SCRIPTS}.python.Commands",
        lambda c, t, s: {"commands": ["python -c 'print(1)'"], "taskRunner": PROCESS},
    ),
    (f"{SCRIPTS}.shell.Script", lambda c, t, s: {"script": "echo x > {{ outputDir }}/f.txt"}),
    (f"{SCRIPTS}.shell.Commands", lambda c, t, s: {"commands": ["echo hi"]}),
    (f"{SCRIPTS}.node.Script", lambda c, t, s: {"script": "console.log(1)"}),
    (f"{SCRIPTS}.node.Commands", lambda c, t, s: {"commands": ["echo node"]}),
    (
        "io.kestra.core.tasks.scripts.Bash",
        lambda c, t, s: {"commands": ["echo x > {{ outputFiles.o }}"], "outputFiles": ["o"]},
    ),
    (f"{DUCKDB}.Query", lambda c, t, s: {"sql": "SELECT 1 AS a"}),
    (f"{DUCKDB}.Query", lambda c, t, s: {"sql": "SELECT 1 AS a", "fetchType": "FETCH_ONE"}),
    (f"{DUCKDB}.Query", lambda c, t, s: {"sql": "SELECT 1 AS a", "fetchType": "FETCH"}),
    (f"{DUCKDB}.Query", lambda c, t, s: {"sql": "SELECT 1 AS a", "store": True}),
    (
        f"{DUCKDB}.Query",
        lambda c, t, s: {
            "sql": "COPY (SELECT 1) TO '{{ outputFiles.o }}'",
            "outputFiles": ["o"],
            "outputDbFile": True,
        },
    ),
    (f"{DUCKDB}.Queries", lambda c, t, s: {"sql": "SELECT 1; SELECT 2", "fetchType": "FETCH"}),
    (f"{CORE}.storage.Write", lambda c, t, s: {"content": "x"}),
    (f"{CORE}.storage.Concat", lambda c, t, s: {"files": [_file(c, t, "a.txt", "a")]}),
    (f"{CORE}.storage.Split", lambda c, t, s: {"from": _file(c, t, "b.txt", "1\n2\n"), "rows": 1}),
    (f"{CORE}.storage.Size", lambda c, t, s: {"uri": _file(c, t, "c.txt", "c")}),
    (f"{CORE}.storage.Delete", lambda c, t, s: {"uri": _file(c, t, "d.txt", "d")}),
    (f"{CORE}.storage.Reverse", lambda c, t, s: {"from": _file(c, t, "e.txt", "1\n2\n")}),
    (
        f"{CORE}.storage.FilterItems",
        lambda c, t, s: {"from": _ion(c, t), "filterCondition": "{{ id > 1 }}"},
    ),
    (f"{CORE}.storage.DeduplicateItems", lambda c, t, s: {"from": _ion(c, t), "expr": "{{ k }}"}),
    (
        f"{CORE}.storage.LocalFiles",
        lambda c, t, s: {"inputs": {"x.txt": "x"}, "outputs": ["x.txt"]},
    ),
    (f"{CORE}.storage.PurgeCurrentExecutionFiles", lambda c, t, s: {}),
    (f"{CORE}.kv.Set", lambda c, t, s: {"key": "k", "value": "v"}),
    (f"{CORE}.kv.Get", lambda c, t, s: {"key": "k"}),
    (f"{CORE}.kv.Delete", lambda c, t, s: {"key": "k"}),
    (f"{CORE}.kv.GetKeys", lambda c, t, s: {}),
]


def test_every_implemented_type_is_a_runnable_in_the_catalog():
    for type_name in TASKS:
        declared = lookup(type_name)
        assert declared is not None, f"{type_name} is not in the catalog"
        assert declared.type == type_name, f"{type_name} is an alias; register canonical names"
        assert declared.kind == "runnable", type_name


def test_every_implemented_type_has_a_parity_example():
    assert {t for t, _ in EXAMPLES} == set(TASKS)


def test_aliases_resolve_to_the_canonical_implementation():
    seen = 0
    for declared in all_types():
        if declared.type not in TASKS:
            continue
        for alias in declared.aliases:
            assert implementation(alias) is TASKS[declared.type]
            seen += 1
    assert seen >= 10
    assert implementation("io.kestra.core.tasks.log.Log") is TASKS[f"{CORE}.log.Log"]
    assert implementation("io.kestra.plugin.fs.http.Download") is TASKS[f"{CORE}.http.Download"]


def test_flowables_and_unknown_types_are_not_implementations():
    for name in (f"{CORE}.flow.Sequential", f"{CORE}.flow.If", f"{CORE}.flow.Subflow", "x.y.Z"):
        assert implementation(name) is None
    assert set(TASKS) <= implemented_types()


@pytest.mark.parametrize(
    ("type_name", "make_props"),
    EXAMPLES,
    ids=[t.rsplit(".", 2)[-2] + "." + t.rsplit(".", 1)[-1] for t, _ in EXAMPLES],
)
def test_outputs_are_declared_property_for_property(tmp_path, http_server, type_name, make_props):
    if "node" in type_name and shutil.which("node") is None:
        pytest.skip("node is not installed")
    ctx = make_context(tmp_path, task_type=type_name)
    ctx.kv.set("company.team", "k", "v")
    props = make_props(ctx, tmp_path, http_server)
    result = implementation(type_name)(props, ctx)
    outputs = result.outputs if isinstance(result, TaskResult) else result
    declared = outputs_for(lookup(type_name), props)
    undeclared = set(outputs) - set(declared)
    assert not undeclared, (
        f"{type_name} returned undeclared outputs {sorted(undeclared)}; declared: {sorted(declared)}"
    )
    for name, decl in declared.items():
        if name in outputs and not decl.open and isinstance(outputs[name], dict):
            pytest.fail(f"{type_name}.{name} is a map but not declared open")


# --------------------------------------------------------------------------- entry points


PLUGIN = textwrap.dedent(
    """
    from compiler.catalog import OutputDecl, TaskType

    def run(props, ctx):
        return {"greeting": "hello " + ctx.render(props.get("name", "world"))}

    run.declaration = TaskType(
        type="com.example.Greet",
        aliases=("com.example.legacy.Greet",),
        outputs=(OutputDecl("greeting"),),
    )

    def _pair_run(props, ctx):
        return {}

    PAIR = (TaskType(type="com.example.Pair"), _pair_run)
    SHADOW = (TaskType(type="io.kestra.plugin.core.log.Log"), _pair_run)
    NOT_A_TASK = 42
    """
)


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "flowc_demo_plugin.py").write_text(PLUGIN)
    info = site / "flowc_demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flowc-demo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[flowc.tasks]\n"
        "greet = flowc_demo_plugin:run\n"
        "pair = flowc_demo_plugin:PAIR\n"
        "bad = flowc_demo_plugin:NOT_A_TASK\n"
        "missing = flowc_demo_plugin:nope\n"
        "builtin = flowc_demo_plugin:SHADOW\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry, "_third_party", None)
    yield
    monkeypatch.setattr(registry, "_third_party", None)


def test_third_party_types_load_from_entry_points(tmp_path, plugin_dist, caplog):
    impl = implementation("com.example.Greet")
    assert impl is not None
    assert implementation("com.example.legacy.Greet") is impl
    ctx = make_context(tmp_path, variables={"who": "Ada"})
    assert impl({"name": "{{ who }}"}, ctx) == {"greeting": "hello Ada"}
    assert implementation("com.example.Pair") is not None
    assert {"com.example.Greet", "com.example.Pair"} <= implemented_types()
    assert set(declarations()) == {"com.example.Greet", "com.example.Pair"}
    skipped = " ".join(r.getMessage() for r in caplog.records)
    assert "'bad' skipped" in skipped and "'missing' skipped" in skipped
    assert "'builtin' skipped: io.kestra.plugin.core.log.Log is a built-in type" in skipped
    assert implementation("io.kestra.plugin.core.log.Log") is TASKS["io.kestra.plugin.core.log.Log"]
