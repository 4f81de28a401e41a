"""Tests for compiler.catalog: the API, the declarations, and the real-flow corpus."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml

from compiler import catalog
from compiler.catalog import (
    COMMON_TASK_PROPERTIES,
    COMMON_TRIGGER_PROPERTIES,
    FAMILIES,
    FILTERS,
    FUNCTIONS,
    KINDS,
    PROP_TYPES,
    TESTS,
    TaskType,
    all_types,
    lookup,
    outputs_for,
    outputs_in_other_modes,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "public"
if not CORPUS.is_dir():  # a clone elsewhere (CI): shared/ sits beside the repo
    CORPUS = Path("/work/shared/corpus/public")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")

# Corpus findings that are real bugs in those flows (documented in docs/catalog.md):
# (file name, task id, property). Everything else the walk finds is a catalog bug.
KNOWN_UNKNOWN_PROPERTIES = {
    ("blueprints__flows_beam-flink-portable-pipeline.yaml", "download_source", "saveAs"),
    ("blueprints__flows_beam-python-yaml-transform.yaml", "download_orders", "saveAs"),
    ("blueprints__flows_oracle-extract-load-batch.yaml", "download_csv", "saveAs"),
    (
        "examples__examples_flows_notifications_slack_runtimeSLA@324839a1.yaml",
        "failExecution",
        "executionId",
    ),
    (
        "guglxni-lighthouse-kestra__blueprint_lighthouse-research-quickstart.yaml",
        "insert_documents",
        "sqlType",
    ),
    (
        "guglxni-lighthouse-kestra__blueprint_lighthouse-research-quickstart.yaml",
        "insert_embeddings",
        "sqlType",
    ),
    ("guglxni-lighthouse-kestra__flows_ingest_github_trending.yaml", "insert_documents", "sqlType"),
    ("guglxni-lighthouse-kestra__flows_ingest_hn_reddit.yaml", "insert_documents", "sqlType"),
    ("guglxni-lighthouse-kestra__flows_ingest_rss.yaml", "insert_documents", "sqlType"),
    ("guglxni-lighthouse-kestra__flows_ingest_web_articles.yaml", "insert_documents", "sqlType"),
    (
        "kestra__core_src_main_java_io_kestra_plugin_core_flow_AllowFailure.java_example2.yaml",
        "fail_silently",
        "commands",
    ),
    (
        "kestra__core_src_main_java_io_kestra_plugin_core_flow_AllowFailure.java_example2.yaml",
        "fail_silently",
        "taskRunner",
    ),
    (
        "kestra__core_src_main_java_io_kestra_plugin_core_flow_AllowFailure.java_example2.yaml",
        "print_to_console",
        "commands",
    ),
    (
        "kestra__core_src_main_java_io_kestra_plugin_core_flow_AllowFailure.java_example2.yaml",
        "print_to_console",
        "taskRunner",
    ),
    ("kestra__webserver_src_test_resources_flows_simpleInvalidFlow.yaml", "test", "badProperties"),
    (
        "plugin-jdbc__plugin-jdbc-snowflake_src_test_resources_flows_snowflake-listen.yaml",
        "watch",
        "wharehouse",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-operation-demo_routed-worker_resource_probe_routed_workers.yaml",
        "batch_1_on_gce_a",
        "workerSelector",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-operation-demo_routed-worker_resource_probe_routed_workers.yaml",
        "batch_2_on_gce_b",
        "workerSelector",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-remote-batch_01_routed_batch_runner.yaml",
        "execute_batch_gke_large",
        "workerSelector",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-remote-batch_01_routed_batch_runner.yaml",
        "execute_batch_gke_small",
        "workerSelector",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-worker-routing_verify_batch_group_broadcast.yaml",
        "broadcast_to_batch_group",
        "workerSelector",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-worker-routing_verify_gke_node_worker_routing.yaml",
        "run_on_gke_large",
        "workerSelector",
    ),
    (
        "tacogips-kestra-playground__kestra_flows-worker-routing_verify_gke_node_worker_routing.yaml",
        "run_on_gke_small",
        "workerSelector",
    ),
}
KNOWN_MISSING_PROPERTIES: set[tuple[str, str, str]] = set()
KNOWN_UNKNOWN_OUTPUTS = {
    ("ben8t-kestra-prod__flows_demo.mailinblack_mlflow_management.yaml", "mlflow_api", "new_model"),
    (
        "ben8t-kestra-prod__flows_demo.mailinblack_mlflow_management.yaml",
        "mlflow_api",
        "prod_model",
    ),
    ("blueprints__flows_monthly-sales-report.yaml", "query", "uri"),
    ("guglxni-lighthouse-kestra__flows_ingest_github_trending.yaml", "insert_documents", "size"),
    ("guglxni-lighthouse-kestra__flows_ingest_hn_reddit.yaml", "insert_documents", "size"),
    ("guglxni-lighthouse-kestra__flows_ingest_rss.yaml", "insert_documents", "size"),
    ("guglxni-lighthouse-kestra__flows_ingest_web_articles.yaml", "insert_documents", "size"),
    (
        "kestra__core_src_main_java_io_kestra_plugin_core_flow_WorkingDirectory.java_example2.yaml",
        "wdir",
        "uris",
    ),
}


# ------------------------------------------------------------------------------ API


def test_alias_lookup_gives_canonical_type() -> None:
    assert lookup("io.kestra.core.tasks.log.Log") is lookup("io.kestra.plugin.core.log.Log")
    assert lookup("io.kestra.core.tasks.log.Log").type == "io.kestra.plugin.core.log.Log"
    assert lookup("io.kestra.plugin.fs.http.Request").type == "io.kestra.plugin.core.http.Request"
    assert lookup("io.kestra.core.tasks.flows.Flow").type == "io.kestra.plugin.core.flow.Subflow"
    assert lookup("io.kestra.core.tasks.debugs.Return").type == "io.kestra.plugin.core.debug.Return"
    assert (
        lookup("io.kestra.core.models.triggers.types.Schedule").type
        == "io.kestra.plugin.core.trigger.Schedule"
    )
    assert (
        lookup("io.kestra.plugin.core.flow.WaitFor").type == "io.kestra.plugin.core.flow.LoopUntil"
    )
    assert (
        lookup("io.kestra.plugin.core.storage.PurgeExecution").short_name
        == "PurgeCurrentExecutionFiles"
    )


def test_unknown_type_is_none() -> None:
    assert lookup("io.kestra.plugin.core.log.Nope") is None
    assert lookup("") is None


def test_all_types_unique_and_well_formed() -> None:
    seen: set[str] = set()
    for t in all_types():
        assert isinstance(t, TaskType)
        for name in (t.type, *t.aliases):
            assert name not in seen, name
            seen.add(name)
        assert t.kind in KINDS, t.type
        assert t.family in FAMILIES, t.type
        assert t.short_name == t.type.rsplit(".", 1)[-1]
        assert t.output_files in (None, "globs", "names")
        for name, prop in t.properties.items():
            hash(prop)  # frozen and hashable: defaults are immutable
            assert prop.name == name
            assert prop.type in PROP_TYPES, (t.type, name)
            assert not (prop.required and prop.default is not None), (t.type, name)
            assert name != "type", (t.type, name)
            if t.kind in ("runnable", "flowable"):
                assert name not in COMMON_TASK_PROPERTIES, (t.type, name)
            if t.kind == "trigger":
                assert name not in COMMON_TRIGGER_PROPERTIES, (t.type, name)
            assert name != "id" or t.kind == "condition", (t.type, name)
        for field_name in t.child_task_fields:
            assert field_name in t.properties, (t.type, field_name)
        assert len({o.name for o in t.outputs}) == len(t.outputs), t.type
        for decl in t.outputs:
            for prop_name in decl.when or {}:
                assert prop_name in t.properties, (t.type, decl.name, prop_name)


def test_types_are_frozen() -> None:
    t = lookup("io.kestra.plugin.core.log.Log")
    with pytest.raises(AttributeError):
        t.type = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.properties["x"] = None  # type: ignore[index]


def test_common_properties() -> None:
    for name in (
        "id",
        "type",
        "description",
        "retry",
        "timeout",
        "disabled",
        "allowFailure",
        "allowWarning",
        "runIf",
        "logLevel",
        "logToFile",
        "workerGroup",
        "taskCache",
        "version",
    ):
        assert name in COMMON_TASK_PROPERTIES
    assert COMMON_TASK_PROPERTIES["id"].required
    assert COMMON_TASK_PROPERTIES["runIf"].default == "true"
    for name in ("id", "type", "conditions", "disabled", "stopAfter"):
        assert name in COMMON_TRIGGER_PROPERTIES


def test_log_and_return() -> None:
    log = lookup("io.kestra.plugin.core.log.Log")
    assert log.properties["message"].required
    assert log.properties["level"].default == "INFO"
    assert log.outputs == () and log.closed and log.family == "log"
    ret = lookup("io.kestra.plugin.core.debug.Return")
    assert [o.name for o in ret.outputs] == ["value"]


def test_request_outputs_depend_on_encrypt_body() -> None:
    req = lookup("io.kestra.plugin.core.http.Request")
    assert req.properties["uri"].required
    assert set(outputs_for(req, {})) == {"uri", "code", "headers", "body", "formData"}
    assert "length" not in outputs_for(req, {})
    enc = outputs_for(req, {"encryptBody": True})
    assert "encryptedBody" in enc and "body" not in enc
    assert "body" in outputs_in_other_modes(req, {"encryptBody": True})
    assert outputs_for(req, {})["headers"].open
    both = outputs_for(req, {"encryptBody": "{{ inputs.secret }}"})
    assert {"body", "encryptedBody"} <= set(both)


def test_download_outputs() -> None:
    dl = lookup("io.kestra.plugin.core.http.Download")
    assert set(outputs_for(dl, {})) == {"uri", "code", "length", "headers"}


@pytest.mark.parametrize(
    ("props", "present", "absent"),
    [
        ({}, set(), {"row", "rows", "uri", "size"}),
        ({"fetchType": "NONE"}, set(), {"row", "rows", "uri", "size"}),
        ({"fetchType": "FETCH"}, {"rows", "size"}, {"row", "uri"}),
        ({"fetchType": "FETCH_ONE"}, {"row", "size"}, {"rows", "uri"}),
        ({"fetchType": "STORE"}, {"uri", "size"}, {"row", "rows"}),
        ({"fetch": True}, {"rows", "size"}, {"row", "uri"}),
        ({"fetchOne": True}, {"row", "size"}, {"rows", "uri"}),
        ({"store": True}, {"uri", "size"}, {"row", "rows"}),
        ({"store": True, "fetchType": "FETCH_ONE"}, {"uri"}, {"row", "rows"}),  # booleans win
        ({"fetch": True, "store": True}, {"rows"}, {"uri"}),  # fetch, then fetchOne, then store
        ({"fetch": False, "fetchType": "FETCH_ONE"}, {"row"}, {"rows"}),
        ({"fetchType": "{{ inputs.mode }}"}, {"row", "rows", "uri", "size"}, set()),
        ({"outputDbFile": True}, {"databaseUri"}, set()),
        ({}, {"outputFiles"}, {"databaseUri"}),
    ],
)
def test_duckdb_outputs_by_fetch_type(props: dict, present: set, absent: set) -> None:
    query = lookup("io.kestra.plugin.jdbc.duckdb.Query")
    outs = outputs_for(query, props)
    assert present <= set(outs)
    assert not (absent & set(outs))


def test_other_modes_explain() -> None:
    query = lookup("io.kestra.plugin.jdbc.duckdb.Query")
    hints = outputs_in_other_modes(query, {"fetchType": "FETCH"})
    assert hints["row"] == "'row' exists only with fetchType: FETCH_ONE"
    assert hints["uri"] == "'uri' exists only with fetchType: STORE"
    assert "rows" not in hints
    none = outputs_in_other_modes(query, {})
    assert none["size"] == "'size' exists only with fetchType: FETCH_ONE, FETCH or STORE"


def test_jdbc_family() -> None:
    pg = lookup("io.kestra.plugin.jdbc.postgresql.Queries")
    assert pg.family == "sql" and pg.properties["sql"].required
    assert "outputs" in outputs_for(pg, {})
    assert lookup("io.kestra.plugin.jdbc.duckdb.Query").output_files == "names"
    assert not lookup("io.kestra.plugin.jdbc.duckdb.Query").properties["fetchType"].required
    assert lookup("io.kestra.plugin.jdbc.postgresql.Trigger").kind == "trigger"


def test_scripts() -> None:
    for name in (
        "python.Script",
        "python.Commands",
        "shell.Script",
        "shell.Commands",
        "node.Script",
        "node.Commands",
    ):
        t = lookup(f"io.kestra.plugin.scripts.{name}")
        assert t.family == "script" and t.output_files == "globs" and t.closed
        outs = outputs_for(t, {})
        assert set(outs) == {"exitCode", "vars", "outputFiles", "taskRunner"}
        assert outs["vars"].open and outs["outputFiles"].open
    assert lookup("io.kestra.plugin.scripts.python.Script").properties["script"].required
    assert lookup("io.kestra.plugin.scripts.shell.Commands").properties["commands"].required
    assert "dependencies" in lookup("io.kestra.plugin.scripts.python.Script").properties
    assert "dependencies" not in lookup("io.kestra.plugin.scripts.shell.Script").properties
    assert lookup("io.kestra.plugin.scripts.runner.docker.Docker").kind == "runner"
    assert lookup("io.kestra.plugin.core.runner.Process").kind == "runner"
    assert lookup("io.kestra.core.tasks.scripts.Bash").output_files == "names"


def test_flowables() -> None:
    if_ = lookup("io.kestra.plugin.core.flow.If")
    assert if_.kind == "flowable" and if_.child_task_fields == ("then", "else", "errors", "finally")
    assert [o.name for o in if_.outputs] == ["evaluationResult"]
    switch = lookup("io.kestra.plugin.core.flow.Switch")
    assert "cases" in switch.child_task_fields and {o.name for o in switch.outputs} == {
        "value",
        "defaults",
    }
    dag = lookup("io.kestra.plugin.core.flow.Dag")
    dag_task = {
        "tasks": [{"task": {"id": "a", "type": "x"}, "dependsOn": []}],
        "errors": [{"id": "e", "type": "y"}],
    }
    assert [t["id"] for t in catalog.iter_child_tasks(dag, dag_task)] == ["a", "e"]
    cases = {
        "cases": {"A": [{"id": "a", "type": "x"}], "B": [{"id": "b", "type": "x"}]},
        "defaults": [{"id": "d", "type": "x"}],
    }
    assert [t["id"] for t in catalog.iter_child_tasks(switch, cases)] == ["a", "b", "d"]
    foreach = lookup("io.kestra.plugin.core.flow.ForEach")
    assert foreach.properties["concurrencyLimit"].default == 1
    assert not foreach.properties["concurrencyLimit"].dynamic
    sub = lookup("io.kestra.plugin.core.flow.Subflow")
    assert sub.family == "subflow" and {"executionId", "state", "outputs"} == set(
        outputs_for(sub, {})
    )
    assert "outputs" not in outputs_for(sub, {"wait": False})
    assert lookup("io.kestra.plugin.core.flow.WorkingDirectory").output_files == "globs"


def test_storage_and_kv_outputs() -> None:
    expected = {
        "io.kestra.plugin.core.storage.Concat": {"uri"},
        "io.kestra.plugin.core.storage.Split": {"uris"},
        "io.kestra.plugin.core.storage.Size": {"size"},
        "io.kestra.plugin.core.storage.Delete": {"uri", "deleted"},
        "io.kestra.plugin.core.storage.Write": {"uri"},
        "io.kestra.plugin.core.storage.FilterItems": {
            "uri",
            "processedItemsTotal",
            "droppedItemsTotal",
        },
        "io.kestra.plugin.core.storage.DeduplicateItems": {
            "uri",
            "numKeys",
            "processedItemsTotal",
            "droppedItemsTotal",
        },
        "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles": {"uris"},
        "io.kestra.plugin.core.kv.Get": {"value"},
        "io.kestra.plugin.core.kv.GetKeys": {"keys"},
        "io.kestra.plugin.core.output.OutputValues": {"values"},
    }
    for type_name, names in expected.items():
        assert set(outputs_for(lookup(type_name), {})) == names, type_name


# ------------------------------------------------------------------------------ expression names


def test_expression_library_names() -> None:
    for name in (
        "abbreviate",
        "abs",
        "base64decode",
        "base64encode",
        "capitalize",
        "date",
        "default",
        "first",
        "join",
        "last",
        "length",
        "lower",
        "merge",
        "replace",
        "reverse",
        "rsort",
        "sha256",
        "slice",
        "sort",
        "split",
        "title",
        "trim",
        "upper",
        "urlencode",
        "jq",
        "toJson",
        "dateAdd",
        "indent",
        "nindent",
        "sha512",
        "flatten",
        "regexMatch",
        "regexReplace",
        "regexExtract",
        "numberFormat",
        "slugify",
        "chunk",
    ):
        assert name in FILTERS, name
    for name in (
        "max",
        "min",
        "range",
        "block",
        "parent",
        "read",
        "secret",
        "kv",
        "now",
        "render",
        "fromJson",
        "ksuid",
        "encrypt",
        "decrypt",
        "http",
        "printContext",
        "fetchContext",
        "fileURI",
        "errorLogs",
        "tasksWithState",
        "currentEachOutput",
        "randomInt",
        "uuid",
    ):
        assert name in FUNCTIONS, name
    assert "i18n" not in FUNCTIONS
    assert {"defined", "empty", "even", "iterable", "map", "null", "odd", "json"} == TESTS


# ------------------------------------------------------------------------------ corpus walk

CHILD_FIELDS_GUESS = (
    "tasks",
    "then",
    "else",
    "errors",
    "finally",
    "defaults",
    "cases",
    "afterExecution",
)


def _load(path: Path) -> list[dict]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _is_task(node: object) -> bool:
    return isinstance(node, Mapping) and isinstance(node.get("type"), str) and "id" in node


def _walk_tasks(tasks: object) -> Iterator[Mapping]:
    """Every task mapping below a list of tasks, through catalogued and unknown flowables."""
    if not isinstance(tasks, list):
        return
    for item in tasks:
        if isinstance(item, Mapping) and "type" not in item and _is_task(item.get("task")):
            item = item["task"]  # Dag entry
        if not _is_task(item):
            continue
        yield item
        task_type = lookup(item["type"])
        if task_type is not None:
            for child in catalog.iter_child_tasks(task_type, item):
                yield from _walk_tasks([child])
        else:
            for field_name in CHILD_FIELDS_GUESS:
                value = item.get(field_name)
                if isinstance(value, Mapping) and field_name == "cases":
                    for group in value.values():
                        yield from _walk_tasks(group)
                else:
                    yield from _walk_tasks(value)


def _plugin_defaults(flow: Mapping) -> list[tuple[str, Mapping]]:
    result = []
    for key in ("pluginDefaults", "taskDefaults"):
        for entry in flow.get(key) or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("type"), str):
                result.append((entry["type"], entry.get("values") or {}))
    return result


def _defaulted(defaults: list[tuple[str, Mapping]], written: str, canonical: str) -> set[str]:
    names: set[str] = set()
    for prefix, values in defaults:
        if written.startswith(prefix) or canonical.startswith(prefix):
            names.update(values)
    return names


def _typed_nodes(flow: Mapping) -> Iterator[tuple[Mapping, Mapping[str, catalog.Prop]]]:
    """(node, common properties) for every task, trigger, task runner and condition."""
    tasks = [
        t
        for key in ("tasks", "errors", "finally", "afterExecution")
        for t in _walk_tasks(flow.get(key))
    ]
    for task in tasks:
        yield task, COMMON_TASK_PROPERTIES
        runner = task.get("taskRunner")
        if isinstance(runner, Mapping) and isinstance(runner.get("type"), str):
            yield (
                runner,
                {
                    "type": COMMON_TASK_PROPERTIES["type"],
                    "version": COMMON_TASK_PROPERTIES["version"],
                },
            )
    for trigger in flow.get("triggers") or []:
        if isinstance(trigger, Mapping) and isinstance(trigger.get("type"), str):
            yield trigger, COMMON_TRIGGER_PROPERTIES


def corpus_property_findings(root: Path = CORPUS) -> dict[str, list[tuple[str, str, str, str]]]:
    """Unknown properties on closed catalogued types, and missing required ones."""
    findings: dict[str, list[tuple[str, str, str, str]]] = {"unknown": [], "missing": []}
    for path in sorted(root.glob("*.yaml")):
        for flow in _load(path):
            defaults = _plugin_defaults(flow)
            for node, common in _typed_nodes(flow):
                task_type = lookup(node["type"])
                if task_type is None:
                    continue
                supplied = set(node) | _defaulted(defaults, node["type"], task_type.type)
                node_id = str(node.get("id", "<runner>"))
                if task_type.closed:
                    for name in node:
                        if name not in task_type.properties and name not in common:
                            findings["unknown"].append((path.name, node_id, task_type.type, name))
                for name, prop in task_type.properties.items():
                    if prop.required and name not in supplied:
                        findings["missing"].append((path.name, node_id, task_type.type, name))
    return findings


OUTPUT_REF = re.compile(
    r"outputs\.([A-Za-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_]*)|outputs\[['\"]([A-Za-z0-9_-]+)['\"]\]\.([A-Za-z_][A-Za-z0-9_]*)"
)
EXPR_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def corpus_output_findings(root: Path = CORPUS) -> list[tuple[str, str, str, str]]:
    """`outputs.<task>.<name>` references (regex pass) that no declared output explains."""
    findings = []
    for path in sorted(root.glob("*.yaml")):
        text = path.read_text()
        for flow in _load(path):
            by_id = {}
            for key in ("tasks", "errors", "finally", "afterExecution"):
                for task in _walk_tasks(flow.get(key)):
                    by_id[str(task["id"])] = task
            for block in EXPR_BLOCK.findall(text):
                for m in OUTPUT_REF.finditer(block):
                    task_id, name = (
                        (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                    )
                    task = by_id.get(task_id)
                    if task is None:
                        continue
                    task_type = lookup(task["type"])
                    if task_type is None or task_type.outputs_open:
                        continue
                    if name in {d.name for d in task_type.outputs}:
                        continue
                    findings.append((path.name, task_id, task_type.type, name))
    return sorted(set(findings))


WALK_FIXTURE = """
id: fixture
namespace: company.team
pluginDefaults:
  - type: io.kestra.plugin.jdbc
    values:
      sql: SELECT 1
tasks:
  - id: log_without_message
    type: io.kestra.plugin.core.log.Log
  - id: switch
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ inputs.x }}"
    cases:
      A:
        - id: dag
          type: io.kestra.plugin.core.flow.Dag
          tasks:
            - task:
                id: typo
                type: io.kestra.plugin.core.debug.Return
                formt: hello
              dependsOn: []
  - id: query
    type: io.kestra.plugin.jdbc.duckdb.Query
    fetchType: FETCH
  - id: fine
    type: io.kestra.core.tasks.log.Log
    message: "{{ outputs.query.rows }} {{ outputs.query.row }} {{ outputs['dag'].nope }}"
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
      image: not-a-process-property
triggers:
  - id: every_minute
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
    stopAfter: [FAILED]
    colour: blue
"""


def test_walk_finds_unknown_and_missing(tmp_path: Path) -> None:
    (tmp_path / "fixture.yaml").write_text(WALK_FIXTURE)
    found = corpus_property_findings(tmp_path)
    unknown = {(f[1], f[3]) for f in found["unknown"]}
    missing = {(f[1], f[3]) for f in found["missing"]}
    # Log takes no taskRunner; Process takes no image; Schedule takes no colour
    assert unknown == {
        ("typo", "formt"),
        ("fine", "taskRunner"),
        ("<runner>", "image"),
        ("every_minute", "colour"),
    }
    assert missing == {("log_without_message", "message")}  # duckdb sql comes from pluginDefaults
    # the regex pass checks names against the type's declared outputs (modes are the compiler's job)
    outputs = {(f[1], f[3]) for f in corpus_output_findings(tmp_path)}
    assert outputs == {("dag", "nope")}


@needs_corpus
def test_corpus_has_no_unexplained_unknown_properties() -> None:
    found = corpus_property_findings()["unknown"]
    unexplained = [f for f in found if (f[0], f[1], f[3]) not in KNOWN_UNKNOWN_PROPERTIES]
    assert unexplained == []
    # every documented finding still exists (the list does not rot)
    assert {(f[0], f[1], f[3]) for f in found} == set(KNOWN_UNKNOWN_PROPERTIES)


@needs_corpus
def test_corpus_has_no_unexplained_missing_properties() -> None:
    found = corpus_property_findings()["missing"]
    unexplained = [f for f in found if (f[0], f[1], f[3]) not in KNOWN_MISSING_PROPERTIES]
    assert unexplained == []


@needs_corpus
def test_corpus_output_references_are_declared() -> None:
    found = corpus_output_findings()
    unexplained = [f for f in found if (f[0], f[1], f[3]) not in KNOWN_UNKNOWN_OUTPUTS]
    assert unexplained == []


def _corpus_task_type_counts() -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for path in sorted(CORPUS.glob("*.yaml")):
        for flow in _load(path):
            for key in ("tasks", "errors", "finally", "afterExecution"):
                for task in _walk_tasks(flow.get(key)):
                    t = lookup(task["type"])
                    counts[t.type if t else task["type"]] += 1
    return counts


@needs_corpus
def test_top_60_corpus_task_types_are_catalogued() -> None:
    counts = _corpus_task_type_counts()
    top = [name for name, _ in counts.most_common(60)]
    missing = [name for name in top if lookup(name) is None and name not in TEST_ONLY_TYPES]
    assert missing == []


# Types that exist only in Kestra's own test sources; they are not plugins a user can run.
TEST_ONLY_TYPES = {
    "io.kestra.core.tasks.test.Read",
    "io.kestra.plugin.core.flow.WorkingDirectoryTest$LocalFiles",
}


INVALID = CORPUS.parent / "invalid"


@pytest.mark.skipif(not INVALID.is_dir(), reason="invalid corpus not available")
def test_invalid_corpus_errors_are_found() -> None:
    found = corpus_property_findings(INVALID)
    unknown = {(f[0].split("invalids_")[-1], f[3]) for f in found["unknown"]}
    missing = {(f[0].split("invalids_")[-1], f[3]) for f in found["missing"]}
    assert ("invalid-property.yaml", "invalid") in unknown
    assert ("if-without-condition.yaml", "condition") in missing
    assert ("invalid-parallel.yaml", "tasks") in missing
    assert ("workingdirectory-no-tasks.yaml", "tasks") in missing
