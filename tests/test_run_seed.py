"""The seed tutorial's flows run end to end against a loopback server (Process runner), and
the Outputs tab / expression evaluator / preview show what Kestra's would."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.http_server import FixtureServer, products_payload

from runtime.cli import main
from runtime.engine import RunOptions
from runtime.runs import open_home, run_flow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def server():
    with FixtureServer() as srv:
        yield srv


@pytest.fixture
def home(tmp_path):
    h = open_home(tmp_path / "home")
    yield h
    h.close()


def run_seed(name: str, server, home):
    return run_flow(
        EXAMPLES / name,
        inputs={"api_url": server.url("/products")},
        options=RunOptions(runner="process"),
        home=home,
    )


def cli(home, *args):
    result = CliRunner().invoke(main, [*args, "--home", str(home.path)], catch_exceptions=False)
    return result


def test_flow_1_logs_the_status_code(server, home):
    report = run_seed("seed_1_log_status_code.yaml", server, home)
    assert report.state == "SUCCESS"
    outputs = home.state.outputs(report.execution_id)
    assert outputs["api"]["code"] == 200
    assert json.loads(outputs["api"]["body"]) == products_payload()
    messages = [log["message"] for log in home.state.logs(report.execution_id, task_id="log")]
    assert "API Status Code: 200" in messages


def test_flow_2_python_writes_products_csv(server, home):
    report = run_seed("seed_2_python_output.yaml", server, home)
    assert report.state == "SUCCESS", report.tasks
    outputs = home.state.outputs(report.execution_id)
    uri = outputs["python"]["outputFiles"]["products.csv"]
    text = home.storage.read_text(uri)
    header, *rows = text.strip().splitlines()
    assert header == "brand,price"
    assert len(rows) == len(products_payload()["products"])


def expected_brand_averages() -> list[tuple[str | None, float]]:
    prices = defaultdict(list)
    for product in products_payload()["products"]:
        prices[product.get("brand")].append(product["price"])
    averages = [(brand, round(sum(p) / len(p), 2)) for brand, p in prices.items()]
    return sorted(averages, key=lambda item: -item[1])


@pytest.mark.parametrize("name", ["seed_3_duckdb_docker.yaml", "seed_4_duckdb_process.yaml"])
def test_flow_3_duckdb_stores_brands_by_average_price(server, home, name):
    report = run_seed(name, server, home)
    assert report.state == "SUCCESS", report.tasks
    execution = report.execution_id

    result = cli(home, "outputs", execution, "--format", "json")
    outputs = json.loads(result.output)
    assert outputs["api"]["code"] == 200
    csv_uri = outputs["python"]["outputFiles"]["products.csv"]
    assert csv_uri.startswith(
        f"kestra:///company/team/getting-started/executions/{execution}/tasks/python/"
    )
    store_uri = outputs["sqlQuery"]["uri"]
    assert store_uri.endswith(".ion")

    preview = json.loads(
        cli(home, "preview", store_uri, "--rows", "100", "--format", "json").output
    )
    got = [(row["brand"], round(row["avg_price"], 2)) for row in preview]
    assert got == expected_brand_averages()
    prices = [p for _, p in got]
    assert prices == sorted(prices, reverse=True)

    count = cli(
        home, "eval", execution, "{{ outputs.api.body | jq('.products') | first | length }}"
    )
    assert count.exit_code == 0
    assert count.output.strip() == str(len(products_payload()["products"]))


def test_cli_run_prints_a_summary_and_json(server, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "run",
            str(EXAMPLES / "seed_1_log_status_code.yaml"),
            "--input",
            f"api_url={server.url('/products')}",
            "--home",
            str(tmp_path / "h"),
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["state"] == "SUCCESS"
    assert [t["id"] for t in data["tasks"]] == ["api", "log"]
    assert set(data["tasks"][0]) >= {"id", "state", "attempts", "start", "end", "worker"}


@pytest.mark.docker
def test_flow_3_in_docker(server, home):
    from runtime.runners import docker_status, image_present

    ok, why = docker_status()
    if not ok:
        pytest.skip(f"no Docker engine: {why}")
    if not image_present("python:slim"):
        pytest.skip(
            "image python:slim is absent: run 'make docker' (.ci/docker.sh builds it offline)"
        )
    # the container reaches the loopback server through the host network
    report = run_flow(
        EXAMPLES / "seed_3_duckdb_docker.yaml",
        inputs={"api_url": server.url("/products")},
        options=RunOptions(runner="docker"),
        home=home,
    )
    assert report.state == "SUCCESS", report.tasks
    logs = " ".join(
        log["message"] for log in home.state.logs(report.execution_id, task_id="python")
    )
    assert "docker" in logs.lower()
    rows = json.loads(
        cli(
            home,
            "preview",
            home.state.outputs(report.execution_id)["sqlQuery"]["uri"],
            "--rows",
            "100",
            "--format",
            "json",
        ).output
    )
    assert [(r["brand"], round(r["avg_price"], 2)) for r in rows] == expected_brand_averages()
