"""The seed flows' tasks, chained by hand (no engine): Request -> Log -> python Script ->
DuckDB Query, against the loopback products server, with the Process runner and, where an
engine answers, the Docker runner. Task properties are read from examples/seed_*.yaml so
that the examples and these tests cannot drift apart.

The final DuckDB result (brand, avg_price, descending) is checked row by row against a
pure-Python computation over tests/data/products.json.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from fixtures.context import make_context
from fixtures.http_server import http_server_fixture, products_payload  # noqa: F401

from runtime.ion import iter_values, to_plain
from runtime.tasks import implementation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
IMAGE = "python:slim"


def seed_tasks(name: str) -> dict[str, dict]:
    flow = yaml.safe_load((EXAMPLES / name).read_text())
    return {task["id"]: task for task in flow["tasks"]}


def props_of(task: dict) -> dict:
    return {k: v for k, v in task.items() if k not in ("id", "type")}


def run_task(task: dict, ctx):
    return implementation(task["type"])(props_of(task), ctx)


def expected_brand_averages() -> list[tuple[str | None, float]]:
    prices: dict[str | None, list[float]] = defaultdict(list)
    for product in products_payload()["products"]:
        prices[product.get("brand")].append(product["price"])
    means = {brand: sum(v) / len(v) for brand, v in prices.items()}
    return sorted(means.items(), key=lambda kv: -kv[1])


def check_rows(rows: list[dict]) -> None:
    expected = expected_brand_averages()
    assert len(rows) == len(expected)
    for row, (brand, mean) in zip(rows, expected, strict=True):
        assert set(row) == {"brand", "avg_price"}
        assert row["brand"] == brand
        assert abs(row["avg_price"] - mean) <= 0.005 + 1e-9, (brand, row["avg_price"], mean)
    averages = [row["avg_price"] for row in rows]
    assert averages == sorted(averages, reverse=True)


def run_seed(tmp_path, server, seed: str, runner: str) -> tuple[dict, list]:
    tasks = seed_tasks(seed)
    base = {"inputs": {"api_url": server.url("/products")}}
    ctx = make_context(tmp_path, variables=base, runner=runner, task_id="api")
    api = run_task(tasks["api"], ctx)
    assert api["code"] == 200

    outputs = {"api": api}
    ctx = make_context(
        tmp_path,
        storage=ctx.storage,
        variables={**base, "outputs": outputs},
        runner=runner,
        task_id="python",
    )
    python = run_task(tasks["python"], ctx)
    assert python["exitCode"] == 0
    assert list(python["outputFiles"]) == ["products.csv"]
    csv_text = ctx.storage.read_text(python["outputFiles"]["products.csv"])
    assert csv_text.splitlines()[0] == "brand,price"
    assert len(csv_text.splitlines()) == 1 + len(products_payload()["products"])
    assert any("Rows: 30" in x.message for x in ctx.logs)  # df.glimpse()

    outputs["python"] = python
    ctx = make_context(
        tmp_path,
        storage=ctx.storage,
        variables={**base, "outputs": outputs},
        runner=runner,
        task_id="sqlQuery",
    )
    query = run_task(tasks["sqlQuery"], ctx)
    assert query["uri"].endswith(".ion") and query["size"] == len(expected_brand_averages())
    rows = [to_plain(v) for v in iter_values(ctx.storage.read_bytes(query["uri"]))]
    return python, rows


def test_seed_1_request_then_log(tmp_path, http_server):
    tasks = seed_tasks("seed_1_log_status_code.yaml")
    ctx = make_context(tmp_path, variables={"inputs": {"api_url": http_server.url("/products")}})
    api = run_task(tasks["api"], ctx)
    ctx = make_context(tmp_path, variables={"outputs": {"api": api}})
    assert run_task(tasks["log"], ctx) == {}
    assert [x.message for x in ctx.logs] == ["API Status Code: 200"]


def test_seed_4_with_the_process_runner(tmp_path, http_server):
    _, rows = run_seed(tmp_path, http_server, "seed_4_duckdb_process.yaml", "process")
    check_rows(rows)


def _docker_or_skip() -> None:
    from runtime.runners import docker_status, image_present

    ok, why = docker_status(refresh=True)
    if not ok:
        pytest.skip(f"no Docker engine: {why} (bash .ci/docker.sh starts one)")
    if not image_present(IMAGE):
        pytest.skip(f"image {IMAGE} is not present: bash .ci/docker.sh builds it offline")


@pytest.mark.docker
def test_seed_3_with_the_docker_runner(tmp_path, http_server):
    _docker_or_skip()
    python, rows = run_seed(tmp_path, http_server, "seed_3_duckdb_docker.yaml", "docker")
    assert python["taskRunner"]["containerId"]
    check_rows(rows)


@pytest.mark.docker
def test_kestra_library_inside_the_docker_image(tmp_path):
    _docker_or_skip()
    ctx = make_context(tmp_path, runner="docker")
    props = {
        "containerImage": IMAGE,
        "script": "from kestra import Kestra\nKestra.outputs({'n': 3})\nprint(true, null)\n",
        "outputFiles": ["*.txt"],
        "beforeCommands": ["echo x > made-in-docker.txt"],
    }
    out = implementation("io.kestra.plugin.scripts.python.Script")(props, ctx)
    assert out["vars"] == {"n": 3}
    assert list(out["outputFiles"]) == ["made-in-docker.txt"]
    assert any(x.message == "True None" for x in ctx.logs)
