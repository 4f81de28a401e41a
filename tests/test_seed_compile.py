"""The seed tutorial's flows compile clean, with exactly the expected edges and layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.pipeline import compile_flow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEEDS = sorted(EXAMPLES.glob("seed_*.yaml"))


def test_the_seed_flows_are_in_examples():
    assert [p.name for p in SEEDS] == [
        "seed_1_log_status_code.yaml",
        "seed_2_python_output.yaml",
        "seed_3_duckdb_docker.yaml",
        "seed_4_duckdb_process.yaml",
    ]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed_compiles_clean(path):
    result = compile_flow(path)
    assert result.diagnostics == []


def edges(result):
    return sorted((e.source, e.target, e.kind, e.label) for e in result.graph.edges())


def test_flow_1():
    result = compile_flow(EXAMPLES / "seed_1_log_status_code.yaml")
    assert edges(result) == [("api", "log", "data", "code")]
    assert result.plan.layers == (("api",), ("log",))


def test_flow_2_runs_log_and_python_side_by_side():
    result = compile_flow(EXAMPLES / "seed_2_python_output.yaml")
    assert edges(result) == [("api", "log", "data", "code"), ("api", "python", "data", "body")]
    assert result.plan.layers == (("api",), ("log", "python"))
    assert result.plan.width == 2


@pytest.mark.parametrize(
    ("name", "line"), [("seed_3_duckdb_docker.yaml", 23), ("seed_4_duckdb_process.yaml", 24)]
)
def test_flow_3(name, line):
    result = compile_flow(EXAMPLES / name)
    assert edges(result) == [
        ("api", "python", "data", "body"),
        ("python", "sqlQuery", "data", "outputFiles['products.csv']"),
    ]
    assert result.plan.layers == (("api",), ("python",), ("sqlQuery",))
    assert result.plan.critical_path == ("api", "python", "sqlQuery")
    via = next(e for e in result.graph.edges() if e.target == "python").via[0]
    assert via.path == "tasks[1].script"
    assert (via.line, via.column) == (line, 17)  # the expression inside the block scalar
    assert "jq('.products')" in via.expression


def test_kestra_order_keeps_the_list():
    result = compile_flow(EXAMPLES / "seed_2_python_output.yaml", order="kestra")
    assert result.plan.layers == (("api",), ("log",), ("python",))
