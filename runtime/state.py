"""The state store: executions, task runs, attempts, logs, metrics and KV in SQLite.

One file, ``<home>/state.db`` (stdlib ``sqlite3``, WAL journal). Every write is its own
committed transaction, so what the engine recorded before a crash is there after it.

Durability. ``journal_mode=WAL`` with ``synchronous=NORMAL`` (the default here): a commit appends
the transaction to the WAL file with ``write()`` before returning, so it sits in the operating
system's page cache and survives the *process* dying at any instant — ``kill -9``, a segfault,
an OOM kill. What NORMAL gives up is *power loss / OS crash* durability: the WAL is fsynced only at
checkpoints, so the last transactions before a power cut can be lost (the database stays
consistent). Pass ``synchronous="FULL"`` to fsync on every commit when that matters; it costs
one fsync per state change and per log line.

Threads. One connection, opened with ``check_same_thread=False`` and guarded by one lock: every
public method takes the lock, so calls from the engine's many threads are serialised and each
write is a complete ``BEGIN IMMEDIATE ... COMMIT`` of its own. Other *processes* (``flowc logs``
while a run goes on) open their own store; WAL lets them read while this one writes, and
``busy_timeout`` makes writers wait for each other instead of failing.

Schema. ``schema_version`` holds one row; :data:`MIGRATIONS` is the ordered list of migration
functions and opening a store applies the missing ones, each in its own transaction.

Timestamps are ISO-8601 UTC strings with microseconds (``2026-01-02T03:04:05.123456Z``): they sort
as text, and one store never hands out the same or a smaller timestamp twice.

Returned rows are plain dicts. JSON columns come back decoded and named without ``_json``:
``inputs``, ``labels``, ``outputs``, ``options``, ``tags``, ``value`` (KV).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any

try:  # the runtime's exception tree
    from runtime.errors import StateError
except ImportError:
    try:
        from runtime.errors import FlowcRuntimeError as _ErrorBase
    except ImportError:  # pragma: no cover - runtime/errors.py not there
        _ErrorBase = Exception  # type: ignore[assignment,misc]

    class StateError(_ErrorBase):  # type: ignore[no-redef]
        """Raised when the state store is asked for something missing, ambiguous or invalid."""


__all__ = [
    "LOG_LEVELS",
    "MIGRATIONS",
    "STATES",
    "TERMINAL_STATES",
    "StateError",
    "StateStore",
    "new_id",
]

# Kestra's State.Type, and the ones that end a run (State.isTerminated).
STATES = (
    "CREATED",
    "RUNNING",
    "PAUSED",
    "RESTARTED",
    "KILLING",
    "SUCCESS",
    "WARNING",
    "FAILED",
    "KILLED",
    "CANCELLED",
    "QUEUED",
    "RETRYING",
    "RETRIED",
    "SKIPPED",
    "BREAKPOINT",
)
TERMINAL_STATES = frozenset(
    {"FAILED", "WARNING", "SUCCESS", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"}
)

# Kestra's log levels, lowest first; min_level filters by this order.
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "ERROR", "FATAL": "ERROR"}

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MASK_FAILED = "<message withheld: secret masking failed>"


def new_id() -> str:
    """A Kestra-like id: 22 random base62 characters (about 131 bits)."""
    return "".join(secrets.choice(_BASE62) for _ in range(22))


# -- migrations --------------------------------------------------------------------------------
# Each takes a connection inside an open transaction and must not commit. Append, never edit.


def migration_1(db: sqlite3.Connection) -> None:
    """Executions, task runs, state history, logs and KV."""
    for sql in (
        """CREATE TABLE executions (
            id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            flow_id TEXT NOT NULL,
            flow_revision INTEGER,
            flow_source TEXT,
            flow_file TEXT,
            state TEXT NOT NULL,
            inputs_json TEXT,
            labels_json TEXT,
            outputs_json TEXT,
            "start" TEXT NOT NULL,
            "end" TEXT,
            parent_id TEXT,
            original_id TEXT,
            order_mode TEXT,
            options_json TEXT)""",
        """CREATE TABLE taskruns (
            id TEXT PRIMARY KEY,
            execution_id TEXT NOT NULL REFERENCES executions(id),
            task_id TEXT NOT NULL,
            parent_taskrun_id TEXT REFERENCES taskruns(id),
            value TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            "start" TEXT,
            "end" TEXT,
            outputs_json TEXT,
            worker TEXT,
            error TEXT)""",
        """CREATE TABLE state_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            execution_id TEXT NOT NULL REFERENCES executions(id),
            taskrun_id TEXT REFERENCES taskruns(id),
            state TEXT NOT NULL,
            at TEXT NOT NULL)""",
        """CREATE TABLE logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            execution_id TEXT NOT NULL REFERENCES executions(id),
            taskrun_id TEXT,
            task_id TEXT,
            level TEXT NOT NULL,
            at TEXT NOT NULL,
            message TEXT NOT NULL)""",
        """CREATE TABLE kv (
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value_json TEXT NOT NULL,
            expires_at TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (namespace, key))""",
        "CREATE INDEX executions_flow ON executions(namespace, flow_id)",
        "CREATE INDEX taskruns_execution ON taskruns(execution_id)",
        "CREATE INDEX state_history_execution ON state_history(execution_id)",
        "CREATE INDEX logs_execution ON logs(execution_id)",
    ):
        db.execute(sql)


def migration_2(db: sqlite3.Connection) -> None:
    """Attempts of a task run (retries) and metrics."""
    for sql in (
        """CREATE TABLE attempts (
            taskrun_id TEXT NOT NULL REFERENCES taskruns(id),
            number INTEGER NOT NULL,
            state TEXT NOT NULL,
            "start" TEXT NOT NULL,
            "end" TEXT,
            worker TEXT,
            error TEXT,
            PRIMARY KEY (taskrun_id, number))""",
        """CREATE TABLE metrics (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            execution_id TEXT NOT NULL REFERENCES executions(id),
            taskrun_id TEXT,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            value REAL NOT NULL,
            tags_json TEXT,
            at TEXT NOT NULL)""",
        "CREATE INDEX metrics_execution ON metrics(execution_id)",
    ):
        db.execute(sql)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (migration_1, migration_2)


# -- JSON --------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"a value of type '{type(value).__name__}' cannot be stored as JSON")


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StateError(f"{what} cannot be stored: {exc}") from None


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _value_key(value: Any) -> str | None:
    """A loop value as stored: strings as they are, anything else as JSON (as Kestra does)."""
    if value is None or isinstance(value, str):
        return value
    return _dumps(value, "loop value")


def _deep_merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _check_state(state: str) -> str:
    if state not in STATES:
        raise StateError(f"unknown state '{state}'; valid states are {', '.join(STATES)}")
    return state


def _level(level: str) -> str:
    name = str(level).upper()
    name = _LEVEL_ALIASES.get(name, name)
    if name not in LOG_LEVELS:
        raise StateError(f"unknown log level '{level}'; valid levels are {', '.join(LOG_LEVELS)}")
    return name


class StateStore:
    """The SQLite state store at ``path`` (created, and migrated, on open).

    ``mask`` is applied to every log message and error text before it is stored (secrets
    masking); if it raises, a placeholder is stored instead of the unmasked text.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        mask: Callable[[str], str] | None = None,
        *,
        synchronous: str = "NORMAL",
        timeout: float = 30.0,
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise StateError(f"synchronous '{synchronous}' must be 'NORMAL', 'FULL' or 'EXTRA'")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._mask = mask
        self._synchronous = synchronous.upper()
        self._lock = threading.RLock()
        self._last_ts = ""
        self._db = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={self._synchronous}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._migrate()

    @classmethod
    def from_home(
        cls, home: str | os.PathLike[str] | None = None, mask: Callable[[str], str] | None = None
    ) -> StateStore:
        """The store of a flowc home (``<home>/state.db``); ``home`` defaults to default_home()."""
        from runtime.storage import default_home

        root = Path(home) if home is not None else default_home()
        return cls(root / "state.db", mask)

    # -- plumbing ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
                )
                row = self._db.execute("SELECT version FROM schema_version").fetchone()
                if row is None:
                    self._db.execute("INSERT INTO schema_version (version) VALUES (0)")
                    version = 0
                else:
                    version = row[0]
                if version > len(MIGRATIONS):
                    raise StateError(
                        f"state database '{self.path}' has schema version {version}; this flowc "
                        f"knows versions up to {len(MIGRATIONS)}; upgrade flowc"
                    )
                for number in range(version + 1, len(MIGRATIONS) + 1):
                    MIGRATIONS[number - 1](self._db)
                    self._db.execute("UPDATE schema_version SET version = ?", (number,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    def _now(self) -> str:
        """Current UTC time, strictly later than any this store handed out before."""
        text = _timestamp(dt.datetime.now(dt.UTC))
        if text <= self._last_ts:
            text = _timestamp(_parse_ts(self._last_ts) + dt.timedelta(microseconds=1))
        self._last_ts = text
        return text

    def _write(self, fn: Callable[[sqlite3.Connection, str], Any]) -> Any:
        """Run ``fn(db, now)`` as one committed transaction, under the lock."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db, self._now())
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return result

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def _masked(self, text: str | None) -> str | None:
        if text is None or self._mask is None:
            return text
        try:
            return self._mask(text)
        except Exception:
            return _MASK_FAILED

    def set_mask(self, mask: Callable[[str], str] | None) -> None:
        """Replace the secrets mask applied to log messages and error texts."""
        with self._lock:
            self._mask = mask

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({str(self.path)!r})"

    # -- executions ----------------------------------------------------------------------------

    def create_execution(
        self,
        namespace: str,
        flow_id: str,
        *,
        flow_source: str | None = None,
        flow_file: str | None = None,
        flow_revision: int | None = None,
        inputs: Mapping[str, Any] | None = None,
        labels: Mapping[str, Any] | list[Any] | None = None,
        parent_id: str | None = None,
        original_id: str | None = None,
        order_mode: str | None = None,
        options: Mapping[str, Any] | None = None,
        state: str = "CREATED",
        execution_id: str | None = None,
    ) -> str:
        """Record a new execution (start = now) and return its id."""
        _check_state(state)
        exec_id = execution_id or new_id()
        row = (
            exec_id,
            namespace,
            flow_id,
            flow_revision,
            flow_source,
            None if flow_file is None else str(flow_file),
            state,
            _dumps(dict(inputs or {}), "execution inputs"),
            _dumps(labels if labels is not None else {}, "execution labels"),
            parent_id,
            original_id,
            order_mode,
            _dumps(dict(options or {}), "execution options"),
        )

        def write(db: sqlite3.Connection, now: str) -> None:
            try:
                db.execute(
                    """INSERT INTO executions (id, namespace, flow_id, flow_revision, flow_source,
                    flow_file, state, inputs_json, labels_json, parent_id, original_id,
                    order_mode, options_json, "start")
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (*row, now),
                )
            except sqlite3.IntegrityError:
                raise StateError(f"execution '{exec_id}' already exists") from None
            db.execute(
                "INSERT INTO state_history (execution_id, taskrun_id, state, at) "
                "VALUES (?, NULL, ?, ?)",
                (exec_id, state, now),
            )

        self._write(write)
        return exec_id

    def set_execution_state(
        self, exec_id: str, state: str, end: str | dt.datetime | None = None
    ) -> None:
        """Change an execution's state; a terminal state without ``end`` ends it now."""
        _check_state(state)

        def write(db: sqlite3.Connection, now: str) -> None:
            end_at = (
                _timestamp(end) if end is not None else (now if state in TERMINAL_STATES else None)
            )
            cur = db.execute(
                'UPDATE executions SET state = ?, "end" = COALESCE(?, "end") WHERE id = ?',
                (state, end_at, exec_id),
            )
            if cur.rowcount == 0:
                raise StateError(f"execution '{exec_id}' does not exist")
            db.execute(
                "INSERT INTO state_history (execution_id, taskrun_id, state, at) "
                "VALUES (?, NULL, ?, ?)",
                (exec_id, state, now),
            )

        self._write(write)

    def set_execution_outputs(self, exec_id: str, outputs: Mapping[str, Any] | None) -> None:
        """Store the flow's rendered ``outputs``."""
        text = None if outputs is None else _dumps(dict(outputs), "flow outputs")

        def write(db: sqlite3.Connection, now: str) -> None:
            cur = db.execute("UPDATE executions SET outputs_json = ? WHERE id = ?", (text, exec_id))
            if cur.rowcount == 0:
                raise StateError(f"execution '{exec_id}' does not exist")

        self._write(write)

    def get_execution(self, exec_id: str) -> dict[str, Any]:
        rows = self._query("SELECT * FROM executions WHERE id = ?", (exec_id,))
        if not rows:
            raise StateError(f"execution '{exec_id}' does not exist")
        return _execution(rows[0])

    def find_execution(self, prefix: str) -> dict[str, Any]:
        """The execution whose id is ``prefix`` or starts with it (case-sensitive)."""
        if not prefix:
            raise StateError("an empty execution id prefix matches every execution")
        rows = self._query(
            "SELECT * FROM executions WHERE id = ? OR substr(id, 1, ?) = ? ORDER BY id LIMIT 6",
            (prefix, len(prefix), prefix),
        )
        exact = [row for row in rows if row["id"] == prefix]
        if exact:
            return _execution(exact[0])
        if not rows:
            raise StateError(f"no execution id starts with '{prefix}'")
        if len(rows) > 1:
            shown = ", ".join(f"'{row['id']}'" for row in rows[:5])
            more = ", ..." if len(rows) > 5 else ""
            raise StateError(
                f"execution id prefix '{prefix}' is ambiguous: it matches {shown}{more}; "
                "give more characters"
            )
        return _execution(rows[0])

    def list_executions(
        self,
        flow_id: str | None = None,
        namespace: str | None = None,
        state: str | None = None,
        limit: int | None = 50,
    ) -> list[dict[str, Any]]:
        """Executions, newest first."""
        where, params = [], []
        for column, value in (("flow_id", flow_id), ("namespace", namespace), ("state", state)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM executions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += ' ORDER BY "start" DESC, rowid DESC'
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_execution(row) for row in self._query(sql, params)]

    def state_history(
        self, exec_id: str, taskrun_id: str | None = None, *, executions_only: bool = False
    ) -> list[dict[str, Any]]:
        """State changes in order; ``taskrun_id`` narrows to one task run's."""
        sql = "SELECT execution_id, taskrun_id, state, at FROM state_history WHERE execution_id = ?"
        params: list[Any] = [exec_id]
        if taskrun_id is not None:
            sql += " AND taskrun_id = ?"
            params.append(taskrun_id)
        elif executions_only:
            sql += " AND taskrun_id IS NULL"
        return [dict(row) for row in self._query(sql + " ORDER BY id", params)]

    # -- task runs and attempts ----------------------------------------------------------------

    def create_taskrun(
        self,
        exec_id: str,
        task_id: str,
        parent_taskrun_id: str | None = None,
        value: Any = None,
        *,
        state: str = "CREATED",
        taskrun_id: str | None = None,
    ) -> str:
        """Record a task run and return its id.

        ``value`` is the loop value, set only on the task runs a loop creates for an iteration
        (a non-string is stored as JSON); their descendants leave it None and are nested under
        it through ``parent_taskrun_id`` in :meth:`outputs`, as in Kestra.
        """
        _check_state(state)
        tr_id = taskrun_id or new_id()
        key = _value_key(value)

        def write(db: sqlite3.Connection, now: str) -> None:
            try:
                db.execute(
                    "INSERT INTO taskruns (id, execution_id, task_id, parent_taskrun_id, value, "
                    "state) VALUES (?, ?, ?, ?, ?, ?)",
                    (tr_id, exec_id, task_id, parent_taskrun_id, key, state),
                )
            except sqlite3.IntegrityError as exc:
                raise StateError(
                    f"cannot create task run '{tr_id}' of task '{task_id}': execution "
                    f"'{exec_id}' or parent task run '{parent_taskrun_id}' does not exist, "
                    f"or the id is taken ({exc})"
                ) from None
            db.execute(
                "INSERT INTO state_history (execution_id, taskrun_id, state, at) "
                "VALUES (?, ?, ?, ?)",
                (exec_id, tr_id, state, now),
            )

        self._write(write)
        return tr_id

    def _taskrun_execution(self, db: sqlite3.Connection, taskrun_id: str) -> str:
        row = db.execute("SELECT execution_id FROM taskruns WHERE id = ?", (taskrun_id,)).fetchone()
        if row is None:
            raise StateError(f"task run '{taskrun_id}' does not exist")
        return str(row[0])

    def start_attempt(self, taskrun_id: str, worker: str | None = None) -> int:
        """Start the next attempt (1, 2, ...): the task run becomes RUNNING; returns its number."""

        def write(db: sqlite3.Connection, now: str) -> int:
            exec_id = self._taskrun_execution(db, taskrun_id)
            row = db.execute(
                "SELECT COALESCE(MAX(number), 0) FROM attempts WHERE taskrun_id = ?",
                (taskrun_id,),
            ).fetchone()
            number = int(row[0]) + 1
            db.execute(
                'INSERT INTO attempts (taskrun_id, number, state, "start", worker) '
                "VALUES (?, ?, 'RUNNING', ?, ?)",
                (taskrun_id, number, now, worker),
            )
            db.execute(
                "UPDATE taskruns SET attempts = ?, state = 'RUNNING', \"start\" = "
                'COALESCE("start", ?), "end" = NULL, worker = COALESCE(?, worker) WHERE id = ?',
                (number, now, worker, taskrun_id),
            )
            db.execute(
                "INSERT INTO state_history (execution_id, taskrun_id, state, at) "
                "VALUES (?, ?, 'RUNNING', ?)",
                (exec_id, taskrun_id, now),
            )
            return number

        return int(self._write(write))

    def end_attempt(
        self, taskrun_id: str, state: str, error: str | BaseException | None = None
    ) -> None:
        """End the task run's latest attempt. The task run's own state is left to the caller."""
        _check_state(state)
        err = self._masked(None if error is None else str(error))

        def write(db: sqlite3.Connection, now: str) -> None:
            cur = db.execute(
                'UPDATE attempts SET state = ?, "end" = ?, error = COALESCE(?, error) '
                "WHERE taskrun_id = ? AND number = "
                "(SELECT MAX(number) FROM attempts WHERE taskrun_id = ?)",
                (state, now, err, taskrun_id, taskrun_id),
            )
            if cur.rowcount == 0:
                raise StateError(f"task run '{taskrun_id}' has no attempt to end")

        self._write(write)

    def set_taskrun_state(
        self, taskrun_id: str, state: str, error: str | BaseException | None = None
    ) -> None:
        """Change a task run's state; RUNNING sets its start, a terminal state its end."""
        _check_state(state)
        err = self._masked(None if error is None else str(error))

        def write(db: sqlite3.Connection, now: str) -> None:
            exec_id = self._taskrun_execution(db, taskrun_id)
            terminal = now if state in TERMINAL_STATES else None
            started = now if state == "RUNNING" else None
            # a terminal state keeps the end an attempt recorded (the worker's own clock)
            db.execute(
                'UPDATE taskruns SET state = ?, "start" = COALESCE("start", ?), '
                '"end" = CASE WHEN ? IS NULL THEN NULL ELSE COALESCE("end", ?) END, '
                "error = COALESCE(?, error) WHERE id = ?",
                (state, started, terminal, terminal, err, taskrun_id),
            )
            db.execute(
                "INSERT INTO state_history (execution_id, taskrun_id, state, at) "
                "VALUES (?, ?, ?, ?)",
                (exec_id, taskrun_id, state, now),
            )

        self._write(write)

    def set_taskrun_outputs(self, taskrun_id: str, outputs: Mapping[str, Any] | None) -> None:
        text = None if outputs is None else _dumps(dict(outputs), "task outputs")

        def write(db: sqlite3.Connection, now: str) -> None:
            cur = db.execute(
                "UPDATE taskruns SET outputs_json = ? WHERE id = ?", (text, taskrun_id)
            )
            if cur.rowcount == 0:
                raise StateError(f"task run '{taskrun_id}' does not exist")

        self._write(write)

    def get_taskrun(self, taskrun_id: str) -> dict[str, Any]:
        rows = self._query("SELECT * FROM taskruns WHERE id = ?", (taskrun_id,))
        if not rows:
            raise StateError(f"task run '{taskrun_id}' does not exist")
        return _taskrun(rows[0])

    def taskruns(self, exec_id: str) -> list[dict[str, Any]]:
        """The execution's task runs in creation order, outputs decoded."""
        rows = self._query(
            "SELECT * FROM taskruns WHERE execution_id = ? ORDER BY rowid", (exec_id,)
        )
        return [_taskrun(row) for row in rows]

    def attempts(self, taskrun_id: str) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT * FROM attempts WHERE taskrun_id = ? ORDER BY number", (taskrun_id,)
        )
        return [dict(row) for row in rows]

    def outputs(self, exec_id: str) -> dict[str, Any]:
        """The ``outputs`` context, as Kestra's ``Execution.outputs()`` builds it.

        ``{task_id: outputs}`` for a plain task run; a task run with loop values on itself or
        its ancestors is nested by them, outermost first: ``{task_id: {v1: {v2: outputs}}}``.
        """
        runs = self._query(
            "SELECT id, task_id, parent_taskrun_id, value, outputs_json FROM taskruns "
            "WHERE execution_id = ? ORDER BY rowid",
            (exec_id,),
        )
        by_id = {row["id"]: row for row in runs}
        result: dict[str, Any] = {}
        for row in runs:
            if row["outputs_json"] is None:
                continue
            outputs = _loads(row["outputs_json"])
            path = []
            parent, seen = row["parent_taskrun_id"], set()
            while parent is not None and parent in by_id and parent not in seen:
                seen.add(parent)
                if by_id[parent]["value"] is not None:
                    path.append(by_id[parent]["value"])
                parent = by_id[parent]["parent_taskrun_id"]
            path.reverse()
            if row["value"] is not None:
                path.append(row["value"])
            nested: Any = outputs
            for key in reversed(path):
                nested = {key: nested}
            if isinstance(nested, Mapping):
                _deep_merge(result.setdefault(row["task_id"], {}), nested)
            else:
                result[row["task_id"]] = nested
        return result

    # -- logs and metrics ----------------------------------------------------------------------

    def add_log(
        self,
        exec_id: str,
        taskrun_id: str | None,
        task_id: str | None,
        level: str,
        message: str,
    ) -> None:
        """Store a log line (masked); ``level`` is a Kestra level (WARNING is read as WARN)."""
        name = _level(level)
        text = self._masked(str(message))

        def write(db: sqlite3.Connection, now: str) -> None:
            try:
                db.execute(
                    "INSERT INTO logs (execution_id, taskrun_id, task_id, level, at, message) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (exec_id, taskrun_id, task_id, name, now, text),
                )
            except sqlite3.IntegrityError:
                raise StateError(f"execution '{exec_id}' does not exist") from None

        self._write(write)

    def add_logs(
        self,
        exec_id: str,
        taskrun_id: str | None,
        task_id: str | None,
        lines: Iterable[tuple[str, str] | tuple[str, str, float]],
    ) -> None:
        """Store many ``(level, message[, epoch seconds])`` lines in one transaction (a task's
        whole output); a line without a time gets the time of the write."""
        rows = []
        for line in lines:
            at = _timestamp(dt.datetime.fromtimestamp(line[2], dt.UTC)) if len(line) > 2 else None
            rows.append((_level(line[0]), self._masked(str(line[1])), at))
        if not rows:
            return

        def write(db: sqlite3.Connection, now: str) -> None:
            db.executemany(
                "INSERT INTO logs (execution_id, taskrun_id, task_id, level, at, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (exec_id, taskrun_id, task_id, level, at or now, text)
                    for level, text, at in rows
                ],
            )

        self._write(write)

    def set_attempt_times(
        self, taskrun_id: str, start: float, end: float, worker: str | None
    ) -> None:
        """The latest attempt's real start and end, as the worker saw them (epoch seconds):
        a task waiting in the executor's queue is not running yet."""
        started = _timestamp(dt.datetime.fromtimestamp(start, dt.UTC))
        ended = _timestamp(dt.datetime.fromtimestamp(end, dt.UTC))

        def write(db: sqlite3.Connection, now: str) -> None:
            db.execute(
                'UPDATE attempts SET "start" = ?, "end" = ?, worker = COALESCE(?, worker) WHERE taskrun_id = ? '
                "AND number = (SELECT MAX(number) FROM attempts WHERE taskrun_id = ?)",
                (started, ended, worker, taskrun_id, taskrun_id),
            )
            db.execute(
                'UPDATE taskruns SET "start" = CASE WHEN attempts <= 1 THEN ? ELSE "start" END, '
                '"end" = ?, worker = COALESCE(?, worker) WHERE id = ?',
                (started, ended, worker, taskrun_id),
            )

        self._write(write)

    def set_taskrun_worker(self, taskrun_id: str, worker: str) -> None:
        """Record where the latest attempt ran (a thread, or a Dask worker's address)."""

        def write(db: sqlite3.Connection, now: str) -> None:
            db.execute("UPDATE taskruns SET worker = ? WHERE id = ?", (worker, taskrun_id))
            db.execute(
                "UPDATE attempts SET worker = ? WHERE taskrun_id = ? AND number = "
                "(SELECT MAX(number) FROM attempts WHERE taskrun_id = ?)",
                (worker, taskrun_id, taskrun_id),
            )

        self._write(write)

    def logs(
        self, exec_id: str, task_id: str | None = None, min_level: str | None = None
    ) -> list[dict[str, Any]]:
        """Log lines in the order they were stored."""
        sql = (
            "SELECT execution_id, taskrun_id, task_id, level, at, message FROM logs "
            "WHERE execution_id = ?"
        )
        params: list[Any] = [exec_id]
        if task_id is not None:
            sql += " AND task_id = ?"
            params.append(task_id)
        if min_level is not None:
            allowed = LOG_LEVELS[LOG_LEVELS.index(_level(min_level)) :]
            sql += f" AND level IN ({', '.join('?' * len(allowed))})"
            params.extend(allowed)
        return [dict(row) for row in self._query(sql + " ORDER BY id", params)]

    def add_metric(
        self,
        exec_id: str,
        taskrun_id: str | None,
        name: str,
        type: str,
        value: float,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Store a metric: ``type`` is ``counter`` or ``timer`` (seconds), as in Kestra."""
        if type not in ("counter", "timer"):
            raise StateError(f"metric type '{type}' must be 'counter' or 'timer'")
        tags_text = _dumps(dict(tags or {}), "metric tags")

        def write(db: sqlite3.Connection, now: str) -> None:
            try:
                db.execute(
                    "INSERT INTO metrics (execution_id, taskrun_id, name, type, value, tags_json, "
                    "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (exec_id, taskrun_id, name, type, float(value), tags_text, now),
                )
            except sqlite3.IntegrityError:
                raise StateError(f"execution '{exec_id}' does not exist") from None

        self._write(write)

    def metrics(self, exec_id: str, name: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT execution_id, taskrun_id, name, type, value, tags_json, at FROM metrics "
            "WHERE execution_id = ?"
        )
        params: list[Any] = [exec_id]
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        out = []
        for row in self._query(sql + " ORDER BY id", params):
            item = dict(row)
            item["tags"] = _loads(item.pop("tags_json"))
            out.append(item)
        return out

    # -- KV store ------------------------------------------------------------------------------

    def kv_set(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | dt.timedelta | None = None,
        overwrite: bool = True,
    ) -> None:
        """Set a key; with ``overwrite=False`` an existing, unexpired key raises StateError."""
        text = _dumps(value, f"KV value of '{key}'")
        ttl = ttl_seconds.total_seconds() if isinstance(ttl_seconds, dt.timedelta) else ttl_seconds
        if ttl is not None and ttl <= 0:
            raise StateError(f"KV ttl of '{key}' must be positive, got {ttl}")

        def write(db: sqlite3.Connection, now: str) -> None:
            if not overwrite:
                row = db.execute(
                    "SELECT 1 FROM kv WHERE namespace = ? AND key = ? "
                    "AND (expires_at IS NULL OR expires_at > ?)",
                    (namespace, key, now),
                ).fetchone()
                if row is not None:
                    raise StateError(
                        f"KV key '{key}' already exists in namespace '{namespace}'; "
                        "set overwrite to true to replace it"
                    )
            expires = None
            if ttl is not None:
                expires = _timestamp(_parse_ts(now) + dt.timedelta(seconds=ttl))
            db.execute(
                "INSERT INTO kv (namespace, key, value_json, expires_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET "
                "value_json = excluded.value_json, expires_at = excluded.expires_at, "
                "updated_at = excluded.updated_at",
                (namespace, key, text, expires, now),
            )

        self._write(write)

    def kv_get(self, namespace: str, key: str) -> tuple[bool, Any]:
        """``(True, value)``, or ``(False, None)`` when the key is missing or expired."""
        now = _timestamp(dt.datetime.now(dt.UTC))
        rows = self._query(
            "SELECT value_json FROM kv WHERE namespace = ? AND key = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (namespace, key, now),
        )
        return (True, _loads(rows[0][0])) if rows else (False, None)

    def kv_delete(self, namespace: str, key: str) -> bool:
        """Delete a key; True if an unexpired value was there."""

        def write(db: sqlite3.Connection, now: str) -> bool:
            live = db.execute(
                "SELECT 1 FROM kv WHERE namespace = ? AND key = ? "
                "AND (expires_at IS NULL OR expires_at > ?)",
                (namespace, key, now),
            ).fetchone()
            db.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
            return live is not None

        return bool(self._write(write))

    def kv_keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        """Unexpired keys of a namespace, sorted; ``prefix`` filters (case-sensitive)."""
        now = _timestamp(dt.datetime.now(dt.UTC))
        sql = "SELECT key FROM kv WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?)"
        params: list[Any] = [namespace, now]
        if prefix:
            sql += " AND substr(key, 1, ?) = ?"
            params += [len(prefix), prefix]
        return [row[0] for row in self._query(sql + " ORDER BY key", params)]

    def kv_entries(self, namespace: str) -> list[dict[str, Any]]:
        """Unexpired entries with ``key``, ``value``, ``expires_at``, ``updated_at``."""
        now = _timestamp(dt.datetime.now(dt.UTC))
        rows = self._query(
            "SELECT key, value_json, expires_at, updated_at FROM kv WHERE namespace = ? "
            "AND (expires_at IS NULL OR expires_at > ?) ORDER BY key",
            (namespace, now),
        )
        return [
            {
                "key": row["key"],
                "value": _loads(row["value_json"]),
                "expires_at": row["expires_at"],
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]


# -- row shaping -------------------------------------------------------------------------------

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _timestamp(value: str | dt.datetime) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime(_TS_FORMAT)


def _parse_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _TS_FORMAT).replace(tzinfo=dt.UTC)


def _execution(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    for column in ("inputs", "labels", "outputs", "options"):
        item[column] = _loads(item.pop(f"{column}_json"))
    return item


def _taskrun(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["outputs"] = _loads(item.pop("outputs_json"))
    return item
