"""The Dask executor on a real ``distributed.LocalCluster`` (2 worker processes, 127.0.0.1):
the seed flows, a fan-out over both workers, a worker killed mid-task, files handed from one
worker to another through S3 (moto's server on 127.0.0.1), and the refusals."""

from __future__ import annotations

import json
import os
import pickle
import signal
import textwrap
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed: pip install 'flowc[dask]'"
)

from fixtures.http_server import FixtureServer, products_payload  # noqa: E402

from runtime.cli import main  # noqa: E402
from runtime.engine import RunOptions  # noqa: E402
from runtime.errors import ExpressionError, StorageError, TaskError  # noqa: E402
from runtime.executors import dask as dask_executor  # noqa: E402
from runtime.executors.dask import DaskExecutor, DaskExecutorError, is_this_host, reach  # noqa: E402
from runtime.kvstore import SnapshotKV  # noqa: E402
from runtime.preview import preview  # noqa: E402
from runtime.runs import Home, open_home, run_flow  # noqa: E402
from runtime.services import RunServices  # noqa: E402
from runtime.state import StateStore  # noqa: E402
from runtime.storage import Storage  # noqa: E402
from runtime.tasks.base import LogLine, Metric  # noqa: E402
from runtime.worker import Invocation, Outcome, execute  # noqa: E402

pytestmark = pytest.mark.dask

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHELL = "io.kestra.plugin.scripts.shell.Commands"


def local_cluster(**config):
    import dask

    with dask.config.set(config):
        return distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=2,
            host="127.0.0.1",
            dashboard_address=None,
        )


@pytest.fixture(scope="module")
def cluster():
    c = local_cluster()
    yield c
    c.close()


@pytest.fixture(scope="module")
def workers(cluster):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        return sorted(client.scheduler_info()["workers"])


@pytest.fixture(scope="module")
def server():
    with FixtureServer() as srv:
        yield srv


@pytest.fixture
def home(tmp_path):
    h = open_home(tmp_path / "home")
    yield h
    h.close()


def run(flow, home, executor, inputs=None):
    try:
        return run_flow(
            flow, inputs=inputs, options=RunOptions(runner="process"), home=home, executor=executor
        )
    finally:
        executor.shutdown()


def write_flow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def by_task(home, execution_id) -> dict[str, dict]:
    return {tr["task_id"]: tr for tr in home.state.taskruns(execution_id)}


def messages(home, execution_id, task_id) -> list[str]:
    return [log["message"] for log in home.state.logs(execution_id, task_id=task_id)]


# -- the seed flows -------------------------------------------------------------------------


def brand_averages() -> list[tuple[str | None, float]]:
    prices = defaultdict(list)
    for product in products_payload()["products"]:
        prices[product.get("brand")].append(product["price"])
    averages = [(brand, round(sum(p) / len(p), 2)) for brand, p in prices.items()]
    return sorted(averages, key=lambda item: -item[1])


def check_status_log(home, execution_id, outputs):
    assert outputs["api"]["code"] == 200
    assert "API Status Code: 200" in messages(home, execution_id, "log")


def check_products_csv(home, execution_id, outputs):
    header, *rows = (
        home.storage.read_text(outputs["python"]["outputFiles"]["products.csv"])
        .strip()
        .splitlines()
    )
    assert header == "brand,price"
    assert len(rows) == len(products_payload()["products"])


def check_duckdb_rows(home, execution_id, outputs):
    rows = preview(home.storage, outputs["sqlQuery"]["uri"], 100)
    assert [(r["brand"], round(r["avg_price"], 2)) for r in rows] == brand_averages()


SEEDS = [
    ("seed_1_log_status_code.yaml", check_status_log),
    ("seed_2_python_output.yaml", check_products_csv),
    ("seed_3_duckdb_docker.yaml", check_duckdb_rows),
    ("seed_4_duckdb_process.yaml", check_duckdb_rows),
]


@pytest.mark.parametrize(("name", "check"), SEEDS, ids=[name for name, _ in SEEDS])
def test_seed_flows_run_on_the_cluster(cluster, workers, server, home, name, check):
    executor = DaskExecutor(cluster.scheduler_address, storage=home.storage)
    report = run(EXAMPLES / name, home, executor, {"api_url": server.url("/products")})
    assert report.state == "SUCCESS", report.tasks
    assert {task["worker"] for task in report.tasks} <= set(workers)
    check(home, report.execution_id, home.state.outputs(report.execution_id))


# -- placement -------------------------------------------------------------------------------


def test_a_fan_out_runs_on_both_workers(cluster, workers, home, tmp_path):
    tasks = "".join(
        f"""
          - id: t{i}
            type: {SHELL}
            commands:
              - sleep 0.5
        """
        for i in range(8)
    )
    flow = write_flow(tmp_path, "id: fan_out\nnamespace: company.team\ntasks:" + tasks)
    report = run(flow, home, DaskExecutor(cluster.scheduler_address, storage=home.storage))
    assert report.state == "SUCCESS", report.tasks
    runs = home.state.taskruns(report.execution_id)
    assert len(runs) == 8
    assert {tr["worker"] for tr in runs} == set(workers)


def test_the_outcome_names_the_dask_worker_and_the_host_guard_refuses_elsewhere(
    cluster, workers, home
):
    inv = Invocation(
        task_id="t",
        taskrun_id="tr",
        execution_id="e",
        namespace="company.team",
        flow_id="f",
        type="io.kestra.plugin.core.log.Log",
        props={"message": "hello"},
        variables={},
        storage=home.storage,
        kv=SnapshotKV({}),
    )
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        ran = client.submit(dask_executor._run_on_worker, execute, inv, None, pure=False)
        refused = client.submit(
            dask_executor._run_on_worker, execute, inv, "another-host", pure=False
        )
        ok, bad = ran.result(), refused.result()
    assert ok.state == "SUCCESS" and ok.worker in workers
    assert bad.state == "FAILED" and bad.worker in workers
    assert "needs files on the driver's host 'another-host'" in bad.error


def test_a_working_directory_is_shared_on_this_host(cluster, workers, home, tmp_path):
    flow = write_flow(
        tmp_path,
        f"""
        id: wdir
        namespace: company.team
        tasks:
          - id: wdir
            type: io.kestra.plugin.core.flow.WorkingDirectory
            tasks:
              - id: write
                type: {SHELL}
                commands:
                  - echo shared > note.txt
              - id: read
                type: {SHELL}
                commands:
                  - cat note.txt
        """,
    )
    report = run(flow, home, DaskExecutor(cluster.scheduler_address, storage=home.storage))
    assert report.state == "SUCCESS", report.tasks
    assert "shared" in messages(home, report.execution_id, "read")
    assert by_task(home, report.execution_id)["read"]["worker"] in workers


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_the_cli_runs_a_seed_flow_on_dask_local(server, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(EXAMPLES / "seed_1_log_status_code.yaml"),
            "--input",
            f"api_url={server.url('/products')}",
            "--executor",
            "dask-local",
            "--workers",
            "2",
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
    assert all(task["worker"].startswith("tcp://127.0.0.1:") for task in data["tasks"])


def test_the_cli_refuses_local_storage_for_a_remote_scheduler(monkeypatch, tmp_path):
    monkeypatch.setattr(dask_executor, "Client", no_connection)
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(EXAMPLES / "seed_1_log_status_code.yaml"),
            "--executor",
            "dask",
            "--scheduler",
            "tcp://10.1.2.3:8786",
            "--home",
            str(tmp_path / "h"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "is local to this machine: workers on other hosts cannot read its files" in result.output


# -- a worker lost mid-task ----------------------------------------------------------------


def executing_worker(client) -> str | None:
    counts = client.run(lambda dask_worker: dask_worker.state.executing_count)
    busy = [address for address, count in counts.items() if count]
    return busy[0] if busy else None


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
@pytest.mark.parametrize(
    "config",
    [{}, {"distributed.scheduler.allowed-failures": 0}],
    ids=["dask-resubmits", "flowc-resubmits"],
)
def test_a_killed_worker_does_not_lose_the_run(home, tmp_path, config):
    flow = write_flow(
        tmp_path,
        f"""
        id: long_task
        namespace: company.team
        tasks:
          - id: long
            type: {SHELL}
            commands:
              - sleep 3
              - echo done
        """,
    )
    cluster = local_cluster(**config)  # its own: the module's cluster must survive
    try:
        executor = DaskExecutor(cluster.scheduler_address, storage=home.storage)
        with (
            distributed.Client(cluster.scheduler_address, set_as_default=False) as client,
            ThreadPoolExecutor(1) as pool,
        ):
            running = pool.submit(run, flow, home, executor)
            victim = None
            for _ in range(600):
                victim = executing_worker(client)
                if victim or running.done():
                    break
                time.sleep(0.05)
            assert victim is not None, "the task never started on a worker"
            os.kill(client.run(os.getpid)[victim], signal.SIGKILL)
            report = running.result(timeout=240)
    finally:
        cluster.close()
    assert report.state == "SUCCESS", report.tasks
    taskrun = by_task(home, report.execution_id)["long"]
    assert taskrun["worker"] != victim
    lost = [m for m in messages(home, report.execution_id, "long") if "was lost" in m]
    assert lost == [f"worker {victim} was lost; ran again on {taskrun['worker']}"]
    assert "done" in messages(home, report.execution_id, "long")
    attempts = home.state.attempts(taskrun["id"])
    assert [a["state"] for a in attempts] == ["FAILED", "SUCCESS"]  # the lost run counts
    assert victim in attempts[0]["error"]


# -- storage every worker reaches ------------------------------------------------------------


@pytest.fixture
def s3_endpoint(monkeypatch):
    boto3 = pytest.importorskip("boto3", reason="boto3 (moto's dependency) is not installed")
    pytest.importorskip("s3fs", reason="s3fs is not installed: pip install 'flowc[s3]'")
    from moto.server import ThreadedMotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    _, port = moto.get_host_and_port()
    url = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket="flowc-test")
    yield url
    moto.stop()


class PlacedExecutor(DaskExecutor):
    """Each task on the worker the test names."""

    def __init__(self, *args, places: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.places = places

    def options_for(self, arg):
        return {"workers": [self.places[arg.task_id]], "allow_other_workers": False}


def test_a_file_one_worker_writes_to_s3_is_read_by_the_other(
    cluster, workers, tmp_path, s3_endpoint
):
    options = {
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
    }
    storage = Storage("s3://flowc-test/runs", **options)
    assert reach(storage.base) == "remote"
    home = Home(tmp_path, StateStore(tmp_path / "state.db"), storage)
    flow = write_flow(
        tmp_path,
        f"""
        id: handoff
        namespace: company.team
        tasks:
          - id: a
            type: {SHELL}
            outputFiles:
              - x.txt
            commands:
              - echo "written by a on $(hostname)" > x.txt
          - id: b
            type: {SHELL}
            inputFiles:
              in.txt: "{{{{ outputs.a.outputFiles['x.txt'] }}}}"
            commands:
              - cat in.txt
        """,
    )
    first, second = workers
    executor = PlacedExecutor(
        cluster.scheduler_address, storage=storage, places={"a": first, "b": second}
    )
    try:
        report = run(flow, home, executor)
        runs = by_task(home, report.execution_id)
        b_logs = messages(home, report.execution_id, "b")
    finally:
        home.close()
    assert report.state == "SUCCESS", report.tasks
    assert (runs["a"]["worker"], runs["b"]["worker"]) == (first, second)
    uri = runs["a"]["outputs"]["outputFiles"]["x.txt"]
    assert uri.startswith(f"kestra:///company/team/handoff/executions/{report.execution_id}/")
    import s3fs

    fs = s3fs.S3FileSystem(**options)
    key = "flowc-test/runs/" + uri.removeprefix("kestra:///")
    written = fs.cat(key).decode().strip()
    assert written.startswith("written by a on ")
    assert written in b_logs


# -- refusals --------------------------------------------------------------------------------


def no_connection(*args, **kwargs):
    raise AssertionError("the executor tried to connect")


REFUSALS = [
    ("dask", {}, "--executor dask needs --scheduler tcp://HOST:8786"),
    ("dask", {"scheduler": "tcp://127.0.0.1:1", "workers": 3}, "--workers only applies to"),
    ("dask-local", {"scheduler": "tcp://127.0.0.1:1"}, "--scheduler only applies to"),
    ("dask-local", {"workers": 0}, "must be at least 1"),
    ("spark", {}, "unknown executor 'spark'"),
    ("dask", {"scheduler": "not an address::"}, "is not a Dask scheduler address"),
]


@pytest.mark.parametrize(("kind", "kwargs", "message"), REFUSALS)
def test_bad_combinations_are_refused_in_one_line(monkeypatch, kind, kwargs, message):
    monkeypatch.setattr(dask_executor, "Client", no_connection)
    monkeypatch.setattr(dask_executor, "_local_cluster", no_connection)
    with pytest.raises(ValueError, match=message) as info:
        DaskExecutor.create(kind, **kwargs)
    assert "\n" not in str(info.value)


def test_local_storage_and_a_remote_scheduler_are_refused_before_connecting(monkeypatch, tmp_path):
    monkeypatch.setattr(dask_executor, "Client", no_connection)
    storage = Storage(tmp_path / "storage")
    with pytest.raises(DaskExecutorError) as info:
        DaskExecutor.create("dask", scheduler="tcp://10.1.2.3:8786", storage=storage)
    assert str(info.value) == (
        f"the internal storage {storage.base} is local to this machine: workers on other "
        "hosts cannot read its files; use --storage s3://bucket/prefix or a shared path"
    )


def test_local_namespace_files_and_a_remote_scheduler_are_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(dask_executor, "Client", no_connection)
    storage = Storage("memory://flowc-nsfiles", namespace_files_dir=tmp_path)
    with pytest.raises(DaskExecutorError, match="lives in this process only"):
        DaskExecutor.create("dask", scheduler="tcp://10.1.2.3:8786", storage=storage)


def test_memory_storage_is_refused_even_on_dask_local(monkeypatch):
    monkeypatch.setattr(dask_executor, "_local_cluster", no_connection)
    with pytest.raises(DaskExecutorError, match="lives in this process only"):
        DaskExecutor.create("dask-local", storage=Storage("memory://flowc-test"))


def test_local_disk_storage_is_fine_on_this_host(cluster, home):
    executor = DaskExecutor(cluster.scheduler_address, storage=home.storage)
    try:
        assert executor.describe().startswith(f"dask ({cluster.scheduler_address}, 2 workers")
    finally:
        executor.shutdown()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("memory://x", "process"),
        ("{tmp}", "host"),
        ("file://{tmp}", "host"),
        ("s3://b/p", "remote"),
    ],
)
def test_reach(tmp_path, url, expected):
    pytest.importorskip("s3fs")
    assert reach(url.format(tmp=tmp_path)) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("localhost", True),
        ("10.1.2.3", False),
    ],
)
def test_is_this_host(host, expected):
    assert is_this_host(host) is expected


# -- what crosses the process boundary pickles ---------------------------------------------


def roundtrip(value):
    return pickle.loads(pickle.dumps(value))


def test_what_crosses_to_a_worker_pickles(tmp_path):
    pytest.importorskip("s3fs")
    storage = Storage(
        "s3://bucket/prefix",
        namespace_files_dir=tmp_path,
        key="k",
        secret="s",
        client_kwargs={"endpoint_url": "http://127.0.0.1:9"},
    )
    copy = roundtrip(storage)
    assert (copy.base, copy.namespace_files_dir) == (storage.base, storage.namespace_files_dir)
    assert copy.__getstate__() == storage.__getstate__()

    kv = SnapshotKV({"company.team": {"k": [1, 2]}})
    kv.set("company.team", "n", 3)
    assert roundtrip(kv).__dict__ == kv.__dict__

    services = RunServices(
        storage=storage, kv=kv, namespace="company.team", flow_id="f", execution_id="e"
    )
    services.revealed.add("s3cr3t")
    copy_services = roundtrip(services)
    assert copy_services.revealed == {"s3cr3t"}
    assert copy_services.kv_store.entries == kv.entries

    inv = Invocation(
        task_id="t",
        taskrun_id="tr",
        execution_id="e",
        namespace="company.team",
        flow_id="f",
        type=SHELL,
        props={"commands": ["true"]},
        variables={"inputs": {"n": 1}},
        storage=storage,
        kv=kv,
        services=services,
        timeout=2.5,
        attempt=2,
        cancel=__import__("threading").Event(),
    )
    copy_inv = roundtrip(inv)
    assert copy_inv.cancel is None
    assert (copy_inv.props, copy_inv.variables, copy_inv.timeout, copy_inv.attempt) == (
        inv.props,
        inv.variables,
        2.5,
        2,
    )

    outcome = Outcome(
        state="FAILED",
        outputs={"exitCode": 1},
        error="boom",
        logs=[LogLine("WARN", "worker tcp://127.0.0.1:1 was lost; ran again on tcp://127.0.0.1:2")],
        metrics=[Metric("n", "counter", 1.0, {"a": "b"})],
        secrets={"s"},
        worker="tcp://127.0.0.1:2",
        kv_ops=[("set", "company.team", "n", 3, None, True)],
    )
    assert roundtrip(outcome) == outcome

    for error in (
        TaskError("a task failed"),
        StorageError("'kestra:///x' does not exist"),
        ExpressionError("bad", expression="{{ x }}"),
        DaskExecutorError("the internal storage /x is local to this machine"),
    ):
        copy_error = roundtrip(error)
        assert type(copy_error) is type(error) and str(copy_error) == str(error)
