"""The SQLite state store, on real database files."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from runtime.state import (
    MIGRATIONS,
    STATES,
    TERMINAL_STATES,
    StateError,
    StateStore,
    new_id,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path):
    with StateStore(tmp_path / "state.db") as s:
        yield s


def new_execution(store: StateStore, **kwargs) -> str:
    return store.create_execution("company.team", "etl", **kwargs)


# -- opening -----------------------------------------------------------------------------------


def test_opens_in_wal_mode_at_latest_version(tmp_path: Path) -> None:
    s = StateStore(tmp_path / "deep" / "dir" / "state.db")
    assert s.schema_version == len(MIGRATIONS)
    s.close()
    db = sqlite3.connect(tmp_path / "deep" / "dir" / "state.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "schema_version",
        "executions",
        "taskruns",
        "attempts",
        "state_history",
        "logs",
        "kv",
        "metrics",
    } <= tables
    db.close()


def test_v1_database_migrates(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("BEGIN")
    MIGRATIONS[0](db)
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.execute(
        'INSERT INTO executions (id, namespace, flow_id, state, "start") '
        "VALUES ('oldexec', 'ns', 'f', 'SUCCESS', '2024-01-01T00:00:00.000000Z')"
    )
    db.execute(
        "INSERT INTO taskruns (id, execution_id, task_id, state) VALUES ('oldtr', 'oldexec', 't', "
        "'SUCCESS')"
    )
    db.execute("COMMIT")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "attempts" not in tables and "metrics" not in tables
    db.close()

    with StateStore(path) as s:
        assert s.schema_version == len(MIGRATIONS) >= 2
        assert s.get_execution("oldexec")["state"] == "SUCCESS"
        assert s.start_attempt("oldtr", worker="w1") == 1
        s.add_metric("oldexec", "oldtr", "rows", "counter", 3)
        assert s.metrics("oldexec")[0]["value"] == 3.0
    with StateStore(path) as s:  # reopening applies nothing twice
        assert s.schema_version == len(MIGRATIONS)


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 999")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="schema version 999"):
        StateStore(path)


def test_from_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWC_HOME", str(tmp_path / "home"))
    with StateStore.from_home() as s:
        assert s.path == tmp_path / "home" / "state.db"
    with StateStore.from_home(tmp_path / "h2") as s:
        assert s.path == tmp_path / "h2" / "state.db"
    assert (tmp_path / "h2" / "state.db").exists()


# -- executions --------------------------------------------------------------------------------


def test_execution_round_trip(store: StateStore) -> None:
    exec_id = store.create_execution(
        "company.team",
        "etl",
        flow_source="id: etl\nnamespace: company.team\n",
        flow_file="flows/etl.yaml",
        flow_revision=3,
        inputs={"day": dt.date(2024, 5, 1), "n": 2},
        labels={"team": "data"},
        order_mode="parallel",
        options={"executor": "threads", "workers": 4},
    )
    assert len(exec_id) == 22 and exec_id.isalnum()
    ex = store.get_execution(exec_id)
    assert ex["namespace"] == "company.team" and ex["flow_id"] == "etl"
    assert ex["flow_source"].startswith("id: etl")
    assert ex["flow_file"] == "flows/etl.yaml" and ex["flow_revision"] == 3
    assert ex["inputs"] == {"day": "2024-05-01", "n": 2}
    assert ex["labels"] == {"team": "data"}
    assert ex["options"] == {"executor": "threads", "workers": 4}
    assert ex["state"] == "CREATED" and ex["end"] is None and ex["outputs"] is None
    assert ex["start"].endswith("Z") and len(ex["start"]) == len("2024-01-01T00:00:00.000000Z")

    store.set_execution_state(exec_id, "RUNNING")
    assert store.get_execution(exec_id)["end"] is None
    store.set_execution_outputs(exec_id, {"total": Decimal("12"), "rate": Decimal("0.5")})
    store.set_execution_state(exec_id, "SUCCESS")
    ex = store.get_execution(exec_id)
    assert ex["state"] == "SUCCESS" and ex["end"] > ex["start"]
    assert ex["outputs"] == {"total": 12, "rate": 0.5}
    assert [h["state"] for h in store.state_history(exec_id)] == ["CREATED", "RUNNING", "SUCCESS"]


def test_execution_errors(store: StateStore) -> None:
    with pytest.raises(StateError, match="does not exist"):
        store.get_execution("missing")
    with pytest.raises(StateError, match="does not exist"):
        store.set_execution_state("missing", "RUNNING")
    with pytest.raises(StateError, match="unknown state 'DONE'"):
        store.set_execution_state(new_execution(store), "DONE")
    exec_id = new_execution(store)
    with pytest.raises(StateError, match="already exists"):
        new_execution(store, execution_id=exec_id)
    with pytest.raises(StateError, match="cannot be stored"):
        store.set_execution_outputs(exec_id, {"x": object()})


def test_explicit_end(store: StateStore) -> None:
    exec_id = new_execution(store)
    at = dt.datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    store.set_execution_state(exec_id, "FAILED", end=at)
    assert store.get_execution(exec_id)["end"] == "2030-01-02T03:04:05.000006Z"


def test_find_execution_by_prefix(store: StateStore) -> None:
    ids = ["abcDEF0000000000000001", "abcDEF0000000000000002", "abXxxx0000000000000000"]
    for i in ids:
        new_execution(store, execution_id=i)
    new_execution(store, execution_id="ABC")  # differs only in case: must not match 'abc'
    assert store.find_execution("abX")["id"] == ids[2]
    assert store.find_execution(ids[0])["id"] == ids[0]
    assert store.find_execution("abcDEF0000000000000002")["id"] == ids[1]
    with pytest.raises(StateError, match="ambiguous") as err:
        store.find_execution("abc")
    assert ids[0] in str(err.value) and ids[1] in str(err.value)
    with pytest.raises(StateError, match="no execution id starts with 'zz'"):
        store.find_execution("zz")
    with pytest.raises(StateError, match="empty"):
        store.find_execution("")
    assert store.find_execution("AB")["id"] == "ABC"
    # LIKE wildcards are not wildcards here.
    with pytest.raises(StateError):
        store.find_execution("ab%")


def test_list_executions(store: StateStore) -> None:
    a = store.create_execution("ns1", "f1")
    b = store.create_execution("ns1", "f2")
    c = store.create_execution("ns2", "f1")
    store.set_execution_state(b, "FAILED")
    assert [e["id"] for e in store.list_executions()] == [c, b, a]
    assert [e["id"] for e in store.list_executions(flow_id="f1")] == [c, a]
    assert [e["id"] for e in store.list_executions(namespace="ns1")] == [b, a]
    assert [e["id"] for e in store.list_executions(state="FAILED")] == [b]
    assert [e["id"] for e in store.list_executions(flow_id="f1", namespace="ns2")] == [c]
    assert len(store.list_executions(limit=2)) == 2


def test_ids_are_kestra_like() -> None:
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 22 and i.isascii() and i.isalnum() for i in ids)


# -- task runs, attempts, outputs --------------------------------------------------------------


def test_taskrun_lifecycle_with_retries(store: StateStore) -> None:
    exec_id = new_execution(store)
    tr = store.create_taskrun(exec_id, "fetch")
    assert store.get_taskrun(tr)["state"] == "CREATED"

    assert store.start_attempt(tr, worker="thread-1") == 1
    run = store.get_taskrun(tr)
    assert run["state"] == "RUNNING" and run["attempts"] == 1 and run["worker"] == "thread-1"
    store.end_attempt(tr, "FAILED", error=RuntimeError("connection reset"))
    store.set_taskrun_state(tr, "RETRYING")

    assert store.start_attempt(tr, worker="thread-2") == 2
    store.end_attempt(tr, "SUCCESS")
    store.set_taskrun_outputs(tr, {"uri": "kestra:///x", "code": 200})
    store.set_taskrun_state(tr, "SUCCESS")

    run = store.get_taskrun(tr)
    assert run["state"] == "SUCCESS" and run["attempts"] == 2
    assert run["start"] < run["end"]
    assert run["outputs"] == {"uri": "kestra:///x", "code": 200}
    attempts = store.attempts(tr)
    assert [(a["number"], a["state"], a["worker"]) for a in attempts] == [
        (1, "FAILED", "thread-1"),
        (2, "SUCCESS", "thread-2"),
    ]
    assert attempts[0]["error"] == "connection reset"
    assert attempts[0]["end"] < attempts[1]["start"] < attempts[1]["end"]
    history = store.state_history(exec_id, tr)
    assert [h["state"] for h in history] == ["CREATED", "RUNNING", "RETRYING", "RUNNING", "SUCCESS"]
    ats = [h["at"] for h in history]
    assert ats == sorted(ats) and len(set(ats)) == len(ats)
    assert [h["state"] for h in store.state_history(exec_id, executions_only=True)] == ["CREATED"]


def test_taskrun_errors(store: StateStore) -> None:
    exec_id = new_execution(store)
    with pytest.raises(StateError, match="does not exist"):
        store.create_taskrun("missing-exec", "t")
    with pytest.raises(StateError, match="does not exist"):
        store.create_taskrun(exec_id, "t", parent_taskrun_id="missing-parent")
    with pytest.raises(StateError, match="does not exist"):
        store.start_attempt("missing")
    with pytest.raises(StateError, match="does not exist"):
        store.set_taskrun_state("missing", "SUCCESS")
    tr = store.create_taskrun(exec_id, "t")
    with pytest.raises(StateError, match="no attempt"):
        store.end_attempt(tr, "SUCCESS")
    with pytest.raises(StateError, match="does not exist"):
        store.get_taskrun("missing")


def test_taskruns_in_creation_order(store: StateStore) -> None:
    exec_id = new_execution(store)
    other = new_execution(store)
    ids = [store.create_taskrun(exec_id, f"t{i}") for i in range(5)]
    store.create_taskrun(other, "elsewhere")
    store.set_taskrun_outputs(ids[2], {"v": [1, 2]})
    runs = store.taskruns(exec_id)
    assert [r["id"] for r in runs] == ids
    assert [r["task_id"] for r in runs] == [f"t{i}" for i in range(5)]
    assert runs[2]["outputs"] == {"v": [1, 2]} and runs[0]["outputs"] is None


def test_outputs_shaped_like_kestra(store: StateStore) -> None:
    exec_id = new_execution(store)
    plain = store.create_taskrun(exec_id, "plain")
    store.set_taskrun_outputs(plain, {"value": 1})
    store.create_taskrun(exec_id, "no_outputs")

    # ForEach over ["a", "b"]: one task run per iteration carries the value.
    each = store.create_taskrun(exec_id, "each")
    for v in ("a", "b"):
        tr = store.create_taskrun(exec_id, "inner", parent_taskrun_id=each, value=v)
        store.set_taskrun_outputs(tr, {"value": f"got {v}"})

    # Nested loops: outer value x/y on the inner loop's task run, inner values 1/2 below it.
    outer = store.create_taskrun(exec_id, "outer")
    for x in ("x", "y"):
        loop = store.create_taskrun(exec_id, "inner_loop", parent_taskrun_id=outer, value=x)
        for n in (1, 2):
            tr = store.create_taskrun(exec_id, "deep", parent_taskrun_id=loop, value=n)
            store.set_taskrun_outputs(tr, {"n": n, "x": x})

    # A Sequential inside a ForEach iteration: the group carries the value, its child does not.
    group = store.create_taskrun(exec_id, "group", parent_taskrun_id=each, value="a")
    child = store.create_taskrun(exec_id, "in_group", parent_taskrun_id=group)
    store.set_taskrun_outputs(child, {"ok": True})

    # A non-string loop value is keyed by its JSON text, as Kestra renders it.
    tr = store.create_taskrun(exec_id, "by_map", parent_taskrun_id=each, value={"k": 1})
    store.set_taskrun_outputs(tr, {"done": 1})

    assert store.outputs(exec_id) == {
        "plain": {"value": 1},
        "inner": {"a": {"value": "got a"}, "b": {"value": "got b"}},
        "deep": {
            "x": {"1": {"n": 1, "x": "x"}, "2": {"n": 2, "x": "x"}},
            "y": {"1": {"n": 1, "x": "y"}, "2": {"n": 2, "x": "y"}},
        },
        "in_group": {"a": {"ok": True}},
        "by_map": {'{"k": 1}': {"done": 1}},
    }


# -- logs and metrics ------------------------------------------------------------------------------


def test_logs_with_levels_and_mask(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.db", mask=lambda m: m.replace("s3cr3t", "******")) as store:
        exec_id = new_execution(store)
        tr = store.create_taskrun(exec_id, "t")
        store.add_log(exec_id, tr, "t", "info", "token is s3cr3t")
        store.add_log(exec_id, tr, "t", "DEBUG", "debugging")
        store.add_log(exec_id, None, None, "warning", "flow-level warning")
        store.add_log(exec_id, tr, "t", "ERROR", "boom s3cr3t")
        store.set_taskrun_state(tr, "FAILED", error="auth failed with s3cr3t")

        logs = store.logs(exec_id)
        assert [(r["level"], r["message"]) for r in logs] == [
            ("INFO", "token is ******"),
            ("DEBUG", "debugging"),
            ("WARN", "flow-level warning"),
            ("ERROR", "boom ******"),
        ]
        assert [r["at"] for r in logs] == sorted(r["at"] for r in logs)
        assert [r["message"] for r in store.logs(exec_id, min_level="WARN")] == [
            "flow-level warning",
            "boom ******",
        ]
        assert len(store.logs(exec_id, task_id="t")) == 3
        assert len(store.logs(exec_id, task_id="t", min_level="info")) == 2
        assert store.get_taskrun(tr)["error"] == "auth failed with ******"

        store.set_mask(lambda m: m.upper())
        store.add_log(exec_id, tr, "t", "INFO", "later")
        assert store.logs(exec_id)[-1]["message"] == "LATER"

        def broken(message: str) -> str:
            raise ValueError("mask bug")

        store.set_mask(broken)
        store.add_log(exec_id, tr, "t", "INFO", "s3cr3t must not leak")
        assert "s3cr3t" not in store.logs(exec_id)[-1]["message"]

        with pytest.raises(StateError, match="unknown log level 'LOUD'"):
            store.add_log(exec_id, tr, "t", "LOUD", "x")
        with pytest.raises(StateError, match="does not exist"):
            store.add_log("missing", None, None, "INFO", "x")


def test_metrics(store: StateStore) -> None:
    exec_id = new_execution(store)
    tr = store.create_taskrun(exec_id, "t")
    store.add_metric(exec_id, tr, "rows", "counter", 42, tags={"table": "users"})
    store.add_metric(exec_id, tr, "duration", "timer", 1.5)
    rows = store.metrics(exec_id)
    assert [(m["name"], m["type"], m["value"]) for m in rows] == [
        ("rows", "counter", 42.0),
        ("duration", "timer", 1.5),
    ]
    assert rows[0]["tags"] == {"table": "users"}
    assert len(store.metrics(exec_id, name="rows")) == 1
    with pytest.raises(StateError, match="'counter' or 'timer'"):
        store.add_metric(exec_id, tr, "x", "gauge", 1)


# -- KV ------------------------------------------------------------------------------------------


def test_kv(store: StateStore) -> None:
    assert store.kv_get("ns", "missing") == (False, None)
    store.kv_set("ns", "k1", {"a": [1, 2]})
    store.kv_set("ns", "k2", "text")
    store.kv_set("ns", "other", None)
    store.kv_set("ns2", "k1", 7)
    assert store.kv_get("ns", "k1") == (True, {"a": [1, 2]})
    assert store.kv_get("ns", "other") == (True, None)  # a stored null is found
    assert store.kv_get("ns2", "k1") == (True, 7)
    assert store.kv_keys("ns") == ["k1", "k2", "other"]
    assert store.kv_keys("ns", prefix="k") == ["k1", "k2"]
    assert store.kv_keys("ns", prefix="K") == []

    store.kv_set("ns", "k1", "new")
    assert store.kv_get("ns", "k1") == (True, "new")
    with pytest.raises(StateError, match="already exists"):
        store.kv_set("ns", "k1", "newer", overwrite=False)
    assert store.kv_get("ns", "k1") == (True, "new")
    store.kv_set("ns", "fresh", 1, overwrite=False)

    assert store.kv_delete("ns", "k1") is True
    assert store.kv_delete("ns", "k1") is False
    assert store.kv_get("ns", "k1") == (False, None)
    entries = store.kv_entries("ns")
    assert [e["key"] for e in entries] == ["fresh", "k2", "other"]
    assert entries[1]["value"] == "text" and entries[1]["expires_at"] is None


def test_kv_ttl(store: StateStore) -> None:
    store.kv_set("ns", "short", "soon gone", ttl_seconds=0.3)
    store.kv_set("ns", "long", "stays", ttl_seconds=dt.timedelta(hours=1))
    assert store.kv_get("ns", "short") == (True, "soon gone")
    assert store.kv_keys("ns") == ["long", "short"]
    time.sleep(0.45)
    assert store.kv_get("ns", "short") == (False, None)
    assert store.kv_keys("ns") == ["long"]
    assert store.kv_delete("ns", "short") is False  # expired counts as absent
    store.kv_set("ns", "short", "again", overwrite=False)  # an expired key can be re-created
    assert store.kv_get("ns", "short") == (True, "again")
    assert store.kv_get("ns", "long") == (True, "stays")
    with pytest.raises(StateError, match="must be positive"):
        store.kv_set("ns", "bad", 1, ttl_seconds=0)


# -- concurrency and crashes -----------------------------------------------------------------------


def test_thread_hammer_loses_nothing(store: StateStore) -> None:
    exec_id = new_execution(store)
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(50):
                kind = i % 5
                if kind == 0:
                    tr = store.create_taskrun(exec_id, f"t{n}", value=str(i))
                    store.start_attempt(tr, worker=f"w{n}")
                    store.set_taskrun_outputs(tr, {"n": n, "i": i})
                    store.set_taskrun_state(tr, "SUCCESS")
                elif kind == 1:
                    store.add_log(exec_id, None, f"t{n}", "INFO", f"{n}:{i}")
                elif kind == 2:
                    store.kv_set("ns", f"{n}:{i}", i)
                elif kind == 3:
                    store.add_metric(exec_id, None, f"m{n}", "counter", i)
                else:
                    store.get_execution(exec_id)
                    store.logs(exec_id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    runs = store.taskruns(exec_id)
    assert len(runs) == 16 * 10
    assert all(r["state"] == "SUCCESS" and r["attempts"] == 1 for r in runs)
    assert len(store.logs(exec_id)) == 16 * 10
    assert len(store.kv_keys("ns")) == 16 * 10
    assert len(store.metrics(exec_id)) == 16 * 10
    outputs = store.outputs(exec_id)
    assert sum(len(v) for v in outputs.values()) == 16 * 10
    history = store.state_history(exec_id)
    ats = [h["at"] for h in history]
    assert ats == sorted(ats) and len(set(ats)) == len(ats)


def test_two_stores_on_one_file(tmp_path: Path) -> None:
    a = StateStore(tmp_path / "state.db")
    b = StateStore(tmp_path / "state.db")
    exec_id = a.create_execution("ns", "f")
    b.add_log(exec_id, None, None, "INFO", "from b")
    assert a.logs(exec_id)[0]["message"] == "from b"
    a.close()
    b.close()


CHILD = textwrap.dedent(
    """
    import sys
    from runtime.state import StateStore

    store = StateStore(sys.argv[1])
    exec_id = store.create_execution("ns", "crashy")
    print("exec", exec_id, flush=True)
    i = 0
    while True:
        tr = store.create_taskrun(exec_id, f"t{i}")
        store.start_attempt(tr)
        store.set_taskrun_outputs(tr, {"i": i})
        store.set_taskrun_state(tr, "SUCCESS")
        store.add_log(exec_id, tr, f"t{i}", "INFO", f"done {i}")
        print("done", tr, flush=True)  # only after every write above committed
        i += 1
    """
)


def test_kill_9_loses_no_committed_state(tmp_path: Path) -> None:
    db_path = tmp_path / "state.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    exec_id = proc.stdout.readline().split()[1]
    reported: list[str] = []
    while len(reported) < 40:
        line = proc.stdout.readline()
        assert line, "child died early"
        reported.append(line.split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reported += [line.split()[1] for line in proc.stdout.read().splitlines()]

    with StateStore(db_path) as store:
        runs = {r["id"]: r for r in store.taskruns(exec_id)}
        for tr in reported:
            assert runs[tr]["state"] == "SUCCESS"
            assert runs[tr]["outputs"]["i"] >= 0
        logs = {r["taskrun_id"] for r in store.logs(exec_id)}
        assert set(reported) <= logs
        # The store is usable after the crash.
        store.set_execution_state(exec_id, "KILLED")
        assert store.get_execution(exec_id)["state"] == "KILLED"


def test_state_catalog_matches_kestra() -> None:
    terminal = {"FAILED", "WARNING", "SUCCESS", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"}
    assert len(STATES) == 15
    assert set(TERMINAL_STATES) == terminal
    assert terminal.issubset(STATES)


def test_synchronous_option(tmp_path: Path) -> None:
    with StateStore(tmp_path / "full.db", synchronous="FULL") as store:
        exec_id = new_execution(store)
        store.set_execution_state(exec_id, "SUCCESS")
        assert store.get_execution(exec_id)["state"] == "SUCCESS"
    with pytest.raises(StateError, match="synchronous 'OFF'"):
        StateStore(tmp_path / "off.db", synchronous="OFF")
